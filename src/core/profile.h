/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "qemuargv.h"

/* An image profile (images/NAME.conf): what one image must end up as, so a
 * Packer post-processor and the nightly job both say only
 * `kpin repair IMG --profile images/NAME.conf`. Unset fields are NULL, 0
 * or -1 (tristates); the command line fills or overrides them. Relative
 * paths are taken relative to the profile's directory. */
typedef struct Profile {
        char *path;             /* as given */
        char *name;             /* [image] name; default: the file name without .conf */
        char *image;            /* [image] path: the image the nightly job repairs */

        char *kernel;           /* [kernel] series: 6.1, 6.6 or a release */
        char *flavour;
        char *packages;         /* offline .deb directory */
        char **fetch_from;      /* [kernel] fetch-from: where kpin fetch finds the kernel for packages */
        char *mirror;
        int network;            /* tristate */
        int purge_old;          /* [kernel] old = keep|purge; tristate */
        int hold;               /* tristate */
        int roll;               /* [kernel] roll = yes|no; tristate */
        unsigned keep_kernels;  /* [kernel] keep-kernels; 0: unset */

        char **modules;         /* [dkms] module (repeatable, or a list) */
        char *source;
        char **build_configs;   /* FILE[=GUESTPATH], FILE relative to the profile */
        char *sign_key, *sign_cert;  /* the site's module signing key and certificate */
        char *build_cache;      /* [dkms] build-cache: built modules shared by images and nights */

        int boot_test;          /* [boot-test] enabled; tristate */
        char *expect_kernel;
        char **expect_modules;
        unsigned timeout_s;     /* 0: unset */
        unsigned firmware;      /* 0: unset, else as firmware_spec_parse() */
        int memory_mb;          /* 0: unset */
        char *uefi_vars;        /* OVMF variable store to start from (a MOK enrolled) */
        int network_units_fail; /* [boot-test] network-units = fail: units that failed only for want of
                                 * the network's servers fail the boot too (default warn) */

        char *forecast;         /* [forecast] kernel: the series the pin would be lifted to */
        char *forecast_packages;
        char **forecast_from;
} Profile;

/* Parses text as the profile at path. On a bad line: -EINVAL and
 * *ret_error = "PATH:LINE: what is wrong". */
int profile_parse(const char *path, const char *text, Profile *ret, char **ret_error);
void profile_done(Profile *p);
