/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpin.h"
#include "report/json.h"
#include "shared/cleanup.h"
#include "shared/log.h"
#include "shared/strv.h"
#include "shared/tmpdir.h"

typedef struct Verb {
        const char *name;
        unsigned min_args, max_args;
        unsigned options;
        int (*run)(Context *ctx, char **args);
        const char *synopsis;
} Verb;

static const Verb verbs[] = {
        { "inspect", 1, 1, 0, cmd_inspect, "inspect IMAGE [--json]" },
        { "pin", 1, 1, OPT_PIN, cmd_pin,
          "pin IMAGE --kernel 6.1|6.6|KVER [--flavour F] [--packages DIR | --network]\n"
          "           [--keep-old | --purge-old] (-o OUT | --in-place [--force])" },
        { "dkms", 1, 1, OPT_DKMS, cmd_dkms,
          "dkms IMAGE (--module NAME[/VER]... | --source DIR|FILE.deb) [--kernel KVER]\n"
          "           [--build-config FILE[=GUESTPATH]]... [--sign-key KEY --sign-cert CERT]\n"
          "           [--build-cache DIR] (-o OUT | --in-place [--force])\n"
          "  kpin dkms IMAGE --matrix [--module NAME[/VER]] [--packages DIR]" },
        { "boot-test", 1, 1, OPT_BOOT, cmd_boot_test,
          "boot-test IMAGE [--expect-kernel PREFIX] [--expect-module NAME]... [--timeout S]\n"
          "           [--firmware auto|all|bios,uefi,uefi-secure] [--uefi-vars FILE] [--memory MB]\n"
          "           [--junit FILE] [--serial-log FILE]" },
        { "repair", 0, 1, OPT_REPAIR, cmd_repair,
          "repair [IMAGE] [--profile FILE] [--packer-manifest FILE] [the pin, dkms and boot-test\n"
          "           options] [--no-boot-test] [--junit FILE] (-o OUT | --in-place)" },
        { "fetch", 1, 1, OPT_FETCH, cmd_fetch,
          "fetch IMAGE --kernel SERIES|KVER [--flavour F] --from SOURCE... [--mirror URL]\n"
          "           [--allow-unsigned] -d DIR" },
        { "accel", 0, 0, 0, cmd_accel, "accel [--accel auto|kvm|tcg] [--json]" },
};

