/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

int strbuf_put(StrBuf *b, const char *s, size_t n) {
        if (b->max && b->n + n + 1 > b->max)
                return -E2BIG;
        if (b->n + n + 1 > b->cap) {
                size_t cap = (b->n + n + 1) * 2;
                char *t = realloc(b->s, cap);

                if (!t)
                        return -ENOMEM;
                b->s = t;
                b->cap = cap;
        }
        memcpy(b->s + b->n, s, n);
        b->n += n;
        b->s[b->n] = '\0';
        return 0;
}

int strbuf_puts(StrBuf *b, const char *s) {
        return strbuf_put(b, s, strlen(s));
}

int strbuf_printf(StrBuf *b, const char *fmt, ...) {
        va_list ap;
        char *s;
        int n, r;

        va_start(ap, fmt);
        n = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;
        r = strbuf_put(b, s, (size_t) n);
        free(s);
        return r;
}

int strbuf_join(StrBuf *b, char * const *l, const char *sep) {
        int r = 0;

        for (size_t i = 0; l && l[i] && r >= 0; i++) {
                if (i > 0)
                        r = strbuf_puts(b, sep);
                if (r >= 0)
                        r = strbuf_puts(b, l[i]);
        }
        return r;
}

char *strbuf_steal(StrBuf *b) {
        char *s = b->s;

        if (!s && strbuf_put(b, "", 0) >= 0)
                s = b->s;
        *b = (StrBuf) { .max = b->max };
        return s;
}

void strbuf_done(StrBuf *b) {
        free(b->s);
        *b = (StrBuf) { .max = b->max };
}
