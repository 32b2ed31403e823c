/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "aptsources.h"
#include "deb822.h"
#include "shared/cleanup.h"
#include "shared/strbuf.h"
#include "shared/strv.h"

#define MAX_SOURCES 256

void apt_source_done(AptSource *s) {
        free(s->uri);
        free(s->suite);
        strv_free(s->components);
        free(s->signed_by);
        *s = (AptSource) {};
}

void apt_sources_done(AptSources *s) {
        for (size_t i = 0; i < s->n; i++)
                apt_source_done(&s->v[i]);
        free(s->v);
        *s = (AptSources) {};
}

/* What apt accepts in a URI or suite: no spaces, no brackets, no quotes. */
static bool plain(const char *w) {
        return *w && !strpbrk(w, " \t\n[]\"'\\");
}

static int add(AptSources *s, AptSource *e) {
        AptSource *v;

        if (s->n >= MAX_SOURCES) {
                apt_source_done(e);
                return 0;
        }
        v = realloc(s->v, (s->n + 1) * sizeof(AptSource));
        if (!v) {
                apt_source_done(e);
                return -ENOMEM;
        }
        s->v = v;
        s->v[s->n++] = *e;
        *e = (AptSource) {};
        return 0;
}

/* "[opt=value opt2=value]" options of a one-line entry. */
static int parse_options(const char *opts, AptSource *e) {
        _cleanup_free_ char *copy = strdup(opts);
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                if (startswith(w, "signed-by=")) {
                        free(e->signed_by);
                        e->signed_by = strdup(w + strlen("signed-by="));
                        if (!e->signed_by)
                                return -ENOMEM;
                } else if (strcmp(w, "trusted=yes") == 0)
                        e->trusted = true;
        }
        return 0;
}

/* "deb [options] URI SUITE [COMPONENT...]": 1 parsed, 0 not a deb line. */
static int parse_line(const char *line, AptSource *ret) {
        _cleanup_(apt_source_done) AptSource e = {};
        _cleanup_strv_free_ char **words = NULL;
        const char *p = line + strspn(line, " \t");
        int r;

        if (!startswith(p, "deb") || (p[3] != ' ' && p[3] != '\t'))
                return 0;
        p += 3;
        p += strspn(p, " \t");
        if (*p == '[') {
                const char *close = strchr(p, ']');
                _cleanup_free_ char *opts = NULL;

                if (!close)
                        return 0;
                opts = strndup(p + 1, close - p - 1);
                if (!opts)
                        return -ENOMEM;
                r = parse_options(opts, &e);
                if (r < 0)
                        return r;
                p = close + 1;
        }
        for (;;) {
                size_t n;

                p += strspn(p, " \t");
                if (!*p || *p == '#')
                        break;
                n = strcspn(p, " \t#");
                if ((r = strv_consume(&words, strndup(p, n))) < 0)
                        return r;
                p += n;
        }
        if (strv_length(words) < 2 || !plain(words[0]) || !plain(words[1]))
                return 0;
        e.uri = strdup(words[0]);
        e.suite = strdup(words[1]);
        if (!e.uri || !e.suite)
                return -ENOMEM;
        for (size_t i = 2; words[i]; i++)
                if (plain(words[i]) && (r = strv_extend(&e.components, words[i])) < 0)
                        return r;
        *ret = e;
        e = (AptSource) {};
        return 1;
}

static bool has_word(const char *field, const char *word) {
        size_t n = strlen(word);

        for (const char *p = field; p && *p;) {
                p += strspn(p, " \t\n");
                if (strncmp(p, word, n) == 0 && (!p[n] || strchr(" \t\n", p[n])))
                        return true;
                p += strcspn(p, " \t\n");
        }
        return false;
}

static int split_words(const char *field, char ***ret) {
        for (const char *p = field; p && *p;) {
                size_t n;
                int r;

                p += strspn(p, " \t\n");
                n = strcspn(p, " \t\n");
                if (n && (r = strv_consume(ret, strndup(p, n))) < 0)
                        return r;
                p += n;
        }
        return 0;
}

