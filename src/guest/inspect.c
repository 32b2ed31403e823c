/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <guestfs.h>

#include "core/dkmsstatus.h"
#include "core/gpt.h"
#include "core/modinfo.h"
#include "core/pe.h"
#include "core/shellvars.h"
#include "core/kver.h"
#include "inspect-internal.h"
#include "inspect.h"
#include "shared/cleanup.h"
#include "shared/clock.h"
#include "shared/log.h"
#include "shared/strv.h"

#define MAX_DPKG_STATUS (64u << 20)
#define MAX_GRUB_CFG (4u << 20)
#define MAX_SMALL_FILE (1u << 20)
#define MAX_MAKE_LOG (8u << 20)
#define MAX_KERNELS 256
#define MAX_DKMS_MODULES 256

const char *dkms_state_to_string(DkmsState s) {
        static const char * const names[] = {
                [DKMS_NOT_BUILT] = "not-built",
                [DKMS_FAILED] = "failed",
                [DKMS_BUILT] = "built",
                [DKMS_INSTALLED] = "installed",
        };
        return names[s];
}

GuestState *guest_state_free(GuestState *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_kernels; i++) {
                free(s->kernels[i].release);
                free(s->kernels[i].package);
                free(s->kernels[i].package_version);
        }
        free(s->kernels);
        free(s->grub_configured);
        free(s->grub_cfg_path);
        free(s->grub_value);
        grub_resolution_done(&s->grub);
        grubcfg_free(s->grub_cfg);
        free(s->grub_kernel);
        free(s->grub_problem);
        for (size_t i = 0; i < s->n_holds; i++) {
                free(s->holds[i].name);
                free(s->holds[i].version);
        }
        free(s->holds);
        for (size_t i = 0; i < s->n_pins; i++) {
                free(s->pins[i].file);
                free(s->pins[i].package);
                free(s->pins[i].pin);
                free(s->pins[i].priority);
        }
        free(s->pins);
        for (size_t i = 0; i < s->n_dkms; i++) {
                for (size_t j = 0; j < s->dkms[i].n_kernels; j++) {
                        free(s->dkms[i].kernels[j].kernel);
                        free(s->dkms[i].kernels[j].error);
                        free(s->dkms[i].kernels[j].log);
                        modsig_done(&s->dkms[i].kernels[j].signature);
                }
                free(s->dkms[i].kernels);
                free(s->dkms[i].name);
                free(s->dkms[i].version);
        }
        free(s->dkms);
        strv_free(s->broken_packages);
        strv_free(s->notes);
        guest_os_done(&s->os);
        dpkg_status_free(s->dpkg);
        free(s->boot.disk);
        free(s->boot.table);
        free(s->boot.bios_boot);
        free(s->boot.esp);
        free(s->boot.esp_mount);
        strv_free(s->boot.loaders);
        free(s->boot.esp_grub_uuid);
        free(s->boot.boot_uuid);
        free(s);
        return NULL;
}

/* Grows *array of *n elements of size sz by one zeroed element. */
static void *grow(void *array_ptr, size_t *n, size_t sz) {
        void **array = array_ptr;
        char *a = realloc(*array, (*n + 1) * sz);

        if (!a)
                return NULL;
        memset(a + *n * sz, 0, sz);
        *array = a;
        return a + (*n)++ * sz;
}

