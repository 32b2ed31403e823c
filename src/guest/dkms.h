/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/modsig.h"
#include "guest.h"
#include "host/pkgdir.h"
#include "inspect.h"

/* What `kpin dkms` (or a step of `kpin repair`) asks of one writable guest
 * session. */
typedef struct DkmsRequest {
        char **modules;            /* NAME or NAME/VER registered in the guest */
        const char *kernel;        /* release, series or prefix; NULL: what GRUB boots */
        const char *source;        /* host DIR with a dkms.conf, or a *-dkms .deb */
        char **build_configs;      /* HOSTFILE[=GUESTPATH] copied in before building */
        const ModSig *signer;      /* the site's key: modules must be signed with it (NULL: any) */
        const char *sign_key, *sign_cert; /* its files in the guest (a tmpfs), for signing a cached module */
        const char *build_cache;   /* host directory of built modules to reuse and fill (NULL: none) */
        bool autoinstall_all;      /* also every registered module DKMS would build for a new kernel
                                    * (the kernel's hook was kept from building them) */
} DkmsRequest;

typedef struct DkmsBuilt {
        char *name, *version;
        char **files;              /* installed module files, guest paths */
        char *vermagic;            /* of the first file, as read from its bytes */
        char *compression;
        ModSig signature;          /* who signed the first file (empty: unsigned) */
        bool built_now;            /* false: already installed and verified */
        bool initramfs;            /* the kernel's initramfs was regenerated */
        const char *cache;         /* with a build cache: "hit", "miss", "refused" (a bad entry, rebuilt) */
        char *cache_key;
        char *cache_note;          /* why an entry was refused */
        double seconds;
} DkmsBuilt;

typedef struct DkmsResult {
        char *kernel;
        DkmsBuilt *modules;
        size_t n_modules;
        bool changed;
} DkmsResult;

void dkms_result_done(DkmsResult *r);

/* Builds, installs and verifies each module for the kernel in the guest.
 * A failed build is KPIN_EXIT_DKMS with the first compiler error. */
int dkms_step(Guest *gu, const GuestState *st, const DkmsRequest *req, DkmsResult *ret);

/* One cell of the compatibility matrix. */
typedef struct DkmsCell {
        char *name, *version, *kernel;
        bool built;
        bool cached;               /* built before: its build cache entry for the same inputs */
        char *error;               /* first compiler error when it failed */
        char *log;
        char **modules;            /* dkms_forecast: the kernel modules it installed (canary, ...) */
        double seconds;
} DkmsCell;

/* Tries every module (or only `only`) against every kernel with headers in
 * the guest, and every kernel whose headers are in packages (installed
 * first); the guest is a throw-away overlay. */
/* have is a signature by want (NULL: anyone, or none). */
bool dkms_signed_by(const ModSig *have, const ModSig *want);

int dkms_matrix(Guest *gu, const GuestState *st, const char *only, const PkgDir *packages, const char *build_cache,
                DkmsCell **ret, size_t *ret_n);
void dkms_cells_free(DkmsCell *c, size_t n);

/* Can the pin be lifted? Each module the site cares about (req->modules and
 * req->source, else every registered module that DKMS builds for a new
 * kernel), built and installed for kver as dkms_step does, the build cache
 * both ways: a module that does not build is a cell with its first
 * compiler error, not a failure. The guest is a throw-away overlay. */
int dkms_forecast(Guest *gu, const GuestState *st, const DkmsRequest *req, const char *kver, DkmsCell **ret,
                  size_t *ret_n);
