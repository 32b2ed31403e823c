/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "sigguard.h"
#include "spawn.h"
#include "strv.h"
#include "tmpdir.h"

static const char *const kinds[] = { "boot", "net", "guest", "seed", "fetch", "keys", "cache", "cluster" };

char *tmpdir_make(const char *kind) {
        char *dir = strprintf("%s/kpin-%s-%d-XXXXXX", host_tmpdir(), kind, (int) getpid());

        if (!dir) {
                errno = ENOMEM;
                return NULL;
        }
        if (!mkdtemp(dir)) {
                int e = errno;

                free(dir);
                errno = e;
                return NULL;
        }
        return dir;
}

/* The owner's pid of a scratch overlay .kpin-PID-scratchN.overlay.qcow2
 * (guest/txn.c), or 0. */
static long scratch_owner(const char *name) {
        char *end;
        long pid;

        if (!startswith(name, ".kpin-") || !isdigit((unsigned char) name[6]))
                return 0;
        pid = strtol(name + 6, &end, 10);
        if (!startswith(end, "-scratch") || !isdigit((unsigned char) end[8]))
                return 0;
        end += 8 + strspn(end + 8, "0123456789");
        return strcmp(end, ".overlay.qcow2") == 0 ? pid : 0;
}

/* The owner's pid of a name kpin-KIND-PID-XXXXXX, or 0. */
static long owner(const char *name) {
        const char *p;
        char *end;
        long pid;

        if (!startswith(name, "kpin-"))
                return scratch_owner(name);
        for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
                size_t k = strlen(kinds[i]);

                if (strncmp(name + 5, kinds[i], k) != 0 || name[5 + k] != '-')
                        continue;
                p = name + 5 + k + 1;
                if (!isdigit((unsigned char) *p))
                        return 0;
                pid = strtol(p, &end, 10);
                if (*end != '-' || strlen(end + 1) != 6 || pid <= 0)
                        return 0;
                return pid;
        }
        return 0;
}

int tmpdir_reap_stale(void) {
        const char *base = host_tmpdir();
        _cleanup_(closedirp) DIR *d = opendir(base);
        struct dirent *de;
        int n = 0;

        if (!d)
                return 0;
        while ((de = readdir(d))) {
                long pid = owner(de->d_name);
                struct stat st;
                _cleanup_free_ char *path = NULL;

                if (pid <= 0 || (kill((pid_t) pid, 0) == 0 || errno != ESRCH))
                        continue; /* not ours, or its kpin is still at work */
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    !(S_ISDIR(st.st_mode) || (S_ISREG(st.st_mode) && de->d_name[0] == '.')) || st.st_uid != geteuid())
                        continue;
                path = strprintf("%s/%s", base, de->d_name);
                if (path && sigguard_remove_tree(path, 8) == 0) {
                        log_warning("removed %s, left behind by an interrupted kpin run (pid %ld)", path, pid);
                        n++;
                }
        }
        return n;
}
