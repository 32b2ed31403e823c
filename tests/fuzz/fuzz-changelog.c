/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/changelog.h"
#include "fuzz.h"

/* A kernel package's changelog.gz as the image or a package holds it. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ChangelogFixes f = {};

        if (changelog_fixes((const char *) data, size, "6.1.192-2", &f) >= 0)
                changelog_fixes_done(&f);
        return 0;
}
