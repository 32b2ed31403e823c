/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include "core/deb822.h"
#include "core/depends.h"
#include "shared/strv.h"

/* DebPkg views over a parsed deb822 (installed ones only for a status file). */
static DebPkg *pkgs_from(const Deb822 *d, bool status, bool with_origin, size_t *ret_n) {
        DebPkg *p = calloc(d->n_stanzas + 1, sizeof(DebPkg));
        size_t n = 0;

        assert_non_null(p);
        for (size_t i = 0; i < d->n_stanzas; i++) {
                const Deb822Stanza *s = &d->stanzas[i];

                if (status) {
                        DpkgPackage dp;

                        if (dpkg_package_from_stanza(s, &dp) < 0 || strcmp(dp.state, "installed") != 0)
                                continue;
                }
                p[n] = (DebPkg) {
                        .name = deb822_get(s, "Package"),
                        .version = deb822_get(s, "Version"),
                        .depends = deb822_get(s, "Depends"),
                        .pre_depends = deb822_get(s, "Pre-Depends"),
                        .provides = deb822_get(s, "Provides"),
                        .origin = with_origin ? deb822_get(s, "Package") : NULL,
                };
                n++;
        }
        *ret_n = n;
        return p;
}

typedef struct Real {
        char *status_text, *control_text;
        Deb822 *status, *control;
        DebPkg *installed, *avail;
        size_t n_installed, n_avail;
} Real;

static void real_load(Real *r) {
        size_t len;

        r->status_text = read_data("trixie-status-full", &len);
        assert_int_equal(deb822_parse(r->status_text, len, &r->status, NULL), 0);
        r->control_text = read_data("pkgdir-6.1-control", &len);
        assert_int_equal(deb822_parse(r->control_text, len, &r->control, NULL), 0);
        r->installed = pkgs_from(r->status, true, false, &r->n_installed);
        r->avail = pkgs_from(r->control, false, true, &r->n_avail);
}

static void real_done(Real *r) {
        free(r->installed);
        free(r->avail);
        deb822_free(r->status);
        deb822_free(r->control);
        free(r->status_text);
        free(r->control_text);
}

static void test_relations(void **state) {
        (void) state;
        assert_true(deb_relation_holds("6.1.192-2", ">=", "6.1.192-2"));
        assert_true(deb_relation_holds("6.1.192-2", "=", "6.1.192-2"));
        assert_false(deb_relation_holds("6.1.192-2", ">>", "6.1.192-2"));
        assert_true(deb_relation_holds("6.1.192-2", "<<", "6.12.117-1"));
        assert_true(deb_relation_holds("2.36-9", ">=", "2.36"));
        assert_false(deb_relation_holds("1.0", "<", "0.9"));
        assert_false(deb_relation_holds("1.0", "!=", "0.9"));
}

/* The cross-suite install measured in the field notes: Debian 12's 6.1 cloud
 * kernel and headers into the trixie fixture need exactly the 9 debs. */
static void test_real_cross_suite_closure(void **state) {
        Real r = {};
        char *targets[] = { "linux-image-6.1.0-56-cloud-amd64", "linux-headers-6.1.0-56-cloud-amd64", NULL };
        char **install = NULL, **missing = NULL;

        (void) state;
        real_load(&r);
        assert_int_equal(r.n_avail, 9);
        assert_int_equal(deb_closure(r.installed, r.n_installed, r.avail, r.n_avail, targets, &install, &missing), 0);
        if (missing)
                fail_msg("missing: %s", missing[0]);
        assert_int_equal(strv_length(install), 9);
        assert_string_equal(install[0], "linux-image-6.1.0-56-cloud-amd64");
        assert_string_equal(install[1], "linux-headers-6.1.0-56-cloud-amd64");
        assert_true(strv_contains(install, "linux-kbuild-6.1"));
        assert_true(strv_contains(install, "gcc-12"));
        assert_true(strv_contains(install, "linux-headers-6.1.0-56-common"));
        strv_free(install);
        real_done(&r);
}

