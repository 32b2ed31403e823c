/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

typedef enum AccelMode {
        ACCEL_AUTO,
        ACCEL_KVM,
        ACCEL_TCG,
} AccelMode;

int accel_mode_from_string(const char *s, AccelMode *ret);

/* Boots a real kernel under KVM with the CPU model kpin's VMs use and
 * waits for its "Linux version" banner: 1 usable, 0 not (reason in
 * *ret_reason), <0 on a host error. A real-mode test is not enough: here
 * KVM runs a boot sector but hangs in the kernel proper. */
int accel_probe_kvm(unsigned timeout_ms, char **ret_reason);

/* auto: probe (warns once and picks TCG if KVM is unusable); kvm/tcg: as told. */
int accel_resolve(AccelMode mode, bool *ret_kvm);
