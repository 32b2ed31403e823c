/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boottest.h"
#include "core/kver.h"
#include "guest/probe.h"
#include "guest/session.h"
#include "report/json.h"
#include "shared/cleanup.h"
#include "shared/log.h"
#include "shared/strv.h"

static const char *probe_value(char * const *probe, const char *key) {
        size_t n = strlen(key);

        STRV_FOREACH(l, probe)
                if (strncmp(*l, key, n) == 0 && (*l)[n] == '=')
                        return *l + n + 1;
        return NULL;
}

static int add_check(BootTest *t, bool passed, char *name, char *message) {
        if (!name || (!passed && !message) || t->n_checks >= BOOT_TEST_MAX_CHECKS) {
                free(name);
                free(message);
                return -ENOMEM;
        }
        if (passed)
                message = mfree(message);
        t->checks[t->n_checks++] = (BootCheck) { .name = name, .passed = passed, .message = message };
        t->n_failed += !passed;
        return 0;
}

/* The verdict, check by check, from what the console and the probe said. */
static int evaluate(BootTest *t, char * const *modules) {
        const BootResult *b = &t->boot;
        const char *uname = probe_value(b->probe, "uname");
        const char *running = uname ? uname : b->kernel;
        const char *failed_units = probe_value(b->probe, "failed-units");
        const char *expect = t->expect;
        int r;

        r = add_check(t, !b->failure && b->probe_done, strdup("boots"),
                      b->failure ? strdup(b->failure) : b->probe_done ? NULL : strdup("the probe never reported"));
        if (r < 0)
                return r;
        r = add_check(t, running && (!expect || strcmp(running, expect) == 0 || kver_matches(running, expect)),
                      strprintf("kernel %s", expect ? expect : "(GRUB's default)"),
                      !running ? strdup("no kernel banner on the console")
                               : strprintf("booted %s, expected %s", running, expect ? expect : "?"));
        if (r < 0)
                return r;
        STRV_FOREACH(m, modules) {
                _cleanup_free_ char *want = strprintf("module=%s modprobe=ok loaded=yes", *m);

                if (!want)
                        return -ENOMEM;
                r = add_check(t, strv_contains(b->probe, want), strprintf("module %s loads", *m),
                              !b->probe_done ? strdup("the probe never ran") : strprintf("modprobe %s failed in the guest", *m));
                if (r < 0)
                        return r;
        }
        return add_check(t, b->probe_done && failed_units && !*failed_units, strdup("no failed units"),
                         !b->probe_done ? strdup("the probe never ran")
                                        : strprintf("failed units: %s", failed_units ? failed_units : "?"));
}

int boot_test_run(const char *disk, ImageFormat fmt, const BootTestRequest *req, BootTest *ret) {
        _cleanup_(session_done) Session ss = {};
        _cleanup_(boot_test_done) BootTest t = { .firmware = req->firmware };
        char token[17];
        int r;

        if (req->timeout_s == 0 || req->timeout_s > 24 * 3600)
                return log_fail(KPIN_EXIT_USAGE, -EINVAL, "boot-test: --timeout takes 1 to 86400 seconds");
        if (req->memory_mb < 256 || req->memory_mb > 65536)
                return log_fail(KPIN_EXIT_USAGE, -EINVAL, "boot-test: --memory takes 256 to 65536 MiB");
        r = probe_token(token);
        if (r < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, r, "cannot draw a random token: %m");

        /* a throw-away overlay with the probe in it; disk is only read */
        r = session_launch(&ss, req->name, disk, fmt, NULL, false, req->accel, req->verbosity, false);
        if (r < 0)
                return r;
        if (req->expect_kernel)
                t.expect = strdup(req->expect_kernel);
        else if (ss.before->grub_kernel)
                t.expect = strdup(ss.before->grub_kernel); /* what GRUB should boot */
        r = probe_inject(ss.gu, token, req->expect_modules);
        if (r < 0)
                return r;
        r = session_finish(&ss, false);
        if (r < 0)
                return r;
        r = accel_resolve(req->accel, &t.kvm); /* decided once per run: no second probe */
        if (r < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, r, "probing KVM failed: %m");

        log_info("booting %s (%s, %s)", req->name, req->firmware == FIRMWARE_UEFI ? "UEFI" : "BIOS",
                 t.kvm ? "KVM" : "TCG");
        r = vm_boot(&(BootOptions) {
                            .disk = ss.txn->overlay,
                            .kvm = t.kvm,
                            .firmware = req->firmware,
                            .memory_mb = req->memory_mb,
                            .smp = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 2 : 1,
                            .timeout_s = req->timeout_s,
                            .token = token,
                            .expect_kernel = t.expect,
                            .serial_log = req->serial_log,
                    },
                    &t.boot);
        if (r < 0)
                return r;
        r = evaluate(&t, req->expect_modules);
        if (r < 0)
                return r;
        *ret = t;
        t = (BootTest) {};
        return 0;
}

