/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <guestfs.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/probe.h"
#include "guest/apt.h"
#include "guest/probe.h"
#include "pipeline.h"
#include "shared/cleanup.h"
#include "shared/clock.h"
#include "shared/log.h"
#include "shared/strv.h"

static const char *const step_names[_STEP_MAX] = {
        [STEP_OPEN] = "open", [STEP_PIN] = "pin", [STEP_DKMS] = "dkms",
        [STEP_VERIFY] = "verify", [STEP_BOOT_TEST] = "boot-test", [STEP_COMMIT] = "commit",
};

const char *step_to_string(StepId s) {
        return s < _STEP_MAX ? step_names[s] : "?";
}

void repair_done(Repair *rp) {
        session_done(&rp->session);
        pkgdir_free(rp->pkgdir);
        guest_state_free(rp->before);
        guest_state_free(rp->after);
        pin_result_done(&rp->pin);
        dkms_result_done(&rp->dkms);
        boot_tests_done(&rp->boot);
        for (size_t i = 0; i < _STEP_MAX; i++)
                free(rp->steps[i].error);
        *rp = (Repair) {};
}

const char *repair_failed_step(const Repair *rp) {
        for (StepId s = 0; s < _STEP_MAX; s++)
                if (rp->steps[s].ran && !rp->steps[s].ok)
                        return step_names[s];
        return NULL;
}

