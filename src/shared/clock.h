/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <time.h>

/* Seconds on the monotonic clock, for durations. */
static inline double monotonic_s(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
}
