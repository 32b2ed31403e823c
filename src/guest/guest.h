/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/imgfmt.h"

typedef struct guestfs_h guestfs_h;

/* One libguestfs appliance for the whole run, with the guest's filesystems
 * mounted at their own mountpoints inside it (never on the host). */
typedef struct Guest {
        guestfs_h *g;
        char *image;
        bool readonly;
        char *root;        /* inspected root device */
        char *distro;      /* debian, ubuntu, ... */
        char *product;
        char *arch;
        char *root_fstype;
        int major, minor;
} Guest;

typedef struct GuestOpenOptions {
        ImageFormat format;
        bool readonly;
        bool kvm;
        int verbosity;
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

/* Reads a regular guest file of at most max bytes (NUL-terminated):
 * -ENOENT if absent or not a regular file, -EFBIG if larger than max. */
int guest_read_file(Guest *gu, const char *path, size_t max, char **ret, size_t *ret_len);
/* Directory entries (names only, sorted); -ENOENT if not a directory. At most
 * max entries, -E2BIG past that. */
int guest_list_dir(Guest *gu, const char *path, size_t max, char ***ret);
bool guest_is_dir(Guest *gu, const char *path);
bool guest_is_file(Guest *gu, const char *path);
bool guest_exists(Guest *gu, const char *path);
