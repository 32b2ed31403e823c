/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include "core/plan.h"
#include "shared/strv.h"

/* A profile as profile_parse() leaves it: tristates unset unless given. */
static Profile profile(void) {
        return (Profile) { .name = "hpc-compute", .image = "/srv/images/hpc-compute.qcow2", .kernel = "6.1",
                           .flavour = "cloud-amd64", .packages = "/srv/kpin/kernel-6.1", .network = -1,
                           .purge_old = 1, .hold = -1, .boot_test = -1, .timeout_s = 600, .memory_mb = 2048,
                           .firmware = 1u << FIRMWARE_UEFI, .uefi_vars = "/srv/kpin/OVMF_VARS-mok.fd" };
}

static void test_command_line_beats_profile(void **state) {
        char *cl_modules[] = { "beegfs/7.4.4", NULL }, *prof_modules[] = { "kpin-canary", "other", NULL };
        Options o = { .used = OPT_KERNEL | OPT_OLD | OPT_TIMEOUT | OPT_FIRMWARE | OPT_MODULE | OPT_OUTPUT,
                      .kernel = "6.6", .purge_old = false, .timeout_s = 30, .firmware = FIRMWARE_SPEC_ALL,
                      .modules = cl_modules, .output = "out.qcow2" };
        Profile p = profile();
        char *error = NULL;
        Plan pl;

        (void) state;
        p.modules = prof_modules;
        assert_int_equal(plan_make(PLAN_REPAIR, &o, &p, NULL, &pl, &error), 0);
        assert_null(error);
        assert_string_equal(pl.image, "/srv/images/hpc-compute.qcow2");
        assert_string_equal(pl.kernel, "6.6");                 /* --kernel */
        assert_string_equal(pl.flavour, "cloud-amd64");        /* the profile's */
        assert_string_equal(pl.packages, "/srv/kpin/kernel-6.1");
        assert_false(pl.purge_old);                            /* --keep-old over old = purge */
        assert_true(pl.hold);                                  /* unset: hold */
        assert_ptr_equal(pl.modules, cl_modules);              /* a list replaces the profile's */
        assert_true(pl.dkms && pl.pin && pl.verify && pl.write && pl.boot_test);
        assert_int_equal(pl.timeout_s, 30);
        assert_int_equal(pl.firmware, FIRMWARE_SPEC_ALL);
        assert_int_equal(pl.memory_mb, 2048);                  /* the profile's */
        assert_string_equal(pl.uefi_vars, "/srv/kpin/OVMF_VARS-mok.fd");
        assert_false(pl.network_units_fail);                   /* unset: network-only failures warn */
        assert_string_equal(pl.profile_name, "hpc-compute");
        assert_string_equal(pl.output, "out.qcow2");

        p.network_units_fail = 1;
        assert_int_equal(plan_make(PLAN_REPAIR, &o, &p, NULL, &pl, &error), 0);
        assert_true(pl.network_units_fail);                    /* [boot-test] network-units = fail */

        /* the image on the command line wins too; --no-boot-test turns it off */
        o.used |= OPT_NO_BOOT_TEST;
        assert_int_equal(plan_make(PLAN_REPAIR, &o, &p, "x.qcow2", &pl, &error), 0);
        assert_string_equal(pl.image, "x.qcow2");
        assert_false(pl.boot_test);
}

static void test_defaults(void **state) {
        Options o = { .used = OPT_KERNEL | OPT_OUTPUT, .kernel = "6.1", .in_place = true };
        char *error = NULL;
        Plan pl;

        (void) state;
        assert_int_equal(plan_make(PLAN_REPAIR, &o, NULL, "a.qcow2", &pl, &error), 0);
        assert_int_equal(pl.timeout_s, PLAN_TIMEOUT_DEFAULT);
        assert_int_equal(pl.memory_mb, PLAN_MEMORY_DEFAULT);
        assert_int_equal(pl.firmware, FIRMWARE_SPEC_AUTO);
        assert_true(pl.hold && pl.boot_test && pl.in_place);
        assert_false(pl.dkms || pl.purge_old || pl.network);
        assert_null(pl.profile_name);

        assert_int_equal(plan_make(PLAN_PIN, &o, NULL, "a.qcow2", &pl, &error), 0);
        assert_true(pl.pin && pl.verify && pl.write && pl.hold);
        assert_false(pl.dkms || pl.boot_test);

        assert_int_equal(plan_make(PLAN_INSPECT, &(Options) {}, NULL, "a.qcow2", &pl, &error), 0);
        assert_false(pl.write || pl.pin || pl.dkms || pl.verify || pl.boot_test);
}

