/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/modinfo.h"
#include "fuzz.h"
#include "shared/strv.h"

/* A .ko[.gz|.xz|.zst] read back from an image: decompress, find .modinfo. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        void *elf = NULL;
        size_t n = 0;
        char **mi = NULL;

        (void) ko_compression(data, size);
        if (ko_decompress(data, size, 64 << 20, &elf, &n) < 0)
                return 0;
        if (ko_modinfo(elf, n, &mi) >= 0) {
                const char *vm = ko_modinfo_get(mi, "vermagic");

                if (vm)
                        (void) ko_vermagic_matches(vm, "6.1.0-56-cloud-amd64");
                strv_free(mi);
        }
        free(elf);
        return 0;
}
