/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/boottest.h"
#include "report/forecast.h"
#include "report/json.h"
#include "report/junit.h"
#include "report/run.h"
#include "report/steps.h"
#include "shared/cleanup.h"
#include "shared/log.h"
#include "shared/strbuf.h"
#include "shared/strv.h"

#define MAX_JUNIT_CASES (_STEP_MAX + _FIRMWARE_MAX * BOOT_TEST_MAX_CHECKS)

/* What a CI dashboard shows beside the cases: the kernel, and what a roll
 * forward changed and fixed. */
static int junit_properties(const Repair *rp, char ***ret) {
        const PinRoll *roll = &rp->pin.roll;
        const char *kernel = rp->pin.release ? rp->pin.release : rp->settled;
        _cleanup_free_ char *count = NULL, *cves = NULL, *summary = NULL;
        int r = 0;

        if (kernel && ((r = strv_extend(ret, "kpin.kernel")) < 0 || (r = strv_extend(ret, kernel)) < 0))
                return r;
        if (rp->settled && ((r = strv_extend(ret, "kpin.nothing-to-do")) < 0 || (r = strv_extend(ret, "true")) < 0))
                return r;
        if (rp->forecast.series) {
                _cleanup_strv_free_ char **v = forecast_verdict(&rp->forecast);
                _cleanup_(strbuf_done) StrBuf b = {};

                if (!v || strbuf_join(&b, v, "; ") < 0)
                        return -ENOMEM;
                if ((r = strv_extend(ret, "kpin.forecast")) < 0 || (r = strv_consume(ret, strbuf_steal(&b))) < 0 ||
                    (r = strv_extend(ret, "kpin.forecast.lifted")) < 0 ||
                    (r = strv_extend(ret, rp->forecast.lifted ? "true" : "false")) < 0)
                        return r;
        }
        if (!roll->from)
                return 0;
        summary = pin_roll_summary(roll, rp->pin.release);
        if (roll->changelog_known) {
                _cleanup_(strbuf_done) StrBuf b = {};

                count = strprintf("%zu", roll->n_cves);
                if (strbuf_join(&b, roll->cves, " ") < 0)
                        return -ENOMEM;
                cves = strbuf_steal(&b);
                if (!cves)
                        cves = strdup("");
        }
        if (!summary || (roll->changelog_known && (!count || !cves)))
                return -ENOMEM;
        char *pairs[] = { "kpin.roll", summary, "kpin.roll.from", roll->from, "kpin.roll.to", rp->pin.release,
                          "kpin.roll.from-version", roll->from_version ? roll->from_version : "",
                          "kpin.roll.to-version", roll->to_version ? roll->to_version : "",
                          "kpin.roll.cve-count", count, "kpin.roll.cves", cves };
        for (size_t i = 0; i < ELEMENTSOF(pairs) && r >= 0; i += 2)
                if (pairs[i + 1])
                        r = strv_extend(ret, pairs[i]) < 0 ? -ENOMEM : strv_extend(ret, pairs[i + 1]);
        return r;
}

/* repair: one testcase per step (classname kpin.repair), the boot checks
 * in place of the boot-test step, steps not reached as skipped;
 * boot-test: the checks. */