static int note(GuestState *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int note(GuestState *s, const char *fmt, ...) {
        va_list ap;
        char *m;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return strv_consume(&s->notes, m);
}

static int kernel_cmp(const void *a, const void *b) {
        return -kver_compare(((const KernelInfo *) a)->release, ((const KernelInfo *) b)->release);
}

static int inspect_packages(Guest *gu, GuestState *s) {
        int r;

        r = guest_dpkg_status(gu, &s->dpkg);
        if (r < 0)
                return r;
        for (size_t i = 0; i < s->dpkg->n; i++) {
                const DpkgPackage *p = &s->dpkg->pkgs[i];

                if (strcmp(p->want, "hold") == 0 && strcmp(p->state, "not-installed") != 0) {
                        HeldPackage *h = grow(&s->holds, &s->n_holds, sizeof(HeldPackage));

                        if (!h || !(h->name = strdup(p->name)) || !(h->version = strdup(p->version ? p->version : "")))
                                return -ENOMEM;
                }
                if (strcmp(p->state, "installed") != 0 && strcmp(p->state, "config-files") != 0 &&
                    strcmp(p->state, "not-installed") != 0) {
                        r = strv_consume(&s->broken_packages, strprintf("%s (%s)", p->name, p->state));
                        if (r < 0)
                                return r;
                }
        }
        s->systemd_major = dpkg_installed_major(s->dpkg, "systemd");
        return 0;
}

int guest_dpkg_status(Guest *gu, DpkgStatus **ret) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        unsigned line = 0;
        int r;

        r = guest_read_file(gu, "/var/lib/dpkg/status", MAX_DPKG_STATUS, &text, &len);
        if (r < 0)
                return log_fail(KPIN_EXIT_UNSUPPORTED, r, "%s: cannot read /var/lib/dpkg/status in the guest: %s",
                                gu->image, r == -EFBIG ? "larger than 64 MiB" : r == -EIO ? guest_last_error(gu)
                                                                                          : strerror(-r));
        r = dpkg_status_parse(text, len, ret, &line);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return log_fail(KPIN_EXIT_UNSUPPORTED, r, "%s: /var/lib/dpkg/status in the guest is malformed at line %u",
                                gu->image, line);
        return 0;
}

static int inspect_kernels(Guest *gu, GuestState *s) {
        _cleanup_strv_free_ char **boot = NULL;
        int r;

        r = guest_list_dir(gu, "/boot", 0, &boot);
        if (r < 0 && r != -ENOENT)
                return log_fail(KPIN_EXIT_UNSUPPORTED, r, "%s: cannot list /boot in the guest: %s", gu->image,
                                r == -EIO ? guest_last_error(gu) : strerror(-r));
        STRV_FOREACH(f, boot) {
                _cleanup_free_ char *pkg = NULL, *hdr = NULL, *build = NULL, *initrd = NULL, *mods = NULL;
                const char *release;
                const DpkgPackage *p;
                KernelInfo *k;

                if (!startswith(*f, "vmlinuz-") || !(*f)[8])
                        continue;
                if (s->n_kernels >= MAX_KERNELS)
                        break;
                release = *f + 8;
                pkg = strprintf("linux-image-%s", release);
                hdr = strprintf("linux-headers-%s", release);
                build = strprintf("/lib/modules/%s/build", release);
                initrd = strprintf("/boot/initrd.img-%s", release);
                mods = strprintf("/lib/modules/%s", release);
                if (!pkg || !hdr || !build || !initrd || !mods)
                        return -ENOMEM;
                k = grow(&s->kernels, &s->n_kernels, sizeof(KernelInfo));
                if (!k || !(k->release = strdup(release)))
                        return -ENOMEM;
                p = dpkg_status_find(s->dpkg, pkg);
                if (!dpkg_installed(p)) {
                        free(pkg);
                        pkg = strprintf("linux-image-unsigned-%s", release);
                        if (!pkg)
                                return -ENOMEM;
                        p = dpkg_status_find(s->dpkg, pkg);
                }
                if (p && strcmp(p->state, "not-installed") != 0) {
                        k->package = strdup(p->name);
                        k->package_version = strdup(p->version ? p->version : "");
                        if (!k->package || !k->package_version)
                                return -ENOMEM;
                }
                k->headers = dpkg_installed(dpkg_status_find(s->dpkg, hdr)) && guest_is_dir(gu, build);
                k->initramfs = guest_is_file(gu, initrd);
                k->modules = guest_is_dir(gu, mods);
        }
        qsort(s->kernels, s->n_kernels, sizeof(KernelInfo), kernel_cmp);
        return 0;
}

int inspect_read_optional(Guest *gu, const char *path, size_t max, char **ret, size_t *ret_len) {
        int r = guest_read_file(gu, path, max, ret, ret_len);

        if (r == -EFBIG)
                log_warning("%s: %s in the guest is larger than %zu bytes, ignored", gu->image, path, max);
        return r;
}

