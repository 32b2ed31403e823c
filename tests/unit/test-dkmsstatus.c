/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include "core/dkmsstatus.h"
#include "shared/strv.h"

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

/* The canary's own dkms.conf, and the shapes BeeGFS-like packages use. */
static void test_conf(void **state) {
        size_t len;
        char *text;
        DkmsConf c = {};

        (void) state;
        text = read_file_or_die("tests/fixtures/canary/dkms.conf", &len);
        assert_int_equal(dkms_conf_parse(text, len, &c), 0);
        assert_string_equal(c.name, "kpin-canary");
        assert_string_equal(c.version, "1.0");
        assert_int_equal(strv_length(c.modules), 1);
        assert_string_equal(c.modules[0], "canary");
        assert_false(c.remake_initrd);
        assert_true(c.autoinstall);
        dkms_conf_done(&c);
        free(text);

        {
                static const char t[] = "# client\n"
                                        "PACKAGE_NAME=\"beegfs\"\n"
                                        "PACKAGE_VERSION='7.4.4'\n"
                                        "BUILT_MODULE_NAME[0]=\"${PACKAGE_NAME}\"\n"
                                        "BUILT_MODULE_NAME[1]=\"$PACKAGE_NAME-extra\"\n"
                                        "MAKE[0]=\"make -C build KERNELRELEASE=$kernelver\"\n"
                                        "REMAKE_INITRD=yes\n";

                assert_int_equal(dkms_conf_parse(t, strlen(t), &c), 0);
                assert_string_equal(c.name, "beegfs");
                assert_string_equal(c.version, "7.4.4");
                assert_int_equal(strv_length(c.modules), 2);
                assert_string_equal(c.modules[0], "beegfs");
                assert_string_equal(c.modules[1], "beegfs-extra");
                assert_true(c.remake_initrd);
                assert_false(c.autoinstall);
                dkms_conf_done(&c);
        }
        {
                /* one module: BUILT_MODULE_NAME defaults to the package name */
                static const char t[] = "PACKAGE_NAME=foo\nPACKAGE_VERSION=2\n";

                assert_int_equal(dkms_conf_parse(t, strlen(t), &c), 0);
                assert_string_equal(c.modules[0], "foo");
                dkms_conf_done(&c);
        }
        {
                static const char *bad[] = {
                        "PACKAGE_VERSION=1\n",                                   /* no name */
                        "PACKAGE_NAME=foo\n",                                    /* no version */
                        "PACKAGE_NAME=../../etc\nPACKAGE_VERSION=1\n",          /* a path */
                        "PACKAGE_NAME=foo\nPACKAGE_VERSION=\"1 2\"\n",          /* a space */
                        "PACKAGE_NAME=foo\nPACKAGE_VERSION=1\nBUILT_MODULE_NAME[0]=\"$(id)\"\n",
                        /* names itself: substituted once, never again (this looped) */
                        "PACKAGE_NAME=\"a${PACKAGE_NAME}b\"\nPACKAGE_VERSION=1\n",
                        "PACKAGE_NAME=x\nPACKAGE_VERSION=\"$PACKAGE_VERSION$PACKAGE_VERSION\"\n",
                };

                for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                        assert_int_equal(dkms_conf_parse(bad[i], strlen(bad[i]), &c), -EBADMSG);
        }
}

/* dkms status as captured from the fixtures (dkms 3.0.10 in bookworm, 3.x
 * in trixie) and in dkms 2.x's format. */
static void test_status(void **state) {
        static const char t[] = "kpin-canary/1.0, 6.1.0-50-cloud-amd64, x86_64: installed\n"
                                "kpin-canary/1.0: added\n"
                                "Warning: dkms will not function properly without some free space\n"
                                "nvidia, 470.57.02, 5.10.0-8-amd64, x86_64: installed (original_module exists)\n"
                                "zfs, 2.1.11, 6.1.0-9-amd64, x86_64: built\n"
                                "beegfs/7.4.4, 6.12.117+deb13-cloud-amd64, x86_64: installed (WARNING! Diff between built and installed module!)\n"
                                "garbage without a state\n"
                                "../x/1, k, a: installed\n";
        DkmsStatusLine *l = NULL;
        size_t n = 0;

        (void) state;
        assert_int_equal(dkms_status_parse(t, strlen(t), &l, &n), 0);
        assert_int_equal(n, 5);
        assert_string_equal(l[0].name, "kpin-canary");
        assert_string_equal(l[0].version, "1.0");
        assert_string_equal(l[0].kernel, "6.1.0-50-cloud-amd64");
        assert_string_equal(l[0].arch, "x86_64");
        assert_string_equal(l[0].state, "installed");
        assert_null(l[0].note);
        assert_null(l[1].kernel);
        assert_string_equal(l[1].state, "added");
        assert_string_equal(l[2].name, "nvidia");
        assert_string_equal(l[2].version, "470.57.02");
        assert_string_equal(l[2].kernel, "5.10.0-8-amd64");
        assert_string_equal(l[2].note, "original_module exists");
        assert_string_equal(l[3].state, "built");
        assert_string_equal(l[4].name, "beegfs");
        assert_string_equal(l[4].kernel, "6.12.117+deb13-cloud-amd64");
        assert_string_equal(l[4].state, "installed");
        assert_string_equal(l[4].note, "WARNING! Diff between built and installed module!");
        dkms_status_free(l, n);

        assert_int_equal(dkms_status_parse("", 0, &l, &n), 0);
        assert_int_equal(n, 0);
        dkms_status_free(l, n);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_makelog_kernel),
                cmocka_unit_test(test_first_error),
                cmocka_unit_test(test_conf),
                cmocka_unit_test(test_status),
        };
        return cmocka_run_group_tests_name("dkmsstatus", tests, NULL, NULL);
}
