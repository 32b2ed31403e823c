/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>

#include "kpin.h"
#include "report/json.h"
#include "shared/cleanup.h"
#include "shared/clock.h"
#include "shared/log.h"

/* Says which accelerator kpin would use here and why: the same probe every
 * other verb runs before it starts a VM. */
int cmd_accel(Context *ctx, char **args) {
        _cleanup_free_ char *reason = NULL;
        const char *mode = ctx->accel == ACCEL_KVM ? "kvm" : ctx->accel == ACCEL_TCG ? "tcg" : "auto";
        double t0 = monotonic_s();
        long long ms;
        int usable;

        (void) args;
        if (ctx->accel != ACCEL_AUTO)
                usable = ctx->accel == ACCEL_KVM;
        else {
                usable = accel_probe_kvm(2000, &reason);
                if (usable < 0)
                        return log_fail(KPIN_EXIT_ENVIRONMENT, usable, "probing KVM failed: %m");
        }
        ms = (long long) ((monotonic_s() - t0) * 1000);

        if (ctx->json || ctx->report) {
                json_object *o = json_envelope("accel", true, NULL);
                int r;

                if (!o)
                        return -ENOMEM;
                json_object_object_add(o, "mode", json_object_new_string(mode));
                json_object_object_add(o, "accel", json_object_new_string(usable ? "kvm" : "tcg"));
                json_object_object_add(o, "reason", reason ? json_object_new_string(reason) : NULL);
                json_object_object_add(o, "probe_ms", json_object_new_int64(ms));
                r = json_emit(o, ctx->json, ctx->report);
                if (r < 0)
                        return r;
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
