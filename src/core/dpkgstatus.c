/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dpkgstatus.h"
#include "shared/cleanup.h"

DpkgStatus *dpkg_status_free(DpkgStatus *s) {
        if (!s)
                return NULL;
        deb822_free(s->text);
        free(s->pkgs);
        free(s);
        return NULL;
}

int dpkg_status_parse(const char *text, size_t len, DpkgStatus **ret, unsigned *ret_line) {
        _cleanup_(dpkg_status_freep) DpkgStatus *s = calloc(1, sizeof(DpkgStatus));
        int r;

        if (!s)
                return -ENOMEM;
        r = deb822_parse(text, len, &s->text, ret_line);
        if (r < 0)
                return r;
        s->pkgs = calloc(s->text->n_stanzas + 1, sizeof(DpkgPackage));
        if (!s->pkgs)
                return -ENOMEM;
        for (size_t i = 0; i < s->text->n_stanzas; i++)
                if (dpkg_package_from_stanza(&s->text->stanzas[i], &s->pkgs[s->n]) >= 0)
                        s->n++;
        *ret = TAKE_PTR(s);
        return 0;
}

const DpkgPackage *dpkg_status_find(const DpkgStatus *s, const char *name) {
        for (size_t i = 0; s && i < s->n; i++)
                if (strcmp(s->pkgs[i].name, name) == 0)
                        return &s->pkgs[i];
        return NULL;
}

bool dpkg_installed(const DpkgPackage *p) {
        return p && strcmp(p->state, "installed") == 0;
}

int dpkg_status_debpkgs(const DpkgStatus *s, DebPkg **ret, size_t *ret_n) {
        DebPkg *l = calloc(s->n + 1, sizeof(DebPkg));
        size_t n = 0;

        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < s->text->n_stanzas; i++) {
                const Deb822Stanza *st = &s->text->stanzas[i];
                DpkgPackage p;

                if (dpkg_package_from_stanza(st, &p) >= 0 && dpkg_installed(&p))
                        l[n++] = (DebPkg) {
                                .name = p.name,
                                .version = p.version,
                                .depends = deb822_get(st, "Depends"),
                                .pre_depends = deb822_get(st, "Pre-Depends"),
                                .provides = deb822_get(st, "Provides"),
                        };
        }
        *ret = l;
        *ret_n = n;
        return 0;
}

unsigned dpkg_installed_major(const DpkgStatus *s, const char *name) {
        const DpkgPackage *p = dpkg_status_find(s, name);
        const char *v;
        unsigned long n;
        char *end;

        if (!dpkg_installed(p) || !p->version)
                return 0;
        v = p->version;
        if (strchr(v, ':'))
                v = strchr(v, ':') + 1;
        if (*v < '0' || *v > '9')
                return 0;
        n = strtoul(v, &end, 10);
        return n > 100000 ? 0 : (unsigned) n;
}
