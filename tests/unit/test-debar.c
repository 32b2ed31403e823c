/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include "core/debar.h"

static int check(const char *p, size_t size, char **why) {
        ImageMem m = { p, size };

        *why = NULL;
        return deb_check_archive(image_read_mem, &m, size, why);
}

/* The canary package dpkg-deb built (tests/fixtures recipe): whole, it
 * passes; cut short anywhere, it fails and says where. */
static void test_real_deb(void **state) {
        size_t len;
        char *deb = read_data("kpin-canary-dkms_1.0_all.deb", &len), *why;

        (void) state;
        assert_int_equal(check(deb, len, &why), 0);
        assert_null(why);
        for (size_t cut = 1; cut < len; cut += 97) {
                assert_int_equal(check(deb, cut, &why), -EBADMSG);
                assert_non_null(why);
                free(why);
        }
        assert_int_equal(check(deb, len - 1, &why), -EBADMSG);
        assert_non_null(strstr(why, "truncated: member data.tar"));
        free(why);
        free(deb);
}

static void test_bad_archives(void **state) {
        static const char no_data[] = "!<arch>\n"
                                      "debian-binary   1700000000  0     0     100644  4         `\n"
                                      "2.0\n"
                                      "control.tar.xz  1700000000  0     0     100644  2         `\n"
                                      "xx";
        static const char wrong_first[] = "!<arch>\n"
                                          "data.tar.xz     1700000000  0     0     100644  2         `\n"
                                          "xx";
        static const char bad_size[] = "!<arch>\n"
                                       "debian-binary   1700000000  0     0     100644  4x        `\n"
                                       "2.0\n";
        char *why;

        (void) state;
        assert_int_equal(check("PK\003\004", 4, &why), -EBADMSG);
        assert_string_equal(why, "not an ar archive");
        free(why);
        assert_int_equal(check(no_data, sizeof(no_data) - 1, &why), -EBADMSG);
        assert_string_equal(why, "no data.tar member");
        free(why);
        assert_int_equal(check(wrong_first, sizeof(wrong_first) - 1, &why), -EBADMSG);
        assert_string_equal(why, "the first member is data.tar.xz, not debian-binary");
        free(why);
        assert_int_equal(check(bad_size, sizeof(bad_size) - 1, &why), -EBADMSG);
        assert_string_equal(why, "corrupt size of member debian-binary");
        free(why);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_real_deb),
                cmocka_unit_test(test_bad_archives),
        };
        return cmocka_run_group_tests_name("debar", tests, NULL, NULL);
}
