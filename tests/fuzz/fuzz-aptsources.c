/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/aptsources.h"
#include "fuzz.h"

/* A guest's sources.list or *.sources, as kpin fetch reads them. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        AptSources s = {};

        if (apt_sources_parse((const char *) data, size, size > 0 && data[0] & 1, &s) >= 0)
                for (size_t i = 0; i < s.n; i++)
                        free(apt_source_line(&s.v[i]));
        apt_sources_done(&s);
        return 0;
}
