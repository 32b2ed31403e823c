/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/deb822.h"
#include "core/grubcfg.h"
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

typedef struct GuestState {
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
/* The guest's /var/lib/dpkg/status, bounded and parsed. */
int guest_dpkg_status(Guest *gu, Deb822 **ret);
GuestState *guest_state_free(GuestState *s);
static inline void guest_state_freep(GuestState **s) {
        guest_state_free(*s);
}
const char *dkms_state_to_string(DkmsState s);
