/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>

/* Exit codes: one per class of failure, so scripts can tell them apart.
 * Documented in README.md and `kpin --help`; never renumber one. */
enum {
        KPIN_EXIT_OK = 0,
        KPIN_EXIT_FAILURE = 1,       /* internal or unexpected error */
        KPIN_EXIT_USAGE = 2,         /* bad command line */
        KPIN_EXIT_IMAGE_MISSING = 3, /* image file missing or unreadable */
        KPIN_EXIT_IMAGE_INVALID = 4, /* not a disk image, corrupt or truncated, unsafe backing file */
        KPIN_EXIT_IMAGE_BUSY = 5,    /* another process has the image open for writing */
        KPIN_EXIT_UNSUPPORTED = 6,   /* no operating system, or one kpin does not handle */
        KPIN_EXIT_PACKAGES = 7,      /* kernel packages: not found, dependencies missing, install failed */
        KPIN_EXIT_DKMS = 8,          /* a DKMS module does not build, install or verify for the kernel */
        KPIN_EXIT_GRUB = 9,          /* GRUB cannot be made to boot the kernel */
        KPIN_EXIT_BOOT = 10,         /* the boot test failed: the image does not boot as expected */
        KPIN_EXIT_ENVIRONMENT = 11,  /* host problem: QEMU or the libguestfs appliance */
        KPIN_EXIT_CLUSTER = 12,      /* the cluster test failed: a node or a check */
};

enum {
        LOG_QUIET = -1,
        LOG_NORMAL = 0,
        LOG_VERBOSE = 1,
        LOG_TRACE = 2,
};

void log_set_verbosity(int v);
int log_get_verbosity(void);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Events a CI log should show as a terminal does (a cluster node came up,
 * a check ended): everywhere but with -q. */
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Record the run's failure: the first one recorded decides the exit code and
 * the one line the user sees. Returns r (a -errno) so callers can
 * `return log_fail(KPIN_EXIT_X, r, "...")`. %m prints strerror(-r). */
int log_fail(int exit_code, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int log_failure_exit_code(void);
const char *log_failure_message(void);
const char *log_exit_code_name(int exit_code);
void log_reset_failure(void);
