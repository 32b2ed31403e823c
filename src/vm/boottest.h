/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/imgfmt.h"
#include "core/qemuargv.h"
#include "report/junit.h"
#include "vm/accel.h"
#include "vm/boot.h"

#define BOOT_TEST_MAX_CHECKS 64

/* What `kpin boot-test` (or the last step of `kpin repair`) proves. */
typedef struct BootTestRequest {
        const char *name;            /* the image, for messages */
        const char *expect_kernel;   /* release prefix or series; NULL: what GRUB's default boots */
        char **expect_modules;
        unsigned timeout_s;
        Firmware firmware;
        int memory_mb;
        const char *serial_log;
        AccelMode accel;
        int verbosity;
} BootTestRequest;

typedef struct BootCheck {
        char *name;
        bool passed;
        char *message;               /* why it failed */
} BootCheck;

typedef struct BootTest {
        BootResult boot;
        char *expect;                /* the kernel expected */
        bool kvm;
        Firmware firmware;
        BootCheck checks[BOOT_TEST_MAX_CHECKS];
        size_t n_checks, n_failed;
} BootTest;

/* Boots a throw-away overlay of disk (format fmt; the caller has checked
 * it) with the probe injected, and evaluates the checks: boots, kernel,
 * each module loads, no failed units. 0 when the verdict is known (look
 * at n_failed), <0 when the test could not run. */
int boot_test_run(const char *disk, ImageFormat fmt, const BootTestRequest *req, BootTest *ret);
void boot_test_done(BootTest *t);

/* The checks as JUnit testcases (classname kpin.boot-test) into cases,
 * which has room for BOOT_TEST_MAX_CHECKS. */
size_t boot_test_junit_cases(const BootTest *t, JunitCase *cases);
/* Checks, stages, probe lines and the console's tail, as JSON fields of o. */
void boot_test_to_json(const BootTest *t, json_object *o);
/* "boot-test IMAGE: PASS (...)", the stages and one line per check. */
void boot_test_print(const BootTest *t, const char *image, const char *indent);
/* The first failed check's message (NULL if none failed). */
const char *boot_test_first_failure(const BootTest *t);
