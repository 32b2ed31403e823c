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
} PinRequest;

typedef struct PinResult {
        char *release;             /* the pinned kernel */
        char *series;
        char **installed;          /* packages installed, in the order chosen */
        char **held;               /* packages newly held */
        char **purged;             /* --purge-old: packages removed */
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

/* The flavour a pin of kernel means: flavour if given; the release's own
 * when kernel names one whole (6.1.119-site); else that of the kernel the
 * image boots now. -ENOENT when none can be told. */
int pin_flavour(const GuestState *st, const char *flavour, const char *kernel, char **ret);
