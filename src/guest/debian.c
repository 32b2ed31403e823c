/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <guestfs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/aptpin.h"
#include "core/debar.h"
#include "core/grubcfg.h"
#include "core/kver.h"
#include "debian.h"
#include "image.h"
#include "shared/cleanup.h"
#include "shared/log.h"
#include "shared/spawn.h"
#include "shared/strv.h"

#define MAX_DEBS 2000
#define MAX_CONTROL (64u * 1024)
#define GUEST_DEB_DIR "/var/cache/kpin"
#define DEFAULT_GRUB "/etc/default/grub"

PkgDir *pkgdir_free(PkgDir *p) {
        if (!p)
                return NULL;
        free(p->dir);
        free(p->text);
        deb822_free(p->control);
        free(p->pkgs);
        free(p);
        return NULL;
}

static int append(char **buf, size_t *n, const char *s) {
        size_t k = strlen(s);
        char *b = realloc(*buf, *n + k + 1);

        if (!b)
                return -ENOMEM;
        memcpy(b + *n, s, k + 1);
        *buf = b;
        *n += k;
        return 0;
}

/* dpkg-deb -f reads only the control member: a copy cut short would pass
 * it and fail in the guest, minutes later. */
static int check_deb_file(const char *path) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        _cleanup_free_ char *why = NULL;
        struct stat st;
        int r;

        if (fd < 0 || fstat(fd, &st) < 0)
                return log_fail(KPIN_EXIT_PACKAGES, -errno, "%s: cannot read: %m", path);
        r = deb_check_archive(image_read_fd, &fd, (uint64_t) st.st_size, &why);
        if (r == -EBADMSG)
                return log_fail(KPIN_EXIT_PACKAGES, r, "%s: not a valid .deb (%s)", path, why);
        return r;
}

int pkgdir_load(const char *dir, PkgDir **ret) {
        _cleanup_(pkgdir_freep) PkgDir *p = NULL;
        _cleanup_strv_free_ char **debs = NULL;
        struct dirent *de;
        size_t n = 0;
        DIR *d;
        int r;

        d = opendir(dir);
        if (!d)
                return log_fail(KPIN_EXIT_PACKAGES, -errno, "%s: cannot read the package directory: %m", dir);
        while ((de = readdir(d)))
                if (endswith(de->d_name, ".deb") && strv_length(debs) < MAX_DEBS &&
                    (r = strv_consume(&debs, strprintf("%s/%s", dir, de->d_name))) < 0) {
                        closedir(d);
                        return r;
                }
        closedir(d);
        if (!debs)
                return log_fail(KPIN_EXIT_PACKAGES, -ENOENT, "%s: no .deb files in the package directory", dir);
        strv_sort(debs);

        p = calloc(1, sizeof(PkgDir));
        if (!p || !(p->dir = strdup(dir)))
                return -ENOMEM;
        STRV_FOREACH(deb, debs) {
                _cleanup_free_ char *out = NULL, *tail = NULL;
                char *argv[] = { "dpkg-deb", "-f", *deb, "Package", "Version", "Architecture", "Depends",
                                 "Pre-Depends", "Provides", "Installed-Size", NULL };

                r = check_deb_file(*deb);
                if (r < 0)
                        return r;
                r = spawn_run(argv, MAX_CONTROL, &out);
                if (r != 0 || !out || !startswith(out, "Package: "))
                        return log_fail(KPIN_EXIT_PACKAGES, -EBADMSG, "%s: not a valid .deb (%s)", *deb,
                                        out && *out ? strtok(out, "\n") : "dpkg-deb failed");
                if (strstr(out, "\n\n"))
                        return log_fail(KPIN_EXIT_PACKAGES, -EBADMSG, "%s: malformed control fields", *deb);
                tail = strprintf("%sFilename: %s\n\n", endswith(out, "\n") ? "" : "\n", *deb);
                if (!tail || append(&p->text, &n, out) < 0 || append(&p->text, &n, tail) < 0)
                        return -ENOMEM;
        }
        r = deb822_parse(p->text, n, &p->control, NULL);
        if (r < 0)
                return log_fail(KPIN_EXIT_PACKAGES, r, "%s: cannot parse the packages' control fields", dir);
        p->pkgs = calloc(p->control->n_stanzas + 1, sizeof(DebPkg));
        if (!p->pkgs)
                return -ENOMEM;
        for (size_t i = 0; i < p->control->n_stanzas; i++) {
                const Deb822Stanza *s = &p->control->stanzas[i];

                if (!deb822_get(s, "Package") || !deb822_get(s, "Version"))
                        continue;
                p->pkgs[p->n_pkgs++] = (DebPkg) {
                        .name = deb822_get(s, "Package"),
                        .version = deb822_get(s, "Version"),
                        .depends = deb822_get(s, "Depends"),
                        .pre_depends = deb822_get(s, "Pre-Depends"),
                        .provides = deb822_get(s, "Provides"),
                        .origin = deb822_get(s, "Filename"),
                };
        }
        *ret = TAKE_PTR(p);
        return 0;
}

