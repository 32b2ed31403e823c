/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <guestfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "core/dkmsstatus.h"
#include "core/sha256.h"
#include "host/buildcache.h"
#include "core/kver.h"
#include "core/modinfo.h"
#include "apt.h"
#include "dkms-internal.h"
#include "dkms.h"
#include "shared/cleanup.h"
#include "shared/clock.h"
#include "shared/log.h"
#include "shared/progress.h"
#include "shared/strbuf.h"
#include "shared/spawn.h"
#include "shared/strv.h"
#include "shared/unaligned.h"

static char *first_line(const char *s) {
        return s ? strndup(s, strcspn(s, "\n")) : NULL;
}

char *dkms_error_line(const char *err) {
        return guest_error_line(err, "Error! ");
}

void dkms_result_done(DkmsResult *r) {
        for (size_t i = 0; i < r->n_modules; i++) {
                free(r->modules[i].name);
                free(r->modules[i].version);
                strv_free(r->modules[i].files);
                free(r->modules[i].vermagic);
                free(r->modules[i].compression);
                modsig_done(&r->modules[i].signature);
                free(r->modules[i].cache_key);
                free(r->modules[i].cache_note);
        }
        free(r->modules);
        free(r->kernel);
        *r = (DkmsResult) {};
}

/* The kernel to build for: a release, series or prefix among the guest's
 * kernels (newest match), or the one GRUB boots. */
static int resolve_kernel(Guest *gu, const GuestState *st, const char *want, char **ret) {
        const KernelInfo *k = NULL;

        for (size_t i = 0; i < st->n_kernels && !k; i++) /* newest first */
                if (want ? (strcmp(st->kernels[i].release, want) == 0 || kver_matches(st->kernels[i].release, want))
                         : (st->grub_kernel && strcmp(st->kernels[i].release, st->grub_kernel) == 0))
                        k = &st->kernels[i];
        if (!k && want) {
                /* a kernel installed since st was read (the pin step's) */
                _cleanup_free_ char *vmlinuz = strprintf("/boot/vmlinuz-%s", want),
                                    *build = strprintf("/lib/modules/%s/build", want);

                if (!vmlinuz || !build)
                        return -ENOMEM;
                if (guest_is_file(gu, vmlinuz)) {
                        if (!guest_is_dir(gu, build))
                                return log_fail(KPIN_EXIT_DKMS, -ENOENT,
                                                "%s: the headers of %s are not installed in the image (linux-headers-%s)",
                                                gu->image, want, want);
                        *ret = strdup(want);
                        return *ret ? 0 : -ENOMEM;
                }
        }
        if (!k)
                return log_fail(KPIN_EXIT_DKMS, -ENOENT, "%s: %s%s%s", gu->image,
                                want ? "no kernel " : "cannot tell which kernel GRUB boots",
                                want ? want : "", want ? " is installed in the image" : "; give --kernel");
        if (!k->headers)
                return log_fail(KPIN_EXIT_DKMS, -ENOENT,
                                "%s: the headers of %s are not installed in the image (linux-headers-%s)", gu->image,
                                k->release, k->release);
        *ret = strdup(k->release);
        return *ret ? 0 : -ENOMEM;
}

/* Finds the installed files of each built module of conf for kver and
 * checks their vermagic from their bytes: 1 all there and right, 0 some
 * missing, <0 error (a wrong vermagic is recorded as KPIN_EXIT_DKMS). */
