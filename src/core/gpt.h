/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* A GUID partition table read from the first bytes of a disk, with
 * 512-byte sectors and the entries right after the header (LBA 2), as
 * every partitioning tool lays it out. */

#define GPT_READ_BYTES (2 * 512 + 128 * 128) /* MBR, header, 128 entries of 128 bytes */

typedef struct GptPart {
        unsigned number; /* as Linux numbers it: the entry's index + 1 */
        char type[37];   /* the type GUID, upper case, as sgdisk and libguestfs print it */
} GptPart;

/* The used entries of the table in disk[0..len), in entry order.
 * -EOPNOTSUPP where the table is not that layout or not intact (no
 * "EFI PART" at LBA 1, another sector or entry size, entries elsewhere
 * or beyond len, a CRC that does not match): the caller asks a
 * partitioning tool instead. */
int gpt_parse(const uint8_t *disk, size_t len, GptPart **ret, size_t *ret_n);
