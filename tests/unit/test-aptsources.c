/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include "core/aptsources.h"
#include "shared/strv.h"

static void test_one_line(void **state) {
        const char *text = "# the fixture's\n"
                           "deb http://deb.debian.org/debian trixie main contrib\n"
                           "deb-src http://deb.debian.org/debian trixie main\n"
                           "deb [signed-by=/etc/apt/keyrings/site.gpg arch=amd64] http://10.0.0.1/site site main # ours\n"
                           "deb [trusted=yes] file:/srv/repo ./\n"
                           "deb broken\n"
                           "deb [unclosed http://x y z\n";
        AptSources s = {};
        char *line;

        (void) state;
        assert_int_equal(apt_sources_parse(text, strlen(text), false, &s), 0);
        assert_int_equal(s.n, 3);
        assert_string_equal(s.v[0].uri, "http://deb.debian.org/debian");
        assert_string_equal(s.v[0].suite, "trixie");
        assert_int_equal(strv_length(s.v[0].components), 2);
        assert_null(s.v[0].signed_by);
        assert_string_equal(s.v[1].signed_by, "/etc/apt/keyrings/site.gpg");
        assert_string_equal(s.v[1].components[0], "main");
        assert_true(s.v[2].trusted);
        assert_string_equal(s.v[2].suite, "./");
        line = apt_source_line(&s.v[1]);
        assert_string_equal(line, "deb [signed-by=/etc/apt/keyrings/site.gpg] http://10.0.0.1/site site main");
        free(line);
        apt_sources_done(&s);
}

static void test_deb822(void **state) {
        const char *text = "Types: deb deb-src\n"
                           "URIs: http://deb.debian.org/debian\n"
                           "Suites: trixie trixie-updates\n"
                           "Components: main\n"
                           "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
                           "\n"
                           "Types: deb-src\n"
                           "URIs: http://x\n"
                           "Suites: y\n"
                           "\n"
                           "Enabled: no\n"
                           "Types: deb\n"
                           "URIs: http://off\n"
                           "Suites: z\n";
        AptSources s = {};

        (void) state;
        assert_int_equal(apt_sources_parse(text, strlen(text), true, &s), 0);
        assert_int_equal(s.n, 2);
        assert_string_equal(s.v[1].suite, "trixie-updates");
        assert_string_equal(s.v[1].signed_by, "/usr/share/keyrings/debian-archive-keyring.gpg");
        apt_sources_done(&s);
}

static void test_from_arg(void **state) {
        AptSource s = {};
        char *line;

        (void) state;
        assert_int_equal(apt_source_from_arg("bookworm-security", "http://m/debian", "http://m/debian-security", "/k.gpg", &s), 0);
        line = apt_source_line(&s);
        assert_string_equal(line, "deb [signed-by=/k.gpg] http://m/debian-security bookworm-security main");
        free(line);
        apt_source_done(&s);
        assert_int_equal(apt_source_from_arg("deb [signed-by=/s.gpg] file:/r site main", "m", "s", NULL, &s), 0);
        assert_string_equal(s.uri, "file:/r");
        apt_source_done(&s);
        assert_int_equal(apt_source_from_arg("Bookworm; rm -rf /", "m", "s", NULL, &s), -EINVAL);
        assert_int_equal(apt_source_from_arg("", "m", "s", NULL, &s), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_one_line),
                cmocka_unit_test(test_deb822),
                cmocka_unit_test(test_from_arg),
        };
        return cmocka_run_group_tests_name("aptsources", tests, NULL, NULL);
}
