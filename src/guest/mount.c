/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <guestfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/osinfo.h"
#include "core/shellvars.h"
#include "guest.h"
#include "mount.h"
#include "shared/cleanup.h"
#include "shared/log.h"
#include "shared/strv.h"

static int mountpoint_cmp(const void *a, const void *b) {
        /* a and b point at (mountpoint, device) pairs; shorter mountpoints first */
        size_t la = strlen(*(char * const *) a), lb = strlen(*(char * const *) b);

        return la < lb ? -1 : la > lb;
}

/* libguestfs names Debian by /etc/debian_version ("13.8"); os-release says
 * what an admin expects to read ("Debian GNU/Linux 13 (trixie)"). */
static int read_pretty_name(Guest *gu) {
        _cleanup_free_ char *text = NULL, *pretty = NULL;
        size_t len;
        int r;

        if (guest_read_file(gu, "/etc/os-release", 64 * 1024, &text, &len) < 0 &&
            guest_read_file(gu, "/usr/lib/os-release", 64 * 1024, &text, &len) < 0)
                return 0;
        r = shellvars_get(text, len, "PRETTY_NAME", &pretty);
        if (r < 0)
                return r;
        if (pretty && *pretty) {
                free(gu->os.product);
                gu->os.product = TAKE_PTR(pretty);
        }
        return 0;
}

static int full_inspect(Guest *gu, char ***ret_mps) {
        _cleanup_strv_free_ char **roots = NULL, **mps = NULL;
        guestfs_h *g = gu->g;
        _cleanup_free_ char *type = NULL;

        roots = guestfs_inspect_os(g);
        if (!roots)
                return log_fail(KPIN_EXIT_UNSUPPORTED, -EIO, "%s: inspecting the image failed: %s",
                                gu->image, guest_last_error(gu));
        if (!roots[0])
                return log_fail(KPIN_EXIT_UNSUPPORTED, -ENOENT, "%s: no operating system found in the image",
                                gu->image);
        if (roots[1])
                log_warning("%s: %zu operating systems found, using the one on %s", gu->image,
                            strv_length(roots), roots[0]);

        gu->os.root = strdup(roots[0]);
        type = guestfs_inspect_get_type(g, gu->os.root);
        gu->os.distro = guestfs_inspect_get_distro(g, gu->os.root);
        gu->os.product = guestfs_inspect_get_product_name(g, gu->os.root);
        gu->os.arch = guestfs_inspect_get_arch(g, gu->os.root);
        gu->os.major = guestfs_inspect_get_major_version(g, gu->os.root);
        gu->os.minor = guestfs_inspect_get_minor_version(g, gu->os.root);
        if (!gu->os.root || !type || !gu->os.distro || !gu->os.product || !gu->os.arch)
                return log_fail(KPIN_EXIT_UNSUPPORTED, -EIO, "%s: inspecting the image failed: %s",
                                gu->image, guest_last_error(gu));
        if (strcmp(type, "linux") != 0 ||
            (strcmp(gu->os.distro, "debian") != 0 && strcmp(gu->os.distro, "ubuntu") != 0))
                return log_fail(KPIN_EXIT_UNSUPPORTED, -EPROTONOSUPPORT,
                                "%s: the guest is %s (%s %s), kpin handles Debian and Ubuntu images",
                                gu->image, gu->os.product, type, gu->os.distro);

        mps = guestfs_inspect_get_mountpoints(g, gu->os.root);
        if (!mps)
                return log_fail(KPIN_EXIT_UNSUPPORTED, -EIO, "%s: %s", gu->image, guest_last_error(gu));
        *ret_mps = TAKE_PTR(mps);
        return 0;
}

/* What quick_inspect() accepts as a root: a filesystem the plain layouts
 * put it on (btrfs has subvolumes: the full inspection). */
static bool plain_root_fstype(const char *t) {
        return strcmp(t, "ext4") == 0 || strcmp(t, "ext3") == 0 || strcmp(t, "ext2") == 0 || strcmp(t, "xfs") == 0;
}

/* The root of the one Debian or Ubuntu system on the disk, read while it
 * is mounted read-only: os-release, the version, the architecture of
 * /bin/bash and what /etc/fstab mounts, its UUIDs and labels resolved.
 * 1: done, gu->os set and *ret_mps the (mountpoint, device) pairs; 0: the
 * image is not that plain case (several systems, LVM names or guest
 * device names in fstab, btrfs, another distribution, ...): libguestfs's
 * full inspection decides, with its own messages. */
