/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/imgfmt.h"

typedef struct guestfs_h guestfs_h;

/* One libguestfs appliance for the whole run, with the guest's filesystems
 * mounted at their own mountpoints inside it (never on the host). */
/* What libguestfs's inspection found (os-release's PRETTY_NAME as product). */
typedef struct GuestOs {
        char *root;        /* inspected root device */
        char *distro;      /* debian, ubuntu, ... */
        char *product;
        char *arch;
        char *root_fstype;
        int major, minor;
        char **mountpoints; /* "MOUNTPOINT DEVICE" as the guest's fstab has them, shortest first */
} GuestOs;

void guest_os_done(GuestOs *os);
int guest_os_copy(const GuestOs *from, GuestOs *to);

typedef struct Guest {
        guestfs_h *g;
        char *image;       /* the image as the user named it, for messages */
        bool readonly;
        GuestOs os;
        bool progress_tty;     /* stderr is a terminal: show transfer progress */
        char *progress_label;  /* what the current transfer is, NULL: show nothing */
        unsigned progress_pct;

        /* guest_run_stream(): each line the command prints, as it comes */
        void (*on_line)(void *userdata, const char *line);
        void *on_line_userdata;
        bool streaming, echo;
        char line[1024];       /* the line being received */
        size_t line_len;
        char *tail;            /* the command's last output, for its error */
        size_t tail_len;
        char **env;            /* NAME=VALUE for every streamed command */
        bool secrets_mounted;  /* a tmpfs on the guest's /run holds secrets */
        int guard;             /* the appliance's slot in the signal guard, -1: none */
        char *tmpdir;          /* libguestfs's temporaries: kpin-guest-PID-XXXXXX */
        int guard_dir;
} Guest;

typedef struct GuestOpenOptions {
        const char *name;  /* how errors name the image (default: the path opened) */
        ImageFormat format;
        bool readonly;
        bool kvm;
        int verbosity;
        int memsize_mb;    /* 0: libguestfs's default */
        int smp;           /* 0: libguestfs's default */
        bool network;      /* give the appliance a (user-mode) network */
} GuestOpenOptions;

/* Creates the handle, adds the image with its format given explicitly,
 * launches the appliance, inspects and mounts the guest OS. Records the
 * failure class (log_fail) on error. */
int guest_open(const char *image, const GuestOpenOptions *o, Guest **ret);
/* Shuts the appliance down (checked on a writable handle) and frees. */
int guest_close(Guest *gu);
static inline void guest_closep(Guest **gu) {
        if (*gu)
                guest_close(*gu);
}

/* Names the transfer that follows ("uploading linux-image-….deb") for the
 * percentage shown on a terminal; NULL when it is done. */
void guest_progress_label(Guest *gu, const char *label);

/* Reads a regular guest file of at most max bytes (NUL-terminated):
 * -ENOENT if absent or not a regular file, -EFBIG if larger than max. */
int guest_read_file(Guest *gu, const char *path, size_t max, char **ret, size_t *ret_len);
/* The same for files of any size up to max (kernel modules): large ones go
 * through an unlinked host temporary file. */
int guest_read_file_large(Guest *gu, const char *path, size_t max, char **ret, size_t *ret_len);
/* Directory entries (names only, sorted); -ENOENT if not a directory. At most
 * max entries, -E2BIG past that. */
int guest_list_dir(Guest *gu, const char *path, size_t max, char ***ret);
bool guest_is_dir(Guest *gu, const char *path);
/* Runs argv chrooted in the guest (never through a shell). *ret_output gets
 * stdout (may be NULL). On failure *ret_error (if given) says why, with the
 * command's own error output as libguestfs reports it. */
int guest_run(Guest *gu, char * const *argv, char **ret_output, char **ret_error);
/* guest_run for a command that must succeed: on failure records (log_fail)
 * class code, "IMAGE: WHAT failed in the guest: LINE", LINE being the line
 * of its error output that holds prefer (see guest_error_line). */
int guest_run_checked(Guest *gu, char * const *argv, char **ret_output, int code, const char *prefer,
                      const char *what);
/* guest_run for long commands (package transactions, DKMS builds, GRUB):
 * their output goes to the appliance's console and reaches kpin line by
 * line as it comes (to gu->on_line; to stderr with -v), with a
 * "kpin-progress N" line every 10 s counting the objects DKMS builds have
 * compiled since it started; label (may be NULL) is printed first.
 * *ret_tail (if given) gets the output's last 64 KiB, success or not. */
int guest_run_stream(Guest *gu, char * const *argv, const char *label, char **ret_tail);
/* The same, recording class code on failure as guest_run_checked does. */
int guest_run_stream_checked(Guest *gu, char * const *argv, const char *label, char **ret_tail, int code,
                             const char *prefer, const char *what);
/* Secrets the guest's commands need for a while (a signing key): written
 * into a tmpfs mounted over the guest's /run inside the appliance, so they
 * never reach the image's disk; gone with guest_secrets_done() or the
 * appliance. *ret_path: where the file is, as the guest sees it. */
int guest_secret(Guest *gu, const char *name, const char *data, size_t len, char **ret_path);
int guest_secrets_done(Guest *gu);
/* NAME=VALUE settings for every streamed command (NULL: none); copied. */
int guest_set_env(Guest *gu, char * const *env);
/* Where streamed lines go (NULL: nowhere but -v). */
void guest_on_line(Guest *gu, void (*cb)(void *userdata, const char *line), void *userdata);
/* libguestfs's last error, for a message (never NULL). */
const char *guest_last_error(Guest *gu);
/* One line of a guest command's error output for a one-line message: the
 * line holding prefer ("E: " for apt, "Error! " for dkms) if any, else the
 * first non-empty one, without libguestfs's "command: " prefix. Never
 * NULL short of memory. */
char *guest_error_line(const char *err, const char *prefer);
/* Writes content to path in the guest. */
int guest_write_file(Guest *gu, const char *path, const char *content, size_t len);
/* Free bytes on the filesystem holding path. */
int guest_free_bytes(Guest *gu, const char *path, unsigned long long *ret);
bool guest_is_file(Guest *gu, const char *path);
int guest_remove_file(Guest *gu, const char *path);
bool guest_exists(Guest *gu, const char *path);
