/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "shared/cleanup.h"
#include "shared/log.h"
#include "shared/strv.h"


/* json-c's add functions take ownership of val even on failure only in
 * newer versions; keep it simple: check the container afterwards. */
static int add(json_object *o, const char *key, json_object *val) {
        if (!val && key)
                return json_object_object_add(o, key, NULL) < 0 ? -ENOMEM : 0;
        return json_object_object_add(o, key, val) < 0 ? -ENOMEM : 0;
}

json_object *json_str_or_null(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

static int kernels_json(const GuestState *s, json_object **ret) {
        _cleanup_json_ json_object *a = json_object_new_array();

        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_kernels; i++) {
                const KernelInfo *k = &s->kernels[i];
                json_object *o = json_object_new_object();

                if (!o || json_object_array_add(a, o) < 0)
                        return -ENOMEM;
                if (add(o, "release", json_object_new_string(k->release)) < 0 ||
                    add(o, "package", json_str_or_null(k->package)) < 0 ||
                    add(o, "package_version", json_str_or_null(k->package_version)) < 0 ||
                    add(o, "headers", json_object_new_boolean(k->headers)) < 0 ||
                    add(o, "initramfs", json_object_new_boolean(k->initramfs)) < 0 ||
                    add(o, "modules", json_object_new_boolean(k->modules)) < 0 ||
                    add(o, "grub_default", json_object_new_boolean(s->grub_kernel &&
                                                                   strcmp(s->grub_kernel, k->release) == 0)) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(a);
        return 0;
}

static int grub_json(const GuestState *s, json_object **ret) {
        _cleanup_json_ json_object *o = json_object_new_object();
        const GrubEntry *e = s->grub.entry;

        if (!o)
                return -ENOMEM;
        if (add(o, "configured_default", json_str_or_null(s->grub_configured)) < 0 ||
            add(o, "config", json_str_or_null(s->grub_cfg_path)) < 0 ||
            add(o, "default", json_str_or_null(s->grub_value)) < 0 ||
            add(o, "default_source", json_str_or_null(s->grub_value_source)) < 0 ||
            add(o, "entry_id_path", json_str_or_null(s->grub.id_path)) < 0 ||
            add(o, "entry_title_path", json_str_or_null(s->grub.title_path)) < 0 ||
            add(o, "linux", json_str_or_null(e ? e->linux_path : NULL)) < 0 ||
            add(o, "initrd", json_str_or_null(e ? e->initrd : NULL)) < 0 ||
            add(o, "cmdline", json_str_or_null(e ? e->linux_args : NULL)) < 0 ||
            add(o, "kernel", json_str_or_null(s->grub_kernel)) < 0 ||
            add(o, "fallback", json_object_new_boolean(s->grub.fallback)) < 0 ||
            add(o, "problem", json_str_or_null(s->grub_problem)) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(o);
        return 0;
}

static int dkms_json(const GuestState *s, json_object **ret) {
        _cleanup_json_ json_object *a = json_object_new_array();

        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_dkms; i++) {
                const DkmsModule *m = &s->dkms[i];
                json_object *o = json_object_new_object(), *ks = json_object_new_array();

                if (!o || json_object_array_add(a, o) < 0) {
                        json_object_put(ks);
                        return -ENOMEM;
                }
                if (add(o, "module", json_object_new_string(m->name)) < 0 ||
                    add(o, "version", json_object_new_string(m->version)) < 0 ||
                    add(o, "kernels", ks) < 0 || !ks)
                        return -ENOMEM;
                for (size_t j = 0; j < m->n_kernels; j++) {
                        const DkmsKernel *k = &m->kernels[j];
                        json_object *ko = json_object_new_object();

                        if (!ko || json_object_array_add(ks, ko) < 0)
                                return -ENOMEM;
                        if (add(ko, "kernel", json_object_new_string(k->kernel)) < 0 ||
                            add(ko, "status", json_object_new_string(dkms_state_to_string(k->state))) < 0 ||
                            add(ko, "signer", json_str_or_null(k->signature.signer)) < 0 ||
                            add(ko, "sig_key", json_str_or_null(k->signature.key_id)) < 0 ||
                            add(ko, "dkms_key", json_object_new_boolean(k->dkms_key)) < 0 ||
                            add(ko, "error", json_str_or_null(k->error)) < 0 ||
                            add(ko, "log", json_str_or_null(k->log)) < 0)
                                return -ENOMEM;
                }
        }
        *ret = TAKE_PTR(a);
        return 0;
}

json_object *json_strv(char * const *l) {
        json_object *a = json_object_new_array();

        STRV_FOREACH(i, l)
                if (!a || json_object_array_add(a, json_object_new_string(*i)) < 0) {
                        json_object_put(a);
                        return NULL;
                }
        return a;
}

static int boot_json(const BootPaths *b, json_object **ret) {
        _cleanup_json_ json_object *o = json_object_new_object();
        json_object *fw = json_object_new_array();

        if (!o || !fw || add(o, "firmwares", fw) < 0) {
                json_object_put(fw);
                return -ENOMEM;
        }
        for (Firmware f = 0; f < _FIRMWARE_MAX; f++)
                if (b->firmwares & (1u << f) && json_object_array_add(fw, json_object_new_string(firmware_to_string(f))) < 0)
                        return -ENOMEM;
        if (add(o, "disk", json_str_or_null(b->disk)) < 0 ||
            add(o, "partition_table", json_str_or_null(b->table)) < 0 ||
            add(o, "mbr_boot_code", json_object_new_boolean(b->mbr_code)) < 0 ||
            add(o, "bios_boot_partition", json_str_or_null(b->bios_boot)) < 0 ||
            add(o, "esp", json_str_or_null(b->esp)) < 0 ||
            add(o, "esp_mountpoint", json_str_or_null(b->esp_mount)) < 0 ||
            add(o, "efi_loaders", json_strv(b->loaders)) < 0 ||
            add(o, "removable_path", json_object_new_boolean(b->removable)) < 0 ||
            add(o, "shim", json_object_new_boolean(b->shim)) < 0 ||
            add(o, "grub_signed", json_object_new_boolean(b->grub_signed)) < 0 ||
            add(o, "kernel_signed", json_object_new_boolean(b->kernel_signed)) < 0 ||
            add(o, "secure_boot_chain", json_object_new_boolean(boot_paths_secure_chain(b))) < 0 ||
            add(o, "esp_grub_uuid", json_str_or_null(b->esp_grub_uuid)) < 0 ||
            add(o, "boot_uuid", json_str_or_null(b->boot_uuid)) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(o);
        return 0;
}

json_object *json_envelope(const char *command, bool ok, const char *image) {
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        json_object_object_add(o, "kpin", json_object_new_string(PACKAGE_VERSION));
        json_object_object_add(o, "schema", json_object_new_int(KPIN_JSON_SCHEMA));
        json_object_object_add(o, "command", json_str_or_null(command));
        json_object_object_add(o, "ok", json_object_new_boolean(ok));
        if (image)
                json_object_object_add(o, "image", json_object_new_string(image));
        return o;
}

int guest_state_to_json(const ImageInfo *img, const char *image, const GuestState *s, json_object *o) {
        const GuestOs *g = &s->os;
        json_object *im, *os, *v = NULL;
        int r;

        im = img ? json_object_new_object() : NULL;
        os = json_object_new_object();
        if ((img && (add(o, "image", im) < 0 || !im)) || add(o, "os", os) < 0 || !os)
                return -ENOMEM;
        if (img && (add(im, "path", json_object_new_string(image)) < 0 ||
                    add(im, "format", json_object_new_string(image_format_to_string(img->format))) < 0 ||
                    add(im, "virtual_size", json_object_new_int64((int64_t) img->virtual_size)) < 0 ||
                    add(im, "backing_file", json_str_or_null(img->backing_file)) < 0))
                return -ENOMEM;
        if (add(os, "distro", json_str_or_null(g->distro)) < 0 ||
            add(os, "product", json_str_or_null(g->product)) < 0 ||
            add(os, "major", json_object_new_int(g->major)) < 0 ||
            add(os, "minor", json_object_new_int(g->minor)) < 0 ||
            add(os, "arch", json_str_or_null(g->arch)) < 0 ||
            add(os, "root", json_str_or_null(g->root)) < 0 ||
            add(os, "root_fstype", json_str_or_null(g->root_fstype)) < 0 ||
            add(os, "mountpoints", json_strv(g->mountpoints)) < 0)
                return -ENOMEM;
        {
                _cleanup_free_ char *ver = strprintf("%d.%d", g->major, g->minor);

                if (!ver || add(os, "version", json_object_new_string(ver)) < 0)
                        return -ENOMEM;
        }

        r = kernels_json(s, &v);
        if (r < 0 || add(o, "kernels", v) < 0)
                return -ENOMEM;
        r = grub_json(s, &v);
        if (r < 0 || add(o, "grub", v) < 0)
                return -ENOMEM;

        v = json_object_new_array();
        if (!v || add(o, "holds", v) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_holds; i++) {
                json_object *h = json_object_new_object();

                if (!h || json_object_array_add(v, h) < 0 ||
                    add(h, "package", json_object_new_string(s->holds[i].name)) < 0 ||
                    add(h, "version", json_object_new_string(s->holds[i].version)) < 0)
                        return -ENOMEM;
        }
        v = json_object_new_array();
        if (!v || add(o, "apt_pins", v) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_pins; i++) {
                json_object *p = json_object_new_object();

                if (!p || json_object_array_add(v, p) < 0 ||
                    add(p, "file", json_object_new_string(s->pins[i].file)) < 0 ||
                    add(p, "line", json_object_new_int((int) s->pins[i].line)) < 0 ||
                    add(p, "package", json_object_new_string(s->pins[i].package)) < 0 ||
                    add(p, "pin", json_object_new_string(s->pins[i].pin)) < 0 ||
                    add(p, "priority", json_object_new_string(s->pins[i].priority)) < 0)
                        return -ENOMEM;
        }
        r = dkms_json(s, &v);
        if (r < 0 || add(o, "dkms", v) < 0)
                return -ENOMEM;
        v = json_strv(s->broken_packages);
        if (!v || add(o, "broken_packages", v) < 0)
                return -ENOMEM;
        r = boot_json(&s->boot, &v);
        if (r < 0 || add(o, "boot", v) < 0)
                return -ENOMEM;
        v = json_strv(s->notes);
        if (!v || add(o, "notes", v) < 0)
                return -ENOMEM;
        return 0;
}

json_object *json_failure(const char *command, int exit_code, const char *message) {
        json_object *o = json_envelope(command, false, NULL), *e = json_object_new_object();

        if (!o || !e) {
                json_object_put(o);
                json_object_put(e);
                return NULL;
        }
        json_object_object_add(e, "exit_code", json_object_new_int(exit_code));
        json_object_object_add(e, "class", json_object_new_string(log_exit_code_name(exit_code)));
        json_object_object_add(e, "message", json_str_or_null(message));
        json_object_object_add(o, "error", e);
        return o;
}

int json_write(json_object *o, const char *path) {
        const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        _cleanup_free_ char *tmp = NULL;
        FILE *f;

        if (!text)
                return -ENOMEM;
        if (strcmp(path, "-") == 0) {
                if (puts(text) < 0 || fflush(stdout) != 0)
                        return -EIO;
                return 0;
        }
        tmp = strprintf("%s.tmp.%d", path, (int) getpid());
        if (!tmp)
                return -ENOMEM;
        f = fopen(tmp, "we");
        if (!f)
                return -errno;
        if (fputs(text, f) < 0 || fputc('\n', f) < 0 || fflush(f) != 0 || fsync(fileno(f)) < 0) {
                int r = -errno;

                fclose(f);
                unlink(tmp);
                return r ? r : -EIO;
        }
        if (fclose(f) != 0 || rename(tmp, path) < 0) {
                int r = -errno;

                unlink(tmp);
                return r;
        }
        return 0;
}

int json_emit(json_object *o, bool to_stdout, const char *report) {
        int r = 0;

        if (report)
                r = json_write(o, report);
        if (r >= 0 && to_stdout)
                r = json_write(o, "-");
        json_object_put(o);
        if (r < 0)
                return log_fail(KPIN_EXIT_FAILURE, r, "cannot write the report: %m");
        return 0;
}
