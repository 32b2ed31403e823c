/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "accel.h"
#include "core/kver.h"
#include "shared/cleanup.h"
#include "shared/log.h"
#include "shared/strv.h"

#define PROBE_BANNER "Linux version "

int accel_mode_from_string(const char *s, AccelMode *ret) {
        if (strcmp(s, "auto") == 0)
                *ret = ACCEL_AUTO;
        else if (strcmp(s, "kvm") == 0)
                *ret = ACCEL_KVM;
        else if (strcmp(s, "tcg") == 0)
                *ret = ACCEL_TCG;
        else
                return -EINVAL;
        return 0;
}

/* The newest readable /boot/vmlinuz-*, or $KPIN_PROBE_KERNEL. */
static int find_probe_kernel(char **ret) {
        _cleanup_free_ char *best = NULL;
        const char *env = getenv("KPIN_PROBE_KERNEL");
        DIR *d;
        struct dirent *de;

        if (env && *env) {
                *ret = strdup(env);
                return *ret ? 0 : -ENOMEM;
        }
        d = opendir("/boot");
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                if (!startswith(de->d_name, "vmlinuz-"))
                        continue;
                if (!best || kver_compare(de->d_name + 8, best + 8) > 0) {
                        free(best);
                        best = strdup(de->d_name);
                        if (!best) {
                                closedir(d);
                                return -ENOMEM;
                        }
                }
        }
        closedir(d);
        if (!best)
                return -ENOENT;
        *ret = strprintf("/boot/%s", best);
        return *ret ? 0 : -ENOMEM;
}

static long long now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The line of QEMU's output that best says why it died: the first that
 * mentions an error or assertion, else the first non-empty one. */
static char *failure_line(const char *out) {
        const char *first = NULL, *first_end = NULL;

        for (const char *p = out; *p;) {
                const char *eol = strchrnul(p, '\n');

                if (memmem(p, eol - p, "rror", 4) || memmem(p, eol - p, "ssert", 5))
                        return strndup(p, eol - p);
                if (!first && eol > p) {
                        first = p;
                        first_end = eol;
                }
                p = *eol ? eol + 1 : eol;
        }
        return first ? strndup(first, first_end - first) : NULL;
}

int accel_probe_kvm(unsigned timeout_ms, char **ret_reason) {
        _cleanup_free_ char *kernel = NULL, *out = NULL;
        _cleanup_close_ int kvm = -1;
        const char *qemu = getenv("KPIN_QEMU");
        size_t n_out = 0, cap = 64 * 1024;
        int pipefd[2], status, r, usable = 0;
        long long deadline;
        pid_t pid;

        kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
        if (kvm < 0) {
                *ret_reason = strprintf("cannot open /dev/kvm: %s", strerror(errno));
                return 0;
        }
        r = find_probe_kernel(&kernel);
        if (r < 0) {
                *ret_reason = strdup("no kernel in /boot to probe KVM with");
                return 0;
        }
        out = malloc(cap);
        if (!out)
                return -ENOMEM;
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;

        pid = fork();
        if (pid < 0) {
                r = -errno;
                close(pipefd[0]);
                close(pipefd[1]);
                return r;
        }
        if (pid == 0) {
                const char *argv[] = {
                        qemu ? qemu : "qemu-system-x86_64",
                        "-accel", "kvm", "-cpu", "max", "-m", "256", "-smp", "1",
                        "-nodefaults", "-no-user-config", "-display", "none",
                        "-serial", "stdio", "-monitor", "none", "-no-reboot",
                        "-kernel", kernel,
                        "-append", "console=ttyS0 earlyprintk=serial,ttyS0,115200 panic=-1",
                        NULL,
                };
                int devnull = open("/dev/null", O_RDONLY);

                if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(pipefd[1], 1) < 0 || dup2(pipefd[1], 2) < 0)
                        _exit(127);
                execvp(argv[0], (char **) argv);
                dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        close(pipefd[1]);

        deadline = now_ms() + timeout_ms;
        for (;;) {
                struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
                long long left = deadline - now_ms();
                ssize_t k;

                if (left <= 0)
                        break;
                r = poll(&pfd, 1, (int) left);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        break;
                k = read(pipefd[0], out + n_out, cap - 1 - n_out);
                if (k <= 0)
                        break; /* QEMU exited */
                n_out += k;
                out[n_out] = '\0';
                if (strstr(out, PROBE_BANNER)) {
                        usable = 1;
                        break;
                }
                if (n_out >= cap - 1) /* keep the tail, the banner may straddle */
                        memmove(out, out + n_out - 256, 256), n_out = 256;
        }
        out[n_out] = '\0';
        close(pipefd[0]);
        kill(pid, SIGKILL);
        (void) waitpid(pid, &status, 0);

        if (!usable) {
                *ret_reason = failure_line(out);
                if (!*ret_reason)
                        *ret_reason = strprintf("no kernel output within %u ms", timeout_ms);
        }
        return usable;
}

int accel_resolve(AccelMode mode, bool *ret_kvm) {
        static int decided = -1; /* probe once per run: one probe, one warning */
        _cleanup_free_ char *reason = NULL;
        long long t0;
        int r;

        if (mode != ACCEL_AUTO) {
                *ret_kvm = mode == ACCEL_KVM;
                return 0;
        }
        if (decided >= 0) {
                *ret_kvm = decided;
                return 0;
        }
        t0 = now_ms();
        r = accel_probe_kvm(2000, &reason);
        if (r < 0)
                return r;
        log_debug("KVM probe: %s in %lld ms", r ? "usable" : "unusable", now_ms() - t0);
        if (r == 0)
                log_warning("KVM is not usable (%s); using TCG software emulation, which is slower",
                            reason ? reason : "unknown");
        decided = r;
        *ret_kvm = r;
        return 0;
}
