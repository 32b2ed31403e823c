/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "kpin.h"
#include "report/forecast.h"
#include "shared/cleanup.h"
#include "shared/log.h"

int cmd_forecast(Context *ctx, char **args) {
        _cleanup_(profile_done) Profile prof = {};
        _cleanup_(forecast_done) Forecast f = {};
        _cleanup_free_ char *error = NULL;
        const Options *o = &ctx->opt;
        ReportOptions ro = context_report_options(ctx);
        RunOptions ropt = context_run_options(ctx);
        Plan plan;
        int r;

        if (o->profile && (r = kpin_load_profile(o->profile, &prof)) < 0)
                return r;
        r = plan_make(PLAN_FORECAST, o, o->profile ? &prof : NULL, args[0], &plan, &error);
        if (r < 0)
                return error ? log_fail(KPIN_EXIT_USAGE, r, "%s", error) : r;
        r = repair_forecast(&plan, &ropt, plan.image, &f);
        if (r < 0)
                return r;
        r = report_forecast(plan.image, &f, &ro);
        if (ro.json || ro.report)
                ctx->reported = true;
        return r;
}