void pin_result_done(PinResult *r) {
        free(r->release);
        free(r->series);
        strv_free(r->installed);
        strv_free(r->held);
        strv_free(r->purged);
        free(r->grub_before);
        free(r->grub_after);
        free(r->boot_before);
        free(r->boot_after);
        guest_state_free(r->state_after);
        *r = (PinResult) {};
}

/* A kernel image package: linux-image-RELEASE with a full release
 * (6.1.0-56-cloud-amd64), not a metapackage (linux-image-6.1-cloud-amd64). */
static bool kernel_package_release(const char *pkg, const char *flavour, const char *want, const char **ret) {
        KernelRelease k = { .abi = -1 };
        const char *rel;
        bool ok;

        if (!startswith(pkg, "linux-image-"))
                return false;
        rel = pkg + strlen("linux-image-");
        if (kver_parse(rel, &k) < 0)
                return false;
        ok = strchr(strchr(k.upstream, '.') + 1, '.') && k.flavour && strcmp(k.flavour, flavour) == 0 &&
             kver_matches(rel, want);
        kver_done(&k);
        if (ok)
                *ret = rel;
        return ok;
}

static const DpkgPackage *status_find(const DpkgPackage *pkgs, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(pkgs[i].name, name) == 0)
                        return &pkgs[i];
        return NULL;
}

static int status_packages(const Deb822 *status, DpkgPackage **ret, size_t *ret_n) {
        DpkgPackage *p = calloc(status->n_stanzas + 1, sizeof(DpkgPackage));
        size_t n = 0;

        if (!p)
                return -ENOMEM;
        for (size_t i = 0; i < status->n_stanzas; i++)
                if (dpkg_package_from_stanza(&status->stanzas[i], &p[n]) >= 0)
                        n++;
        *ret = p;
        *ret_n = n;
        return 0;
}

static bool is_installed(const DpkgPackage *p) {
        return p && strcmp(p->state, "installed") == 0;
}

/* The flavour of the kernel the image boots now (or its newest kernel). */
static char *current_flavour(const GuestState *s) {
        const char *rel = s->grub_kernel ? s->grub_kernel : s->n_kernels ? s->kernels[0].release : NULL;
        KernelRelease k = { .abi = -1 };
        char *f = NULL;

        if (rel && kver_parse(rel, &k) >= 0 && k.flavour)
                f = strdup(k.flavour);
        kver_done(&k);
        return f;
}

/* --network: refresh the guest's own apt lists (the appliance has a
 * network) and offer what they know as candidates. */
static int network_candidates(Guest *gu, char ***ret_names) {
        char *update[] = { "apt-get", "-q", "update", NULL };
        char *names[] = { "apt-cache", "pkgnames", "linux-image-", NULL };
        _cleanup_free_ char *out = NULL, *err = NULL;
        _cleanup_strv_free_ char **l = NULL;
        int r;

        log_info("refreshing the guest's apt lists");
        r = guest_run(gu, update, NULL, &err);
        if (r < 0) {
                _cleanup_free_ char *why = guest_error_line(err, "E: ");

                return log_fail(KPIN_EXIT_PACKAGES, r, "%s: apt-get update failed in the guest: %s", gu->image, why);
        }
        r = guest_run(gu, names, &out, NULL);
        if (r < 0)
                return log_fail(KPIN_EXIT_PACKAGES, r, "%s: apt-cache pkgnames failed in the guest", gu->image);
        for (const char *p = out; p && *p;) {
                size_t n = strcspn(p, "\n");

                if (n > 0 && n < 256 && strv_length(l) < 10000 && (r = strv_consume(&l, strndup(p, n))) < 0)
                        return r;
                p += n + (p[n] == '\n');
        }
        *ret_names = TAKE_PTR(l);
        return 0;
}