static int read_quick_root(Guest *gu, const char *root, char ***ret_mps) {
        _cleanup_free_ char *osr = NULL, *id = NULL, *version_id = NULL, *pretty = NULL, *debver = NULL,
                            *fstab = NULL, *hdr = NULL;
        _cleanup_strv_free_ char **mps = NULL;
        FstabMount *m = NULL;
        size_t len, n = 0, hdr_len = 0;
        const char *arch;
        int major, minor, r;

        if (guest_read_file(gu, "/etc/os-release", 64 * 1024, &osr, &len) < 0)
                return 0;
        if ((r = shellvars_get(osr, len, "ID", &id)) < 0 || (r = shellvars_get(osr, len, "VERSION_ID", &version_id)) < 0 ||
            (r = shellvars_get(osr, len, "PRETTY_NAME", &pretty)) < 0)
                return r == -ENOMEM ? r : 0;
        if (!id || !pretty || !*pretty || (strcmp(id, "debian") != 0 && strcmp(id, "ubuntu") != 0))
                return 0;
        if (strcmp(id, "debian") == 0 && guest_read_file(gu, "/etc/debian_version", 4096, &debver, NULL) < 0)
                return 0;
        if (os_version(id, version_id, debver, &major, &minor) < 0)
                return 0;
        hdr = guestfs_pread(gu->g, "/bin/bash", 64, 0, &hdr_len);
        arch = hdr ? elf_arch((const uint8_t *) hdr, hdr_len) : NULL;
        if (!arch)
                return 0;
        if (guest_read_file(gu, "/etc/fstab", FSTAB_MAX_BYTES, &fstab, &len) < 0)
                return 0;
        r = fstab_mounts(fstab, len, &m, &n);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        r = 1;
        for (size_t i = 0; i < n && r > 0; i++) {
                _cleanup_free_ char *dev = m[i].spec == FSTAB_SPEC_UUID ? guestfs_findfs_uuid(gu->g, m[i].key) :
                                           m[i].spec == FSTAB_SPEC_LABEL ? guestfs_findfs_label(gu->g, m[i].key) :
                                                                           strdup(root);

                if (strcmp(m[i].mountpoint, "/") == 0 && (!dev || strcmp(dev, root) != 0))
                        r = 0; /* fstab's / is not the root found */
                else if (!dev)
                        continue; /* as libguestfs: a UUID or label not on these disks is left out */
                else if (strv_extend(&mps, m[i].mountpoint) < 0 || strv_extend(&mps, dev) < 0)
                        r = -ENOMEM;
        }
        fstab_mounts_free(m, n);
        if (r <= 0)
                return r;
        if (!strv_contains(mps, "/"))
                return 0;
        gu->os.root = strdup(root);
        gu->os.distro = TAKE_PTR(id);
        gu->os.product = TAKE_PTR(pretty);
        gu->os.arch = strdup(arch);
        gu->os.major = major;
        gu->os.minor = minor;
        if (!gu->os.root || !gu->os.arch)
                return -ENOMEM;
        *ret_mps = TAKE_PTR(mps);
        return 1;
}

static int quick_inspect(Guest *gu, char ***ret_mps) {
        _cleanup_strv_free_ char **parts = NULL, **lvs = NULL, **mps = NULL;
        _cleanup_free_ char *root = NULL;
        guestfs_h *g = gu->g;
        int r;

        parts = guestfs_list_partitions(g);
        lvs = guestfs_lvs(g);
        if (!parts || !lvs)
                return 0;
        for (int pass = 0; pass < 2; pass++)
                STRV_FOREACH(dev, pass == 0 ? parts : lvs) {
                        _cleanup_free_ char *type = guestfs_vfs_type(g, *dev);
                        bool is_root;

                        if (!type || !*type)
                                continue;
                        if (strcmp(type, "btrfs") == 0)
                                return 0;
                        if (!plain_root_fstype(type) || guestfs_mount_ro(g, *dev, "/") < 0)
                                continue;
                        is_root = guest_is_file(gu, "/etc/os-release") && guest_is_file(gu, "/etc/fstab");
                        if (guestfs_umount_all(g) < 0)
                                return 0;
                        if (!is_root)
                                continue;
                        if (root)
                                return 0; /* several systems: the full inspection warns */
                        root = strdup(*dev);
                        if (!root)
                                return -ENOMEM;
                }
        if (!root || guestfs_mount_ro(g, root, "/") < 0)
                return 0;
        r = read_quick_root(gu, root, &mps);
        if (guestfs_umount_all(g) < 0 && r > 0)
                r = 0;
        if (r > 0)
                *ret_mps = TAKE_PTR(mps);
        return r;
}

int guest_mount_root(Guest *gu) {
        _cleanup_strv_free_ char **mps = NULL;
        guestfs_h *g = gu->g;
        bool quick;
        size_t n;
        int r;

        r = quick_inspect(gu, &mps);
        if (r < 0)
                return r;
        quick = r > 0;
        if (!quick) {
                log_debug("not a plain layout: libguestfs's full inspection");
                guest_os_done(&gu->os);
                r = full_inspect(gu, &mps);
                if (r < 0)
                        return r;
        }
        n = strv_length(mps) / 2;
        qsort(mps, n, 2 * sizeof(char *), mountpoint_cmp);
        for (size_t i = 0; i < n; i++) {
                const char *mp = mps[2 * i], *dev = mps[2 * i + 1];
                int rm = gu->readonly ? guestfs_mount_ro(g, dev, mp) : guestfs_mount(g, dev, mp);

                if (strv_consume(&gu->os.mountpoints, strprintf("%s %s", mp, dev)) < 0)
                        return -ENOMEM;

                if (rm < 0) {
                        /* a missing /boot/efi or data disk should not stop inspection */
                        if (strcmp(mp, "/") == 0)
                                return log_fail(KPIN_EXIT_IMAGE_INVALID, -EIO, "%s: cannot mount the root filesystem %s: %s",
                                                gu->image, dev, guest_last_error(gu));
                        log_warning("%s: cannot mount %s on %s: %s", gu->image, dev, mp, guest_last_error(gu));
                }
        }
        gu->os.root_fstype = guestfs_vfs_type(g, gu->os.root);
        /* the quick path took the product from os-release already */
        return quick ? 0 : read_pretty_name(gu);
}
