/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "depends.h"
#include "kver.h"
#include "shared/cleanup.h"
#include "shared/strv.h"

#define MAX_NAME 256
#define MAX_INSTALL 4096

bool deb_relation_holds(const char *v, const char *op, const char *ref) {
        int c = dpkg_version_compare(v, ref);

        if (strcmp(op, "<<") == 0)
                return c < 0;
        if (strcmp(op, "<=") == 0 || strcmp(op, "<") == 0)
                return c <= 0;
        if (strcmp(op, "=") == 0)
                return c == 0;
        if (strcmp(op, ">=") == 0 || strcmp(op, ">") == 0)
                return c >= 0;
        if (strcmp(op, ">>") == 0)
                return c > 0;
        return false;
}

/* One alternative of a relation: name[:arch] [(op version)] [arch list] [<profiles>] */
typedef struct Rel {
        char name[MAX_NAME];
        char op[3];
        char version[MAX_NAME];
} Rel;

static int parse_rel(const char *s, size_t n, Rel *r) {
        const char *p = s, *end = s + n, *q;
        size_t k;

        *r = (Rel) {};
        while (p < end && isspace((unsigned char) *p))
                p++;
        for (q = p; q < end && !isspace((unsigned char) *q) && *q != '(' && *q != '[' && *q != '<' && *q != ':'; q++)
                ;
        k = q - p;
        if (k == 0 || k >= MAX_NAME)
                return -EBADMSG;
        memcpy(r->name, p, k);
        p = q;
        while (p < end && *p != '(' && *p != '[' && *p != '<')
                p++; /* ":any" and spaces */
        if (p < end && *p == '(') {
                p++;
                while (p < end && isspace((unsigned char) *p))
                        p++;
                for (k = 0; p < end && strchr("<>=", *p) && k < 2; p++)
                        r->op[k++] = *p;
                if (k == 0)
                        return -EBADMSG;
                while (p < end && isspace((unsigned char) *p))
                        p++;
                q = memchr(p, ')', end - p);
                if (!q)
                        return -EBADMSG;
                while (q > p && isspace((unsigned char) q[-1]))
                        q--;
                k = q - p;
                if (k == 0 || k >= MAX_NAME)
                        return -EBADMSG;
                memcpy(r->version, p, k);
        }
        return 0;
}

static void rel_format(const Rel *r, char **ret) {
        *ret = r->op[0] ? strprintf("%s (%s %s)", r->name, r->op, r->version) : strdup(r->name);
}

/* Does package p satisfy r, by its own name and version or by Provides? */
static int pkg_satisfies(const DebPkg *p, const Rel *r) {
        const char *s, *e;

        if (strcmp(p->name, r->name) == 0 && (!r->op[0] || deb_relation_holds(p->version, r->op, r->version)))
                return 1;
        for (s = p->provides; s && *s; s = *e ? e + 1 : e) {
                Rel pr;

                e = strchrnul(s, ',');
                if (parse_rel(s, e - s, &pr) < 0)
                        return -EBADMSG;
                if (strcmp(pr.name, r->name) != 0)
                        continue;
                if (!r->op[0])
                        return 1;
                /* a versioned dependency needs a versioned Provides (= v) */
                if (strcmp(pr.op, "=") == 0 && deb_relation_holds(pr.version, r->op, r->version))
                        return 1;
        }
        return 0;
}

typedef struct Solver {
        const DebPkg *installed, *avail;
        size_t n_installed, n_avail;
        const DebPkg **chosen;
        size_t n_chosen;
        char **missing;
} Solver;

static bool is_chosen(const Solver *s, const DebPkg *p) {
        for (size_t i = 0; i < s->n_chosen; i++)
                if (s->chosen[i] == p)
                        return true;
        return false;
}

static int choose(Solver *s, const DebPkg *p) {
        if (is_chosen(s, p))
                return 0;
        if (s->n_chosen >= MAX_INSTALL)
                return -E2BIG;
        s->chosen[s->n_chosen++] = p;
        return 1;
}

/* Finds who satisfies r: 1 already met (chosen or installed), 2 newly
 * chosen from avail, 0 nobody. */
