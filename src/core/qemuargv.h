/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

typedef enum Firmware {
        FIRMWARE_BIOS,
        FIRMWARE_UEFI,
} Firmware;

int firmware_from_string(const char *s, Firmware *ret);

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