static int verify_installed(Guest *gu, const DkmsConf *conf, const char *kver, DkmsBuilt *b) {
        _cleanup_(modsig_done) ModSig sig = {};
        static const char *const dirs[] = { "updates/dkms", "updates", "extra" };
        static const char *const exts[] = { ".ko", ".ko.xz", ".ko.zst", ".ko.gz" };
        _cleanup_strv_free_ char **files = NULL;
        _cleanup_free_ char *vermagic = NULL;
        KoCompression comp = KO_PLAIN;
        int r;

        STRV_FOREACH(m, conf->modules) {
                _cleanup_free_ char *found = NULL, *data = NULL;
                _cleanup_strv_free_ char **mi = NULL;
                void *elf = NULL;
                size_t len, elf_len;

                for (size_t d = 0; d < ELEMENTSOF(dirs) && !found; d++)
                        for (size_t e = 0; e < ELEMENTSOF(exts) && !found; e++) {
                                _cleanup_free_ char *p = strprintf("/lib/modules/%s/%s/%s%s", kver, dirs[d], *m, exts[e]);

                                if (!p)
                                        return -ENOMEM;
                                if (guest_is_file(gu, p))
                                        found = TAKE_PTR(p);
                        }
                if (!found)
                        return 0;
                r = guest_read_file_large(gu, found, MAX_MODULE, &data, &len);
                if (r < 0)
                        return log_fail(KPIN_EXIT_DKMS, r, "%s: cannot read %s in the guest: %m", gu->image, found);
                comp = ko_compression(data, len);
                r = ko_decompress(data, len, MAX_MODULE, &elf, &elf_len);
                if (r >= 0) {
                        r = ko_modinfo(elf, elf_len, &mi);
                        /* the signature is appended to the module before it is compressed */
                        if (r >= 0 && !sig.key_id && ko_signature(elf, elf_len, &sig) == -EBADMSG)
                                log_warning("%s: %s carries a signature kpin cannot read", gu->image, found);
                        free(elf);
                }
                if (r < 0)
                        return log_fail(KPIN_EXIT_DKMS, r, "%s: %s is not a readable kernel module: %m", gu->image, found);
                if (!ko_vermagic_matches(ko_modinfo_get(mi, "vermagic"), kver))
                        return log_fail(KPIN_EXIT_DKMS, -EBADMSG, "%s: %s has vermagic '%s', not %s", gu->image, found,
                                        ko_modinfo_get(mi, "vermagic") ? ko_modinfo_get(mi, "vermagic") : "(none)",
                                        kver);
                if (!vermagic && !(vermagic = strdup(ko_modinfo_get(mi, "vermagic"))))
                        return -ENOMEM;
                if ((r = strv_consume(&files, TAKE_PTR(found))) < 0)
                        return r;
        }
        strv_free(b->files);
        b->files = TAKE_PTR(files);
        free(b->vermagic);
        b->vermagic = TAKE_PTR(vermagic);
        free(b->compression);
        b->compression = strdup(ko_compression_to_string(comp));
        modsig_done(&b->signature);
        b->signature = sig;
        sig = (ModSig) {};
        return b->compression ? 1 : -ENOMEM;
}

/* The first compiler error of the module's make.log, if the log is about kver. */
void dkms_first_build_error(Guest *gu, const char *name, const char *version, const char *kver, char **ret_error,
                            char **ret_log) {
        _cleanup_free_ char *path = strprintf("/var/lib/dkms/%s/%s/build/make.log", name, version), *text = NULL,
                            *k = NULL;
        size_t len;

        *ret_error = NULL;
        *ret_log = NULL;
        if (!path || guest_read_file(gu, path, MAX_MAKE_LOG, &text, &len) < 0)
                return;
        if (dkms_makelog_kernel(text, len, &k) < 0 || strcmp(k, kver) != 0)
                return;
        (void) dkms_makelog_first_error(text, len, 2, ret_error);
        *ret_log = TAKE_PTR(path);
}

/* dkms VERB -m NAME -v VER -k KVER [--force]; on failure *ret_error is its
 * own error output */
int dkms_run(Guest *gu, const char *verb, const char *name, const char *version, const char *kver, bool force,
             char **ret_error) {
        char *argv[] = { "dkms", (char *) verb, "-m", (char *) name, "-v", (char *) version, "-k", (char *) kver,
                         force ? "--force" : NULL, NULL };
        _cleanup_free_ char *label = strcmp(verb, "build") == 0 ? strprintf("kpin-build %s/%s for %s", name, version, kver)
                                                                : NULL;

        /* a build takes minutes (half an hour for BeeGFS under TCG): its progress is streamed */
        return guest_run_stream(gu, argv, label, ret_error);
}

/* The module belongs in the initramfs: REMAKE_INITRD, or named in
 * /etc/initramfs-tools/modules. */
