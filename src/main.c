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

/* Options that belong to some verbs only. */
enum {
        OPT_PIN = 1 << 0,
};

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
          "pin IMAGE --kernel 6.1|6.6|KVER [--flavour F] [--packages DIR] [--keep-old | --purge-old]\n"
          "           (-o OUT | --in-place)" },
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
               "  accel        Say whether kpin will use KVM or TCG here, and why (it boots\n"
               "               a host kernel under KVM and waits for its banner)\n"
               "\nOptions of pin:\n"
               "      --kernel SERIES|KVER  Kernel series (6.1, 6.6) or full release to pin\n"
               "      --flavour FLAVOUR     Kernel flavour (default: that of the kernel the image\n"
               "                            boots now, e.g. cloud-amd64)\n"
               "      --packages DIR        Offline directory of .deb files to install from\n"
               "  -o, --output OUT          Write the repaired image to OUT (atomically)\n"
               "      --in-place            Replace IMAGE (atomically)\n"
               "      --keep-old            Keep the other kernels as boot fallbacks (default)\n"
               "      --purge-old           Purge the other kernels, their headers and the\n"
               "                            metapackages that pull them in\n"
               "\nGlobal options:\n"
               "      --accel auto|kvm|tcg  Hardware acceleration (auto: try KVM by booting a\n"
               "                            kernel, fall back to TCG with a warning)\n"
               "      --json                Print the result as JSON on stdout\n"
               "      --report FILE         Also write the JSON result to FILE\n"
               "  -v, --verbose             More detail on stderr\n"
               "  -x                        Trace libguestfs calls\n"
               "  -q, --quiet               Only errors on stderr\n"
               "  -h, --help                Show this help\n"
               "      --version             Show the version\n"
               "\nExit status:\n"
               "   0  success\n"
               "   1  internal or unexpected error\n"
               "   2  usage error\n"
               "   3  image file missing or unreadable\n"
               "   4  not a disk image, corrupt or truncated, or an unsafe backing file\n"
               "   5  image in use: another process has it open for writing\n"
               "   6  no operating system in the image, or one kpin does not handle\n"
               "   7  kernel packages: not found, dependencies missing, or installation failed\n"
               "   9  GRUB cannot be made to boot the kernel\n"
               "  11  host environment: QEMU or the libguestfs appliance failed\n"
               "\nEnvironment:\n"
               "  KPIN_PROBE_KERNEL  kernel the KVM probe boots (default: newest /boot/vmlinuz-*)\n"
               "  KPIN_QEMU          QEMU binary for the KVM probe (default: qemu-system-x86_64)\n"
               "  LIBGUESTFS_*       libguestfs settings (LIBGUESTFS_BACKEND, ...)\n");
}

static int usage_error(const char *fmt, const char *arg) {
        fprintf(stderr, "kpin: ");
        fprintf(stderr, fmt, arg);
        fprintf(stderr, "\nTry 'kpin --help'.\n");
        return KPIN_EXIT_USAGE;
}

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
};

static int parse_argv(int argc, char **argv, Context *ctx, char ***ret_args, unsigned *ret_used,
                      const char **ret_verb_opt) {
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
                {},
        };
        _cleanup_strv_free_ char **args = NULL;
        unsigned used = 0;
        const char *verb_opt = NULL;   /* the first verb-specific option given */
        int c, r, idx;

        opterr = 0;
        for (idx = -1; (c = getopt_long(argc, argv, "-:vqxho:", options, &idx)) >= 0; idx = -1) {
                if (!verb_opt && (c == 'o' || (c >= ARG_KERNEL && c <= ARG_PURGE_OLD)))
                        verb_opt = c == 'o' ? "-o" : idx >= 0 ? options[idx].name : "?";
                switch (c) {
                case ARG_KERNEL:
                        ctx->kernel = optarg;
                        used |= OPT_PIN;
                        break;
                case ARG_FLAVOUR:
                        ctx->flavour = optarg;
                        used |= OPT_PIN;
                        break;
                case ARG_PACKAGES:
                        ctx->packages = optarg;
                        used |= OPT_PIN;
                        break;
                case 'o':
                        ctx->output = optarg;
                        used |= OPT_PIN;
                        break;
                case ARG_IN_PLACE:
                        ctx->in_place = true;
                        used |= OPT_PIN;
                        break;
                case ARG_KEEP_OLD:
                        ctx->purge_old = false;
                        used |= OPT_PIN;
                        break;
                case ARG_PURGE_OLD:
                        ctx->purge_old = true;
                        used |= OPT_PIN;
                        break;
                case 1: /* positional, in order */
                        r = strv_extend(&args, optarg);
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
        }
        *ret_args = TAKE_PTR(args);
        *ret_used = used;
        *ret_verb_opt = verb_opt;
        return 0;
}

int main(int argc, char **argv) {
        _cleanup_strv_free_ char **args = NULL;
        Context ctx = { .accel = ACCEL_AUTO };
        const Verb *verb = NULL;
        unsigned used = 0;
        const char *verb_opt = NULL;
        size_t n;
        int r, code;

        r = parse_argv(argc, argv, &ctx, &args, &used, &verb_opt);
        if (r < 0) {
                log_error("%s", strerror(-r));
                return KPIN_EXIT_FAILURE;
        }
        if (r == 1)
                return KPIN_EXIT_OK;
        if (r > 0)
                return r;
        log_set_verbosity(ctx.verbosity);

        if (!args)
                return usage_error("%s", "no command given");
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
        if (used & ~verb->options) {
                fprintf(stderr, "kpin: %s: %s%s is not an option of %s\n", verb->name,
                        verb_opt && verb_opt[0] != '-' ? "--" : "", verb_opt ? verb_opt : "this option", verb->name);
                fprintf(stderr, "Try 'kpin --help'.\n");
                return KPIN_EXIT_USAGE;
        }
        ctx.verb = verb->name;

        r = verb->run(&ctx, args + 1);
        if (r >= 0)
                return KPIN_EXIT_OK;

        code = log_failure_exit_code();
        if (code == 0) {
                code = KPIN_EXIT_FAILURE;
                log_fail(code, r, "%s failed: %s", verb->name, strerror(-r));
        }
        log_error("%s", log_failure_message() ? log_failure_message() : strerror(-r));
        if (ctx.json || ctx.report) {
                json_object *o = json_failure(verb->name, code, log_failure_message());

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