const char *repair_target(const Repair *rp) {
        return rp->steps[STEP_COMMIT].ok ? session_target(&rp->session) : NULL;
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

static void step_begin(Repair *rp, StepId s) {
        rp->step_t0 = monotonic_s();
        rp->steps[s].ran = true;
        fault_inject(step_names[s]);
}

/* Ends step s with r; a failure keeps the run's one-line error. */
static int step_end(Repair *rp, StepId s, int r) {
        Step *st = &rp->steps[s];
        double now = monotonic_s();

        st->seconds = now - rp->step_t0;
        st->ok = r >= 0;
        if (r < 0) {
                if (log_failure_exit_code() == 0)
                        (void) log_fail(KPIN_EXIT_FAILURE, r, "%s failed: %s", step_names[s], strerror(-r));
                st->error = strdup(log_failure_message() ? log_failure_message() : strerror(-r));
        }
        if (rp->plan->verb == PLAN_REPAIR)
                log_info("[%5.0f s] %-9s %s in %.0f s", now - rp->t0, step_names[s], r >= 0 ? "done" : "FAILED",
                         st->seconds);
        return r;
}

/* The image is checked before anything is probed or started. */
static int open_step(Repair *rp, const RunOptions *o) {
        const Plan *pl = rp->plan;
        SessionOptions so = {
                .mode = pl->write ? SESSION_WRITE : pl->verb == PLAN_INSPECT ? SESSION_READONLY : SESSION_SCRATCH,
                .out = pl->output,
                .in_place = pl->in_place,
                .force = pl->force,
                .verbosity = o->verbosity,
                .network = pl->network,
                .allow_backing = o->allow_backing,
        };
        int r;

        r = session_open(pl->image, &so, &rp->session);
        if (r < 0)
                return r;
        r = accel_resolve(o->accel, &rp->kvm);
        if (r < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, r, "probing KVM failed: %m");
        r = session_launch(&rp->session, &so, rp->kvm);
        if (r < 0)
                return r;
        r = guest_inspect(rp->session.gu, &rp->before);
        if (r < 0)
                return log_fail(KPIN_EXIT_FAILURE, r, "%s: inspection failed: %m", pl->image);
        return 0;
}

static int pin_step(Repair *rp) {
        const Plan *pl = rp->plan;
        int r;

        r = pin_kernel(rp->session.gu, rp->before,
                       &(PinRequest) {
                               .kernel = pl->kernel,
                               .flavour = pl->flavour,
                               .packages = rp->pkgdir,
                               .purge_old = pl->purge_old,
                               .network = pl->network,
                               .no_hold = !pl->hold,
                       },
                       &rp->pin);
        if (r < 0)
                return r;
        rp->pin_ran = true;
        rp->changed = rp->changed || rp->pin.changed;
        return 0;
}

static int dkms_step_run(Repair *rp) {
        const Plan *pl = rp->plan;
        int r;

        /* for the kernel just pinned (dkms finds it in the guest), else
         * what --kernel or GRUB says */
        r = dkms_step(rp->session.gu, rp->before,
                      &(DkmsRequest) {
                              .modules = pl->modules,
                              .kernel = rp->pin_ran ? rp->pin.release : pl->dkms_kernel,
                              .source = pl->source,
                              .build_configs = pl->build_configs,
                      },
                      &rp->dkms);
        if (r < 0)
                return r;
        rp->dkms_ran = true;
        rp->changed = rp->changed || rp->dkms.changed;
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

/* The guest as the run left it, read back as inspect reads it: GRUB's
 * default resolves to the pinned kernel, every module is installed for its
 * kernel, dpkg is consistent, the kernel is held. */
static int verify_step(Repair *rp) {
        const char *image = rp->plan->image;
        const GuestState *a;
        int r;

        r = guest_inspect(rp->session.gu, &rp->after);
        if (r < 0)
                return log_fail(KPIN_EXIT_FAILURE, r, "%s: inspection failed: %m", image);
        a = rp->after;
        if (rp->pin_ran && (!a->grub_kernel || strcmp(a->grub_kernel, rp->pin.release) != 0))
                return log_fail(KPIN_EXIT_GRUB, -EBADMSG, "%s: after the repair GRUB boots %s, not %s%s%s", image,
                                a->grub_kernel ? a->grub_kernel : "no known kernel", rp->pin.release,
                                a->grub_problem ? ": " : "", a->grub_problem ? a->grub_problem : "");
        if (a->broken_packages)
                return log_fail(KPIN_EXIT_PACKAGES, -EBADMSG, "%s: dpkg left %s unconfigured after the repair", image,
                                a->broken_packages[0]);
        for (size_t i = 0; rp->dkms_ran && i < rp->dkms.n_modules; i++) {
                const DkmsBuilt *b = &rp->dkms.modules[i];
                const DkmsKernel *dk = dkms_for(a, b->name, b->version, rp->dkms.kernel);

                if (!dk || dk->state != DKMS_INSTALLED)
                        return log_fail(KPIN_EXIT_DKMS, -EBADMSG, "%s: dkms status does not list %s/%s as installed for %s",
                                        image, b->name, b->version, rp->dkms.kernel);
        }
        if (rp->pin_ran && rp->plan->hold) {
                _cleanup_free_ char *pkg = strprintf("linux-image-%s", rp->pin.release);
                bool held = false;

                if (!pkg)
                        return -ENOMEM;
                for (size_t i = 0; i < a->n_holds; i++)
                        held = held || strcmp(a->holds[i].name, pkg) == 0;
                if (!held)
                        return log_fail(KPIN_EXIT_PACKAGES, -EBADMSG, "%s: %s is not held after the repair", image, pkg);
        }
        return 0;
}

/* The probe reaches the VM without touching what is committed: as SMBIOS
 * credentials where the guest's systemd takes them, else written into the
 * overlay from this same appliance, after a clean copy of the overlay is
 * kept for the commit. */
static int boot_test_step(Repair *rp) {
        const Plan *pl = rp->plan;
        const GuestState *st = rp->after ? rp->after : rp->before;
        char token[BOOT_TEST_TOKEN_LEN + 1];
        bool in_disk = st->systemd_major < PROBE_SYSTEMD_CREDENTIALS;
        int r;

        r = boot_test_token(token);
        if (r < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, r, "cannot draw a random token: %m");
        if (in_disk) {
                log_debug("the guest's systemd %u takes no credentials: writing the probe into the overlay",
                          st->systemd_major);
                if (pl->write) {
                        if (guestfs_sync(rp->session.gu->g) < 0)
                                return log_fail(KPIN_EXIT_ENVIRONMENT, -EIO, "%s: %s", pl->image,
                                                guest_last_error(rp->session.gu));
                        r = txn_keep_clean(rp->session.txn);
                        if (r < 0)
                                return r;
                }
                r = probe_inject(rp->session.gu, token, pl->expect_modules);
                if (r < 0)
                        return r;
        }
        r = session_close(&rp->session);
        if (r < 0)
                return r;
        r = boot_tests_run(&(BootTarget) {
                                   .name = pl->image,
                                   .disk = session_disk(&rp->session),
                                   .format = IMAGE_FORMAT_QCOW2,
                                   .token = token,
                                   .probe_in_disk = in_disk,
                                   .grub_kernel = rp->pin_ran ? rp->pin.release : st->grub_kernel,
                                   .firmwares = st->boot.firmwares,
                                   .cloud_init = dpkg_installed(dpkg_status_find(st->dpkg, "cloud-init")),
                           },
                           pl, rp->kvm, &rp->boot);
        if (r < 0)
                return r;
        rp->boot_ran = true;
        if (rp->boot.n_failed) {
                _cleanup_free_ char *why = boot_tests_first_failure(&rp->boot);

                return log_fail(KPIN_EXIT_BOOT, -EPROTO, "%s: boot test failed: %s", pl->image, why ? why : "?");
        }
        return 0;
}

static int commit_step(Repair *rp) {
        int r;

        r = session_close(&rp->session);
        if (r < 0)
                return r;
        return session_commit(&rp->session, rp->changed);
}

int repair_run(Repair *rp, const Plan *pl, const RunOptions *o) {
        static int (*const run[_STEP_MAX])(Repair *rp) = {
                [STEP_PIN] = pin_step, [STEP_DKMS] = dkms_step_run, [STEP_VERIFY] = verify_step,
                [STEP_BOOT_TEST] = boot_test_step, [STEP_COMMIT] = commit_step,
        };
        int r;

        *rp = (Repair) { .plan = pl, .t0 = monotonic_s() };
        rp->steps[STEP_OPEN].planned = true;
        rp->steps[STEP_PIN].planned = pl->pin;
        rp->steps[STEP_DKMS].planned = pl->dkms;
        rp->steps[STEP_VERIFY].planned = pl->verify;
        rp->steps[STEP_BOOT_TEST].planned = pl->boot_test;
        rp->steps[STEP_COMMIT].planned = pl->write;
        if (pl->packages && (r = pkgdir_load(pl->packages, &rp->pkgdir)) < 0)
                return r;

        step_begin(rp, STEP_OPEN);
        r = step_end(rp, STEP_OPEN, open_step(rp, o));
        for (StepId s = STEP_PIN; r >= 0 && s < _STEP_MAX; s++) {
                if (!rp->steps[s].planned)
                        continue;
                step_begin(rp, s);
                r = step_end(rp, s, run[s](rp));
        }
        if (r >= 0 && rp->session.gu)
                r = session_close(&rp->session); /* inspect: a read-only appliance */
        return r;
}

int repair_matrix(const Plan *pl, const RunOptions *o, DkmsCell **ret, size_t *ret_n) {
        _cleanup_(repair_done) Repair rp = { .plan = pl };
        int r;

        if (pl->packages && (r = pkgdir_load(pl->packages, &rp.pkgdir)) < 0)
                return r;
        r = open_step(&rp, o);
        if (r < 0)
                return r;
        r = dkms_matrix(rp.session.gu, rp.before, pl->modules ? pl->modules[0] : NULL, rp.pkgdir, ret, ret_n);
        if (r < 0)
                return r;
        return session_close(&rp.session);
}
