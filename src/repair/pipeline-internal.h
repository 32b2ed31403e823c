/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "pipeline.h"

/* While it exists, the kernel's DKMS hook builds nothing (kpin builds the
 * modules itself: from the build cache, or one by one for the forecast). */
#define DKMS_NO_AUTOINSTALL "/etc/dkms/no-autoinstall"

/* The steps the forecast runs too, on a plan of its own. */
int repair_open(Repair *rp, const RunOptions *o);
int repair_fetch(Repair *rp);
int repair_boot_test(Repair *rp);