/* Every range and conflict is refused before anything starts. */
static void test_refused(void **state) {
        char *bad_module[] = { "beegfs;rm", NULL }, *bad_expect[] = { "can ary", NULL }, *two[] = { "a", "b", NULL };
        char *bad_from[] = { "bookworm", "not a source!", NULL };
        const struct {
                PlanVerb verb;
                Options o;
                const char *error;
        } cases[] = {
                { PLAN_REPAIR, { .used = OPT_OUTPUT | OPT_TIMEOUT, .kernel = "6.1", .in_place = true, .timeout_s = 0 },
                  "repair: --timeout takes 1 to 86400 seconds" },
                { PLAN_REPAIR, { .used = OPT_OUTPUT | OPT_TIMEOUT | OPT_NO_BOOT_TEST, .kernel = "6.1", .in_place = true,
                                 .timeout_s = 86401 },
                  "repair: --timeout takes 1 to 86400 seconds" },
                { PLAN_REPAIR, { .used = OPT_OUTPUT | OPT_MEMORY, .kernel = "6.1", .in_place = true, .memory_mb = 100 },
                  "repair: --memory takes 256 to 65536 MiB" },
                { PLAN_BOOT_TEST, { .used = OPT_MEMORY, .memory_mb = 70000 }, "boot-test: --memory takes 256 to 65536 MiB" },
                { PLAN_REPAIR, { .used = OPT_OUTPUT, .in_place = true }, "repair: no kernel: give --kernel or [kernel] series in a profile" },
                { PLAN_REPAIR, { .used = OPT_KERNEL, .kernel = "6.1" }, "repair: give exactly one of -o OUT and --in-place" },
                { PLAN_REPAIR, { .used = OPT_KERNEL | OPT_OUTPUT, .kernel = "6.1", .output = "o", .in_place = true },
                  "repair: give exactly one of -o OUT and --in-place" },
                { PLAN_REPAIR, { .used = OPT_KERNEL | OPT_OUTPUT | OPT_NETWORK | OPT_PACKAGES, .kernel = "6.1",
                                 .output = "o", .network = true, .packages = "/d" },
                  "repair: --packages DIR (offline) and --network exclude each other" },
                { PLAN_PIN, { .used = OPT_OUTPUT, .output = "o" }, "pin: --kernel SERIES|KVER is required" },
                { PLAN_PIN, { .used = OPT_KERNEL | OPT_OUTPUT | OPT_NETWORK | OPT_PACKAGES, .kernel = "6.1",
                              .output = "o", .network = true, .packages = "/d" },
                  "pin: --packages DIR (offline) and --network exclude each other" },
                { PLAN_DKMS, { .used = OPT_OUTPUT, .output = "o" },
                  "dkms: give --module NAME[/VER] or --source DIR|FILE.deb (or --matrix)" },
                { PLAN_DKMS, { .used = OPT_OUTPUT | OPT_MODULE | OPT_PACKAGES, .output = "o", .modules = two, .packages = "/d" },
                  "dkms: --packages DIR goes with --matrix (install kernels with kpin pin)" },
                { PLAN_DKMS, { .used = OPT_OUTPUT | OPT_MODULE, .output = "o", .modules = bad_module },
                  "dkms: --module beegfs;rm: not a DKMS module name[/version]" },
                { PLAN_MATRIX, { .used = OPT_MODULE | OPT_MATRIX, .matrix = true, .modules = two },
                  "dkms: --matrix changes nothing: it takes at most one --module and no -o, --in-place, --source, "
                  "--build-config or --kernel" },
                { PLAN_BOOT_TEST, { .used = OPT_EXPECT_MODULE, .expect_modules = bad_expect },
                  "boot-test: --expect-module can ary: not a module name" },
                { PLAN_BOOT_TEST, { .used = OPT_UEFI_VARS | OPT_FIRMWARE, .uefi_vars = "v.fd", .firmware = 1u << FIRMWARE_BIOS },
                  "boot-test: --uefi-vars goes with a UEFI --firmware" },
                { PLAN_FETCH, { .used = OPT_KERNEL, .kernel = "6.1", .from = bad_from, .dest = "k" },
                  "fetch: --from not a source!: not a Debian suite name or a \"deb URI SUITE COMPONENT\" line" },
                { PLAN_REPAIR, { .used = OPT_KERNEL | OPT_OUTPUT | OPT_PACKAGES, .kernel = "6.1", .output = "o",
                                 .packages = "/d", .from = bad_from },
                  "repair: --from not a source!: not a Debian suite name or a \"deb URI SUITE COMPONENT\" line" },
        };
        Plan pl;

        (void) state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *error = NULL;

                assert_int_equal(plan_make(cases[i].verb, &cases[i].o, NULL, "a.qcow2", &pl, &error), -EINVAL);
                assert_non_null(error);
                assert_string_equal(error, cases[i].error);
                free(error);
        }
}

