/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/cleanup.h"
#include "verbs.h"

static const Verb verbs[] = {
        { "inspect", VERB_INSPECT, 1, 1, cmd_inspect, "inspect IMAGE [--json]",
          "Open the image read-only and report its OS, installed kernels,\n"
          "what GRUB boots by default, kernel holds and apt pins, and the\n"
          "DKMS modules with their status for each kernel" },
        { "pin", VERB_PIN, 1, 1, cmd_pin,
          "pin IMAGE --kernel 6.1|6.6|KVER [--flavour F] [--packages DIR | --network]\n"
          "           [--keep-old | --purge-old] (-o OUT | --in-place [--force])",
          "Install a kernel of the given series (newest in --packages DIR,\n"
          "offline, or one already in the image) with its headers in one\n"
          "package transaction, hold it and its metapackages, refuse other\n"
          "kernel series in apt, and make GRUB boot it by default. Works on\n"
          "an overlay: the result is written to OUT (or replaces IMAGE with\n"
          "--in-place) only if every step succeeded" },
        { "dkms", VERB_DKMS, 1, 1, cmd_dkms,
          "dkms IMAGE (--module NAME[/VER]... | --source DIR|FILE.deb) [--kernel KVER]\n"
          "           [--build-config FILE[=GUESTPATH]]... [--sign-key KEY --sign-cert CERT]\n"
          "           [--build-cache DIR] (-o OUT | --in-place [--force])\n"
          "  kpin dkms IMAGE --matrix [--module NAME[/VER]] [--packages DIR]",
          "Build, install and verify DKMS modules for a kernel of the\n"
          "image (default: the one GRUB boots) with the DKMS CLI and an\n"
          "explicit kernel version; check each module's vermagic from its\n"
          "bytes. --matrix tries every module on every kernel with headers\n"
          "in a throw-away overlay and prints built/failed per pair" },
        { "boot-test", VERB_BOOT_TEST, 1, 1, cmd_boot_test,
          "boot-test IMAGE [--expect-kernel PREFIX] [--expect-module NAME]... [--timeout S]\n"
          "           [--firmware auto|all|bios,uefi,uefi-secure] [--uefi-vars FILE] [--memory MB]\n"
          "           [--junit FILE] [--serial-log FILE]",
          "Boot a throw-away overlay of the image through its own firmware\n"
          "and GRUB under QEMU (one NIC on a private segment of its own),\n"
          "with a probe that reports the running kernel, the modules that\n"
          "load and the failed units (those that need the network's\n"
          "servers as warnings); decide as soon as the console says enough" },
        { "repair", VERB_REPAIR, 0, 1, cmd_repair,
          "repair [IMAGE] [--profile FILE] [--packer-manifest FILE] [the pin, dkms and boot-test\n"
          "           options] [--no-boot-test] [--junit FILE] (-o OUT | --in-place)",
          "The whole job in one run: pin, dkms, verify (GRUB boots the\n"
          "kernel, the modules are installed for it, dpkg is consistent,\n"
          "the kernel is held), boot-test, and only then commit. What to\n"
          "do comes from --profile and the command line (which wins)" },
        { "fetch", VERB_FETCH, 1, 1, cmd_fetch,
          "fetch IMAGE --kernel SERIES|KVER [--flavour F] --from SOURCE... [--mirror URL]\n"
          "           [--allow-unsigned] -d DIR",
          "Download a kernel series with its headers and whatever of their\n"
          "dependencies the image lacks from Debian's archive into DIR,\n"
          "checking the Release signature with the host's keyrings and\n"
          "every .deb's SHA256; DIR then serves pin/repair --packages offline" },
        { "cluster-test", VERB_CLUSTER_TEST, 1, 1, cmd_cluster_test,
          "cluster-test CLUSTER.conf [--images DIR] [--junit FILE] [--serial-dir DIR] [--keep-going]",
          "Boot every node of a cluster file at once from throw-away\n"
          "overlays of their images, on one private segment that only the\n"
          "VMs share, each with its name, address and /etc/hosts; run the\n"
          "checks inside each node and the shared-filesystem check across\n"
          "them; a table of node x check, exit 0 only if all passed" },
        { "forecast", VERB_FORECAST, 0, 1, cmd_forecast,
          "forecast [IMAGE] [--profile FILE] --forecast SERIES [--forecast-packages DIR\n"
          "           [--forecast-from SOURCE]...] [--module NAME[/VER]]... [--source DIR|FILE.deb]\n"
          "           [--build-cache DIR] [the boot-test options] [--no-boot-test]",
          "Can the pin be lifted? Install the newest kernel of SERIES (the\n"
          "image's own, from DIR, or fetched) in a throw-away overlay, build\n"
          "the modules for it (the named ones, else every one DKMS builds),\n"
          "boot it if they all build, and say per module whether the pin is\n"
          "still needed; the image is never written. Exit 0: it can be lifted" },
        { "summarize", VERB_SUMMARIZE, 1, 4096, cmd_summarize,
          "summarize DIR NAME... [--cluster FILE] [--junit FILE]",
          "The night on one page, from kpin-nightly's report directory:\n"
          "per NAME its exit (NAME.rc), report, JUnit file and log; prints\n"
          "the table, writes DIR/summary.json, the night's JUnit file and\n"
          "DIR/night.html (static, no scripts). Exit 0 only if all are good" },
        { "accel", VERB_ACCEL, 0, 0, cmd_accel, "accel [--accel auto|kvm|tcg] [--json]",
          "Say whether kpin will use KVM or TCG here, and why (it boots\n"
          "a host kernel under KVM and waits for its banner)" },
};

