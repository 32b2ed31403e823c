/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guest/dkms.h"
#include "guest/session.h"
#include "kpin.h"
#include "report/json.h"
#include "report/steps.h"
#include "shared/cleanup.h"
#include "shared/clock.h"
#include "shared/log.h"
#include "shared/strv.h"

static json_object *header(const char *image) {
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        json_object_object_add(o, "kpin", json_object_new_string(PACKAGE_VERSION));
        json_object_object_add(o, "command", json_object_new_string("dkms"));
        json_object_object_add(o, "ok", json_object_new_boolean(1));
        json_object_object_add(o, "image", json_object_new_string(image));
        return o;
}

static int report_build(const Context *ctx, const char *image, const char *target, const DkmsResult *r,
                        double seconds) {
        if (ctx->json || ctx->report) {
                json_object *o = header(image);

                if (!o)
                        return -ENOMEM;
                json_object_object_add(o, "output", json_str_or_null(target));
                dkms_result_to_json(r, o);
                json_object_object_add(o, "seconds", json_object_new_double(seconds));
                if (json_emit(o, ctx->json, ctx->report) < 0)
                        return -EIO;
        }
        if (ctx->json)
                return 0;
        dkms_result_print(r, "", "");
        if (!r->changed && target && !ctx->in_place)
                printf("%s: nothing changed; copied to %s\n", image, target);
        else if (!r->changed)
                printf("%s: nothing changed\n", image);
        else
                printf("-> %s (%.0f s)\n", target, seconds);
        return 0;
}

static int report_matrix(const Context *ctx, const char *image, const DkmsCell *c, size_t n, double seconds) {
        size_t wm = strlen("module"), wk = strlen("kernel");

        if (ctx->json || ctx->report) {
                json_object *o = header(image), *cells = json_object_new_array();

                if (!o || !cells) {
                        json_object_put(o);
                        json_object_put(cells);
                        return -ENOMEM;
                }
                for (size_t i = 0; i < n; i++) {
                        json_object *x = json_object_new_object();

                        json_object_object_add(x, "module", json_object_new_string(c[i].name));
                        json_object_object_add(x, "version", json_object_new_string(c[i].version));
                        json_object_object_add(x, "kernel", json_object_new_string(c[i].kernel));
                        json_object_object_add(x, "status", json_object_new_string(c[i].built ? "built" : "failed"));
                        json_object_object_add(x, "error", json_str_or_null(c[i].error));
                        json_object_object_add(x, "log", json_str_or_null(c[i].log));
                        json_object_object_add(x, "seconds", json_object_new_double(c[i].seconds));
                        json_object_array_add(cells, x);
                }
                json_object_object_add(o, "matrix", cells);
                json_object_object_add(o, "seconds", json_object_new_double(seconds));
                if (json_emit(o, ctx->json, ctx->report) < 0)
                        return -EIO;
        }
        if (ctx->json)
                return 0;
        for (size_t i = 0; i < n; i++) {
                size_t m = strlen(c[i].name) + 1 + strlen(c[i].version);

                wm = m > wm ? m : wm;
                wk = strlen(c[i].kernel) > wk ? strlen(c[i].kernel) : wk;
        }
        printf("%-*s  %-*s  %-6s  %6s\n", (int) wm, "module", (int) wk, "kernel", "result", "time");
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *mv = strprintf("%s/%s", c[i].name, c[i].version);

                printf("%-*s  %-*s  %-6s  %5.0fs\n", (int) wm, mv ? mv : c[i].name, (int) wk, c[i].kernel,
                       c[i].built ? "built" : "FAILED", c[i].seconds);
                if (!c[i].built && c[i].error)
                        for (const char *l = c[i].error; *l;) {
                                size_t k = strcspn(l, "\n");

                                printf("    %.*s\n", (int) k, l);
                                l += k + (l[k] == '\n');
                        }
        }
        return 0;
}

int cmd_dkms(Context *ctx, char **args) {
        _cleanup_(session_done) Session ss = {};
        const char *image = args[0];
        double t0 = monotonic_s();
        int r;

        if (ctx->matrix) {
                _cleanup_(pkgdir_freep) PkgDir *pkgdir = NULL;
                DkmsCell *cells = NULL;
                size_t n = 0;

                if (ctx->output || ctx->in_place || ctx->source || ctx->build_configs || ctx->kernel ||
                    strv_length(ctx->modules) > 1)
                        return log_fail(KPIN_EXIT_USAGE, -EINVAL,
                                        "dkms --matrix changes nothing: it takes at most one --module and no -o, "
                                        "--in-place, --source, --build-config or --kernel");
                if (ctx->packages && (r = pkgdir_load(ctx->packages, &pkgdir)) < 0)
                        return r;
                r = session_open(image, &(SessionOptions) { .out = NULL, .in_place = false, .accel = ctx->accel, .verbosity = ctx->verbosity, .network = false, .allow_backing = ctx->allow_backing }, &ss);
                if (r < 0)
                        return r;
                r = dkms_matrix(ss.gu, ss.before, ctx->modules ? ctx->modules[0] : NULL, pkgdir, &cells, &n);
                if (r < 0)
                        return r;
                r = session_finish(&ss, false);
                if (r >= 0)
                        r = report_matrix(ctx, image, cells, n, monotonic_s() - t0);
                dkms_cells_free(cells, n);
                return r;
        }

        if (ctx->packages)
                return log_fail(KPIN_EXIT_USAGE, -EINVAL, "dkms: --packages DIR goes with --matrix (install kernels with kpin pin)");
        if (!ctx->modules && !ctx->source)
                return log_fail(KPIN_EXIT_USAGE, -EINVAL, "dkms: give --module NAME[/VER] or --source DIR|FILE.deb (or --matrix)");
        if (!ctx->output == !ctx->in_place)
                return log_fail(KPIN_EXIT_USAGE, -EINVAL, "dkms: give exactly one of -o OUT and --in-place");
        {
                _cleanup_(dkms_result_done) DkmsResult res = {};

                r = session_open(image, &(SessionOptions) { .out = ctx->output, .in_place = ctx->in_place, .accel = ctx->accel, .verbosity = ctx->verbosity, .network = false, .allow_backing = ctx->allow_backing }, &ss);
                if (r < 0)
                        return r;
                r = dkms_step(ss.gu, ss.before,
                              &(DkmsRequest) {
                                      .modules = ctx->modules,
                                      .kernel = ctx->kernel,
                                      .source = ctx->source,
                                      .build_configs = ctx->build_configs,
                              },
                              &res);
                if (r < 0)
                        return r;
                r = session_finish(&ss, res.changed);
                if (r < 0)
                        return r;
                return report_build(ctx, image, session_target(&ss), &res, monotonic_s() - t0);
        }
}