static void help(void) {
        printf("kpin %s - pin an LTS kernel into a finished VM image, offline\n\n", PACKAGE_VERSION);
        printf("Usage:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  kpin %s\n", verbs[i].synopsis);
        printf("\nCommands:\n"
               "  inspect      Open the image read-only and report its OS, installed kernels,\n"
               "               what GRUB boots by default, kernel holds and apt pins, and the\n"
               "               DKMS modules with their status for each kernel\n"
               "  pin          Install a kernel of the given series (newest in --packages DIR,\n"
               "               offline, or one already in the image) with its headers in one\n"
               "               package transaction, hold it and its metapackages, refuse other\n"
               "               kernel series in apt, and make GRUB boot it by default. Works on\n"
               "               an overlay: the result is written to OUT (or replaces IMAGE with\n"
               "               --in-place) only if every step succeeded\n"
               "  dkms         Build, install and verify DKMS modules for a kernel of the\n"
               "               image (default: the one GRUB boots) with the DKMS CLI and an\n"
               "               explicit kernel version; check each module's vermagic from its\n"
               "               bytes. --matrix tries every module on every kernel with headers\n"
               "               in a throw-away overlay and prints built/failed per pair\n"
               "  boot-test    Boot a throw-away overlay of the image through its own firmware\n"
               "               and GRUB under QEMU (no network), with a probe that reports the\n"
               "               running kernel, the modules that load and the failed units;\n"
               "               decide as soon as the console says enough\n"
               "  repair       The whole job in one run: pin, dkms, verify (GRUB boots the\n"
               "               kernel, the modules are installed for it, dpkg is consistent,\n"
               "               the kernel is held), boot-test, and only then commit. What to\n"
               "               do comes from --profile and the command line (which wins)\n"
               "  fetch        Download a kernel series with its headers and whatever of their\n"
               "               dependencies the image lacks from Debian's archive into DIR,\n"
               "               checking the Release signature with the host's keyrings and\n"
               "               every .deb's SHA256; DIR then serves pin/repair --packages offline\n"
               "  accel        Say whether kpin will use KVM or TCG here, and why (it boots\n"
               "               a host kernel under KVM and waits for its banner)\n"
               "\nOptions of pin:\n"
               "      --kernel SERIES|KVER  Kernel series (6.1, 6.6) or full release to pin\n"
               "      --flavour FLAVOUR     Kernel flavour (default: that of the kernel the image\n"
               "                            boots now, e.g. cloud-amd64)\n"
               "      --packages DIR        Offline directory of .deb files to install from\n"
               "      --network             Resolve and install from the guest's own apt\n"
               "                            sources, giving the appliance a network\n"
               "  -o, --output OUT          Write the repaired image to OUT (atomically)\n"
               "      --in-place            Replace IMAGE (atomically)\n"
               "      --keep-old            Keep the other kernels as boot fallbacks (default)\n"
               "      --purge-old           Purge the other kernels, their headers and the\n"
               "                            metapackages that pull them in\n"
               "      --force               With --in-place: replace a write-protected IMAGE\n"
               "                            (its mode, owner and ACL are kept)\n"
               "\nOptions of dkms:\n"
               "      --module NAME[/VER]   A DKMS module registered in the image (repeatable;\n"
               "                            VER defaults to the newest registered)\n"
               "      --source DIR|FILE.deb A module source directory with a dkms.conf, or a\n"
               "                            *-dkms package (installed without Recommends)\n"
               "      --build-config FILE[=GUESTPATH]\n"
               "                            Copy a build options file into the image first\n"
               "                            (GUESTPATH defaults to FILE's absolute path)\n"
               "      --kernel KVER         Kernel release, series or prefix to build for\n"
               "      --sign-key KEY        Sign the modules with this private key (PEM) and\n"
               "      --sign-cert CERT      certificate (PEM or DER): the key lives in a tmpfs in\n"
               "                            the appliance only, never in the image or report\n"
               "      --build-cache DIR     Reuse modules built before for the same source,\n"
               "                            headers, compiler and build options; store new ones\n"
               "      --matrix              Report module x kernel built/failed; changes nothing\n"
               "      --packages DIR        With --matrix: also try the kernels whose headers\n"
               "                            packages are in DIR\n"
               "  -o OUT, --in-place        As for pin\n"
               "\nOptions of boot-test:\n"
               "      --expect-kernel PREFIX  Release prefix or series the VM must run\n"
               "                            (default: the kernel GRUB's default entry boots)\n"
               "      --expect-module NAME  A module that must load (repeatable)\n"
               "      --timeout S           Give up after S seconds (default 300)\n"
               "      --firmware LIST       bios (SeaBIOS), uefi (OVMF), uefi-secure (OVMF with\n"
               "                            Secure Boot enforced), comma-separated; all: every\n"
               "                            way the image can boot; auto (default): the first\n"
               "      --uefi-vars FILE      OVMF variable store to start from (e.g. with a MOK\n"
               "                            enrolled); copied, never written\n"
               "      --memory MB           VM memory (default 1024)\n"
               "      --junit FILE          One JUnit testcase per check\n"
               "      --serial-log FILE     The whole serial console\n"
               "\nOptions of repair (and those of pin, dkms and boot-test):\n"
               "      --profile FILE        An image profile (INI): kernel, modules, boot-test\n"
               "      --packer-manifest FILE  Repair the artifact of $PACKER_BUILD_NAME in\n"
               "                            Packer's manifest (IMAGE then goes)\n"
               "      --no-boot-test        Skip the boot test\n"
               "      --hold, --no-hold     Hold the kernel packages with dpkg (default) or not\n"
               "      --junit FILE          One JUnit testcase per step and boot-test check\n"
               "      --from SUITE, --mirror URL, --allow-unsigned\n"
               "                            Fetch the kernel first if --packages DIR lacks it\n"
               "                            (or DIR does not exist yet), as kpin fetch does\n"
               "\nOptions of fetch:\n"
               "      --kernel SERIES|KVER  Kernel series or release to fetch\n"
               "      --flavour FLAVOUR     As for pin\n"
               "      --from SUITE          A Debian suite to look in, e.g. bookworm,\n"
               "                            bookworm-security, or a sources.list line such as\n"
               "                            'deb [signed-by=KEYRING] URL SUITE main' for a site\n"
               "                            repository (repeatable; the newest kernel wins)\n"
               "      --mirror URL          Archive for bare suites (default deb.debian.org;\n"
               "                            *-security suites use its debian-security)\n"
               "      --allow-unsigned      Accept a repository without a valid signature\n"
               "  -d DIR                    Where to put the packages and a manifest\n"
               "\nGlobal options:\n"
               "      --accel auto|kvm|tcg  Hardware acceleration (auto: try KVM by booting a\n"
               "                            kernel, fall back to TCG with a warning)\n"
               "      --json                Print the result as JSON on stdout\n"
               "      --report FILE         Also write the JSON result to FILE\n"
               "      --allow-backing PATH  Trust this backing file outside the image's\n"
               "                            directory (repeatable; refused otherwise)\n"
               "  -v, --verbose             More detail on stderr\n"
               "  -x                        Trace libguestfs calls\n"
               "  -q, --quiet               Only errors on stderr\n"
               "  -h, --help                Show this help\n"
               "      --version             Show the version\n"
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
               "\nEnvironment:\n"
               "  KPIN_PROBE_KERNEL  kernel the KVM probe boots (default: newest /boot/vmlinuz-*)\n"
               "  KPIN_QEMU          QEMU binary for the KVM probe and boot tests\n"
               "                     (default: qemu-system-x86_64)\n"
               "  PACKER_BUILD_NAME, PACKER_RUN_UUID  set by Packer; read by --packer-manifest\n"
               "  TMPDIR             throw-away overlays and VM sockets (default /var/tmp)\n"
               "  LIBGUESTFS_*       libguestfs settings (LIBGUESTFS_BACKEND, ...)\n"
               "\nSee kpin(1) for profiles, Packer and the nightly job.\n");
}

