/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <guestfs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apt.h"
#include "shared/cleanup.h"
#include "shared/log.h"
#include <stdio.h>
#include "shared/strbuf.h"
#include "shared/strv.h"

#define GUEST_DEB_DIR "/var/cache/kpin"

/* apt-get install as kpin runs it: no questions, no Recommends, never a
 * removal, conffiles kept. dpkg's per-file fsyncs are skipped: they protect
 * against a crash mid-install, and a crashed run's overlay is thrown away
 * whole (the appliance syncs once before the commit). Under TCG they are a
 * large part of unpacking the headers' 18 000 files.
 * ZSTD_NBTHREADS gives the guest's zstd (mkinitramfs's compressor) every
 * vCPU: zstd's output does not depend on its thread count (byte-identical),
 * only its time does, and zstd -9 of an initramfs is ~15 s of one vCPU
 * under TCG. */
static int install_argv(Guest *gu, char ***ret) {
        static const char *const fixed[] = {
                "apt-get", "install", "-y", "-q", "--no-install-recommends", "--no-remove",
                "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold",
                "-o", "Dpkg::Options::=--force-unsafe-io",
                "-o", "Dpkg::Use-Pty=0", "-o", "Acquire::Retries=0",
        };
        _cleanup_free_ char *threads = NULL;
        int smp = guestfs_get_smp(gu->g);
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

int apt_install_debs(Guest *gu, char * const *files, char **ret_error) {
        _cleanup_strv_free_ char **argv = NULL;
        int r;

        if (guestfs_mkdir_p(gu->g, GUEST_DEB_DIR) < 0)
                return log_fail(KPIN_EXIT_FAILURE, -EIO, "%s: cannot create " GUEST_DEB_DIR " in the guest: %s",
                                gu->image, guest_last_error(gu));
        r = install_argv(gu, &argv);
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
                                        *f, guest_last_error(gu));
                if ((r = strv_consume(&argv, TAKE_PTR(dest))) < 0)
                        return r;
        }
        r = guest_run_stream(gu, argv, NULL, ret_error);
        (void) guestfs_rm_rf(gu->g, GUEST_DEB_DIR);
        return r;
}

