/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debar.h"
#include "shared/strv.h"

#define AR_MAGIC "!<arch>\n"
#define AR_HEADER 60
#define AR_MAX_MEMBERS 16

static int why(char **ret_why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int why(char **ret_why, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(ret_why, fmt, ap) < 0)
                *ret_why = NULL;
        va_end(ap);
        return *ret_why ? -EBADMSG : -ENOMEM;
}

int deb_check_archive(ImageReadFn read_fn, void *userdata, uint64_t file_size, char **ret_why) {
        char h[AR_HEADER + 1];
        uint64_t off = strlen(AR_MAGIC);
        bool binary = false, control = false, data = false;
        unsigned n = 0;

        if (file_size < off || read_fn(userdata, 0, h, off) < 0 || memcmp(h, AR_MAGIC, off) != 0)
                return why(ret_why, "not an ar archive");
        while (off < file_size) {
                char name[17], *end;
                unsigned long long size;
                size_t k;

                if (++n > AR_MAX_MEMBERS)
                        return why(ret_why, "more than %d archive members", AR_MAX_MEMBERS);
                if (file_size - off < AR_HEADER || read_fn(userdata, off, h, AR_HEADER) < 0)
                        return why(ret_why, "truncated: member header at offset %llu is cut off",
                                   (unsigned long long) off);
                h[AR_HEADER] = '\0';
                if (h[58] != '`' || h[59] != '\n')
                        return why(ret_why, "corrupt member header at offset %llu", (unsigned long long) off);
                memcpy(name, h, 16);
                name[16] = '\0';
                for (k = 16; k > 0 && (name[k - 1] == ' ' || name[k - 1] == '/'); k--)
                        name[k - 1] = '\0';
                h[58] = '\0';
                size = strtoull(h + 48, &end, 10);
                if (end == h + 48 || strspn(end, " ") != strlen(end))
                        return why(ret_why, "corrupt size of member %s", name);
                off += AR_HEADER;
                if (size > file_size - off)
                        return why(ret_why, "truncated: member %s needs %llu bytes, %llu are left", name, size,
                                   (unsigned long long) (file_size - off));
                off += size + (size & 1);
                if (n == 1 && strcmp(name, "debian-binary") != 0)
                        return why(ret_why, "the first member is %s, not debian-binary", name);
                binary = binary || strcmp(name, "debian-binary") == 0;
                control = control || startswith(name, "control.tar");
                data = data || startswith(name, "data.tar");
        }
        if (off > file_size + 1)
                return why(ret_why, "truncated: the last member is cut off");
        if (!binary || !control || !data)
                return why(ret_why, "no %s member", !control ? "control.tar" : "data.tar");
        return 0;
}