static bool wanted_in_initramfs(Guest *gu, const DkmsConf *conf) {
        _cleanup_free_ char *text = NULL;
        size_t len;

        if (conf->remake_initrd)
                return true;
        if (guest_read_file(gu, "/etc/initramfs-tools/modules", 1u << 20, &text, &len) < 0)
                return false;
        for (const char *l = text; *l;) {
                size_t n = strcspn(l, " \t\n#");

                STRV_FOREACH(m, conf->modules)
                        if (n == strlen(*m) && strncmp(l, *m, n) == 0)
                                return true;
                l += strcspn(l, "\n");
                if (*l)
                        l++;
        }
        return false;
}

static int build_one(Guest *gu, const char *name, const char *version, const char *kver, const DkmsRequest *req,
                     DkmsBuilt *b, bool *changed) {
        _cleanup_(dkms_conf_done) DkmsConf conf = {};
        _cleanup_free_ char *err = NULL, *error = NULL, *log = NULL, *key_text = NULL;
        const ModSig *want_signer = req->signer;
        double t0 = monotonic_s();
        char key[65] = "";
        int r;

        if (!(b->name = strdup(name)) || !(b->version = strdup(version)))
                return -ENOMEM;
        r = dkms_read_conf(gu, name, version, &conf);
        if (r < 0)
                return r;
        r = verify_installed(gu, &conf, kver, b);
        if (r < 0)
                return r;
        if (r > 0 && dkms_signed_by(&b->signature, want_signer)) {
                log_info("%s/%s is installed for %s and verified", name, version, kver);
                b->seconds = monotonic_s() - t0;
                return 0;
        }
        if (r > 0)
                log_info("%s/%s for %s is signed by %s, not the site's key: building it again", name, version, kver,
                         dkms_signer_name(&b->signature));
        if (req->build_cache) {
                _cleanup_free_ char *entry = NULL, *why = NULL;

                r = dkms_cache_key(gu, name, version, kver, req, key, &key_text);
                if (r < 0)
                        return r;
                b->cache_key = strdup(key);
                if (!b->cache_key)
                        return -ENOMEM;
                r = build_cache_lookup(req->build_cache, key, &entry);
                if (r < 0 && r != -ENOENT)
                        return r;
                if (r >= 0) {
                        r = dkms_cache_install(gu, entry, name, version, kver, req, &why);
                        if (r < 0)
                                return r;
                        if (r == 0) {
                                log_info("%s/%s for %s: from the build cache (%.12s)", name, version, kver, key);
                                b->cache = "hit";
                                goto installed;
                        }
                        /* never trusted blindly: reported, put aside, built anew */
                        log_warning("%s: the build cache entry %.12s for %s/%s is refused: %s; building it", req->build_cache,
                                    key, name, version, why ? why : "?");
                        b->cache = "refused";
                        b->cache_note = TAKE_PTR(why);
                        (void) build_cache_evict(req->build_cache, key);
                } else
                        b->cache = "miss";
        }
        log_info("building %s/%s for %s", name, version, kver);
        r = dkms_run(gu, "build", name, version, kver, true, &err);
        if (r < 0) {
                _cleanup_free_ char *why = NULL;

                dkms_first_build_error(gu, name, version, kver, &error, &log);
                why = first_line(error);
                if (why)
                        return log_fail(KPIN_EXIT_DKMS, r, "%s: %s/%s does not build for %s: %s (log: %s in the image)",
                                        gu->image, name, version, kver, why, log);
                why = dkms_error_line(err);
                return log_fail(KPIN_EXIT_DKMS, r, "%s: dkms build %s/%s for %s failed: %s", gu->image, name, version,
                                kver, why);
        }
        err = mfree(err);
        r = dkms_run(gu, "install", name, version, kver, true, &err);
        if (r < 0) {
                _cleanup_free_ char *why = dkms_error_line(err);

                return log_fail(KPIN_EXIT_DKMS, r, "%s: dkms install %s/%s for %s failed: %s", gu->image, name,
                                version, kver, why);
        }
        if (req->build_cache) {
                r = dkms_cache_store(gu, req->build_cache, key, key_text, name, version, kver);
                if (r < 0)
                        return r;
                log_info("%s/%s for %s: stored in the build cache (%.12s)%s", name, version, kver, key,
                         r > 0 ? ", where another run had put it already" : "");
        }
installed:
        *changed = true;
        b->built_now = !b->cache || strcmp(b->cache, "hit") != 0;
        r = verify_installed(gu, &conf, kver, b);
        if (r < 0)
                return r;
        if (r == 0)
                return log_fail(KPIN_EXIT_DKMS, -ENOENT,
                                "%s: dkms installed %s/%s for %s, but its module files are not under /lib/modules/%s",
                                gu->image, name, version, kver, kver);
        if (!dkms_signed_by(&b->signature, want_signer))
                return log_fail(KPIN_EXIT_DKMS, -EBADMSG,
                                "%s: %s/%s for %s is signed by '%s' (key %s), not with the site's key '%s' (key %s)",
                                gu->image, name, version, kver, dkms_signer_name(&b->signature),
                                b->signature.key_id ? b->signature.key_id : "-", want_signer->signer, want_signer->key_id);
        {
                char *argv[] = { "depmod", "-a", (char *) kver, NULL };

                r = guest_run_checked(gu, argv, NULL, KPIN_EXIT_DKMS, "Error! ", "depmod");
                if (r < 0)
                        return r;
        }
        if (wanted_in_initramfs(gu, &conf)) {
                char *argv[] = { "update-initramfs", "-u", "-k", (char *) kver, NULL };

                log_info("regenerating the initramfs of %s", kver);
                r = guest_run_stream_checked(gu, argv, NULL, NULL, KPIN_EXIT_DKMS, "Error! ", "update-initramfs");
                if (r < 0)
                        return r;
                b->initramfs = true;
        }
        b->seconds = monotonic_s() - t0;
        return 0;
}

