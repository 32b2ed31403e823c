/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netswitch.h"
#include "shared/cleanup.h"
#include "shared/log.h"
#include "shared/sigguard.h"
#include "shared/spawn.h"
#include "shared/strv.h"
#include "shared/tmpdir.h"

#define SWITCH_BINARY "vde_switch"

NetSwitch *netswitch_stop(NetSwitch *s) {
        if (!s)
                return NULL;
        if (s->hold >= 0)
                close(s->hold); /* EOF on its stdin: it removes its sockets and exits */
        if (s->pid > 0 && !spawn_wait(s->pid, 2000)) {
                kill(s->pid, SIGKILL);
                (void) spawn_wait(s->pid, 2000);
        }
        sigguard_forget_child(s->guard);
        if (s->run_dir)
                (void) sigguard_remove_tree(s->run_dir, 3);
        sigguard_forget_dir(s->guard_dir);
        free(s->run_dir);
        free(s->sock);
        free(s);
        return NULL;
}

int netswitch_start(NetSwitch **ret) {
        _cleanup_(netswitch_stopp) NetSwitch *s = calloc(1, sizeof(NetSwitch));
        _cleanup_free_ char *ctl = NULL, *log = NULL;
        int p[2];

        if (!s)
                return -ENOMEM;
        s->hold = -1;
        s->guard = s->guard_dir = -1;
        s->run_dir = tmpdir_make("net");
        if (!s->run_dir)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -errno, "cannot create a directory for the VM network: %m");
        s->guard_dir = sigguard_add_dir(s->run_dir);
        if (s->guard_dir < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, s->guard_dir, "%s: cannot guard the VM network's directory: %m",
                                s->run_dir);
        s->sock = strprintf("%s/switch", s->run_dir);
        ctl = strprintf("%s/switch/ctl", s->run_dir);
        log = strprintf("%s/switch.log", s->run_dir);
        if (!s->sock || !ctl || !log)
                return -ENOMEM;
        if (pipe2(p, O_CLOEXEC) < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -errno, "pipe: %m");
        s->pid = fork();
        if (s->pid < 0) {
                close(p[0]);
                close(p[1]);
                return log_fail(KPIN_EXIT_ENVIRONMENT, -errno, "fork: %m");
        }
        if (s->pid == 0) {
                char *argv[] = { SWITCH_BINARY, "--sock", s->sock, "--dirmode", "0700", "--mode", "0600", "--hub", NULL };

                /* it goes with kpin whatever happens: its stdin closes, and the kernel sends SIGTERM */
                spawn_exec_child(argv, p[0], log, SIGTERM);
        }
        close(p[0]);
        s->hold = p[1];
        s->guard = sigguard_add_child(s->pid);
        if (s->guard < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, s->guard, "cannot guard the VM network's switch: %m");
        for (unsigned i = 0; i < 250; i++) {
                int status;

                if (access(ctl, F_OK) == 0) {
                        *ret = TAKE_PTR(s);
                        return 0;
                }
                if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
                        _cleanup_free_ char *why = spawn_log_first_line(log);

                        s->pid = 0;
                        if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
                                return log_fail(KPIN_EXIT_ENVIRONMENT, -ENOENT, "the VM network needs %s (Debian package "
                                                "vde-switch), which could not be run", SWITCH_BINARY);
                        return log_fail(KPIN_EXIT_ENVIRONMENT, -EIO, "%s exited before it listened: %s", SWITCH_BINARY,
                                        why && *why ? why : "no reason given");
                }
                usleep(20 * 1000);
        }
        return log_fail(KPIN_EXIT_ENVIRONMENT, -ETIMEDOUT, "%s did not listen on %s within 5 s", SWITCH_BINARY, s->sock);
}
