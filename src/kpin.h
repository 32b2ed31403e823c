/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "vm/accel.h"

/* What the global options say; one per run, passed to every verb. */
typedef struct Context {
        AccelMode accel;
        int verbosity;
        bool json;            /* --json: the result as JSON on stdout */
        const char *report;   /* --report FILE: the same JSON into FILE */
        const char *verb;

        /* pin */
        const char *kernel;
        const char *flavour;
        const char *packages;
        const char *output;
        bool in_place;
        bool purge_old;
} Context;

int cmd_accel(Context *ctx, char **args);
int cmd_inspect(Context *ctx, char **args);
int cmd_pin(Context *ctx, char **args);
