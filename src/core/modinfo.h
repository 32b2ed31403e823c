/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* Kernel module files as the guest stores them: plain ELF (.ko), or
 * compressed .ko.gz / .ko.xz / .ko.zst. Pure: bytes in, strings out. */
typedef enum KoCompression {
        KO_PLAIN,
        KO_GZIP,
        KO_XZ,
        KO_ZSTD,
        KO_UNKNOWN,
} KoCompression;

/* From the leading bytes (magic), never from the file name. */
KoCompression ko_compression(const void *data, size_t len);
const char *ko_compression_to_string(KoCompression c);

/* Decompresses (by magic) into a fresh buffer of at most max bytes:
 * -EFBIG past that, -EBADMSG on corrupt or truncated data, -EPROTO on an
 * unknown format. A plain ELF is copied. */
int ko_decompress(const void *data, size_t len, size_t max, void **ret, size_t *ret_len);

/* The .modinfo section of an ELF relocatable (32/64-bit, either byte
 * order) as "key=value" strings, in file order. -ENOEXEC if not ELF,
 * -EBADMSG if a header or section lies outside the bytes, -ENOENT if there
 * is no .modinfo section. */
int ko_modinfo(const void *elf, size_t len, char ***ret);

/* The value of key in a modinfo list; NULL if absent. */
const char *ko_modinfo_get(char * const *modinfo, const char *key);

/* Does vermagic ("6.1.0-56-cloud-amd64 SMP preempt mod_unload ...") name
 * exactly kernel release kver as its first word? */
int ko_vermagic_matches(const char *vermagic, const char *kver);
