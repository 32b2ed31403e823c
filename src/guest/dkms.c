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
#include "dkms.h"
#include "shared/cleanup.h"
#include "shared/clock.h"
#include "shared/log.h"
#include "shared/strbuf.h"
#include "shared/spawn.h"
#include "shared/strv.h"
#include "shared/unaligned.h"

#define MAX_DKMS_CONF (256u * 1024)
#define MAX_MAKE_LOG (4u * 1024 * 1024)
#define MAX_MODULE (256u * 1024 * 1024)
#define MAX_BUILD_CONFIG (1u * 1024 * 1024)

static char *first_line(const char *s) {
        return s ? strndup(s, strcspn(s, "\n")) : NULL;
}

static char *error_line(const char *err) {
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

void dkms_cells_free(DkmsCell *c, size_t n) {
        for (size_t i = 0; c && i < n; i++) {
                free(c[i].name);
                free(c[i].version);
                free(c[i].kernel);
                free(c[i].error);
                free(c[i].log);
        }
        free(c);
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

static int read_conf(Guest *gu, const char *name, const char *version, DkmsConf *ret) {
        _cleanup_free_ char *path = strprintf("/usr/src/%s-%s/dkms.conf", name, version), *text = NULL;
        size_t len;
        int r;

        if (!path)
                return -ENOMEM;
        r = guest_read_file(gu, path, MAX_DKMS_CONF, &text, &len);
        if (r < 0)
                return log_fail(KPIN_EXIT_DKMS, r, "%s: cannot read %s in the guest: %m", gu->image, path);
        r = dkms_conf_parse(text, len, ret);
        if (r < 0)
                return log_fail(KPIN_EXIT_DKMS, r, "%s: %s has no valid PACKAGE_NAME/PACKAGE_VERSION", gu->image, path);
        return 0;
}

/* NAME or NAME/VER of a module registered in the guest: VER defaults to
 * the newest registered version. */
static int resolve_module(Guest *gu, const char *spec, char **ret_name, char **ret_version) {
        _cleanup_free_ char *name = NULL, *version = NULL, *dir = NULL;
        _cleanup_strv_free_ char **versions = NULL;
        const char *slash = strchr(spec, '/');

        name = slash ? strndup(spec, slash - spec) : strdup(spec);
        if (!name)
                return -ENOMEM;
        if (!dkms_name_valid(name) || (slash && !dkms_name_valid(slash + 1)))
                return log_fail(KPIN_EXIT_USAGE, -EINVAL, "--module %s: not a DKMS module name[/version]", spec);
        dir = strprintf("/var/lib/dkms/%s", name);
        if (!dir)
                return -ENOMEM;
        if (slash)
                version = strdup(slash + 1);
        else if (guest_list_dir(gu, dir, 1000, &versions) >= 0)
                STRV_FOREACH(v, versions) {
                        _cleanup_free_ char *p = strprintf("%s/%s", dir, *v);

                        if (!p)
                                return -ENOMEM;
                        if (!dkms_name_valid(*v) || startswith(*v, "kernel-") || !guest_is_dir(gu, p))
                                continue;
                        if (!version || dpkg_version_compare(*v, version) > 0) {
                                free(version);
                                version = strdup(*v);
                                if (!version)
                                        return -ENOMEM;
                        }
                }
        if (!version)
                return log_fail(KPIN_EXIT_DKMS, -ENOENT, "%s: no DKMS module %s is registered in the image%s",
                                gu->image, name, slash ? "" : " (give --source DIR|FILE.deb)");
        {
                _cleanup_free_ char *vdir = strprintf("%s/%s", dir, version);

                if (!vdir)
                        return -ENOMEM;
                if (!guest_is_dir(gu, vdir))
                        return log_fail(KPIN_EXIT_DKMS, -ENOENT, "%s: DKMS module %s/%s is not registered in the image",
                                        gu->image, name, version);
        }
        *ret_name = TAKE_PTR(name);
        *ret_version = TAKE_PTR(version);
        return 0;
}

/* --build-config HOSTFILE[=GUESTPATH]: GUESTPATH defaults to HOSTFILE's own
 * absolute path. */
static int copy_build_config(Guest *gu, const char *spec) {
        _cleanup_free_ char *host = NULL, *text = NULL, *dir = NULL;
        const char *eq = strchr(spec, '='), *dest;
        size_t len = 0;
        FILE *f;
        int r;

        host = eq ? strndup(spec, eq - spec) : strdup(spec);
        if (!host)
                return -ENOMEM;
        dest = eq ? eq + 1 : host;
        if (dest[0] != '/' || strstr(dest, "/../") || endswith(dest, "/..") || endswith(dest, "/"))
                return log_fail(KPIN_EXIT_USAGE, -EINVAL,
                                "--build-config %s: the guest path must be absolute (FILE=/etc/... or an absolute FILE)", spec);
        f = fopen(host, "re");
        if (!f)
                return log_fail(KPIN_EXIT_USAGE, -errno, "%s: %m", host);
        text = malloc(MAX_BUILD_CONFIG + 1);
        if (text)
                len = fread(text, 1, MAX_BUILD_CONFIG + 1, f);
        r = ferror(f) ? -EIO : 0;
        fclose(f);
        if (!text)
                return -ENOMEM;
        if (r < 0 || len > MAX_BUILD_CONFIG)
                return log_fail(KPIN_EXIT_USAGE, r < 0 ? r : -EFBIG, "%s: %s", host,
                                r < 0 ? "cannot read it" : "larger than 1 MiB; not a build options file");
        dir = strndup(dest, strrchr(dest, '/') - dest);
        if (!dir)
                return -ENOMEM;
        if ((*dir && guestfs_mkdir_p(gu->g, dir) < 0) || guest_write_file(gu, dest, text, len) < 0)
                return log_fail(KPIN_EXIT_FAILURE, -EIO, "%s: cannot write %s in the guest: %s", gu->image, dest,
                                guest_last_error(gu));
        log_info("copied %s to %s in the guest", host, dest);
        return 0;
}

/* A host directory holding a dkms.conf: copied to /usr/src/NAME-VER and
 * added (replacing an earlier registration of the same version). */
static int add_source_dir(Guest *gu, const char *src, char **ret_name, char **ret_version) {
        _cleanup_free_ char *conf_path = strprintf("%s/dkms.conf", src), *text = NULL, *out = NULL, *dest = NULL,
                            *spec = NULL, *err = NULL;
        _cleanup_(dkms_conf_done) DkmsConf conf = {};
        _cleanup_free_ char *tar = strprintf("%s/kpin-src-XXXXXX", host_tmpdir());
        _cleanup_close_ int fd = -1;
        FILE *f;
        size_t len;
        int r;

        if (!conf_path)
                return -ENOMEM;
        f = fopen(conf_path, "re");
        if (!f)
                return log_fail(KPIN_EXIT_USAGE, -errno, "%s: %m", conf_path);
        text = malloc(MAX_DKMS_CONF + 1);
        len = text ? fread(text, 1, MAX_DKMS_CONF, f) : 0;
        fclose(f);
        if (!text)
                return -ENOMEM;
        r = dkms_conf_parse(text, len, &conf);
        if (r < 0)
                return log_fail(KPIN_EXIT_USAGE, r, "%s: no valid PACKAGE_NAME/PACKAGE_VERSION", conf_path);

        if (!tar)
                return -ENOMEM;
        fd = mkostemp(tar, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        {
                char *argv[] = { "tar", "--no-same-owner", "--owner=0", "--group=0", "-C", (char *) src, "-cf",
                                 tar, ".", NULL };

                r = spawn_run(argv, 4096, &out);
        }
        if (r != 0) {
                unlink(tar);
                return log_fail(KPIN_EXIT_USAGE, -EIO, "%s: cannot pack the module source: %s", src,
                                out && *out ? out : "tar failed");
        }
        dest = strprintf("/usr/src/%s-%s", conf.name, conf.version);
        spec = strprintf("%s/%s", conf.name, conf.version);
        if (!dest || !spec) {
                unlink(tar);
                return -ENOMEM;
        }
        {
                _cleanup_free_ char *reg = strprintf("/var/lib/dkms/%s/%s", conf.name, conf.version);

                if (reg && guest_is_dir(gu, reg)) {
                        char *argv[] = { "dkms", "remove", spec, "--all", NULL };

                        log_info("replacing the registered %s", spec);
                        (void) guest_run(gu, argv, NULL, NULL);
                }
        }
        (void) guestfs_rm_rf(gu->g, dest);
        r = guestfs_mkdir_p(gu->g, dest) < 0 || guestfs_tar_in(gu->g, tar, dest) < 0 ? -EIO : 0;
        unlink(tar);
        if (r < 0)
                return log_fail(KPIN_EXIT_FAILURE, r, "%s: copying %s to %s in the guest failed: %s", gu->image, src,
                                dest, guest_last_error(gu));
        {
                char *argv[] = { "dkms", "add", "-m", conf.name, "-v", conf.version, NULL };
                _cleanup_free_ char *what = strprintf("dkms add %s", spec);

                if (!what)
                        return -ENOMEM;
                r = guest_run_checked(gu, argv, NULL, KPIN_EXIT_DKMS, "Error! ", what);
                if (r < 0)
                        return r;
        }
        *ret_name = TAKE_PTR(conf.name);
        *ret_version = TAKE_PTR(conf.version);
        return 0;
}

/* A *-dkms .deb: installed without Recommends; the module is the
 * /usr/src/NAME-VER/dkms.conf it ships. */
static int add_source_deb(Guest *gu, const char *deb, char **ret_name, char **ret_version) {
        _cleanup_free_ char *list = NULL, *err = NULL, *dir = NULL;
        _cleanup_(dkms_conf_done) DkmsConf conf = {};
        char *files[] = { (char *) deb, NULL };
        int r;

        {
                char *argv[] = { "dpkg-deb", "-c", (char *) deb, NULL };

                r = spawn_run(argv, 4u << 20, &list);
        }
        if (r != 0)
                return log_fail(KPIN_EXIT_USAGE, -EINVAL, "%s: not a Debian package", deb);
        /* "... ./usr/src/NAME-VER/dkms.conf" */
        for (const char *l = list; l && *l;) {
                const char *eol = strchrnul(l, '\n'), *p = memmem(l, eol - l, " ./usr/src/", 11);

                if (p && eol - p > 11 + 10 && memcmp(eol - 10, "/dkms.conf", 10) == 0) {
                        p += strlen(" ./usr/src/");
                        if (!memchr(p, '/', eol - 10 - p)) {
                                dir = strndup(p, eol - 10 - p);
                                break;
                        }
                }
                l = *eol ? eol + 1 : eol;
        }
        if (!dir)
                return log_fail(KPIN_EXIT_USAGE, -EINVAL, "%s: ships no /usr/src/NAME-VERSION/dkms.conf; not a DKMS package", deb);
        log_info("installing %s in the guest", deb);
        r = apt_install_debs(gu, files, &err);
        if (r == -EIO) {
                _cleanup_free_ char *why = NULL;
                const char *e = err ? strstr(err, "E: ") : NULL;

                why = guest_error_line(e ? e : err, "E: ");
                return log_fail(KPIN_EXIT_DKMS, r, "%s: installing %s failed in the guest: %s", gu->image, deb, why);
        }
        if (r < 0)
                return r;
        {
                _cleanup_free_ char *path = strprintf("/usr/src/%s/dkms.conf", dir), *text = NULL;
                size_t len;

                if (!path)
                        return -ENOMEM;
                r = guest_read_file(gu, path, MAX_DKMS_CONF, &text, &len);
                if (r >= 0)
                        r = dkms_conf_parse(text, len, &conf);
                if (r < 0)
                        return log_fail(KPIN_EXIT_DKMS, r, "%s: %s from %s is not a usable dkms.conf", gu->image, path, deb);
        }
        {
                /* a package whose postinst does not add the module */
                _cleanup_free_ char *reg = strprintf("/var/lib/dkms/%s/%s", conf.name, conf.version);

                if (!reg)
                        return -ENOMEM;
                if (!guest_is_dir(gu, reg)) {
                        char *argv[] = { "dkms", "add", "-m", conf.name, "-v", conf.version, NULL };
                        _cleanup_free_ char *what = strprintf("dkms add %s/%s", conf.name, conf.version);

                        if (!what)
                                return -ENOMEM;
                        r = guest_run_checked(gu, argv, NULL, KPIN_EXIT_DKMS, "Error! ", what);
                        if (r < 0)
                                return r;
                }
        }
        *ret_name = TAKE_PTR(conf.name);
        *ret_version = TAKE_PTR(conf.version);
        return 0;
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
static void first_build_error(Guest *gu, const char *name, const char *version, const char *kver, char **ret_error,
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
static int run_dkms(Guest *gu, const char *verb, const char *name, const char *version, const char *kver, bool force,
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

static bool signed_by(const ModSig *have, const ModSig *want) {
        return !want || (have->key_id && strcmp(have->key_id, want->key_id) == 0 && strcmp(have->signer, want->signer) == 0);
}

static const char *signer_name(const ModSig *s) {
        return s->key_id ? s->signer : "nobody (unsigned)";
}

#define MAX_KEY_INPUT (4u << 20)

static void hash_text(Sha256 *s, StrBuf *text, const char *line) {
        sha256_update(s, line, strlen(line));
        (void) strbuf_puts(text, line);
}

/* The build cache's key: every input that decides the built module, as
 * text (kept in the entry) and its sha256. */
static int cache_key(Guest *gu, const char *name, const char *version, const char *kver, const DkmsRequest *req,
                     char key[static 65], char **ret_text) {
        static const char script[] = "cd \"$1\" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum";
        _cleanup_(dpkg_status_freep) DpkgStatus *st = NULL;
        _cleanup_(strbuf_done) StrBuf text = {};
        _cleanup_free_ char *src = strprintf("/usr/src/%s-%s", name, version), *sums = NULL, *line = NULL;
        char *argv[] = { "/bin/sh", "-c", (char *) script, "sh", src, NULL };
        Sha256 s;
        int r;

        if (!src)
                return -ENOMEM;
        r = guest_run_checked(gu, argv, &sums, KPIN_EXIT_DKMS, NULL, "hashing the module's source");
        if (r < 0)
                return r;
        if (strlen(sums) > MAX_KEY_INPUT)
                return log_fail(KPIN_EXIT_DKMS, -EFBIG, "%s: %s holds too many files to cache", gu->image, src);
        r = guest_dpkg_status(gu, &st);
        if (r < 0)
                return r;
        sha256_init(&s);
        line = strprintf("kpin build cache 1\nmodule %s/%s\narch %s\nkernel %s\n", name, version, gu->os.arch, kver);
        if (!line)
                return -ENOMEM;
        hash_text(&s, &text, line);
        /* the kernel's headers and the compilers that build against them */
        for (size_t i = 0; i < st->n; i++) {
                const DpkgPackage *p = &st->pkgs[i];
                _cleanup_free_ char *hdr = strprintf("linux-headers-%s", kver), *l = NULL;

                if (!hdr)
                        return -ENOMEM;
                if (!dpkg_installed(p))
                        continue;
                if (strcmp(p->name, hdr) != 0 && !startswith(p->name, "linux-compiler-") && strcmp(p->name, "binutils") != 0 &&
                    !((startswith(p->name, "gcc-") || startswith(p->name, "cpp-") || startswith(p->name, "clang-")) &&
                      strspn(p->name + strcspn(p->name, "-") + 1, "0123456789") == strlen(p->name + strcspn(p->name, "-") + 1)))
                        continue;
                l = strprintf("package %s %s\n", p->name, p->version ? p->version : "");
                if (!l)
                        return -ENOMEM;
                hash_text(&s, &text, l);
        }
        hash_text(&s, &text, "source\n");
        hash_text(&s, &text, sums);
        STRV_FOREACH(c, req->build_configs) {
                _cleanup_free_ char *host = strndup(*c, strcspn(*c, "=")), *data = NULL, *l = NULL;
                const char *eq = strchr(*c, '=');
                char hex[65];
                Sha256 f;
                FILE *fp;
                size_t n;

                if (!host)
                        return -ENOMEM;
                fp = fopen(host, "re");
                data = malloc(1u << 20);
                n = fp && data ? fread(data, 1, 1u << 20, fp) : 0;
                if (fp)
                        fclose(fp);
                sha256_init(&f);
                sha256_update(&f, data ? data : "", n);
                sha256_hex(&f, hex);
                l = strprintf("build-config %s %s\n", eq ? eq + 1 : host, hex);
                if (!l)
                        return -ENOMEM;
                hash_text(&s, &text, l);
        }
        sha256_hex(&s, key);
        if (!text.s)
                return -ENOMEM;
        *ret_text = strbuf_steal(&text);
        return *ret_text ? 0 : -ENOMEM;
}

/* Where DKMS keeps what it built for kver. */
static char *built_dir(Guest *gu, const char *name, const char *version, const char *kver) {
        return strprintf("/var/lib/dkms/%s/%s/%s/%s/module", name, version, kver, gu->os.arch);
}

/* Whom the guest's DKMS signs with: the site's key, else its own mok.pub
 * (NULL, empty: nobody). */
static int guest_signer(Guest *gu, const DkmsRequest *req, ModSig *ret) {
        _cleanup_free_ char *der = NULL;
        size_t len;

        if (req->signer)
                return (ret->signer = strdup(req->signer->signer)) && (ret->key_id = strdup(req->signer->key_id)) ? 0 : -ENOMEM;
        if (guest_read_file(gu, "/var/lib/dkms/mok.pub", 64 * 1024, &der, &len) < 0)
                return 0;
        (void) x509_signer(der, len, ret);
        return 0;
}

/* Signs a module file in the guest as DKMS would: the kernel's sign-file,
 * its CONFIG_MODULE_SIG_HASH, the site's key or DKMS's own. */
static int sign_in_guest(Guest *gu, const DkmsRequest *req, const char *kver, const char *path) {
        _cleanup_free_ char *config = strprintf("/lib/modules/%s/build/.config", kver), *text = NULL, *hash = NULL;
        _cleanup_free_ char *kbuild = NULL, *sign_file = NULL;
        unsigned major = 0, minor = 0;
        size_t len;

        if (!config)
                return -ENOMEM;
        if (guest_read_file(gu, config, 2u << 20, &text, &len) < 0)
                return -ENOENT;
        {
                const char *h = strstr(text, "\nCONFIG_MODULE_SIG_HASH=\"");

                if (!h)
                        return -ENOENT; /* the kernel does not sign modules */
                h += strlen("\nCONFIG_MODULE_SIG_HASH=\"");
                hash = strndup(h, strcspn(h, "\"\n"));
        }
        if (!hash || !dkms_name_valid(hash))
                return hash ? -EBADMSG : -ENOMEM;
        (void) sscanf(kver, "%u.%u", &major, &minor);
        kbuild = strprintf("/usr/lib/linux-kbuild-%u.%u/scripts/sign-file", major, minor);
        if (kbuild && guest_is_file(gu, kbuild))
                sign_file = TAKE_PTR(kbuild);
        else
                sign_file = strprintf("/lib/modules/%s/build/scripts/sign-file", kver);
        if (!sign_file)
                return -ENOMEM;
        {
                char *argv[] = { sign_file, hash, (char *) (req->sign_key ? req->sign_key : "/var/lib/dkms/mok.key"),
                                 (char *) (req->sign_cert ? req->sign_cert : "/var/lib/dkms/mok.pub"), (char *) path, NULL };

                return guest_run_checked(gu, argv, NULL, KPIN_EXIT_DKMS, NULL, "signing the cached module");
        }
}

/* A cache entry into the guest's DKMS tree as if DKMS had built it, then
 * `dkms install`: 1 if the entry is refused (its bytes are not for kver,
 * or carry a signature the guest cannot replace), *ret_why saying why. */
static int cache_install(Guest *gu, const char *entry, const char *name, const char *version, const char *kver,
                         const DkmsRequest *req, char **ret_why) {
        _cleanup_strv_free_ char **files = NULL;
        _cleanup_(modsig_done) ModSig want = {};
        _cleanup_free_ char *dir = built_dir(gu, name, version, kver);
        _cleanup_(closedirp) DIR *d = opendir(entry);
        struct dirent *de;
        int r;

        if (!dir || !d)
                return dir ? log_fail(KPIN_EXIT_ENVIRONMENT, -errno, "%s: %m", entry) : -ENOMEM;
        while ((de = readdir(d)))
                if (strstr(de->d_name, ".ko") && (r = strv_extend(&files, de->d_name)) < 0)
                        return r;
        if (!files) {
                *ret_why = strdup("it holds no module");
                return 1;
        }
        r = guest_signer(gu, req, &want);
        if (r < 0)
                return r;
        if (guestfs_mkdir_p(gu->g, dir) < 0)
                return log_fail(KPIN_EXIT_FAILURE, -EIO, "%s: %s: %s", gu->image, dir, guest_last_error(gu));
        STRV_FOREACH(f, files) {
                _cleanup_free_ char *host = strprintf("%s/%s", entry, *f), *data = NULL, *dest = strprintf("%s/%s", dir, *f);
                _cleanup_strv_free_ char **mi = NULL;
                _cleanup_(modsig_done) ModSig sig = {};
                _cleanup_close_ int fd = -1;
                void *elf = NULL;
                size_t len = 0, elf_len = 0;
                bool resign;

                if (!host || !dest)
                        return -ENOMEM;
                {
                        FILE *fp = fopen(host, "re");

                        data = malloc(MAX_MODULE);
                        len = fp && data ? fread(data, 1, MAX_MODULE, fp) : 0;
                        if (fp)
                                fclose(fp);
                }
                if (!data || len == 0 || ko_decompress(data, len, MAX_MODULE, &elf, &elf_len) < 0) {
                        free(elf);
                        *ret_why = strprintf("%s is not a readable kernel module", *f);
                        return 1;
                }
                r = ko_modinfo(elf, elf_len, &mi);
                if (r >= 0)
                        (void) ko_signature(elf, elf_len, &sig);
                free(elf);
                if (r < 0 || !ko_vermagic_matches(ko_modinfo_get(mi, "vermagic"), kver)) {
                        *ret_why = strprintf("%s has vermagic '%s', not %s", *f,
                                             r >= 0 && ko_modinfo_get(mi, "vermagic") ? ko_modinfo_get(mi, "vermagic") : "(none)", kver);
                        return 1;
                }
                resign = want.key_id && !signed_by(&sig, &want);
                if (resign && ko_compression(data, len) != KO_PLAIN) {
                        *ret_why = strprintf("%s is signed by '%s' and compressed: not re-signed", *f, signer_name(&sig));
                        return 1;
                }
                /* another key's signature comes off; the guest's key signs it below */
                if (resign && sig.key_id) {
                        const unsigned char *t = (const unsigned char *) data + len - 28 - 12;
                        size_t sig_len = unaligned_be32(t + 8);

                        len -= 28 + 12 + sig_len;
                }
                r = guest_write_file(gu, dest, data, len);
                if (r < 0)
                        return log_fail(KPIN_EXIT_FAILURE, r, "%s: cannot write %s: %s", gu->image, dest, guest_last_error(gu));
                if (resign && (r = sign_in_guest(gu, req, kver, dest)) < 0 && r != -ENOENT)
                        return r;
        }
        {
                char *argv[] = { "dkms", "install", "-m", (char *) name, "-v", (char *) version, "-k", (char *) kver, NULL };

                return guest_run_stream_checked(gu, argv, NULL, NULL, KPIN_EXIT_DKMS, "Error! ", "dkms install of the cached module");
        }
}

/* After a build: the module files into the cache under key. */
static int cache_store(Guest *gu, const char *cache, const char *key, const char *key_text, const char *name,
                       const char *version, const char *kver) {
        _cleanup_free_ char *dir = built_dir(gu, name, version, kver), *tmp = strprintf("%s/kpin-cache-XXXXXX", host_tmpdir());
        _cleanup_strv_free_ char **files = NULL, **host = NULL;
        int r;

        if (!dir || !tmp)
                return -ENOMEM;
        if (guest_list_dir(gu, dir, 100, &files) < 0)
                return log_fail(KPIN_EXIT_DKMS, -ENOENT, "%s: %s: nothing to store in the build cache", gu->image, dir);
        if (!mkdtemp(tmp))
                return log_fail(KPIN_EXIT_ENVIRONMENT, -errno, "cannot create a directory for the build cache: %m");
        STRV_FOREACH(f, files) {
                _cleanup_free_ char *from = strprintf("%s/%s", dir, *f), *to = strprintf("%s/%s", tmp, *f);

                if (!from || !to || !dkms_name_valid(*f)) {
                        r = from && to ? -EBADMSG : -ENOMEM;
                        goto out;
                }
                if (guestfs_download(gu->g, from, to) < 0) {
                        r = log_fail(KPIN_EXIT_FAILURE, -EIO, "%s: cannot read %s: %s", gu->image, from, guest_last_error(gu));
                        goto out;
                }
                if ((r = strv_extend(&host, to)) < 0)
                        goto out;
        }
        r = build_cache_store(cache, key, key_text, host);
out:
        STRV_FOREACH(h, host)
                (void) unlink(*h);
        (void) rmdir(tmp);
        return r;
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
        r = read_conf(gu, name, version, &conf);
        if (r < 0)
                return r;
        r = verify_installed(gu, &conf, kver, b);
        if (r < 0)
                return r;
        if (r > 0 && signed_by(&b->signature, want_signer)) {
                log_info("%s/%s is installed for %s and verified", name, version, kver);
                b->seconds = monotonic_s() - t0;
                return 0;
        }
        if (r > 0)
                log_info("%s/%s for %s is signed by %s, not the site's key: building it again", name, version, kver,
                         signer_name(&b->signature));
        if (req->build_cache) {
                _cleanup_free_ char *entry = NULL, *why = NULL;

                r = cache_key(gu, name, version, kver, req, key, &key_text);
                if (r < 0)
                        return r;
                b->cache_key = strdup(key);
                if (!b->cache_key)
                        return -ENOMEM;
                r = build_cache_lookup(req->build_cache, key, &entry);
                if (r < 0 && r != -ENOENT)
                        return r;
                if (r >= 0) {
                        r = cache_install(gu, entry, name, version, kver, req, &why);
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
        r = run_dkms(gu, "build", name, version, kver, true, &err);
        if (r < 0) {
                _cleanup_free_ char *why = NULL;

                first_build_error(gu, name, version, kver, &error, &log);
                why = first_line(error);
                if (why)
                        return log_fail(KPIN_EXIT_DKMS, r, "%s: %s/%s does not build for %s: %s (log: %s in the image)",
                                        gu->image, name, version, kver, why, log);
                why = error_line(err);
                return log_fail(KPIN_EXIT_DKMS, r, "%s: dkms build %s/%s for %s failed: %s", gu->image, name, version,
                                kver, why);
        }
        err = mfree(err);
        r = run_dkms(gu, "install", name, version, kver, true, &err);
        if (r < 0) {
                _cleanup_free_ char *why = error_line(err);

                return log_fail(KPIN_EXIT_DKMS, r, "%s: dkms install %s/%s for %s failed: %s", gu->image, name,
                                version, kver, why);
        }
        if (req->build_cache) {
                r = cache_store(gu, req->build_cache, key, key_text, name, version, kver);
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
        if (!signed_by(&b->signature, want_signer))
                return log_fail(KPIN_EXIT_DKMS, -EBADMSG,
                                "%s: %s/%s for %s is signed by '%s' (key %s), not with the site's key '%s' (key %s)",
                                gu->image, name, version, kver, signer_name(&b->signature),
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

int dkms_step(Guest *gu, const GuestState *st, const DkmsRequest *req, DkmsResult *ret) {
        _cleanup_(dkms_result_done) DkmsResult res = {};
        _cleanup_strv_free_ char **names = NULL, **versions = NULL;
        int r;

        r = resolve_kernel(gu, st, req->kernel, &res.kernel);
        if (r < 0)
                return r;
        STRV_FOREACH(c, req->build_configs)
                if ((r = copy_build_config(gu, *c)) < 0)
                        return r;
        if (req->source) {
                _cleanup_free_ char *n = NULL, *v = NULL;

                r = endswith(req->source, ".deb") ? add_source_deb(gu, req->source, &n, &v)
                                                  : add_source_dir(gu, req->source, &n, &v);
                if (r < 0)
                        return r;
                res.changed = true;
                if ((r = strv_consume(&names, TAKE_PTR(n))) < 0 || (r = strv_consume(&versions, TAKE_PTR(v))) < 0)
                        return r;
        }
        STRV_FOREACH(m, req->modules) {
                _cleanup_free_ char *n = NULL, *v = NULL;
                const char *slash = strchr(*m, '/');

                /* the module --source just added */
                if (names && strncmp(*m, names[0], slash ? (size_t) (slash - *m) : strlen(*m)) == 0 &&
                    strlen(names[0]) == (slash ? (size_t) (slash - *m) : strlen(*m)))
                        continue;
                r = resolve_module(gu, *m, &n, &v);
                if (r < 0)
                        return r;
                if ((r = strv_consume(&names, TAKE_PTR(n))) < 0 || (r = strv_consume(&versions, TAKE_PTR(v))) < 0)
                        return r;
        }
        /* the modules the kernel's hook would have built */
        for (size_t i = 0; req->autoinstall_all && i < st->n_dkms; i++) {
                _cleanup_(dkms_conf_done) DkmsConf conf = {};

                if (strv_contains(names, st->dkms[i].name))
                        continue;
                r = read_conf(gu, st->dkms[i].name, st->dkms[i].version, &conf);
                if (r < 0)
                        return r;
                if (!conf.autoinstall)
                        continue;
                if ((r = strv_extend(&names, st->dkms[i].name)) < 0 || (r = strv_extend(&versions, st->dkms[i].version)) < 0)
                        return r;
        }
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

/* The full kernel releases whose headers packages are in dir but not
 * installed in the guest: installed (in the throw-away overlay) in one
 * transaction, so the matrix can try them too. */
static int headers_from_pkgdir(Guest *gu, const GuestState *st, const PkgDir *dir, char ***ret_releases) {
        _cleanup_strv_free_ char **targets = NULL, **releases = NULL, **installed = NULL;
        int r;

        for (size_t i = 0; dir && i < dir->n_pkgs; i++) {
                const char *name = dir->pkgs[i].name, *rel;
                KernelRelease k = { .abi = -1 };
                bool full, have = false;

                if (!startswith(name, "linux-headers-"))
                        continue;
                rel = name + strlen("linux-headers-");
                full = !strstr(rel, "-common") && kver_parse(rel, &k) >= 0 && k.flavour &&
                       strchr(strchr(k.upstream, '.') + 1, '.');
                kver_done(&k);
                if (!full || strv_contains(releases, rel))
                        continue;
                for (size_t j = 0; j < st->n_kernels; j++)
                        if (strcmp(st->kernels[j].release, rel) == 0 && st->kernels[j].headers)
                                have = true;
                if (have)
                        continue;
                if ((r = strv_extend(&releases, rel)) < 0 || (r = strv_extend(&targets, name)) < 0)
                        return r;
        }
        if (targets) {
                r = apt_install_closure(gu, st->dpkg, dir, targets, "the matrix", &installed);
                if (r < 0)
                        return r;
        }
        *ret_releases = TAKE_PTR(releases);
        return 0;
}

int dkms_matrix(Guest *gu, const GuestState *st, const char *only, const PkgDir *packages, DkmsCell **ret,
                size_t *ret_n) {
        _cleanup_strv_free_ char **kernels = NULL, **extra = NULL;
        DkmsCell *cells = NULL;
        size_t n = 0;
        int r = 0;

        for (size_t i = 0; i < st->n_kernels; i++)
                if (st->kernels[i].headers && (r = strv_extend(&kernels, st->kernels[i].release)) < 0)
                        return r;
        if (packages) {
                r = headers_from_pkgdir(gu, st, packages, &extra);
                if (r < 0)
                        return r;
                STRV_FOREACH(e, extra)
                        if ((r = strv_extend(&kernels, *e)) < 0)
                                return r;
        }

        for (size_t m = 0; m < st->n_dkms; m++) {
                const DkmsModule *mod = &st->dkms[m];

                if (only && strcmp(only, mod->name) != 0 &&
                    !(startswith(only, mod->name) && only[strlen(mod->name)] == '/' &&
                      strcmp(only + strlen(mod->name) + 1, mod->version) == 0))
                        continue;
                STRV_FOREACH(kp, kernels) {
                        const char *kver = *kp;
                        _cleanup_free_ char *err = NULL;
                        DkmsCell *c, *g;
                        double t0;

                        g = realloc(cells, (n + 1) * sizeof(DkmsCell));
                        if (!g) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        cells = g;
                        c = &cells[n++];
                        *c = (DkmsCell) {
                                .name = strdup(mod->name),
                                .version = strdup(mod->version),
                                .kernel = strdup(kver),
                        };
                        if (!c->name || !c->version || !c->kernel) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        log_info("building %s/%s for %s", mod->name, mod->version, kver);
                        t0 = monotonic_s();
                        r = run_dkms(gu, "build", mod->name, mod->version, kver, true, &err);
                        c->seconds = monotonic_s() - t0;
                        c->built = r >= 0;
                        if (r < 0) {
                                first_build_error(gu, mod->name, mod->version, kver, &c->error, &c->log);
                                if (!c->error)
                                        c->error = error_line(err);
                        }
                        r = 0;
                }
        }
        if (n == 0) {
                r = log_fail(KPIN_EXIT_DKMS, -ENOENT, "%s: %s", gu->image,
                             only ? "that DKMS module is not registered in the image"
                                  : "no DKMS module or no kernel headers in the image");
                goto fail;
        }
        *ret = cells;
        *ret_n = n;
        return 0;
fail:
        dkms_cells_free(cells, n);
        return r;
}
