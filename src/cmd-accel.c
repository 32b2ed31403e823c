/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "kpin.h"
#include "report/json.h"
#include "shared/cleanup.h"
#include "shared/log.h"

static long long now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Says which accelerator kpin would use here and why: the same probe every
 * other verb runs before it starts a VM. */
int cmd_accel(Context *ctx, char **args) {
        _cleanup_free_ char *reason = NULL;
        const char *mode = ctx->accel == ACCEL_KVM ? "kvm" : ctx->accel == ACCEL_TCG ? "tcg" : "auto";
        long long t0 = now_ms(), ms;
        int usable;

        (void) args;
        if (ctx->accel != ACCEL_AUTO)
                usable = ctx->accel == ACCEL_KVM;
        else {
                usable = accel_probe_kvm(2000, &reason);
                if (usable < 0)
                        return log_fail(KPIN_EXIT_ENVIRONMENT, usable, "probing KVM failed: %m");
        }
        ms = now_ms() - t0;

        if (ctx->json || ctx->report) {
                json_object *o = json_object_new_object();
                int r = 0;

                if (!o)
                        return -ENOMEM;
                json_object_object_add(o, "kpin", json_object_new_string(PACKAGE_VERSION));
                json_object_object_add(o, "command", json_object_new_string("accel"));
                json_object_object_add(o, "ok", json_object_new_boolean(1));
                json_object_object_add(o, "mode", json_object_new_string(mode));
                json_object_object_add(o, "accel", json_object_new_string(usable ? "kvm" : "tcg"));
                json_object_object_add(o, "reason", reason ? json_object_new_string(reason) : NULL);
                json_object_object_add(o, "probe_ms", json_object_new_int64(ms));
                if (ctx->report)
                        r = json_write(o, ctx->report);
                if (r >= 0 && ctx->json)
                        r = json_write(o, "-");
                json_object_put(o);
                if (r < 0)
                        return log_fail(KPIN_EXIT_FAILURE, r, "cannot write the report: %m");
        }
        if (!ctx->json) {
                if (ctx->accel != ACCEL_AUTO)
                        printf("%s (forced by --accel)\n", usable ? "kvm" : "tcg");
                else if (usable)
                        printf("kvm (a kernel booted under KVM in %lld ms)\n", ms);
                else
                        printf("tcg (KVM unusable: %s; probe took %lld ms)\n", reason, ms);
        }
        return 0;
}
