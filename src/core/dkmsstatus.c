/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dkmsstatus.h"
#include "shared/strv.h"

static const char *memmem_s(const char *hay, size_t n, const char *needle) {
        return memmem(hay, n, needle, strlen(needle));
}

int dkms_makelog_kernel(const char *text, size_t len, char **ret_kernel) {
        const char *nl = memchr(text, '\n', len), *eol = nl ? nl : text + len, *k, *e;
        char *kernel;

        if (!memmem_s(text, eol - text, "make.log for "))
                return -EBADMSG;
        k = memmem_s(text, eol - text, " for kernel ");
        if (!k)
                return -EBADMSG;
        k += strlen(" for kernel ");
        for (e = k; e < eol && *e != ' ' && *e != '\r'; e++)
                ;
        if (e == k)
                return -EBADMSG;
        kernel = strndup(k, e - k);
        if (!kernel)
                return -ENOMEM;
        *ret_kernel = kernel;
        return 0;
}

static bool is_error_line(const char *p, size_t n) {
        static const char * const markers[] = {
                ": fatal error: ", ": error: ", "undefined reference to", "ERROR: modpost: ",
        };

        for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++)
                if (memmem_s(p, n, markers[i]))
                        return true;
        return false;
}

int dkms_makelog_first_error(const char *text, size_t len, unsigned context, char **ret) {
        const char *p = text, *end = text + len, *first = NULL, *stop = NULL;

        while (p < end) {
                const char *nl = memchr(p, '\n', end - p), *eol = nl ? nl : end;

                if (!first && is_error_line(p, eol - p)) {
                        first = p;
                        stop = eol;
                } else if (first) {
                        /* gcc follows an error with "  14 | code" and "     |   ^~~" lines */
                        if (context == 0 || !memchr(p, '|', eol - p))
                                break;
                        stop = eol;
                        context--;
                }
                p = eol + 1;
        }
        if (!first)
                return -ENOENT;
        *ret = strndup(first, stop - first);
        return *ret ? 0 : -ENOMEM;
}
