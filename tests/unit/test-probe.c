/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include "core/pe.h"
#include "core/probe.h"
#include "shared/strv.h"

static void test_script(void **state) {
        char *modules[] = { "canary", "beegfs", NULL }, *bad[] = { "canary;reboot", NULL }, *s = NULL;

        (void) state;
        assert_int_equal(probe_script("abcdefghij012345", modules, &s), 0);
        assert_non_null(strstr(s, "\nT=abcdefghij012345\n"));
        assert_non_null(strstr(s, "\nM='canary beegfs'\n"));
        assert_non_null(strstr(s, "KPIN-PROBE-END"));
        assert_non_null(strstr(s, "systemctl --no-block poweroff"));
        free(s);
        /* the only inputs from outside become shell words: refused unless plain */
        assert_int_equal(probe_script("abcdefghij012345", bad, &s), -EINVAL);
        assert_int_equal(probe_script("short", modules, &s), -EINVAL);
        assert_int_equal(probe_script("ABCDEFGHIJ012345", modules, &s), -EINVAL);
        assert_int_equal(probe_script("abcdefghij01234$", NULL, &s), -EINVAL);
        assert_true(probe_module_name_ok("nvidia-uvm"));
        assert_false(probe_module_name_ok(""));
        assert_false(probe_module_name_ok("a/b"));
}

static void test_base64(void **state) {
        char *b;

        (void) state;
        b = base64_encode("", 0), assert_string_equal(b, ""), free(b);
        b = base64_encode("f", 1), assert_string_equal(b, "Zg=="), free(b);
        b = base64_encode("fo", 2), assert_string_equal(b, "Zm8="), free(b);
        b = base64_encode("foo", 3), assert_string_equal(b, "Zm9v"), free(b);
        b = base64_encode("foobar", 6), assert_string_equal(b, "Zm9vYmFy"), free(b);
}

/* The probe as systemd >= 256 takes it: an extra unit, a drop-in that makes
 * multi-user.target want it, the script as a credential it imports. */
static void test_credentials(void **state) {
        char *modules[] = { "canary", NULL }, **c = NULL, *unit = NULL;

        (void) state;
        assert_int_equal(probe_smbios_credentials("abcdefghij012345", modules, NULL, &c), 0);
        assert_int_equal(strv_length(c), 3);
        assert_true(startswith(c[0], "io.systemd.credential.binary:kpin.probe="));
        assert_true(startswith(c[1], "io.systemd.credential.binary:systemd.extra-unit.kpin-probe.service="));
        /* "[Unit]\nWants=kpin-probe.service\n" */
        assert_string_equal(c[2], "io.systemd.credential.binary:systemd.unit-dropin.multi-user.target~kpin-probe="
                                  "W1VuaXRdCldhbnRzPWtwaW4tcHJvYmUuc2VydmljZQo=");
        for (size_t i = 0; c[i]; i++)
                assert_null(strchr(c[i], ','));
        strv_free(c);
        assert_int_equal(probe_unit("/bin/sh %d/kpin.probe", "kpin.probe", &unit), 0);
        assert_non_null(strstr(unit, "\nExecStart=/bin/sh %d/kpin.probe\nImportCredential=kpin.probe\n"));
        assert_non_null(strstr(unit, "\nAfter=multi-user.target\n"));
        free(unit);
        /* with the NIC's .network file: for systemd-network-generator, which networkd waits for */
        assert_int_equal(probe_smbios_credentials("abcdefghij012345", modules, "[Match]\nMACAddress=52:54:00:0a:bc:de\n", &c), 0);
        assert_int_equal(strv_length(c), 5);
        /* "[Match]\nMACAddress=52:54:00:0a:bc:de\n" */
        assert_string_equal(c[3], "io.systemd.credential.binary:network.network.00-kpin-test-vm="
                                  "W01hdGNoXQpNQUNBZGRyZXNzPTUyOjU0OjAwOjBhOmJjOmRlCg==");
        assert_true(startswith(c[4], "io.systemd.credential.binary:systemd.unit-dropin.systemd-networkd.service~00-kpin-test-vm="));
        for (size_t i = 0; c[i]; i++)
                assert_null(strchr(c[i], ','));
        strv_free(c);
}

/* The probe waits for the boot's start jobs and cloud-init before it reads
 * the failed units, and tells kpin what it needs to judge them. */
static void test_script_order(void **state) {
        char *s = NULL;
        const char *settle, *ci, *failed, *props;

        (void) state;
        assert_int_equal(probe_script("abcdefghij012345", NULL, &s), 0);
        settle = strstr(s, "systemctl list-jobs");
        ci = strstr(s, "cloud-init status --wait");
        failed = strstr(s, "systemctl --failed");
        props = strstr(s, "systemctl show -p Type,What,Options,Requires,BindsTo,Wants,RequiredBy,WantedBy,Before,After");
        assert_non_null(settle);
        assert_non_null(ci);
        assert_non_null(failed);
        assert_non_null(props);
        assert_true(settle < ci && ci < failed && failed < props);
        assert_non_null(strstr(s, "out \"unit-prop=$u $l\""));
        assert_non_null(strstr(s, "out \"net-addr="));
        free(s);
}

/* A PE32+ head: MZ, e_lfanew, PE\0\0, the optional header with 16 data
 * directories, the certificate table (entry 4) set or not. */
static void test_pe_signed(void **state) {
        unsigned char b[512] = { 'M', 'Z' };
        unsigned pe = 0x80, dirs = pe + 24 + 112;

        (void) state;
        b[0x3c] = (unsigned char) pe;
        memcpy(b + pe, "PE\0\0", 4);
        b[pe + 24] = 0x0b, b[pe + 25] = 0x02;
        b[dirs - 4] = 16;
        assert_int_equal(pe_signed(b, sizeof(b)), 0);
        b[dirs + 32] = 0x10, b[dirs + 36] = 0x20;  /* offset 0x10, size 0x20 */
        assert_int_equal(pe_signed(b, sizeof(b)), 1);
        assert_int_equal(pe_signed(b, 100), -EBADMSG);
        b[0] = 'X';
        assert_int_equal(pe_signed(b, sizeof(b)), -EBADMSG);
        b[0] = 'M';
        b[0x3c] = 0xff, b[0x3d] = 0xff;            /* e_lfanew past the buffer */
        assert_int_equal(pe_signed(b, sizeof(b)), -EBADMSG);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_script),
                cmocka_unit_test(test_base64),
                cmocka_unit_test(test_credentials),
                cmocka_unit_test(test_script_order),
                cmocka_unit_test(test_pe_signed),
        };
        return cmocka_run_group_tests_name("probe", tests, NULL, NULL);
}
