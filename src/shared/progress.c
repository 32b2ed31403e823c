/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "progress.h"

static struct {
        char step[32];
        char activity[200];
        double t0, last_line;
        bool active, tty, drawn;
} p;

void progress_begin(const char *step) {
        p.active = log_get_verbosity() >= LOG_NORMAL;
        p.tty = p.active && log_get_verbosity() < LOG_VERBOSE && isatty(STDERR_FILENO);
        snprintf(p.step, sizeof(p.step), "%s", step);
        p.activity[0] = '\0';
        p.t0 = p.last_line = monotonic_s();
        p.drawn = false;
}

void progress_update(const char *activity) {
        double now = monotonic_s(), el = now - p.t0;

        if (!p.active)
                return;
        if (activity && *activity)
                snprintf(p.activity, sizeof(p.activity), "%s", activity);
        if (p.tty) {
                /* one line, cut to the terminal's usual width */
                fprintf(stderr, "\r\033[Kkpin: %s: %.100s %.0f s", p.step, p.activity, el);
                p.drawn = true;
                return;
        }
        if (el < 60 || now - p.last_line < 60)
                return;
        p.last_line = now;
        if (p.activity[0]) {
                const char *objects = strstr(p.activity, ", ");

                /* "building M for K, 12 min, 183 objects": the count last */
                if (objects && strstr(objects, " objects"))
                        fprintf(stderr, "kpin: %s: %.*s, %.0f min%s\n", p.step, (int) (objects - p.activity),
                                p.activity, el / 60, objects);
                else
                        fprintf(stderr, "kpin: %s: %s, %.0f min\n", p.step, p.activity, el / 60);
        } else
                fprintf(stderr, "kpin: %s: %.0f min\n", p.step, el / 60);
}

void progress_end(void) {
        if (p.tty && p.drawn)
                fputs("\r\033[K", stderr);
        p.active = p.drawn = false;
}
