/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "aptpin.h"
#include "shared/strv.h"

#define KERNEL_PACKAGES "linux-image-* linux-headers-* linux-kbuild-*"

int aptpin_kernel_series_text(const char *series, const char *release, char **ret) {
        char *t;

        /* series "6.1": digits and one dot, so it is safe in a glob */
        if (!series || !*series || strspn(series, "0123456789.") != strlen(series) || !strchr(series, '.'))
                return -EINVAL;
        t = strprintf("# Written by kpin: this image runs Linux %s (%s).\n"
                      "# Kernel packages of other series are never installed; remove this file\n"
                      "# and the holds (apt-mark showhold) to let the distribution kernel back.\n"
                      "Explanation: kpin: allow the pinned series\n"
                      "Package: " KERNEL_PACKAGES "\n"
                      "Pin: version %s.*\n"
                      "Pin-Priority: 500\n"
                      "\n"
                      "Explanation: kpin: refuse every other kernel series\n"
                      "Package: " KERNEL_PACKAGES "\n"
                      "Pin: version /./\n"
                      "Pin-Priority: -1\n",
                      series, release, series);
        if (!t)
                return -ENOMEM;
        *ret = t;
        return 0;
}