/* Take kbuild away: the one missing package is named, with who needs it. */
static void test_real_missing_kbuild(void **state) {
        Real r = {};
        char *targets[] = { "linux-image-6.1.0-56-cloud-amd64", "linux-headers-6.1.0-56-cloud-amd64", NULL };
        char **install = NULL, **missing = NULL;

        (void) state;
        real_load(&r);
        for (size_t i = 0; i < r.n_avail; i++)
                if (strcmp(r.avail[i].name, "linux-kbuild-6.1") == 0)
                        r.avail[i] = r.avail[--r.n_avail];
        assert_int_equal(deb_closure(r.installed, r.n_installed, r.avail, r.n_avail, targets, &install, &missing), 0);
        assert_int_equal(strv_length(missing), 1);
        assert_string_equal(missing[0], "linux-kbuild-6.1 (>= 6.1.192-2) (needed by linux-headers-6.1.0-56-cloud-amd64)");
        strv_free(install);
        strv_free(missing);
        real_done(&r);
}

static void test_synthetic(void **state) {
        static const DebPkg installed[] = {
                { .name = "libc6", .version = "2.41-12" },
                { .name = "mawk", .version = "1.3.4", .provides = "awk" },
                { .name = "old", .version = "1.0" },
                { .name = "gcc-14", .version = "14.2.0-19", .provides = "c-compiler (= 14)" },
        };
        static const DebPkg avail[] = {
                { .name = "a", .version = "1", .origin = "a.deb",
                  .depends = "libc6 (>= 2.36), awk, b | c, old (>= 2.0), virt:any, cc-compiler (>= 13) | c-compiler (>= 12) [amd64] <!nocheck>" },
                { .name = "c", .version = "1", .origin = "c.deb", .pre_depends = "nothere" },
                { .name = "old", .version = "2.0", .origin = "old2.deb" },
                { .name = "old", .version = "1.5", .origin = "old15.deb" },
                { .name = "p", .version = "1", .origin = "p.deb", .provides = "virt" },
        };
        char *targets[] = { "a", "zzz", NULL };
        char **install = NULL, **missing = NULL;

        (void) state;
        assert_int_equal(deb_closure(installed, 4, avail, 5, targets, &install, &missing), 0);
        /* b is missing so c (the alternative) comes; old is upgraded to 2.0; p provides virt */
        assert_int_equal(strv_length(install), 4);
        assert_string_equal(install[0], "a.deb");
        assert_true(strv_contains(install, "c.deb"));
        assert_true(strv_contains(install, "old2.deb"));
        assert_true(strv_contains(install, "p.deb"));
        assert_int_equal(strv_length(missing), 2);
        assert_string_equal(missing[0], "zzz (requested)");
        assert_string_equal(missing[1], "nothere (needed by c)");
        strv_free(install);
        strv_free(missing);

        /* a malformed relation is an error, not a guess */
        {
                static const DebPkg bad[] = { { .name = "x", .version = "1", .depends = "y (>= )" } };
                char *t[] = { "x", NULL };

                assert_int_equal(deb_closure(NULL, 0, bad, 1, t, &install, &missing), -EBADMSG);
        }
}

/* After the cross-suite install both kernels are there: --purge-old keeping
 * 6.1 removes 6.12 with its common headers, kbuild and the trixie
 * metapackages that depend on it, and nothing 6.1 needs; keeping 6.12
 * removes the 6.1 side but no metapackage. */