/* A usage error fails the run like any other (so --json reports it too);
 * main adds the hint. */
#define usage_error(...) log_fail(KPIN_EXIT_USAGE, -EINVAL, __VA_ARGS__)

enum {
        ARG_ACCEL = 0x100,
        ARG_JSON,
        ARG_REPORT,
        ARG_VERSION,
        ARG_KERNEL,
        ARG_FLAVOUR,
        ARG_PACKAGES,
        ARG_IN_PLACE,
        ARG_KEEP_OLD,
        ARG_PURGE_OLD,
        ARG_MODULE,
        ARG_SOURCE,
        ARG_BUILD_CONFIG,
        ARG_MATRIX,
        ARG_EXPECT_KERNEL,
        ARG_EXPECT_MODULE,
        ARG_TIMEOUT,
        ARG_FIRMWARE,
        ARG_MEMORY,
        ARG_JUNIT,
        ARG_SERIAL_LOG,
        ARG_NETWORK,
        ARG_PROFILE,
        ARG_PACKER_MANIFEST,
        ARG_NO_BOOT_TEST,
        ARG_HOLD,
        ARG_NO_HOLD,
        ARG_ALLOW_BACKING,
        ARG_FORCE,
        ARG_UEFI_VARS,
        ARG_FROM,
        ARG_MIRROR,
        ARG_ALLOW_UNSIGNED,
        ARG_SIGN_KEY,
        ARG_SIGN_CERT,
        ARG_BUILD_CACHE,
};

/* 0: go on with *ret_args; >0: done (--help, --version); <0: a usage
 * error, recorded. */