static int write_junit(const Repair *rp, double seconds) {
        const Plan *pl = rp->plan;
        _cleanup_free_ JunitCase *jc = calloc(MAX_JUNIT_CASES, sizeof(JunitCase));
        _cleanup_free_ char *suite = NULL;
        _cleanup_strv_free_ char **props = NULL;
        size_t n = 0;
        int r;

        if (!jc)
                return -ENOMEM;
        if (pl->verb == PLAN_BOOT_TEST) {
                suite = strprintf("kpin boot-test %s", pl->image);
                n = boot_tests_junit_cases(&rp->boot, jc, MAX_JUNIT_CASES);
                seconds = rp->boot_ran && rp->boot.n ? rp->boot.boots[0].boot.seconds : seconds;
        } else {
                suite = strprintf("kpin repair %s", pl->profile_name ? pl->profile_name : pl->image);
                for (StepId s = 0; s < _STEP_MAX; s++) {
                        const Step *st = &rp->steps[s];

                        if (!st->planned)
                                continue;
                        if (s == STEP_BOOT_TEST && rp->boot_ran) {
                                n += boot_tests_junit_cases(&rp->boot, jc + n, MAX_JUNIT_CASES - n);
                                continue;
                        }
                        jc[n++] = (JunitCase) {
                                .classname = "kpin.repair",
                                .name = step_to_string(s),
                                .passed = st->ran && st->ok,
                                .skipped = !st->ran,
                                .message = st->ran ? st->error : "not run: an earlier step failed",
                                .seconds = st->seconds,
                        };
                }
        }
        if (!suite)
                return -ENOMEM;
        r = junit_properties(rp, &props);
        if (r < 0)
                return r;
        r = junit_write_props(pl->junit, suite, jc, n, seconds, props);
        if (r < 0)
                return log_fail(KPIN_EXIT_FAILURE, r, "%s: cannot write the JUnit report: %m", pl->junit);
        return 0;
}

