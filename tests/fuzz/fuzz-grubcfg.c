/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/grubcfg.h"
#include "fuzz.h"
#include "shared/strv.h"

/* grub.cfg from an image: parse, pick the default, resolve it, find a
 * Debian id path; and grubenv. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        GrubConfig *c = NULL;
        GrubResolution res = {};
        char **env = NULL, *value = NULL, *path = NULL;
        const char *source = NULL;

        if (grubenv_parse((const char *) data, size, &env) < 0)
                env = NULL;
        if (grubcfg_parse((const char *) data, size, &c) < 0)
                goto out;
        if (grubcfg_effective_default(c, env, &value, &source) >= 0 && value) {
                if (grubcfg_resolve(c, value, &res) >= 0) {
                        if (res.entry)
                                (void) grub_entry_kernel_release(res.entry);
                        grub_resolution_done(&res);
                }
        }
        if (grubcfg_resolve(c, "1>0", &res) >= 0)
                grub_resolution_done(&res);
        if (grub_debian_id_path(c, "6.1.0-56-cloud-amd64", &path) >= 0)
                free(path);
out:
        free(value);
        grubcfg_free(c);
        strv_free(env);
        return 0;
}
