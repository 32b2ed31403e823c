/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "guest/dkms.h"
#include "repair/pipeline.h"

typedef struct ReportOptions {
        bool json;              /* --json: the result on stdout */
        const char *report;     /* --report FILE */
} ReportOptions;

/* What a pin, dkms, boot-test or repair run did, as its verb reports it:
 * JSON (--json, --report), JUnit (the plan's --junit) and the human
 * summary on stdout. code is the run's exit code (0: it succeeded); a
 * failed run's JSON carries the error, and 1 is returned when a JSON
 * report was written for it. */
int report_run(const Repair *rp, const ReportOptions *o, int code, double seconds);

/* inspect: the guest as JSON or as text. */
int report_inspect(const Repair *rp, const ReportOptions *o);

/* dkms --matrix: module x kernel -> built/FAILED. */
/* dkms --matrix: text (or with markdown, a Markdown table), JSON. */
int report_matrix(const char *image, const DkmsCell *c, size_t n, const ReportOptions *o, double seconds,
                  bool markdown);
