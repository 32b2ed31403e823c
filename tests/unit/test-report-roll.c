/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include <fcntl.h>
#include <unistd.h>

#include "report/junit.h"
#include "report/run.h"
#include "report/steps.h"
#include "shared/strv.h"

/* What a roll forward reports (its one line, its JSON, the JUnit suite's
 * properties) and the dkms --matrix tables, from values made here. */

static char *capture(void (*fn)(void *), void *arg) {
        char path[] = "/tmp/kpin-unit-roll-XXXXXX", *text;
        int fd = mkstemp(path), saved;
        size_t len;

        assert_true(fd >= 0);
        fflush(stdout);
        saved = dup(STDOUT_FILENO);
        assert_true(saved >= 0);
        dup2(fd, STDOUT_FILENO);
        close(fd);
        fn(arg);
        fflush(stdout);
        dup2(saved, STDOUT_FILENO);
        close(saved);
        text = read_file_or_die(path, &len);
        unlink(path);
        return text;
}

static void test_summary(void **state) {
        char *cves[] = { "CVE-2025-40123", "CVE-2026-99362", NULL };
        PinRoll roll = { .from = "6.1.0-50-cloud-amd64", .from_version = "6.1.176-1", .to_version = "6.1.192-3",
                         .cves = cves, .n_cves = 2582, .changelog_known = true };
        char *s;

        (void) state;
        s = pin_roll_summary(&roll, "6.1.0-57-cloud-amd64");
        assert_string_equal(s, "6.1.0-50-cloud-amd64 -> 6.1.0-57-cloud-amd64 (6.1.176-1 -> 6.1.192-3): 2,582 CVE IDs fixed");
        free(s);
        roll.n_cves = 1;
        s = pin_roll_summary(&roll, "6.1.0-57-cloud-amd64");
        assert_non_null(strstr(s, "): 1 CVE ID fixed"));
        free(s);
        roll.n_cves = 0;
        s = pin_roll_summary(&roll, "6.1.0-57-cloud-amd64");
        assert_non_null(strstr(s, "): 0 CVE IDs fixed"));
        free(s);
        roll.n_cves = 1234567;
        s = pin_roll_summary(&roll, "6.1.0-57-cloud-amd64");
        assert_non_null(strstr(s, "): 1,234,567 CVE IDs fixed"));
        free(s);
        /* the old version is not in the changelog: said, no count */
        roll.changelog_known = false;
        roll.changelog_problem = "6.1.15-1 is not in linux-image-6.1.0-57-cloud-amd64's changelog";
        s = pin_roll_summary(&roll, "6.1.0-57-cloud-amd64");
        assert_string_equal(s, "6.1.0-50-cloud-amd64 -> 6.1.0-57-cloud-amd64 (6.1.176-1 -> 6.1.192-3): fixes unknown: "
                               "6.1.15-1 is not in linux-image-6.1.0-57-cloud-amd64's changelog");
        free(s);
        /* no roll, no line */
        assert_null(pin_roll_summary(&(PinRoll) {}, "6.1.0-57-cloud-amd64"));
        assert_null(pin_roll_to_json(&(PinRoll) {}, "6.1.0-57-cloud-amd64"));
}

static void test_json(void **state) {
        char *cves[] = { "CVE-2025-40123", "CVE-2026-99362", NULL };
        PinRoll roll = { .from = "6.1.0-56-cloud-amd64", .from_version = "6.1.192-2", .to_version = "6.1.192-3",
                         .cves = cves, .n_cves = 2, .changelog_known = true };
        json_object *o = pin_roll_to_json(&roll, "6.1.0-57-cloud-amd64"), *x;

        (void) state;
        assert_non_null(o);
        assert_true(json_object_object_get_ex(o, "to", &x));
        assert_string_equal(json_object_get_string(x), "6.1.0-57-cloud-amd64");
        assert_true(json_object_object_get_ex(o, "cve_count", &x));
        assert_int_equal(json_object_get_int(x), 2);
        assert_true(json_object_object_get_ex(o, "cves", &x));
        assert_int_equal(json_object_array_length(x), 2);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(x, 1)), "CVE-2026-99362");
        json_object_put(o);
        roll.changelog_known = false;
        o = pin_roll_to_json(&roll, "6.1.0-57-cloud-amd64");
        assert_true(json_object_object_get_ex(o, "cves", &x));
        assert_null(x);
        json_object_put(o);
}

static void test_junit_properties(void **state) {
        char path[] = "/tmp/kpin-unit-roll-XXXXXX", *xml;
        char *props[] = { "kpin.roll.cve-count", "2", "kpin.roll", "a -> b <&>", NULL };
        JunitCase c = { .classname = "kpin.repair", .name = "pin", .passed = true };
        int fd = mkstemp(path);
        size_t len;

        (void) state;
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(junit_write_props(path, "kpin repair x", &c, 1, 1.0, props), 0);
        xml = read_file_or_die(path, &len);
        assert_non_null(strstr(xml, "<properties>"));
        assert_non_null(strstr(xml, "<property name=\"kpin.roll.cve-count\" value=\"2\"/>"));
        assert_non_null(strstr(xml, "value=\"a -&gt; b &lt;&amp;&gt;\""));
        /* properties come before the cases */
        assert_true(strstr(xml, "<properties>") < strstr(xml, "<testcase"));
        free(xml);
        assert_int_equal(junit_write(path, "kpin repair x", &c, 1, 1.0), 0);
        xml = read_file_or_die(path, &len);
        assert_null(strstr(xml, "<properties"));
        free(xml);
        unlink(path);
}

static DkmsCell cells[] = {
        { .name = "beegfs", .version = "7.4.4", .kernel = "6.1.0-57-cloud-amd64", .built = true, .cached = true },
        { .name = "beegfs", .version = "7.4.4", .kernel = "6.12.118+deb13-cloud-amd64",
          .error = "client_module/source/common/Time.h:57:4: error: implicit declaration of function 'ktime_get_ts' | x `y`",
          .seconds = 217 },
        { .name = "kpin-canary", .version = "1.0", .kernel = "6.1.0-57-cloud-amd64", .built = true, .seconds = 35 },
};

static void matrix(void *markdown) {
        ReportOptions ro = {};

        assert_int_equal(report_matrix("hpc-compute.qcow2", cells, 3, &ro, 300, markdown != NULL), 0);
}

static void test_matrix(void **state) {
        char *text;

        (void) state;
        text = capture(matrix, NULL);
        assert_non_null(strstr(text, "\nbeegfs/7.4.4     6.1.0-57-cloud-amd64        cached      0s\n"));
        assert_non_null(strstr(text, "FAILED    217s\n    client_module/source/common/Time.h:57:4"));
        free(text);
        text = capture(matrix, "");
        assert_string_equal(text,
                            "DKMS modules of `hpc-compute.qcow2` against each kernel (kpin dkms --matrix):\n\n"
                            "| module | 6.1.0-57-cloud-amd64 | 6.12.118+deb13-cloud-amd64 |\n"
                            "|---|---|---|\n"
                            "| beegfs/7.4.4 | builds (build cache) | **fails**: `client_module/source/common/Time.h:57:4: "
                            "error: implicit declaration of function 'ktime_get_ts' \\| x 'y'` |\n"
                            "| kpin-canary/1.0 | builds | - |\n");
        free(text);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_summary),
                cmocka_unit_test(test_json),
                cmocka_unit_test(test_junit_properties),
                cmocka_unit_test(test_matrix),
        };
        return cmocka_run_group_tests_name("report-roll", tests, NULL, NULL);
}
