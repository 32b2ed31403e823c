/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "guest.h"

/* Writes the boot-test probe (core/probe.h) into a writable guest that
 * will be booted and thrown away: for guests whose systemd cannot take it
 * as SMBIOS credentials; with networkd, the test VM's .network file too. */
int probe_inject(Guest *gu, const char *token, char * const *modules, const char *networkd);
