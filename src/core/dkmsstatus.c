/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <strings.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkmsstatus.h"
#include "shellvars.h"
#include "grubcfg.h"
#include "shared/cleanup.h"
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

bool dkms_name_valid(const char *s) {
        if (!s || !*s || *s == '.' || *s == '-' || strlen(s) > 128)
                return false;
        for (const char *p = s; *p; p++)
                if (!isalnum((unsigned char) *p) && !strchr("._+-", *p))
                        return false;
        return true;
}

/* Replaces $NAME and ${NAME} for the two variables dkms.conf files use, in
 * one pass: substituted text is never scanned again (a PACKAGE_NAME that
 * names itself must not loop). */
static char *substitute(const char *v, const char *name, const char *version) {
        const char *vars[][2] = { { "PACKAGE_NAME", name }, { "PACKAGE_VERSION", version } };
        char *out = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&out, &n);

        if (!f)
                return NULL;
        for (const char *p = v; *p;) {
                bool done = false;

                for (size_t i = 0; *p == '$' && i < ELEMENTSOF(vars) && !done; i++) {
                        size_t k = strlen(vars[i][0]);

                        if (!vars[i][1])
                                continue;
                        if (p[1] == '{' && strncmp(p + 2, vars[i][0], k) == 0 && p[2 + k] == '}') {
                                fputs(vars[i][1], f);
                                p += k + 3;
                                done = true;
                        } else if (strncmp(p + 1, vars[i][0], k) == 0 &&
                                   !isalnum((unsigned char) p[1 + k]) && p[1 + k] != '_') {
                                /* $PACKAGE_NAMEX is another variable */
                                fputs(vars[i][1], f);
                                p += k + 1;
                                done = true;
                        }
                }
                if (!done)
                        fputc(*p++, f);
        }
        if (fclose(f) != 0) {
                free(out);
                return NULL;
        }
        return out;
}

void dkms_conf_done(DkmsConf *c) {
        free(c->name);
        free(c->version);
        strv_free(c->modules);
        *c = (DkmsConf) {};
}

int dkms_conf_parse(const char *text, size_t len, DkmsConf *ret) {
        DkmsConf c = {};
        char *raw = NULL, *v;
        int r;

        r = shellvars_get(text, len, "PACKAGE_NAME", &raw);
        if (r < 0)
                return r;
        c.name = raw;
        r = shellvars_get(text, len, "PACKAGE_VERSION", &raw);
        if (r < 0)
                goto fail;
        c.version = raw ? substitute(raw, c.name, NULL) : NULL;
        free(raw);
        if (!dkms_name_valid(c.name) || !dkms_name_valid(c.version)) {
                r = -EBADMSG;
                goto fail;
        }
        for (unsigned i = 0; i < 64; i++) {
                char key[32];

                snprintf(key, sizeof(key), "BUILT_MODULE_NAME[%u]", i);
                r = shellvars_get(text, len, key, &raw);
                if (r < 0)
                        goto fail;
                if (!raw)
                        break;
                v = substitute(raw, c.name, c.version);
                free(raw);
                if (!v || !dkms_name_valid(v)) {
                        free(v);
                        r = v ? -EBADMSG : -ENOMEM;
                        goto fail;
                }
                if ((r = strv_consume(&c.modules, v)) < 0)
                        goto fail;
        }
        if (!c.modules && (r = strv_extend(&c.modules, c.name)) < 0)
                goto fail;
        r = shellvars_get(text, len, "REMAKE_INITRD", &raw);
        if (r < 0)
                goto fail;
        c.remake_initrd = raw && (strcasecmp(raw, "yes") == 0 || strcasecmp(raw, "y") == 0);
        free(raw);
        r = shellvars_get(text, len, "AUTOINSTALL", &raw);
        if (r < 0)
                goto fail;
        c.autoinstall = raw && (strcasecmp(raw, "yes") == 0 || strcasecmp(raw, "y") == 0);
        free(raw);
        *ret = c;
        return 0;
fail:
        dkms_conf_done(&c);
        return r;
}

