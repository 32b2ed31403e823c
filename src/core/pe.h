/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The head of a PE/COFF file (an EFI loader, a kernel's EFI stub): 1 if it
 * carries an Authenticode signature (a non-empty certificate table), 0 if
 * not, -EBADMSG if buf is not the start of a PE file. Pure. */
int pe_signed(const void *buf, size_t len);
