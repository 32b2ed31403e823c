/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aptsources.h"
#include "dkmsstatus.h"
#include "plan.h"
#include "probe.h"
#include "shared/cleanup.h"
#include "shared/strv.h"

void options_done(Options *o) {
        strv_free(o->from);
        strv_free(o->modules);
        strv_free(o->build_configs);
        strv_free(o->expect_modules);
        strv_free(o->forecast_from);
        *o = (Options) {};
}

const char *plan_verb_to_string(PlanVerb v) {
        static const char *const names[] = {
                [PLAN_INSPECT] = "inspect", [PLAN_PIN] = "pin", [PLAN_DKMS] = "dkms", [PLAN_MATRIX] = "dkms",
                [PLAN_BOOT_TEST] = "boot-test", [PLAN_REPAIR] = "repair", [PLAN_FETCH] = "fetch",
                [PLAN_FORECAST] = "forecast",
        };

        return (size_t) v < ELEMENTSOF(names) && names[v] ? names[v] : "?";
}

static int refuse(char **ret_error, PlanVerb v, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refuse(char **ret_error, PlanVerb v, const char *fmt, ...) {
        char *why = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&why, fmt, ap) < 0)
                why = NULL;
        va_end(ap);
        *ret_error = why ? strprintf("%s: %s", plan_verb_to_string(v), why) : NULL;
        free(why);
        return *ret_error ? -EINVAL : -ENOMEM;
}

/* Each fetch source is a Debian suite name or a one-line apt entry: said
 * now, not after the image is open. */