static void status_line_done(DkmsStatusLine *x) {
        free(x->name);
        free(x->version);
        free(x->kernel);
        free(x->arch);
        free(x->state);
        free(x->note);
        *x = (DkmsStatusLine) {};
}

void dkms_status_free(DkmsStatusLine *l, size_t n) {
        for (size_t i = 0; l && i < n; i++)
                status_line_done(&l[i]);
        free(l);
}

/* Splits "a, b, c" into at most max trimmed fields; -1 past max. */
static int split_commas(const char *s, size_t n, char **f, size_t max) {
        size_t k = 0;
        const char *p = s, *end = s + n;

        for (;;) {
                const char *c = memchr(p, ',', end - p), *e = c ? c : end;

                if (k == max)
                        return -1;
                f[k] = strndup_trim(p, e - p);
                if (!f[k++])
                        return -ENOMEM;
                if (!c)
                        return (int) k;
                p = c + 1;
        }
}

/* 1 parsed, 0 not a status line, <0 error */
static int parse_status_line(const char *p, const char *eol, DkmsStatusLine *x) {
        const char *colon = NULL, *s, *paren;
        char *f[4] = {};
        int k, r = 0;

        /* the state follows the last ": " before any "(...)" trailer */
        for (const char *q = p; q + 1 < eol && *q != '('; q++)
                if (q[0] == ':' && q[1] == ' ')
                        colon = q;
        if (!colon)
                return 0;
        k = split_commas(p, colon - p, f, 4);
        if (k == -ENOMEM) {
                r = k;
                goto out;
        }
        if (k == 1 || k == 3) { /* dkms 3: "name/version[, kernel, arch]" */
                char *slash = strchr(f[0], '/');

                if (!slash)
                        goto out;
                x->name = strndup(f[0], slash - f[0]);
                x->version = strdup(slash + 1);
                if (k == 3) {
                        x->kernel = TAKE_PTR(f[1]);
                        x->arch = TAKE_PTR(f[2]);
                }
        } else if (k == 2 || k == 4) { /* dkms 2: "name, version[, kernel, arch]" */
                x->name = TAKE_PTR(f[0]);
                x->version = TAKE_PTR(f[1]);
                if (k == 4) {
                        x->kernel = TAKE_PTR(f[2]);
                        x->arch = TAKE_PTR(f[3]);
                }
        } else
                goto out;
        s = colon + 2;
        paren = memchr(s, '(', eol - s);
        x->state = strndup_trim(s, (paren ? paren : eol) - s);
        if (paren) {
                const char *close = memrchr(paren, ')', eol - paren);

                x->note = strndup_trim(paren + 1, (close ? close : eol) - paren - 1);
                if (!x->note)
                        r = -ENOMEM;
        }
        if (!x->name || !x->version || !x->state)
                r = -ENOMEM;
        else if (dkms_name_valid(x->name) && dkms_name_valid(x->version) && *x->state &&
                 (!x->kernel || *x->kernel))
                r = 1;
out:
        for (size_t i = 0; i < 4; i++)
                free(f[i]);
        if (r <= 0)
                status_line_done(x);
        return r;
}

int dkms_status_parse(const char *text, size_t len, DkmsStatusLine **ret, size_t *ret_n) {
        DkmsStatusLine *l = NULL;
        size_t n = 0;
        int r;

        for (const char *p = text, *end = text + len; p < end;) {
                const char *nl = memchr(p, '\n', end - p), *eol = nl ? nl : end;
                DkmsStatusLine x = {};

                r = parse_status_line(p, eol, &x);
                if (r < 0) {
                        dkms_status_free(l, n);
                        return r;
                }
                if (r > 0) {
                        DkmsStatusLine *g = realloc(l, (n + 1) * sizeof(*l));

                        if (!g) {
                                status_line_done(&x);
                                dkms_status_free(l, n);
                                return -ENOMEM;
                        }
                        l = g;
                        l[n++] = x;
                }
                p = eol + 1;
        }
        *ret = l;
        *ret_n = n;
        return 0;
}
