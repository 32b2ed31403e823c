/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include "core/unitclass.h"
#include "shared/strv.h"

/* What the probe printed for the failed units of a compute image booted
 * alone (systemctl show of Debian 13's units, shortened where long). */
static char *probe[] = {
        "uname=6.1.0-57-cloud-amd64",
        "failed-units=systemd-networkd-wait-online.service mnt-shared.mount beegfs-client.service kpin-broken.service "
        "home.automount slurmd.service nfs-scratch.service",
        "unit-prop=systemd-networkd-wait-online.service Type=oneshot",
        "unit-prop=systemd-networkd-wait-online.service Requires=systemd-networkd.service",
        "unit-prop=systemd-networkd-wait-online.service WantedBy=network-online.target",
        "unit-prop=systemd-networkd-wait-online.service Before=network-online.target shutdown.target",
        "unit-prop=mnt-shared.mount Type=nfs4",
        "unit-prop=mnt-shared.mount What=192.0.2.1:/srv/shared",
        "unit-prop=mnt-shared.mount Options=rw,relatime,_netdev,vers=4.2",
        "unit-prop=mnt-shared.mount RequiredBy=remote-fs.target",
        "unit-prop=beegfs-client.service Type=forking",
        "unit-prop=beegfs-client.service Requires=network-online.target",
        "unit-prop=beegfs-client.service After=network-online.target local-fs.target time-sync.target",
        "unit-prop=beegfs-client.service WantedBy=multi-user.target",
        "unit-prop=kpin-broken.service Type=oneshot",
        "unit-prop=kpin-broken.service Requires=sysinit.target",
        "unit-prop=kpin-broken.service After=network.target sysinit.target",
        "unit-prop=kpin-broken.service WantedBy=multi-user.target",
        /* Wants= without After=: not a claim on the network being up */
        "unit-prop=slurmd.service Wants=network-online.target",
        "unit-prop=slurmd.service After=munge.service",
        "unit-prop=nfs-scratch.service Requires=mnt-shared.mount",
        NULL,
};

static void test_reasons(void **state) {
        char *why;

        (void) state;
        why = unit_network_only_reason("systemd-networkd-wait-online.service", probe);
        assert_non_null(why);
        assert_non_null(strstr(why, "waits for the network to be online"));
        assert_non_null(strstr(why, "see the cluster test"));
        free(why);
        why = unit_network_only_reason("mnt-shared.mount", probe);
        assert_non_null(why);
        assert_string_equal(why, "network filesystem nfs4 192.0.2.1:/srv/shared: needs its server: see the cluster test");
        free(why);
        why = unit_network_only_reason("beegfs-client.service", probe);
        assert_non_null(why);
        assert_non_null(strstr(why, "Requires=network-online.target"));
        free(why);
        why = unit_network_only_reason("nfs-scratch.service", probe);
        assert_non_null(why);
        assert_non_null(strstr(why, "needs mnt-shared.mount, a network filesystem nfs4"));
        free(why);
        /* failures of their own: no network dependency, or none claimed whole */
        assert_null(unit_network_only_reason("kpin-broken.service", probe));
        assert_null(unit_network_only_reason("slurmd.service", probe));
        /* a unit the probe said nothing about is a failure */
        assert_null(unit_network_only_reason("home.automount", probe));
}

static void test_mounts(void **state) {
        char *p[] = {
                "unit-prop=data.mount Type=ext4", "unit-prop=data.mount What=/dev/vdb1",
                "unit-prop=data.mount Options=rw,_netdev", "unit-prop=scratch.mount Type=ext4",
                "unit-prop=scratch.mount Options=rw,x_netdevish", "unit-prop=beegfs.mount Type=beegfs",
                NULL,
        };
        char *why;

        (void) state;
        why = unit_network_only_reason("data.mount", p);
        assert_non_null(why);
        assert_non_null(strstr(why, "_netdev mount ext4 /dev/vdb1"));
        free(why);
        assert_null(unit_network_only_reason("scratch.mount", p)); /* a word of its own, not a substring */
        why = unit_network_only_reason("beegfs.mount", p);
        assert_non_null(why);
        assert_non_null(strstr(why, "network filesystem beegfs ?"));
        free(why);
        /* a prefix of a unit's name is another unit */
        assert_null(unit_network_only_reason("data", p));
}

static void test_split(void **state) {
        char **other = NULL, **warnings = NULL;

        (void) state;
        assert_int_equal(unit_split_failed(probe[1] + strlen("failed-units="), probe, false, &other, &warnings), 0);
        assert_int_equal(strv_length(other), 3);
        assert_string_equal(other[0], "kpin-broken.service");
        assert_string_equal(other[1], "home.automount");
        assert_string_equal(other[2], "slurmd.service");
        assert_int_equal(strv_length(warnings), 4);
        assert_true(startswith(warnings[0], "systemd-networkd-wait-online.service: waits"));
        assert_true(startswith(warnings[1], "mnt-shared.mount: network filesystem"));
        assert_true(startswith(warnings[2], "beegfs-client.service: "));
        assert_true(startswith(warnings[3], "nfs-scratch.service: needs mnt-shared.mount"));
        strv_free(other);
        strv_free(warnings);
        /* network-units = fail: every failed unit counts, the reasons stay */
        assert_int_equal(unit_split_failed(probe[1] + strlen("failed-units="), probe, true, &other, &warnings), 0);
        assert_int_equal(strv_length(other), 7);
        assert_int_equal(strv_length(warnings), 4);
        strv_free(other);
        strv_free(warnings);
        /* nothing failed */
        assert_int_equal(unit_split_failed("", probe, false, &other, &warnings), 0);
        assert_null(other);
        assert_null(warnings);
        assert_int_equal(unit_split_failed(NULL, probe, false, &other, &warnings), 0);
        assert_null(other);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_reasons),
                cmocka_unit_test(test_mounts),
                cmocka_unit_test(test_split),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
