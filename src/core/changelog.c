/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "changelog.h"
#include "kver.h"
#include "shared/cleanup.h"
#include "shared/strv.h"

#define VERSION_MAX 128
#define NAME_MAX_LEN 64
#define CVE_MAX_DIGITS 12

void changelog_fixes_done(ChangelogFixes *f) {
        for (size_t i = 0; i < f->n_cves; i++)
                free(f->cves[i]);
        free(f->cves);
        free(f->newest);
        *f = (ChangelogFixes) {};
}

bool changelog_binary_version(const char *source, const char *version, char *ret, size_t size) {
        size_t n = strlen(version);
        char *plus;

        if (n >= size)
                return false;
        memcpy(ret, version, n + 1);
        /* linux-signed-amd64 (6.1.192+3) signs linux 6.1.192-3 */
        if (startswith(source, "linux-signed") && !strchr(ret, '-') && (plus = strrchr(ret, '+')))
                *plus = '-';
        return true;
}

static bool name_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '+' || c == '-';
}

/* "SOURCE (VERSION) ..." at the start of line [p, end): the binary's version. */
static bool entry_header(const char *p, const char *end, char *version) {
        char name[NAME_MAX_LEN + 1], raw[VERSION_MAX];
        size_t n = 0, v = 0;

        if (p >= end || !((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
                return false;
        while (p < end && name_char(*p) && n < NAME_MAX_LEN)
                name[n++] = *p++;
        name[n] = '\0';
        if (end - p < 2 || p[0] != ' ' || p[1] != '(')
                return false;
        p += 2;
        while (p < end && *p != ')' && *p != ' ' && *p != '\t' && v + 1 < VERSION_MAX)
                raw[v++] = *p++;
        if (v == 0 || p >= end || *p != ')')
                return false;
        raw[v] = '\0';
        return changelog_binary_version(name, raw, version, VERSION_MAX);
}

typedef struct Cve {
        unsigned year;
        uint64_t number;
} Cve;

static int cve_compare(const void *a, const void *b) {
        const Cve *x = a, *y = b;

        if (x->year != y->year)
                return x->year < y->year ? -1 : 1;
        return x->number < y->number ? -1 : x->number > y->number;
}

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

/* The CVE IDs of line [p, end), appended to *ids. */
static int line_cves(const char *p, const char *end, Cve **ids, size_t *n, size_t *cap) {
        while (end - p >= 13) {
                const char *c = memmem(p, (size_t) (end - p), "CVE-", 4);
                const char *q;
                unsigned year = 0;
                uint64_t number = 0;
                size_t digits = 0;

                if (!c || end - c < 13)
                        return 0;
                p = c + 4;
                q = p;
                for (int i = 0; i < 4; i++, q++) {
                        if (q >= end || !is_digit(*q))
                                goto next;
                        year = year * 10 + (unsigned) (*q - '0');
                }
                if (q >= end || *q != '-')
                        goto next;
                for (q++; q < end && is_digit(*q) && digits < CVE_MAX_DIGITS; q++, digits++)
                        number = number * 10 + (uint64_t) (*q - '0');
                /* CVE-YYYY-NNNN at least; longer digit runs are not IDs */
                if (digits < 4 || (q < end && is_digit(*q)))
                        goto next;
                if (*n == *cap) {
                        size_t nc = *cap ? *cap * 2 : 256;
                        Cve *t = realloc(*ids, nc * sizeof(Cve));

                        if (!t)
                                return -ENOMEM;
                        *ids = t;
                        *cap = nc;
                }
                (*ids)[(*n)++] = (Cve) { year, number };
                p = q;
        next:;
        }
        return 0;
}

int changelog_fixes(const char *text, size_t len, const char *since, ChangelogFixes *ret) {
        _cleanup_(changelog_fixes_done) ChangelogFixes f = {};
        _cleanup_free_ Cve *ids = NULL;
        const char *p = text, *end = text + len;
        char version[VERSION_MAX];
        size_t n = 0, cap = 0;
        bool newer = false;
        int r;

        while (p < end) {
                const char *eol = memchr(p, '\n', (size_t) (end - p));

                if (!eol)
                        eol = end;
                if (entry_header(p, eol, version)) {
                        int c = dpkg_version_compare(version, since);

                        if (!f.newest && !(f.newest = strdup(version)))
                                return -ENOMEM;
                        newer = c > 0;
                        if (c == 0)
                                f.found = true;
                        if (newer)
                                f.n_entries++;
                } else if (newer && (r = line_cves(p, eol, &ids, &n, &cap)) < 0)
                        return r;
                p = eol + 1;
        }

        if (f.found && n > 0) {
                size_t u = 0;

                qsort(ids, n, sizeof(Cve), cve_compare);
                for (size_t i = 0; i < n; i++)
                        if (u == 0 || cve_compare(&ids[u - 1], &ids[i]) != 0)
                                ids[u++] = ids[i];
                f.cves = calloc(u + 1, sizeof(char *));
                if (!f.cves)
                        return -ENOMEM;
                for (size_t i = 0; i < u; i++) {
                        f.cves[i] = strprintf("CVE-%04u-%04llu", ids[i].year, (unsigned long long) ids[i].number);
                        if (!f.cves[i])
                                return -ENOMEM;
                        f.n_cves++;
                }
        }
        *ret = f;
        f = (ChangelogFixes) {};
        return 0;
}
