/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* A file of the repository (tests run from its root). */
static inline char *read_file_or_die(const char *path, size_t *ret_len) {
        FILE *f;
        char *buf;
        long n;

        f = fopen(path, "rb");
        assert_non_null(f);
        assert_int_equal(fseek(f, 0, SEEK_END), 0);
        n = ftell(f);
        assert_true(n >= 0);
        rewind(f);
        buf = malloc(n + 1);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, n, f), (size_t) n);
        buf[n] = '\0';
        fclose(f);
        *ret_len = (size_t) n;
        return buf;
}

/* Real captured data lives in tests/unit/data. */
static inline char *read_data(const char *name, size_t *ret_len) {
        char path[512];

        snprintf(path, sizeof(path), "tests/unit/data/%s", name);
        return read_file_or_die(path, ret_len);
}