static int parse_argv(int argc, char **argv, Context *ctx, char ***ret_args, const char **opt_names) {
        static const struct option options[] = {
                { "accel", required_argument, NULL, ARG_ACCEL },
                { "json", no_argument, NULL, ARG_JSON },
                { "report", required_argument, NULL, ARG_REPORT },
                { "verbose", no_argument, NULL, 'v' },
                { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "kernel", required_argument, NULL, ARG_KERNEL },
                { "flavour", required_argument, NULL, ARG_FLAVOUR },
                { "packages", required_argument, NULL, ARG_PACKAGES },
                { "output", required_argument, NULL, 'o' },
                { "in-place", no_argument, NULL, ARG_IN_PLACE },
                { "keep-old", no_argument, NULL, ARG_KEEP_OLD },
                { "purge-old", no_argument, NULL, ARG_PURGE_OLD },
                { "module", required_argument, NULL, ARG_MODULE },
                { "source", required_argument, NULL, ARG_SOURCE },
                { "build-config", required_argument, NULL, ARG_BUILD_CONFIG },
                { "matrix", no_argument, NULL, ARG_MATRIX },
                { "expect-kernel", required_argument, NULL, ARG_EXPECT_KERNEL },
                { "expect-module", required_argument, NULL, ARG_EXPECT_MODULE },
                { "timeout", required_argument, NULL, ARG_TIMEOUT },
                { "firmware", required_argument, NULL, ARG_FIRMWARE },
                { "memory", required_argument, NULL, ARG_MEMORY },
                { "junit", required_argument, NULL, ARG_JUNIT },
                { "serial-log", required_argument, NULL, ARG_SERIAL_LOG },
                { "network", no_argument, NULL, ARG_NETWORK },
                { "profile", required_argument, NULL, ARG_PROFILE },
                { "packer-manifest", required_argument, NULL, ARG_PACKER_MANIFEST },
                { "no-boot-test", no_argument, NULL, ARG_NO_BOOT_TEST },
                { "hold", no_argument, NULL, ARG_HOLD },
                { "no-hold", no_argument, NULL, ARG_NO_HOLD },
                { "allow-backing", required_argument, NULL, ARG_ALLOW_BACKING },
                { "force", no_argument, NULL, ARG_FORCE },
                { "uefi-vars", required_argument, NULL, ARG_UEFI_VARS },
                { "from", required_argument, NULL, ARG_FROM },
                { "mirror", required_argument, NULL, ARG_MIRROR },
                { "allow-unsigned", no_argument, NULL, ARG_ALLOW_UNSIGNED },
                { "sign-key", required_argument, NULL, ARG_SIGN_KEY },
                { "sign-cert", required_argument, NULL, ARG_SIGN_CERT },
                { "build-cache", required_argument, NULL, ARG_BUILD_CACHE },
                {},
        };
        _cleanup_strv_free_ char **args = NULL;
        Options *o = &ctx->opt;
        unsigned before;
        int c, r, idx;

        opterr = 0;
        for (idx = -1; (c = getopt_long(argc, argv, "-:vqxho:d:", options, &idx)) >= 0; idx = -1) {
                before = o->used;
                switch (c) {
                case ARG_KERNEL:
                        o->kernel = optarg;
                        o->used |= OPT_KERNEL;
                        break;
                case ARG_FLAVOUR:
                        o->flavour = optarg;
                        o->used |= OPT_FLAVOUR;
                        break;
                case ARG_PACKAGES:
                        o->packages = optarg;
                        o->used |= OPT_PACKAGES;
                        break;
                case 'o':
                        o->output = optarg;
                        o->used |= OPT_OUTPUT;
                        break;
                case ARG_IN_PLACE:
                        o->in_place = true;
                        o->used |= OPT_OUTPUT;
                        break;
                case ARG_KEEP_OLD:
                        o->purge_old = false;
                        o->used |= OPT_OLD;
                        break;
                case ARG_PURGE_OLD:
                        o->purge_old = true;
                        o->used |= OPT_OLD;
                        break;
                case ARG_MODULE:
                        r = strv_extend(&o->modules, optarg);
                        if (r < 0)
                                return r;
                        o->used |= OPT_MODULE;
                        break;
                case ARG_SOURCE:
                        o->source = optarg;
                        o->used |= OPT_SOURCE;
                        break;
                case ARG_BUILD_CONFIG:
                        r = strv_extend(&o->build_configs, optarg);
                        if (r < 0)
                                return r;
                        o->used |= OPT_BUILD_CONFIG;
                        break;
                case ARG_MATRIX:
                        o->matrix = true;
                        o->used |= OPT_MATRIX;
                        break;
                case ARG_EXPECT_KERNEL:
                        o->expect_kernel = optarg;
                        o->used |= OPT_EXPECT_KERNEL;
                        break;
                case ARG_EXPECT_MODULE:
                        r = strv_extend(&o->expect_modules, optarg);
                        if (r < 0)
                                return r;
                        o->used |= OPT_EXPECT_MODULE;
                        break;
                case ARG_TIMEOUT:
                case ARG_MEMORY: {
                        char *end;
                        unsigned long v;

                        errno = 0;
                        v = strtoul(optarg, &end, 10);
                        if (errno || end == optarg || *end || optarg[0] == '-' || v > 1000000)
                                return usage_error("'%s' is not a number here", optarg);
                        if (c == ARG_TIMEOUT) {
                                o->timeout_s = (unsigned) v;
                                o->used |= OPT_TIMEOUT;
                        } else {
                                o->memory_mb = (int) v;
                                o->used |= OPT_MEMORY;
                        }
                        break;
                }
                case ARG_FIRMWARE:
                        if (firmware_spec_parse(optarg, &o->firmware) < 0)
                                return usage_error("--firmware takes auto, all or a list of bios, uefi and "
                                                   "uefi-secure, not '%s'", optarg);
                        o->used |= OPT_FIRMWARE;
                        break;
                case ARG_JUNIT:
                        o->junit = optarg;
                        o->used |= OPT_JUNIT;
                        break;
                case ARG_SERIAL_LOG:
                        o->serial_log = optarg;
                        o->used |= OPT_SERIAL_LOG;
                        break;
                case ARG_NETWORK:
                        o->network = true;
                        o->used |= OPT_NETWORK;
                        break;
                case ARG_PROFILE:
                        o->profile = optarg;
                        o->used |= OPT_PROFILE;
                        break;
                case ARG_PACKER_MANIFEST:
                        o->packer_manifest = optarg;
                        o->used |= OPT_PACKER_MANIFEST;
                        break;
                case ARG_NO_BOOT_TEST:
                        o->used |= OPT_NO_BOOT_TEST;
                        break;
                case ARG_FORCE:
                        o->force = true;
                        o->used |= OPT_FORCE;
                        break;
                case ARG_UEFI_VARS:
                        o->uefi_vars = optarg;
                        o->used |= OPT_UEFI_VARS;
                        break;
                case ARG_FROM:
                        r = strv_extend(&o->from, optarg);
                        if (r < 0)
                                return r;
                        o->used |= OPT_FROM;
                        break;
                case ARG_MIRROR:
                        o->mirror = optarg;
                        o->used |= OPT_MIRROR;
                        break;
                case ARG_ALLOW_UNSIGNED:
                        o->allow_unsigned = true;
                        o->used |= OPT_ALLOW_UNSIGNED;
                        break;
                case ARG_SIGN_KEY:
                case ARG_SIGN_CERT:
                        *(c == ARG_SIGN_KEY ? &o->sign_key : &o->sign_cert) = optarg;
                        o->used |= OPT_SIGN;
                        break;
                case ARG_BUILD_CACHE:
                        o->build_cache = optarg;
                        o->used |= OPT_BUILD_CACHE;
                        break;
                case 'd':
                        o->dest = optarg;
                        o->used |= OPT_DEST;
                        break;
                case ARG_HOLD:
                case ARG_NO_HOLD:
                        o->hold = c == ARG_HOLD;
                        o->used |= OPT_HOLD;
                        break;
                case 1: /* positional, in order */
                        r = strv_extend(&args, optarg);
                        if (r < 0)
                                return r;
                        break;
                case ARG_ALLOW_BACKING:
                        r = strv_extend(&ctx->allow_backing, optarg);
                        if (r < 0)
                                return r;
                        break;
                case ARG_ACCEL:
                        if (accel_mode_from_string(optarg, &ctx->accel) < 0)
                                return usage_error("--accel takes auto, kvm or tcg, not '%s'", optarg);
                        break;
                case ARG_JSON:
                        ctx->json = true;
                        break;
                case ARG_REPORT:
                        ctx->report = optarg;
                        break;
                case 'v':
                        if (ctx->verbosity < LOG_VERBOSE)
                                ctx->verbosity = LOG_VERBOSE;
                        break;
                case 'x':
                        ctx->verbosity = LOG_TRACE;
                        break;
                case 'q':
                        ctx->verbosity = LOG_QUIET;
                        break;
                case 'h':
                        help();
                        return 1;
                case ARG_VERSION:
                        printf("kpin %s\n", PACKAGE_VERSION);
                        return 1;
                case ':':
                        return usage_error("option '%s' needs an argument", argv[optind - 1]);
                default:
                        return usage_error("unknown option '%s'", argv[optind - 1]);
                }
                /* remember how each verb option was spelled, for errors */
                for (unsigned b = 0; b < N_OPT_BITS; b++)
                        if ((o->used & ~before) & (1u << b))
                                opt_names[b] = c == 'o' ? "-o" : c == 'd' ? "-d" : idx >= 0 ? options[idx].name : "?";
        }
        *ret_args = TAKE_PTR(args);
        return 0;
}

