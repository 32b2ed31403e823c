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

typedef struct JunitSuite {
        const char *name;
        const JunitCase *cases;
        size_t n;
        double seconds;
        const char *system_out; /* attached as <system-out> (a serial log), or NULL */
        char * const *properties; /* NAME, VALUE, NAME, VALUE ...: the suite's <properties>, or NULL */
} JunitSuite;

/* Writes a JUnit XML file of several testsuites with libxml2. */
int junit_write_suites(const char *path, const JunitSuite *suites, size_t n);
/* Writes a JUnit XML file (one testsuite) with libxml2; -errno on failure. */
int junit_write(const char *path, const char *suite, const JunitCase *cases, size_t n, double seconds);
/* The same with properties (see JunitSuite). */
int junit_write_props(const char *path, const char *suite, const JunitCase *cases, size_t n, double seconds,
                      char * const *properties);
