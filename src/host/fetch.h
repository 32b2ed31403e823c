/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/aptsources.h"

/* kpin fetch: the offline kernel directory for one image, made with the
 * host's apt in a throw-away configuration (its own sources list, lists,
 * cache and the guest's dpkg status as Dir::State::status): no chroot, no
 * guest code on the host. apt resolves the kernel image and headers and
 * their dependency closure against what the image has installed, checks
 * every archive's signature, and downloads exactly what the image lacks. */
typedef struct FetchRequest {
        const char *image;            /* for messages */
        const char *kernel;           /* series, prefix or whole release */
        const char *flavour;          /* NULL: any (a whole release names its own) */
        char * const *from;           /* suite names or one-line apt entries */
        const char *mirror;           /* for suite names (NULL: deb.debian.org) */
        bool allow_unsigned;
        const char *dest;             /* DIR: replaced whole, or not at all */
        const char *status;           /* the guest's /var/lib/dpkg/status */
        size_t status_len;
        const AptSources *guest_sources; /* the guest's own (for what the kernel needs from its suite) */
        const char *arch;             /* dpkg's name: amd64 */
        bool installed_ok;            /* the newest being installed already is no error: -EALREADY, release set */
} FetchRequest;

typedef struct FetchResult {
        char *release;                /* the kernel resolved */
        char **packages;              /* NAME=VERSION of each .deb in DIR */
} FetchResult;

void fetch_result_done(FetchResult *r);

/* The archives first: the --from sources read and their signatures checked
 * before anything of the image is (status, guest_sources and arch are not
 * looked at), so an unreachable mirror or a wrong key costs a second, not
 * an appliance. fetch_kernel then reuses the lists it read. The caller
 * has checked dest with fetch_check_dest. */
typedef struct FetchArchives FetchArchives;
int fetch_archives_check(const FetchRequest *req, FetchArchives **ret);
FetchArchives *fetch_archives_free(FetchArchives *f);
static inline void fetch_archives_freep(FetchArchives **f) {
        fetch_archives_free(*f);
}

/* Records the failure (log_fail, KPIN_EXIT_PACKAGES) in one line naming
 * the source: unreachable, unsigned or wrongly signed, or no such kernel.
 * CHECKED (or NULL): what fetch_archives_check read, taken over. */
int fetch_kernel(const FetchRequest *req, FetchArchives *checked, FetchResult *ret);

/* Puts back or removes what a killed fetch into dest left, then refuses a
 * dest that has files and is not an earlier fetch's (it gets replaced). */
int fetch_check_dest(const char *dest);

#define FETCH_MANIFEST "MANIFEST"
#define FETCH_MANIFEST_HEAD "# kpin fetch:"
#define DEBIAN_ARCHIVE_KEYRING "/usr/share/keyrings/debian-archive-keyring.gpg"