static int resolve_release(Guest *gu, const GuestState *before, const PinRequest *req, const char *flavour,
                           char **ret) {
        _cleanup_strv_free_ char **remote = NULL;
        const char *best = NULL, *rel;
        int r;

        if (req->network) {
                r = network_candidates(gu, &remote);
                if (r < 0)
                        return r;
        }
        STRV_FOREACH(name, remote)
                if (kernel_package_release(*name, flavour, req->kernel, &rel) && (!best || kver_compare(rel, best) > 0))
                        best = rel;

        if (req->packages)
                for (size_t i = 0; i < req->packages->n_pkgs; i++)
                        if (kernel_package_release(req->packages->pkgs[i].name, flavour, req->kernel, &rel) &&
                            (!best || kver_compare(rel, best) > 0))
                                best = rel;
        for (size_t i = 0; i < before->n_kernels; i++) {
                _cleanup_free_ char *pkg = strprintf("linux-image-%s", before->kernels[i].release);

                if (!pkg)
                        return -ENOMEM;
                if (kernel_package_release(pkg, flavour, req->kernel, &rel) && before->kernels[i].package &&
                    (!best || kver_compare(before->kernels[i].release, best) > 0))
                        best = before->kernels[i].release;
        }
        if (!best)
                return log_fail(KPIN_EXIT_PACKAGES, -ENOENT, "%s: no Linux %s kernel of flavour %s in %s%s",
                                gu->image, req->kernel, flavour,
                                req->packages ? req->packages->dir : req->network ? "the guest's apt sources" : "the image",
                                req->packages ? " or in the image" : req->network ? " or in the image" : " (give --packages DIR or --network)");
        *ret = strdup(best);
        return *ret ? 0 : -ENOMEM;
}

/* apt-get install as kpin runs it: no questions, no Recommends, never a
 * removal, conffiles kept. dpkg's per-file fsyncs are skipped: they protect
 * against a crash mid-install, and a crashed run's overlay is thrown away
 * whole (the appliance syncs once before the commit). Under TCG they are a
 * large part of unpacking the headers' 18 000 files.
 * ZSTD_NBTHREADS gives the guest's zstd (mkinitramfs's compressor) every
 * vCPU: zstd's output does not depend on its thread count (byte-identical),
 * only its time does, and zstd -9 of an initramfs is ~15 s of one vCPU
 * under TCG. */
static int apt_install_argv(Guest *gu, char ***ret) {
        _cleanup_free_ char *threads = NULL;
        int smp = guestfs_get_smp(gu->g);
        static const char *const fixed[] = {
                "apt-get", "install", "-y", "-q", "--no-install-recommends", "--no-remove",
                "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold",
                "-o", "Dpkg::Options::=--force-unsafe-io",
                "-o", "Dpkg::Use-Pty=0", "-o", "Acquire::Retries=0",
        };
        int r;

        threads = strprintf("ZSTD_NBTHREADS=%d", smp > 1 ? smp : 1);
        if (!threads)
                return -ENOMEM;
        if ((r = strv_extend(ret, "env")) < 0 || (r = strv_extend(ret, "DEBIAN_FRONTEND=noninteractive")) < 0 ||
            (r = strv_extend(ret, "APT_LISTCHANGES_FRONTEND=none")) < 0 || (r = strv_consume(ret, TAKE_PTR(threads))) < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(fixed); i++)
                if ((r = strv_extend(ret, fixed[i])) < 0)
                        return r;
        return 0;
}

