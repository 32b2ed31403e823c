/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/dpkgstatus.h"
#include "core/grubcfg.h"
#include "core/modsig.h"
#include "core/qemuargv.h"
#include "guest.h"

typedef struct KernelInfo {
        char *release;          /* 6.1.0-56-cloud-amd64 */
        char *package;          /* linux-image-6.1.0-56-cloud-amd64, NULL if no package owns it */
        char *package_version;
        bool headers;           /* linux-headers-RELEASE installed and /lib/modules/RELEASE/build present */
        bool initramfs;         /* /boot/initrd.img-RELEASE present */
        bool modules;           /* /lib/modules/RELEASE present */
} KernelInfo;

typedef enum DkmsState {
        DKMS_NOT_BUILT,
        DKMS_FAILED,
        DKMS_BUILT,
        DKMS_INSTALLED,
} DkmsState;

typedef struct DkmsKernel {
        char *kernel;
        DkmsState state;
        char *error;            /* first compiler error of the failed build */
        char *log;              /* make.log path in the guest */
        ModSig signature;       /* who signed the built module (empty: unsigned or not built) */
        bool dkms_key;          /* ... with DKMS's own /var/lib/dkms/mok.pub */
} DkmsKernel;

typedef struct DkmsModule {
        char *name, *version;
        DkmsKernel *kernels;
        size_t n_kernels;
} DkmsModule;

typedef struct AptPin {
        char *file;
        unsigned line;
        char *package, *pin, *priority;
} AptPin;

typedef struct HeldPackage {
        char *name, *version;
} HeldPackage;

/* How the image boots: the firmware paths it has. */
typedef struct BootPaths {
        unsigned firmwares;        /* 1 << FIRMWARE_BIOS, 1 << FIRMWARE_UEFI: what it can boot */
        char *disk;                /* the disk holding the root filesystem */
        char *table;               /* its partition table: gpt, msdos */
        bool mbr_code;             /* GRUB's boot code in the MBR */
        char *bios_boot;           /* GPT: the BIOS boot partition, with GRUB's core in it */
        char *esp;                 /* the EFI system partition, NULL if none */
        char *esp_mount;           /* where the guest mounts it, NULL if it does not */
        char **loaders;            /* the .efi files under EFI/ on the ESP */
        bool removable;            /* the removable path EFI/BOOT/BOOTX64.EFI */
        bool shim;                 /* a shim loader */
        bool grub_signed;          /* grubx64.efi carries a signature */
        bool kernel_signed;        /* the default kernel carries a signature */
        char *esp_grub_uuid;       /* the filesystem the ESP's grub.cfg looks for */
        char *boot_uuid;           /* the filesystem /boot/grub is on */
} BootPaths;

/* The guest as one read saw it. */
typedef struct GuestState {
        GuestOs os;
        DpkgStatus *dpkg;       /* /var/lib/dpkg/status */
        unsigned systemd_major; /* the systemd package's version, 0 if none */
        BootPaths boot;

        KernelInfo *kernels;    /* newest first */
        size_t n_kernels;

        char *grub_configured;  /* GRUB_DEFAULT from /etc/default/grub (+ grub.d), NULL if unset */
        char *grub_cfg_path;    /* NULL if the image has no grub.cfg */
        char *grub_value;       /* what GRUB uses as default */
        const char *grub_value_source;
        GrubResolution grub;    /* .entry points into grub_cfg */
        GrubConfig *grub_cfg;
        char *grub_kernel;      /* the release the default entry boots, NULL if unknown */
        char *grub_problem;     /* why the default could not be resolved */

        HeldPackage *holds;
        size_t n_holds;
        AptPin *pins;
        size_t n_pins;
        DkmsModule *dkms;
        size_t n_dkms;
        char **broken_packages; /* "name (state)" for packages dpkg left unconfigured */
        char **notes;           /* things the reader should know, one line each */
} GuestState;

int guest_inspect(Guest *gu, GuestState **ret);
/* Reads GRUB's configuration alone: 1 if its default entry boots release,
 * 0 if not (*ret_kernel: what it boots, *ret_problem: why not, either may
 * be NULL). */
int guest_grub_boots(Guest *gu, const char *release, char **ret_kernel, char **ret_problem);
/* The guest's /var/lib/dpkg/status, bounded and parsed. */
int guest_dpkg_status(Guest *gu, DpkgStatus **ret);
GuestState *guest_state_free(GuestState *s);
static inline void guest_state_freep(GuestState **s) {
        guest_state_free(*s);
}
const char *dkms_state_to_string(DkmsState s);
/* A Secure Boot chain: shim, a signed GRUB and a signed kernel. */
static inline bool boot_paths_secure_chain(const BootPaths *b) {
        return b->shim && b->grub_signed && b->kernel_signed;
}
