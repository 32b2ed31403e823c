/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* SHA-256 (FIPS 180-4), for keys and checksums kpin computes itself. */
typedef struct Sha256 {
        uint32_t h[8];
        uint64_t len;
        unsigned char buf[64];
        size_t n;
} Sha256;

void sha256_init(Sha256 *s);
void sha256_update(Sha256 *s, const void *data, size_t len);
/* Finishes and writes 64 lowercase hex digits and a NUL. */
void sha256_hex(Sha256 *s, char ret[static 65]);
