/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kpin.h"
#include "report/json.h"
#include "report/night.h"
#include "shared/cleanup.h"
#include "shared/log.h"
#include "shared/strv.h"

int cmd_summarize(Context *ctx, char **args) {
        _cleanup_(night_done) Night n = {};
        _cleanup_free_ char *junit = NULL, *json_path = NULL, *html = NULL;
        const char *dir = args[0];
        char date[32];
        time_t now = time(NULL);
        struct tm tm;
        json_object *j;
        int r;

        junit = ctx->opt.junit ? strdup(ctx->opt.junit) : strprintf("%s/nightly.xml", dir);
        json_path = strprintf("%s/summary.json", dir);
        html = strprintf("%s/night.html", dir);
        if (!junit || !json_path || !html)
                return -ENOMEM;
        if (!localtime_r(&now, &tm) || strftime(date, sizeof(date), "%F", &tm) == 0)
                return log_fail(KPIN_EXIT_FAILURE, -EINVAL, "summarize: cannot tell today's date");
        r = night_load(dir, args + 1, ctx->opt.cluster, junit, date, &n);
        if (r < 0)
                return log_fail(KPIN_EXIT_FAILURE, r, "%s: cannot read the night's reports: %m", dir);
        j = night_json(&n);
        if (!j)
                return -ENOMEM;
        r = json_emit(j, ctx->json, json_path);
        if (r < 0)
                return r;
        ctx->reported = true;
        r = night_junit(&n, junit);
        if (r < 0)
                return log_fail(KPIN_EXIT_FAILURE, r, "%s: cannot write the night's JUnit file: %m", junit);
        r = night_html(&n, html);
        if (r < 0)
                return log_fail(KPIN_EXIT_FAILURE, r, "%s: cannot write the night's page: %m", html);
        if (!ctx->json)
                night_print(&n, stdout);
        fflush(stdout);
        return night_good(&n) ? 0 : log_fail(KPIN_EXIT_FAILURE, -EPROTO, "%s: not every image of the night is good", dir);
}
