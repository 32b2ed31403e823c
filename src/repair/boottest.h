/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/imgfmt.h"
#include "core/plan.h"
#include "core/qemuargv.h"
#include "vm/boot.h"

#define BOOT_TEST_MAX_CHECKS 64
#define BOOT_TEST_TOKEN_LEN 16

typedef struct BootCheck {
        char *name;
        bool passed;
        char *message;               /* why it failed */
} BootCheck;

/* One boot and its verdict, check by check. */
typedef struct BootTest {
        Firmware firmware;
        bool kvm;
        char *expect;                /* the kernel expected */
        BootResult boot;
        char *cloud_init;            /* cloud-init's status as the probe read it, NULL without cloud-init */
        BootCheck checks[BOOT_TEST_MAX_CHECKS];
        size_t n_checks, n_failed;
        /* units that failed only for want of the network's servers, "UNIT: why";
         * not counted unless [boot-test] network-units = fail */
        char **unit_warnings;
        bool network_units_fail;
        const char *network_units_note; /* why they count, after the failed units (NULL: the profile's key) */
        char mac[18];                /* the VM's NIC ("" without one), its address and how the guest got it */
        const char *address, *net_form;
        char *guest_addresses;       /* what the guest had, as the probe saw it ("ens3=10.213.0.10/24") */
} BootTest;

/* Every boot of one boot-test step. */
typedef struct BootTests {
        BootTest *boots;
        size_t n, n_failed;
} BootTests;

/* What the boots start from: a disk (booted through throw-away overlays)
 * and what the last read of its guest said. */
typedef struct BootTarget {
        const char *name;            /* the image, for messages */
        const char *disk;
        ImageFormat format;
        const char *token;           /* the probe's */
        bool probe_in_disk;          /* written into disk; else passed as SMBIOS credentials */
        const char *grub_kernel;     /* what GRUB's default boots: the expectation unless one is given */
        unsigned firmwares;          /* 1 << Firmware: the paths the image has */
        bool cloud_init;             /* boot it with a NoCloud seed (its network-config: the NIC's address) */
        /* The VM's NIC on a private segment of its own (vm/netswitch.h), at
         * NETCONF_BOOT_ADDRESS: how the guest learns it is chosen by the
         * caller, since a file written into the disk must name the MAC. */
        const char *mac;
        const char *networkd;        /* a .network file to pass as a systemd credential, or NULL */
        const char *net_form;        /* "cloud-init seed", "systemd credential", "overlay file" or "none" */
} BootTarget;

/* A random token of BOOT_TEST_TOKEN_LEN [a-z0-9] characters. */
int boot_test_token(char ret[static BOOT_TEST_TOKEN_LEN + 1]);
/* A random MAC for the test VM's NIC (core/netconf.h). */
int boot_test_mac(char ret[static 18]);
/* Which firmwares a --firmware spec boots on an image that has the paths
 * in supported (1 << Firmware): auto is its first path (BIOS, then UEFI),
 * all is each of BIOS and UEFI it has. */
unsigned boot_test_firmwares(unsigned spec, unsigned supported);

/* Boots the target once per firmware the plan asks for and evaluates the
 * checks: boots, kernel, each module loads, no failed units, cloud-init.
 * 0 when the verdicts are known (look at n_failed), <0 when a test could
 * not run. */
int boot_tests_run(const BootTarget *t, const Plan *pl, bool kvm, BootTests *ret);
void boot_tests_done(BootTests *t);
/* The checks of one boot from t->boot (its console and probe lines) and
 * t->expect: boots, kernel, each module loads, no failed units (by
 * t->network_units_fail), cloud-init if the image has it. */
int boot_test_evaluate(BootTest *t, char * const *modules, bool cloud_init);
void boot_test_done(BootTest *t);
/* The first failed check's message, with the firmware when there were
 * several boots (NULL if none failed); free it. */
char *boot_tests_first_failure(const BootTests *t);
