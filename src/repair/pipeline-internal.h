/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "pipeline.h"

/* The steps the forecast runs too, on a plan of its own. */
int repair_open(Repair *rp, const RunOptions *o);
int repair_fetch(Repair *rp);
int repair_boot_test(Repair *rp);
