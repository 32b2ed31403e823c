/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/manifest.h"
#include "core/profile.h"
#include "guest/debian.h"
#include "guest/dkms.h"
#include "guest/session.h"
#include "kpin.h"
#include "report/json.h"
#include "report/junit.h"
#include "report/steps.h"
#include "shared/cleanup.h"
#include "shared/clock.h"
#include "shared/log.h"
#include "shared/strv.h"
#include "vm/boottest.h"

#define PROFILE_MAX (64 * 1024)
#define MANIFEST_MAX (4 * 1024 * 1024)

/* What this repair does: the command line over the profile. */
typedef struct Plan {
        const char *image, *profile_name;
        const char *kernel, *flavour, *packages;
        bool network, purge_old, hold;
        char **modules, **build_configs;
        const char *source;
        bool boot_test;
        const char *expect_kernel;
        char **expect_modules;
        unsigned timeout_s;
        Firmware firmware;
        int memory_mb;
} Plan;

typedef struct Step {
        const char *name;
        bool ok;
        double seconds;
        char *error;
} Step;

#define MAX_STEPS 8

typedef struct Repair {
        Step steps[MAX_STEPS];
        size_t n_steps;
        double t0, step_t0;
        json_object *before, *after;
        PinResult pin;
        DkmsResult dkms;
        bool dkms_ran;
        BootTest boot;
        bool boot_ran;
        bool changed;
} Repair;

static void repair_done(Repair *r) {
        for (size_t i = 0; i < r->n_steps; i++)
                free(r->steps[i].error);
        json_object_put(r->before);
        json_object_put(r->after);
        pin_result_done(&r->pin);
        dkms_result_done(&r->dkms);
        boot_test_done(&r->boot);
}

/* KPIN_FAULT_STEP=NAME[+SECONDS]: the reliability tests' crash, a SIGKILL
 * as step NAME begins (or SECONDS into it), so they can prove that no step
 * boundary leaves a damaged original or a half-written result. */
static void fault_inject(const char *step) {
        const char *spec = getenv("KPIN_FAULT_STEP"), *plus;
        size_t n;
        pid_t self = getpid();

        if (!spec)
                return;
        plus = strchr(spec, '+');
        n = plus ? (size_t) (plus - spec) : strlen(spec);
        if (strlen(step) != n || strncmp(spec, step, n) != 0)
                return;
        log_warning("KPIN_FAULT_STEP=%s: killing kpin (pid %d)", spec, (int) self);
        if (!plus) {
                kill(self, SIGKILL);
                return;
        }
        if (fork() == 0) {
                /* a watchdog: the step goes on until it fires; it holds
                 * none of kpin's files, not even a test's output pipe */
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);

                for (int fd = 0; fd < 3; fd++)
                        (void) dup2(null, fd);
                (void) close_range(3, ~0U, 0);
                sleep((unsigned) strtoul(plus + 1, NULL, 10));
                kill(self, SIGKILL);
                _exit(0);
        }
}

static void step_begin(Repair *rp, const char *name) {
        rp->step_t0 = monotonic_s();
        if (rp->n_steps < MAX_STEPS)
                rp->steps[rp->n_steps++] = (Step) { .name = name };
        fault_inject(name);
}

/* Ends the current step with r; a failure keeps the run's one-line error. */
static int step_end(Repair *rp, int r) {
        Step *s = &rp->steps[rp->n_steps - 1];
        double now = monotonic_s();

        s->seconds = now - rp->step_t0;
        s->ok = r >= 0;
        if (r < 0) {
                if (log_failure_exit_code() == 0)
                        (void) log_fail(KPIN_EXIT_FAILURE, r, "%s failed: %s", s->name, strerror(-r));
                s->error = strdup(log_failure_message() ? log_failure_message() : strerror(-r));
        }
        log_info("[%5.0f s] %-9s %s in %.0f s", now - rp->t0, s->name, r >= 0 ? "done" : "FAILED", s->seconds);
        return r;
}