static int parse_deb822(const char *text, size_t len, AptSources *s) {
        _cleanup_(deb822_freep) Deb822 *d = NULL;
        int r;

        if (deb822_parse(text, len, &d, NULL) < 0)
                return 0; /* apt refuses the file: nothing to take from it */
        for (size_t i = 0; i < d->n_stanzas; i++) {
                const Deb822Stanza *st = &d->stanzas[i];
                const char *types = deb822_get(st, "Types"), *enabled = deb822_get(st, "Enabled");
                const char *signed_by = deb822_get(st, "Signed-By"), *trusted = deb822_get(st, "Trusted");
                _cleanup_strv_free_ char **uris = NULL, **suites = NULL, **comps = NULL;

                if (!types || !has_word(types, "deb") || (enabled && strcmp(enabled, "no") == 0))
                        continue;
                if ((r = split_words(deb822_get(st, "URIs"), &uris)) < 0 ||
                    (r = split_words(deb822_get(st, "Suites"), &suites)) < 0 ||
                    (r = split_words(deb822_get(st, "Components"), &comps)) < 0)
                        return r;
                STRV_FOREACH(u, uris)
                        STRV_FOREACH(su, suites) {
                                AptSource e = { .trusted = trusted && strcmp(trusted, "yes") == 0 };

                                if (!plain(*u) || !plain(*su))
                                        continue;
                                e.uri = strdup(*u);
                                e.suite = strdup(*su);
                                /* an inline key (several lines) is not a path: leave it to apt's keys */
                                if (signed_by && !strchr(signed_by, '\n'))
                                        e.signed_by = strdup(signed_by);
                                STRV_FOREACH(c, comps)
                                        if (plain(*c) && strv_extend(&e.components, *c) < 0)
                                                r = -ENOMEM;
                                if (!e.uri || !e.suite || (signed_by && !strchr(signed_by, '\n') && !e.signed_by) || r < 0) {
                                        apt_source_done(&e);
                                        return -ENOMEM;
                                }
                                if ((r = add(s, &e)) < 0)
                                        return r;
                        }
        }
        return 0;
}

int apt_sources_parse(const char *text, size_t len, bool deb822, AptSources *s) {
        int r;

        if (deb822)
                return parse_deb822(text, len, s);
        for (const char *p = text; p < text + len;) {
                const char *nl = memchr(p, '\n', text + len - p);
                _cleanup_free_ char *line = strndup(p, nl ? (size_t) (nl - p) : (size_t) (text + len - p));
                AptSource e = {};

                if (!line)
                        return -ENOMEM;
                r = parse_line(line, &e);
                if (r < 0)
                        return r;
                if (r > 0 && (r = add(s, &e)) < 0)
                        return r;
                p = nl ? nl + 1 : text + len;
        }
        return 0;
}

int apt_source_from_arg(const char *arg, const char *mirror, const char *security_mirror, const char *keyring,
                        AptSource *ret) {
        AptSource e = {};
        int r;

        r = parse_line(arg, &e);
        if (r < 0)
                return r;
        if (r > 0) {
                *ret = e;
                return 0;
        }
        /* a suite name: bookworm, bookworm-updates, bookworm-security, trixie-backports */
        if (!*arg || strspn(arg, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(arg))
                return -EINVAL;
        e.uri = strdup(endswith(arg, "-security") ? security_mirror : mirror);
        e.suite = strdup(arg);
        e.signed_by = keyring ? strdup(keyring) : NULL;
        if (!e.uri || !e.suite || (keyring && !e.signed_by) || strv_extend(&e.components, "main") < 0) {
                apt_source_done(&e);
                return -ENOMEM;
        }
        *ret = e;
        return 0;
}

int apt_source_arg_check(const char *arg) {
        AptSource s = {};
        int r = apt_source_from_arg(arg, "http://mirror", "http://mirror-security", NULL, &s);

        apt_source_done(&s);
        return r;
}

char *apt_source_line(const AptSource *s) {
        _cleanup_(strbuf_done) StrBuf b = {};
        int r = strbuf_puts(&b, "deb ");

        if (r >= 0 && (s->signed_by || s->trusted)) {
                r = strbuf_puts(&b, "[");
                if (r >= 0 && s->signed_by)
                        r = strbuf_puts(&b, "signed-by="), r = r < 0 ? r : strbuf_puts(&b, s->signed_by);
                if (r >= 0 && s->trusted)
                        r = strbuf_puts(&b, s->signed_by ? " trusted=yes" : "trusted=yes");
                if (r >= 0)
                        r = strbuf_puts(&b, "] ");
        }
        if (r >= 0)
                r = strbuf_puts(&b, s->uri);
        if (r >= 0)
                r = strbuf_puts(&b, " ");
        if (r >= 0)
                r = strbuf_puts(&b, s->suite);
        STRV_FOREACH(c, s->components)
                if (r >= 0 && (r = strbuf_puts(&b, " ")) >= 0)
                        r = strbuf_puts(&b, *c);
        return r < 0 ? NULL : strbuf_steal(&b);
}
