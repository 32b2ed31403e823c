/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "guest.h"

/* Finds the one operating system on the launched appliance's disks and
 * mounts its filesystems (shortest mountpoint first): a plain Debian or
 * Ubuntu root is read directly (os-release, fstab), anything else goes
 * through libguestfs's full inspection. Sets gu->os. For guest_open(). */
int guest_mount_root(Guest *gu);
