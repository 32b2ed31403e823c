/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/cleanup.h"
#include "shared/log.h"
#include "shared/spawn.h"
#include "shared/strv.h"
#include "txn.h"

#define TEMP_PREFIX ".kpin-"

/* The temps to remove if a signal ends the run: fixed buffers, because the
 * handler may only call async-signal-safe functions. Two per transaction,
 * and a repair has two at once (its work overlay and the boot test's). */
static char signal_unlink[4][PATH_MAX];

static volatile pid_t signal_kill_pid;
static char signal_unlink_extra[5][PATH_MAX]; /* a VM's run directory: files, then the directory */

static void on_fatal_signal(int sig) {
        if (signal_kill_pid > 0)
                kill(signal_kill_pid, SIGKILL);
        for (size_t i = 0; i < ELEMENTSOF(signal_unlink); i++)
                if (signal_unlink[i][0])
                        unlink(signal_unlink[i]);
        for (size_t i = 0; i < ELEMENTSOF(signal_unlink_extra); i++)
                if (signal_unlink_extra[i][0])
                        (void) (i + 1 < ELEMENTSOF(signal_unlink_extra) ? unlink(signal_unlink_extra[i])
                                                                         : rmdir(signal_unlink_extra[i]));
        signal(sig, SIG_DFL);
        raise(sig);
}

static void guard_path(int slot, const char *path) {
        if (slot < 0)
                return;
        if (path && strlen(path) < PATH_MAX)
                strcpy(signal_unlink[slot], path);
        else
                signal_unlink[slot][0] = '\0';
}

static int free_guard_slot(void) {
        for (size_t i = 0; i < ELEMENTSOF(signal_unlink); i++)
                if (!signal_unlink[i][0])
                        return (int) i;
        return -1;
}

static void install_signal_guard(void) {
        struct sigaction sa = { .sa_handler = on_fatal_signal };

        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
}

void txn_guard_run_dir(const char *dir, const char *const *files, size_t n) {
        install_signal_guard();
        for (size_t i = 0; i < ELEMENTSOF(signal_unlink_extra); i++)
                signal_unlink_extra[i][0] = '\0';
        if (!dir || strlen(dir) >= PATH_MAX)
                return;
        for (size_t i = 0; i < n && i + 1 < ELEMENTSOF(signal_unlink_extra); i++)
                if (files[i] && strlen(files[i]) < PATH_MAX)
                        strcpy(signal_unlink_extra[i], files[i]);
        strcpy(signal_unlink_extra[ELEMENTSOF(signal_unlink_extra) - 1], dir);
}

void txn_guard_child(pid_t pid) {
        install_signal_guard();
        signal_kill_pid = pid;
}

/* Removes ".kpin-PID-NAME.*" temps in dir whose PID is gone. */
static void remove_stale_temps(const char *dir, const char *name) {
        DIR *d = opendir(dir);
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d))) {
                char *end;
                long pid;

                if (!startswith(de->d_name, TEMP_PREFIX))
                        continue;
                pid = strtol(de->d_name + strlen(TEMP_PREFIX), &end, 10);
                if (end == de->d_name + strlen(TEMP_PREFIX) || *end != '-' || !startswith(end + 1, name) ||
                    end[1 + strlen(name)] != '.')
                        continue;
                if (pid > 0 && (kill((pid_t) pid, 0) == 0 || errno != ESRCH))
                        continue; /* another kpin is working on it */
                if (unlinkat(dirfd(d), de->d_name, 0) == 0)
                        log_warning("removed %s/%s, left behind by an interrupted kpin run (pid %ld)", dir,
                                    de->d_name, pid);
        }
        closedir(d);
}

void txn_free(Txn *t) {
        if (!t)
                return;
        if (t->overlay)
                unlink(t->overlay);
        if (t->tmp_out)
                unlink(t->tmp_out);
        guard_path(t->guard[0], NULL);
        guard_path(t->guard[1], NULL);
        free(t->image);
        free(t->target);
        free(t->overlay);
        free(t->tmp_out);
        free(t);
}

