/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/gpt.h"
#include "core/osinfo.h"
#include "fuzz.h"

/* What the quick inspection reads from an image: /etc/fstab, the first
 * bytes of the disk (its GPT), of /bin/bash and /etc/debian_version. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        FstabMount *m;
        GptPart *p;
        size_t n;
        char *t;
        int major, minor;

        if (fstab_mounts((const char *) data, size, &m, &n) == 0) {
                for (size_t i = 0; i < n; i++)
                        if (m[i].mountpoint[0] != '/' || (m[i].spec != FSTAB_SPEC_ROOT && !*m[i].key))
                                abort();
                fstab_mounts_free(m, n);
        }
        if (gpt_parse(data, size, &p, &n) == 0) {
                for (size_t i = 0; i < n; i++)
                        if (p[i].number == 0 || p[i].number > 128 || strlen(p[i].type) != 36)
                                abort();
                free(p);
        }
        (void) elf_arch(data, size);
        t = fuzz_text(data, size);
        if (t && os_version("debian", t, t, &major, &minor) == 0 && (major < 0 || minor < 0))
                abort();
        free(t);
        return 0;
}
