/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/shellvars.h"
#include "fuzz.h"

/* /etc/default/grub from an image: read a key, set it, read it back. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *v = NULL, *out = NULL, *back = NULL;

        if (shellvars_get((const char *) data, size, "GRUB_DEFAULT", &v) >= 0)
                free(v);
        if (shellvars_set((const char *) data, size, "GRUB_DEFAULT", "gnulinux-advanced-x>gnulinux-6.1.0-x", &out) < 0)
                return 0;
        if (shellvars_get(out, strlen(out), "GRUB_DEFAULT", &back) >= 0) {
                /* what was set is what is read back */
                if (!back || strcmp(back, "gnulinux-advanced-x>gnulinux-6.1.0-x") != 0)
                        abort();
                free(back);
        }
        free(out);
        return 0;
}
