/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "core/qemuargv.h"
#include "vm/accel.h"

/* What the global options say; one per run, passed to every verb. */
typedef struct Context {
        AccelMode accel;
        int verbosity;
        bool json;            /* --json: the result as JSON on stdout */
        const char *report;   /* --report FILE: the same JSON into FILE */
        const char *verb;
        bool reported;        /* the verb wrote its own JSON result, even for a failure */

        /* pin */
        const char *kernel;
        const char *flavour;
        const char *packages;
        const char *output;
        bool in_place;
        bool purge_old;
        bool network;

        /* dkms */
        char **modules;
        const char *source;
        char **build_configs;
        bool matrix;

        /* boot-test */
        const char *expect_kernel;
        char **expect_modules;
        unsigned timeout_s;
        Firmware firmware;
        int memory_mb;
        const char *junit;
        const char *serial_log;
} Context;

int cmd_accel(Context *ctx, char **args);
int cmd_inspect(Context *ctx, char **args);
int cmd_pin(Context *ctx, char **args);
int cmd_dkms(Context *ctx, char **args);
int cmd_boot_test(Context *ctx, char **args);