/* A bad value in the profile is refused as early as one on the command line. */
static void test_profile_values(void **state) {
        Options o = { .used = OPT_OUTPUT, .in_place = true };
        Profile p = profile();
        char *error = NULL;
        Plan pl;

        (void) state;
        p.image = NULL;
        assert_int_equal(plan_make(PLAN_REPAIR, &o, &p, NULL, &pl, &error), -EINVAL);
        assert_string_equal(error, "repair: no image: give IMAGE, --packer-manifest FILE or a profile with [image] path");
        free(error);
        p = profile();
        p.network = 1;
        assert_int_equal(plan_make(PLAN_REPAIR, &o, &p, NULL, &pl, &error), -EINVAL);
        assert_string_equal(error, "repair: --packages DIR (offline) and --network exclude each other");
        free(error);
        /* ... unless the command line settles it */
        o.used |= OPT_NETWORK;
        assert_int_equal(plan_make(PLAN_REPAIR, &o, &p, NULL, &pl, &error), 0);
        assert_false(pl.network);
}

/* The forecast: the profile's [forecast] unless the command line says
 * otherwise; repair does it after the commit, forecast alone needs one. */
static void test_forecast(void **state) {
        char *trixie[] = { "trixie", "trixie-security", NULL }, *bad[] = { "not a source!", NULL };
        Options o = { .used = OPT_OUTPUT, .in_place = true };
        Profile p = profile();
        char *error = NULL;
        Plan pl;

        (void) state;
        assert_int_equal(plan_make(PLAN_REPAIR, &o, &p, NULL, &pl, &error), 0);
        assert_null(pl.forecast);                              /* none asked */
        p.forecast = "6.12";
        p.forecast_packages = "/srv/kpin/kernel-6.12";
        p.forecast_from = trixie;
        assert_int_equal(plan_make(PLAN_REPAIR, &o, &p, NULL, &pl, &error), 0);
        assert_string_equal(pl.forecast, "6.12");
        assert_string_equal(pl.forecast_packages, "/srv/kpin/kernel-6.12");
        assert_ptr_equal(pl.forecast_from, trixie);
        assert_string_equal(pl.kernel, "6.1");                 /* the pin's own series is untouched */
        p.forecast = "6.1";
        assert_int_equal(plan_make(PLAN_REPAIR, &o, &p, NULL, &pl, &error), -EINVAL);
        assert_string_equal(error, "repair: --forecast 6.1 is the series the pin holds: forecast the one it would be "
                                   "lifted to, e.g. 6.12");
        free(error);
        p.forecast = "6.12";
        o.used |= OPT_FORECAST;
        o.no_forecast = true;
        assert_int_equal(plan_make(PLAN_REPAIR, &o, &p, NULL, &pl, &error), 0);
        assert_null(pl.forecast);                              /* --no-forecast */

        /* kpin forecast: no output, the profile's image, modules and boot test */
        o = (Options) { .used = OPT_FORECAST, .forecast = "6.12.57" };
        assert_int_equal(plan_make(PLAN_FORECAST, &o, &p, NULL, &pl, &error), 0);
        assert_string_equal(pl.forecast, "6.12.57");
        assert_string_equal(pl.image, "/srv/images/hpc-compute.qcow2");
        assert_false(pl.write);
        assert_true(pl.boot_test);

        p.forecast_packages = NULL;
        assert_int_equal(plan_make(PLAN_FORECAST, &o, &p, NULL, &pl, &error), -EINVAL);
        assert_string_equal(error, "forecast: fetching the forecast's kernel (--forecast-from, [forecast] fetch-from) "
                                   "needs the directory to fetch into: --forecast-packages DIR or [forecast] packages");
        free(error);
        p.forecast_from = NULL;
        o.forecast = "twelve";
        assert_int_equal(plan_make(PLAN_FORECAST, &o, &p, NULL, &pl, &error), -EINVAL);
        assert_string_equal(error, "forecast: --forecast twelve: not a kernel series such as 6.12");
        free(error);
        o = (Options) {};
        p.forecast = NULL;
        assert_int_equal(plan_make(PLAN_FORECAST, &o, &p, NULL, &pl, &error), -EINVAL);
        assert_string_equal(error, "forecast: no kernel to forecast: give --forecast SERIES or [forecast] kernel in a profile");
        free(error);
        o = (Options) { .used = OPT_FORECAST | OPT_FORECAST_PACKAGES | OPT_FORECAST_FROM, .forecast = "6.12",
                        .forecast_packages = "/d", .forecast_from = bad };
        assert_int_equal(plan_make(PLAN_FORECAST, &o, NULL, "a.qcow2", &pl, &error), -EINVAL);
        assert_string_equal(error, "forecast: --forecast-from not a source!: not a Debian suite name or a "
                                   "\"deb URI SUITE COMPONENT\" line");
        free(error);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_command_line_beats_profile),
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_refused),
                cmocka_unit_test(test_profile_values),
                cmocka_unit_test(test_forecast),
        };
        return cmocka_run_group_tests_name("plan", tests, NULL, NULL);
}