void boot_test_done(BootTest *t) {
        boot_result_done(&t->boot);
        free(t->expect);
        for (size_t i = 0; i < t->n_checks; i++) {
                free(t->checks[i].name);
                free(t->checks[i].message);
        }
        *t = (BootTest) {};
}

size_t boot_test_junit_cases(const BootTest *t, JunitCase *cases) {
        for (size_t i = 0; i < t->n_checks; i++)
                cases[i] = (JunitCase) {
                        .classname = "kpin.boot-test",
                        .name = t->checks[i].name,
                        .passed = t->checks[i].passed,
                        .message = t->checks[i].message,
                        .details = t->checks[i].passed ? NULL : t->boot.tail,
                        .seconds = i == 0 ? t->boot.seconds : 0,
                };
        return t->n_checks;
}

void boot_test_to_json(const BootTest *t, json_object *o) {
        const BootResult *b = &t->boot;
        json_object *cs = json_object_new_array(), *st = json_object_new_object(), *probe = json_object_new_array();

        json_object_object_add(o, "accel", json_object_new_string(t->kvm ? "kvm" : "tcg"));
        json_object_object_add(o, "firmware", json_object_new_string(t->firmware == FIRMWARE_UEFI ? "uefi" : "bios"));
        json_object_object_add(o, "expected_kernel", json_str_or_null(t->expect));
        json_object_object_add(o, "grub_loaded", json_str_or_null(b->grub_kernel));
        json_object_object_add(o, "kernel", json_str_or_null(b->kernel));
        json_object_object_add(o, "failure", json_str_or_null(b->failure));
        json_object_object_add(o, "timed_out", json_object_new_boolean(b->timed_out));
        for (int s = 0; s < _STAGE_MAX; s++)
                json_object_object_add(st, boot_stage_to_string(s), b->at[s] >= 0 ? json_object_new_double(b->at[s]) : NULL);
        json_object_object_add(o, "stages", st);
        for (size_t i = 0; i < t->n_checks; i++) {
                json_object *c = json_object_new_object();

                json_object_object_add(c, "name", json_object_new_string(t->checks[i].name));
                json_object_object_add(c, "passed", json_object_new_boolean(t->checks[i].passed));
                json_object_object_add(c, "message", json_str_or_null(t->checks[i].message));
                json_object_array_add(cs, c);
        }
        json_object_object_add(o, "checks", cs);
        STRV_FOREACH(l, b->probe)
                json_object_array_add(probe, json_object_new_string(*l));
        json_object_object_add(o, "probe", probe);
        json_object_object_add(o, "console_tail", json_str_or_null(b->tail));
        json_object_object_add(o, "seconds", json_object_new_double(b->seconds));
}

void boot_test_print(const BootTest *t, const char *image, const char *indent) {
        static const char *const names[_STAGE_MAX] = {
                [STAGE_GRUB] = "firmware+GRUB", [STAGE_KERNEL] = "GRUB->kernel", [STAGE_USERSPACE] = "kernel->userspace",
                [STAGE_PROBE] = "userspace->probe", [STAGE_DONE] = "probe",
        };
        const BootResult *b = &t->boot;
        double prev = 0;

        printf("%sboot-test %s: %s (%s, %.0f s, %s, %s)\n", indent, image, t->n_failed ? "FAIL" : "PASS",
               b->kernel ? b->kernel : "no kernel", b->seconds, t->kvm ? "KVM" : "TCG",
               t->firmware == FIRMWARE_UEFI ? "UEFI" : "BIOS");
        printf("%s  stages:", indent);
        for (int s = 0; s < _STAGE_MAX; s++) {
                if (b->at[s] < 0) {
                        printf(" %s -", names[s]);
                        continue;
                }
                printf(" %s %.1fs", names[s], b->at[s] - prev);
                prev = b->at[s];
        }
        printf("\n");
        for (size_t i = 0; i < t->n_checks; i++)
                printf("%s  %-5s %s%s%s\n", indent, t->checks[i].passed ? "ok" : "FAIL", t->checks[i].name,
                       t->checks[i].passed ? "" : ": ", t->checks[i].passed ? "" : t->checks[i].message);
        if (t->n_failed && b->tail) {
                printf("%s  last console lines:\n", indent);
                for (const char *l = b->tail; *l;) {
                        size_t k = strcspn(l, "\n");

                        printf("%s    | %.*s\n", indent, (int) k, l);
                        l += k + (l[k] == '\n');
                }
        }
}

const char *boot_test_first_failure(const BootTest *t) {
        for (size_t i = 0; i < t->n_checks; i++)
                if (!t->checks[i].passed)
                        return t->checks[i].message;
        return NULL;
}
