/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include <fcntl.h>
#include <unistd.h>

#include "report/boottest.h"
#include "report/json.h"
#include "report/junit.h"
#include "shared/strv.h"

/* The renderers of one boot test's result against golden files in
 * tests/unit/data: the text, the JSON fields and the JUnit file all read
 * the same BootTests. KPIN_GOLDEN_UPDATE=1 rewrites them, never where CI
 * is set. */

static char **lines(const char *const *l) {
        char **v = NULL;

        for (; *l; l++)
                assert_int_equal(strv_extend(&v, *l), 0);
        return v;
}

static void add_check(BootTest *t, const char *name, bool passed, const char *message) {
        t->checks[t->n_checks++] = (BootCheck) { .name = strdup(name), .passed = passed,
                                                 .message = message ? strdup(message) : NULL };
        t->n_failed += !passed;
}

/* A repaired compute image booted alone: its NFS mount and wait-online
 * fail for want of their servers (warnings), and, in the second boot, a
 * unit of its own fails too. */
static void make_result(BootTests *t) {
        static const char *const probe[] = { "uname=6.1.0-57-cloud-amd64", "firmware=bios", "settled=4",
                                             "failed-units=mnt-shared.mount ", NULL };
        static const char *const warnings[] = {
                "mnt-shared.mount: network filesystem nfs4 192.0.2.1:/srv/shared: needs its server: see the cluster test",
                NULL,
        };

        *t = (BootTests) { .boots = calloc(2, sizeof(BootTest)), .n = 2, .n_failed = 1 };
        assert_non_null(t->boots);
        for (size_t i = 0; i < 2; i++) {
                BootTest *b = &t->boots[i];

                b->firmware = i == 0 ? FIRMWARE_BIOS : FIRMWARE_UEFI;
                b->expect = strdup("6.1.0-57-cloud-amd64");
                b->boot = (BootResult) { .at = { 2.0, 7.5, 13.0, 40.0, 48.5 }, .probe_done = true, .seconds = 50.0 };
                b->boot.grub_kernel = strdup("6.1.0-57-cloud-amd64");
                b->boot.kernel = strdup("6.1.0-57-cloud-amd64");
                b->boot.probe = lines((const char *const *) probe);
                b->boot.tail = strdup("[  OK  ] Reached target multi-user.target\nKPIN-PROBE-END\n");
                b->cloud_init = strdup("done");
                add_check(b, "boots", true, NULL);
                add_check(b, "kernel 6.1.0-57-cloud-amd64", true, NULL);
                add_check(b, "module canary loads", true, NULL);
                add_check(b, "no failed units", i == 0, i == 0 ? NULL : "failed units: kpin-broken.service");
                b->unit_warnings = lines((const char *const *) warnings);
                snprintf(b->mac, sizeof(b->mac), "52:54:00:0a:bc:de");
                b->address = "10.213.0.10/24";
                b->net_form = "cloud-init seed";
                b->guest_addresses = strdup("ens2=10.213.0.10/24");
        }
}

static void free_result(BootTests *t) {
        for (size_t i = 0; i < t->n; i++) {
                BootTest *b = &t->boots[i];

                boot_result_done(&b->boot);
                free(b->expect);
                free(b->cloud_init);
                free(b->guest_addresses);
                strv_free(b->unit_warnings);
                for (size_t j = 0; j < b->n_checks; j++) {
                        free(b->checks[j].name);
                        free(b->checks[j].message);
                }
        }
        free(t->boots);
}

static void compare_golden(const char *name, const char *got) {
        char path[512];
        const char *update = getenv("KPIN_GOLDEN_UPDATE"), *ci = getenv("CI");
        size_t len;
        char *want;

        snprintf(path, sizeof(path), "tests/unit/data/%s", name);
        if (update && *update && !(ci && *ci)) {
                FILE *f = fopen(path, "w");

                assert_non_null(f);
                fputs(got, f);
                fclose(f);
        }
        want = read_file_or_die(path, &len);
        if (strcmp(want, got) != 0)
                fprintf(stderr, "%s differs; got:\n%s\n", path, got);
        assert_string_equal(want, got);
        free(want);
}

static char *scratch_file(void) {
        char *p = strdup("/tmp/kpin-unit-report-XXXXXX");
        int fd;

        assert_non_null(p);
        fd = mkstemp(p);
        assert_true(fd >= 0);
        close(fd);
        return p;
}

static void test_json(void **state) {
        BootTests t;
        json_object *o = json_object_new_object();

        (void) state;
        make_result(&t);
        boot_tests_to_json(&t, o);
        compare_golden("report-boottest.json",
                       json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        free_result(&t);
}

static void test_junit(void **state) {
        BootTests t;
        JunitCase cases[32];
        char *path = scratch_file(), *xml;
        size_t n, len;

        (void) state;
        make_result(&t);
        n = boot_tests_junit_cases(&t, cases, 32);
        /* four checks and one network-only unit per boot */
        assert_int_equal(n, 10);
        assert_int_equal(junit_write(path, "kpin", cases, n, 100.0), 0);
        xml = read_file_or_die(path, &len);
        compare_golden("report-boottest.xml", xml);
        free(xml);
        unlink(path);
        free(path);
        free_result(&t);
}

static void test_text(void **state) {
        BootTests t;
        char *path = scratch_file(), *text;
        int fd, saved;
        size_t len;

        (void) state;
        make_result(&t);
        fflush(stdout);
        saved = dup(STDOUT_FILENO);
        fd = open(path, O_WRONLY | O_TRUNC);
        assert_true(saved >= 0 && fd >= 0);
        dup2(fd, STDOUT_FILENO);
        close(fd);
        boot_tests_print(&t, "hpc-compute.qcow2", "");
        fflush(stdout);
        dup2(saved, STDOUT_FILENO);
        close(saved);
        text = read_file_or_die(path, &len);
        compare_golden("report-boottest.txt", text);
        free(text);
        unlink(path);
        free(path);
        free_result(&t);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_json),
                cmocka_unit_test(test_junit),
                cmocka_unit_test(test_text),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