int txn_begin(const char *image, ImageFormat format, const char *out, bool in_place, Txn **ret) {
        _cleanup_(txn_freep) Txn *t = NULL;
        _cleanup_free_ char *target_copy = NULL, *dir = NULL, *output = NULL;
        const char *name;
        int r;

        t = calloc(1, sizeof(Txn));
        if (!t)
                return -ENOMEM;
        t->format = format;
        t->in_place = in_place;
        t->guard[0] = t->guard[1] = -1;
        t->image = realpath(image, NULL);
        if (!t->image)
                return log_fail(KPIN_EXIT_IMAGE_MISSING, -errno, "%s: %m", image);
        if (!out && !in_place) {
                /* scratch: a throw-away overlay in $TMPDIR, never committed */
                t->overlay = strprintf("%s/" TEMP_PREFIX "%d-scratch.overlay.qcow2", host_tmpdir(), (int) getpid());
                if (!t->overlay)
                        return -ENOMEM;
        } else {
                t->target = in_place ? strdup(t->image) : strdup(out);
                if (!t->target)
                        return -ENOMEM;

                target_copy = strdup(t->target);
                if (!target_copy)
                        return -ENOMEM;
                dir = strdup(dirname(target_copy));
                if (!dir)
                        return -ENOMEM;
                free(target_copy);
                target_copy = strdup(t->target);
                if (!target_copy)
                        return -ENOMEM;
                name = basename(target_copy);
                if (access(dir, W_OK) < 0)
                        return log_fail(KPIN_EXIT_IMAGE_MISSING, -errno, "%s: cannot write to %s: %m", t->target, dir);

                remove_stale_temps(dir, name);
                t->overlay = strprintf("%s/" TEMP_PREFIX "%d-%s.overlay.qcow2", dir, (int) getpid(), name);
                t->tmp_out = strprintf("%s/" TEMP_PREFIX "%d-%s.out.tmp", dir, (int) getpid(), name);
                if (!t->overlay || !t->tmp_out)
                        return -ENOMEM;
        }
        install_signal_guard();
        t->guard[0] = free_guard_slot();
        guard_path(t->guard[0], t->overlay);
        if (t->tmp_out) {
                t->guard[1] = free_guard_slot();
                guard_path(t->guard[1], t->tmp_out);
        }
        if (t->guard[0] < 0 || (t->tmp_out && t->guard[1] < 0))
                return -EMFILE; /* more transactions at once than kpin ever runs */

        {
                char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2",
                                 "-F", (char *) image_format_to_string(format), "-b", t->image,
                                 t->overlay, NULL };

                r = spawn_run(argv, 4096, &output);
        }
        if (r != 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -EIO, "cannot create the work overlay %s: %s", t->overlay,
                                output && *output ? strtok(output, "\n") : strerror(r < 0 ? -r : EIO));
        *ret = TAKE_PTR(t);
        return 0;
}

int txn_commit(Txn *t) {
        _cleanup_free_ char *output = NULL;
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r;

        if (!t->target)
                return -EINVAL; /* scratch */
        log_debug("committing: flattening %s into %s", t->overlay, t->tmp_out);
        {
                char *argv[] = { "qemu-img", "convert", "-q", "-f", "qcow2", "-O", "qcow2",
                                 t->overlay, t->tmp_out, NULL };

                r = spawn_run(argv, 4096, &output);
        }
        if (r != 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -EIO, "%s: writing the result failed: %s", t->target,
                                output && *output ? strtok(output, "\n") : "qemu-img convert failed");
        fd = open(t->tmp_out, O_RDWR | O_CLOEXEC);
        if (fd < 0 || fsync(fd) < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -errno, "%s: %m", t->tmp_out);
        /* in place, the result keeps the original's mode */
        if (t->in_place && stat(t->image, &st) == 0)
                (void) fchmod(fd, st.st_mode & 07777);
        if (rename(t->tmp_out, t->target) < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -errno, "%s: cannot move the result into place: %m", t->target);
        t->tmp_out = mfree(t->tmp_out);
        guard_path(t->guard[1], NULL);
        {
                /* the rename is durable once the directory is */
                _cleanup_free_ char *copy = strdup(t->target);
                _cleanup_close_ int dfd = copy ? open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;

                if (dfd >= 0)
                        (void) fsync(dfd);
        }
        return 0;
}
