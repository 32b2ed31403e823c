/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline-internal.h"
#include "shared/cleanup.h"
#include "shared/clock.h"
#include "shared/log.h"
#include "shared/progress.h"
#include "shared/strv.h"

void forecast_done(Forecast *f) {
        free(f->series);
        free(f->release);
        free(f->version);
        dkms_cells_free(f->modules, f->n_modules);
        free(f->boot_error);
        free(f->problem);
        *f = (Forecast) {};
}

/* The run the forecast is: the repair's modules, signing and boot test,
 * with the forecast's kernel and sources, on a throw-away overlay of image;
 * nothing held, nothing purged. */
static Plan forecast_plan(const Plan *pl, const char *image) {
        Plan fp = *pl;

        fp.verb = PLAN_FORECAST;
        fp.image = image;
        fp.write = fp.in_place = fp.force = false;
        fp.output = NULL;
        fp.fetch_from = pl->forecast_from;
        fp.fetch = pl->forecast_from != NULL;
        fp.pin = fp.dkms = fp.verify = true;
        fp.kernel = pl->forecast;
        fp.packages = pl->forecast_packages;
        fp.network = fp.purge_old = fp.hold = false;
        fp.roll = true;
        fp.keep_kernels = PLAN_KEEP_KERNELS_MAX;
        fp.dkms_kernel = NULL;
        fp.expect_kernel = NULL;
        fp.expect_modules = NULL;
        /* repair's serial log is its own boot's */
        fp.serial_log = pl->verb == PLAN_FORECAST ? pl->serial_log : NULL;
        fp.junit = NULL;
        return fp;
}

static const char *package_version(const Repair *rp, const char *release) {
        _cleanup_free_ char *pkg = strprintf("linux-image-%s", release);

        for (size_t i = 0; i < rp->before->n_kernels; i++)
                if (strcmp(rp->before->kernels[i].release, release) == 0)
                        return rp->before->kernels[i].package_version;
        for (size_t i = 0; pkg && rp->pkgdir && i < rp->pkgdir->n_pkgs; i++)
                if (strcmp(rp->pkgdir->pkgs[i].name, pkg) == 0)
                        return rp->pkgdir->pkgs[i].version;
        return NULL;
}

static int forecast_pin(Repair *rp, Forecast *f) {
        Guest *gu = rp->session.gu;
        const char *v;
        int r;

        /* the kernel's own hook builds nothing: each module is tried below */
        if (!guest_exists(gu, DKMS_NO_AUTOINSTALL) && guest_write_file(gu, DKMS_NO_AUTOINSTALL, "", 0) < 0)
                return log_fail(KPIN_EXIT_FAILURE, -EIO, "%s: %s: %s", rp->plan->image, DKMS_NO_AUTOINSTALL,
                                guest_last_error(gu));
        progress_begin("forecast");
        r = pin_kernel(gu, rp->before,
                       &(PinRequest) {
                               .kernel = rp->plan->kernel,
                               .flavour = rp->plan->flavour,
                               .packages = rp->pkgdir,
                               .no_hold = true,
                               .keep_kernels = PLAN_KEEP_KERNELS_MAX,
                       },
                       &rp->pin);
        progress_end();
        if (r < 0)
                return r;
        rp->pin_ran = true;
        f->release = strdup(rp->pin.release);
        v = package_version(rp, rp->pin.release);
        f->version = v ? strdup(v) : NULL;
        f->installed = rp->pin.installed != NULL;
        if (!f->release || (v && !f->version))
                return -ENOMEM;
        return 0;
}

static int forecast_boot(Repair *rp, Forecast *f) {
        _cleanup_strv_free_ char **expect = NULL;
        Plan *fp = (Plan *) rp->plan;
        int r;

        for (size_t i = 0; i < f->n_modules; i++)
                STRV_FOREACH(m, f->modules[i].modules)
                        if (!strv_contains(expect, *m) && (r = strv_extend(&expect, *m)) < 0)
                                return r;
        r = guest_secrets_done(rp->session.gu);
        if (r < 0)
                return r;
        fp->expect_modules = expect;
        /* a boot under TCG takes minutes: a line a minute in a log */
        progress_begin("forecast");
        r = repair_boot_test(rp);
        progress_end();
        fp->expect_modules = NULL;
        f->boot_ran = rp->boot_ran;
        for (size_t i = 0; i < rp->boot.n; i++)
                if (rp->boot.boots[i].boot.seconds > f->boot_seconds)
                        f->boot_seconds = rp->boot.boots[i].boot.seconds;
        if (r < 0 && rp->boot_ran) {
                /* a verdict, not a failure of the forecast */
                f->boot_error = boot_tests_first_failure(&rp->boot);
                log_reset_failure();
                return f->boot_error ? 0 : -ENOMEM;
        }
        f->boot_ok = r >= 0;
        return r;
}

static int forecast_run(Repair *rp, const RunOptions *o, Forecast *f) {
        const Plan *fp = rp->plan;
        int r;

        if (fp->packages && access(fp->packages, F_OK) >= 0 && (r = pkgdir_load(fp->packages, &rp->pkgdir)) < 0)
                return r;
        r = repair_open(rp, o);
        if (r < 0)
                return r;
        if (fp->fetch) {
                progress_begin("forecast");
                r = repair_fetch(rp);
                progress_end();
                if (r < 0)
                        return r;
        }
        r = forecast_pin(rp, f);
        if (r < 0)
                return r;
        f->ran = true;
        r = dkms_forecast(rp->session.gu, rp->before,
                          &(DkmsRequest) {
                                  .modules = fp->modules,
                                  .source = fp->source,
                                  .build_configs = fp->build_configs,
                                  .signer = fp->sign_key ? &rp->site_signer : NULL,
                                  .sign_key = rp->sign_key_path,
                                  .sign_cert = rp->sign_cert_path,
                                  .build_cache = fp->build_cache,
                          },
                          f->release, &f->modules, &f->n_modules);
        if (r < 0)
                return r;
        for (size_t i = 0; i < f->n_modules; i++)
                f->n_failed += !f->modules[i].built;
        if (f->n_failed == 0 && fp->boot_test) {
                r = forecast_boot(rp, f);
                if (r < 0)
                        return r;
        }
        f->lifted = f->n_failed == 0 && (!fp->boot_test || f->boot_ok);
        return session_close(&rp->session);
}

int repair_forecast(const Plan *pl, const RunOptions *o, const char *image, Forecast *ret) {
        Plan fp = forecast_plan(pl, image);
        _cleanup_(repair_done) Repair rp = { .plan = &fp, .t0 = monotonic_s() };
        Forecast f = {};
        int r;

        log_info("forecast: can %s's pin be lifted? its modules against the newest %s", image, pl->forecast);
        f.series = strdup(pl->forecast);
        if (!f.series)
                return -ENOMEM;
        r = forecast_run(&rp, o, &f);
        f.seconds = monotonic_s() - rp.t0;
        if (r < 0) {
                f.problem = strdup(log_failure_message() ? log_failure_message() : strerror(-r));
                f.lifted = false;
                /* repair: the image is committed; a forecast that could not run is said, not a failure */
                if (pl->verb == PLAN_REPAIR) {
                        log_warning("forecast for %s could not run: %s", pl->forecast, f.problem ? f.problem : "?");
                        log_reset_failure();
                }
        }
        *ret = f;
        return pl->verb == PLAN_REPAIR ? 0 : r;
}
