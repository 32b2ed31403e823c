/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "profile.h"
#include "qemuargv.h"

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
        OPT_FORCE = 1 << 21,
        OPT_UEFI_VARS = 1 << 22,
        OPT_FROM = 1 << 23,
        OPT_MIRROR = 1 << 24,
        OPT_ALLOW_UNSIGNED = 1 << 25,
        OPT_DEST = 1 << 26,       /* -d DIR */
        OPT_SIGN = 1 << 27,       /* --sign-key, --sign-cert */
        OPT_BUILD_CACHE = 1 << 28,
        N_OPT_BITS = 29,
        OPT_PIN = OPT_KERNEL | OPT_FLAVOUR | OPT_PACKAGES | OPT_OUTPUT | OPT_OLD | OPT_NETWORK | OPT_FORCE,
        OPT_DKMS = OPT_KERNEL | OPT_OUTPUT | OPT_MODULE | OPT_SOURCE | OPT_BUILD_CONFIG | OPT_MATRIX | OPT_PACKAGES |
                   OPT_FORCE | OPT_SIGN | OPT_BUILD_CACHE,
        OPT_BOOT = OPT_EXPECT_KERNEL | OPT_EXPECT_MODULE | OPT_TIMEOUT | OPT_FIRMWARE | OPT_MEMORY | OPT_JUNIT |
                   OPT_SERIAL_LOG | OPT_UEFI_VARS,
        OPT_FETCH = OPT_KERNEL | OPT_FLAVOUR | OPT_FROM | OPT_MIRROR | OPT_ALLOW_UNSIGNED | OPT_DEST,
        OPT_REPAIR = OPT_PIN | (OPT_DKMS & ~OPT_MATRIX) | OPT_BOOT | OPT_PROFILE | OPT_PACKER_MANIFEST |
                     OPT_NO_BOOT_TEST | OPT_HOLD | OPT_FROM | OPT_MIRROR | OPT_ALLOW_UNSIGNED,
};

/* What the command line said, as given: a field is set only if its OPT_
 * bit is in used (lists: non-NULL). Strings point into argv. */
typedef struct Options {
        unsigned used;

        const char *kernel, *flavour, *packages, *output;
        bool in_place, purge_old, network, force, hold;

        char **modules, **build_configs;
        const char *source;
        bool matrix;

        const char *expect_kernel;
        char **expect_modules;
        unsigned timeout_s;
        unsigned firmware;          /* FIRMWARE_SPEC_* | 1 << Firmware */
        int memory_mb;
        const char *junit, *serial_log, *uefi_vars;

        const char *profile, *packer_manifest;

        const char *sign_key, *sign_cert, *build_cache;

        char **from;                /* --from SOURCE (repeatable) */
        const char *mirror, *dest;
        bool allow_unsigned;
} Options;

void options_done(Options *o);

typedef enum PlanVerb {
        PLAN_INSPECT,
        PLAN_PIN,
        PLAN_DKMS,
        PLAN_MATRIX,            /* dkms --matrix */
        PLAN_BOOT_TEST,
        PLAN_REPAIR,
        PLAN_FETCH,
} PlanVerb;

/* What one run does: the command line over the profile, every value
 * checked. Strings are borrowed from the Options and the Profile. */
typedef struct Plan {
        PlanVerb verb;
        const char *image;
        const char *profile_name;   /* NULL without a profile */
        const char *profile_path;

        bool write;                 /* a work overlay committed to output or in place */
        const char *output;
        bool in_place, force;

        bool fetch;                 /* fetch into packages (repair: only when it lacks the kernel) */
        char **fetch_from;
        const char *mirror;
        bool allow_unsigned;

        bool pin;
        const char *kernel, *flavour, *packages;
        bool network, purge_old, hold;

        bool dkms;
        char **modules, **build_configs;
        const char *source;
        const char *dkms_kernel;    /* dkms: --kernel; repair: the kernel just pinned (NULL here) */
        const char *sign_key, *sign_cert; /* the site's module signing key (never written to the image) */
        const char *build_cache;    /* built modules to reuse and fill */

        bool verify;

        bool boot_test;
        const char *expect_kernel;
        char **expect_modules;
        unsigned timeout_s;
        unsigned firmware;
        int memory_mb;
        const char *serial_log, *uefi_vars;
        bool network_units_fail;    /* units failing only for want of the network's servers fail the boot */

        const char *junit;
} Plan;

#define PLAN_TIMEOUT_DEFAULT 300
#define PLAN_MEMORY_DEFAULT 1024

/* The plan for verb from the command line o and the profile p (may be
 * NULL), for image (the command line's, a Packer artifact's or NULL: the
 * profile's). -EINVAL with *ret_error ("VERB: why") for a bad or
 * conflicting value: nothing has started yet. */
int plan_make(PlanVerb verb, const Options *o, const Profile *p, const char *image, Plan *ret, char **ret_error);
const char *plan_verb_to_string(PlanVerb v);
