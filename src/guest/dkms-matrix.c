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
#include "shared/progress.h"
#include "shared/clock.h"
#include "shared/log.h"
#include "shared/strbuf.h"
#include "shared/spawn.h"
#include "shared/strv.h"
#include "shared/unaligned.h"

void dkms_cells_free(DkmsCell *c, size_t n) {
        for (size_t i = 0; c && i < n; i++) {
                free(c[i].name);
                free(c[i].version);
                free(c[i].kernel);
                free(c[i].error);
                free(c[i].log);
                strv_free(c[i].modules);
        }
        free(c);
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

/* The build cache holds a module built from the same source, headers,
 * compiler and options: that cell is known without a build. */
static int cached(Guest *gu, const char *cache, const DkmsCell *c, bool *ret) {
        _cleanup_free_ char *text = NULL, *entry = NULL;
        char key[65];
        int r;

        *ret = false;
        if (!cache)
                return 0;
        r = dkms_cache_key(gu, c->name, c->version, c->kernel, &(DkmsRequest) { .build_cache = cache }, key, &text);
        if (r < 0)
                return r;
        r = build_cache_lookup(cache, key, &entry);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        *ret = true;
        return 0;
}

int dkms_matrix(Guest *gu, const GuestState *st, const char *only, const PkgDir *packages, const char *build_cache,
                DkmsCell **ret, size_t *ret_n) {
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
                        t0 = monotonic_s();
                        r = cached(gu, build_cache, c, &c->cached);
                        if (r < 0)
                                goto fail;
                        if (c->cached) {
                                log_info("%s/%s for %s: in the build cache", mod->name, mod->version, kver);
                                c->built = true;
                                c->seconds = monotonic_s() - t0;
                                continue;
                        }
                        log_info("building %s/%s for %s", mod->name, mod->version, kver);
                        /* a long build shows it is alive, a line a minute in a log */
                        progress_begin("dkms --matrix");
                        {
                                _cleanup_free_ char *what = strprintf("building %s/%s for %s", mod->name, mod->version,
                                                                      kver);
                                progress_update(what);
                        }
                        r = dkms_run(gu, "build", mod->name, mod->version, kver, true, &err);
                        progress_end();
                        c->seconds = monotonic_s() - t0;
                        c->built = r >= 0;
                        if (r < 0) {
                                dkms_first_build_error(gu, mod->name, mod->version, kver, &c->error, &c->log);
                                if (!c->error)
                                        c->error = dkms_error_line(err);
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
