/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What an image file is, decided from its own bytes (never from probing by
 * QEMU, which an untrusted file could steer). */
typedef enum ImageFormat {
        IMAGE_FORMAT_RAW,
        IMAGE_FORMAT_QCOW2,
} ImageFormat;

typedef struct ImageInfo {
        ImageFormat format;
        uint64_t virtual_size;
        unsigned qcow2_version;
        char *backing_file;     /* NULL if none */
        char *backing_format;   /* as the header records it ("qcow2", "raw"); NULL if it does not */
        bool dirty;             /* qcow2 dirty bit: not cleanly closed */
} ImageInfo;

/* Reads exactly len bytes at off; -EIO (or any -errno) if it cannot. */
typedef int (*ImageReadFn)(void *userdata, uint64_t off, void *buf, size_t len);

/* An ImageReadFn over bytes in memory (userdata: an ImageMem). */
typedef struct ImageMem {
        const void *data;
        size_t size;
} ImageMem;
int image_read_mem(void *userdata, uint64_t off, void *buf, size_t len);

/* Identifies and validates an image of file_size bytes. A qcow2's header,
 * L1/L2 tables and refcount table must lie inside the file (a truncated
 * qcow2 fails here); a raw file must carry an MBR/GPT or a filesystem
 * signature. On failure, *ret_why (if given) says why in a few words, and
 * the return is -EMEDIUMTYPE (not a disk image), -EBADMSG (corrupt),
 * -EPROTONOSUPPORT (a format or feature kpin does not handle). */
int image_identify(ImageReadFn read_fn, void *userdata, uint64_t file_size,
                   ImageInfo *ret, char **ret_why);
void image_info_done(ImageInfo *i);
const char *image_format_to_string(ImageFormat f);