static void test_real_purge_set(void **state) {
        Real r = {};
        DebPkg *both;
        char **purge = NULL;
        size_t n;

        (void) state;
        real_load(&r);
        n = r.n_installed + r.n_avail;
        both = calloc(n, sizeof(DebPkg));
        assert_non_null(both);
        memcpy(both, r.installed, r.n_installed * sizeof(DebPkg));
        memcpy(both + r.n_installed, r.avail, r.n_avail * sizeof(DebPkg));

        assert_int_equal(deb_kernel_purge_set(both, n, "6.1.0-56-cloud-amd64", &purge), 0);
        strv_sort(purge);
        assert_int_equal(strv_length(purge), 6);
        assert_string_equal(purge[0], "linux-headers-6.12.117+deb13-cloud-amd64");
        assert_string_equal(purge[1], "linux-headers-6.12.117+deb13-common");
        assert_string_equal(purge[2], "linux-headers-cloud-amd64");
        assert_string_equal(purge[3], "linux-image-6.12.117+deb13-cloud-amd64");
        assert_string_equal(purge[4], "linux-image-cloud-amd64");
        assert_string_equal(purge[5], "linux-kbuild-6.12.117+deb13");
        purge = strv_free(purge);

        assert_int_equal(deb_kernel_purge_set(both, n, "6.12.117+deb13-cloud-amd64", &purge), 0);
        strv_sort(purge);
        assert_int_equal(strv_length(purge), 5);
        assert_string_equal(purge[0], "linux-compiler-gcc-12-x86");
        assert_string_equal(purge[1], "linux-headers-6.1.0-56-cloud-amd64");
        assert_string_equal(purge[2], "linux-headers-6.1.0-56-common");
        assert_string_equal(purge[3], "linux-image-6.1.0-56-cloud-amd64");
        assert_string_equal(purge[4], "linux-kbuild-6.1");
        purge = strv_free(purge);

        /* only one kernel: nothing to purge */
        assert_int_equal(deb_kernel_purge_set(r.installed, r.n_installed, "6.12.117+deb13-cloud-amd64", &purge), 0);
        assert_null(purge);
        assert_int_equal(deb_kernel_purge_set(both, n, "", &purge), -EINVAL);
        free(both);
        real_done(&r);
}

/* A -unsigned variant of the kept release stays; an older ABI of the same
 * series goes, and a series metapackage pulling it in goes with it. */
static void test_purge_synthetic(void **state) {
        static const DebPkg installed[] = {
                { .name = "linux-image-6.1.0-56-cloud-amd64-unsigned", .version = "6.1.192-2" },
                { .name = "linux-image-6.1.0-50-cloud-amd64", .version = "6.1.180-1" },
                { .name = "linux-image-6.1-cloud-amd64", .version = "6.1.180-1",
                  .depends = "linux-image-6.1.0-50-cloud-amd64 (= 6.1.180-1) | linux-image-6.1.0-50-cloud-amd64-unsigned" },
                { .name = "linux-libc-dev", .version = "6.1.192-2" },
                { .name = "linux-base", .version = "4.9" },
        };
        char **purge = NULL;

        (void) state;
        assert_int_equal(deb_kernel_purge_set(installed, ELEMENTSOF(installed), "6.1.0-56-cloud-amd64", &purge), 0);
        strv_sort(purge);
        assert_int_equal(strv_length(purge), 2);
        assert_string_equal(purge[0], "linux-image-6.1-cloud-amd64");
        assert_string_equal(purge[1], "linux-image-6.1.0-50-cloud-amd64");
        strv_free(purge);
}

/* keep-kernels: the newest ABIs of the pinned series stay, the pinned one
 * first; older ones go with the -common only they need; another series
 * and another flavour stay whatever their age. */
