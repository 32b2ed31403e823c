/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The night kpin-nightly ran, read back from its report directory: per
 * image NAME.rc ("EXIT SECONDS", written when the run ended), NAME.json
 * (kpin's report), NAME.xml (its JUnit), NAME.log, and NAME.noreport (why
 * a run that left no .rc ended, as Slurm told kpin-nightly); with a
 * cluster test, cluster.{rc,json,xml,log} ("skipped" for its exit when a
 * repair failed). */
typedef struct NightRow {
        char *name;             /* the profile, or "cluster" */
        char *result;           /* repaired, unchanged, FAILED(N); cluster: passed, skipped, FAILED(N) */
        int exit_code;          /* -1: unknown */
        unsigned seconds;
        char *kernel;           /* "-" when unknown */
        char *detail;
        char *report;           /* its JSON report's path */
        const char *case_name;  /* the failed testcase kpin-nightly's JUnit names when kpin wrote none */
        bool good;
        json_object *json;      /* the report, or NULL */
} NightRow;

typedef struct Night {
        char *dir, *date, *junit, *cluster_file;
        NightRow *images;
        size_t n_images, good;
        NightRow *cluster;      /* NULL without a cluster test */
} Night;

int night_load(const char *dir, char * const *names, const char *cluster_file, const char *junit, const char *date,
               Night *ret);
void night_done(Night *n);

/* The table kpin-nightly prints (and keeps as summary.txt), its last line
 * "G of T images good; reports in DIR, JUnit in FILE". */
void night_print(const Night *n, FILE *f);
/* summary.json: date, total, good, junit, images[] (profile, result,
 * exit_code, kernel, seconds, detail, report, roll, forecast), cluster. */
json_object *night_json(const Night *n);
/* The night's JUnit file: each image's own testsuites, a failing one in
 * place of a run that wrote none; written atomically. */
int night_junit(const Night *n, const char *path);
/* One static HTML page (no scripts): a row per image with the kernel old ->
 * new, the CVE IDs fixed, module x kernel, the boot test, the forecast and
 * links to the log and report; written atomically. */
int night_html(const Night *n, const char *path);
/* True if every image and the cluster test are good. */
bool night_good(const Night *n);
