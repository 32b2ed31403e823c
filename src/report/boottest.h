/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <json-c/json.h>

#include "repair/boottest.h"
#include "report/junit.h"

/* The boots' checks as JUnit testcases (classname kpin.boot-test, or
 * kpin.boot-test.FIRMWARE when there were several boots) into cases, which
 * has room for n_max. */
size_t boot_tests_junit_cases(const BootTests *t, JunitCase *cases, size_t n_max);
/* Checks, stages, probe lines and the console's tail as JSON fields of o:
 * those of the first failed boot (else the first) at the top, every boot
 * in "boots". */
void boot_tests_to_json(const BootTests *t, json_object *o);
/* "boot-test IMAGE: PASS (...)", the stages and one line per check, per boot. */
void boot_tests_print(const BootTests *t, const char *image, const char *indent);
