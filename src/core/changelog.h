/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* What a Debian changelog (debian/changelog as a package ships it, already
 * decompressed) says was fixed after version since: the CVE IDs named in
 * every entry newer than since. Pure: text in, IDs out.
 *
 * Entries begin at column 0 with "SOURCE (VERSION) DIST; ...". A kernel
 * image is built from the linux-signed-ARCH source, whose version U+N
 * stands for the binary version U-N: its entries are compared as such. */
typedef struct ChangelogFixes {
        char **cves;          /* unique, sorted by year then number; NULL when none or !found */
        size_t n_cves;
        size_t n_entries;     /* entries newer than since */
        bool found;           /* since is the version of one of the entries */
        char *newest;         /* the first entry's version (as the binary's), NULL without entries */
} ChangelogFixes;

int changelog_fixes(const char *text, size_t len, const char *since, ChangelogFixes *ret);
void changelog_fixes_done(ChangelogFixes *f);

/* The entry's version as the binary package carries it. ret must hold 128. */
bool changelog_binary_version(const char *source, const char *version, char *ret, size_t size);
