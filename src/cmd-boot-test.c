/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "guest/image.h"
#include "kpin.h"
#include "report/json.h"
#include "report/junit.h"
#include "shared/cleanup.h"
#include "shared/log.h"
#include "shared/strv.h"
#include "vm/boottest.h"

int cmd_boot_test(Context *ctx, char **args) {
        _cleanup_(image_info_done) ImageInfo img = {};
        _cleanup_(boot_test_done) BootTest t = {};
        const char *image = args[0];
        int r;

        r = image_check(image, false, ctx->allow_backing, &img);
        if (r < 0)
                return r;
        r = boot_test_run(image, img.format, &(BootTestRequest) {
                                                     .name = image,
                                                     .expect_kernel = ctx->expect_kernel,
                                                     .expect_modules = ctx->expect_modules,
                                                     .timeout_s = ctx->timeout_s,
                                                     .firmware = ctx->firmware,
                                                     .memory_mb = ctx->memory_mb,
                                                     .serial_log = ctx->serial_log,
                                                     .accel = ctx->accel,
                                                     .verbosity = ctx->verbosity,
                                             },
                          &t);
        if (r < 0)
                return r;

        if (ctx->junit) {
                JunitCase jc[BOOT_TEST_MAX_CHECKS];
                _cleanup_free_ char *suite = strprintf("kpin boot-test %s", image);
                size_t n = boot_test_junit_cases(&t, jc);

                r = suite ? junit_write(ctx->junit, suite, jc, n, t.boot.seconds) : -ENOMEM;
                if (r < 0)
                        return log_fail(KPIN_EXIT_FAILURE, r, "%s: cannot write the JUnit report: %m", ctx->junit);
        }
        if (ctx->json || ctx->report) {
                json_object *o = json_object_new_object();

                if (!o)
                        return -ENOMEM;
                json_object_object_add(o, "kpin", json_object_new_string(PACKAGE_VERSION));
                json_object_object_add(o, "command", json_object_new_string("boot-test"));
                json_object_object_add(o, "ok", json_object_new_boolean(t.n_failed == 0));
                json_object_object_add(o, "image", json_object_new_string(image));
                boot_test_to_json(&t, o);
                r = json_emit(o, ctx->json, ctx->report);
                if (r < 0)
                        return r;
                ctx->reported = true;
        }
        if (!ctx->json)
                boot_test_print(&t, image, "");
        if (t.n_failed) {
                const char *why = boot_test_first_failure(&t);

                return log_fail(KPIN_EXIT_BOOT, -EPROTO, "%s: boot test failed: %s", image, why ? why : "?");
        }
        return 0;
}
