/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guest/debian.h"
#include "guest/inspect.h"
#include "guest/session.h"
#include "kpin.h"
#include "report/json.h"
#include "report/steps.h"
#include "shared/cleanup.h"
#include "shared/clock.h"
#include "shared/log.h"
#include "shared/strv.h"

static int report(const Context *ctx, const char *image, const char *target, const PinResult *r, double seconds) {
        if (ctx->json || ctx->report) {
                json_object *o = json_object_new_object();

                if (!o)
                        return -ENOMEM;
                json_object_object_add(o, "kpin", json_object_new_string(PACKAGE_VERSION));
                json_object_object_add(o, "command", json_object_new_string("pin"));
                json_object_object_add(o, "ok", json_object_new_boolean(1));
                json_object_object_add(o, "image", json_object_new_string(image));
                json_object_object_add(o, "output", json_object_new_string(target));
                pin_result_to_json(r, o);
                json_object_object_add(o, "seconds", json_object_new_double(seconds));
                if (json_emit(o, ctx->json, ctx->report) < 0)
                        return -EIO;
        }
        if (ctx->json)
                return 0;
        if (!r->changed) {
                printf("%s already boots and holds %s: nothing changed\n", image, r->release);
                return 0;
        }
        pin_result_print(r, target);
        printf("  took %.0f s\n", seconds);
        return 0;
}

int cmd_pin(Context *ctx, char **args) {
        _cleanup_(session_done) Session ss = {};
        _cleanup_(pkgdir_freep) PkgDir *pkgdir = NULL;
        _cleanup_(pin_result_done) PinResult res = {};
        const char *image = args[0];
        double t0 = monotonic_s();
        int r;

        if (!ctx->kernel)
                return log_fail(KPIN_EXIT_USAGE, -EINVAL, "pin: --kernel SERIES|KVER is required");
        if (!ctx->output == !ctx->in_place)
                return log_fail(KPIN_EXIT_USAGE, -EINVAL, "pin: give exactly one of -o OUT and --in-place");
        if (ctx->packages && ctx->network)
                return log_fail(KPIN_EXIT_USAGE, -EINVAL, "pin: --packages DIR (offline) and --network exclude each other");
        if (ctx->packages) {
                r = pkgdir_load(ctx->packages, &pkgdir);
                if (r < 0)
                        return r;
        }
        r = session_open(image, &(SessionOptions) { .out = ctx->output, .in_place = ctx->in_place, .accel = ctx->accel, .verbosity = ctx->verbosity, .network = ctx->network, .allow_backing = ctx->allow_backing }, &ss);
        if (r < 0)
                return r;
        r = debian_pin(ss.gu, ss.before, &(PinRequest) {
                                                 .kernel = ctx->kernel,
                                                 .flavour = ctx->flavour,
                                                 .packages = pkgdir,
                                                 .purge_old = ctx->purge_old,
                                                 .network = ctx->network,
                                         },
                       &res);
        if (r < 0)
                return r;
        r = session_finish(&ss, res.changed);
        if (r < 0)
                return r;
        return report(ctx, image, session_target(&ss), &res, monotonic_s() - t0);
}