/* Reads a small host file the user named (profile, Packer manifest). */
static int read_host_file(const char *path, size_t max, const char *what, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t n = 0;

        if (fd < 0)
                return log_fail(KPIN_EXIT_USAGE, -errno, "%s: cannot read the %s: %m", path, what);
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return log_fail(KPIN_EXIT_USAGE, -EINVAL, "%s: the %s is not a regular file", path, what);
        if ((size_t) st.st_size > max)
                return log_fail(KPIN_EXIT_USAGE, -EFBIG, "%s: the %s is larger than %zu KiB", path, what, max / 1024);
        buf = malloc((size_t) st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        while (n < (size_t) st.st_size) {
                ssize_t k = read(fd, buf + n, (size_t) st.st_size - n);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return log_fail(KPIN_EXIT_USAGE, k < 0 ? -errno : -EIO, "%s: cannot read the %s: %m", path, what);
                n += (size_t) k;
        }
        buf[n] = '\0';
        if (strlen(buf) != n)
                return log_fail(KPIN_EXIT_USAGE, -EINVAL, "%s: the %s holds a NUL byte", path, what);
        *ret = TAKE_PTR(buf);
        *ret_len = n;
        return 0;
}

static int load_profile(const char *path, Profile *ret) {
        _cleanup_free_ char *text = NULL, *error = NULL;
        size_t len;
        int r;

        r = read_host_file(path, PROFILE_MAX, "profile", &text, &len);
        if (r < 0)
                return r;
        r = profile_parse(path, text, ret, &error);
        if (r == -EINVAL)
                return log_fail(KPIN_EXIT_USAGE, r, "%s", error);
        return r;
}

/* The artifact of $PACKER_BUILD_NAME (in $PACKER_RUN_UUID) in Packer's
 * manifest; its path is relative to where Packer runs, as Packer writes it. */
static int manifest_image(const char *path, char **ret) {
        _cleanup_free_ char *text = NULL, *error = NULL;
        const char *build = getenv("PACKER_BUILD_NAME"), *run = getenv("PACKER_RUN_UUID");
        size_t len;
        int r;

        if (!build || !*build)
                return log_fail(KPIN_EXIT_USAGE, -EINVAL,
                                "%s: PACKER_BUILD_NAME is not set: --packer-manifest is for a Packer shell-local "
                                "post-processor (or give IMAGE)", path);
        r = read_host_file(path, MANIFEST_MAX, "Packer manifest", &text, &len);
        if (r < 0)
                return r;
        r = packer_manifest_artifact(text, len, build, run && *run ? run : NULL, ret, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return log_fail(KPIN_EXIT_USAGE, r, "%s: %s", path, error);
        return 0;
}

static int make_plan(const Context *ctx, char **args, const Profile *p, char **manifest_artifact, Plan *ret) {
        Plan pl = {
                .image = args[0],
                .profile_name = p->name,
                .kernel = ctx->kernel ? ctx->kernel : p->kernel,
                .flavour = ctx->flavour ? ctx->flavour : p->flavour,
                .packages = ctx->packages ? ctx->packages : p->packages,
                .network = ctx->used & OPT_NETWORK ? ctx->network : p->network > 0,
                .purge_old = ctx->used & OPT_OLD ? ctx->purge_old : p->purge_old > 0,
                .hold = ctx->used & OPT_HOLD ? ctx->hold : p->hold != 0,
                .modules = ctx->modules ? ctx->modules : p->modules,
                .build_configs = ctx->build_configs ? ctx->build_configs : p->build_configs,
                .source = ctx->source ? ctx->source : p->source,
                .boot_test = ctx->used & OPT_NO_BOOT_TEST ? false : p->boot_test != 0,
                .expect_kernel = ctx->expect_kernel ? ctx->expect_kernel : p->expect_kernel,
                .expect_modules = ctx->expect_modules ? ctx->expect_modules : p->expect_modules,
                .timeout_s = ctx->used & OPT_TIMEOUT ? ctx->timeout_s : p->timeout_s ? p->timeout_s : ctx->timeout_s,
                .firmware = ctx->used & OPT_FIRMWARE ? ctx->firmware : p->firmware >= 0 ? (Firmware) p->firmware : ctx->firmware,
                .memory_mb = ctx->used & OPT_MEMORY ? ctx->memory_mb : p->memory_mb ? p->memory_mb : ctx->memory_mb,
        };
        int r;

        /* where the image comes from: IMAGE, else Packer's manifest, else the profile */
        if (!pl.image && ctx->packer_manifest) {
                r = manifest_image(ctx->packer_manifest, manifest_artifact);
                if (r < 0)
                        return r;
                pl.image = *manifest_artifact;
        } else if (args[0] && ctx->packer_manifest)
                return log_fail(KPIN_EXIT_USAGE, -EINVAL, "repair: give IMAGE or --packer-manifest, not both");
        if (!pl.image)
                pl.image = p->image;
        if (!pl.image)
                return log_fail(KPIN_EXIT_USAGE, -EINVAL,
                                "repair: no image: give IMAGE, --packer-manifest FILE or a profile with [image] path");
        if (!pl.kernel)
                return log_fail(KPIN_EXIT_USAGE, -EINVAL, "repair: no kernel: give --kernel or [kernel] series in a profile");
        if (pl.packages && pl.network)
                return log_fail(KPIN_EXIT_USAGE, -EINVAL, "repair: --packages DIR (offline) and --network exclude each other");
        if (!ctx->output == !ctx->in_place)
                return log_fail(KPIN_EXIT_USAGE, -EINVAL, "repair: give exactly one of -o OUT and --in-place");
        *ret = pl;
        return 0;
}

static int state_json(Session *ss, const GuestState *st, json_object **ret) {
        json_object *o = NULL;
        int r;

        r = inspect_to_json(ss->image, &ss->img, ss->gu, st, &o);
        if (r < 0)
                return r;
        json_object_object_del(o, "kpin");
        json_object_object_del(o, "command");
        json_object_object_del(o, "ok");
        json_object_object_del(o, "image");
        *ret = o;
        return 0;
}

static const DkmsKernel *dkms_for(const GuestState *st, const char *name, const char *version, const char *kver) {
        for (size_t i = 0; i < st->n_dkms; i++)
                if (strcmp(st->dkms[i].name, name) == 0 && strcmp(st->dkms[i].version, version) == 0)
                        for (size_t j = 0; j < st->dkms[i].n_kernels; j++)
                                if (strcmp(st->dkms[i].kernels[j].kernel, kver) == 0)
                                        return &st->dkms[i].kernels[j];
        return NULL;
}

/* The guest as the repair left it, read back as inspect reads it: GRUB's
 * default resolves to the kernel, every module is installed for it, dpkg
 * is consistent, the kernel is held. */
static int verify(Session *ss, const Plan *pl, const Repair *rp, GuestState *after) {
        const char *k = rp->pin.release;

        if (!after->grub_kernel || strcmp(after->grub_kernel, k) != 0)
                return log_fail(KPIN_EXIT_GRUB, -EBADMSG, "%s: after the repair GRUB boots %s, not %s%s%s", ss->image,
                                after->grub_kernel ? after->grub_kernel : "no known kernel", k,
                                after->grub_problem ? ": " : "", after->grub_problem ? after->grub_problem : "");
        if (after->broken_packages)
                return log_fail(KPIN_EXIT_PACKAGES, -EBADMSG, "%s: dpkg left %s unconfigured after the repair", ss->image,
                                after->broken_packages[0]);
        for (size_t i = 0; rp->dkms_ran && i < rp->dkms.n_modules; i++) {
                const DkmsBuilt *b = &rp->dkms.modules[i];
                const DkmsKernel *dk = dkms_for(after, b->name, b->version, k);

                if (!dk || dk->state != DKMS_INSTALLED)
                        return log_fail(KPIN_EXIT_DKMS, -EBADMSG, "%s: dkms status does not list %s/%s as installed for %s",
                                        ss->image, b->name, b->version, k);
        }
        if (pl->hold) {
                _cleanup_free_ char *pkg = strprintf("linux-image-%s", k);
                bool held = false;

                if (!pkg)
                        return -ENOMEM;
                for (size_t i = 0; i < after->n_holds; i++)
                        held = held || strcmp(after->holds[i].name, pkg) == 0;
                if (!held)
                        return log_fail(KPIN_EXIT_PACKAGES, -EBADMSG, "%s: %s is not held after the repair", ss->image, pkg);
        }
        return 0;
}

static int run_steps(const Context *ctx, const Plan *pl, PkgDir *pkgdir, Session *ss, Repair *rp) {
        _cleanup_(guest_state_freep) GuestState *after = NULL;
        int r;

        step_begin(rp, "open");
        r = session_open(pl->image, &(SessionOptions) { .out = ctx->output, .in_place = ctx->in_place, .accel = ctx->accel, .verbosity = ctx->verbosity, .network = pl->network, .allow_backing = ctx->allow_backing }, ss);
        if (r >= 0)
                r = state_json(ss, ss->before, &rp->before);
        if (step_end(rp, r) < 0)
                return r;

        step_begin(rp, "pin");
        r = debian_pin(ss->gu, ss->before, &(PinRequest) {
                                                   .kernel = pl->kernel,
                                                   .flavour = pl->flavour,
                                                   .packages = pkgdir,
                                                   .purge_old = pl->purge_old,
                                                   .network = pl->network,
                                                   .no_hold = !pl->hold,
                                           },
                       &rp->pin);
        if (step_end(rp, r) < 0)
                return r;
        rp->changed = rp->pin.changed;

        if (pl->modules || pl->source) {
                /* the kernel just installed, with its headers, as dkms sees it:
                 * the pin's last inspection, taken after its last write */
                GuestState *mid = rp->pin.changed ? rp->pin.state_after : ss->before;

                step_begin(rp, "dkms");
                r = 0;
                if (!mid && (r = guest_inspect(ss->gu, &rp->pin.state_after)) >= 0)
                        mid = rp->pin.state_after;
                if (r >= 0)
                        r = dkms_step(ss->gu, mid,
                                      &(DkmsRequest) {
                                              .modules = pl->modules,
                                              .kernel = rp->pin.release,
                                              .source = pl->source,
                                              .build_configs = pl->build_configs,
                                      },
                                      &rp->dkms);
                rp->dkms_ran = r >= 0;
                if (step_end(rp, r) < 0)
                        return r;
                rp->changed = rp->changed || rp->dkms.changed;
        }

        step_begin(rp, "verify");
        /* unless dkms changed the guest (built, added a source, copied a
         * build config), it is as the pin left it */
        if (rp->pin.state_after && (!rp->dkms_ran || (!rp->dkms.changed && !pl->build_configs)))
                after = TAKE_PTR(rp->pin.state_after), r = 0;
        else
                r = guest_inspect(ss->gu, &after);
        if (r >= 0)
                r = verify(ss, pl, rp, after);
        if (r >= 0)
                r = state_json(ss, after, &rp->after);
        if (r >= 0)
                r = session_close(ss);
        if (step_end(rp, r) < 0)
                return r;

        if (pl->boot_test) {
                step_begin(rp, "boot-test");
                r = boot_test_run(ss->txn->overlay, IMAGE_FORMAT_QCOW2,
                                  &(BootTestRequest) {
                                          .name = pl->image,
                                          .expect_kernel = pl->expect_kernel ? pl->expect_kernel : rp->pin.release,
                                          .expect_modules = pl->expect_modules,
                                          .timeout_s = pl->timeout_s,
                                          .firmware = pl->firmware,
                                          .memory_mb = pl->memory_mb,
                                          .serial_log = ctx->serial_log,
                                          .accel = ctx->accel,
                                          .verbosity = ctx->verbosity,
                                  },
                                  &rp->boot);
                rp->boot_ran = r >= 0;
                if (r >= 0 && rp->boot.n_failed) {
                        const char *why = boot_test_first_failure(&rp->boot);

                        r = log_fail(KPIN_EXIT_BOOT, -EPROTO, "%s: boot test failed: %s", pl->image, why ? why : "?");
                }
                if (step_end(rp, r) < 0)
                        return r;
        }

        step_begin(rp, "commit");
        r = session_commit(ss, rp->changed);
        return step_end(rp, r);
}

static const char *const all_steps[] = { "open", "pin", "dkms", "verify", "boot-test", "commit" };

static bool step_planned(const Plan *pl, const char *name) {
        if (strcmp(name, "dkms") == 0)
                return pl->modules || pl->source;
        if (strcmp(name, "boot-test") == 0)
                return pl->boot_test;
        return true;
}

static int write_junit(const Context *ctx, const Plan *pl, const Repair *rp, double seconds) {
        JunitCase jc[MAX_STEPS + BOOT_TEST_MAX_CHECKS];
        _cleanup_free_ char *suite = strprintf("kpin repair %s", pl->profile_name ? pl->profile_name : pl->image);
        size_t n = 0;
        int r;

        if (!suite)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(all_steps); i++) {
                const Step *s = NULL;

                if (!step_planned(pl, all_steps[i]))
                        continue;
                for (size_t j = 0; j < rp->n_steps && !s; j++)
                        if (strcmp(rp->steps[j].name, all_steps[i]) == 0)
                                s = &rp->steps[j];
                if (s && strcmp(s->name, "boot-test") == 0 && rp->boot_ran) {
                        n += boot_test_junit_cases(&rp->boot, jc + n);
                        continue;
                }
                jc[n++] = (JunitCase) {
                        .classname = "kpin.repair",
                        .name = all_steps[i],
                        .passed = s && s->ok,
                        .skipped = !s,
                        .message = s ? s->error : "not run: an earlier step failed",
                        .seconds = s ? s->seconds : 0,
                };
        }
        r = junit_write(ctx->junit, suite, jc, n, seconds);
        if (r < 0)
                return log_fail(KPIN_EXIT_FAILURE, r, "%s: cannot write the JUnit report: %m", ctx->junit);
        return 0;
}

static int write_json(const Context *ctx, const Plan *pl, const Repair *rp, const char *target, int code,
                      double seconds) {
        json_object *o = code ? json_failure("repair", code, log_failure_message()) : json_object_new_object();
        json_object *steps = json_object_new_array(), *x;
        const char *failed = NULL;

        if (!o || !steps) {
                json_object_put(o);
                json_object_put(steps);
                return -ENOMEM;
        }
        if (!code) {
                json_object_object_add(o, "kpin", json_object_new_string(PACKAGE_VERSION));
                json_object_object_add(o, "command", json_object_new_string("repair"));
                json_object_object_add(o, "ok", json_object_new_boolean(1));
        }
        json_object_object_add(o, "image", json_object_new_string(pl->image));
        json_object_object_add(o, "output", json_str_or_null(target));
        json_object_object_add(o, "profile", json_str_or_null(ctx->profile));
        json_object_object_add(o, "changed", json_object_new_boolean(!code && rp->changed));
        json_object_object_add(o, "kernel", json_str_or_null(rp->pin.release));
        for (size_t i = 0; i < rp->n_steps; i++) {
                x = json_object_new_object();
                json_object_object_add(x, "name", json_object_new_string(rp->steps[i].name));
                json_object_object_add(x, "ok", json_object_new_boolean(rp->steps[i].ok));
                json_object_object_add(x, "seconds", json_object_new_double(rp->steps[i].seconds));
                json_object_object_add(x, "error", json_str_or_null(rp->steps[i].error));
                json_object_array_add(steps, x);
                if (!rp->steps[i].ok && !failed)
                        failed = rp->steps[i].name;
        }
        json_object_object_add(o, "steps", steps);
        json_object_object_add(o, "failed_step", json_str_or_null(failed));
        json_object_object_add(o, "before", rp->before ? json_object_get(rp->before) : NULL);
        json_object_object_add(o, "after", rp->after ? json_object_get(rp->after) : NULL);
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
                boot_test_to_json(&rp->boot, x);
        }
        json_object_object_add(o, "boot_test", x);
        json_object_object_add(o, "seconds", json_object_new_double(seconds));
        return json_emit(o, ctx->json, ctx->report);
}