static int satisfy(Solver *s, const Rel *r, bool choose_new) {
        int k;

        for (size_t i = 0; i < s->n_chosen; i++)
                if ((k = pkg_satisfies(s->chosen[i], r)) != 0)
                        return k < 0 ? k : 1;
        for (size_t i = 0; i < s->n_installed; i++) {
                /* an installed version that a chosen package replaces does not count */
                bool replaced = false;

                for (size_t j = 0; j < s->n_chosen; j++)
                        if (strcmp(s->chosen[j]->name, s->installed[i].name) == 0)
                                replaced = true;
                if (!replaced && (k = pkg_satisfies(&s->installed[i], r)) != 0)
                        return k < 0 ? k : 1;
        }
        if (!choose_new)
                return 0;
        /* the newest available version that satisfies */
        const DebPkg *best = NULL;
        for (size_t i = 0; i < s->n_avail; i++) {
                if ((k = pkg_satisfies(&s->avail[i], r)) < 0)
                        return k;
                if (k && (!best || dpkg_version_compare(s->avail[i].version, best->version) > 0))
                        best = &s->avail[i];
        }
        if (!best)
                return 0;
        k = choose(s, best);
        return k < 0 ? k : 2;
}

static int check_field(Solver *s, const DebPkg *p, const char *field) {
        for (const char *c = field; c && *c;) {
                const char *ce = strchrnul(c, ',');
                Rel alts[16];
                size_t n = 0;
                int k = 0;

                for (const char *a = c; a < ce;) {
                        const char *ae = memchr(a, '|', ce - a);

                        if (!ae)
                                ae = ce;
                        if (n >= 16 || parse_rel(a, ae - a, &alts[n]) < 0)
                                return -EBADMSG;
                        n++;
                        a = ae < ce ? ae + 1 : ce;
                }
                /* met already by any alternative? else choose the first installable one */
                for (size_t i = 0; i < n && k == 0; i++)
                        k = satisfy(s, &alts[i], false);
                for (size_t i = 0; i < n && k == 0; i++)
                        k = satisfy(s, &alts[i], true);
                if (k < 0)
                        return k;
                if (k == 0) {
                        _cleanup_free_ char *what = NULL;
                        char *line;

                        rel_format(&alts[0], &what);
                        if (!what)
                                return -ENOMEM;
                        for (size_t i = 1; i < n; i++) {
                                _cleanup_free_ char *alt = NULL, *joined = NULL;

                                rel_format(&alts[i], &alt);
                                joined = alt ? strprintf("%s | %s", what, alt) : NULL;
                                if (!joined)
                                        return -ENOMEM;
                                free(what);
                                what = TAKE_PTR(joined);
                        }
                        line = strprintf("%s (needed by %s)", what, p->name);
                        if (!line || strv_consume(&s->missing, line) < 0)
                                return -ENOMEM;
                }
                c = *ce ? ce + 1 : ce;
        }
        return 0;
}

int deb_closure(const DebPkg *installed, size_t n_installed, const DebPkg *avail, size_t n_avail,
                char * const *targets, char ***ret_install, char ***ret_missing) {
        _cleanup_free_ const DebPkg **chosen = calloc(MAX_INSTALL, sizeof(DebPkg *));
        _cleanup_strv_free_ char **install = NULL;
        Solver s = {
                .installed = installed, .n_installed = n_installed,
                .avail = avail, .n_avail = n_avail,
                .chosen = chosen,
        };
        int r = 0;

        if (!chosen)
                return -ENOMEM;
        STRV_FOREACH(t, targets) {
                Rel rel = {};
                const DebPkg *best = NULL;

                if (strlen(*t) >= MAX_NAME)
                        return -EINVAL;
                strcpy(rel.name, *t);
                for (size_t i = 0; i < n_avail; i++)
                        if (strcmp(avail[i].name, *t) == 0 &&
                            (!best || dpkg_version_compare(avail[i].version, best->version) > 0))
                                best = &avail[i];
                if (!best) {
                        r = strv_consume(&s.missing, strprintf("%s (requested)", *t));
                        if (r < 0)
                                goto fail;
                        continue;
                }
                r = choose(&s, best);
                if (r < 0)
                        goto fail;
        }
        /* chosen grows while we walk it */
        for (size_t i = 0; i < s.n_chosen; i++) {
                r = check_field(&s, s.chosen[i], s.chosen[i]->pre_depends);
                if (r >= 0)
                        r = check_field(&s, s.chosen[i], s.chosen[i]->depends);
                if (r < 0)
                        goto fail;
        }
        for (size_t i = 0; i < s.n_chosen; i++) {
                r = strv_extend(&install, s.chosen[i]->origin ? s.chosen[i]->origin : s.chosen[i]->name);
                if (r < 0)
                        goto fail;
        }
        *ret_install = TAKE_PTR(install);
        *ret_missing = s.missing;
        return 0;
fail:
        strv_free(s.missing);
        return r;
}

