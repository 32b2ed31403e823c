/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include "core/profile.h"
#include "shared/strv.h"

static void test_good(void **state) {
        size_t len;
        char *text = read_data("profile-good.conf", &len), *error = NULL;
        Profile p;

        (void) state;
        assert_int_equal(profile_parse("images/hpc-compute.conf", text, &p, &error), 0);
        assert_null(error);
        assert_string_equal(p.name, "hpc-compute");
        assert_string_equal(p.image, "images/../out/hpc-compute.qcow2");
        assert_string_equal(p.kernel, "6.1");
        assert_string_equal(p.flavour, "cloud-amd64");
        assert_string_equal(p.packages, "images/kernel-6.1");
        assert_int_equal(p.purge_old, 0);
        assert_int_equal(p.hold, 1);
        assert_int_equal(p.network, -1);
        assert_int_equal(strv_length(p.modules), 3);
        assert_string_equal(p.modules[0], "beegfs/7.4.4");
        assert_string_equal(p.modules[1], "kpin-canary");
        assert_string_equal(p.modules[2], "other");
        assert_null(p.source);
        assert_int_equal(strv_length(p.build_configs), 2);
        assert_string_equal(p.build_configs[0], "images/beegfs-client-build.mk=/etc/beegfs/beegfs-client-build.mk");
        assert_string_equal(p.build_configs[1], "/etc/extra.mk");
        assert_int_equal(p.boot_test, 1);
        assert_string_equal(p.expect_kernel, "6.1");
        assert_int_equal(strv_length(p.expect_modules), 2);
        assert_string_equal(p.expect_modules[1], "canary");
        assert_int_equal(p.timeout_s, 240);
        assert_int_equal(p.firmware, 1u << FIRMWARE_UEFI);
        assert_int_equal(p.memory_mb, 2048);
        assert_string_equal(p.uefi_vars, "images/OVMF_VARS-mok.fd");
        assert_int_equal(p.network_units_fail, 1);
        assert_string_equal(p.forecast, "6.12");
        assert_string_equal(p.forecast_packages, "images/kernel-6.12");
        assert_int_equal(strv_length(p.forecast_from), 2);
        assert_string_equal(p.forecast_from[1], "trixie-security");
        profile_done(&p);
        free(text);
}

static void test_defaults(void **state) {
        char *error = NULL;
        Profile p;

        (void) state;
        assert_int_equal(profile_parse("/etc/kpin/demo.conf", "[kernel]\nseries=6.6\n[boot-test]\nenabled = off\n", &p, &error), 0);
        assert_string_equal(p.name, "demo");
        assert_string_equal(p.kernel, "6.6");
        assert_null(p.image);
        assert_null(p.modules);
        assert_int_equal(p.boot_test, 0);
        assert_int_equal(p.purge_old, -1);
        assert_int_equal(p.hold, -1);
        assert_int_equal(p.firmware, 0);
        assert_int_equal(p.timeout_s, 0);
        assert_int_equal(p.network_units_fail, 0);
        profile_done(&p);

        /* an empty profile is valid: the command line says the rest */
        assert_int_equal(profile_parse("x", "", &p, &error), 0);
        assert_string_equal(p.name, "x");
        profile_done(&p);
        assert_int_equal(profile_parse("/p.conf", "[kernel]\npackages = debs\n", &p, &error), 0);
        assert_string_equal(p.packages, "/debs");
        profile_done(&p);

        /* fetch-from: suite names and whole apt lines, one rule with kpin fetch --from */
        assert_int_equal(profile_parse("p.conf",
                                       "[kernel]\nfetch-from = bookworm, bookworm-security\n"
                                       "fetch-from = deb [signed-by=/etc/kpin/site.gpg] http://mirror.site/debian bookworm main\n",
                                       &p, &error),
                         0);
        assert_int_equal(strv_length(p.fetch_from), 3);
        assert_string_equal(p.fetch_from[1], "bookworm-security");
        assert_string_equal(p.fetch_from[2], "deb [signed-by=/etc/kpin/site.gpg] http://mirror.site/debian bookworm main");
        profile_done(&p);
}