static void print_summary(const Plan *pl, const Repair *rp, const char *target, double seconds) {
        if (rp->changed)
                pin_result_print(&rp->pin, target);
        else
                printf("%s already boots and holds %s%s: nothing changed%s%s\n", pl->image, rp->pin.release,
                       rp->dkms_ran ? " with its modules" : "", target && strcmp(target, pl->image) != 0 ? "; copied to " : "",
                       target && strcmp(target, pl->image) != 0 ? target : "");
        if (rp->dkms_ran)
                dkms_result_print(&rp->dkms, "  dkms:      ", "             ");
        if (rp->boot_ran)
                boot_test_print(&rp->boot, target ? target : pl->image, "  ");
        printf("  steps:    ");
        for (size_t i = 0; i < rp->n_steps; i++)
                printf(" %s %.0fs", rp->steps[i].name, rp->steps[i].seconds);
        printf("\n  took %.0f s", seconds);
        if (pl->profile_name)
                printf(" (profile %s)", pl->profile_name);
        printf("\n");
}

int cmd_repair(Context *ctx, char **args) {
        _cleanup_(profile_done) Profile prof = { .network = -1, .purge_old = -1, .hold = -1, .boot_test = -1, .firmware = -1 };
        _cleanup_(session_done) Session ss = {};
        _cleanup_(pkgdir_freep) PkgDir *pkgdir = NULL;
        _cleanup_(repair_done) Repair rp = {};
        _cleanup_free_ char *artifact = NULL;
        char *none[] = { NULL };
        Plan pl = {};
        int r, k, code;

        rp.t0 = monotonic_s();
        if (ctx->profile && (r = load_profile(ctx->profile, &prof)) < 0)
                return r;
        r = make_plan(ctx, args[0] ? args : none, &prof, &artifact, &pl);
        if (r < 0)
                return r;
        if (!ctx->profile)
                pl.profile_name = NULL;
        if (pl.packages && (r = pkgdir_load(pl.packages, &pkgdir)) < 0)
                return r;

        r = run_steps(ctx, &pl, pkgdir, &ss, &rp);
        code = r < 0 ? log_failure_exit_code() : 0;
        if (r < 0 && code == 0)
                code = KPIN_EXIT_FAILURE;
        if (ctx->junit && (k = write_junit(ctx, &pl, &rp, monotonic_s() - rp.t0)) < 0 && r >= 0)
                return k;
        if (ctx->json || ctx->report) {
                k = write_json(ctx, &pl, &rp, r < 0 ? NULL : session_target(&ss), code, monotonic_s() - rp.t0);
                if (k < 0 && r >= 0)
                        return k;
                ctx->reported = true;
        }
        if (r < 0)
                return r;
        if (!ctx->json)
                print_summary(&pl, &rp, session_target(&ss), monotonic_s() - rp.t0);
        return 0;
}
