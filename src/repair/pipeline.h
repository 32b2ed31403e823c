/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "boottest.h"
#include "core/activity.h"
#include "core/plan.h"
#include "guest/dkms.h"
#include "guest/inspect.h"
#include "guest/pin.h"
#include "guest/session.h"
#include "host/fetch.h"
#include "host/pkgdir.h"
#include "vm/accel.h"

/* The job as one pipeline: open -> fetch -> pin -> dkms -> verify ->
 * boot-test -> commit, each verb running the steps its plan asks for
 * (inspect: open; fetch: open, fetch; pin: open, pin, verify, commit;
 * dkms: open, dkms, verify, commit; boot-test: open, boot-test; repair:
 * all of them, fetch when its profile says where from). One appliance for the
 * whole run; the guest is read once as it opens and once to verify. */

typedef enum StepId {
        STEP_OPEN,
        STEP_FETCH,
        STEP_PIN,
        STEP_DKMS,
        STEP_VERIFY,
        STEP_BOOT_TEST,
        STEP_COMMIT,
        _STEP_MAX,
} StepId;

typedef struct Step {
        bool planned, ran, ok;
        double seconds;
        char *error;            /* the run's one-line error, if this step failed */
} Step;

/* Global settings every verb hands the pipeline. */
typedef struct RunOptions {
        AccelMode accel;
        int verbosity;
        char * const *allow_backing;
} RunOptions;

/* Can the pin be lifted? The site's modules against the newest kernel of
 * a later series (the distribution's own), on a throw-away overlay. */
typedef struct Forecast {
        bool ran;               /* asked for, and it got as far as a kernel */
        char *series;           /* as asked: 6.12 */
        char *release;          /* the newest of it found: 6.12.57+deb13-cloud-amd64 */
        char *version;          /* its Debian version */
        bool installed;         /* it came from packages (else the image had it) */
        DkmsCell *modules;      /* each module for it: built (or from the cache), or its first error */
        size_t n_modules, n_failed;
        bool boot_ran, boot_ok;
        double boot_seconds;
        char *boot_error;
        bool lifted;            /* every module built and the kernel booted with them loaded */
        char *problem;          /* it could not run: the one-line error it would have given */
        double seconds;
} Forecast;

void forecast_done(Forecast *f);

/* The run and everything it found: the only owner of the guest's state. */
typedef struct Repair {
        const Plan *plan;
        Session session;
        bool kvm;
        PkgDir *pkgdir;

        GuestState *before;     /* as the run found the guest */
        GuestState *after;      /* as verify read it back */

        FetchArchives *archives; /* kpin fetch: the --from sources, read before the image */
        FetchResult fetch;
        bool fetch_ran;         /* packages were fetched (repair: only when the directory lacked them) */
        PinResult pin;
        bool pin_ran;
        DkmsResult dkms;
        bool dkms_ran;
        BootTests boot;
        bool boot_ran;
        Forecast forecast;      /* repair with [forecast]: after the commit */

        bool changed;
        char *settled;          /* repair: nothing to do, the image already boots this pinned kernel */
        Step steps[_STEP_MAX];
        double t0, step_t0;
        Activity activity;      /* what the running step's guest command does */
        ModSig site_signer;     /* --sign-cert: who must have signed the modules */
        char *sign_key_path, *sign_cert_path; /* where the appliance holds them for the guest */
} Repair;

/* Runs the planned steps; on failure the step's error is recorded (log_fail)
 * and nothing is committed. */
int repair_run(Repair *rp, const Plan *plan, const RunOptions *o);
void repair_done(Repair *rp);

const char *step_to_string(StepId s);
/* The first step that failed, or NULL. */
const char *repair_failed_step(const Repair *rp);
/* Where the result went (NULL: not committed, or nowhere to go). */
const char *repair_target(const Repair *rp);

/* The forecast of plan (its forecast series, packages and sources, its
 * modules and boot test) for image: never writes it. In ret even when it
 * fails (then with why in problem). */
int repair_forecast(const Plan *plan, const RunOptions *o, const char *image, Forecast *ret);

/* dkms --matrix: every module against every kernel with headers, in a
 * throw-away overlay. */
int repair_matrix(const Plan *plan, const RunOptions *o, DkmsCell **ret, size_t *ret_n);