/* Every package name a Depends/Pre-Depends field mentions, alternatives too. */
static int field_mentions(const char *field, const char *name) {
        for (const char *a = field; a && *a;) {
                size_t n = strcspn(a, ",|");
                Rel r;

                if (parse_rel(a, n, &r) < 0)
                        return -EBADMSG;
                if (strcmp(r.name, name) == 0)
                        return 1;
                a += n;
                if (*a)
                        a++;
        }
        return 0;
}

static int depends_on(const DebPkg *p, const char *name) {
        int k = field_mentions(p->pre_depends, name);

        return k != 0 ? k : field_mentions(p->depends, name);
}

/* linux-image-R / linux-headers-R for a full release R with a flavour
 * (6.12.117+deb13-cloud-amd64, 6.1.0-56-cloud-amd64-unsigned), not a
 * metapackage (linux-image-cloud-amd64, linux-image-6.1-cloud-amd64) nor
 * the shared linux-headers-6.1.0-56-common. */
static bool kernel_release_package(const char *name, const char **ret_rel) {
        KernelRelease k = { .abi = -1 };
        const char *rel;
        bool ok;

        if (startswith(name, "linux-image-"))
                rel = name + strlen("linux-image-");
        else if (startswith(name, "linux-headers-"))
                rel = name + strlen("linux-headers-");
        else
                return false;
        if (strstr(rel, "-common") || kver_parse(rel, &k) < 0)
                return false;
        ok = k.flavour && strchr(k.upstream, '.') && strchr(strchr(k.upstream, '.') + 1, '.');
        kver_done(&k);
        if (ok && ret_rel)
                *ret_rel = rel;
        return ok;
}

static bool kernel_support_package(const char *name) {
        return startswith(name, "linux-kbuild-") || startswith(name, "linux-compiler-") ||
               (startswith(name, "linux-headers-") && strstr(name, "-common"));
}

static bool kernel_meta_package(const char *name) {
        return (startswith(name, "linux-image-") || startswith(name, "linux-headers-")) &&
               !kernel_release_package(name, NULL) && !kernel_support_package(name);
}

static bool in_set(char * const *set, const char *name) {
        return strv_contains(set, name);
}

static bool kept(char * const *keep, const char *rel) {
        STRV_FOREACH(k, keep)
                if (startswith(rel, *k))
                        return true;
        return false;
}

