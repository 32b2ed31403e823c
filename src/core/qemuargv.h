/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

typedef enum Firmware {
        FIRMWARE_BIOS,
        FIRMWARE_UEFI,
} Firmware;

int firmware_from_string(const char *s, Firmware *ret);

/* The CPU kpin's VMs get under TCG (the appliance and the boot test).
 * QEMU's default there, "max", offers AVX2, and glibc then picks AVX2
 * string and memory routines that TCG translates slowly: measured in the
 * appliance on 2 cores, mkinitramfs 56 s with "max" and 47 s with this,
 * a DKMS build 31 s and 30 s ("Nehalem" was slower than both, 70 s).
 * x86-64-v2, not plain qemu64, so a distribution built for v2 still runs.
 * Under KVM the VMs get the host's CPU. */
#define KPIN_TCG_CPU "qemu64,+ssse3,+sse4.1,+sse4.2,+popcnt,+cx16"

/* A boot-test VM, as data. It gets no network, no host shares, no
 * display; its serial console and QMP are unix sockets QEMU listens on
 * (the serial one holds the VM until kpin connects, so no byte is lost). */
typedef struct QemuConfig {
        const char *binary;         /* NULL: qemu-system-x86_64 */
        bool kvm;
        int memory_mb, smp;
        const char *disk;           /* qcow2 overlay */
        Firmware firmware;
        const char *ovmf_code;      /* UEFI: read-only firmware code */
        const char *ovmf_vars;      /* UEFI: a writable copy of the variable store */
        const char *serial_socket;
        const char *qmp_socket;
} QemuConfig;

/* -EINVAL if a required field is missing or a path would be misparsed by
 * QEMU's option syntax (a comma). */
int qemu_argv(const QemuConfig *c, char ***ret);