int debian_install_debs(Guest *gu, char * const *files, char **ret_error) {
        _cleanup_strv_free_ char **argv = NULL;
        int r;

        if (guestfs_mkdir_p(gu->g, GUEST_DEB_DIR) < 0)
                return log_fail(KPIN_EXIT_FAILURE, -EIO, "%s: cannot create " GUEST_DEB_DIR " in the guest", gu->image);
        r = apt_install_argv(gu, &argv);
        if (r < 0)
                return r;
        STRV_FOREACH(f, files) {
                const char *base = strrchr(*f, '/') ? strrchr(*f, '/') + 1 : *f;
                _cleanup_free_ char *dest = strprintf(GUEST_DEB_DIR "/%s", base),
                                    *label = strprintf("uploading %s", base);

                if (!dest || !label)
                        return -ENOMEM;
                log_debug("uploading %s", base);
                guest_progress_label(gu, label);
                r = guestfs_upload(gu->g, *f, dest);
                guest_progress_label(gu, NULL);
                if (r < 0)
                        return log_fail(KPIN_EXIT_FAILURE, -EIO, "%s: copying %s into the guest failed: %s", gu->image,
                                        *f, guestfs_last_error(gu->g));
                if ((r = strv_consume(&argv, TAKE_PTR(dest))) < 0)
                        return r;
        }
        r = guest_run(gu, argv, NULL, ret_error);
        (void) guestfs_rm_rf(gu->g, GUEST_DEB_DIR);
        return r;
}

/* The guest's installed packages as dependency resolution sees them
 * (pointers into *ret_status, which the caller frees). */
static int installed_debpkgs(Guest *gu, Deb822 **ret_status, DebPkg **ret, size_t *ret_n) {
        Deb822 *status = NULL;
        DebPkg *l;
        size_t n = 0;
        int r;

        r = guest_dpkg_status(gu, &status);
        if (r < 0)
                return r;
        l = calloc(status->n_stanzas + 1, sizeof(DebPkg));
        if (!l) {
                deb822_free(status);
                return -ENOMEM;
        }
        for (size_t i = 0; i < status->n_stanzas; i++) {
                const Deb822Stanza *st = &status->stanzas[i];
                DpkgPackage p;

                if (dpkg_package_from_stanza(st, &p) >= 0 && is_installed(&p))
                        l[n++] = (DebPkg) {
                                .name = p.name,
                                .version = p.version,
                                .depends = deb822_get(st, "Depends"),
                                .pre_depends = deb822_get(st, "Pre-Depends"),
                                .provides = deb822_get(st, "Provides"),
                        };
        }
        *ret_status = status;
        *ret = l;
        *ret_n = n;
        return 0;
}

int debian_install_closure(Guest *gu, const PkgDir *dir, char * const *targets, const char *what,
                           char ***ret_installed) {
        _cleanup_free_ DebPkg *installed = NULL;
        _cleanup_strv_free_ char **files = NULL, **missing = NULL, **names = NULL;
        _cleanup_free_ char *err = NULL;
        unsigned long long need = 64ull << 20, have;
        Deb822 *status = NULL;
        size_t n = 0;
        int r;

        r = installed_debpkgs(gu, &status, &installed, &n);
        if (r < 0)
                return r;
        r = deb_closure(installed, n, dir->pkgs, dir->n_pkgs, targets, &files, &missing);
        deb822_free(status);
        installed = mfree(installed);
        if (r < 0)
                return log_fail(KPIN_EXIT_PACKAGES, r, "%s: resolving dependencies failed: %m", dir->dir);
        if (missing) {
                _cleanup_free_ char *list = NULL;
                size_t len = 0;

                STRV_FOREACH(m, missing)
                        if (append(&list, &len, list ? "; " : "") < 0 || append(&list, &len, *m) < 0)
                                return -ENOMEM;
                return log_fail(KPIN_EXIT_PACKAGES, -ENOENT, "%s: missing from %s: %s", gu->image, dir->dir, list);
        }

        /* room for the unpacked packages, their .debs and an initramfs */
        STRV_FOREACH(f, files) {
                struct stat st;

                if (stat(*f, &st) == 0)
                        need += 4ull * (unsigned long long) st.st_size;
        }
        r = guest_free_bytes(gu, "/", &have);
        if (r < 0)
                return log_fail(KPIN_EXIT_FAILURE, r, "%s: cannot read the guest's free space", gu->image);
        if (have < need)
                return log_fail(KPIN_EXIT_PACKAGES, -ENOSPC,
                                "%s: not enough free space in the guest's root filesystem: %llu MiB free, about %llu MiB needed",
                                gu->image, have >> 20, need >> 20);

        log_info("installing %zu packages for %s in the guest", strv_length(files), what);
        r = debian_install_debs(gu, files, &err);
        if (r < 0) {
                _cleanup_free_ char *why = guest_error_line(err, "E: ");

                if (r == -EIO)
                        return log_fail(KPIN_EXIT_PACKAGES, r, "%s: installing %s failed in the guest: %s", gu->image,
                                        what, why);
                return r;
        }
        STRV_FOREACH(f, files)
                for (size_t i = 0; i < dir->n_pkgs; i++)
                        if (strcmp(dir->pkgs[i].origin, *f) == 0 && (r = strv_extend(&names, dir->pkgs[i].name)) < 0)
                                return r;
        *ret_installed = TAKE_PTR(names);
        return 0;
}

