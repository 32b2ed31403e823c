/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "pe.h"
#include "shared/unaligned.h"

int pe_signed(const void *buf, size_t len) {
        const unsigned char *b = buf;
        uint32_t pe, dirs, n_dirs;
        uint16_t magic;

        if (len < 0x40 || b[0] != 'M' || b[1] != 'Z')
                return -EBADMSG;
        pe = unaligned_le32(b + 0x3c);
        if (pe > len || len - pe < 24 + 2 || memcmp(b + pe, "PE\0\0", 4) != 0)
                return -EBADMSG;
        magic = unaligned_le16(b + pe + 24);
        /* the optional header: its data directories start at 96 (PE32) or 112 (PE32+) */
        if (magic == 0x10b)
                dirs = pe + 24 + 96;
        else if (magic == 0x20b)
                dirs = pe + 24 + 112;
        else
                return -EBADMSG;
        if (dirs < 4 || dirs - 4 > len || len - (dirs - 4) < 4)
                return -EBADMSG;
        n_dirs = unaligned_le32(b + dirs - 4);
        if (n_dirs <= 4)
                return 0;
        /* entry 4: the certificate table (file offset, size) */
        if (dirs + 5 * 8 > len)
                return -EBADMSG;
        return unaligned_le32(b + dirs + 4 * 8) != 0 && unaligned_le32(b + dirs + 4 * 8 + 4) != 0;
}
