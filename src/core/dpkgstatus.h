/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "deb822.h"
#include "depends.h"

/* dpkg's status file, parsed once: every stanza that is a package. */
typedef struct DpkgStatus {
        Deb822 *text;
        DpkgPackage *pkgs;      /* pointers into text */
        size_t n;
} DpkgStatus;

/* -EBADMSG with *ret_line set on a malformed line. */
int dpkg_status_parse(const char *text, size_t len, DpkgStatus **ret, unsigned *ret_line);
DpkgStatus *dpkg_status_free(DpkgStatus *s);
static inline void dpkg_status_freep(DpkgStatus **s) {
        dpkg_status_free(*s);
}
const DpkgPackage *dpkg_status_find(const DpkgStatus *s, const char *name);
/* The package is there and configured. */
bool dpkg_installed(const DpkgPackage *p);
/* The installed packages as dependency resolution sees them (pointers into
 * s; free the array only). */
int dpkg_status_debpkgs(const DpkgStatus *s, DebPkg **ret, size_t *ret_n);
/* The major version of an installed package ("257.9-1~deb13u1" -> 257),
 * 0 if it is not installed or has no leading number. */
unsigned dpkg_installed_major(const DpkgStatus *s, const char *name);
