/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fnmatch.h>
#include <regex.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deb822.h"
#include "shared/cleanup.h"
#include "shared/strv.h"

#define DEB822_MAX_STANZAS 200000
#define DEB822_MAX_FIELDS 256

static void stanza_done(Deb822Stanza *s) {
        for (size_t i = 0; i < s->n_fields; i++) {
                free(s->fields[i].name);
                free(s->fields[i].value);
        }
        free(s->fields);
}

Deb822 *deb822_free(Deb822 *d) {
        if (!d)
                return NULL;
        for (size_t i = 0; i < d->n_stanzas; i++)
                stanza_done(&d->stanzas[i]);
        free(d->stanzas);
        free(d);
        return NULL;
}

static int stanza_new(Deb822 *d, unsigned line) {
        Deb822Stanza *s;

        if (d->n_stanzas >= DEB822_MAX_STANZAS)
                return -E2BIG;
        s = realloc(d->stanzas, (d->n_stanzas + 1) * sizeof(Deb822Stanza));
        if (!s)
                return -ENOMEM;
        d->stanzas = s;
        d->stanzas[d->n_stanzas++] = (Deb822Stanza) { .line = line };
        return 0;
}

static int field_add(Deb822Stanza *s, const char *name, size_t nlen, const char *value, size_t vlen) {
        Deb822Field *f;

        if (s->n_fields >= DEB822_MAX_FIELDS)
                return -E2BIG;
        f = realloc(s->fields, (s->n_fields + 1) * sizeof(Deb822Field));
        if (!f)
                return -ENOMEM;
        s->fields = f;
        f = &s->fields[s->n_fields];
        f->name = strndup(name, nlen);
        f->value = strndup_trim(value, vlen);
        if (!f->name || !f->value) {
                free(f->name);
                free(f->value);
                return -ENOMEM;
        }
        s->n_fields++;
        return 0;
}

static int field_continue(Deb822Field *f, const char *text, size_t n) {
        size_t old = strlen(f->value);
        char *v = realloc(f->value, old + n + 2);

        if (!v)
                return -ENOMEM;
        v[old] = '\n';
        memcpy(v + old + 1, text, n);
        v[old + 1 + n] = '\0';
        f->value = v;
        return 0;
}

/* How many of the n bytes at p are blanks, never looking past them (the
 * text need not be NUL-terminated). */
static size_t blanks(const char *p, size_t n) {
        size_t k = 0;

        while (k < n && (p[k] == ' ' || p[k] == '\t'))
                k++;
        return k;
}

int deb822_parse(const char *text, size_t len, Deb822 **ret, unsigned *ret_line) {
        Deb822 *d = calloc(1, sizeof(Deb822));
        const char *p = text, *end = text + len;
        bool in_stanza = false;
        unsigned line = 0;
        int r = 0;

        if (!d)
                return -ENOMEM;
        while (p < end && r >= 0) {
                const char *nl = memchr(p, '\n', end - p), *eol = nl ? nl : end, *colon;
                size_t n = eol - p;

                line++;
                if (n > 0 && p[n - 1] == '\r')
                        n--;
                if (blanks(p, n) == n) {
                        in_stanza = false;
                } else if (*p == '#') {
                        /* comment line (apt preferences allow them) */
                } else if (*p == ' ' || *p == '\t') {
                        Deb822Stanza *s = in_stanza ? &d->stanzas[d->n_stanzas - 1] : NULL;

                        if (!s || s->n_fields == 0)
                                r = -EBADMSG;
                        else
                                r = field_continue(&s->fields[s->n_fields - 1], p + 1, n - 1);
                } else if ((colon = memchr(p, ':', n)) && colon > p) {
                        if (!in_stanza) {
                                r = stanza_new(d, line);
                                in_stanza = true;
                        }
                        if (r >= 0)
                                r = field_add(&d->stanzas[d->n_stanzas - 1], p, colon - p,
                                              colon + 1, p + n - colon - 1);
                } else
                        r = -EBADMSG;
                p = eol + 1;
        }
        if (r < 0) {
                if (ret_line)
                        *ret_line = line;
                deb822_free(d);
                return r;
        }
        *ret = d;
        return 0;
}

const char *deb822_get(const Deb822Stanza *s, const char *name) {
        for (size_t i = 0; i < s->n_fields; i++)
                if (strcasecmp(s->fields[i].name, name) == 0)
                        return s->fields[i].value;
        return NULL;
}

int dpkg_package_from_stanza(const Deb822Stanza *s, DpkgPackage *p) {
        static const char * const wants[] = { "unknown", "install", "hold", "deinstall", "purge" };
        static const char * const states[] = { "not-installed", "config-files", "half-installed",
                                               "unpacked", "half-configured", "triggers-awaited",
                                               "triggers-pending", "installed" };
        const char *status = deb822_get(s, "Status"), *w, *st;
        DpkgPackage pkg = {};

        pkg.name = deb822_get(s, "Package");
        if (!pkg.name || !status)
                return -EINVAL;
        pkg.version = deb822_get(s, "Version");
        pkg.arch = deb822_get(s, "Architecture");

        /* "want flag state" */
        w = status;
        const char *sp1 = strchr(w, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
        if (!sp2)
                return -EINVAL;
        st = sp2 + 1;
        for (size_t i = 0; i < ELEMENTSOF(wants); i++)
                if ((size_t) (sp1 - w) == strlen(wants[i]) && strncmp(w, wants[i], sp1 - w) == 0)
                        pkg.want = wants[i];
        for (size_t i = 0; i < ELEMENTSOF(states); i++)
                if (strcmp(st, states[i]) == 0)
                        pkg.state = states[i];
        if (!pkg.want || !pkg.state)
                return -EINVAL;
        *p = pkg;
        return 0;
}

int apt_pref_matches(const char *field, const char *name) {
        _cleanup_free_ char *copy = strdup(field);
        char *tok, *save = NULL;

        if (!copy)
                return -ENOMEM;
        for (tok = strtok_r(copy, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
                size_t n = strlen(tok);

                if (n >= 2 && tok[0] == '/' && tok[n - 1] == '/') {
                        regex_t re;
                        int m;

                        tok[n - 1] = '\0';
                        if (regcomp(&re, tok + 1, REG_EXTENDED | REG_NOSUB) != 0)
                                continue;
                        m = regexec(&re, name, 0, NULL, 0);
                        regfree(&re);
                        if (m == 0)
                                return 1;
                } else if (fnmatch(tok, name, 0) == 0)
                        return 1;
        }
        return 0;
}
