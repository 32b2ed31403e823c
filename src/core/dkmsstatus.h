/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* DKMS make.log: the kernel it was written for, from its first line
 *   "DKMS make.log for kpin-canary-1.0 for kernel 6.1.0-56-cloud-amd64 (x86_64)"  (dkms 2.x/3.0)
 *   "DKMS (dkms-3.2.2) make.log for kpin-canary/1.0 for kernel 6.12.117+deb13-cloud-amd64 (x86_64)"
 * -EBADMSG if the log has no such header. */
int dkms_makelog_kernel(const char *text, size_t len, char **ret_kernel);

/* The first real compiler/linker error of a make.log and up to `context`
 * lines after it (source line, caret), '\n'-joined; -ENOENT if none. */
int dkms_makelog_first_error(const char *text, size_t len, unsigned context, char **ret);
