/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>

#include "report/json.h"
#include "shared/cleanup.h"
#include "shared/strv.h"
#include "steps.h"

/* "2,582": counts a person reads */
static const char *thousands(size_t n, char buf[static 32]) {
        char plain[24];
        size_t len, o = 0;

        len = (size_t) snprintf(plain, sizeof(plain), "%zu", n);
        for (size_t i = 0; i < len; i++) {
                if (i > 0 && (len - i) % 3 == 0)
                        buf[o++] = ',';
                buf[o++] = plain[i];
        }
        buf[o] = '\0';
        return buf;
}

char *pin_roll_summary(const PinRoll *roll, const char *release) {
        char n[32];

        if (!roll->from)
                return NULL;
        if (!roll->changelog_known)
                return strprintf("%s -> %s (%s -> %s): fixes unknown: %s", roll->from, release,
                                 roll->from_version ? roll->from_version : "?", roll->to_version ? roll->to_version : "?",
                                 roll->changelog_problem ? roll->changelog_problem : "no changelog");
        return strprintf("%s -> %s (%s -> %s): %s CVE ID%s fixed", roll->from, release, roll->from_version,
                         roll->to_version ? roll->to_version : "?", thousands(roll->n_cves, n), roll->n_cves == 1 ? "" : "s");
}

json_object *pin_roll_to_json(const PinRoll *roll, const char *release) {
        json_object *o;

        if (!roll->from)
                return NULL;
        o = json_object_new_object();
        json_object_object_add(o, "from", json_object_new_string(roll->from));
        json_object_object_add(o, "to", json_object_new_string(release));
        json_object_object_add(o, "from_version", json_str_or_null(roll->from_version));
        json_object_object_add(o, "to_version", json_str_or_null(roll->to_version));
        json_object_object_add(o, "changelog_known", json_object_new_boolean(roll->changelog_known));
        json_object_object_add(o, "changelog_problem", json_str_or_null(roll->changelog_problem));
        json_object_object_add(o, "cve_count", roll->changelog_known ? json_object_new_int64((int64_t) roll->n_cves) : NULL);
        json_object_object_add(o, "cves", roll->changelog_known ? json_strv(roll->cves) : NULL);
        return o;
}

void pin_result_to_json(const PinResult *r, json_object *o) {
        json_object *g = json_object_new_object();

        json_object_object_add(o, "changed", json_object_new_boolean(r->changed));
        json_object_object_add(o, "kernel", json_object_new_string(r->release));
        json_object_object_add(o, "series", json_object_new_string(r->series));
        json_object_object_add(o, "installed", json_strv(r->installed));
        json_object_object_add(o, "held", json_strv(r->held));
        json_object_object_add(o, "purged", json_strv(r->purged));
        json_object_object_add(o, "kept", json_strv(r->kept));
        json_object_object_add(o, "roll", pin_roll_to_json(&r->roll, r->release));
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

#define CVES_SHOWN 8

void pin_result_print(const PinResult *r, const char *target) {
        _cleanup_free_ char *roll = pin_roll_summary(&r->roll, r->release);

        if (roll)
                printf("rolled forward %s -> %s\n", roll, target);
        else
                printf("pinned %s (Linux %s) -> %s\n", r->release, r->series, target);
        if (r->roll.cves) {
                size_t i = 0;

                printf("  fixes:    ");
                for (; r->roll.cves[i] && i < CVES_SHOWN; i++)
                        printf(" %s", r->roll.cves[i]);
                if (r->roll.n_cves > CVES_SHOWN)
                        printf(" and %zu more (--json lists them all)", r->roll.n_cves - CVES_SHOWN);
                printf("\n");
        }
        print_list("installed:", r->installed);
        print_list("held:", r->held);
        print_list("purged:", r->purged);
        if (r->kept && r->kept[1])
                print_list("kept:", r->kept);
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
