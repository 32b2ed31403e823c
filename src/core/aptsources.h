/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* apt sources, in both forms apt reads: one-line (sources.list,
 * *.list: "deb [opt=v ...] URI SUITE COMPONENT...") and deb822 (*.sources:
 * Types, URIs, Suites, Components, Signed-By). Only "deb" entries count
 * (kpin fetches binary packages). Pure. */
typedef struct AptSource {
        char *uri;
        char *suite;
        char **components;      /* empty for a flat repository ("SUITE/" form) */
        char *signed_by;        /* a keyring path, NULL: apt's trusted keys */
        bool trusted;           /* [trusted=yes] */
} AptSource;

typedef struct AptSources {
        AptSource *v;
        size_t n;
} AptSources;

void apt_sources_done(AptSources *s);
/* Appends the entries of text (one-line if deb822 is false). Lines it does
 * not understand are skipped, as apt itself warns and goes on; -ENOMEM only. */
int apt_sources_parse(const char *text, size_t len, bool deb822, AptSources *s);
/* A source as the user gives one to kpin fetch: a full one-line entry
 * ("deb [signed-by=K] URI SUITE COMP..."), or a Debian suite name taken from
 * mirror (bookworm; bookworm-security from the security mirror) with the
 * Debian archive keyring. -EINVAL if it is neither. */
int apt_source_from_arg(const char *arg, const char *mirror, const char *security_mirror, const char *keyring,
                        AptSource *ret);
/* Whether arg is a source apt_source_from_arg takes: 0, -EINVAL if not,
 * -ENOMEM. For checking a --from or fetch-from before anything runs. */
int apt_source_arg_check(const char *arg);
/* The one-line form of s, as apt reads it. */
char *apt_source_line(const AptSource *s);
void apt_source_done(AptSource *s);