static int plan_fetch_from(char * const *from, const char *what, PlanVerb verb, char **ret_error) {
        STRV_FOREACH(f, from) {
                int r = apt_source_arg_check(*f);

                if (r == -EINVAL)
                        return refuse(ret_error, verb, "%s %s: not a Debian suite name or a \"deb URI SUITE COMPONENT\" line",
                                      what, *f);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* What a run without a profile reads: every tristate unset. */
static const Profile no_profile = { .network = -1, .purge_old = -1, .hold = -1, .roll = -1, .boot_test = -1 };

/* The command line's value if it gave one, else the profile's. */
#define PICK(o, bit, cl, prof) ((o)->used & (bit) ? (cl) : (prof))

static int plan_boot_test(const Options *o, const Profile *p, Plan *pl, char **ret_error) {

        if (!p)
                p = &no_profile;
        pl->expect_kernel = o->expect_kernel ? o->expect_kernel : p->expect_kernel;
        pl->expect_modules = o->expect_modules ? o->expect_modules : p->expect_modules;
        pl->timeout_s = PICK(o, OPT_TIMEOUT, o->timeout_s, p->timeout_s ? p->timeout_s : PLAN_TIMEOUT_DEFAULT);
        pl->firmware = PICK(o, OPT_FIRMWARE, o->firmware, p->firmware ? p->firmware : FIRMWARE_SPEC_AUTO);
        pl->memory_mb = PICK(o, OPT_MEMORY, o->memory_mb, p->memory_mb ? p->memory_mb : PLAN_MEMORY_DEFAULT);
        pl->serial_log = o->serial_log;
        pl->uefi_vars = o->uefi_vars ? o->uefi_vars : p->uefi_vars;
        pl->network_units_fail = p->network_units_fail > 0;
        if (pl->timeout_s < PLAN_TIMEOUT_MIN || pl->timeout_s > PLAN_TIMEOUT_MAX)
                return refuse(ret_error, pl->verb, "--timeout takes %d to %d seconds", PLAN_TIMEOUT_MIN, PLAN_TIMEOUT_MAX);
        if (pl->memory_mb < PLAN_MEMORY_MIN || pl->memory_mb > PLAN_MEMORY_MAX)
                return refuse(ret_error, pl->verb, "--memory takes %d to %d MiB", PLAN_MEMORY_MIN, PLAN_MEMORY_MAX);
        STRV_FOREACH(m, pl->expect_modules)
                if (!probe_module_name_ok(*m))
                        return refuse(ret_error, pl->verb, "--expect-module %s: not a module name", *m);
        if (pl->uefi_vars && (pl->firmware & ((1u << FIRMWARE_UEFI) | (1u << FIRMWARE_UEFI_SECURE) | FIRMWARE_SPEC_ALL |
                                              FIRMWARE_SPEC_AUTO)) == 0)
                return refuse(ret_error, pl->verb, "--uefi-vars goes with a UEFI --firmware");
        return 0;
}

static int plan_output(const Options *o, Plan *pl, char **ret_error) {
        if (!o->output == !o->in_place)
                return refuse(ret_error, pl->verb, "give exactly one of -o OUT and --in-place");
        pl->write = true;
        pl->output = o->output;
        pl->in_place = o->in_place;
        pl->force = o->force;
        return 0;
}

static int plan_modules(char **modules, Plan *pl, char **ret_error) {
        STRV_FOREACH(m, modules) {
                const char *slash = strchr(*m, '/');
                _cleanup_free_ char *name = slash ? strndup(*m, slash - *m) : strdup(*m);

                if (!name)
                        return -ENOMEM;
                if (!dkms_name_valid(name) || (slash && !dkms_name_valid(slash + 1)))
                        return refuse(ret_error, pl->verb, "--module %s: not a DKMS module name[/version]", *m);
        }
        return 0;
}

static int plan_pin(const Options *o, Plan *pl, char **ret_error) {
        int r;

        if (!o->kernel)
                return refuse(ret_error, pl->verb, "--kernel SERIES|KVER is required");
        r = plan_output(o, pl, ret_error);
        if (r < 0)
                return r;
        pl->pin = pl->verify = pl->hold = true;
        pl->kernel = o->kernel;
        pl->flavour = o->flavour;
        pl->packages = o->packages;
        pl->network = o->network;
        pl->purge_old = o->purge_old;
        pl->roll = o->used & OPT_ROLL ? o->roll : true;
        pl->keep_kernels = o->used & OPT_KEEP_KERNELS ? o->keep_kernels : PLAN_KEEP_KERNELS_DEFAULT;
        return 0;
}

static int plan_matrix(const Options *o, Plan *pl, char **ret_error) {
        if (o->output || o->in_place || o->source || o->build_configs || o->kernel || strv_length(o->modules) > 1)
                return refuse(ret_error, pl->verb,
                              "--matrix changes nothing: it takes at most one --module and no -o, "
                              "--in-place, --source, --build-config or --kernel");
        pl->modules = o->modules;
        pl->packages = o->packages;
        pl->build_cache = o->build_cache;
        pl->markdown = o->format && strcmp(o->format, "markdown") == 0;
        return 0;
}

static int plan_dkms(const Options *o, Plan *pl, char **ret_error) {
        int r;

        if (o->format)
                return refuse(ret_error, pl->verb, "--format goes with --matrix");
        if (o->packages)
                return refuse(ret_error, pl->verb, "--packages DIR goes with --matrix (install kernels with kpin pin)");
        if (!o->modules && !o->source)
                return refuse(ret_error, pl->verb, "give --module NAME[/VER] or --source DIR|FILE.deb (or --matrix)");
        r = plan_output(o, pl, ret_error);
        if (r < 0)
                return r;
        pl->dkms = pl->verify = true;
        pl->modules = o->modules;
        pl->build_configs = o->build_configs;
        pl->source = o->source;
        pl->dkms_kernel = o->kernel;
        pl->sign_key = o->sign_key;
        pl->sign_cert = o->sign_cert;
        pl->build_cache = o->build_cache;
        return 0;
}

static int plan_fetch(const Options *o, Plan *pl, char **ret_error) {
        int r;

        if (!o->kernel)
                return refuse(ret_error, pl->verb, "--kernel SERIES|KVER is required");
        if (!o->from)
                return refuse(ret_error, pl->verb, "give at least one --from SOURCE (a suite such as bookworm, or an apt line)");
        if (!o->dest)
                return refuse(ret_error, pl->verb, "-d DIR is required: where the packages go");
        pl->fetch = true;
        pl->kernel = o->kernel;
        pl->flavour = o->flavour;
        pl->fetch_from = o->from;
        pl->mirror = o->mirror;
        pl->allow_unsigned = o->allow_unsigned;
        pl->packages = o->dest;
        r = plan_fetch_from(pl->fetch_from, "--from", pl->verb, ret_error);
        if (r < 0)
                return r;
        return 0;
}

/* A series (6.12) or a release or prefix of one (6.12.57+deb13): what
 * --kernel takes too. */
static bool kernel_word_ok(const char *k) {
        size_t major = strspn(k, "0123456789");

        return major > 0 && k[major] == '.' && k[major + 1] >= '0' && k[major + 1] <= '9' &&
               strspn(k, "0123456789abcdefghijklmnopqrstuvwxyz.+~-") == strlen(k);
}

/* The forecast's kernel and where it comes from: repair does it after the
 * commit when a profile or --forecast asks (--no-forecast: never). */
static int plan_forecast_source(const Options *o, const Profile *p, Plan *pl, char **ret_error) {
        int r;

        pl->forecast = o->no_forecast ? NULL : o->forecast ? o->forecast : p->forecast;
        if (!pl->forecast)
                return 0;
        pl->forecast_packages = o->forecast_packages ? o->forecast_packages : p->forecast_packages;
        pl->forecast_from = o->forecast_from ? o->forecast_from : p->forecast_from;
        if (!kernel_word_ok(pl->forecast))
                return refuse(ret_error, pl->verb, "--forecast %s: not a kernel series such as 6.12", pl->forecast);
        /* a forecast of the pinned series itself would always say "lifted" */
        if ((pl->kernel ?: p->kernel) && strcmp(pl->forecast, pl->kernel ?: p->kernel) == 0)
                return refuse(ret_error, pl->verb, "--forecast %s is the series the pin holds: forecast the one it would "
                              "be lifted to, e.g. 6.12", pl->forecast);
        if (pl->forecast_from && !pl->forecast_packages)
                return refuse(ret_error, pl->verb, "fetching the forecast's kernel (--forecast-from, [forecast] fetch-from) "
                              "needs the directory to fetch into: --forecast-packages DIR or [forecast] packages");
        r = plan_fetch_from(pl->forecast_from, o->forecast_from ? "--forecast-from" : "[forecast] fetch-from", pl->verb,
                            ret_error);
        if (r < 0)
                return r;
        return 0;
}

/* The modules and how they are built, from the command line over the
 * profile: repair and forecast alike. */
static void plan_modules_from(const Options *o, const Profile *p, Plan *pl) {
        pl->modules = o->modules ? o->modules : p->modules;
        pl->build_configs = o->build_configs ? o->build_configs : p->build_configs;
        pl->source = o->source ? o->source : p->source;
        pl->sign_key = o->sign_key ? o->sign_key : p->sign_key;
        pl->sign_cert = o->sign_cert ? o->sign_cert : p->sign_cert;
        pl->build_cache = o->build_cache ? o->build_cache : p->build_cache;
}

/* The profile's name, and its image unless the command line gave one
 * (ways: how else to give it). */
static int plan_image(const Options *o, const Profile *p, Plan *pl, const char *ways, char **ret_error) {
        pl->profile_name = p->name;
        pl->profile_path = o->profile;
        if (!pl->image)
                pl->image = p->image;
        if (!pl->image)
                return refuse(ret_error, pl->verb, "no image: give %s or a profile with [image] path", ways);
        return 0;
}

static int plan_forecast(const Options *o, const Profile *p, Plan *pl, char **ret_error) {
        int r;

        if (!p)
                p = &no_profile;
        r = plan_image(o, p, pl, "IMAGE", ret_error);
        if (r < 0)
                return r;
        r = plan_forecast_source(o, p, pl, ret_error);
        if (r < 0)
                return r;
        if (!pl->forecast)
                return refuse(ret_error, pl->verb, "no kernel to forecast: give --forecast SERIES or [forecast] kernel in a profile");
        pl->flavour = p->flavour;
        plan_modules_from(o, p, pl);
        pl->mirror = o->mirror ? o->mirror : p->mirror;
        pl->allow_unsigned = o->allow_unsigned;
        pl->boot_test = o->used & OPT_NO_BOOT_TEST ? false : p->boot_test != 0;
        return plan_boot_test(o, p, pl, ret_error);
}

static int plan_repair(const Options *o, const Profile *p, Plan *pl, char **ret_error) {
        int r;

        if (!p)
                p = &no_profile;
        r = plan_image(o, p, pl, "IMAGE, --packer-manifest FILE", ret_error);
        if (r < 0)
                return r;
        pl->pin = pl->verify = true;
        pl->kernel = o->kernel ? o->kernel : p->kernel;
        pl->flavour = o->flavour ? o->flavour : p->flavour;
        pl->packages = o->packages ? o->packages : p->packages;
        pl->network = PICK(o, OPT_NETWORK, o->network, p->network > 0);
        pl->purge_old = PICK(o, OPT_OLD, o->purge_old, p->purge_old > 0);
        pl->hold = PICK(o, OPT_HOLD, o->hold, p->hold != 0);
        pl->roll = PICK(o, OPT_ROLL, o->roll, p->roll != 0);
        pl->keep_kernels = o->used & OPT_KEEP_KERNELS ? o->keep_kernels
                           : p->keep_kernels ? p->keep_kernels : PLAN_KEEP_KERNELS_DEFAULT;
        plan_modules_from(o, p, pl);
        pl->dkms = pl->modules || pl->source;
        pl->fetch_from = o->from ? o->from : p->fetch_from;
        pl->mirror = o->mirror ? o->mirror : p->mirror;
        pl->allow_unsigned = o->allow_unsigned;
        pl->fetch = pl->fetch_from != NULL;
        pl->boot_test = o->used & OPT_NO_BOOT_TEST ? false : p->boot_test != 0;
        if (!pl->kernel)
                return refuse(ret_error, pl->verb, "no kernel: give --kernel or [kernel] series in a profile");
        if (pl->packages && pl->network)
                return refuse(ret_error, pl->verb, "--packages DIR (offline) and --network exclude each other");
        if (pl->fetch && !pl->packages)
                return refuse(ret_error, pl->verb, "fetching (--from, [kernel] fetch-from) needs the directory to fetch into: "
                              "--packages DIR or [kernel] packages");
        r = plan_fetch_from(pl->fetch_from, o->from ? "--from" : "[kernel] fetch-from", pl->verb, ret_error);
        if (r < 0)
                return r;
        r = plan_forecast_source(o, p, pl, ret_error);
        if (r < 0)
                return r;
        r = plan_output(o, pl, ret_error);
        if (r < 0)
                return r;
        /* checked even when the boot test is off, so a profile is
         * never half right */
        r = plan_boot_test(o, p, pl, ret_error);
        if (r < 0)
                return r;
        pl->junit = o->junit;
        return 0;
}

int plan_make(PlanVerb verb, const Options *o, const Profile *p, const char *image, Plan *ret, char **ret_error) {
        Plan pl = { .verb = verb, .image = image };
        int r = 0;

        *ret_error = NULL;
        switch (verb) {
        case PLAN_INSPECT:
                break;
        case PLAN_PIN:
                r = plan_pin(o, &pl, ret_error);
                break;
        case PLAN_MATRIX:
                r = plan_matrix(o, &pl, ret_error);
                break;
        case PLAN_DKMS:
                r = plan_dkms(o, &pl, ret_error);
                break;
        case PLAN_FETCH:
                r = plan_fetch(o, &pl, ret_error);
                break;
        case PLAN_BOOT_TEST:
                pl.boot_test = true;
                pl.junit = o->junit;
                r = plan_boot_test(o, NULL, &pl, ret_error);
                break;
        case PLAN_REPAIR:
                r = plan_repair(o, p, &pl, ret_error);
                break;
        case PLAN_FORECAST:
                r = plan_forecast(o, p, &pl, ret_error);
                break;
        }
        if (r < 0)
                return r;
        if (!pl.sign_key != !pl.sign_cert)
                return refuse(ret_error, verb, "--sign-key and --sign-cert go together: the site's key and its certificate");
        if (verb == PLAN_PIN && pl.packages && pl.network)
                return refuse(ret_error, verb, "--packages DIR (offline) and --network exclude each other");
        r = plan_modules(pl.modules, &pl, ret_error);
        if (r < 0)
                return r;
        if (!pl.image)
                return refuse(ret_error, verb, "missing argument");
        *ret = pl;
        return 0;
}
