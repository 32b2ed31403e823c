/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/console.h"
#include "core/qemuargv.h"

typedef struct BootOptions {
        const char *disk;           /* the overlay to boot (it is written to) */
        bool kvm;
        Firmware firmware;
        int memory_mb, smp;
        unsigned timeout_s;
        const char *token;          /* the probe's token */
        const char *expect_kernel;  /* release prefix or series; NULL: any */
        const char *serial_log;     /* full console copy, or NULL */
        const char *uefi_vars;      /* UEFI: the variable store to start from (copied); NULL: OVMF's */
        const char *seed;           /* a cloud-init seed disk, or NULL */
        char * const *smbios_strings; /* systemd credentials, or NULL */
        const char *net_switch;     /* the private segment's switch (vm/netswitch.h), or NULL: no NIC */
        const char *mac;            /* the NIC's MAC, with net_switch */
        const char *results_file;   /* a virtio-serial port's file (core/clusterscript.h), or NULL */
        const char *label;          /* names the VM in progress lines; NULL: its firmware */
} BootOptions;

typedef enum BootStage {
        STAGE_GRUB,                 /* GRUB loaded a kernel */
        STAGE_KERNEL,               /* the kernel's banner */
        STAGE_USERSPACE,            /* systemd */
        STAGE_PROBE,                /* the probe began */
        STAGE_DONE,                 /* the probe's end marker */
        _STAGE_MAX,
} BootStage;

typedef struct BootResult {
        double at[_STAGE_MAX];      /* seconds since QEMU started; < 0 if never */
        char *grub_kernel;          /* what GRUB said it loads */
        char *kernel;               /* the banner's release */
        char **probe;               /* the probe's key=value lines */
        bool probe_done;
        char *failure;              /* why the boot failed early, one line; NULL if it did not */
        char **warnings;            /* what looked wrong and did not stop the boot (GRUB errors) */
        bool timed_out;
        char *tail;                 /* the console's last lines, escapes removed */
        double seconds;
} BootResult;

void boot_result_done(BootResult *r);
const char *boot_stage_to_string(BootStage s);

/* A running VM (several at once: a poll loop drives them all). */
typedef struct VmInstance VmInstance;

/* Starts QEMU on the disk (its own run directory, guarded; a child that
 * dies with kpin) and connects its console; <0 if it did not start. */
int vm_start(const BootOptions *o, VmInstance **ret);
/* Reads every unfinished VM's console for up to timeout_ms, feeding the
 * verdicts; the number still running (0: all have a verdict). */
int vm_poll(VmInstance *const *vms, size_t n, unsigned timeout_ms);
/* Stops a VM whose verdict is known (or that is given up) and hands over
 * what its console said. */
int vm_finish(VmInstance *vm, BootResult *ret);
/* The caller has its verdict (the cluster test's results port): the VM
 * is left running, and vm_finish stops it without a failure of its own. */
void vm_release(VmInstance *vm);
/* Whether vm_poll has seen the VM end (QEMU exited, a failure, timeout). */
bool vm_finished(const VmInstance *vm);
/* What its console said so far (stages, kernel, failure). */
const BootResult *vm_result(const VmInstance *vm);
VmInstance *vm_free(VmInstance *vm);
static inline void vm_freep(VmInstance **vm) {
        vm_free(*vm);
}

/* Boots the disk through its own firmware and GRUB under QEMU, reads the
 * serial console live and stops as soon as the verdict is known: the
 * probe's end, or (within a second) a panic, an emergency shell, GRUB
 * stopping (after an error, waiting for a key or at its prompt) or an
 * unexpected kernel; else at the timeout. A GRUB error it boots on after
 * is a warning. QEMU is stopped
 * through QMP and never outlives the call (nor kpin). <0 only when QEMU
 * could not be run. */
int vm_boot(const BootOptions *o, BootResult *ret);
