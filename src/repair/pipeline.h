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

/* dkms --matrix: every module against every kernel with headers, in a
 * throw-away overlay. */
int repair_matrix(const Plan *plan, const RunOptions *o, DkmsCell **ret, size_t *ret_n);