static int inspect_grub(Guest *gu, GuestState *s) {
        static const char * const cfgs[] = { "/boot/grub/grub.cfg", "/boot/grub2/grub.cfg" };
        _cleanup_strv_free_ char **env = NULL, **dropins = NULL;
        _cleanup_free_ char *text = NULL;
        const char *kernel;
        size_t len;
        int r;

        /* What the admin asked for: /etc/default/grub, then grub.d drop-ins in order. */
        if (inspect_read_optional(gu, "/etc/default/grub", MAX_SMALL_FILE, &text, &len) >= 0) {
                r = shellvars_get(text, len, "GRUB_DEFAULT", &s->grub_configured);
                if (r < 0)
                        return r;
                text = mfree(text);
        }
        if (guest_list_dir(gu, "/etc/default/grub.d", 1000, &dropins) >= 0) {
                strv_sort(dropins);
                STRV_FOREACH(d, dropins) {
                        _cleanup_free_ char *path = NULL, *v = NULL;

                        if (!endswith(*d, ".cfg"))
                                continue;
                        path = strprintf("/etc/default/grub.d/%s", *d);
                        if (!path)
                                return -ENOMEM;
                        if (inspect_read_optional(gu, path, MAX_SMALL_FILE, &text, &len) < 0)
                                continue;
                        r = shellvars_get(text, len, "GRUB_DEFAULT", &v);
                        text = mfree(text);
                        if (r < 0)
                                return r;
                        if (v) {
                                free(s->grub_configured);
                                s->grub_configured = TAKE_PTR(v);
                        }
                }
        }

        /* What GRUB will do: grub.cfg and grubenv. */
        for (size_t i = 0; i < ELEMENTSOF(cfgs) && !s->grub_cfg_path; i++)
                if (inspect_read_optional(gu, cfgs[i], MAX_GRUB_CFG, &text, &len) >= 0 &&
                    !(s->grub_cfg_path = strdup(cfgs[i])))
                        return -ENOMEM;
        if (!s->grub_cfg_path) {
                s->grub_problem = strdup("the image has no /boot/grub/grub.cfg");
                return s->grub_problem ? 0 : -ENOMEM;
        }
        r = grubcfg_parse(text, len, &s->grub_cfg);
        if (r < 0) {
                s->grub_problem = strprintf("%s cannot be parsed (%s)", s->grub_cfg_path,
                                            r == -EBADMSG ? "unbalanced braces or quotes" : strerror(-r));
                return s->grub_problem ? 0 : -ENOMEM;
        }
        text = mfree(text);
        if (inspect_read_optional(gu, "/boot/grub/grubenv", 64 * 1024, &text, &len) >= 0) {
                r = grubenv_parse(text, len, &env);
                if (r < 0)
                        return r;
        }
        r = grubcfg_effective_default(s->grub_cfg, env, &s->grub_value, &s->grub_value_source);
        if (r < 0)
                return r;
        r = grubcfg_resolve(s->grub_cfg, s->grub_value, &s->grub);
        if (r == -ENOENT) {
                s->grub_problem = strprintf("%s has no boot entries", s->grub_cfg_path);
                return s->grub_problem ? 0 : -ENOMEM;
        }
        if (r < 0)
                return r;
        if (s->grub.problem && !(s->grub_problem = strdup(s->grub.problem)))
                return -ENOMEM;
        kernel = grub_entry_kernel_release(s->grub.entry);
        if (kernel && !(s->grub_kernel = strdup(kernel)))
                return -ENOMEM;
        return 0;
}

static bool pin_touches_kernels(const char *field, const DpkgStatus *st) {
        if (strstr(field, "linux-image") || strstr(field, "linux-headers") || strstr(field, "linux-*"))
                return true;
        for (size_t i = 0; i < st->n; i++)
                if ((startswith(st->pkgs[i].name, "linux-image-") || startswith(st->pkgs[i].name, "linux-headers-")) &&
                    apt_pref_matches(field, st->pkgs[i].name) > 0)
                        return true;
        return false;
}

static bool apt_pref_file_name_ok(const char *name) {
        /* apt reads files with no extension or ".pref", made of [A-Za-z0-9_.-] */
        const char *dot = strrchr(name, '.');

        if (strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != strlen(name))
                return false;
        return !dot || strcmp(dot, ".pref") == 0;
}