/* The purge set that leaves the releases of keep (prefixes) installed. */
static int purge_set_keeping(const DebPkg *installed, size_t n, char * const *keep, char ***ret) {
        _cleanup_strv_free_ char **keep_set = NULL, **purge = NULL;
        bool grew;
        int k, r;

        /* what the kept kernel needs, transitively, among kernel packages */
        for (size_t i = 0; i < n; i++) {
                const char *rel;

                if (kernel_release_package(installed[i].name, &rel) && kept(keep, rel) &&
                    (r = strv_extend(&keep_set, installed[i].name)) < 0)
                        return r;
        }
        do {
                grew = false;
                for (size_t i = 0; i < n; i++) {
                        if (in_set(keep_set, installed[i].name) || !kernel_support_package(installed[i].name))
                                continue;
                        STRV_FOREACH(kp, keep_set) {
                                const DebPkg *p = NULL;

                                for (size_t j = 0; j < n && !p; j++)
                                        if (strcmp(installed[j].name, *kp) == 0)
                                                p = &installed[j];
                                if (!p || (k = depends_on(p, installed[i].name)) == 0)
                                        continue;
                                if (k < 0)
                                        return k;
                                if ((r = strv_extend(&keep_set, installed[i].name)) < 0)
                                        return r;
                                grew = true;
                                break;
                        }
                }
        } while (grew);

        /* other releases' image and headers packages */
        for (size_t i = 0; i < n; i++) {
                const char *rel;

                if (kernel_release_package(installed[i].name, &rel) && !kept(keep, rel) &&
                    !in_set(purge, installed[i].name) && (r = strv_extend(&purge, installed[i].name)) < 0)
                        return r;
        }
        if (!purge) {
                *ret = NULL;
                return 0;
        }
        /* then, to a fixpoint: their -common/kbuild packages nothing kept
         * needs, and the metapackages that pull any of them in */
        do {
                grew = false;
                for (size_t i = 0; i < n; i++) {
                        const char *name = installed[i].name;
                        bool support = kernel_support_package(name), meta = kernel_meta_package(name);

                        if ((!support && !meta) || in_set(purge, name) || in_set(keep_set, name))
                                continue;
                        STRV_FOREACH(pp, purge) {
                                const DebPkg *p = NULL;

                                if (support) /* needed by a purged package? */
                                        for (size_t j = 0; j < n && !p; j++)
                                                if (strcmp(installed[j].name, *pp) == 0)
                                                        p = &installed[j];
                                k = support ? (p ? depends_on(p, name) : 0) : depends_on(&installed[i], *pp);
                                if (k < 0)
                                        return k;
                                if (k == 0)
                                        continue;
                                if ((r = strv_extend(&purge, name)) < 0)
                                        return r;
                                grew = true;
                                break;
                        }
                }
        } while (grew);
        *ret = TAKE_PTR(purge);
        return 0;
}

int deb_kernel_purge_set(const DebPkg *installed, size_t n, const char *keep, char ***ret) {
        if (!keep || !*keep)
                return -EINVAL;
        return purge_set_keeping(installed, n, (char *[]) { (char *) keep, NULL }, ret);
}

static int release_compare_desc(const void *a, const void *b) {
        return -kver_compare(*(char * const *) a, *(char * const *) b);
}

int deb_kernel_purge_older(const DebPkg *installed, size_t n, const char *release, unsigned keep_count,
                           char ***ret_purge, char ***ret_kept) {
        _cleanup_strv_free_ char **keep = NULL, **series = NULL, **kept_series = NULL;
        KernelRelease want = { .abi = -1 };
        size_t n_series = 0, taken = 1;
        int r;

        if (!release || !*release || keep_count < 1 || kver_parse(release, &want) < 0 || !want.flavour) {
                kver_done(&want);
                return -EINVAL;
        }
        r = strv_extend(&keep, release);
        if (r >= 0)
                r = strv_extend(&kept_series, release);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                KernelRelease k = { .abi = -1 };
                const char *rel;

                if (!startswith(installed[i].name, "linux-image-") || !kernel_release_package(installed[i].name, &rel) ||
                    strcmp(rel, release) == 0 || kver_parse(rel, &k) < 0)
                        continue;
                if (kver_same_series(&k, &want)) {
                        if (!in_set(series, rel))
                                r = strv_extend(&series, rel);
                } else if (!in_set(keep, rel))
                        r = strv_extend(&keep, rel);  /* another series or flavour: old = keep|purge decides */
                kver_done(&k);
        }
        kver_done(&want);
        if (r < 0)
                return r;
        n_series = strv_length(series);
        if (n_series > 1)
                qsort(series, n_series, sizeof(char *), release_compare_desc);
        /* the pinned release, then the newest others */
        for (size_t i = 0; i < n_series && taken < keep_count; i++, taken++) {
                r = strv_extend(&keep, series[i]);
                if (r >= 0)
                        r = strv_extend(&kept_series, series[i]);
                if (r < 0)
                        return r;
        }
        r = purge_set_keeping(installed, n, keep, ret_purge);
        if (r < 0)
                return r;
        if (ret_kept)
                *ret_kept = TAKE_PTR(kept_series);
        return 0;
}
