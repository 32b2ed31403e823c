/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "core/plan.h"
#include "core/profile.h"
#include "report/run.h"
#include "repair/pipeline.h"
#include "vm/accel.h"

/* What the command line says: the global options, and the verb options as
 * given (checked by plan_make). One per run, passed to every verb. */
typedef struct Context {
        AccelMode accel;
        int verbosity;
        bool json;            /* --json: the result as JSON on stdout */
        const char *report;   /* --report FILE: the same JSON into FILE */
        const char *verb;
        bool reported;        /* the verb wrote its own JSON result, even for a failure */
        char **allow_backing; /* --allow-backing: backing files trusted outside the image's directory */
        Options opt;
} Context;

static inline RunOptions context_run_options(const Context *c) {
        return (RunOptions) { .accel = c->accel, .verbosity = c->verbosity, .allow_backing = c->allow_backing };
}

static inline ReportOptions context_report_options(const Context *c) {
        return (ReportOptions) { .json = c->json, .report = c->report };
}

/* Runs a plan through the pipeline and reports it as its verb does. */
int kpin_run_plan(Context *ctx, const Plan *plan);
/* Reads and parses --profile FILE (a one-line usage error if it is bad). */
int kpin_load_profile(const char *path, Profile *ret);

int cmd_accel(Context *ctx, char **args);
int cmd_inspect(Context *ctx, char **args);
int cmd_pin(Context *ctx, char **args);
int cmd_dkms(Context *ctx, char **args);
int cmd_boot_test(Context *ctx, char **args);
int cmd_repair(Context *ctx, char **args);
int cmd_fetch(Context *ctx, char **args);
int cmd_cluster_test(Context *ctx, char **args);
int cmd_forecast(Context *ctx, char **args);
int cmd_summarize(Context *ctx, char **args);
