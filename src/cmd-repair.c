/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/manifest.h"
#include "core/profile.h"
#include "kpin.h"
#include "shared/cleanup.h"
#include "shared/fileio.h"
#include "shared/clock.h"
#include "shared/log.h"

#define PROFILE_MAX (64 * 1024)
#define MANIFEST_MAX (4 * 1024 * 1024)

int kpin_run_plan(Context *ctx, const Plan *plan) {
        _cleanup_(repair_done) Repair rp = {};
        ReportOptions ro = context_report_options(ctx);
        RunOptions o = context_run_options(ctx);
        double t0 = monotonic_s();
        int r, k, code;

        r = repair_run(&rp, plan, &o);
        code = r < 0 ? log_failure_exit_code() : 0;
        if (r < 0 && code == 0)
                code = KPIN_EXIT_FAILURE;
        k = report_run(&rp, &ro, code, monotonic_s() - t0);
        if (k > 0)
                ctx->reported = true;
        return r < 0 ? r : k < 0 ? k : 0;
}

/* Reads a small host file the user named (profile, Packer manifest). */
static int read_host_file(const char *path, size_t max, const char *what, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t n;
        int r;

        r = read_file_bounded(path, max, READ_WHOLE, &buf, &n);
        if (r == -EINVAL)
                return log_fail(KPIN_EXIT_USAGE, r, "%s: the %s is not a regular file", path, what);
        if (r == -EFBIG)
                return log_fail(KPIN_EXIT_USAGE, r, "%s: the %s is larger than %zu KiB", path, what, max / 1024);
        if (r < 0)
                return log_fail(KPIN_EXIT_USAGE, r, "%s: cannot read the %s: %m", path, what);
        if (strlen(buf) != n)
                return log_fail(KPIN_EXIT_USAGE, -EINVAL, "%s: the %s holds a NUL byte", path, what);
        *ret = TAKE_PTR(buf);
        return 0;
}

int kpin_load_profile(const char *path, Profile *ret) {
        _cleanup_free_ char *text = NULL, *error = NULL;
        int r;

        r = read_host_file(path, PROFILE_MAX, "profile", &text);
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
        int r;

        if (!build || !*build)
                return log_fail(KPIN_EXIT_USAGE, -EINVAL,
                                "%s: PACKER_BUILD_NAME is not set: --packer-manifest is for a Packer shell-local "
                                "post-processor (or give IMAGE)", path);
        r = read_host_file(path, MANIFEST_MAX, "Packer manifest", &text);
        if (r < 0)
                return r;
        r = packer_manifest_artifact(text, strlen(text), build, run && *run ? run : NULL, ret, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return log_fail(KPIN_EXIT_USAGE, r, "%s: %s", path, error);
        return 0;
}

int cmd_repair(Context *ctx, char **args) {
        _cleanup_(profile_done) Profile prof = {};
        _cleanup_free_ char *artifact = NULL, *error = NULL;
        const Options *o = &ctx->opt;
        Plan plan;
        int r;

        if (o->profile && (r = kpin_load_profile(o->profile, &prof)) < 0)
                return r;
        if (args[0] && o->packer_manifest)
                return log_fail(KPIN_EXIT_USAGE, -EINVAL, "repair: give IMAGE or --packer-manifest, not both");
        if (o->packer_manifest && (r = manifest_image(o->packer_manifest, &artifact)) < 0)
                return r;
        r = plan_make(PLAN_REPAIR, o, o->profile ? &prof : NULL, args[0] ? args[0] : artifact, &plan, &error);
        if (r < 0)
                return error ? log_fail(KPIN_EXIT_USAGE, r, "%s", error) : r;
        return kpin_run_plan(ctx, &plan);
}
