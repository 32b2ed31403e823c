/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* What the quick inspection reads from a guest's root filesystem, as pure
 * functions over its bytes. Each answers -EOPNOTSUPP where the guest is
 * not the plain case it knows (the caller then asks libguestfs's full
 * inspection), never a guess. */

typedef enum FstabSpec {
        FSTAB_SPEC_UUID,  /* UUID=x, /dev/disk/by-uuid/x */
        FSTAB_SPEC_LABEL, /* LABEL=x */
        FSTAB_SPEC_ROOT,  /* /dev/root */
} FstabSpec;

typedef struct FstabMount {
        FstabSpec spec;
        char *key; /* the UUID or label; NULL for FSTAB_SPEC_ROOT */
        char *mountpoint;
} FstabMount;

#define FSTAB_MAX_BYTES (64 * 1024)
#define FSTAB_MAX_MOUNTS 64

/* The filesystems /etc/fstab mounts, in file order, with what libguestfs's
 * inspection leaves out left out too: pseudo filesystems and network
 * shares, swap, floppies and CD-ROMs, mount points under /dev, /proc,
 * /sys, /selinux and /media. -EOPNOTSUPP for what only the full
 * inspection resolves (guest device names such as /dev/vda1 or
 * /dev/mapper/..., PARTUUID=, quoted values, btrfs subvolumes, a
 * mount point that is not canonical, two entries for /, more than
 * FSTAB_MAX_MOUNTS); -EBADMSG for a NUL byte. */
int fstab_mounts(const char *text, size_t len, FstabMount **ret, size_t *ret_n);
void fstab_mounts_free(FstabMount *m, size_t n);

/* Debian and Ubuntu releases as libguestfs numbers them: Debian from the
 * first line of /etc/debian_version ("13.8" -> 13, 8; "13" -> 13, 0),
 * Ubuntu from os-release's VERSION_ID ("24.04" -> 24, 4). */
int os_version(const char *distro, const char *version_id, const char *debian_version, int *ret_major,
               int *ret_minor);

/* The architecture of an ELF executable from its first bytes, named as
 * libguestfs names it ("x86_64", "aarch64", "i386"); NULL if it is not
 * one of those. */
const char *elf_arch(const uint8_t *hdr, size_t len);
