/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "gpt.h"
#include "shared/unaligned.h"

/* the mixed-endian GUID of an entry as text */
static void guid_text(const uint8_t *g, char out[37]) {
        snprintf(out, 37, "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X", g[3], g[2], g[1],
                 g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
}

int gpt_parse(const uint8_t *disk, size_t len, GptPart **ret, size_t *ret_n) {
        static const uint8_t zero[16];
        const uint8_t *h = disk + 512, *e;
        uint8_t hdr[512];
        uint32_t hsize, count, esize;
        GptPart *parts;
        size_t n = 0;

        if (len < 1024 || memcmp(h, "EFI PART", 8) != 0)
                return -EOPNOTSUPP;
        hsize = unaligned_le32(h + 12);
        if (hsize < 92 || hsize > 512)
                return -EOPNOTSUPP;
        memcpy(hdr, h, hsize);
        memset(hdr + 16, 0, 4); /* the header's CRC is computed with its own field zeroed */
        if (crc32(0, hdr, hsize) != unaligned_le32(h + 16))
                return -EOPNOTSUPP;
        count = unaligned_le32(h + 80);
        esize = unaligned_le32(h + 84);
        if (unaligned_le64(h + 24) != 1 || unaligned_le64(h + 72) != 2 || esize != 128 || count == 0 || count > 128 ||
            1024 + (size_t) count * esize > len)
                return -EOPNOTSUPP;
        e = disk + 1024;
        if (crc32(0, e, count * esize) != unaligned_le32(h + 88))
                return -EOPNOTSUPP;
        parts = calloc(count, sizeof(GptPart));
        if (!parts)
                return -ENOMEM;
        for (uint32_t i = 0; i < count; i++, e += esize) {
                if (memcmp(e, zero, 16) == 0)
                        continue;
                parts[n].number = i + 1;
                guid_text(e, parts[n].type);
                n++;
        }
        *ret = parts;
        *ret_n = n;
        return 0;
}