const Verb *verb_find(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(verbs[i].name, name) == 0)
                        return &verbs[i];
        return NULL;
}

/* text indented by 15 columns after the first line's label */
static void print_described(const char *label, const char *text) {
        printf("  %-13s", label);
        for (const char *l = text; *l;) {
                size_t n = strcspn(l, "\n");

                printf("%s%.*s\n", l == text ? "" : "               ", (int) n, l);
                l += n + (l[n] == '\n');
        }
}

static const char exit_and_environment[] =
        "\nExit status:\n"
        "   0  success\n"
        "   1  internal or unexpected error\n"
        "   2  usage error: bad command line, profile or Packer manifest\n"
        "   3  image file missing or unreadable\n"
        "   4  not a disk image, corrupt or truncated, or an unsafe backing file\n"
        "   5  image in use: another process has it open for writing\n"
        "   6  no operating system in the image, or one kpin does not handle\n"
        "   7  kernel packages: not found, dependencies missing, or installation failed\n"
        "   8  a DKMS module does not build, install or verify for the kernel\n"
        "   9  GRUB cannot be made to boot the kernel\n"
        "  10  boot test failed: the image does not boot as expected\n"
        "  11  host environment: QEMU or the libguestfs appliance failed\n"
        "  12  cluster test failed: a node did not come up or a check failed\n"
        "\nEnvironment:\n"
        "  KPIN_PROBE_KERNEL  kernel the KVM probe boots (default: newest /boot/vmlinuz-*)\n"
        "  KPIN_QEMU          QEMU binary for the KVM probe and boot tests\n"
        "                     (default: qemu-system-x86_64)\n"
        "  PACKER_BUILD_NAME, PACKER_RUN_UUID  set by Packer; read by --packer-manifest\n"
        "  TMPDIR             throw-away overlays and VM sockets (default /var/tmp)\n"
        "  LIBGUESTFS_*       libguestfs settings (LIBGUESTFS_BACKEND, ...)\n";

void verbs_help(void) {
        _cleanup_free_ char *opts = options_help(-1);

        printf("kpin %s - pin an LTS kernel into a finished VM image, offline\n\nUsage:\n", PACKAGE_VERSION);
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  kpin %s\n", verbs[i].synopsis);
        printf("\nCommands:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                print_described(verbs[i].name, verbs[i].description);
        fputs(opts ? opts : "", stdout);
        fputs(exit_and_environment, stdout);
        printf("\nkpin VERB --help shows one verb's options. See kpin(1) for profiles, Packer and the nightly job.\n");
}

void verb_help(const Verb *v) {
        _cleanup_free_ char *opts = options_help((int) v->id);

        printf("Usage: kpin %s\n\n", v->synopsis);
        print_described(v->name, v->description);
        fputs(opts ? opts : "", stdout);
        printf("\nSee kpin --help for the exit codes and kpin(1) for profiles.\n");
}

void verbs_list_options(const Verb *v) {
        for (size_t i = 0; i < n_option_specs; i++) {
                const OptionSpec *s = &option_specs[i];

                if (s->kind == OPTK_KEY || (v && s->verbs && !(s->verbs & (1u << v->id))) || (!v && s->verbs))
                        continue;
                if (s->name)
                        printf("--%s\n", s->name);
                if (s->short_name)
                        printf("-%c\n", s->short_name);
        }
        for (size_t i = 0; !v && i < ELEMENTSOF(verbs); i++)
                printf("%s\n", verbs[i].name);
}
