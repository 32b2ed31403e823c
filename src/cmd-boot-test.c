/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/kver.h"
#include "guest/probe.h"
#include "guest/session.h"
#include "kpin.h"
#include "report/json.h"
#include "report/junit.h"
#include "shared/cleanup.h"
#include "shared/log.h"
#include "shared/strv.h"
#include "vm/boot.h"

#define MAX_CHECKS 64

typedef struct Check {
        char *name;
        bool passed;
        char *message;
} Check;

static const char *probe_value(char * const *probe, const char *key) {
        size_t n = strlen(key);

        STRV_FOREACH(l, probe)
                if (strncmp(*l, key, n) == 0 && (*l)[n] == '=')
                        return *l + n + 1;
        return NULL;
}

static int add_check(Check *c, size_t *n, bool passed, char *name, char *message) {
        if (!name || (!passed && !message) || *n >= MAX_CHECKS) {
                free(name);
                free(message);
                return -ENOMEM;
        }
        c[(*n)++] = (Check) { .name = name, .passed = passed, .message = message };
        return 0;
}

/* The verdict, check by check, from what the console and the probe said. */
static int evaluate(const BootResult *b, const char *expect, char * const *modules, Check *c, size_t *n) {
        const char *uname = probe_value(b->probe, "uname");
        const char *running = uname ? uname : b->kernel;
        const char *failed_units = probe_value(b->probe, "failed-units");
        int r;

        r = add_check(c, n, !b->failure && b->probe_done, strdup("boots"),
                      b->failure ? strdup(b->failure) : b->probe_done ? NULL : strdup("the probe never reported"));
        if (r < 0)
                return r;
        r = add_check(c, n, running && (!expect || strcmp(running, expect) == 0 || kver_matches(running, expect)),
                      strprintf("kernel %s", expect ? expect : "(GRUB's default)"),
                      !running ? strdup("no kernel banner on the console")
                               : strprintf("booted %s, expected %s", running, expect ? expect : "?"));
        if (r < 0)
                return r;
        STRV_FOREACH(m, modules) {
                bool ok = false;

                STRV_FOREACH(l, b->probe) {
                        _cleanup_free_ char *want = strprintf("module=%s modprobe=ok loaded=yes", *m);

                        if (!want)
                                return -ENOMEM;
                        if (strcmp(*l, want) == 0)
                                ok = true;
                }
                r = add_check(c, n, ok, strprintf("module %s loads", *m),
                              !b->probe_done ? strdup("the probe never ran") : strprintf("modprobe %s failed in the guest", *m));
                if (r < 0)
                        return r;
        }
        r = add_check(c, n, b->probe_done && failed_units && !*failed_units, strdup("no failed units"),
                      !b->probe_done ? strdup("the probe never ran")
                                     : strprintf("failed units: %s", failed_units ? failed_units : "?"));
        return r;
}

static void stage_line(const BootResult *b) {
        static const char *const names[_STAGE_MAX] = {
                [STAGE_GRUB] = "firmware+GRUB", [STAGE_KERNEL] = "GRUB->kernel", [STAGE_USERSPACE] = "kernel->userspace",
                [STAGE_PROBE] = "userspace->probe", [STAGE_DONE] = "probe",
        };
        double prev = 0;

        printf("  stages:");
        for (int s = 0; s < _STAGE_MAX; s++) {
                if (b->at[s] < 0) {
                        printf(" %s -", names[s]);
                        continue;
                }
                printf(" %s %.1fs", names[s], b->at[s] - prev);
                prev = b->at[s];
        }
        printf("\n");
}