/* --network: apt resolves and downloads from the guest's own sources; the
 * packages it set up are what "Setting up NAME (VERSION) ..." names. */
static int install_from_network(Guest *gu, char * const *targets, const char *what, char ***ret_installed) {
        _cleanup_strv_free_ char **argv = NULL, **names = NULL;
        _cleanup_free_ char *out = NULL, *err = NULL;
        char *clean[] = { "apt-get", "clean", NULL };
        int r;

        r = apt_install_argv(gu, &argv);
        STRV_FOREACH(t, targets)
                if (r >= 0)
                        r = strv_extend(&argv, *t);
        if (r < 0)
                return r;
        log_info("installing %s from the guest's apt sources", what);
        r = guest_run(gu, argv, &out, &err);
        if (r < 0) {
                _cleanup_free_ char *why = guest_error_line(err, "E: ");

                return log_fail(KPIN_EXIT_PACKAGES, r, "%s: installing %s failed in the guest: %s", gu->image, what, why);
        }
        (void) guest_run(gu, clean, NULL, NULL);
        for (const char *p = out; p && (p = strstr(p, "Setting up ")); p += strlen("Setting up ")) {
                const char *n = p + strlen("Setting up ");
                size_t k = strcspn(n, " :\n");

                if (k > 0 && k < 256 && strv_length(names) < 4096 && (r = strv_consume(&names, strndup(n, k))) < 0)
                        return r;
        }
        *ret_installed = TAKE_PTR(names);
        return 0;
}

/* Installs the closure of image + headers from the package directory in one
 * apt transaction; the kernel's own hooks build DKMS modules and the
 * initramfs for it. */
static int install_kernel(Guest *gu, const PinRequest *req, const Deb822 *status, const char *release,
                          PinResult *res) {
        _cleanup_free_ DpkgPackage *inst = NULL;
        _cleanup_strv_free_ char **targets = NULL;
        const char *want[] = { "linux-image-", "linux-headers-" };
        size_t n_inst = 0;
        int r;

        r = status_packages(status, &inst, &n_inst);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                _cleanup_free_ char *name = strprintf("%s%s", want[i], release);

                if (!name)
                        return -ENOMEM;
                if (is_installed(status_find(inst, n_inst, name)))
                        continue;
                if (!req->packages && !req->network)
                        return log_fail(KPIN_EXIT_PACKAGES, -ENOENT,
                                        "%s: %s is not installed and no --packages DIR was given", gu->image, name);
                r = strv_consume(&targets, TAKE_PTR(name));
                if (r < 0)
                        return r;
        }
        if (!targets)
                return 0;
        if (!req->packages)
                r = install_from_network(gu, targets, release, &res->installed);
        else
                r = debian_install_closure(gu, req->packages, targets, release, &res->installed);
        if (r < 0)
                return r;
        res->changed = true;
        return 0;
}

/* dpkg must be left consistent: `dpkg --audit` silent. */
static int check_dpkg(Guest *gu) {
        char *argv[] = { "dpkg", "--audit", NULL };
        _cleanup_free_ char *out = NULL, *err = NULL;
        int r;

        r = guest_run(gu, argv, &out, &err);
        if (r < 0 || (out && *out)) {
                _cleanup_free_ char *line = guest_error_line(out && *out ? out : err, NULL);

                return log_fail(KPIN_EXIT_PACKAGES, -EBADMSG, "%s: dpkg is left inconsistent in the guest: %s",
                                gu->image, line);
        }
        return 0;
}

