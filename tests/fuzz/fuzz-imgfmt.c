/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/imgfmt.h"
#include "fuzz.h"

/* The header of an untrusted image file. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ImageMem m = { data, size };
        ImageInfo info = {};
        char *why = NULL;

        if (image_identify(image_read_mem, &m, size, &info, &why) >= 0)
                image_info_done(&info);
        free(why);
        return 0;
}
