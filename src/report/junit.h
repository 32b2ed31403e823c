/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* One check of a test run, as a JUnit testcase. */
typedef struct JunitCase {
        const char *classname;  /* NULL: kpin.boot-test */
        const char *name;
        bool passed;
        bool skipped;           /* not run (an earlier step failed) */
        const char *message;    /* why it failed or was skipped (or NULL) */
        const char *details;    /* failure body, e.g. the console's last lines */
        double seconds;
} JunitCase;

/* Writes a JUnit XML file (one testsuite) with libxml2; -errno on failure. */
int junit_write(const char *path, const char *suite, const JunitCase *cases, size_t n, double seconds);