static int purge_argv(char * const *purge, bool simulate, char ***ret) {
        static const char * const fixed[] = { "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "purge", "-y",
                                              "-q", "--allow-change-held-packages", "-o", "Dpkg::Use-Pty=0",
                                              "-o", "APT::Get::AutomaticRemove=false" };
        _cleanup_strv_free_ char **argv = NULL;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(fixed); i++)
                if ((r = strv_extend(&argv, fixed[i])) < 0)
                        return r;
        if (simulate && (r = strv_extend(&argv, "-s")) < 0)
                return r;
        STRV_FOREACH(p, purge)
                if ((r = strv_extend(&argv, *p)) < 0)
                        return r;
        *ret = TAKE_PTR(argv);
        return 0;
}

/* --purge-old: remove every other kernel, in one apt transaction that may
 * touch only the kernel packages deb_kernel_purge_set() chose; a dry run
 * proves that first. */
static int purge_old_kernels(Guest *gu, const char *release, PinResult *res) {
        _cleanup_free_ DebPkg *installed = NULL;
        _cleanup_strv_free_ char **purge = NULL, **argv = NULL, **extra = NULL;
        _cleanup_free_ char *out = NULL, *err = NULL;
        Deb822 *status = NULL;
        size_t n = 0;
        int r;

        r = installed_debpkgs(gu, &status, &installed, &n);
        if (r < 0)
                return r;
        r = deb_kernel_purge_set(installed, n, release, &purge);
        deb822_free(status);
        installed = mfree(installed);
        if (r < 0)
                return log_fail(KPIN_EXIT_PACKAGES, r, "%s: cannot work out the old kernel packages: %m", gu->image);
        if (!purge)
                return 0;

        r = purge_argv(purge, true, &argv);
        if (r < 0)
                return r;
        r = guest_run(gu, argv, &out, &err);
        if (r < 0) {
                _cleanup_free_ char *why = guest_error_line(err, "E: ");

                return log_fail(KPIN_EXIT_PACKAGES, r, "%s: apt-get refuses to purge the old kernels: %s", gu->image,
                                why);
        }
        /* "Purg NAME [VERSION]" / "Remv NAME [VERSION]": anything else is not ours to remove */
        for (const char *l = out; l && *l; l = *strchrnul(l, '\n') ? strchrnul(l, '\n') + 1 : strchrnul(l, '\n')) {
                size_t k;
                _cleanup_free_ char *name = NULL;

                if (!startswith(l, "Purg ") && !startswith(l, "Remv "))
                        continue;
                k = strcspn(l + 5, " \n");
                name = strndup(l + 5, k);
                if (!name)
                        return -ENOMEM;
                if (!strv_contains(purge, name) && !strv_contains(extra, name) &&
                    (r = strv_consume(&extra, TAKE_PTR(name))) < 0)
                        return r;
        }
        if (extra) {
                _cleanup_free_ char *list = NULL;
                size_t len = 0;

                STRV_FOREACH(e, extra)
                        if (append(&list, &len, list ? " " : "") < 0 || append(&list, &len, *e) < 0)
                                return -ENOMEM;
                return log_fail(KPIN_EXIT_PACKAGES, -EPERM,
                                "%s: purging the old kernels would also remove %s; not purging (use --keep-old)",
                                gu->image, list);
        }
        argv = strv_free(argv);
        r = purge_argv(purge, false, &argv);
        if (r < 0)
                return r;
        out = mfree(out);
        err = mfree(err);
        log_info("purging %zu old kernel packages in the guest", strv_length(purge));
        r = guest_run(gu, argv, &out, &err);
        if (r < 0) {
                _cleanup_free_ char *why = guest_error_line(err, "E: ");

                return log_fail(KPIN_EXIT_PACKAGES, r, "%s: purging the old kernels failed in the guest: %s",
                                gu->image, why);
        }
        res->purged = TAKE_PTR(purge);
        res->changed = true;
        return 0;
}

static bool should_hold(const char *name, const char *release, const char *flavour) {
        const char *rest;

        if (startswith(name, "linux-image-"))
                rest = name + strlen("linux-image-");
        else if (startswith(name, "linux-headers-"))
                rest = name + strlen("linux-headers-");
        else
                return false;
        if (strcmp(rest, release) == 0 || strcmp(rest, flavour) == 0)
                return true;
        /* series metapackages such as linux-image-6.12-cloud-amd64 */
        KernelRelease k = { .abi = -1 };
        bool meta = kver_parse(rest, &k) >= 0 && k.flavour && strcmp(k.flavour, flavour) == 0 &&
                    !strchr(strchr(k.upstream, '.') + 1, '.');
        kver_done(&k);
        return meta;
}

