/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guest/debian.h"
#include "guest/guest.h"
#include "guest/image.h"
#include "guest/inspect.h"
#include "guest/txn.h"
#include "kpin.h"
#include "report/json.h"
#include "shared/cleanup.h"
#include "shared/log.h"
#include "shared/strv.h"

static double now_s(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
}

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
        _cleanup_(image_info_done) ImageInfo img = {};
        _cleanup_(pkgdir_freep) PkgDir *pkgdir = NULL;
        _cleanup_(txn_freep) Txn *txn = NULL;
        _cleanup_(guest_closep) Guest *gu = NULL;
        _cleanup_(guest_state_freep) GuestState *before = NULL;
        _cleanup_(pin_result_done) PinResult res = {};
        _cleanup_free_ char *real_image = NULL, *real_out = NULL;
        const char *image = args[0];
        bool kvm, in_place = ctx->in_place;
        double t0 = now_s();
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        int r;

        if (!ctx->kernel)
                return log_fail(KPIN_EXIT_USAGE, -EINVAL, "pin: --kernel SERIES|KVER is required");
        if (!ctx->output == !in_place)
                return log_fail(KPIN_EXIT_USAGE, -EINVAL, "pin: give exactly one of -o OUT and --in-place");
        /* -o IMAGE is in place */
        real_image = realpath(image, NULL);
        real_out = ctx->output ? realpath(ctx->output, NULL) : NULL;
        if (real_image && real_out && strcmp(real_image, real_out) == 0)
                in_place = true;

        r = image_check(image, in_place, &img);
        if (r < 0)
                return r;
        if (ctx->packages) {
                r = pkgdir_load(ctx->packages, &pkgdir);
                if (r < 0)
                        return r;
        }
        r = accel_resolve(ctx->accel, &kvm);
        if (r < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, r, "probing KVM failed: %m");
        r = txn_begin(image, img.format, ctx->output, in_place, &txn);
        if (r < 0)
                return r;
        r = guest_open(txn->overlay, &(GuestOpenOptions) {
                                             .name = image,
                                             .format = IMAGE_FORMAT_QCOW2,
                                             .readonly = false,
                                             .kvm = kvm,
                                             .verbosity = ctx->verbosity,
                                             .memsize_mb = 2048,
                                             .smp = ncpu > 1 ? (int) (ncpu < 4 ? ncpu : 4) : 1,
                                     },
                       &gu);
        if (r < 0)
                return r;
        r = guest_inspect(gu, &before);
        if (r < 0)
                return log_fail(KPIN_EXIT_FAILURE, r, "%s: inspection failed: %m", image);
        r = debian_pin(gu, before, &(PinRequest) {
                                           .kernel = ctx->kernel,
                                           .flavour = ctx->flavour,
                                           .packages = pkgdir,
                                           .purge_old = ctx->purge_old,
                                   },
                       &res);
        if (r < 0)
                return r;
        r = guest_close(TAKE_PTR(gu));
        if (r < 0)
                return r;
        if (res.changed || !in_place) {
                r = txn_commit(txn);
                if (r < 0)
                        return r;
        }
        return report(ctx, image, txn->target, &res, now_s() - t0);
}
