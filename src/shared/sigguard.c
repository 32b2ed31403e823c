/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "sigguard.h"

/* A transaction keeps up to three temporaries (work overlay, the clean copy
 * a probe-injecting boot test leaves, the result before its rename); a
 * repair boots through throw-away overlays on top of them. */
static char guard_files[8][PATH_MAX];
/* Children and run directories: as many as kpin runs (VMs of a cluster,
 * their switch, appliances). Changed only with the fatal signals blocked. */
static pid_t *volatile guard_children;
static volatile size_t n_guard_children;
static char **volatile guard_dirs;
static volatile size_t n_guard_dirs;

static const int fatal_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };

struct linux_dirent64 {
        ino64_t d_ino;
        off64_t d_off;
        unsigned short d_reclen;
        unsigned char d_type;
        char d_name[];
};

static int remove_at(int parent, const char *name, unsigned depth) {
        int fd, r = 0;
        char buf[2048];
        long n;

        if (unlinkat(parent, name, 0) == 0)
                return 0;
        if (errno != EISDIR && errno != EPERM)
                return errno == ENOENT ? 0 : -errno;
        if (depth == 0)
                return -ENOTEMPTY;
        fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0)
                for (long off = 0; off < n;) {
                        struct linux_dirent64 *d = (struct linux_dirent64 *) (buf + off);

                        off += d->d_reclen;
                        if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0) {
                                int k = remove_at(fd, d->d_name, depth - 1);

                                if (k < 0 && r == 0)
                                        r = k;
                        }
                }
        close(fd);
        if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT && r == 0)
                r = -errno;
        return r;
}

int sigguard_remove_tree(const char *dir, unsigned depth) {
        return remove_at(AT_FDCWD, dir, depth);
}

static void on_fatal_signal(int sig) {
        for (size_t i = 0; i < n_guard_children; i++)
                if (guard_children[i] > 0)
                        kill(guard_children[i], SIGKILL);
        /* in the order they were taken: a directory after the files in it */
        for (size_t i = 0; i < ELEMENTSOF(guard_files); i++)
                if (guard_files[i][0] && unlink(guard_files[i]) < 0 && errno == EISDIR)
                        (void) rmdir(guard_files[i]);
        for (size_t i = 0; i < n_guard_dirs; i++)
                if (guard_dirs[i])
                        (void) sigguard_remove_tree(guard_dirs[i], 6);
        signal(sig, SIG_DFL);
        raise(sig);
}

static void install(void) {
        static int installed;
        struct sigaction sa = { .sa_handler = on_fatal_signal };

        if (installed)
                return;
        installed = 1;
        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < ELEMENTSOF(fatal_signals); i++)
                sigaction(fatal_signals[i], &sa, NULL);
}

static void block(sigset_t *old) {
        sigset_t s;

        sigemptyset(&s);
        for (size_t i = 0; i < ELEMENTSOF(fatal_signals); i++)
                sigaddset(&s, fatal_signals[i]);
        sigprocmask(SIG_BLOCK, &s, old);
}

static void unblock(const sigset_t *old) {
        sigprocmask(SIG_SETMASK, old, NULL);
}

int sigguard_add_file(const char *path) {
        install();
        if (strlen(path) >= PATH_MAX)
                return -ENAMETOOLONG;
        for (size_t i = 0; i < ELEMENTSOF(guard_files); i++)
                if (!guard_files[i][0]) {
                        strcpy(guard_files[i], path);
                        return (int) i;
                }
        return -EMFILE;
}

void sigguard_forget(int slot) {
        if (slot >= 0 && (size_t) slot < ELEMENTSOF(guard_files))
                guard_files[slot][0] = '\0';
}

int sigguard_add_child(pid_t pid) {
        sigset_t old;
        pid_t *l;
        int r;

        install();
        block(&old);
        for (size_t i = 0; i < n_guard_children; i++)
                if (guard_children[i] <= 0) {
                        guard_children[i] = pid;
                        unblock(&old);
                        return (int) i;
                }
        l = realloc(guard_children, (n_guard_children + 1) * sizeof(pid_t));
        if (l) {
                l[n_guard_children] = pid;
                guard_children = l;
                r = (int) n_guard_children++;
        } else
                r = -ENOMEM;
        unblock(&old);
        return r;
}

void sigguard_forget_child(int slot) {
        if (slot >= 0 && (size_t) slot < n_guard_children)
                guard_children[slot] = 0;
}

int sigguard_add_dir(const char *dir) {
        sigset_t old;
        char *copy, **l;
        int r = -ENOMEM;

        install();
        if (strlen(dir) >= PATH_MAX)
                return -ENAMETOOLONG;
        copy = strdup(dir);
        if (!copy)
                return -ENOMEM;
        block(&old);
        for (size_t i = 0; i < n_guard_dirs; i++)
                if (!guard_dirs[i]) {
                        guard_dirs[i] = copy;
                        unblock(&old);
                        return (int) i;
                }
        l = realloc(guard_dirs, (n_guard_dirs + 1) * sizeof(char *));
        if (l) {
                l[n_guard_dirs] = copy;
                guard_dirs = l;
                r = (int) n_guard_dirs++;
        } else
                free(copy);
        unblock(&old);
        return r;
}

void sigguard_forget_dir(int slot) {
        sigset_t old;
        char *p = NULL;

        if (slot < 0 || (size_t) slot >= n_guard_dirs)
                return;
        block(&old);
        p = guard_dirs[slot];
        guard_dirs[slot] = NULL;
        unblock(&old);
        free(p);
}
