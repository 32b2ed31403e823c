/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buildcache.h"
#include "shared/cleanup.h"
#include "shared/log.h"
#include "shared/spawn.h"
#include "shared/strv.h"

static bool key_ok(const char *key) {
        return strlen(key) == 64 && strspn(key, "0123456789abcdef") == 64;
}

int build_cache_lookup(const char *cache, const char *key, char **ret_dir) {
        _cleanup_free_ char *dir = NULL, *k = NULL;

        if (!key_ok(key))
                return -EINVAL;
        dir = strprintf("%s/%s", cache, key);
        k = strprintf("%s/%s/" BUILD_CACHE_KEY_FILE, cache, key);
        if (!dir || !k)
                return -ENOMEM;
        /* the KEY file is written last: an entry without it was never finished */
        if (access(k, R_OK) < 0)
                return -ENOENT;
        *ret_dir = TAKE_PTR(dir);
        return 0;
}

static int rm_rf(const char *path) {
        char *argv[] = { "rm", "-rf", "--one-file-system", (char *) path, NULL };

        return spawn_run(argv, 4096, NULL) == 0 ? 0 : -EIO;
}

int build_cache_store(const char *cache, const char *key, const char *key_text, char * const *files) {
        _cleanup_free_ char *tmp = NULL, *dest = NULL, *kf = NULL;
        int r;

        if (!key_ok(key))
                return -EINVAL;
        if (mkdir(cache, 0755) < 0 && errno != EEXIST)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -errno, "%s: cannot create the build cache: %m", cache);
        tmp = strprintf("%s/.%s.%d.tmp", cache, key, (int) getpid());
        dest = strprintf("%s/%s", cache, key);
        kf = tmp ? strprintf("%s/" BUILD_CACHE_KEY_FILE, tmp) : NULL;
        if (!tmp || !dest || !kf)
                return -ENOMEM;
        if (mkdir(tmp, 0755) < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -errno, "%s: %m", tmp);
        STRV_FOREACH(f, files) {
                _cleanup_free_ char *copy = strdup(*f), *to = NULL;

                to = copy ? strprintf("%s/%s", tmp, basename(copy)) : NULL;
                if (!to) {
                        r = -ENOMEM;
                        goto fail;
                }
                if (rename(*f, to) < 0) {
                        char *argv[] = { "cp", (char *) *f, to, NULL };

                        /* another filesystem (a shared cache): copied */
                        if (errno != EXDEV || spawn_run(argv, 4096, NULL) != 0) {
                                r = log_fail(KPIN_EXIT_ENVIRONMENT, -EIO, "%s: cannot store %s", cache, *f);
                                goto fail;
                        }
                }
        }
        {
                FILE *f = fopen(kf, "we");

                if (!f || fputs(key_text, f) < 0 || fflush(f) != 0 || fsync(fileno(f)) < 0) {
                        if (f)
                                fclose(f);
                        r = log_fail(KPIN_EXIT_ENVIRONMENT, -EIO, "%s: cannot write it", kf);
                        goto fail;
                }
                fclose(f);
        }
        if (rename(tmp, dest) < 0) {
                /* a full directory of that name: another run stored it first */
                r = errno == EEXIST || errno == ENOTEMPTY ? 1 : log_fail(KPIN_EXIT_ENVIRONMENT, -errno, "%s: %m", dest);
                (void) rm_rf(tmp);
                return r;
        }
        return 0;
fail:
        (void) rm_rf(tmp);
        return r;
}

int build_cache_evict(const char *cache, const char *key) {
        _cleanup_free_ char *dir = NULL, *aside = NULL;

        if (!key_ok(key))
                return -EINVAL;
        dir = strprintf("%s/%s", cache, key);
        aside = strprintf("%s/.%s.%d.bad", cache, key, (int) getpid());
        if (!dir || !aside)
                return -ENOMEM;
        if (rename(dir, aside) < 0)
                return errno == ENOENT ? 0 : -errno;
        return rm_rf(aside);
}
