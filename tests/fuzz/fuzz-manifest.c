/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/manifest.h"
#include "fuzz.h"

/* A Packer manifest. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *file = NULL, *error = NULL;

        if (packer_manifest_artifact((const char *) data, size, "hpc-compute", NULL, &file, &error) >= 0) {
                if (!file || !*file)
                        abort();
        }
        free(file);
        free(error);
        return 0;
}
