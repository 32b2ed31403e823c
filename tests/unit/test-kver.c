/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include "core/kver.h"

static void test_dpkg_ordering(void **state) {
        /* expected results as `dpkg --compare-versions` gives them */
        static const struct {
                const char *a, *b;
                int cmp;
        } t[] = {
                { "1.0", "1.0", 0 },
                { "1.0", "1.1", -1 },
                { "1.0~rc1", "1.0", -1 },
                { "1.0~rc1", "1.0~rc2", -1 },
                { "1.0~", "1.0~~", 1 },
                { "1:0.9", "2.0", 1 },
                { "0:2.0", "2.0", 0 },
                { "1.0-1", "1.0-2", -1 },
                { "1.0-10", "1.0-9", 1 },
                { "2.0", "2.0-0", 0 },
                { "1.0a", "1.0", 1 },
                { "1.0+b1", "1.0", 1 },
                { "1.0.1", "1.0+deb12u1", 1 },
                { "6.1.192-2", "6.12.117-1", -1 },
                { "6.1.0-56", "6.12.118+deb13", -1 },
                { "6.12.117-1", "6.12.117-1~bpo12+1", 1 },
                { "007", "7", 0 },
                { "", "0", 0 },
                { NULL, "1", -1 },
        };

        (void) state;
        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
                int r = dpkg_version_compare(t[i].a, t[i].b);

                if (r != t[i].cmp)
                        fail_msg("dpkg_version_compare(%s, %s) = %d, want %d", t[i].a, t[i].b, r, t[i].cmp);
                /* antisymmetric */
                assert_int_equal(dpkg_version_compare(t[i].b, t[i].a), -t[i].cmp);
        }
}

static void test_kver_parse(void **state) {
        static const struct {
                const char *release, *upstream, *flavour;
                long abi;
                unsigned major, minor;
        } t[] = {
                { "6.1.0-56-cloud-amd64", "6.1.0", "cloud-amd64", 56, 6, 1 },
                { "6.12.118+deb13-cloud-amd64", "6.12.118+deb13", "cloud-amd64", -1, 6, 12 },
                { "6.12.117+deb13-amd64", "6.12.117+deb13", "amd64", -1, 6, 12 },
                { "6.8.0-49-generic", "6.8.0", "generic", 49, 6, 8 },
                { "6.6.58", "6.6.58", NULL, -1, 6, 6 },
                { "6.1.0-56", "6.1.0", NULL, 56, 6, 1 },
        };
        KernelRelease k;

        (void) state;
        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
                assert_int_equal(kver_parse(t[i].release, &k), 0);
                assert_string_equal(k.upstream, t[i].upstream);
                if (t[i].flavour)
                        assert_string_equal(k.flavour, t[i].flavour);
                else
                        assert_null(k.flavour);
                assert_int_equal(k.abi, t[i].abi);
                assert_int_equal(k.major, t[i].major);
                assert_int_equal(k.minor, t[i].minor);
                kver_done(&k);
        }
        assert_int_equal(kver_parse("cloud-amd64", &k), -EINVAL);
        assert_int_equal(kver_parse("6", &k), -EINVAL);
        assert_int_equal(kver_parse("", &k), -EINVAL);
        assert_int_equal(kver_parse(NULL, &k), -EINVAL);
        assert_int_equal(kver_parse("6.1.0-56x", &k), -EINVAL);
}

static void test_kver_compare(void **state) {
        (void) state;
        assert_true(kver_compare("6.1.0-56-cloud-amd64", "6.12.118+deb13-cloud-amd64") < 0);
        assert_true(kver_compare("6.12.118+deb13-cloud-amd64", "6.1.0-56-cloud-amd64") > 0);
        assert_true(kver_compare("6.1.0-9-cloud-amd64", "6.1.0-56-cloud-amd64") < 0);
        assert_true(kver_compare("6.1.0-56-amd64", "6.1.0-56-cloud-amd64") < 0);
        assert_int_equal(kver_compare("6.6.58", "6.6.58"), 0);
        assert_true(kver_compare("6.6.58", "6.12.1") < 0);
        /* within a series: the ABI number as a number, never across series */
        assert_true(kver_compare("6.1.0-9-cloud-amd64", "6.1.0-57-cloud-amd64") < 0);
        assert_true(kver_compare("6.1.0-57-cloud-amd64", "6.1.0-56-cloud-amd64") > 0);
        assert_true(kver_compare("6.1.0-57-cloud-amd64", "6.6.0-1-cloud-amd64") < 0);
        /* not kernel releases: plain dpkg ordering */
        {
                KernelRelease a = { .abi = -1 }, b = { .abi = -1 }, c = { .abi = -1 }, d = { .abi = -1 }, e = { .abi = -1 };

                assert_int_equal(kver_parse("6.1.0-56-cloud-amd64", &a), 0);
                assert_int_equal(kver_parse("6.1.0-9-cloud-amd64", &b), 0);
                assert_int_equal(kver_parse("6.12.118+deb13-cloud-amd64", &c), 0);
                assert_int_equal(kver_parse("6.1.0-56-amd64", &d), 0);
                assert_int_equal(kver_parse("6.1.0-56", &e), 0);
                assert_true(kver_same_series(&a, &b));
                assert_false(kver_same_series(&a, &c));
                assert_false(kver_same_series(&a, &d));
                assert_false(kver_same_series(&a, &e));
                assert_false(kver_same_series(&e, &e));
                kver_done(&a), kver_done(&b), kver_done(&c), kver_done(&d), kver_done(&e);
        }
        assert_true(kver_compare("abc", "abd") < 0);
}

