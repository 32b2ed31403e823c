/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/profile.h"
#include "fuzz.h"

/* An image profile a user wrote. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = fuzz_text(data, size), *error = NULL;
        Profile p;

        if (!text)
                return 0;
        if (profile_parse("images/fuzz.conf", text, &p, &error) >= 0)
                profile_done(&p);
        else if (error && strncmp(error, "images/fuzz.conf", 16) != 0)
                abort(); /* every error names the file */
        free(error);
        free(text);
        return 0;
}
