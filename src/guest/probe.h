/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "guest.h"

/* Writes the boot-test probe into a (throw-away) guest: a systemd service
 * wanted by multi-user.target and ordered after it that prints, between
 * "KPIN-PROBE-BEGIN TOKEN" and "KPIN-PROBE-END TOKEN" on ttyS0, the
 * running kernel, for each module whether modprobe loads it, the failed
 * units and `dkms status`, then powers the VM off. Module names must be
 * plain ([A-Za-z0-9_-]). */
int probe_inject(Guest *gu, const char *token, char * const *modules);

/* A random token of 16 [a-z0-9] characters. */
int probe_token(char ret[static 17]);