int cmd_boot_test(Context *ctx, char **args) {
        _cleanup_(session_done) Session ss = {};
        _cleanup_(boot_result_done) BootResult b = {};
        _cleanup_free_ char *expect = NULL;
        Check checks[MAX_CHECKS];
        size_t n = 0, failed = 0;
        const char *image = args[0];
        char token[17];
        bool kvm;
        int r;

        if (ctx->timeout_s == 0 || ctx->timeout_s > 24 * 3600)
                return log_fail(KPIN_EXIT_USAGE, -EINVAL, "boot-test: --timeout takes 1 to 86400 seconds");
        if (ctx->memory_mb < 256 || ctx->memory_mb > 65536)
                return log_fail(KPIN_EXIT_USAGE, -EINVAL, "boot-test: --memory takes 256 to 65536 MiB");
        r = probe_token(token);
        if (r < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, r, "cannot draw a random token: %m");

        /* a throw-away overlay with the probe in it; the image is only read */
        r = session_open(image, NULL, false, ctx->accel, ctx->verbosity, false, &ss);
        if (r < 0)
                return r;
        if (ctx->expect_kernel)
                expect = strdup(ctx->expect_kernel);
        else if (ss.before->grub_kernel)
                expect = strdup(ss.before->grub_kernel); /* what GRUB should boot */
        r = probe_inject(ss.gu, token, ctx->expect_modules);
        if (r < 0)
                return r;
        r = session_finish(&ss, false);
        if (r < 0)
                return r;
        r = accel_resolve(ctx->accel, &kvm); /* decided once per run: no second probe */
        if (r < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, r, "probing KVM failed: %m");

        log_info("booting %s (%s, %s)", image, ctx->firmware == FIRMWARE_UEFI ? "UEFI" : "BIOS", kvm ? "KVM" : "TCG");
        r = vm_boot(&(BootOptions) {
                            .disk = ss.txn->overlay,
                            .kvm = kvm,
                            .firmware = ctx->firmware,
                            .memory_mb = ctx->memory_mb,
                            .smp = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 2 : 1,
                            .timeout_s = ctx->timeout_s,
                            .token = token,
                            .expect_kernel = expect,
                            .serial_log = ctx->serial_log,
                    },
                    &b);
        if (r < 0)
                return r;

        r = evaluate(&b, expect, ctx->expect_modules, checks, &n);
        if (r < 0)
                goto out;
        for (size_t i = 0; i < n; i++)
                failed += !checks[i].passed;

        if (ctx->junit) {
                JunitCase jc[MAX_CHECKS];
                _cleanup_free_ char *suite = strprintf("kpin boot-test %s", image);

                for (size_t i = 0; i < n; i++)
                        jc[i] = (JunitCase) {
                                .name = checks[i].name,
                                .passed = checks[i].passed,
                                .message = checks[i].message,
                                .details = checks[i].passed ? NULL : b.tail,
                                .seconds = i == 0 ? b.seconds : 0,
                        };
                r = suite ? junit_write(ctx->junit, suite, jc, n, b.seconds) : -ENOMEM;
                if (r < 0) {
                        r = log_fail(KPIN_EXIT_FAILURE, r, "%s: cannot write the JUnit report: %m", ctx->junit);
                        goto out;
                }
        }
        if (ctx->json || ctx->report) {
                json_object *o = json_object_new_object(), *cs = json_object_new_array(), *st = json_object_new_object(),
                            *probe = json_object_new_array();

                json_object_object_add(o, "kpin", json_object_new_string(PACKAGE_VERSION));
                json_object_object_add(o, "command", json_object_new_string("boot-test"));
                json_object_object_add(o, "ok", json_object_new_boolean(failed == 0));
                json_object_object_add(o, "image", json_object_new_string(image));
                json_object_object_add(o, "accel", json_object_new_string(kvm ? "kvm" : "tcg"));
                json_object_object_add(o, "firmware", json_object_new_string(ctx->firmware == FIRMWARE_UEFI ? "uefi" : "bios"));
                json_object_object_add(o, "expected_kernel", expect ? json_object_new_string(expect) : NULL);
                json_object_object_add(o, "grub_loaded", b.grub_kernel ? json_object_new_string(b.grub_kernel) : NULL);
                json_object_object_add(o, "kernel", b.kernel ? json_object_new_string(b.kernel) : NULL);
                json_object_object_add(o, "failure", b.failure ? json_object_new_string(b.failure) : NULL);
                json_object_object_add(o, "timed_out", json_object_new_boolean(b.timed_out));
                for (int s = 0; s < _STAGE_MAX; s++)
                        json_object_object_add(st, boot_stage_to_string(s), b.at[s] >= 0 ? json_object_new_double(b.at[s]) : NULL);
                json_object_object_add(o, "stages", st);
                for (size_t i = 0; i < n; i++) {
                        json_object *c = json_object_new_object();

                        json_object_object_add(c, "name", json_object_new_string(checks[i].name));
                        json_object_object_add(c, "passed", json_object_new_boolean(checks[i].passed));
                        json_object_object_add(c, "message", checks[i].passed || !checks[i].message ? NULL : json_object_new_string(checks[i].message));
                        json_object_array_add(cs, c);
                }
                json_object_object_add(o, "checks", cs);
                STRV_FOREACH(l, b.probe)
                        json_object_array_add(probe, json_object_new_string(*l));
                json_object_object_add(o, "probe", probe);
                json_object_object_add(o, "console_tail", b.tail ? json_object_new_string(b.tail) : NULL);
                json_object_object_add(o, "seconds", json_object_new_double(b.seconds));
                if (ctx->report)
                        r = json_write(o, ctx->report);
                if (r >= 0 && ctx->json)
                        r = json_write(o, "-");
                json_object_put(o);
                if (r < 0) {
                        r = log_fail(KPIN_EXIT_FAILURE, r, "cannot write the report: %m");
                        goto out;
                }
                ctx->reported = true;
        }
        if (!ctx->json) {
                printf("boot-test %s: %s (%s, %.0f s, %s, %s)\n", image, failed ? "FAIL" : "PASS",
                       b.kernel ? b.kernel : "no kernel", b.seconds, kvm ? "KVM" : "TCG",
                       ctx->firmware == FIRMWARE_UEFI ? "UEFI" : "BIOS");
                stage_line(&b);
                for (size_t i = 0; i < n; i++)
                        printf("  %-5s %s%s%s\n", checks[i].passed ? "ok" : "FAIL", checks[i].name,
                               checks[i].passed ? "" : ": ", checks[i].passed ? "" : checks[i].message);
                if (failed && b.tail) {
                        printf("  last console lines:\n");
                        for (const char *l = b.tail; *l;) {
                                size_t k = strcspn(l, "\n");

                                printf("    | %.*s\n", (int) k, l);
                                l += k + (l[k] == '\n');
                        }
                }
        }
        r = 0;
        if (failed) {
                const char *why = NULL;

                for (size_t i = 0; i < n && !why; i++)
                        if (!checks[i].passed)
                                why = checks[i].message;
                r = log_fail(KPIN_EXIT_BOOT, -EPROTO, "%s: boot test failed: %s", image, why ? why : "?");
        }
out:
        for (size_t i = 0; i < n; i++) {
                free(checks[i].name);
                free(checks[i].message);
        }
        return r;
}
