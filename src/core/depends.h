/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* A binary package as dependency resolution sees it. */
typedef struct DebPkg {
        const char *name, *version;
        const char *depends, *pre_depends, *provides;   /* raw field values, may be NULL */
        const char *origin;                             /* the .deb file, NULL if installed */
} DebPkg;

/* Does version v satisfy "op ref" (op one of << <= = >= >> < >)? */
bool deb_relation_holds(const char *v, const char *op, const char *ref);

/* The install set for targets: which available packages must be installed
 * (targets first, then what they need, each once) so that every Depends and
 * Pre-Depends is met by the installed set or by the install set. Each
 * unmet clause becomes one line of *ret_missing, e.g.
 *   "linux-kbuild-6.1 (>= 6.1.192) (needed by linux-headers-6.1.0-56-common)"
 * Returns 0 even when something is missing; <0 only on ENOMEM or a
 * malformed field (-EBADMSG). */
int deb_closure(const DebPkg *installed, size_t n_installed, const DebPkg *avail, size_t n_avail,
                char * const *targets, char ***ret_install, char ***ret_missing);

/* What --purge-old removes so that only kernel release `keep` stays:
 * every installed linux-image-R / linux-headers-R of another release R, the
 * linux-headers-*-common and linux-kbuild-* packages only those need, and
 * the linux-image-* / linux-headers-* metapackages that depend on anything
 * removed. installed[] carries names and Depends. *ret is NULL when there
 * is nothing to purge. */
int deb_kernel_purge_set(const DebPkg *installed, size_t n, const char *keep, char ***ret);

/* What keep-kernels = keep_count removes once release is pinned: the
 * images and headers (and the -common, kbuild and metapackages only they
 * need) of the older ABIs of release's series and flavour beyond the
 * keep_count newest, release itself always counted first. Other series and
 * flavours stay (old = keep|purge is theirs). *ret_kept (may be NULL): the
 * series' releases kept, release first. *ret_purge is NULL when nothing
 * goes. */
int deb_kernel_purge_older(const DebPkg *installed, size_t n, const char *release, unsigned keep_count,
                           char ***ret_purge, char ***ret_kept);
