/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include "core/aptpin.h"
#include "core/deb822.h"

static void test_series_text(void **state) {
        char *t;
        Deb822 *d = NULL;

        (void) state;
        assert_int_equal(aptpin_kernel_series_text("6.1", "6.1.0-56-cloud-amd64", &t), 0);
        /* it is valid deb822 with the allow record first (apt: first specific match wins) */
        assert_int_equal(deb822_parse(t, strlen(t), &d, NULL), 0);
        assert_int_equal(d->n_stanzas, 2);
        assert_string_equal(deb822_get(&d->stanzas[0], "Pin"), "version 6.1.*");
        assert_string_equal(deb822_get(&d->stanzas[0], "Pin-Priority"), "500");
        assert_string_equal(deb822_get(&d->stanzas[1], "Pin"), "version /./");
        assert_string_equal(deb822_get(&d->stanzas[1], "Pin-Priority"), "-1");
        for (size_t i = 0; i < 2; i++) {
                const char *pkg = deb822_get(&d->stanzas[i], "Package");

                assert_int_equal(apt_pref_matches(pkg, "linux-image-6.12.117+deb13-cloud-amd64"), 1);
                assert_int_equal(apt_pref_matches(pkg, "linux-headers-cloud-amd64"), 1);
                assert_int_equal(apt_pref_matches(pkg, "linux-kbuild-6.1"), 1);
                assert_int_equal(apt_pref_matches(pkg, "linux-libc-dev"), 0);
        }
        assert_non_null(strstr(t, "6.1.0-56-cloud-amd64"));
        deb822_free(d);
        free(t);

        assert_int_equal(aptpin_kernel_series_text("6", "x", &t), -EINVAL);
        assert_int_equal(aptpin_kernel_series_text("6.1*", "x", &t), -EINVAL);
        assert_int_equal(aptpin_kernel_series_text("", "x", &t), -EINVAL);
        assert_int_equal(aptpin_kernel_series_text(NULL, "x", &t), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_series_text),
        };
        return cmocka_run_group_tests_name("aptpin", tests, NULL, NULL);
}
