/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Runs argv (no shell), stdin from /dev/null. Captures up to max bytes of
 * stdout+stderr into *ret_output (may be NULL). Returns the exit status
 * (>= 0), or -errno if it could not run. */
int spawn_run(char * const *argv, size_t max, char **ret_output);

/* Where kpin puts host-side temporaries: $TMPDIR if absolute, else /var/tmp. */
const char *host_tmpdir(void);

/* In a child just forked: the parent's death sends it deathsig (it goes
 * with kpin, even on kill -9), stdin is in_fd (-1: /dev/null), stdout and
 * stderr go to log (created 0600), then argv runs; never returns (127 if
 * it could not). */
_Noreturn void spawn_exec_child(char * const *argv, int in_fd, const char *log, int deathsig);

/* Waits up to ms for the child pid to exit (reaping it); 1 if it is gone,
 * 0 if it still runs. */
int spawn_wait(pid_t pid, unsigned ms);

/* The first line of a file (a child's log: why it did not start), at most
 * 1 KiB; NULL if there is none. */
char *spawn_log_first_line(const char *path);