int apt_install_closure(Guest *gu, const DpkgStatus *status, const PkgDir *dir, char * const *targets,
                        const char *what, char ***ret_installed) {
        _cleanup_free_ DebPkg *installed = NULL;
        _cleanup_strv_free_ char **files = NULL, **missing = NULL, **names = NULL;
        _cleanup_free_ char *err = NULL;
        unsigned long long need = 64ull << 20, have;
        size_t n = 0;
        int r;

        r = dpkg_status_debpkgs(status, &installed, &n);
        if (r < 0)
                return r;
        r = deb_closure(installed, n, dir->pkgs, dir->n_pkgs, targets, &files, &missing);
        if (r < 0)
                return log_fail(KPIN_EXIT_PACKAGES, r, "%s: resolving dependencies failed: %m", dir->dir);
        if (missing) {
                _cleanup_(strbuf_done) StrBuf list = {};

                if (strbuf_join(&list, missing, "; ") < 0)
                        return -ENOMEM;
                return log_fail(KPIN_EXIT_PACKAGES, -ENOENT, "%s: missing from %s: %s", gu->image, dir->dir, list.s);
        }

        /* room for the unpacked packages, their .debs and an initramfs */
        STRV_FOREACH(f, files) {
                struct stat st;

                if (stat(*f, &st) == 0)
                        need += 4ull * (unsigned long long) st.st_size;
        }
        r = guest_free_bytes(gu, "/", &have);
        if (r < 0)
                return log_fail(KPIN_EXIT_FAILURE, r, "%s: cannot read the guest's free space: %s", gu->image,
                                guest_last_error(gu));
        if (have < need)
                return log_fail(KPIN_EXIT_PACKAGES, -ENOSPC,
                                "%s: not enough free space in the guest's root filesystem: %llu MiB free, about %llu MiB needed",
                                gu->image, have >> 20, need >> 20);

        log_info("installing %zu packages for %s in the guest", strv_length(files), what);
        r = apt_install_debs(gu, files, &err);
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

/* The packages apt set up: what "Setting up NAME (VERSION) ..." names. */
int apt_install_network(Guest *gu, char * const *targets, const char *what, char ***ret_installed) {
        _cleanup_strv_free_ char **argv = NULL, **names = NULL;
        _cleanup_free_ char *out = NULL, *label = strprintf("installing %s", what);
        char *clean[] = { "apt-get", "clean", NULL };
        int r;

        if (!label)
                return -ENOMEM;
        r = install_argv(gu, &argv);
        STRV_FOREACH(t, targets)
                if (r >= 0)
                        r = strv_extend(&argv, *t);
        if (r < 0)
                return r;
        log_info("installing %s from the guest's apt sources", what);
        r = guest_run_stream_checked(gu, argv, NULL, &out, KPIN_EXIT_PACKAGES, "E: ", label);
        if (r < 0)
                return r;
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

int apt_network_names(Guest *gu, const char *prefix, char ***ret) {
        char *update[] = { "apt-get", "-q", "update", NULL };
        char *names[] = { "apt-cache", "pkgnames", (char *) prefix, NULL };
        _cleanup_free_ char *out = NULL;
        _cleanup_strv_free_ char **l = NULL;
        int r;

        log_info("refreshing the guest's apt lists");
        r = guest_run_checked(gu, update, NULL, KPIN_EXIT_PACKAGES, "E: ", "apt-get update");
        if (r < 0)
                return r;
        r = guest_run_checked(gu, names, &out, KPIN_EXIT_PACKAGES, "E: ", "apt-cache pkgnames");
        if (r < 0)
                return r;
        for (const char *p = out; p && *p;) {
                size_t n = strcspn(p, "\n");

                if (n > 0 && n < 256 && strv_length(l) < 10000 && (r = strv_consume(&l, strndup(p, n))) < 0)
                        return r;
                p += n + (p[n] == '\n');
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int apt_check_consistent(Guest *gu) {
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
        static const char *const fixed[] = { "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "purge", "-y",
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

int apt_purge_exactly(Guest *gu, char * const *purge) {
        _cleanup_strv_free_ char **argv = NULL, **extra = NULL;
        _cleanup_free_ char *out = NULL, *err = NULL;
        int r;

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
                _cleanup_free_ char *name = NULL;

                if (!startswith(l, "Purg ") && !startswith(l, "Remv "))
                        continue;
                name = strndup(l + 5, strcspn(l + 5, " \n"));
                if (!name)
                        return -ENOMEM;
                if (!strv_contains(purge, name) && !strv_contains(extra, name) &&
                    (r = strv_consume(&extra, TAKE_PTR(name))) < 0)
                        return r;
        }
        if (extra) {
                _cleanup_(strbuf_done) StrBuf list = {};

                if (strbuf_join(&list, extra, " ") < 0)
                        return -ENOMEM;
                return log_fail(KPIN_EXIT_PACKAGES, -EPERM,
                                "%s: purging the old kernels would also remove %s; not purging (use --keep-old)",
                                gu->image, list.s);
        }
        argv = strv_free(argv);
        r = purge_argv(purge, false, &argv);
        if (r < 0)
                return r;
        log_info("purging %zu old kernel packages in the guest", strv_length(purge));
        return guest_run_stream_checked(gu, argv, NULL, NULL, KPIN_EXIT_PACKAGES, "E: ", "purging the old kernels");
}

#define MAX_SOURCES_FILE (1u << 20)
#define MAX_KEYRING (1u << 20)

static int sources_file(Guest *gu, const char *path, bool deb822, AptSources *s) {
        _cleanup_free_ char *text = NULL;
        size_t len;

        if (guest_read_file(gu, path, MAX_SOURCES_FILE, &text, &len) < 0)
                return 0;
        return apt_sources_parse(text, len, deb822, s);
}

int apt_guest_sources(Guest *gu, const char *keydir, AptSources *ret) {
        _cleanup_(apt_sources_done) AptSources s = {};
        _cleanup_strv_free_ char **parts = NULL;
        int r;

        r = sources_file(gu, "/etc/apt/sources.list", false, &s);
        if (r < 0)
                return r;
        if (guest_list_dir(gu, "/etc/apt/sources.list.d", 1000, &parts) >= 0) {
                strv_sort(parts);
                STRV_FOREACH(p, parts) {
                        _cleanup_free_ char *path = strprintf("/etc/apt/sources.list.d/%s", *p);

                        if (!path)
                                return -ENOMEM;
                        if (endswith(*p, ".list") || endswith(*p, ".sources"))
                                if ((r = sources_file(gu, path, endswith(*p, ".sources"), &s)) < 0)
                                        return r;
                }
        }
        for (size_t i = 0; i < s.n; i++) {
                _cleanup_free_ char *key = NULL, *host = NULL;
                size_t len;

                if (!s.v[i].signed_by || access(s.v[i].signed_by, R_OK) == 0)
                        continue;
                if (s.v[i].signed_by[0] != '/' || guest_read_file(gu, s.v[i].signed_by, MAX_KEYRING, &key, &len) < 0)
                        continue; /* apt will say it cannot check that source */
                host = strprintf("%s/%zu%s", keydir, i, endswith(s.v[i].signed_by, ".asc") ? ".asc" : ".gpg");
                if (!host)
                        return -ENOMEM;
                {
                        FILE *f = fopen(host, "we");

                        if (!f || fwrite(key, 1, len, f) != len) {
                                if (f)
                                        fclose(f);
                                return log_fail(KPIN_EXIT_ENVIRONMENT, -EIO, "%s: cannot write it", host);
                        }
                        fclose(f);
                }
                free(s.v[i].signed_by);
                s.v[i].signed_by = TAKE_PTR(host);
        }
        *ret = s;
        s = (AptSources) {};
        return 0;
}
