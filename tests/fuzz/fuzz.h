/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* libFuzzer targets for the pure parsers: each feeds untrusted bytes (what
 * a guest image, a console or a user's file can hold) to one parser and
 * lets ASan/UBSan judge. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string (parsers that take text). */
static inline char *fuzz_text(const uint8_t *data, size_t size) {
        char *t = malloc(size + 1);

        if (t) {
                memcpy(t, data, size);
                t[size] = '\0';
        }
        return t;
}
