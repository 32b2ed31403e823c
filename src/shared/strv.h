/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cleanup.h"

/* NULL-terminated string vectors, owned element by element. */
char **strv_free(char **l);
size_t strv_length(char * const *l);
bool strv_contains(char * const *l, const char *s);
/* Appends a copy of s; -ENOMEM on failure. */
int strv_extend(char ***l, const char *s);
/* Appends s itself (takes ownership, also on failure). */
int strv_consume(char ***l, char *s);
void strv_sort(char **l);

static inline void strv_freep(char ***l) {
        strv_free(*l);
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)

#define STRV_FOREACH(s, l) for (char * const *s = (l); s && *s; s++)

/* Small string helpers shared by the parsers. */
bool startswith(const char *s, const char *prefix);
bool endswith(const char *s, const char *suffix);
char *strndup_trim(const char *s, size_t n);
/* printf into a fresh string; NULL on ENOMEM. */
char *strprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