static void test_kver_matches(void **state) {
        (void) state;
        assert_true(kver_matches("6.1.0-56-cloud-amd64", "6.1"));
        assert_false(kver_matches("6.12.118+deb13-cloud-amd64", "6.1"));
        assert_true(kver_matches("6.12.118+deb13-cloud-amd64", "6.12"));
        assert_true(kver_matches("6.6.58-1-amd64", "6.6"));
        assert_true(kver_matches("6.1.0-56-cloud-amd64", "6.1.0-56"));
        assert_false(kver_matches("6.1.0-56-cloud-amd64", "6.1.0-5"));
        assert_true(kver_matches("6.1.0-56-cloud-amd64", "6.1.0-56-cloud-amd64"));
        assert_false(kver_matches("6.1.0-56-cloud-amd64", "6.1.0-56-cloud-amd64x"));
        assert_false(kver_matches(NULL, "6.1"));
}

/* Debian's kernels and a site's own (make bindeb-pkg: no ABI number, no
 * flavour but the local version, no metapackages). */
static void test_image_packages(void **state) {
        const char *rel = NULL;

        (void) state;
        assert_true(kver_image_package("linux-image-6.1.0-57-cloud-amd64", "cloud-amd64", "6.1", &rel));
        assert_string_equal(rel, "6.1.0-57-cloud-amd64");
        assert_false(kver_image_package("linux-image-6.1-cloud-amd64", "cloud-amd64", "6.1", &rel));   /* metapackage */
        assert_false(kver_image_package("linux-image-cloud-amd64", "cloud-amd64", "6.1", &rel));
        assert_false(kver_image_package("linux-image-6.12.118+deb13-cloud-amd64", "cloud-amd64", "6.1", &rel));
        assert_false(kver_image_package("linux-image-6.1.0-57-amd64", "cloud-amd64", "6.1", &rel));
        assert_true(kver_image_package("linux-image-6.1.119-site", "site", "6.1", &rel));
        assert_true(kver_image_package("linux-image-6.1.119-site", "site", "6.1.119-site", &rel));
        assert_true(kver_image_package("linux-image-6.1.119-site", NULL, "6.1.119-site", &rel));
        assert_false(kver_image_package("linux-headers-6.1.119-site", "site", "6.1", &rel));
        assert_false(kver_image_package("linux-image-6.1.0-57-cloud-amd64-dbg", "cloud-amd64", "6.1", &rel));
        assert_false(kver_image_package("linux-image-6.1.0-57-cloud-amd64-unsigned", "cloud-amd64", "6.1", &rel));
        assert_false(kver_image_package("linux-image-6.1.0-57-cloud-amd64-dbg", NULL, "6.1", &rel));
        assert_false(kver_image_package("linux-image-6.1.0-57-cloud-amd64-unsigned", NULL, "6.1", &rel));
        assert_true(kver_is_full_release("6.1.119-site"));
        assert_true(kver_is_full_release("6.1.0-57-cloud-amd64"));
        assert_false(kver_is_full_release("6.1"));
        assert_false(kver_is_full_release("6.1.0-56"));
        assert_false(kver_is_full_release("6.6.63"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dpkg_ordering),
                cmocka_unit_test(test_kver_parse),
                cmocka_unit_test(test_kver_compare),
                cmocka_unit_test(test_kver_matches),
                cmocka_unit_test(test_image_packages),
        };
        return cmocka_run_group_tests_name("kver", tests, NULL, NULL);
}
