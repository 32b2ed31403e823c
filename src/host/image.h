/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "core/imgfmt.h"

/* Everything kpin checks about an image file before any QEMU or libguestfs
 * process sees it: it exists and is a regular readable file, its format
 * comes from its own header (and agrees with a .qcow2 or .raw name) and its
 * metadata lies inside the file, each backing file stays beside it (or is
 * one of allow_backing) and is what the header says it is, and no other
 * process has it open for writing; to be replaced in place, it must be
 * writable for kpin and carry a write permission bit (a base image marked
 * read-only stays so, even for root, unless IMAGE_CHECK_FORCE). Records the failure class (log_fail) on error. */
enum {
        IMAGE_CHECK_WRITE = 1 << 0,   /* it is to be replaced in place */
        IMAGE_CHECK_FORCE = 1 << 1,   /* even if it is write-protected (no w bit) */
};
int image_check(const char *path, unsigned flags, char * const *allow_backing, ImageInfo *ret);

/* An ImageReadFn over a file descriptor (userdata: an int *). */
int image_read_fd(void *userdata, uint64_t off, void *buf, size_t len);

/* 1 if a QEMU process holds the image with write permission, 0 if not. */
int image_locked_for_write(int fd);