static void test_errors(void **state) {
        static const struct {
                const char *text, *error;
        } cases[] = {
                { "[kernel]\nseries = 6.1\nmodule = beegfs\n", "p.conf:3: unknown key 'module' in [kernel]" },
                { "\n\n[kernal]\nseries = 6.1\n", "p.conf:3: unknown section [kernal]" },
                { "series = 6.1\n", "p.conf:1: 'series' is outside any section" },
                { "[kernel]\nseries = 6.1\nseries = 6.6\n", "p.conf:3: series is given twice in [kernel]" },
                { "[kernel]\nseries\n", "p.conf:2: not a [section] or key = value line" },
                { "[kernel]\nseries\nflavour = x y\n", "p.conf:2: not a [section] or key = value line" },
                { "[kernel]\nflavour = cloud amd64\n", "p.conf:2: flavour: 'cloud amd64' has characters a flavour cannot have" },
                { "[kernel]\nseries = $(reboot)\n", "p.conf:2: series: '$(reboot)' has characters a series cannot have" },
                { "[kernel]\nseries =\n", "p.conf:2: series: empty value" },
                { "[kernel]\nold = remove\n", "p.conf:2: old: 'remove' is not keep or purge" },
                { "[kernel]\nhold = maybe\n", "p.conf:2: hold: 'maybe' is not yes or no" },
                { "[dkms]\nmodule = beegfs;rm\n", "p.conf:2: module: 'beegfs;rm' is not a module name" },
                { "[dkms]\nmodule = -rf\n", "p.conf:2: module: '-rf' is not a module name" },
                { "[dkms]\nbuild-config = a.mk=relative/path\n", "p.conf:2: build-config: 'a.mk=relative/path' is not FILE or FILE=/GUEST/PATH" },
                { "[boot-test]\ntimeout = 0\n", "p.conf:2: timeout: '0' is not a number of seconds from 1 to 86400" },
                { "[boot-test]\ntimeout = 10s\n", "p.conf:2: timeout: '10s' is not a number of seconds from 1 to 86400" },
                { "[boot-test]\ntimeout = -5\n", "p.conf:2: timeout: '-5' is not a number of seconds from 1 to 86400" },
                { "[boot-test]\nmemory = 99999999999999999999\n", "p.conf:2: memory: '99999999999999999999' is not a number of MiB from 256 to 65536" },
                { "[boot-test]\nnetwork-units = ignore\n", "p.conf:2: network-units: 'ignore' is not warn or fail" },
                { "[boot-test]\nfirmware = coreboot\n", "p.conf:2: firmware: 'coreboot' is not auto, all or a list of bios, uefi and uefi-secure" },
                { "[boot-test]\nfirmware = bios,\n", "p.conf:2: firmware: 'bios,' is not auto, all or a list of bios, uefi and uefi-secure" },
                { "[kernel]\nfetch-from = deb nope\n", "p.conf:2: fetch-from: 'deb nope' is not a whole \"deb URI SUITE COMPONENT\" line" },
                { "[kernel]\nfetch-from = bookworm Trixie\n",
                  "p.conf:2: fetch-from: 'Trixie' is not a Debian suite name (or give a whole \"deb URI SUITE COMPONENT\" line)" },
                { "[kernel]\nfetch-from = deb http://m/debian bookworm main $(reboot)\n",
                  "p.conf:2: fetch-from: 'deb http://m/debian bookworm main $(reboot)' has characters an apt line cannot have" },
                { "[boot-test]\nenabled = yes\r\n", "p.conf: has DOS line endings (CR LF)" },
                /* the first bad line is the one reported */
                { "[kernel]\nbogus = 1\n[x]\n", "p.conf:2: unknown key 'bogus' in [kernel]" },
                { "[kernel]\nseries\n[x]\n", "p.conf:2: not a [section] or key = value line" },
        };
        char *error;
        Profile p;

        (void) state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                error = NULL;
                assert_int_equal(profile_parse("p.conf", cases[i].text, &p, &error), -EINVAL);
                assert_non_null(error);
                assert_string_equal(error, cases[i].error);
                free(error);
        }
}

static void test_long_line(void **state) {
        char text[400], *error = NULL;
        Profile p;

        (void) state;
        snprintf(text, sizeof(text), "[kernel]\n\npackages = /%0300d\n", 0);
        assert_int_equal(profile_parse("p.conf", text, &p, &error), -EINVAL);
        assert_string_equal(error, "p.conf:3: line longer than 198 characters");
        free(error);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_good),
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_long_line),
        };
        return cmocka_run_group_tests_name("profile", tests, NULL, NULL);
}
