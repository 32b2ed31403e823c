/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>

/* Integers of a given byte order read from bytes that need not be
 * aligned: on-disk and on-wire formats (qcow2, GPT, ELF, PE, module
 * signatures, SHA-256 blocks). */

static inline uint16_t unaligned_le16(const uint8_t *p) {
        return (uint16_t) (p[0] | p[1] << 8);
}

static inline uint32_t unaligned_le32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static inline uint64_t unaligned_le64(const uint8_t *p) {
        return unaligned_le32(p) | (uint64_t) unaligned_le32(p + 4) << 32;
}

static inline uint32_t unaligned_be32(const uint8_t *p) {
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static inline uint64_t unaligned_be64(const uint8_t *p) {
        return (uint64_t) unaligned_be32(p) << 32 | unaligned_be32(p + 4);
}
