/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include "core/shellvars.h"

static void test_shellvars(void **state) {
        static const char text[] = "# GRUB_DEFAULT=commented\n"
                                   "GRUB_DEFAULT=0\n"
                                   "GRUB_TIMEOUT=5\n"
                                   "GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`\n"
                                   "GRUB_CMDLINE_LINUX=\"console=ttyS0 \\\"q\\\"\" # trailing\n"
                                   "  export GRUB_DEFAULT='gnulinux-advanced-X>gnulinux-6.1-advanced-X'\n"
                                   "GRUB_DEFAULTS=wrong\n";
        char *v;

        (void) state;
        assert_int_equal(shellvars_get(text, strlen(text), "GRUB_DEFAULT", &v), 0);
        assert_string_equal(v, "gnulinux-advanced-X>gnulinux-6.1-advanced-X");
        free(v);
        assert_int_equal(shellvars_get(text, strlen(text), "GRUB_CMDLINE_LINUX", &v), 0);
        assert_string_equal(v, "console=ttyS0 \"q\"");
        free(v);
        assert_int_equal(shellvars_get(text, strlen(text), "GRUB_TIMEOUT", &v), 0);
        assert_string_equal(v, "5");
        free(v);
        assert_int_equal(shellvars_get(text, strlen(text), "GRUB_SAVEDEFAULT", &v), 0);
        assert_null(v);
}

static void test_shellvars_set(void **state) {
        static const char text[] = "# If you change this file, run 'update-grub' afterwards.\n"
                                   "GRUB_DEFAULT=0\n"
                                   "GRUB_TIMEOUT=1\n"
                                   "#GRUB_DEFAULT=saved\n"
                                   "export GRUB_DEFAULT=2\n"
                                   "GRUB_CMDLINE_LINUX=\"console=ttyS0\"";
        char *out, *v;

        (void) state;
        assert_int_equal(shellvars_set(text, strlen(text), "GRUB_DEFAULT", "gnulinux-advanced-U>gnulinux-6.1-advanced-U", &out), 0);
        assert_string_equal(out, "# If you change this file, run 'update-grub' afterwards.\n"
                                 "#GRUB_DEFAULT=0\n"
                                 "GRUB_TIMEOUT=1\n"
                                 "#GRUB_DEFAULT=saved\n"
                                 "GRUB_DEFAULT=\"gnulinux-advanced-U>gnulinux-6.1-advanced-U\"\n"
                                 "GRUB_CMDLINE_LINUX=\"console=ttyS0\"");
        /* what we wrote reads back */
        assert_int_equal(shellvars_get(out, strlen(out), "GRUB_DEFAULT", &v), 0);
        assert_string_equal(v, "gnulinux-advanced-U>gnulinux-6.1-advanced-U");
        free(v);
        /* setting it again changes nothing */
        {
                char *again;

                assert_int_equal(shellvars_set(out, strlen(out), "GRUB_DEFAULT", "gnulinux-advanced-U>gnulinux-6.1-advanced-U", &again), 0);
                assert_string_equal(again, out);
                free(again);
        }
        free(out);

        /* an absent key is appended, a missing final newline first supplied */
        assert_int_equal(shellvars_set("GRUB_TIMEOUT=1", 14, "GRUB_DISABLE_OS_PROBER", "true", &out), 0);
        assert_string_equal(out, "GRUB_TIMEOUT=1\nGRUB_DISABLE_OS_PROBER=\"true\"\n");
        free(out);
        assert_int_equal(shellvars_set("", 0, "K", "v", &out), 0);
        assert_string_equal(out, "K=\"v\"\n");
        free(out);

        /* values that would need shell quoting are refused, not mangled */
        assert_int_equal(shellvars_set("", 0, "K", "a\"b", &out), -EINVAL);
        assert_int_equal(shellvars_set("", 0, "K", "$(reboot)", &out), -EINVAL);
        assert_int_equal(shellvars_set("", 0, "K", "`x`", &out), -EINVAL);
        assert_int_equal(shellvars_set("", 0, "K", "a\nb", &out), -EINVAL);
        /* a NUL in the file would cut the rewritten text short (found by fuzz-shellvars) */
        assert_int_equal(shellvars_set("A=1\n\0B=2\nK=0\n", 13, "K", "v", &out), -EBADMSG);
}


int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_shellvars),
                cmocka_unit_test(test_shellvars_set),
        };
        return cmocka_run_group_tests_name("shellvars", tests, NULL, NULL);
}
