/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* Sets KEY="value" in shell-style text such as /etc/default/grub: the last
 * active assignment is rewritten in place, earlier active ones are
 * commented out, everything else (comments, other keys, order) is kept;
 * appended if absent. value must not contain a double quote, backslash,
 * '$', '`' or newline (-EINVAL); text must not contain a NUL (-EBADMSG). */
int shellvars_set(const char *text, size_t len, const char *key, const char *value, char **ret);

/* Shell-style KEY=value files such as /etc/default/grub: the value of the
 * last assignment to key, unquoted; NULL (return 0) if not assigned. */
int shellvars_get(const char *text, size_t len, const char *key, char **ret);
