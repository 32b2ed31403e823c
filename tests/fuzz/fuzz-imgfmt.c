/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>

#include "core/imgfmt.h"
#include "fuzz.h"

typedef struct Mem {
        const uint8_t *p;
        size_t size;
} Mem;

static int mem_read(void *userdata, uint64_t off, void *buf, size_t len) {
        const Mem *m = userdata;

        if (off > m->size || len > m->size - off)
                return -EIO;
        memcpy(buf, m->p + off, len);
        return 0;
}

/* The header of an untrusted image file. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Mem m = { data, size };
        ImageInfo info = {};
        char *why = NULL;

        if (image_identify(mem_read, &m, size, &info, &why) >= 0)
                image_info_done(&info);
        free(why);
        return 0;
}
