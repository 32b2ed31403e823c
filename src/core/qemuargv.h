/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef enum Firmware {
        FIRMWARE_BIOS,
        FIRMWARE_UEFI,
        FIRMWARE_UEFI_SECURE,     /* OVMF with Secure Boot enforcing */
        _FIRMWARE_MAX,
} Firmware;

int firmware_from_string(const char *s, Firmware *ret);
const char *firmware_to_string(Firmware f);   /* bios, uefi, uefi-secure */
const char *firmware_label(Firmware f);       /* BIOS, UEFI, UEFI Secure Boot */

/* What --firmware asks for: a set of firmwares (1 << Firmware), or auto
 * (the path the image supports, BIOS first) or all (every path it
 * supports, BIOS and UEFI), resolved once the image is known. */
enum {
        FIRMWARE_SPEC_AUTO = 1u << 8,
        FIRMWARE_SPEC_ALL = 1u << 9,
};
/* "auto", "all", or a comma list of bios, uefi, uefi-secure (and all). */
int firmware_spec_parse(const char *s, unsigned *ret);

/* The CPU kpin's VMs get under TCG (the appliance and the boot test).
 * QEMU's default there, "max", offers AVX2, and glibc then picks AVX2
 * string and memory routines that TCG translates slowly: measured in the
 * appliance on 2 cores, mkinitramfs 56 s with "max" and 47 s with this,
 * a DKMS build 31 s and 30 s ("Nehalem" was slower than both, 70 s).
 * x86-64-v2, not plain qemu64, so a distribution built for v2 still runs.
 * Under KVM the VMs get the host's CPU. */
#define KPIN_TCG_CPU "qemu64,+ssse3,+sse4.1,+sse4.2,+popcnt,+cx16"

/* A test VM, as data. It gets no host shares, no display, and no network
 * but one NIC on kpin's private segment when net_switch is set (a
 * vde_switch socket directory: unix sockets only, nothing reaches the
 * host's IP stack); its serial console and QMP are unix sockets QEMU
 * listens on (the serial one holds the VM until kpin connects, so no byte
 * is lost). */
typedef struct QemuConfig {
        const char *binary;         /* NULL: qemu-system-x86_64 */
        bool kvm;
        int memory_mb, smp;
        const char *disk;           /* qcow2 overlay */
        Firmware firmware;
        const char *ovmf_code;      /* UEFI: read-only firmware code */
        const char *ovmf_vars;      /* UEFI: a writable copy of the variable store */
        const char *seed;           /* a raw read-only second disk (a cloud-init seed), or NULL */
        char * const *smbios_strings; /* SMBIOS type 11 OEM strings (systemd credentials) */
        const char *serial_socket;
        const char *qmp_socket;
        const char *net_switch;     /* vde_switch --sock directory, or NULL: no NIC at all */
        const char *mac;            /* the NIC's MAC (with net_switch) */
        const char *results_file;   /* a virtio-serial port written into this file, or NULL */
        const char *results_port;   /* ... and its name in the guest (/dev/virtio-ports/NAME) */
} QemuConfig;

/* vCPUs for each of n_vms VMs run at once on a host with host_cores: two
 * where each has them (a boot under TCG uses no more), one where they would
 * share the cores. */
int qemu_vcpus(long host_cores, size_t n_vms);

/* -EINVAL if a required field is missing or a path would be misparsed by
 * QEMU's option syntax (a comma). */
int qemu_argv(const QemuConfig *c, char ***ret);
