/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include "core/deb822.h"

static void test_real_status(void **state) {
        size_t len;
        char *text = read_data("trixie-status", &len);
        Deb822 *d = NULL;
        DpkgPackage p;
        bool seen_image = false;

        (void) state;
        assert_int_equal(deb822_parse(text, len, &d, NULL), 0);
        assert_int_equal(d->n_stanzas, 10);
        for (size_t i = 0; i < d->n_stanzas; i++) {
                assert_int_equal(dpkg_package_from_stanza(&d->stanzas[i], &p), 0);
                assert_string_equal(p.want, "install");
                assert_string_equal(p.state, "installed");
                if (strcmp(p.name, "linux-image-6.12.117+deb13-cloud-amd64") == 0) {
                        seen_image = true;
                        assert_string_equal(p.version, "6.12.117-1");
                        assert_string_equal(p.arch, "amd64");
                        /* multi-line fields keep their continuation lines */
                        assert_non_null(strchr(deb822_get(&d->stanzas[i], "Description"), '\n'));
                }
        }
        assert_true(seen_image);
        assert_int_equal(d->stanzas[1].line, 28);
        deb822_free(d);
        free(text);
}

static void test_status_states(void **state) {
        static const char text[] = "Package: linux-image-6.1.0-56-cloud-amd64\n"
                                   "Status: hold ok installed\n"
                                   "Version: 6.1.192-2\n"
                                   "\n"
                                   "Package: linux-headers-6.12.117+deb13-cloud-amd64\n"
                                   "status: install ok half-configured\n"
                                   "\n\n\n"
                                   "Package: gone\n"
                                   "Status: purge ok not-installed\n"
                                   "\n"
                                   "Package: weird\n"
                                   "Status: install ok exploded\n"
                                   "\n"
                                   "Package: short\n"
                                   "Status: install\n";
        Deb822 *d = NULL;
        DpkgPackage p;

        (void) state;
        assert_int_equal(deb822_parse(text, strlen(text), &d, NULL), 0);
        assert_int_equal(d->n_stanzas, 5);
        assert_int_equal(dpkg_package_from_stanza(&d->stanzas[0], &p), 0);
        assert_string_equal(p.want, "hold");
        assert_string_equal(p.state, "installed");
        assert_int_equal(dpkg_package_from_stanza(&d->stanzas[1], &p), 0);
        assert_string_equal(p.state, "half-configured");
        assert_null(p.version);
        assert_int_equal(dpkg_package_from_stanza(&d->stanzas[2], &p), 0);
        assert_string_equal(p.want, "purge");
        assert_int_equal(dpkg_package_from_stanza(&d->stanzas[3], &p), -EINVAL);
        assert_int_equal(dpkg_package_from_stanza(&d->stanzas[4], &p), -EINVAL);
        deb822_free(d);
}

static void test_malformed(void **state) {
        static const char cont_first[] = " continuation first\n";
        static const char no_colon[] = "Package: a\nthis line has no colon\n";
        Deb822 *d = NULL;
        unsigned line = 0;

        (void) state;
        assert_int_equal(deb822_parse(cont_first, strlen(cont_first), &d, &line), -EBADMSG);
        assert_int_equal(line, 1);
        assert_int_equal(deb822_parse(no_colon, strlen(no_colon), &d, &line), -EBADMSG);
        assert_int_equal(line, 2);
        assert_int_equal(deb822_parse("", 0, &d, NULL), 0);
        assert_int_equal(d->n_stanzas, 0);
        deb822_free(d);
}

static void test_apt_preferences(void **state) {
        static const char text[] = "# kernels other than 6.1 must never come back\n"
                                   "Package: linux-image-* linux-headers-*\n"
                                   "Pin: version 6.12*\n"
                                   "Pin-Priority: -1\n";
        Deb822 *d = NULL;

        (void) state;
        assert_int_equal(deb822_parse(text, strlen(text), &d, NULL), 0);
        assert_int_equal(d->n_stanzas, 1);
        assert_int_equal(d->stanzas[0].line, 2);
        assert_string_equal(deb822_get(&d->stanzas[0], "pin-priority"), "-1");
        assert_int_equal(apt_pref_matches(deb822_get(&d->stanzas[0], "Package"), "linux-image-6.12.117+deb13-cloud-amd64"), 1);
        assert_int_equal(apt_pref_matches(deb822_get(&d->stanzas[0], "Package"), "linux-libc-dev"), 0);
        deb822_free(d);

        assert_int_equal(apt_pref_matches("/^linux-(image|headers)-6\\.12/", "linux-headers-6.12.117+deb13-common"), 1);
        assert_int_equal(apt_pref_matches("/^linux-(image|headers)-6\\.12/", "linux-image-6.1.0-56-cloud-amd64"), 0);
        assert_int_equal(apt_pref_matches("linux-image-cloud-amd64", "linux-image-cloud-amd64"), 1);
        assert_int_equal(apt_pref_matches("linux-image-cloud-amd64", "linux-image-cloud-amd64-dbg"), 0);
        assert_int_equal(apt_pref_matches("/[unclosed/", "x"), 0);
}

/* The parser takes (text, len): nothing past len is read, even when the
 * last line is all blanks (found by fuzz-deb822; ASan checks it here). */
static void test_unterminated(void **state) {
        static const char t[] = "Package: a\nVersion: 1\n  \t";
        char *buf = malloc(sizeof(t) - 1);
        Deb822 *d = NULL;

        (void) state;
        assert_non_null(buf);
        memcpy(buf, t, sizeof(t) - 1);
        assert_int_equal(deb822_parse(buf, sizeof(t) - 1, &d, NULL), 0);
        assert_int_equal(d->n_stanzas, 1);
        assert_string_equal(deb822_get(&d->stanzas[0], "Version"), "1");
        deb822_free(d);
        free(buf);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_real_status),
                cmocka_unit_test(test_status_states),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_apt_preferences),
                cmocka_unit_test(test_unterminated),
        };
        return cmocka_run_group_tests_name("deb822", tests, NULL, NULL);
}
