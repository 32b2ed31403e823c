/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "sigguard.h"

/* A transaction keeps up to three temporaries (work overlay, the clean copy
 * a probe-injecting boot test leaves, the result before its rename); a
 * repair boots through throw-away overlays on top of them. */
static char guard_files[8][PATH_MAX];
static volatile pid_t guard_children[5]; /* a test VM, open appliances */
static char guard_run[5][PATH_MAX]; /* a VM's run directory: files, then the directory */

static void on_fatal_signal(int sig) {
        for (size_t i = 0; i < ELEMENTSOF(guard_children); i++)
                if (guard_children[i] > 0)
                        kill(guard_children[i], SIGKILL);
        /* in the order they were taken: a directory after the files in it */
        for (size_t i = 0; i < ELEMENTSOF(guard_files); i++)
                if (guard_files[i][0] && unlink(guard_files[i]) < 0 && errno == EISDIR)
                        (void) rmdir(guard_files[i]);
        for (size_t i = 0; i < ELEMENTSOF(guard_run); i++)
                if (guard_run[i][0])
                        (void) (i + 1 < ELEMENTSOF(guard_run) ? unlink(guard_run[i]) : rmdir(guard_run[i]));
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
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
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
        install();
        for (size_t i = 0; i < ELEMENTSOF(guard_children); i++)
                if (guard_children[i] <= 0) {
                        guard_children[i] = pid;
                        return (int) i;
                }
        return -EMFILE;
}

void sigguard_forget_child(int slot) {
        if (slot >= 0 && (size_t) slot < ELEMENTSOF(guard_children))
                guard_children[slot] = 0;
}

void sigguard_run_dir(const char *dir, const char *const *files, size_t n) {
        install();
        for (size_t i = 0; i < ELEMENTSOF(guard_run); i++)
                guard_run[i][0] = '\0';
        if (!dir || strlen(dir) >= PATH_MAX)
                return;
        for (size_t i = 0; i < n && i + 1 < ELEMENTSOF(guard_run); i++)
                if (files[i] && strlen(files[i]) < PATH_MAX)
                        strcpy(guard_run[i], files[i]);
        strcpy(guard_run[ELEMENTSOF(guard_run) - 1], dir);
}
