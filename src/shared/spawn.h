/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* Runs argv (no shell), stdin from /dev/null. Captures up to max bytes of
 * stdout+stderr into *ret_output (may be NULL). Returns the exit status
 * (>= 0), or -errno if it could not run. */
int spawn_run(char * const *argv, size_t max, char **ret_output);

/* Where kpin puts host-side temporaries: $TMPDIR if absolute, else /var/tmp. */
const char *host_tmpdir(void);