/* The modules a request names, each with its version: the build option
 * files copied in first, the --source module added (then > 0), the named
 * ones, and with all every other registered module DKMS builds for a new
 * kernel. */
static int collect_modules(Guest *gu, const GuestState *st, const DkmsRequest *req, bool all, char ***names,
                           char ***versions) {
        bool added = false;
        int r;

        STRV_FOREACH(c, req->build_configs)
                if ((r = dkms_copy_build_config(gu, *c)) < 0)
                        return r;
        if (req->source) {
                _cleanup_free_ char *n = NULL, *v = NULL;

                r = endswith(req->source, ".deb") ? dkms_add_source_deb(gu, req->source, &n, &v)
                                                  : dkms_add_source_dir(gu, req->source, &n, &v);
                if (r < 0)
                        return r;
                added = true;
                if ((r = strv_consume(names, TAKE_PTR(n))) < 0 || (r = strv_consume(versions, TAKE_PTR(v))) < 0)
                        return r;
        }
        STRV_FOREACH(m, req->modules) {
                _cleanup_free_ char *n = NULL, *v = NULL;
                const char *slash = strchr(*m, '/');

                /* the module --source just added */
                if (*names && strncmp(*m, (*names)[0], slash ? (size_t) (slash - *m) : strlen(*m)) == 0 &&
                    strlen((*names)[0]) == (slash ? (size_t) (slash - *m) : strlen(*m)))
                        continue;
                r = dkms_resolve_module(gu, *m, &n, &v);
                if (r < 0)
                        return r;
                if ((r = strv_consume(names, TAKE_PTR(n))) < 0 || (r = strv_consume(versions, TAKE_PTR(v))) < 0)
                        return r;
        }
        /* the modules the kernel's hook would have built */
        for (size_t i = 0; all && i < st->n_dkms; i++) {
                _cleanup_(dkms_conf_done) DkmsConf conf = {};

                if (strv_contains(*names, st->dkms[i].name))
                        continue;
                r = dkms_read_conf(gu, st->dkms[i].name, st->dkms[i].version, &conf);
                if (r < 0)
                        return r;
                if (!conf.autoinstall)
                        continue;
                if ((r = strv_extend(names, st->dkms[i].name)) < 0 || (r = strv_extend(versions, st->dkms[i].version)) < 0)
                        return r;
        }
        return added;
}

