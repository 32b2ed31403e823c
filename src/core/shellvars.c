/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "shared/strbuf.h"
#include "shellvars.h"

/* as long as a value, or a whole rewritten file, may get */
#define SHELLVARS_MAX (64 * 1024)

static bool is_blank(char c) {
        return c == ' ' || c == '\t';
}

/* Unquotes a shell word: 'single', "double" (with \ escapes) and bare text. */
static int shell_unquote(const char *s, size_t n, char **ret) {
        StrBuf b = { .max = SHELLVARS_MAX };
        const char *p = s, *end = s + n;
        int r = strbuf_put(&b, "", 0);

        while (r >= 0 && p < end) {
                if (*p == '\'') {
                        const char *q = memchr(p + 1, '\'', end - p - 1);

                        if (!q)
                                q = end;
                        r = strbuf_put(&b, p + 1, q - p - 1);
                        p = q < end ? q + 1 : end;
                } else if (*p == '"') {
                        p++;
                        while (r >= 0 && p < end && *p != '"') {
                                if (*p == '\\' && p + 1 < end && strchr("$`\"\\", p[1]))
                                        p++;
                                r = strbuf_put(&b, p++, 1);
                        }
                        p++;
                } else if (*p == '\\' && p + 1 < end) {
                        r = strbuf_put(&b, p + 1, 1);
                        p += 2;
                } else if (*p == '#' || is_blank(*p)) {
                        break;
                } else
                        r = strbuf_put(&b, p++, 1);
        }
        if (r < 0) {
                free(b.s);
                return r;
        }
        *ret = b.s;
        return 0;
}

int shellvars_get(const char *text, size_t len, const char *key, char **ret) {
        const char *p = text, *end = text + len;
        size_t klen = strlen(key);
        char *value = NULL;
        int r;

        while (p < end) {
                const char *nl = memchr(p, '\n', end - p), *eol = nl ? nl : end, *q = p;

                while (q < eol && is_blank(*q))
                        q++;
                if ((size_t) (eol - q) > 7 && memcmp(q, "export ", 7) == 0)
                        q += 7;
                if ((size_t) (eol - q) > klen && memcmp(q, key, klen) == 0 && q[klen] == '=') {
                        char *v;

                        q += klen + 1;
                        r = shell_unquote(q, eol - q, &v);
                        if (r < 0) {
                                free(value);
                                return r;
                        }
                        free(value);
                        value = v;
                }
                p = eol + 1;
        }
        *ret = value;
        return 0;
}

/* Is this line an active assignment of key? */
static bool assigns(const char *p, const char *eol, const char *key) {
        size_t klen = strlen(key);

        while (p < eol && is_blank(*p))
                p++;
        if ((size_t) (eol - p) > 7 && memcmp(p, "export ", 7) == 0)
                p += 7;
        return (size_t) (eol - p) > klen && memcmp(p, key, klen) == 0 && p[klen] == '=';
}

/* KEY="value" (value already checked to need no escaping) */
static int put_assignment(StrBuf *b, const char *key, const char *value) {
        int r = strbuf_put(b, key, strlen(key));

        if (r >= 0)
                r = strbuf_put(b, "=\"", 2);
        if (r >= 0)
                r = strbuf_put(b, value, strlen(value));
        if (r >= 0)
                r = strbuf_put(b, "\"", 1);
        return r;
}

int shellvars_set(const char *text, size_t len, const char *key, const char *value, char **ret) {
        const char *p, *end = text + len, *last = NULL;
        StrBuf b = { .max = SHELLVARS_MAX };
        int r;

        if (strpbrk(value, "\"\\$`\n"))
                return -EINVAL;
        /* the result is a C string: a NUL in the text would cut off its rest */
        if (memchr(text, '\0', len))
                return -EBADMSG;
        for (p = text; p < end;) {
                const char *nl = memchr(p, '\n', end - p), *eol = nl ? nl : end;

                if (assigns(p, eol, key))
                        last = p;
                p = eol + 1;
        }
        r = strbuf_put(&b, "", 0);
        for (p = text; r >= 0 && p < end;) {
                const char *nl = memchr(p, '\n', end - p), *eol = nl ? nl : end;

                if (p == last) {
                        r = put_assignment(&b, key, value);
                } else {
                        if (assigns(p, eol, key))
                                r = strbuf_put(&b, "#", 1);
                        if (r >= 0)
                                r = strbuf_put(&b, p, eol - p);
                }
                if (r >= 0 && nl)
                        r = strbuf_put(&b, "\n", 1);
                p = eol + 1;
        }
        if (r >= 0 && !last) {
                if (b.n > 0 && b.s[b.n - 1] != '\n')
                        r = strbuf_put(&b, "\n", 1);
                if (r >= 0)
                        r = put_assignment(&b, key, value);
                if (r >= 0)
                        r = strbuf_put(&b, "\n", 1);
        }
        if (r < 0) {
                free(b.s);
                return r;
        }
        *ret = b.s;
        return 0;
}
