/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "kpin.h"
#include "shared/cleanup.h"
#include "shared/log.h"

int cmd_inspect(Context *ctx, char **args) {
        _cleanup_(repair_done) Repair rp = {};
        _cleanup_free_ char *error = NULL;
        ReportOptions ro = context_report_options(ctx);
        RunOptions o = context_run_options(ctx);
        Plan plan;
        int r;

        r = plan_make(PLAN_INSPECT, &ctx->opt, NULL, args[0], &plan, &error);
        if (r < 0)
                return error ? log_fail(KPIN_EXIT_USAGE, r, "%s", error) : r;
        r = repair_run(&rp, &plan, &o);
        if (r < 0)
                return r;
        return report_inspect(&rp, &ro);
}
