/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>

#include "report/json.h"
#include "shared/strv.h"
#include "steps.h"

void pin_result_to_json(const PinResult *r, json_object *o) {
        json_object *g = json_object_new_object();

        json_object_object_add(o, "changed", json_object_new_boolean(r->changed));
        json_object_object_add(o, "kernel", json_object_new_string(r->release));
        json_object_object_add(o, "series", json_object_new_string(r->series));
        json_object_object_add(o, "installed", json_strv(r->installed));
        json_object_object_add(o, "held", json_strv(r->held));
        json_object_object_add(o, "purged", json_strv(r->purged));
        json_object_object_add(o, "apt_preferences_written", json_object_new_boolean(r->prefs_written));
        json_object_object_add(g, "default_before", json_str_or_null(r->grub_before));
        json_object_object_add(g, "default_after", json_str_or_null(r->grub_after));
        json_object_object_add(g, "boots_before", json_str_or_null(r->boot_before));
        json_object_object_add(g, "boots_after", json_str_or_null(r->boot_after));
        json_object_object_add(g, "regenerated", json_object_new_boolean(r->grub_regenerated));
        json_object_object_add(o, "grub", g);
}

static void print_list(const char *label, char * const *l) {
        if (!l)
                return;
        printf("  %-10s", label);
        STRV_FOREACH(p, l)
                printf(" %s", *p);
        printf("\n");
}

void pin_result_print(const PinResult *r, const char *target) {
        printf("pinned %s (Linux %s) -> %s\n", r->release, r->series, target);
        print_list("installed:", r->installed);
        print_list("held:", r->held);
        print_list("purged:", r->purged);
        if (r->prefs_written)
                printf("  apt:       /etc/apt/preferences.d/kpin-kernel (other kernel series: Pin-Priority -1)\n");
        printf("  grub:      GRUB_DEFAULT %s -> %s\n", r->grub_before ? r->grub_before : "(unset)",
               r->grub_after ? r->grub_after : "(unchanged)");
        printf("             boots %s -> %s\n", r->boot_before ? r->boot_before : "(unknown)",
               r->boot_after ? r->boot_after : "(unknown)");
}

void dkms_result_to_json(const DkmsResult *r, json_object *o) {
        json_object *mods = json_object_new_array();

        json_object_object_add(o, "changed", json_object_new_boolean(r->changed));
        json_object_object_add(o, "kernel", json_object_new_string(r->kernel));
        for (size_t i = 0; i < r->n_modules; i++) {
                const DkmsBuilt *b = &r->modules[i];
                json_object *m = json_object_new_object();

                json_object_object_add(m, "module", json_object_new_string(b->name));
                json_object_object_add(m, "version", json_object_new_string(b->version));
                json_object_object_add(m, "built_now", json_object_new_boolean(b->built_now));
                json_object_object_add(m, "files", json_strv(b->files));
                json_object_object_add(m, "vermagic", json_str_or_null(b->vermagic));
                json_object_object_add(m, "compression", json_str_or_null(b->compression));
                json_object_object_add(m, "cache", json_str_or_null(b->cache));
                json_object_object_add(m, "cache_key", json_str_or_null(b->cache_key));
                json_object_object_add(m, "cache_note", json_str_or_null(b->cache_note));
                json_object_object_add(m, "signer", json_str_or_null(b->signature.signer));
                json_object_object_add(m, "sig_key", json_str_or_null(b->signature.key_id));
                json_object_object_add(m, "initramfs", json_object_new_boolean(b->initramfs));
                json_object_object_add(m, "seconds", json_object_new_double(b->seconds));
                json_object_array_add(mods, m);
        }
        json_object_object_add(o, "modules", mods);
}

void dkms_result_print(const DkmsResult *r, const char *first, const char *indent) {
        for (size_t i = 0; i < r->n_modules; i++) {
                const DkmsBuilt *b = &r->modules[i];

                printf("%s%s/%s for %s: %s, vermagic verified\n", first, b->name, b->version, r->kernel,
                       b->cache && strcmp(b->cache, "hit") == 0 ? "installed from the build cache"
                       : b->built_now ? "built and installed" : "already installed");
                if (b->cache)
                        printf("%s  build cache: %s%s%s%s (%.12s)\n", indent, strcmp(b->cache, "hit") == 0 ? "hit" : "miss",
                               strcmp(b->cache, "refused") == 0 ? ", an entry refused: " : "",
                               b->cache_note ? b->cache_note : "", strcmp(b->cache, "hit") == 0 ? "" : ", stored",
                               b->cache_key ? b->cache_key : "");
                STRV_FOREACH(f, b->files)
                        printf("%s  %s (compression: %s)\n", indent, *f, b->compression ? b->compression : "none");
                printf("%s  vermagic: %s\n", indent, b->vermagic ? b->vermagic : "?");
                printf("%s  signed by: %s%s%s%s\n", indent, b->signature.key_id ? b->signature.signer : "nobody (unsigned)",
                       b->signature.key_id ? " (key " : "", b->signature.key_id ? b->signature.key_id : "",
                       b->signature.key_id ? ")" : "");
                if (b->initramfs)
                        printf("%s  initramfs of %s regenerated\n", indent, r->kernel);
        }
}
