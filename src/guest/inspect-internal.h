/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

#include "inspect.h"

/* guest/inspect*.c among themselves: the packages, kernels, GRUB, pins and
 * DKMS (inspect.c) and the ways the disk boots (inspect-boot.c). */

/* guest_read_file(), with a warning for a file over max (-EFBIG). */
int inspect_read_optional(Guest *gu, const char *path, size_t max, char **ret, size_t *ret_len);
/* BIOS (boot code, the BIOS boot partition) and UEFI (the ESP's loaders,
 * shim, the removable path, its grub.cfg stub): s->boot. */
int inspect_boot(Guest *gu, GuestState *s);