static json_object *state_json(const GuestState *s) {
        json_object *o = s ? json_object_new_object() : NULL;

        if (o && guest_state_to_json(NULL, NULL, s, o) < 0) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

static void fetch_to_json(const Repair *rp, json_object *o) {
        json_object_object_add(o, "fetched", json_object_new_boolean(rp->fetch_ran));
        json_object_object_add(o, "kernel", json_str_or_null(rp->fetch.release));
        json_object_object_add(o, "directory", json_str_or_null(rp->plan->packages));
        json_object_object_add(o, "from", json_strv(rp->plan->fetch_from));
        json_object_object_add(o, "packages", json_strv(rp->fetch.packages));
}

static json_object *repair_json(const Repair *rp, int code, double seconds) {
        const Plan *pl = rp->plan;
        json_object *o = code ? json_failure("repair", code, log_failure_message()) : json_envelope("repair", true, NULL);
        json_object *steps = json_object_new_array(), *x;

        if (!o || !steps) {
                json_object_put(o);
                json_object_put(steps);
                return NULL;
        }
        json_object_object_add(o, "image", json_object_new_string(pl->image));
        json_object_object_add(o, "output", json_str_or_null(code ? NULL : repair_target(rp)));
        json_object_object_add(o, "profile", json_str_or_null(pl->profile_path));
        json_object_object_add(o, "changed", json_object_new_boolean(!code && rp->changed));
        json_object_object_add(o, "kernel", json_str_or_null(rp->pin.release ? rp->pin.release : rp->settled));
        json_object_object_add(o, "nothing_to_do", json_object_new_boolean(!code && rp->settled));
        for (StepId s = 0; s < _STEP_MAX; s++) {
                if (!rp->steps[s].ran)
                        continue;
                x = json_object_new_object();
                json_object_object_add(x, "name", json_object_new_string(step_to_string(s)));
                json_object_object_add(x, "ok", json_object_new_boolean(rp->steps[s].ok));
                json_object_object_add(x, "seconds", json_object_new_double(rp->steps[s].seconds));
                json_object_object_add(x, "error", json_str_or_null(rp->steps[s].error));
                json_object_array_add(steps, x);
        }
        json_object_object_add(o, "steps", steps);
        json_object_object_add(o, "failed_step", json_str_or_null(repair_failed_step(rp)));
        x = NULL;
        if (rp->steps[STEP_FETCH].ran) {
                x = json_object_new_object();
                fetch_to_json(rp, x);
        }
        json_object_object_add(o, "fetch", x);
        json_object_object_add(o, "before", state_json(rp->before));
        json_object_object_add(o, "after", state_json(rp->after));
        x = NULL;
        if (rp->pin.release) {
                x = json_object_new_object();
                pin_result_to_json(&rp->pin, x);
        }
        json_object_object_add(o, "pin", x);
        x = NULL;
        if (rp->dkms_ran) {
                x = json_object_new_object();
                dkms_result_to_json(&rp->dkms, x);
        }
        json_object_object_add(o, "dkms", x);
        x = NULL;
        if (rp->boot_ran) {
                x = json_object_new_object();
                json_object_object_add(x, "ok", json_object_new_boolean(rp->boot.n_failed == 0));
                boot_tests_to_json(&rp->boot, x);
        }
        json_object_object_add(o, "boot_test", x);
        json_object_object_add(o, "forecast", rp->forecast.series ? forecast_to_json(&rp->forecast) : NULL);
        json_object_object_add(o, "seconds", json_object_new_double(seconds));
        return o;
}

/* pin, dkms, fetch: their result, for a run that succeeded */
static json_object *verb_json(const Repair *rp, double seconds) {
        const Plan *pl = rp->plan;
        json_object *o = json_envelope(plan_verb_to_string(pl->verb), true, pl->image);

        if (!o)
                return NULL;
        if (pl->verb == PLAN_FETCH)
                fetch_to_json(rp, o);
        else
                json_object_object_add(o, "output", json_str_or_null(repair_target(rp)));
        if (pl->verb == PLAN_PIN)
                pin_result_to_json(&rp->pin, o);
        else if (pl->verb == PLAN_DKMS)
                dkms_result_to_json(&rp->dkms, o);
        json_object_object_add(o, "seconds", json_object_new_double(seconds));
        return o;
}

static void print_repair(const Repair *rp, double seconds) {
        const Plan *pl = rp->plan;
        const char *target = repair_target(rp);

        if (rp->fetch_ran)
                printf("fetched Linux %s into %s (%zu packages)\n", rp->fetch.release, pl->packages,
                       strv_length(rp->fetch.packages));
        if (rp->settled)
                printf("%s: nothing to do: it boots %s, the newest Linux %s offered, held, with its modules built%s%s\n",
                       pl->image, rp->settled, pl->kernel, target && !pl->in_place ? "; copied to " : "",
                       target && !pl->in_place ? target : "");
        else if (rp->changed)
                pin_result_print(&rp->pin, target);
        else
                printf("%s already boots and holds %s%s: nothing changed%s%s\n", pl->image, rp->pin.release,
                       rp->dkms_ran ? " with its modules" : "", target && strcmp(target, pl->image) != 0 ? "; copied to " : "",
                       target && strcmp(target, pl->image) != 0 ? target : "");
        if (rp->dkms_ran)
                dkms_result_print(&rp->dkms, "  dkms:      ", "             ");
        if (rp->boot_ran)
                boot_tests_print(&rp->boot, target ? target : pl->image, "  ");
        if (rp->forecast.series)
                forecast_print(&rp->forecast, "  forecast: ");
        printf("  steps:    ");
        for (StepId s = 0; s < _STEP_MAX; s++)
                if (rp->steps[s].ran)
                        printf(" %s %.0fs", step_to_string(s), rp->steps[s].seconds);
        if (rp->forecast.series)
                printf(" forecast %.0fs", rp->forecast.seconds);
        printf("\n  took %.0f s", seconds);
        if (pl->profile_name)
                printf(" (profile %s)", pl->profile_name);
        printf("\n");
}

static void print_verb(const Repair *rp, double seconds) {
        const Plan *pl = rp->plan;
        const char *target = repair_target(rp);

        switch (pl->verb) {
        case PLAN_PIN:
                if (!rp->pin.changed) {
                        printf("%s already boots and holds %s: nothing changed\n", pl->image, rp->pin.release);
                        return;
                }
                pin_result_print(&rp->pin, target);
                printf("  took %.0f s\n", seconds);
                return;
        case PLAN_DKMS:
                dkms_result_print(&rp->dkms, "", "");
                if (!rp->dkms.changed && target && !pl->in_place)
                        printf("%s: nothing changed; copied to %s\n", pl->image, target);
                else if (!rp->dkms.changed)
                        printf("%s: nothing changed\n", pl->image);
                else
                        printf("-> %s (%.0f s)\n", target, seconds);
                return;
        case PLAN_BOOT_TEST:
                boot_tests_print(&rp->boot, pl->image, "");
                return;
        case PLAN_FETCH:
                printf("fetched Linux %s for %s into %s (%zu packages, MANIFEST)\n", rp->fetch.release, pl->image,
                       pl->packages, strv_length(rp->fetch.packages));
                STRV_FOREACH(p, rp->fetch.packages)
                        printf("  %s\n", *p);
                return;
        case PLAN_REPAIR:
                print_repair(rp, seconds);
                return;
        default:
                return;
        }
}

int report_run(const Repair *rp, const ReportOptions *o, int code, double seconds) {
        const Plan *pl = rp->plan;
        bool boot_verdict = pl->verb == PLAN_BOOT_TEST && rp->boot_ran;
        bool reported = false;
        int r;

        if (pl->junit && (pl->verb == PLAN_REPAIR || boot_verdict)) {
                r = write_junit(rp, seconds);
                if (r < 0 && code == 0)
                        return r;
        }
        if (o->json || o->report) {
                json_object *j = NULL;

                if (pl->verb == PLAN_REPAIR)
                        j = repair_json(rp, code, seconds);
                else if (boot_verdict) {
                        j = json_envelope("boot-test", rp->boot.n_failed == 0, pl->image);
                        if (j)
                                boot_tests_to_json(&rp->boot, j);
                } else if (code == 0)
                        j = verb_json(rp, seconds);
                if (j) {
                        r = json_emit(j, o->json, o->report);
                        if (r < 0 && code == 0)
                                return r;
                        reported = true;
                }
        }
        /* a boot test that ran tells its verdict, passed or not */
        if (!o->json && (code == 0 || boot_verdict))
                print_verb(rp, seconds);
        return reported;
}

static void print_indented(const char *indent, const char *text) {
        for (const char *p = text; *p;) {
                const char *eol = strchrnul(p, '\n');

                printf("%s%.*s\n", indent, (int) (eol - p), p);
                p = *eol ? eol + 1 : eol;
        }
}

static void print_boot_paths(const BootPaths *b) {
        printf("boot:\n");
        if (!b->disk) {
                printf("  the root filesystem is not on a partition: boot paths unknown\n");
                return;
        }
        printf("  BIOS:     %s", b->firmwares & (1u << FIRMWARE_BIOS) ? "yes" : "no");
        printf(" (%s, boot code in the MBR: %s%s%s)\n", b->table ? b->table : "no partition table",
               b->mbr_code ? "yes" : "no", b->bios_boot ? ", BIOS boot partition " : "", b->bios_boot ? b->bios_boot : "");
        printf("  UEFI:     %s", b->firmwares & (1u << FIRMWARE_UEFI) ? "yes" : "no");
        if (b->esp)
                printf(" (ESP %s%s%s)", b->esp, b->esp_mount ? " on " : ", not mounted by the guest",
                       b->esp_mount ? b->esp_mount : "");
        printf("\n");
        STRV_FOREACH(l, b->loaders)
                printf("            %s\n", *l);
        if (b->esp)
                printf("  removable path EFI/BOOT/BOOTX64.EFI: %s\n", b->removable ? "yes" : "no");
        if (b->esp || b->kernel_signed)
                printf("  Secure Boot chain: %s (shim %s, GRUB %s, kernel %s)\n",
                       boot_paths_secure_chain(b) ? "yes" : "no", b->shim ? "yes" : "no",
                       b->grub_signed ? "signed" : "unsigned", b->kernel_signed ? "signed" : "unsigned");
}

static void print_inspect(const char *image, const ImageInfo *img, const GuestState *s) {
        const GuestOs *g = &s->os;

        printf("image:    %s (%s, %.1f GiB virtual%s%s)\n", image, image_format_to_string(img->format),
               (double) img->virtual_size / (1024.0 * 1024 * 1024),
               img->backing_file ? ", backing file " : "", img->backing_file ? img->backing_file : "");
        printf("os:       %s (%s %d.%d, %s)\n", g->product, g->distro, g->major, g->minor, g->arch);
        printf("root:     %s (%s)\n", g->root, g->root_fstype ? g->root_fstype : "unknown");

        printf("kernels:\n");
        if (s->n_kernels == 0)
                printf("  none found in /boot\n");
        for (size_t i = 0; i < s->n_kernels; i++) {
                const KernelInfo *k = &s->kernels[i];
                bool def = s->grub_kernel && strcmp(s->grub_kernel, k->release) == 0;

                printf("  %c %-32s %s %s  headers:%s initramfs:%s\n", def ? '*' : ' ', k->release,
                       k->package ? k->package : "(no package)", k->package_version ? k->package_version : "",
                       k->headers ? "yes" : "no", k->initramfs ? "yes" : "no");
        }

        printf("grub:\n");
        printf("  GRUB_DEFAULT=%s (/etc/default/grub)\n", s->grub_configured ? s->grub_configured : "(unset)");
        if (s->grub_value)
                printf("  default:  %s (from %s)\n", s->grub_value, s->grub_value_source);
        if (s->grub.entry)
                printf("  boots:    %s -> %s\n            id %s\n", s->grub.title_path,
                       s->grub_kernel ? s->grub_kernel : "(no Linux kernel)", s->grub.id_path);
        if (s->grub_problem)
                printf("  problem:  %s\n", s->grub_problem);
        print_boot_paths(&s->boot);

        printf("holds:%s\n", s->n_holds ? "" : " none");
        for (size_t i = 0; i < s->n_holds; i++)
                printf("  %s %s\n", s->holds[i].name, s->holds[i].version);
        printf("apt pins on kernels:%s\n", s->n_pins ? "" : " none");
        for (size_t i = 0; i < s->n_pins; i++)
                printf("  %s:%u  Package: %s  Pin: %s  Pin-Priority: %s\n", s->pins[i].file, s->pins[i].line,
                       s->pins[i].package, s->pins[i].pin, s->pins[i].priority);

        printf("dkms:%s\n", s->n_dkms ? "" : " no modules");
        for (size_t i = 0; i < s->n_dkms; i++) {
                const DkmsModule *m = &s->dkms[i];

                printf("  %s/%s\n", m->name, m->version);
                for (size_t j = 0; j < m->n_kernels; j++) {
                        const DkmsKernel *k = &m->kernels[j];

                        printf("    %-32s %s", k->kernel, dkms_state_to_string(k->state));
                        if (k->signature.key_id)
                                printf(", signed by '%s'%s", k->signature.signer,
                                       k->dkms_key ? " (DKMS's own key, /var/lib/dkms/mok.pub)" : "");
                        printf("\n");
                        if (k->error)
                                print_indented("      ", k->error);
                        if (k->log)
                                printf("      log: %s (in the guest)\n", k->log);
                }
        }
        if (s->broken_packages) {
                printf("packages dpkg left unconfigured:\n");
                STRV_FOREACH(b, s->broken_packages)
                        printf("  %s\n", *b);
        }
        STRV_FOREACH(n, s->notes)
                printf("note: %s\n", *n);
}

int report_inspect(const Repair *rp, const ReportOptions *o) {
        const char *image = rp->plan->image;
        int r;

        if (o->json || o->report) {
                json_object *j = json_envelope("inspect", true, NULL);

                if (!j)
                        return -ENOMEM;
                r = guest_state_to_json(&rp->session.img, image, rp->before, j);
                if (r < 0) {
                        json_object_put(j);
                        return log_fail(KPIN_EXIT_FAILURE, r, "building the JSON report failed: %m");
                }
                r = json_emit(j, o->json, o->report);
                if (r < 0)
                        return r;
        }
        if (!o->json)
                print_inspect(image, &rp->session.img, rp->before);
        return 0;
}

/* A table cell's text as Markdown keeps it: no line breaks, pipes escaped,
 * the error in a code span. */
static void md_cell(const char *s) {
        for (; s && *s && *s != '\n'; s++) {
                if (*s == '|')
                        fputs("\\|", stdout);
                else if (*s == '`')
                        fputc('\'', stdout);
                else if ((unsigned char) *s >= ' ')
                        fputc(*s, stdout);
        }
}

/* The module x kernel table a site pastes into its documentation: a row
 * per module, a column per kernel, in the order they were tried. */
static void print_matrix_markdown(const char *image, const DkmsCell *c, size_t n) {
        _cleanup_strv_free_ char **kernels = NULL, **mods = NULL;

        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *mv = strprintf("%s/%s", c[i].name, c[i].version);

                if (!mv || (!strv_contains(kernels, c[i].kernel) && strv_extend(&kernels, c[i].kernel) < 0) ||
                    (!strv_contains(mods, mv) && strv_extend(&mods, mv) < 0))
                        return;
        }
        printf("DKMS modules of `");
        md_cell(image);
        printf("` against each kernel (kpin dkms --matrix):\n\n| module |");
        STRV_FOREACH(k, kernels)
                printf(" %s |", *k);
        printf("\n|---|");
        STRV_FOREACH(k, kernels)
                printf("---|");
        printf("\n");
        STRV_FOREACH(m, mods) {
                printf("| ");
                md_cell(*m);
                printf(" |");
                STRV_FOREACH(k, kernels) {
                        const DkmsCell *x = NULL;

                        for (size_t i = 0; i < n && !x; i++) {
                                _cleanup_free_ char *mv = strprintf("%s/%s", c[i].name, c[i].version);

                                if (mv && strcmp(mv, *m) == 0 && strcmp(c[i].kernel, *k) == 0)
                                        x = &c[i];
                        }
                        if (!x)
                                printf(" - |");
                        else if (x->built)
                                printf(" builds%s |", x->cached ? " (build cache)" : "");
                        else {
                                printf(" **fails**: `");
                                md_cell(x->error ? x->error : "?");
                                printf("` |");
                        }
                }
                printf("\n");
        }
}

