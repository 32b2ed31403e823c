/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>

#include "report/boottest.h"
#include "report/json.h"
#include "shared/strv.h"

size_t boot_tests_junit_cases(const BootTests *t, JunitCase *cases, size_t n_max) {
        static const char *const classes[_FIRMWARE_MAX] = {
                [FIRMWARE_BIOS] = "kpin.boot-test.bios", [FIRMWARE_UEFI] = "kpin.boot-test.uefi",
                [FIRMWARE_UEFI_SECURE] = "kpin.boot-test.uefi-secure",
        };
        size_t n = 0;

        for (size_t b = 0; b < t->n; b++) {
                const BootTest *bt = &t->boots[b];

                for (size_t i = 0; i < bt->n_checks && n < n_max; i++)
                        cases[n++] = (JunitCase) {
                                .classname = t->n > 1 ? classes[bt->firmware] : "kpin.boot-test",
                                .name = bt->checks[i].name,
                                .passed = bt->checks[i].passed,
                                .message = bt->checks[i].message,
                                .details = bt->checks[i].passed ? NULL : bt->boot.tail,
                                .seconds = i == 0 ? bt->boot.seconds : 0,
                        };
                /* a unit that failed only for want of the network's servers: not
                 * run here (skipped), with why; a failure too under network-units = fail */
                STRV_FOREACH(w, bt->unit_warnings) {
                        if (n >= n_max)
                                break;
                        cases[n++] = (JunitCase) {
                                .classname = t->n > 1 ? classes[bt->firmware] : "kpin.boot-test",
                                .name = *w,
                                .passed = !bt->network_units_fail,
                                .skipped = !bt->network_units_fail,
                                .message = "needs the network's servers: see the cluster test",
                        };
                }
        }
        return n;
}

/* The VM's NIC: on kpin's private segment, its address, how the guest got
 * it and what the guest had; null without one. */
static json_object *network_to_json(const BootTest *t) {
        json_object *n;

        if (!t->mac[0])
                return NULL;
        n = json_object_new_object();
        json_object_object_add(n, "segment", json_object_new_string("private"));
        json_object_object_add(n, "mac", json_object_new_string(t->mac));
        json_object_object_add(n, "address", json_str_or_null(t->address));
        json_object_object_add(n, "configured_by", json_str_or_null(t->net_form));
        json_object_object_add(n, "guest_addresses", json_str_or_null(t->guest_addresses));
        return n;
}

static json_object *unit_warnings_to_json(const BootTest *t) {
        json_object *a = json_object_new_array();

        STRV_FOREACH(w, t->unit_warnings) {
                json_object *u = json_object_new_object();
                /* "UNIT: why": a unit's name has no space, and may have a ':' (device units) */
                const char *sep = strstr(*w, ": ");
                size_t k = sep ? (size_t) (sep - *w) : strlen(*w);

                json_object_object_add(u, "unit", json_object_new_string_len(*w, (int) k));
                json_object_object_add(u, "reason", json_object_new_string(sep ? sep + 2 : ""));
                json_object_object_add(u, "counted", json_object_new_boolean(t->network_units_fail));
                json_object_array_add(a, u);
        }
        return a;
}

static void boot_to_json(const BootTest *t, json_object *o) {
        const BootResult *b = &t->boot;
        json_object *cs = json_object_new_array(), *st = json_object_new_object(), *probe = json_object_new_array();

        json_object_object_add(o, "accel", json_object_new_string(t->kvm ? "kvm" : "tcg"));
        json_object_object_add(o, "firmware", json_object_new_string(firmware_to_string(t->firmware)));
        json_object_object_add(o, "expected_kernel", json_str_or_null(t->expect));
        json_object_object_add(o, "grub_loaded", json_str_or_null(b->grub_kernel));
        json_object_object_add(o, "kernel", json_str_or_null(b->kernel));
        json_object_object_add(o, "failure", json_str_or_null(b->failure));
        json_object_object_add(o, "warnings", json_strv(b->warnings));
        json_object_object_add(o, "timed_out", json_object_new_boolean(b->timed_out));
        json_object_object_add(o, "cloud_init", json_str_or_null(t->cloud_init));
        json_object_object_add(o, "network", network_to_json(t));
        json_object_object_add(o, "unit_warnings", unit_warnings_to_json(t));
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

void boot_tests_to_json(const BootTests *t, json_object *o) {
        json_object *boots = json_object_new_array();
        size_t lead = 0;

        for (size_t i = t->n; i-- > 0;)
                if (t->boots[i].n_failed)
                        lead = i;
        if (t->n)
                boot_to_json(&t->boots[lead], o);
        for (size_t i = 0; i < t->n; i++) {
                json_object *b = json_object_new_object();

                json_object_object_add(b, "ok", json_object_new_boolean(t->boots[i].n_failed == 0));
                boot_to_json(&t->boots[i], b);
                json_object_array_add(boots, b);
        }
        json_object_object_add(o, "boots", boots);
}

static void boot_print(const BootTest *t, const char *image, const char *indent) {
        static const char *const names[_STAGE_MAX] = {
                [STAGE_GRUB] = "firmware+GRUB", [STAGE_KERNEL] = "GRUB->kernel", [STAGE_USERSPACE] = "kernel->userspace",
                [STAGE_PROBE] = "userspace->probe", [STAGE_DONE] = "probe",
        };
        const BootResult *b = &t->boot;
        double prev = 0;

        printf("%sboot-test %s: %s (%s, %.0f s, %s, %s)\n", indent, image, t->n_failed ? "FAIL" : "PASS",
               b->kernel ? b->kernel : "no kernel", b->seconds, t->kvm ? "KVM" : "TCG", firmware_label(t->firmware));
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
        STRV_FOREACH(w, b->warnings)
                printf("%s  warning: %s\n", indent, *w);
        STRV_FOREACH(w, t->unit_warnings)
                printf("%s  warning: %s\n", indent, *w);
        if (t->unit_warnings && !t->network_units_fail)
                printf("%s  %s: %zu failed unit%s only for want of the network's servers, which a VM booted alone on its "
                       "own segment (%s) does not have; not counted ([boot-test] network-units = fail counts them)\n",
                       indent, t->n_failed ? "besides" : "passed", strv_length(t->unit_warnings),
                       strv_length(t->unit_warnings) == 1 ? "" : "s", t->address ? t->address : "no NIC");
        if (t->n_failed && b->tail) {
                printf("%s  last console lines:\n", indent);
                for (const char *l = b->tail; *l;) {
                        size_t k = strcspn(l, "\n");

                        printf("%s    | %.*s\n", indent, (int) k, l);
                        l += k + (l[k] == '\n');
                }
        }
}

void boot_tests_print(const BootTests *t, const char *image, const char *indent) {
        for (size_t i = 0; i < t->n; i++)
                boot_print(&t->boots[i], image, indent);
}