static void context_done(Context *c) {
        options_done(&c->opt);
        strv_free(c->allow_backing);
}

/* --json and --report anywhere on the command line, even after a bad
 * option: a failed run is reported the same way as any other. */
static void scan_report_options(int argc, char **argv, Context *ctx) {
        for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
                if (strcmp(argv[i], "--json") == 0)
                        ctx->json = true;
                else if (strcmp(argv[i], "--report") == 0 && i + 1 < argc)
                        ctx->report = argv[i + 1];
                else if (startswith(argv[i], "--report="))
                        ctx->report = argv[i] + strlen("--report=");
}

static int check_verb(const Context *ctx, char **args, const char **opt_names, const Verb **ret) {
        const Verb *verb = NULL;
        unsigned bad;
        size_t n;

        if (!args)
                return usage_error("no command given");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(args[0], verbs[i].name) == 0)
                        verb = &verbs[i];
        if (!verb)
                return usage_error("unknown command '%s'", args[0]);
        n = strv_length(args) - 1;
        if (n < verb->min_args)
                return usage_error("%s: missing argument", verb->name);
        if (n > verb->max_args)
                return usage_error("too many arguments for %s", verb->name);
        bad = ctx->opt.used & ~verb->options;
        if (bad) {
                const char *name = NULL;

                for (unsigned b = 0; b < N_OPT_BITS && !name; b++)
                        if (bad & (1u << b))
                                name = opt_names[b];
                return usage_error("%s: %s%s is not an option of %s", verb->name, name && name[0] != '-' ? "--" : "",
                                   name ? name : "this option", verb->name);
        }
        *ret = verb;
        return 0;
}