static int hold_kernel(Guest *gu, const char *release, const char *flavour, PinResult *res) {
        _cleanup_free_ DpkgPackage *pkgs = NULL;
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *err = NULL;
        Deb822 *status = NULL;
        size_t n;
        int r;

        r = guest_dpkg_status(gu, &status);
        if (r < 0)
                return r;
        r = status_packages(status, &pkgs, &n);
        if (r >= 0)
                r = strv_extend(&argv, "apt-mark");
        if (r >= 0)
                r = strv_extend(&argv, "hold");
        for (size_t i = 0; r >= 0 && i < n; i++)
                if (is_installed(&pkgs[i]) && strcmp(pkgs[i].want, "hold") != 0 &&
                    should_hold(pkgs[i].name, release, flavour)) {
                        r = strv_extend(&argv, pkgs[i].name);
                        if (r >= 0)
                                r = strv_extend(&res->held, pkgs[i].name);
                }
        deb822_free(status);
        if (r < 0)
                return r;
        if (!res->held)
                return 0;
        r = guest_run(gu, argv, NULL, &err);
        if (r < 0) {
                _cleanup_free_ char *why = guest_error_line(err, NULL);

                return log_fail(KPIN_EXIT_PACKAGES, r, "%s: holding the kernel packages failed: %s", gu->image, why);
        }
        res->changed = true;
        return 0;
}

/* Writes path if its content differs; 1 if written. */
static int write_if_changed(Guest *gu, const char *path, const char *text) {
        _cleanup_free_ char *old = NULL;
        size_t len;

        if (guest_read_file(gu, path, 1u << 20, &old, &len) >= 0 && len == strlen(text) &&
            memcmp(old, text, len) == 0)
                return 0;
        if (guest_write_file(gu, path, text, strlen(text)) < 0)
                return log_fail(KPIN_EXIT_FAILURE, -EIO, "%s: cannot write %s in the guest: %s", gu->image, path,
                                guestfs_last_error(gu->g));
        return 1;
}

static int set_grub_default(Guest *gu, const GuestState *before, const char *release, PinResult *res) {
        _cleanup_free_ char *text = NULL, *id = NULL, *t1 = NULL, *t2 = NULL;
        size_t len;
        int r;

        if (!before->grub_cfg)
                return log_fail(KPIN_EXIT_GRUB, -ENOENT, "%s: %s", gu->image,
                                before->grub_problem ? before->grub_problem : "no usable grub.cfg");
        r = grub_debian_id_path(before->grub_cfg, release, &id);
        if (r < 0)
                return log_fail(KPIN_EXIT_GRUB, r, "%s: %s has no Debian menu entry ids to build GRUB_DEFAULT from",
                                gu->image, before->grub_cfg_path);
        r = guest_read_file(gu, DEFAULT_GRUB, 1u << 20, &text, &len);
        if (r < 0)
                return log_fail(KPIN_EXIT_GRUB, r, "%s: cannot read " DEFAULT_GRUB " in the guest", gu->image);
        r = shellvars_set(text, len, "GRUB_DEFAULT", id, &t1);
        if (r >= 0)
                r = shellvars_set(t1, strlen(t1), "GRUB_DISABLE_OS_PROBER", "true", &t2);
        if (r == -EBADMSG)
                return log_fail(KPIN_EXIT_GRUB, r, "%s: " DEFAULT_GRUB " in the guest holds a NUL byte: not editing it",
                                gu->image);
        if (r < 0)
                return log_fail(KPIN_EXIT_GRUB, r, "%s: cannot edit " DEFAULT_GRUB ": %m", gu->image);
        r = write_if_changed(gu, DEFAULT_GRUB, t2);
        if (r < 0)
                return r;
        res->grub_after = TAKE_PTR(id);
        if (r > 0)
                res->changed = true;
        return 0;
}

/* Inspects the guest now (kept in res->state_after: the pin's last write
 * is behind it); 1 if grub.cfg's default boots release. */