static int inspect_pins_file(Guest *gu, GuestState *s, const char *path) {
        _cleanup_free_ char *text = NULL;
        _cleanup_(deb822_freep) Deb822 *d = NULL;
        size_t len;
        unsigned line;
        int r = 0;

        if (inspect_read_optional(gu, path, MAX_SMALL_FILE, &text, &len) < 0)
                return 0;
        if (deb822_parse(text, len, &d, &line) < 0)
                return note(s, "%s is malformed at line %u (apt will refuse it)", path, line);
        for (size_t i = 0; i < d->n_stanzas && r >= 0; i++) {
                const char *pkg = deb822_get(&d->stanzas[i], "Package");
                AptPin *p;

                if (!pkg || !pin_touches_kernels(pkg, s->dpkg))
                        continue;
                p = grow(&s->pins, &s->n_pins, sizeof(AptPin));
                if (!p) {
                        r = -ENOMEM;
                        break;
                }
                p->line = d->stanzas[i].line;
                p->file = strdup(path);
                p->package = strdup(pkg);
                p->pin = strdup(deb822_get(&d->stanzas[i], "Pin") ?: "");
                p->priority = strdup(deb822_get(&d->stanzas[i], "Pin-Priority") ?: "");
                if (!p->file || !p->package || !p->pin || !p->priority)
                        r = -ENOMEM;
        }
        return r;
}

static int inspect_pins(Guest *gu, GuestState *s) {
        _cleanup_strv_free_ char **files = NULL;
        int r;

        r = inspect_pins_file(gu, s, "/etc/apt/preferences");
        if (r < 0)
                return r;
        if (guest_list_dir(gu, "/etc/apt/preferences.d", 1000, &files) < 0)
                return 0;
        strv_sort(files);
        STRV_FOREACH(f, files) {
                _cleanup_free_ char *path = NULL;

                if (!apt_pref_file_name_ok(*f))
                        continue;
                path = strprintf("/etc/apt/preferences.d/%s", *f);
                if (!path)
                        return -ENOMEM;
                r = inspect_pins_file(gu, s, path);
                if (r < 0)
                        return r;
        }
        return 0;
}

#define MAX_MODULE (256u << 20)

static bool is_module_file(const char *f) {
        return endswith(f, ".ko") || endswith(f, ".ko.gz") || endswith(f, ".ko.xz") || endswith(f, ".ko.zst");
}

/* Who signed a built module: the first .ko in DKMS's module directory (in
 * name order; DKMS 3.2 keeps Module.symvers beside them). */
static void module_signature(Guest *gu, const char *dir, const ModSig *dkms_key, DkmsKernel *k) {
        _cleanup_strv_free_ char **files = NULL;
        _cleanup_free_ char *path = NULL, *data = NULL;
        const char *ko = NULL;
        void *elf = NULL;
        size_t len, elf_len;

        if (guest_list_dir(gu, dir, 100, &files) < 0 || !files)
                return;
        strv_sort(files);
        STRV_FOREACH(f, files)
                if (!ko && is_module_file(*f))
                        ko = *f;
        if (!ko || !(path = strprintf("%s/%s", dir, ko)))
                return;
        if (guest_read_file_large(gu, path, MAX_MODULE, &data, &len) < 0 ||
            ko_decompress(data, len, MAX_MODULE, &elf, &elf_len) < 0)
                return;
        (void) ko_signature(elf, elf_len, &k->signature);
        free(elf);
        k->dkms_key = dkms_key && k->signature.key_id && strcmp(k->signature.key_id, dkms_key->key_id) == 0 &&
                      strcmp(k->signature.signer, dkms_key->signer) == 0;
}