static void test_purge_older(void **state) {
        static const DebPkg installed[] = {
                { .name = "linux-image-6.1.0-57-cloud-amd64", .version = "6.1.192-3" },
                { .name = "linux-headers-6.1.0-57-cloud-amd64", .version = "6.1.192-3",
                  .depends = "linux-headers-6.1.0-57-common (= 6.1.192-3), linux-kbuild-6.1 (>= 6.1.192-3)" },
                { .name = "linux-headers-6.1.0-57-common", .version = "6.1.192-3" },
                { .name = "linux-image-6.1.0-56-cloud-amd64", .version = "6.1.192-2" },
                { .name = "linux-headers-6.1.0-56-cloud-amd64", .version = "6.1.192-2",
                  .depends = "linux-headers-6.1.0-56-common (= 6.1.192-2), linux-kbuild-6.1 (>= 6.1.192-2)" },
                { .name = "linux-headers-6.1.0-56-common", .version = "6.1.192-2" },
                { .name = "linux-image-6.1.0-9-cloud-amd64", .version = "6.1.27-1" },
                { .name = "linux-headers-6.1.0-9-cloud-amd64", .version = "6.1.27-1",
                  .depends = "linux-headers-6.1.0-9-common (= 6.1.27-1), linux-kbuild-6.1 (>= 6.1.27-1)" },
                { .name = "linux-headers-6.1.0-9-common", .version = "6.1.27-1" },
                { .name = "linux-kbuild-6.1", .version = "6.1.192-3" },
                { .name = "linux-image-6.1.0-9-amd64", .version = "6.1.27-1" },
                { .name = "linux-image-6.12.118+deb13-cloud-amd64", .version = "6.12.118-1" },
        };
        char **purge = NULL, **kept = NULL;

        (void) state;
        assert_int_equal(deb_kernel_purge_older(installed, ELEMENTSOF(installed), "6.1.0-57-cloud-amd64", 2, &purge, &kept),
                         0);
        strv_sort(purge);
        assert_int_equal(strv_length(purge), 3);
        assert_string_equal(purge[0], "linux-headers-6.1.0-9-cloud-amd64");
        assert_string_equal(purge[1], "linux-headers-6.1.0-9-common");
        assert_string_equal(purge[2], "linux-image-6.1.0-9-cloud-amd64");
        assert_int_equal(strv_length(kept), 2);
        assert_string_equal(kept[0], "6.1.0-57-cloud-amd64");
        assert_string_equal(kept[1], "6.1.0-56-cloud-amd64");
        purge = strv_free(purge);
        kept = strv_free(kept);

        /* a rollback to 56 keeps 56 first, then the newest other (57) */
        assert_int_equal(deb_kernel_purge_older(installed, ELEMENTSOF(installed), "6.1.0-56-cloud-amd64", 2, &purge, &kept),
                         0);
        assert_int_equal(strv_length(purge), 3);
        assert_false(strv_contains(purge, "linux-image-6.1.0-57-cloud-amd64"));
        assert_string_equal(kept[1], "6.1.0-57-cloud-amd64");
        purge = strv_free(purge);
        kept = strv_free(kept);

        /* 1: only the pinned; 3: all three ABIs fit, nothing goes */
        assert_int_equal(deb_kernel_purge_older(installed, ELEMENTSOF(installed), "6.1.0-57-cloud-amd64", 1, &purge, NULL),
                         0);
        assert_int_equal(strv_length(purge), 6);
        assert_false(strv_contains(purge, "linux-kbuild-6.1"));
        purge = strv_free(purge);
        assert_int_equal(deb_kernel_purge_older(installed, ELEMENTSOF(installed), "6.1.0-57-cloud-amd64", 3, &purge, NULL),
                         0);
        assert_null(purge);
        assert_int_equal(deb_kernel_purge_older(installed, ELEMENTSOF(installed), "6.1", 2, &purge, NULL), -EINVAL);
        assert_int_equal(deb_kernel_purge_older(installed, ELEMENTSOF(installed), "6.1.0-57-cloud-amd64", 0, &purge, NULL),
                         -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_relations),
                cmocka_unit_test(test_real_cross_suite_closure),
                cmocka_unit_test(test_real_missing_kbuild),
                cmocka_unit_test(test_synthetic),
                cmocka_unit_test(test_real_purge_set),
                cmocka_unit_test(test_purge_synthetic),
                cmocka_unit_test(test_purge_older),
        };
        return cmocka_run_group_tests_name("depends", tests, NULL, NULL);
}