int main(int argc, char **argv) {
        _cleanup_strv_free_ char **args = NULL;
        _cleanup_(context_done) Context ctx = { .accel = ACCEL_AUTO };
        const char *opt_names[N_OPT_BITS] = {};
        const Verb *verb = NULL;
        int r, code;

        scan_report_options(argc, argv, &ctx);
        r = parse_argv(argc, argv, &ctx, &args, opt_names);
        if (r > 0)
                return KPIN_EXIT_OK;
        log_set_verbosity(ctx.verbosity);
        if (r >= 0)
                r = check_verb(&ctx, args, opt_names, &verb);
        if (r >= 0) {
                ctx.verb = verb->name;
                /* what a kpin killed with -9 left in $TMPDIR */
                (void) tmpdir_reap_stale();
                r = verb->run(&ctx, args + 1);
        }
        if (r >= 0)
                return KPIN_EXIT_OK;

        code = log_failure_exit_code();
        if (code == 0) {
                code = KPIN_EXIT_FAILURE;
                log_fail(code, r, "%s failed: %s", verb ? verb->name : "kpin", strerror(-r));
        }
        log_error("%s", log_failure_message() ? log_failure_message() : strerror(-r));
        if (code == KPIN_EXIT_USAGE && !verb)
                fprintf(stderr, "Try 'kpin --help'.\n");
        if ((ctx.json || ctx.report) && !ctx.reported) {
                json_object *o = json_failure(verb ? verb->name : NULL, code, log_failure_message());

                if (o) {
                        if (ctx.json)
                                (void) json_write(o, "-");
                        if (ctx.report)
                                (void) json_write(o, ctx.report);
                        json_object_put(o);
                }
        }
        log_reset_failure();
        return code;
}
