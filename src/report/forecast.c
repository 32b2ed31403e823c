/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/forecast.h"
#include "report/json.h"
#include "shared/cleanup.h"
#include "shared/log.h"
#include "shared/strv.h"

char **forecast_verdict(const Forecast *f) {
        _cleanup_strv_free_ char **l = NULL;
        int r = 0;

        if (f->problem)
                r = strv_consume(&l, strprintf("forecast for %s could not run: %s", f->series, f->problem));
        else if (f->n_failed)
                for (size_t i = 0; i < f->n_modules && r >= 0; i++) {
                        const DkmsCell *c = &f->modules[i];

                        if (!c->built)
                                r = strv_consume(&l, strprintf("pin still needed: %s %s fails on %s: %s", c->name,
                                                               c->version, f->release, c->error ? c->error : "?"));
                }
        else if (f->boot_error)
                r = strv_consume(&l, strprintf("pin still needed: every module builds on %s, but it does not boot with "
                                               "them: %s", f->release, f->boot_error));
        else if (f->lifted && f->boot_ok)
                r = strv_consume(&l, strprintf("the pin can be lifted: %s on %s", f->n_modules
                                               ? "every module builds and loads" : "no DKMS module to build; it boots",
                                               f->release));
        else if (f->lifted)
                r = strv_consume(&l, strprintf("the pin can be lifted: every module builds on %s (not boot-tested)",
                                               f->release));
        else
                r = strv_consume(&l, strprintf("forecast for %s: no verdict", f->series));
        return r < 0 ? NULL : TAKE_PTR(l);
}

void forecast_print(const Forecast *f, const char *indent) {
        _cleanup_strv_free_ char **v = forecast_verdict(f);

        STRV_FOREACH(line, v)
                printf("%s%s\n", indent, *line);
        if (!f->ran)
                return;
        printf("%s  kernel:   %s%s%s%s%s\n", indent, f->release, f->version ? " (" : "", f->version ? f->version : "",
               f->version ? ")" : "", f->installed ? ", installed in a throw-away overlay" : ", the image's own");
        for (size_t i = 0; i < f->n_modules; i++) {
                const DkmsCell *c = &f->modules[i];

                printf("%s  %-9s %s/%s: %s in %.0f s\n", indent, i == 0 ? "modules:" : "", c->name, c->version,
                       !c->built ? "FAILED" : c->cached ? "from the build cache" : "built", c->seconds);
                if (c->log)
                        printf("%s             log: %s in the throw-away overlay\n", indent, c->log);
        }
        if (f->boot_ran)
                printf("%s  boot:     %s in %.0f s\n", indent, f->boot_ok ? "passed" : "FAILED", f->boot_seconds);
}

json_object *forecast_to_json(const Forecast *f) {
        _cleanup_json_ json_object *o = json_object_new_object();
        _cleanup_strv_free_ char **v = forecast_verdict(f);
        json_object *mods = json_object_new_array(), *boot = json_object_new_object();

        if (!o || !mods || !boot || !v) {
                json_object_put(mods);
                json_object_put(boot);
                return NULL;
        }
        json_object_object_add(o, "series", json_object_new_string(f->series));
        json_object_object_add(o, "kernel", json_str_or_null(f->release));
        json_object_object_add(o, "version", json_str_or_null(f->version));
        json_object_object_add(o, "installed", json_object_new_boolean(f->installed));
        json_object_object_add(o, "lifted", json_object_new_boolean(f->lifted));
        json_object_object_add(o, "verdict", json_strv(v));
        for (size_t i = 0; i < f->n_modules; i++) {
                const DkmsCell *c = &f->modules[i];
                json_object *m = json_object_new_object();

                json_object_object_add(m, "name", json_object_new_string(c->name));
                json_object_object_add(m, "version", json_object_new_string(c->version));
                json_object_object_add(m, "built", json_object_new_boolean(c->built));
                json_object_object_add(m, "cached", json_object_new_boolean(c->cached));
                json_object_object_add(m, "seconds", json_object_new_double(c->seconds));
                json_object_object_add(m, "error", json_str_or_null(c->error));
                json_object_object_add(m, "log", json_str_or_null(c->log));
                json_object_object_add(m, "loads", json_object_new_boolean(c->built && f->boot_ok));
                json_object_array_add(mods, m);
        }
        json_object_object_add(o, "modules", mods);
        json_object_object_add(boot, "ran", json_object_new_boolean(f->boot_ran));
        json_object_object_add(boot, "ok", json_object_new_boolean(f->boot_ok));
        json_object_object_add(boot, "seconds", json_object_new_double(f->boot_seconds));
        json_object_object_add(boot, "error", json_str_or_null(f->boot_error));
        json_object_object_add(o, "boot_test", boot);
        json_object_object_add(o, "problem", json_str_or_null(f->problem));
        json_object_object_add(o, "seconds", json_object_new_double(f->seconds));
        return TAKE_PTR(o);
}

int report_forecast(const char *image, const Forecast *f, const ReportOptions *o) {
        if (o->json || o->report) {
                json_object *j = json_envelope("forecast", f->lifted, image), *x = forecast_to_json(f);
                int r;

                if (!j || !x) {
                        json_object_put(j);
                        json_object_put(x);
                        return -ENOMEM;
                }
                json_object_object_add(j, "forecast", x);
                r = json_emit(j, o->json, o->report);
                if (r < 0)
                        return r;
        }
        if (!o->json) {
                printf("%s: ", image);
                forecast_print(f, "");
                printf("  took %.0f s\n", f->seconds);
        }
        if (f->lifted)
                return 0;
        {
                _cleanup_strv_free_ char **v = forecast_verdict(f);

                return log_fail(f->n_failed ? KPIN_EXIT_DKMS : KPIN_EXIT_BOOT, -EPROTO, "%s: %s", image,
                                v && v[0] ? v[0] : "pin still needed");
        }
}
