/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "profile.h"
#include "qemuargv.h"

/* Which verb options were given: a bit per option (or pair of options
 * that set one thing, such as -o and --in-place), in Options.used. Which
 * verb takes which option is core/options.c's table. */
#define OPT_BIT(n) (UINT64_C(1) << (n))
#define OPT_KERNEL OPT_BIT(0)
#define OPT_FLAVOUR OPT_BIT(1)
#define OPT_PACKAGES OPT_BIT(2)
#define OPT_OUTPUT OPT_BIT(3)          /* -o, --in-place */
#define OPT_OLD OPT_BIT(4)             /* --keep-old, --purge-old */
#define OPT_MODULE OPT_BIT(5)
#define OPT_SOURCE OPT_BIT(6)
#define OPT_BUILD_CONFIG OPT_BIT(7)
#define OPT_MATRIX OPT_BIT(8)
#define OPT_EXPECT_KERNEL OPT_BIT(9)
#define OPT_EXPECT_MODULE OPT_BIT(10)
#define OPT_TIMEOUT OPT_BIT(11)
#define OPT_FIRMWARE OPT_BIT(12)
#define OPT_MEMORY OPT_BIT(13)
#define OPT_JUNIT OPT_BIT(14)
#define OPT_SERIAL_LOG OPT_BIT(15)
#define OPT_NETWORK OPT_BIT(16)
#define OPT_PROFILE OPT_BIT(17)
#define OPT_PACKER_MANIFEST OPT_BIT(18)
#define OPT_NO_BOOT_TEST OPT_BIT(19)
#define OPT_HOLD OPT_BIT(20)           /* --hold, --no-hold */
#define OPT_FORCE OPT_BIT(21)
#define OPT_UEFI_VARS OPT_BIT(22)
#define OPT_FROM OPT_BIT(23)
#define OPT_MIRROR OPT_BIT(24)
#define OPT_ALLOW_UNSIGNED OPT_BIT(25)
#define OPT_DEST OPT_BIT(26)           /* -d DIR */
#define OPT_SIGN OPT_BIT(27)           /* --sign-key, --sign-cert */
#define OPT_BUILD_CACHE OPT_BIT(28)
#define OPT_SERIAL_DIR OPT_BIT(29)
#define OPT_KEEP_GOING OPT_BIT(30)
#define OPT_IMAGES OPT_BIT(31)
#define OPT_KEEP_KERNELS OPT_BIT(32)
#define OPT_ROLL OPT_BIT(33)           /* --roll, --no-roll */
#define OPT_FORMAT OPT_BIT(34)
#define OPT_FORECAST OPT_BIT(35)        /* --forecast, --no-forecast */
#define OPT_FORECAST_PACKAGES OPT_BIT(36)
#define OPT_FORECAST_FROM OPT_BIT(37)
#define OPT_CLUSTER OPT_BIT(38)

/* What the command line said, as given: a field is set only if its OPT_
 * bit is in used (lists: non-NULL). Strings point into argv. */
typedef struct Options {
        uint64_t used;

        const char *kernel, *flavour, *packages, *output;
        bool in_place, purge_old, network, force, hold, roll;
        unsigned keep_kernels;

        char **modules, **build_configs;
        const char *source;
        bool matrix;
        const char *format;         /* dkms --matrix: text | markdown */

        const char *expect_kernel;
        char **expect_modules;
        unsigned timeout_s;
        unsigned firmware;          /* FIRMWARE_SPEC_* | 1 << Firmware */
        int memory_mb;
        const char *junit, *serial_log, *uefi_vars;

        const char *profile, *packer_manifest;
        bool no_boot_test;

        const char *sign_key, *sign_cert, *build_cache;

        char **from;                /* --from SOURCE (repeatable) */
        const char *mirror, *dest;
        bool allow_unsigned;

        const char *serial_dir, *images;  /* cluster-test */
        bool keep_going;

        const char *forecast;       /* --forecast SERIES */
        bool no_forecast;
        const char *forecast_packages;
        char **forecast_from;

        const char *cluster;        /* summarize: the cluster file the night tested */
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
        PLAN_FORECAST,
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
        bool roll;                  /* a newer ABI of the series the image has replaces it as the default */
        unsigned keep_kernels;      /* ABIs of the pinned series kept, the pinned one included */

        bool dkms;
        char **modules, **build_configs;
        const char *source;
        const char *dkms_kernel;    /* dkms: --kernel; repair: the kernel just pinned (NULL here) */
        const char *sign_key, *sign_cert; /* the site's module signing key (never written to the image) */
        const char *build_cache;    /* built modules to reuse and fill */
        bool markdown;              /* dkms --matrix: the table as Markdown */

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

        /* can the pin be lifted? the site's modules against the distribution's
         * newest kernel, on a throw-away overlay (repair: after the commit) */
        const char *forecast;       /* the series, e.g. 6.12; NULL: no forecast */
        const char *forecast_packages;
        char **forecast_from;
} Plan;

#define PLAN_TIMEOUT_DEFAULT 300
#define PLAN_TIMEOUT_MIN 1
#define PLAN_TIMEOUT_MAX 86400
#define PLAN_MEMORY_DEFAULT 1024
#define PLAN_MEMORY_MIN 256
#define PLAN_MEMORY_MAX 65536
#define PLAN_KEEP_KERNELS_DEFAULT 2
#define PLAN_KEEP_KERNELS_MIN 1
#define PLAN_KEEP_KERNELS_MAX 64

/* The plan for verb from the command line o and the profile p (may be
 * NULL), for image (the command line's, a Packer artifact's or NULL: the
 * profile's). -EINVAL with *ret_error ("VERB: why") for a bad or
 * conflicting value: nothing has started yet. */
int plan_make(PlanVerb verb, const Options *o, const Profile *p, const char *image, Plan *ret, char **ret_error);
const char *plan_verb_to_string(PlanVerb v);