static int inspect_dkms_version(Guest *gu, GuestState *s, const char *name, const char *version,
                                const ModSig *dkms_key) {
        _cleanup_free_ char *log_path = NULL, *log = NULL, *log_kernel = NULL, *first_error = NULL;
        DkmsModule *m;
        size_t len;
        int r;

        m = grow(&s->dkms, &s->n_dkms, sizeof(DkmsModule));
        if (!m || !(m->name = strdup(name)) || !(m->version = strdup(version)))
                return -ENOMEM;

        /* The build directory keeps the make.log of the last failed build. */
        log_path = strprintf("/var/lib/dkms/%s/%s/build/make.log", name, version);
        if (!log_path)
                return -ENOMEM;
        if (inspect_read_optional(gu, log_path, MAX_MAKE_LOG, &log, &len) >= 0 &&
            dkms_makelog_kernel(log, len, &log_kernel) >= 0) {
                r = dkms_makelog_first_error(log, len, 2, &first_error);
                if (r < 0 && r != -ENOENT)
                        return r;
        }

        for (size_t i = 0; i < s->n_kernels; i++) {
                const char *kver = s->kernels[i].release;
                _cleanup_free_ char *built = strprintf("/var/lib/dkms/%s/%s/%s/%s/module", name, version, kver, gu->os.arch);
                _cleanup_free_ char *link = strprintf("/var/lib/dkms/%s/kernel-%s-%s", name, kver, gu->os.arch);
                DkmsKernel *k;

                if (!built || !link)
                        return -ENOMEM;
                k = grow(&m->kernels, &m->n_kernels, sizeof(DkmsKernel));
                if (!k || !(k->kernel = strdup(kver)))
                        return -ENOMEM;
                if (guest_is_dir(gu, built)) {
                        k->state = guest_exists(gu, link) ? DKMS_INSTALLED : DKMS_BUILT;
                        module_signature(gu, built, dkms_key, k);
                } else if (log_kernel && strcmp(log_kernel, kver) == 0) {
                        k->state = DKMS_FAILED;
                        k->log = strdup(log_path);
                        k->error = first_error ? strdup(first_error) : NULL;
                        if (!k->log || (first_error && !k->error))
                                return -ENOMEM;
                } else
                        k->state = DKMS_NOT_BUILT;
        }
        return 0;
}

static int inspect_dkms(Guest *gu, GuestState *s) {
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_(modsig_done) ModSig dkms_key = {};
        int r;

        if (guest_list_dir(gu, "/var/lib/dkms", 10000, &names) < 0)
                return 0;
        if (strv_contains(names, "mok.key")) {
                _cleanup_free_ char *der = NULL;
                size_t len;

                if (inspect_read_optional(gu, "/var/lib/dkms/mok.pub", 64 * 1024, &der, &len) >= 0)
                        (void) x509_signer(der, len, &dkms_key);
                r = note(s, "DKMS signs modules with /var/lib/dkms/mok.key: unless that key is enrolled, "
                            "Secure Boot refuses them and the kernel is tainted when they load");
                if (r < 0)
                        return r;
        }
        STRV_FOREACH(name, names) {
                _cleanup_strv_free_ char **versions = NULL;
                _cleanup_free_ char *dir = strprintf("/var/lib/dkms/%s", *name);

                if (!dir)
                        return -ENOMEM;
                if (guest_list_dir(gu, dir, 1000, &versions) < 0)
                        continue;
                strv_sort(versions);
                STRV_FOREACH(v, versions) {
                        _cleanup_free_ char *src = strprintf("%s/%s/source", dir, *v);

                        if (!src)
                                return -ENOMEM;
                        if (startswith(*v, "kernel-") || !guest_exists(gu, src))
                                continue;
                        if (s->n_dkms >= MAX_DKMS_MODULES)
                                return 0;
                        r = inspect_dkms_version(gu, s, *name, *v, dkms_key.key_id ? &dkms_key : NULL);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int guest_inspect(Guest *gu, GuestState **ret) {
        _cleanup_(guest_state_freep) GuestState *s = NULL;
        double t0 = monotonic_s();
        int r;

        s = calloc(1, sizeof(GuestState));
        if (!s)
                return -ENOMEM;
        r = guest_os_copy(&gu->os, &s->os);
        if (r >= 0)
                r = inspect_packages(gu, s);
        if (r >= 0)
                r = inspect_kernels(gu, s);
        if (r >= 0)
                r = inspect_grub(gu, s);
        if (r >= 0)
                r = inspect_pins(gu, s);
        if (r >= 0)
                r = inspect_dkms(gu, s);
        if (r >= 0)
                r = inspect_boot(gu, s);
        if (r < 0)
                return r;
        log_debug("guest state read in %.1f s", monotonic_s() - t0);
        *ret = TAKE_PTR(s);
        return 0;
}

int guest_grub_boots(Guest *gu, const char *release, char **ret_kernel, char **ret_problem) {
        _cleanup_(guest_state_freep) GuestState *s = calloc(1, sizeof(GuestState));
        int r;

        if (!s)
                return -ENOMEM;
        r = inspect_grub(gu, s);
        if (r < 0)
                return r;
        *ret_kernel = TAKE_PTR(s->grub_kernel);
        *ret_problem = TAKE_PTR(s->grub_problem);
        return *ret_kernel && !s->grub.fallback && strcmp(*ret_kernel, release) == 0;
}
