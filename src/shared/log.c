/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static int verbosity = LOG_NORMAL;
static int failure_exit_code;
static char *failure_message;

void log_set_verbosity(int v) {
        verbosity = v;
}

int log_get_verbosity(void) {
        return verbosity;
}

static void vlog(const char *prefix, const char *fmt, va_list ap) {
        fprintf(stderr, "kpin: %s", prefix);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
}

void log_error(const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vlog("", fmt, ap);
        va_end(ap);
}

void log_warning(const char *fmt, ...) {
        va_list ap;

        if (verbosity < LOG_NORMAL)
                return;
        va_start(ap, fmt);
        vlog("warning: ", fmt, ap);
        va_end(ap);
}

/* Progress goes to a terminal, or anywhere with -v; a log file or a CI
 * step sees only warnings, errors and the result. */
void log_info(const char *fmt, ...) {
        va_list ap;

        if (verbosity < LOG_NORMAL || (verbosity < LOG_VERBOSE && !isatty(STDERR_FILENO)))
                return;
        va_start(ap, fmt);
        vlog("", fmt, ap);
        va_end(ap);
}

void log_notice(const char *fmt, ...) {
        va_list ap;

        if (verbosity < LOG_NORMAL)
                return;
        va_start(ap, fmt);
        vlog("", fmt, ap);
        va_end(ap);
}

void log_debug(const char *fmt, ...) {
        va_list ap;

        if (verbosity < LOG_VERBOSE)
                return;
        va_start(ap, fmt);
        vlog("debug: ", fmt, ap);
        va_end(ap);
}

int log_fail(int exit_code, int r, const char *fmt, ...) {
        va_list ap;
        char *msg;
        int k;

        if (failure_exit_code != 0)
                return r;
        errno = r < 0 ? -r : r;
        va_start(ap, fmt);
        k = vasprintf(&msg, fmt, ap);
        va_end(ap);
        failure_exit_code = exit_code;
        failure_message = k < 0 ? NULL : msg;
        return r;
}

int log_failure_exit_code(void) {
        return failure_exit_code;
}

const char *log_failure_message(void) {
        return failure_message;
}

void log_reset_failure(void) {
        free(failure_message);
        failure_message = NULL;
        failure_exit_code = 0;
}

const char *log_exit_code_name(int exit_code) {
        switch (exit_code) {
        case KPIN_EXIT_OK:
                return "ok";
        case KPIN_EXIT_USAGE:
                return "usage";
        case KPIN_EXIT_IMAGE_MISSING:
                return "image-missing";
        case KPIN_EXIT_IMAGE_INVALID:
                return "image-invalid";
        case KPIN_EXIT_IMAGE_BUSY:
                return "image-busy";
        case KPIN_EXIT_UNSUPPORTED:
                return "unsupported-guest";
        case KPIN_EXIT_PACKAGES:
                return "packages";
        case KPIN_EXIT_DKMS:
                return "dkms";
        case KPIN_EXIT_GRUB:
                return "grub";
        case KPIN_EXIT_BOOT:
                return "boot-test";
        case KPIN_EXIT_ENVIRONMENT:
                return "environment";
        case KPIN_EXIT_CLUSTER:
                return "cluster-test";
        default:
                return "failure";
        }
}
