/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

#include "core/deb822.h"
#include "core/depends.h"

/* An offline package directory on the host, read with dpkg-deb: every
 * .deb's control fields, each archive's structure checked first. */
typedef struct PkgDir {
        char *dir;
        char *text;          /* the control stanzas, one per .deb, plus Filename: */
        Deb822 *control;
        DebPkg *pkgs;        /* .origin: the .deb's path */
        size_t n_pkgs;
} PkgDir;

int pkgdir_load(const char *dir, PkgDir **ret);
PkgDir *pkgdir_free(PkgDir *p);
static inline void pkgdir_freep(PkgDir **p) {
        pkgdir_free(*p);
}
