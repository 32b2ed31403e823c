/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "kpin.h"
#include "shared/cleanup.h"
#include "shared/log.h"

int cmd_fetch(Context *ctx, char **args) {
        _cleanup_free_ char *error = NULL;
        Plan plan;
        int r;

        r = plan_make(PLAN_FETCH, &ctx->opt, NULL, args[0], &plan, &error);
        if (r < 0)
                return error ? log_fail(KPIN_EXIT_USAGE, r, "%s", error) : r;
        return kpin_run_plan(ctx, &plan);
}