int dkms_step(Guest *gu, const GuestState *st, const DkmsRequest *req, DkmsResult *ret) {
        _cleanup_(dkms_result_done) DkmsResult res = {};
        _cleanup_strv_free_ char **names = NULL, **versions = NULL;
        int r;

        r = resolve_kernel(gu, st, req->kernel, &res.kernel);
        if (r < 0)
                return r;
        r = collect_modules(gu, st, req, req->autoinstall_all, &names, &versions);
        if (r < 0)
                return r;
        res.changed = r > 0;
        if (!names)
                return log_fail(KPIN_EXIT_USAGE, -EINVAL, "dkms: give --module NAME[/VER] or --source DIR|FILE.deb");
        res.modules = calloc(strv_length(names), sizeof(DkmsBuilt));
        if (!res.modules)
                return -ENOMEM;
        for (size_t i = 0; names[i]; i++) {
                res.n_modules++;
                r = build_one(gu, names[i], versions[i], res.kernel, req, &res.modules[i], &res.changed);
                if (r < 0)
                        return r;
        }
        *ret = res;
        res = (DkmsResult) {};
        return 0;
}

/* The kernel module a file holds: /lib/modules/K/updates/dkms/canary.ko.xz
 * is canary. */
static char *module_of_file(const char *path) {
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path, *ko = strstr(base, ".ko");

        return ko ? strndup(base, ko - base) : strdup(base);
}

static int forecast_one(Guest *gu, const char *name, const char *version, const char *kver, const DkmsRequest *req,
                        DkmsCell *c) {
        _cleanup_(dkms_result_done) DkmsResult one = { .n_modules = 1 };
        bool changed = false;
        double t0 = monotonic_s();
        int r;

        if (!(c->name = strdup(name)) || !(c->version = strdup(version)) || !(c->kernel = strdup(kver)) ||
            !(one.modules = calloc(1, sizeof(DkmsBuilt))))
                return -ENOMEM;
        progress_begin("forecast");
        {
                _cleanup_free_ char *what = strprintf("building %s/%s for %s", name, version, kver);

                progress_update(what);
        }
        r = build_one(gu, name, version, kver, req, &one.modules[0], &changed);
        progress_end();
        c->seconds = monotonic_s() - t0;
        if (r < 0 && log_failure_exit_code() != KPIN_EXIT_DKMS)
                return r;
        c->built = r >= 0;
        c->cached = one.modules[0].cache && strcmp(one.modules[0].cache, "hit") == 0;
        if (r < 0) {
                dkms_first_build_error(gu, name, version, kver, &c->error, &c->log);
                if (!c->error) {
                        const char *m = log_failure_message() ?: "?", *colon = strstr(m, kver);

                        /* "IMAGE: dkms install N/V for KVER failed: why": the why */
                        colon = colon ? strstr(colon, ": ") : NULL;
                        c->error = strdup(colon ? colon + 2 : m);
                }
                log_reset_failure();
                if (!c->error)
                        return -ENOMEM;
                {
                        /* one line, its path in the build tree left out */
                        _cleanup_free_ char *tree = strprintf("/var/lib/dkms/%s/%s/build/", name, version);
                        char *line = first_line(c->error);

                        if (!tree || !line)
                                return free(line), -ENOMEM;
                        free(c->error);
                        c->error = startswith(line, tree) ? strdup(line + strlen(tree)) : strdup(line);
                        free(line);
                        return c->error ? 0 : -ENOMEM;
                }
        }
        STRV_FOREACH(f, one.modules[0].files)
                if ((r = strv_consume(&c->modules, module_of_file(*f))) < 0)
                        return r;
        return 0;
}

int dkms_forecast(Guest *gu, const GuestState *st, const DkmsRequest *req, const char *kver, DkmsCell **ret,
                  size_t *ret_n) {
        _cleanup_strv_free_ char **names = NULL, **versions = NULL;
        DkmsCell *cells = NULL;
        size_t n = 0;
        int r;

        /* none named: every module DKMS would build for the new kernel */
        r = collect_modules(gu, st, req, !req->source && !req->modules, &names, &versions);
        if (r < 0)
                return r;
        if (names) {
                cells = calloc(strv_length(names), sizeof(DkmsCell));
                if (!cells)
                        return -ENOMEM;
        }
        for (size_t i = 0; names && names[i]; i++) {
                r = forecast_one(gu, names[i], versions[i], kver, req, &cells[n++]);
                if (r < 0) {
                        dkms_cells_free(cells, n);
                        return r;
                }
        }
        *ret = cells;
        *ret_n = n;
        return 0;
}
