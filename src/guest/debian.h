/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/deb822.h"
#include "core/depends.h"
#include "guest.h"
#include "inspect.h"

/* An offline package directory, read on the host with dpkg-deb. */
typedef struct PkgDir {
        char *dir;
        char *text;          /* the control stanzas, one per .deb, plus Filename: */
        Deb822 *control;
        DebPkg *pkgs;
        size_t n_pkgs;
} PkgDir;

int pkgdir_load(const char *dir, PkgDir **ret);
PkgDir *pkgdir_free(PkgDir *p);
static inline void pkgdir_freep(PkgDir **p) {
        pkgdir_free(*p);
}

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
        GuestState *state_after;   /* the guest as the pin left it (its last
                                    * inspection, for the next step to reuse) */
} PinResult;

void pin_result_done(PinResult *r);

/* Uploads host .deb files and installs them in one apt-get transaction
 * (no Recommends, no removals, kept conffiles). -EIO with *ret_error set
 * when apt-get fails; other errors are recorded with log_fail. */
int debian_install_debs(Guest *gu, char * const *files, char **ret_error);

/* Installs targets and what they need from dir in one transaction, after
 * checking the dependency closure against the guest's installed packages
 * (missing: KPIN_EXIT_PACKAGES naming each) and its free space. what names
 * the install in messages. *ret_installed: the package names installed. */
int debian_install_closure(Guest *gu, const PkgDir *dir, char * const *targets, const char *what,
                           char ***ret_installed);

/* Installs, holds and makes GRUB boot the requested kernel in a writable
 * guest. Records the failure class (log_fail) on error. */
int debian_pin(Guest *gu, const GuestState *before, const PinRequest *req, PinResult *ret);
