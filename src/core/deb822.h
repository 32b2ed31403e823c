/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* RFC822-style stanzas as dpkg's status file and apt's preferences use them. */
typedef struct Deb822Field {
        char *name;
        char *value;    /* continuation lines joined with '\n' */
} Deb822Field;

typedef struct Deb822Stanza {
        Deb822Field *fields;
        size_t n_fields;
        unsigned line;  /* 1-based line where the stanza starts */
} Deb822Stanza;

typedef struct Deb822 {
        Deb822Stanza *stanzas;
        size_t n_stanzas;
} Deb822;

/* -EBADMSG with *ret_line set on a malformed line. */
int deb822_parse(const char *text, size_t len, Deb822 **ret, unsigned *ret_line);
Deb822 *deb822_free(Deb822 *d);
static inline void deb822_freep(Deb822 **d) {
        deb822_free(*d);
}
/* Case-insensitive field lookup; NULL if absent. */
const char *deb822_get(const Deb822Stanza *s, const char *name);

/* dpkg status: "install ok installed" -> want "install", state "installed". */
typedef struct DpkgPackage {
        const char *name, *version, *arch;
        const char *want;    /* install, hold, deinstall, purge */
        const char *state;   /* installed, half-configured, unpacked, config-files, ... */
} DpkgPackage;

/* Fills p from a status stanza (pointers into s); -EINVAL if it has no
 * Package or a malformed Status. want/state are static strings. */
int dpkg_package_from_stanza(const Deb822Stanza *s, DpkgPackage *p);

/* apt preferences: does this stanza's Package: field (names, globs, /regex/)
 * mention name? Pure matching, no apt. */
int apt_pref_matches(const char *package_field, const char *name);
