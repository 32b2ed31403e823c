/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "spawn.h"

int spawn_run(char * const *argv, size_t max, char **ret_output) {
        char *buf = NULL;
        size_t n = 0;
        int pipefd[2], status;
        pid_t pid;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                int r = -errno;

                close(pipefd[0]);
                close(pipefd[1]);
                return r;
        }
        if (pid == 0) {
                int devnull = open("/dev/null", O_RDONLY);

                if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(pipefd[1], 1) < 0 || dup2(pipefd[1], 2) < 0)
                        _exit(127);
                execvp(argv[0], argv);
                dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        close(pipefd[1]);
        buf = malloc(max + 1);
        for (;;) {
                char tmp[4096];
                ssize_t k = read(pipefd[0], tmp, sizeof(tmp));

                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                if (buf && n < max) {
                        size_t c = (size_t) k < max - n ? (size_t) k : max - n;

                        memcpy(buf + n, tmp, c);
                        n += c;
                }
        }
        close(pipefd[0]);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        free(buf);
                        return -errno;
                }
        if (buf)
                buf[n] = '\0';
        if (ret_output)
                *ret_output = buf;
        else
                free(buf);
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        return 128 + WTERMSIG(status);
}

const char *host_tmpdir(void) {
        const char *t = getenv("TMPDIR");

        return t && *t == '/' ? t : "/var/tmp"; /* not /tmp: overlays grow, and /tmp may be RAM */
}

_Noreturn void spawn_exec_child(char * const *argv, int in_fd, const char *log, int deathsig) {
        int null = open("/dev/null", O_RDWR), lf = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        (void) prctl(PR_SET_PDEATHSIG, deathsig);
        if (getppid() == 1) /* kpin is gone already */
                _exit(127);
        if (in_fd >= 0)
                dup2(in_fd, STDIN_FILENO);
        else if (null >= 0)
                dup2(null, STDIN_FILENO);
        if (lf >= 0) {
                dup2(lf, STDOUT_FILENO);
                dup2(lf, STDERR_FILENO);
        }
        execvp(argv[0], argv);
        _exit(127);
}

int spawn_wait(pid_t pid, unsigned ms) {
        for (unsigned i = 0; i <= ms / 20; i++) {
                int status;
                pid_t w = waitpid(pid, &status, WNOHANG);

                if (w == pid || (w < 0 && errno == ECHILD))
                        return 1;
                if (i < ms / 20)
                        usleep(20 * 1000);
        }
        return 0;
}

char *spawn_log_first_line(const char *path) {
        char buf[1024] = "";
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

        if (n <= 0)
                return NULL;
        buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        return *buf ? strdup(buf) : NULL;
}
