/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include "core/activity.h"

static const char *feed(Activity *a, const char *line) {
        static char buf[256];

        (void) activity_feed(a, line);
        return activity_describe(a, buf, sizeof(buf));
}

/* Lines as apt, dpkg, the kernel's hooks and DKMS print them in the
 * appliance while 6.1 goes into the trixie image. */
static void test_kernel_install(void **state) {
        Activity a = {};

        (void) state;
        assert_string_equal(feed(&a, "Reading package lists..."), "");
        assert_string_equal(feed(&a, "Unpacking linux-image-6.1.0-57-cloud-amd64 (6.1.192-3) ..."),
                            "unpacking linux-image-6.1.0-57-cloud-amd64");
        assert_string_equal(feed(&a, "Setting up linux-headers-6.1.0-57-common (6.1.192-3) ..."),
                            "setting up linux-headers-6.1.0-57-common");
        assert_string_equal(feed(&a, "Autoinstall of module kpin-canary/1.0 for kernel 6.1.0-57-cloud-amd64 (x86_64)"),
                            "building kpin-canary/1.0 for 6.1.0-57-cloud-amd64");
        assert_int_equal(activity_feed(&a, "kpin-progress 183"), 1);
        assert_string_equal(feed(&a, "Building module(s)........"),
                            "building kpin-canary/1.0 for 6.1.0-57-cloud-amd64, 183 objects");
        assert_int_equal(activity_feed(&a, "kpin-progress 183"), 0);
        assert_string_equal(feed(&a, "update-initramfs: Generating /boot/initrd.img-6.1.0-57-cloud-amd64"),
                            "initramfs for 6.1.0-57-cloud-amd64");
        assert_string_equal(feed(&a, "Generating grub configuration file ..."), "GRUB configuration");
        assert_string_equal(feed(&a, "Processing triggers for man-db (2.13.1-1) ..."), "triggers of man-db");
        /* kpin's own dkms build */
        assert_string_equal(feed(&a, "kpin-build beegfs/7.4.4 for 6.1.0-57-cloud-amd64"),
                            "building beegfs/7.4.4 for 6.1.0-57-cloud-amd64");
        assert_int_equal(a.objects, 0);
        assert_int_equal(activity_feed(&a, "  kpin-progress 12\r"), 1);
        assert_string_equal(a.module, "beegfs/7.4.4");
}

static void test_odd_lines(void **state) {
        char longword[400];
        Activity a = {};

        (void) state;
        memset(longword, 'x', sizeof(longword) - 1);
        longword[sizeof(longword) - 1] = '\0';
        memcpy(longword, "Unpacking ", 10);
        assert_int_equal(activity_feed(&a, longword), 0);
        assert_int_equal(activity_feed(&a, "Unpacking "), 0);
        assert_int_equal(activity_feed(&a, "kpin-progress -5"), 0);
        assert_int_equal(activity_feed(&a, "Autoinstall of module m/1 for"), 0);
        assert_string_equal(a.what, "");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kernel_install),
                cmocka_unit_test(test_odd_lines),
        };
        return cmocka_run_group_tests_name("activity", tests, NULL, NULL);
}
