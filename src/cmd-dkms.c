/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "kpin.h"
#include "shared/cleanup.h"
#include "shared/clock.h"
#include "shared/log.h"

int cmd_dkms(Context *ctx, char **args) {
        _cleanup_free_ char *error = NULL;
        PlanVerb verb = ctx->opt.matrix ? PLAN_MATRIX : PLAN_DKMS;
        Plan plan;
        int r;

        r = plan_make(verb, &ctx->opt, NULL, args[0], &plan, &error);
        if (r < 0)
                return error ? log_fail(KPIN_EXIT_USAGE, r, "%s", error) : r;
        if (verb == PLAN_MATRIX) {
                ReportOptions ro = context_report_options(ctx);
                RunOptions o = context_run_options(ctx);
                DkmsCell *cells = NULL;
                double t0 = monotonic_s();
                size_t n = 0;

                r = repair_matrix(&plan, &o, &cells, &n);
                if (r >= 0)
                        r = report_matrix(plan.image, cells, n, &ro, monotonic_s() - t0, plan.markdown);
                dkms_cells_free(cells, n);
                return r;
        }
        return kpin_run_plan(ctx, &plan);
}
