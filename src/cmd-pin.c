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
#include "shared/cleanup.h"
#include "shared/clock.h"
#include "shared/log.h"
#include "shared/strv.h"

static json_object *strv_to_json(char * const *l) {
        json_object *a = json_object_new_array();

        STRV_FOREACH(s, l)
                json_object_array_add(a, json_object_new_string(*s));
        return a;
}

static json_object *str_or_null(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

static int report(const Context *ctx, const char *image, const char *target, const PinResult *r, double seconds) {
        if (ctx->json || ctx->report) {
                json_object *o = json_object_new_object(), *g = json_object_new_object();
                int k = 0;

                if (!o || !g) {
                        json_object_put(o);
                        json_object_put(g);
                        return -ENOMEM;
                }
                json_object_object_add(o, "kpin", json_object_new_string(PACKAGE_VERSION));
                json_object_object_add(o, "command", json_object_new_string("pin"));
                json_object_object_add(o, "ok", json_object_new_boolean(1));
                json_object_object_add(o, "image", json_object_new_string(image));
                json_object_object_add(o, "output", json_object_new_string(target));
                json_object_object_add(o, "changed", json_object_new_boolean(r->changed));
                json_object_object_add(o, "kernel", json_object_new_string(r->release));
                json_object_object_add(o, "series", json_object_new_string(r->series));
                json_object_object_add(o, "installed", strv_to_json(r->installed));
                json_object_object_add(o, "held", strv_to_json(r->held));
                json_object_object_add(o, "purged", strv_to_json(r->purged));
                json_object_object_add(o, "apt_preferences_written", json_object_new_boolean(r->prefs_written));
                json_object_object_add(g, "default_before", str_or_null(r->grub_before));
                json_object_object_add(g, "default_after", str_or_null(r->grub_after));
                json_object_object_add(g, "boots_before", str_or_null(r->boot_before));
                json_object_object_add(g, "boots_after", str_or_null(r->boot_after));
                json_object_object_add(g, "regenerated", json_object_new_boolean(r->grub_regenerated));
                json_object_object_add(o, "grub", g);
                json_object_object_add(o, "seconds", json_object_new_double(seconds));
                if (ctx->report)
                        k = json_write(o, ctx->report);
                if (k >= 0 && ctx->json)
                        k = json_write(o, "-");
                json_object_put(o);
                if (k < 0)
                        return log_fail(KPIN_EXIT_FAILURE, k, "cannot write the report: %m");
        }
        if (ctx->json)
                return 0;
        if (!r->changed) {
                printf("%s already boots and holds %s: nothing changed\n", image, r->release);
                return 0;
        }
        printf("pinned %s (Linux %s) -> %s\n", r->release, r->series, target);
        if (r->installed) {
                printf("  installed:");
                STRV_FOREACH(p, r->installed)
                        printf(" %s", *p);
                printf("\n");
        }
        if (r->held) {
                printf("  held:     ");
                STRV_FOREACH(p, r->held)
                        printf(" %s", *p);
                printf("\n");
        }
        if (r->purged) {
                printf("  purged:   ");
                STRV_FOREACH(p, r->purged)
                        printf(" %s", *p);
                printf("\n");
        }
        if (r->prefs_written)
                printf("  apt:       /etc/apt/preferences.d/kpin-kernel (other kernel series: Pin-Priority -1)\n");
        printf("  grub:      GRUB_DEFAULT %s -> %s\n", r->grub_before ? r->grub_before : "(unset)",
               r->grub_after ? r->grub_after : "(unchanged)");
        printf("             boots %s -> %s\n", r->boot_before ? r->boot_before : "(unknown)",
               r->boot_after ? r->boot_after : "(unknown)");
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
        r = session_open(image, ctx->output, ctx->in_place, ctx->accel, ctx->verbosity, ctx->network, &ss);
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
