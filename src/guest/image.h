/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "core/imgfmt.h"

/* Everything kpin checks about an image file before any QEMU or libguestfs
 * process sees it: it exists and is a regular readable file, its format
 * comes from its own header (and agrees with a .qcow2 or .raw name) and its
 * metadata lies inside the file, each backing file stays beside it (or is
 * one of allow_backing) and is what the header says it is, and no other
 * process has it open for writing. Records the failure class (log_fail) on error. */
int image_check(const char *path, bool for_write, char * const *allow_backing, ImageInfo *ret);

/* An ImageReadFn over a file descriptor (userdata: an int *). */
int image_read_fd(void *userdata, uint64_t off, void *buf, size_t len);

/* 1 if a QEMU process holds the image with write permission, 0 if not. */
int image_locked_for_write(int fd);
