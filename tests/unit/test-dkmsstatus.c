/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include "core/dkmsstatus.h"

static void test_makelog_kernel(void **state) {
        size_t len;
        char *text, *k;

        (void) state;
        /* dkms 3.2 (trixie) and dkms 3.0 (bookworm), captured from the fixtures */
        text = read_data("trixie-canary-make.log", &len);
        assert_int_equal(dkms_makelog_kernel(text, len, &k), 0);
        assert_string_equal(k, "6.12.117+deb13-cloud-amd64");
        free(k);
        free(text);
        text = read_data("bookworm-canary-make.log", &len);
        assert_int_equal(dkms_makelog_kernel(text, len, &k), 0);
        assert_string_equal(k, "6.1.0-50-cloud-amd64");
        free(k);
        free(text);

        assert_int_equal(dkms_makelog_kernel("make: Entering directory\n", 25, &k), -EBADMSG);
        assert_int_equal(dkms_makelog_kernel("DKMS make.log for x-1 for kernel \n", 34, &k), -EBADMSG);
        assert_int_equal(dkms_makelog_kernel("", 0, &k), -EBADMSG);
}

static void test_first_error(void **state) {
        size_t len;
        char *text, *e;

        (void) state;
        text = read_data("trixie-canary-make.log", &len);
        assert_int_equal(dkms_makelog_first_error(text, len, 2, &e), 0);
        assert_non_null(strstr(e, "fatal error: asm/unaligned.h: No such file or directory"));
        assert_non_null(strstr(e, "#include <asm/unaligned.h>"));
        assert_null(strstr(e, "compilation terminated"));
        free(e);
        assert_int_equal(dkms_makelog_first_error(text, len, 0, &e), 0);
        assert_null(strchr(e, '\n'));
        free(e);
        free(text);

        /* a good build has no error */
        text = read_data("bookworm-canary-make.log", &len);
        assert_int_equal(dkms_makelog_first_error(text, len, 2, &e), -ENOENT);
        free(text);

        /* the first error wins over later noise; linker and modpost errors count */
        {
                static const char log[] = "  CC [M]  x.o\n"
                                          "x.c:10:5: warning: unused variable\n"
                                          "x.c:12:9: error: implicit declaration of function 'SetPageError'\n"
                                          "   12 |         SetPageError(page);\n"
                                          "      |         ^~~~~~~~~~~~\n"
                                          "x.c:20:1: error: too few arguments to function 'generic_fillattr'\n";
                static const char modpost[] = "ERROR: modpost: \"strlcpy\" [x.ko] undefined!\n";

                assert_int_equal(dkms_makelog_first_error(log, strlen(log), 5, &e), 0);
                assert_string_equal(e, "x.c:12:9: error: implicit declaration of function 'SetPageError'\n"
                                       "   12 |         SetPageError(page);\n"
                                       "      |         ^~~~~~~~~~~~");
                free(e);
                assert_int_equal(dkms_makelog_first_error(modpost, strlen(modpost), 2, &e), 0);
                assert_string_equal(e, "ERROR: modpost: \"strlcpy\" [x.ko] undefined!");
                free(e);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_makelog_kernel),
                cmocka_unit_test(test_first_error),
        };
        return cmocka_run_group_tests_name("dkmsstatus", tests, NULL, NULL);
}
