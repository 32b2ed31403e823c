/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "core/qemuargv.h"
#include "vm/accel.h"

/* Options that belong to some verbs only: one bit each. */
enum {
        OPT_KERNEL = 1 << 0,
        OPT_FLAVOUR = 1 << 1,
        OPT_PACKAGES = 1 << 2,
        OPT_OUTPUT = 1 << 3,      /* -o, --in-place */
        OPT_OLD = 1 << 4,         /* --keep-old, --purge-old */
        OPT_MODULE = 1 << 5,
        OPT_SOURCE = 1 << 6,
        OPT_BUILD_CONFIG = 1 << 7,
        OPT_MATRIX = 1 << 8,
        OPT_EXPECT_KERNEL = 1 << 9,
        OPT_EXPECT_MODULE = 1 << 10,
        OPT_TIMEOUT = 1 << 11,
        OPT_FIRMWARE = 1 << 12,
        OPT_MEMORY = 1 << 13,
        OPT_JUNIT = 1 << 14,
        OPT_SERIAL_LOG = 1 << 15,
        OPT_NETWORK = 1 << 16,
        OPT_PROFILE = 1 << 17,
        OPT_PACKER_MANIFEST = 1 << 18,
        OPT_NO_BOOT_TEST = 1 << 19,
        OPT_HOLD = 1 << 20,       /* --hold, --no-hold */
        N_OPT_BITS = 21,
        OPT_PIN = OPT_KERNEL | OPT_FLAVOUR | OPT_PACKAGES | OPT_OUTPUT | OPT_OLD | OPT_NETWORK,
        OPT_DKMS = OPT_KERNEL | OPT_OUTPUT | OPT_MODULE | OPT_SOURCE | OPT_BUILD_CONFIG | OPT_MATRIX | OPT_PACKAGES,
        OPT_BOOT = OPT_EXPECT_KERNEL | OPT_EXPECT_MODULE | OPT_TIMEOUT | OPT_FIRMWARE | OPT_MEMORY | OPT_JUNIT |
                   OPT_SERIAL_LOG,
        OPT_REPAIR = OPT_PIN | (OPT_DKMS & ~OPT_MATRIX) | OPT_BOOT | OPT_PROFILE | OPT_PACKER_MANIFEST |
                     OPT_NO_BOOT_TEST | OPT_HOLD,
};

/* What the global options say; one per run, passed to every verb. */
typedef struct Context {
        AccelMode accel;
        int verbosity;
        bool json;            /* --json: the result as JSON on stdout */
        const char *report;   /* --report FILE: the same JSON into FILE */
        const char *verb;
        bool reported;        /* the verb wrote its own JSON result, even for a failure */
        unsigned used;        /* the OPT_* bits the command line gave */
        char **allow_backing; /* --allow-backing: backing files trusted outside the image's directory */

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

        /* repair */
        const char *profile;
        const char *packer_manifest;
        bool hold;
} Context;

int cmd_accel(Context *ctx, char **args);
int cmd_inspect(Context *ctx, char **args);
int cmd_pin(Context *ctx, char **args);
int cmd_dkms(Context *ctx, char **args);
int cmd_boot_test(Context *ctx, char **args);
int cmd_repair(Context *ctx, char **args);
