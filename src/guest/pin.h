/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "guest.h"
#include "host/pkgdir.h"
#include "inspect.h"

typedef struct PinRequest {
        const char *kernel;        /* "6.1", "6.6" or a full release */
        const char *flavour;       /* NULL: the flavour of the kernel the image boots now */
        const PkgDir *packages;    /* NULL: only kernels already in the image */
        bool purge_old;            /* remove every other kernel (default: keep them as fallbacks) */
        bool network;              /* the guest's own apt sources, through the appliance's network */
        bool no_hold;              /* leave dpkg's selections alone (the apt preferences still pin) */
        bool no_roll;              /* keep the ABI of the series the image has */
        unsigned keep_kernels;     /* ABIs of the series kept, the pinned one included (0: all) */
} PinRequest;

/* A roll forward: the image had an older ABI of the pinned series. */
typedef struct PinRoll {
        char *from, *from_version;        /* the newest older ABI the image had, its package's version */
        char *to_version;                 /* the pinned kernel's package version */
        char **cves;                      /* fixed in between, sorted; NULL when none or unknown */
        size_t n_cves;
        bool changelog_known;             /* from_version is in the new kernel's changelog */
        char *changelog_problem;          /* why the changelog could not be read, or NULL */
} PinRoll;

typedef struct PinResult {
        char *release;             /* the pinned kernel */
        char *series;
        char **installed;          /* packages installed, in the order chosen */
        char **held;               /* packages newly held */
        char **purged;             /* --purge-old, keep-kernels: packages removed */
        char **kept;               /* keep-kernels: the series' releases kept, the pinned one first */
        PinRoll roll;              /* roll.from is NULL unless the pin rolled forward */
        char *grub_before, *grub_after;   /* GRUB_DEFAULT */
        char *boot_before, *boot_after;   /* kernel GRUB boots */
        bool prefs_written;
        bool grub_regenerated;
        bool changed;
} PinResult;

void pin_result_done(PinResult *r);

/* Installs, holds and makes GRUB boot the requested kernel in a writable
 * guest that st describes (its last read). Records the failure class
 * (log_fail) on error. */
int pin_kernel(Guest *gu, const GuestState *st, const PinRequest *req, PinResult *ret);

/* Whether the pin req asks for is what st already is, decided from the
 * inspection and the package directory alone: GRUB's default boots the
 * kernel the pin would choose, its headers are installed, it is held and
 * pinned, and nothing is left to purge. *ret_release: that kernel. False
 * (never a guess) with --network, whose sources only the appliance sees. */
bool pin_settled(const GuestState *st, const PinRequest *req, char **ret_release);

/* The flavour a pin of kernel means: flavour if given; the release's own
 * when kernel names one whole (6.1.119-site); else that of the kernel the
 * image boots now. -ENOENT when none can be told. */
int pin_flavour(const GuestState *st, const char *flavour, const char *kernel, char **ret);
