/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

typedef enum ReadMode {
        READ_HEAD,      /* the first max bytes, whatever the size */
        READ_WHOLE,     /* all of it: -EFBIG if it is larger than max */
        READ_TAIL,      /* the last max bytes (a log's end) */
} ReadMode;

/* At most max bytes of the host file path, NUL-terminated (*ret_len, if
 * asked, without the NUL): -errno if it cannot be read (-ENOENT: not
 * there), -EINVAL if it is not a regular file. */
int read_file_bounded(const char *path, size_t max, ReadMode mode, char **ret, size_t *ret_len);
