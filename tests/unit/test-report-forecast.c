/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include "report/forecast.h"
#include "shared/strv.h"

/* What a forecast says, from values made here: a line per module that does
 * not build, a boot that fails, the pin that can go, one that could not
 * run; the same in JSON. */

static DkmsCell cell(const char *name, bool built, const char *error) {
        return (DkmsCell) { .name = (char *) name, .version = (char *) "7.4.4", .kernel = (char *) "6.12.57+deb13-cloud-amd64",
                            .built = built, .error = (char *) error, .seconds = 217 };
}

static void test_verdicts(void **state) {
        DkmsCell cells[] = { cell("beegfs", false, "os/OsCompat.c:42:9: error: implicit declaration of function 'ktime_get_ts'"),
                             cell("kpin-canary", true, NULL), cell("nvidia", false, NULL) };
        Forecast f = { .ran = true, .series = "6.12", .release = "6.12.57+deb13-cloud-amd64", .modules = cells,
                       .n_modules = 3, .n_failed = 2 };
        char **v;

        (void) state;
        v = forecast_verdict(&f);
        assert_int_equal(strv_length(v), 2);
        assert_string_equal(v[0], "pin still needed: beegfs 7.4.4 fails on 6.12.57+deb13-cloud-amd64: "
                                  "os/OsCompat.c:42:9: error: implicit declaration of function 'ktime_get_ts'");
        assert_string_equal(v[1], "pin still needed: nvidia 7.4.4 fails on 6.12.57+deb13-cloud-amd64: ?");
        strv_free(v);

        f.n_failed = 0;
        cells[0].built = cells[2].built = true;
        f.boot_ran = true;
        f.boot_error = "bios: module beegfs does not load";
        v = forecast_verdict(&f);
        assert_string_equal(v[0], "pin still needed: every module builds on 6.12.57+deb13-cloud-amd64, but it does not "
                                  "boot with them: bios: module beegfs does not load");
        strv_free(v);

        f.boot_error = NULL;
        f.boot_ok = f.lifted = true;
        v = forecast_verdict(&f);
        assert_int_equal(strv_length(v), 1);
        assert_string_equal(v[0], "the pin can be lifted: every module builds and loads on 6.12.57+deb13-cloud-amd64");
        strv_free(v);

        f.boot_ran = f.boot_ok = false;
        v = forecast_verdict(&f);
        assert_string_equal(v[0], "the pin can be lifted: every module builds on 6.12.57+deb13-cloud-amd64 (not boot-tested)");
        strv_free(v);

        f = (Forecast) { .series = "6.12", .problem = "hpc.qcow2: no linux-image package of 6.12 in /srv/kpin/kernel-6.12" };
        v = forecast_verdict(&f);
        assert_string_equal(v[0], "forecast for 6.12 could not run: hpc.qcow2: no linux-image package of 6.12 in "
                                  "/srv/kpin/kernel-6.12");
        strv_free(v);
}

static void test_json(void **state) {
        char *mods[] = { "canary", NULL };
        DkmsCell cells[] = { cell("kpin-canary", false, "canary.c:14:10: fatal error: asm/unaligned.h: No such file or directory") };
        Forecast f = { .ran = true, .series = "6.12", .release = "6.12.117+deb13-cloud-amd64", .version = "6.12.117-1",
                       .modules = cells, .n_modules = 1, .n_failed = 1, .seconds = 65 };
        json_object *j, *x;

        (void) state;
        j = forecast_to_json(&f);
        assert_non_null(j);
        assert_true(json_object_object_get_ex(j, "lifted", &x) && !json_object_get_boolean(x));
        assert_true(json_object_object_get_ex(j, "kernel", &x));
        assert_string_equal(json_object_get_string(x), "6.12.117+deb13-cloud-amd64");
        assert_true(json_object_object_get_ex(j, "version", &x));
        assert_string_equal(json_object_get_string(x), "6.12.117-1");
        assert_true(json_object_object_get_ex(j, "verdict", &x) && json_object_array_length(x) == 1);
        assert_non_null(strstr(json_object_get_string(json_object_array_get_idx(x, 0)), "asm/unaligned.h"));
        assert_true(json_object_object_get_ex(j, "modules", &x) && json_object_array_length(x) == 1);
        x = json_object_array_get_idx(x, 0);
        assert_true(json_object_object_get_ex(x, "built", &x) && !json_object_get_boolean(x));
        json_object_put(j);

        /* built and booted: each module loads */
        cells[0].built = true;
        cells[0].error = NULL;
        cells[0].modules = mods;
        f.n_failed = 0;
        f.boot_ran = f.boot_ok = f.lifted = true;
        f.boot_seconds = 41;
        j = forecast_to_json(&f);
        assert_true(json_object_object_get_ex(j, "modules", &x));
        x = json_object_array_get_idx(x, 0);
        assert_true(json_object_object_get_ex(x, "loads", &x) && json_object_get_boolean(x));
        assert_true(json_object_object_get_ex(j, "boot_test", &x));
        assert_true(json_object_object_get_ex(x, "seconds", &x) && json_object_get_double(x) == 41);
        json_object_put(j);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_verdicts),
                cmocka_unit_test(test_json),
        };
        return cmocka_run_group_tests_name("report-forecast", tests, NULL, NULL);
}
