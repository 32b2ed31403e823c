/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/dkmsstatus.h"
#include "fuzz.h"

/* What DKMS leaves in an image: `dkms status` output, make.log, dkms.conf. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *t = (const char *) data;
        DkmsStatusLine *lines = NULL;
        DkmsConf conf = {};
        char *s = NULL;
        size_t n = 0;

        if (dkms_status_parse(t, size, &lines, &n) >= 0)
                dkms_status_free(lines, n);
        if (dkms_makelog_kernel(t, size, &s) >= 0)
                free(s);
        s = NULL;
        if (dkms_makelog_first_error(t, size, 2, &s) >= 0)
                free(s);
        if (dkms_conf_parse(t, size, &conf) >= 0)
                dkms_conf_done(&conf);
        return 0;
}
