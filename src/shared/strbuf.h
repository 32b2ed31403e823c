/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* A growing NUL-terminated string; max (0: none) bounds it: -E2BIG past it. */
typedef struct StrBuf {
        char *s;
        size_t n, cap, max;
} StrBuf;

int strbuf_put(StrBuf *b, const char *s, size_t n);
int strbuf_puts(StrBuf *b, const char *s);
int strbuf_printf(StrBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends the elements of l separated by sep. */
int strbuf_join(StrBuf *b, char * const *l, const char *sep);
/* Hands the string over (an empty one if nothing was put) and resets b. */
char *strbuf_steal(StrBuf *b);
void strbuf_done(StrBuf *b);
