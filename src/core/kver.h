/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

/* Debian package version ordering, as `dpkg --compare-versions` does it:
 * <0, 0, >0. NULL sorts as the empty version. */
int dpkg_version_compare(const char *a, const char *b);

/* A kernel release string as `uname -r` prints it:
 *   6.1.0-56-cloud-amd64          upstream 6.1.0, abi 56, flavour cloud-amd64
 *   6.12.118+deb13-cloud-amd64    upstream 6.12.118+deb13, no abi, flavour cloud-amd64
 *   6.8.0-49-generic              upstream 6.8.0, abi 49, flavour generic */
typedef struct KernelRelease {
        char *upstream;
        long abi;         /* -1 when the release has no ABI number */
        char *flavour;    /* NULL when there is none */
        unsigned major, minor;
} KernelRelease;

int kver_parse(const char *release, KernelRelease *ret);
void kver_done(KernelRelease *k);

/* Orders kernel releases by upstream version (dpkg rules), ABI number, then
 * flavour: 6.1.0-56-cloud-amd64 < 6.12.118+deb13-cloud-amd64. */
int kver_compare(const char *a, const char *b);

/* a and b are ABIs of one series and flavour (6.1.0-56-cloud-amd64 and
 * 6.1.0-57-cloud-amd64; not 6.12, not -amd64); false without a flavour. */
bool kver_same_series(const KernelRelease *a, const KernelRelease *b);

/* True if release belongs to series "6.1" (not 6.12), or starts with a full
 * release prefix such as "6.1.0-56". */
bool kver_matches(const char *release, const char *series_or_prefix);

/* pkg is a kernel image package, linux-image-RELEASE of a full release
 * (6.1.0-57-cloud-amd64, 6.1.119-site; not a metapackage such as
 * linux-image-6.1-cloud-amd64) of the series or prefix want, and of
 * flavour (NULL: any); *ret_release points into pkg. */
bool kver_image_package(const char *pkg, const char *flavour, const char *want, const char **ret_release);
/* want names one release whole, flavour and all ("6.1.119-site",
 * "6.1.0-57-cloud-amd64"), not a series or a prefix ("6.1", "6.1.0-56"):
 * its flavour is then its own. */
bool kver_is_full_release(const char *want);
