/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include "core/netconf.h"

static void test_mac(void **state) {
        const uint8_t a[3] = { 0x0a, 0xbc, 0xde }, b[3] = { 0, 0, 0 };
        char mac[18];

        (void) state;
        netconf_mac(a, mac);
        assert_string_equal(mac, "52:54:00:0a:bc:de");
        netconf_mac(b, mac);
        assert_string_equal(mac, "52:54:00:00:00:00");
        assert_int_equal(netconf_check(mac, NETCONF_BOOT_ADDRESS), 0);
}

static void test_check(void **state) {
        (void) state;
        assert_int_equal(netconf_check("52:54:00:0a:bc:de", "192.168.195.10/24"), 0);
        assert_int_equal(netconf_check("52:54:00:0a:bc:dg", "10.0.0.1/24"), -EINVAL);
        assert_int_equal(netconf_check("52:54:00:0a:bc:de:", "10.0.0.1/24"), -EINVAL);
        assert_int_equal(netconf_check("52-54-00-0a-bc-de", "10.0.0.1/24"), -EINVAL);
        assert_int_equal(netconf_check(NULL, "10.0.0.1/24"), -EINVAL);
        assert_int_equal(netconf_check("52:54:00:0a:bc:de", "10.0.0.256/24"), -EINVAL);
        assert_int_equal(netconf_check("52:54:00:0a:bc:de", "10.0.0.1/33"), -EINVAL);
        assert_int_equal(netconf_check("52:54:00:0a:bc:de", "10.0.0.1"), -EINVAL);
        assert_int_equal(netconf_check("52:54:00:0a:bc:de", "10.0.0.1/24\nDNS=1.1.1.1"), -EINVAL);
        assert_int_equal(netconf_check("52:54:00:0a:bc:de", " 10.0.0.1/24"), -EINVAL);
}

static void test_texts(void **state) {
        char *s = NULL;

        (void) state;
        assert_int_equal(netconf_networkd("52:54:00:0a:bc:de", "10.213.0.10/24", &s), 0);
        assert_non_null(strstr(s, "[Match]\nMACAddress=52:54:00:0a:bc:de\n"));
        assert_non_null(strstr(s, "[Network]\nAddress=10.213.0.10/24\nDHCP=no\n"));
        assert_null(strstr(s, "Gateway"));
        assert_null(strstr(s, "DNS"));
        free(s);
        assert_int_equal(netconf_cloud_init("52:54:00:0a:bc:de", "10.213.0.10/24", &s), 0);
        assert_non_null(strstr(s, "version: 2\n"));
        assert_non_null(strstr(s, "      macaddress: \"52:54:00:0a:bc:de\"\n"));
        assert_non_null(strstr(s, "    addresses: [\"10.213.0.10/24\"]\n"));
        assert_null(strstr(s, "gateway"));
        free(s);
        assert_int_equal(netconf_networkd("nope", "10.213.0.10/24", &s), -EINVAL);
        assert_int_equal(netconf_cloud_init("52:54:00:0a:bc:de", "x", &s), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_mac),
                cmocka_unit_test(test_check),
                cmocka_unit_test(test_texts),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