int report_matrix(const char *image, const DkmsCell *c, size_t n, const ReportOptions *o, double seconds,
                  bool markdown) {
        size_t wm = strlen("module"), wk = strlen("kernel");

        if (o->json || o->report) {
                json_object *j = json_envelope("dkms", true, image), *cells = json_object_new_array();

                if (!j || !cells) {
                        json_object_put(j);
                        json_object_put(cells);
                        return -ENOMEM;
                }
                for (size_t i = 0; i < n; i++) {
                        json_object *x = json_object_new_object();

                        json_object_object_add(x, "module", json_object_new_string(c[i].name));
                        json_object_object_add(x, "version", json_object_new_string(c[i].version));
                        json_object_object_add(x, "kernel", json_object_new_string(c[i].kernel));
                        json_object_object_add(x, "status", json_object_new_string(c[i].built ? "built" : "failed"));
                        json_object_object_add(x, "cached", json_object_new_boolean(c[i].cached));
                        json_object_object_add(x, "error", json_str_or_null(c[i].error));
                        json_object_object_add(x, "log", json_str_or_null(c[i].log));
                        json_object_object_add(x, "seconds", json_object_new_double(c[i].seconds));
                        json_object_array_add(cells, x);
                }
                json_object_object_add(j, "matrix", cells);
                json_object_object_add(j, "seconds", json_object_new_double(seconds));
                if (json_emit(j, o->json, o->report) < 0)
                        return -EIO;
        }
        if (o->json)
                return 0;
        if (markdown) {
                print_matrix_markdown(image, c, n);
                return 0;
        }
        for (size_t i = 0; i < n; i++) {
                size_t m = strlen(c[i].name) + 1 + strlen(c[i].version);

                wm = m > wm ? m : wm;
                wk = strlen(c[i].kernel) > wk ? strlen(c[i].kernel) : wk;
        }
        printf("%-*s  %-*s  %-6s  %6s\n", (int) wm, "module", (int) wk, "kernel", "result", "time");
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *mv = strprintf("%s/%s", c[i].name, c[i].version);

                printf("%-*s  %-*s  %-6s  %5.0fs\n", (int) wm, mv ? mv : c[i].name, (int) wk, c[i].kernel,
                       c[i].cached ? "cached" : c[i].built ? "built" : "FAILED", c[i].seconds);
                if (!c[i].built && c[i].error)
                        print_indented("    ", c[i].error);
        }
        return 0;
}