static int grub_boots(Guest *gu, const char *release, PinResult *res, char **ret_kernel, char **ret_problem) {
        GuestState *s = NULL;
        int r;

        r = guest_inspect(gu, &s);
        if (r < 0)
                return r;
        guest_state_free(res->state_after);
        res->state_after = s;
        *ret_kernel = s->grub_kernel ? strdup(s->grub_kernel) : NULL;
        *ret_problem = s->grub_problem ? strdup(s->grub_problem) : NULL;
        return s->grub_kernel && !s->grub.fallback && strcmp(s->grub_kernel, release) == 0;
}

static int regenerate_grub(Guest *gu, const char *release, bool force, PinResult *res) {
        _cleanup_free_ char *problem = NULL, *err = NULL;
        char *argv[] = { "update-grub", NULL };
        int r;

        if (!force) {
                r = grub_boots(gu, release, res, &res->boot_after, &problem);
                if (r != 0)
                        return r < 0 ? r : 0;
                res->boot_after = mfree(res->boot_after);
                problem = mfree(problem);
        }
        log_info("regenerating grub.cfg");
        r = guest_run(gu, argv, NULL, &err);
        if (r < 0) {
                _cleanup_free_ char *why = guest_error_line(err, "error");

                return log_fail(KPIN_EXIT_GRUB, r, "%s: update-grub failed in the guest: %s", gu->image, why);
        }
        res->grub_regenerated = true;
        res->changed = true;
        /* update-grub exits 0 on a useless grub.cfg: believe only what it wrote */
        r = grub_boots(gu, release, res, &res->boot_after, &problem);
        if (r < 0)
                return r;
        if (r == 0)
                return log_fail(KPIN_EXIT_GRUB, -EBADMSG, "%s: the regenerated grub.cfg boots %s, not %s%s%s", gu->image,
                                res->boot_after ? res->boot_after : "no Linux kernel", release,
                                problem ? ": " : "", problem ? problem : "");
        return 0;
}

int debian_pin(Guest *gu, const GuestState *before, const PinRequest *req, PinResult *ret) {
        _cleanup_(pin_result_done) PinResult res = {};
        _cleanup_free_ char *flavour = NULL, *prefs = NULL;
        Deb822 *status = NULL;
        KernelRelease k = { .abi = -1 };
        int r;

        flavour = req->flavour ? strdup(req->flavour) : current_flavour(before);
        if (!flavour)
                return log_fail(KPIN_EXIT_PACKAGES, -ENOENT, "%s: cannot tell the kernel flavour; give --flavour",
                                gu->image);
        r = resolve_release(gu, before, req, flavour, &res.release);
        if (r < 0)
                return r;
        r = kver_parse(res.release, &k);
        if (r < 0)
                return -EINVAL;
        res.series = strprintf("%u.%u", k.major, k.minor);
        kver_done(&k);
        if (!res.series)
                return -ENOMEM;
        if (before->grub_configured && !(res.grub_before = strdup(before->grub_configured)))
                return -ENOMEM;
        if (before->grub_kernel && !(res.boot_before = strdup(before->grub_kernel)))
                return -ENOMEM;
        log_info("pinning %s (Linux %s, %s)", res.release, res.series, flavour);

        /* GRUB_DEFAULT first, so the kernel's own update-grub hook already
         * writes the grub.cfg we want: grub-mkconfig runs once. */
        r = set_grub_default(gu, before, res.release, &res);
        if (r < 0)
                return r;

        r = guest_dpkg_status(gu, &status);
        if (r < 0)
                return r;
        r = install_kernel(gu, req, status, res.release, &res);
        deb822_free(status);
        if (r < 0)
                return r;
        r = check_dpkg(gu);
        if (r < 0)
                return r;
        if (req->purge_old) {
                r = purge_old_kernels(gu, res.release, &res);
                if (r < 0)
                        return r;
                r = check_dpkg(gu);
                if (r < 0)
                        return r;
        }
        if (!req->no_hold) {
                r = hold_kernel(gu, res.release, flavour, &res);
                if (r < 0)
                        return r;
        }

        r = aptpin_kernel_series_text(res.series, res.release, &prefs);
        if (r < 0)
                return r;
        r = write_if_changed(gu, APTPIN_PATH, prefs);
        if (r < 0)
                return r;
        res.prefs_written = r > 0;
        res.changed = res.changed || r > 0;

        r = regenerate_grub(gu, res.release, false, &res);
        if (r < 0)
                return r;
        *ret = res;
        res = (PinResult) {};
        return 0;
}
