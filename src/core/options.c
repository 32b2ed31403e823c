/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aptsources.h"
#include "options.h"
#include "profile.h"
#include "qemuargv.h"
#include "shared/cleanup.h"
#include "shared/strbuf.h"
#include "shared/strv.h"

#define O(f) offsetof(Options, f)
#define P(f) offsetof(Profile, f)
#define PIN_LIKE (VERB(PIN) | VERB(REPAIR))
#define DKMS_LIKE (VERB(DKMS) | VERB(REPAIR))
#define BOOT_LIKE (VERB(BOOT_TEST) | VERB(REPAIR))
#define FETCH_LIKE (VERB(FETCH) | VERB(REPAIR))
#define FORECAST_LIKE (VERB(REPAIR) | VERB(FORECAST))

/* In the order --help lists them, under their headings. */
const OptionSpec option_specs[] = {
        { "kernel", 0, "SERIES|KVER", PIN_LIKE | VERB(DKMS) | VERB(FETCH), OPT_KERNEL, OPTK_STRING, .offset = O(kernel),
          .section = "kernel", .key = "series", .key_type = KEY_STRING, .profile_offset = P(kernel), .help_group = "pin",
          .help = "Kernel series (6.1, 6.6) or full release to pin (dkms: the\nrelease, series or prefix to build for; fetch: to fetch)" },
        { "flavour", 0, "FLAVOUR", PIN_LIKE | VERB(FETCH), OPT_FLAVOUR, OPTK_STRING, .offset = O(flavour),
          .section = "kernel", .key = "flavour", .key_type = KEY_STRING, .profile_offset = P(flavour), .help_group = "pin",
          .help = "Kernel flavour (default: that of the kernel the image\nboots now, e.g. cloud-amd64)" },
        { "packages", 0, "DIR", PIN_LIKE | VERB(DKMS), OPT_PACKAGES, OPTK_STRING, .offset = O(packages),
          .section = "kernel", .key = "packages", .key_type = KEY_PATH, .profile_offset = P(packages), .help_group = "pin",
          .help = "Offline directory of .deb files to install from (dkms\n--matrix: also try the kernels whose headers are in DIR)" },
        { "network", 0, NULL, PIN_LIKE, OPT_NETWORK, OPTK_FLAG, .offset = O(network), .flag_value = true,
          .section = "kernel", .key = "network", .key_type = KEY_BOOL, .profile_offset = P(network), .help_group = "pin",
          .help = "Resolve and install from the guest's own apt\nsources, giving the appliance a network" },
        { "output", 'o', "OUT", PIN_LIKE | VERB(DKMS), OPT_OUTPUT, OPTK_STRING, .offset = O(output), .help_group = "pin",
          .help = "Write the repaired image to OUT (atomically)" },
        { "in-place", 0, NULL, PIN_LIKE | VERB(DKMS), OPT_OUTPUT, OPTK_FLAG, .offset = O(in_place), .flag_value = true,
          .help_group = "pin", .help = "Replace IMAGE (atomically)" },
        { "keep-old", 0, NULL, PIN_LIKE, OPT_OLD, OPTK_FLAG, .offset = O(purge_old), .flag_value = false,
          .help_group = "pin", .help = "Keep the other kernels as boot fallbacks (default)" },
        { "purge-old", 0, NULL, PIN_LIKE, OPT_OLD, OPTK_FLAG, .offset = O(purge_old), .flag_value = true,
          .section = "kernel", .key = "old", .key_type = KEY_OLD, .profile_offset = P(purge_old), .help_group = "pin",
          .help = "Purge the other kernels, their headers and the\nmetapackages that pull them in ([kernel] old = purge)" },
        { "keep-kernels", 0, "N", PIN_LIKE, OPT_KEEP_KERNELS, OPTK_COUNT, .offset = O(keep_kernels),
          .section = "kernel", .key = "keep-kernels", .key_type = KEY_COUNT, .profile_offset = P(keep_kernels),
          .help_group = "pin",
          .help = "Keep N ABIs of the pinned series, the pinned one\nincluded (default 2); older ones and their DKMS\n"
                  "trees are purged in the same transaction" },
        { "roll", 0, NULL, PIN_LIKE, OPT_ROLL, OPTK_FLAG, .offset = O(roll), .flag_value = true,
          .section = "kernel", .key = "roll", .key_type = KEY_BOOL, .profile_offset = P(roll), .help_group = "pin",
          .help = "Roll forward to the newest ABI of the series the\nimage has, from every source (default)" },
        { "no-roll", 0, NULL, PIN_LIKE, OPT_ROLL, OPTK_FLAG, .offset = O(roll), .flag_value = false,
          .help_group = "pin", .help = "Keep the ABI the image has ([kernel] roll = no)" },
        { "force", 0, NULL, PIN_LIKE | VERB(DKMS), OPT_FORCE, OPTK_FLAG, .offset = O(force), .flag_value = true,
          .help_group = "pin", .help = "With --in-place: replace a write-protected IMAGE\n(its mode, owner and ACL are kept)" },

        { "module", 0, "NAME[/VER]", DKMS_LIKE | VERB(FORECAST), OPT_MODULE, OPTK_LIST, .offset = O(modules),
          .section = "dkms", .key = "module", .key_type = KEY_LIST, .profile_offset = P(modules), .help_group = "dkms",
          .help = "A DKMS module registered in the image (repeatable;\nVER defaults to the newest registered)" },
        { "source", 0, "DIR|FILE.deb", DKMS_LIKE | VERB(FORECAST), OPT_SOURCE, OPTK_STRING, .offset = O(source),
          .section = "dkms", .key = "source", .key_type = KEY_PATH, .profile_offset = P(source), .help_group = "dkms",
          .help = "A module source directory with a dkms.conf, or a\n*-dkms package (installed without Recommends)" },
        { "build-config", 0, "FILE[=GUESTPATH]", DKMS_LIKE | VERB(FORECAST), OPT_BUILD_CONFIG, OPTK_LIST, .offset = O(build_configs),
          .section = "dkms", .key = "build-config", .key_type = KEY_BUILD_CONFIGS, .profile_offset = P(build_configs),
          .help_group = "dkms",
          .help = "Copy a build options file into the image first\n(GUESTPATH defaults to FILE's absolute path)" },
        { "sign-key", 0, "KEY", DKMS_LIKE | VERB(FORECAST), OPT_SIGN, OPTK_STRING, .offset = O(sign_key),
          .section = "dkms", .key = "sign-key", .key_type = KEY_PATH, .profile_offset = P(sign_key), .help_group = "dkms",
          .help = "Sign the modules with this private key (PEM) and" },
        { "sign-cert", 0, "CERT", DKMS_LIKE | VERB(FORECAST), OPT_SIGN, OPTK_STRING, .offset = O(sign_cert),
          .section = "dkms", .key = "sign-cert", .key_type = KEY_PATH, .profile_offset = P(sign_cert), .help_group = "dkms",
          .help = "certificate (PEM or DER): the key lives in a tmpfs in\nthe appliance only, never in the image or report" },
        { "build-cache", 0, "DIR", DKMS_LIKE | VERB(FORECAST), OPT_BUILD_CACHE, OPTK_STRING, .offset = O(build_cache),
          .section = "dkms", .key = "build-cache", .key_type = KEY_PATH, .profile_offset = P(build_cache),
          .help_group = "dkms",
          .help = "Reuse modules built before for the same source,\nheaders, compiler and build options; store new ones" },
        { "matrix", 0, NULL, VERB(DKMS), OPT_MATRIX, OPTK_FLAG, .offset = O(matrix), .flag_value = true,
          .help_group = "dkms", .help = "Report module x kernel built/failed; changes nothing" },
        { "format", 0, "text|markdown", VERB(DKMS), OPT_FORMAT, OPTK_STRING, .offset = O(format), .key_type = KEY_FORMAT,
          .help_group = "dkms", .help = "--matrix as a table to read (text, default) or to\npaste into a site's documentation (markdown)" },

        { "expect-kernel", 0, "PREFIX", BOOT_LIKE, OPT_EXPECT_KERNEL, OPTK_STRING, .offset = O(expect_kernel),
          .section = "boot-test", .key = "expect-kernel", .key_type = KEY_STRING, .profile_offset = P(expect_kernel),
          .help_group = "boot-test",
          .help = "Release prefix or series the VM must run\n(default: the kernel GRUB's default entry boots)" },
        { "expect-module", 0, "NAME", BOOT_LIKE, OPT_EXPECT_MODULE, OPTK_LIST, .offset = O(expect_modules),
          .section = "boot-test", .key = "expect-module", .key_type = KEY_LIST, .profile_offset = P(expect_modules),
          .help_group = "boot-test", .help = "A module that must load (repeatable)" },
        { "timeout", 0, "S", BOOT_LIKE | VERB(FORECAST), OPT_TIMEOUT, OPTK_SECONDS, .offset = O(timeout_s),
          .section = "boot-test", .key = "timeout", .key_type = KEY_SECONDS, .profile_offset = P(timeout_s),
          .help_group = "boot-test", .help = "Give up after S seconds (default 300)" },
        { "firmware", 0, "LIST", BOOT_LIKE | VERB(FORECAST), OPT_FIRMWARE, OPTK_FIRMWARE, .offset = O(firmware),
          .section = "boot-test", .key = "firmware", .key_type = KEY_FIRMWARE, .profile_offset = P(firmware),
          .help_group = "boot-test",
          .help = "bios (SeaBIOS), uefi (OVMF), uefi-secure (OVMF with\nSecure Boot enforced), comma-separated; all: every\n"
                  "way the image can boot; auto (default): the first" },
        { "uefi-vars", 0, "FILE", BOOT_LIKE | VERB(FORECAST), OPT_UEFI_VARS, OPTK_STRING, .offset = O(uefi_vars),
          .section = "boot-test", .key = "uefi-vars", .key_type = KEY_PATH, .profile_offset = P(uefi_vars),
          .help_group = "boot-test",
          .help = "OVMF variable store to start from (e.g. with a MOK\nenrolled); copied, never written" },
        { "memory", 0, "MB", BOOT_LIKE | VERB(FORECAST), OPT_MEMORY, OPTK_MEGABYTES, .offset = O(memory_mb),
          .section = "boot-test", .key = "memory", .key_type = KEY_MEGABYTES, .profile_offset = P(memory_mb),
          .help_group = "boot-test", .help = "VM memory (default 1024)" },
        { "junit", 0, "FILE", BOOT_LIKE | VERB(CLUSTER_TEST) | VERB(SUMMARIZE), OPT_JUNIT, OPTK_STRING, .offset = O(junit), .help_group = "boot-test",
          .help = "One JUnit testcase per check (repair: and per step;\ncluster-test: a testsuite per node; summarize: the\nnight's, default DIR/nightly.xml)" },
        { "serial-log", 0, "FILE", BOOT_LIKE | VERB(FORECAST), OPT_SERIAL_LOG, OPTK_STRING, .offset = O(serial_log),
          .help_group = "boot-test", .help = "The whole serial console" },
        { NULL, 0, NULL, 0, 0, OPTK_KEY, .section = "boot-test", .key = "network-units",
          .key_type = KEY_NETWORK_UNITS, .profile_offset = P(network_units_fail), .help_group = "boot-test",
          .help = "warn (default) or fail: whether units that fail only for want of\nthe network's servers fail the boot" },

        { "profile", 0, "FILE", FORECAST_LIKE, OPT_PROFILE, OPTK_STRING, .offset = O(profile), .help_group = "repair",
          .help = "An image profile (INI): kernel, modules, boot-test" },
        { "packer-manifest", 0, "FILE", VERB(REPAIR), OPT_PACKER_MANIFEST, OPTK_STRING, .offset = O(packer_manifest),
          .help_group = "repair", .help = "Repair the artifact of $PACKER_BUILD_NAME in\nPacker's manifest (IMAGE then goes)" },
        { "no-boot-test", 0, NULL, FORECAST_LIKE, OPT_NO_BOOT_TEST, OPTK_FLAG, .offset = O(no_boot_test),
          .flag_value = true, .section = "boot-test", .key = "enabled", .key_type = KEY_BOOL,
          .profile_offset = P(boot_test), .help_group = "repair", .help = "Skip the boot test ([boot-test] enabled = no)" },
        { "hold", 0, NULL, VERB(REPAIR), OPT_HOLD, OPTK_FLAG, .offset = O(hold), .flag_value = true,
          .section = "kernel", .key = "hold", .key_type = KEY_BOOL, .profile_offset = P(hold), .help_group = "repair",
          .help = "Hold the kernel packages with dpkg (default)" },
        { "no-hold", 0, NULL, VERB(REPAIR), OPT_HOLD, OPTK_FLAG, .offset = O(hold), .flag_value = false,
          .help_group = "repair", .help = "Do not hold them" },
        { NULL, 0, NULL, 0, 0, OPTK_KEY, .section = "image", .key = "name", .key_type = KEY_STRING,
          .profile_offset = P(name), .help_group = "repair", .help = "The profile's name (default: its file name)" },
        { NULL, 0, NULL, 0, 0, OPTK_KEY, .section = "image", .key = "path", .key_type = KEY_PATH,
          .profile_offset = P(image), .help_group = "repair", .help = "The image the nightly job repairs" },

        { "from", 0, "SOURCE", FETCH_LIKE, OPT_FROM, OPTK_LIST, .offset = O(from), .section = "kernel",
          .key = "fetch-from", .key_type = KEY_SOURCES, .profile_offset = P(fetch_from), .help_group = "fetch",
          .help = "A Debian suite to look in, e.g. bookworm,\nbookworm-security, or a sources.list line such as\n"
                  "'deb [signed-by=KEYRING] URL SUITE main' for a site\nrepository (repeatable; the newest kernel wins;\n"
                  "repair: fetch first if --packages DIR lacks it)" },
        { "mirror", 0, "URL", FETCH_LIKE | VERB(FORECAST), OPT_MIRROR, OPTK_STRING, .offset = O(mirror), .section = "kernel",
          .key = "mirror", .key_type = KEY_URL, .profile_offset = P(mirror), .help_group = "fetch",
          .help = "Archive for bare suites (default deb.debian.org;\n*-security suites use its debian-security)" },
        { "allow-unsigned", 0, NULL, FETCH_LIKE | VERB(FORECAST), OPT_ALLOW_UNSIGNED, OPTK_FLAG, .offset = O(allow_unsigned),
          .flag_value = true, .help_group = "fetch", .help = "Accept a repository without a valid signature" },
        { NULL, 'd', "DIR", VERB(FETCH), OPT_DEST, OPTK_STRING, .offset = O(dest), .help_group = "fetch",
          .help = "Where to put the packages and a manifest" },

        { "forecast", 0, "SERIES", FORECAST_LIKE, OPT_FORECAST, OPTK_STRING, .offset = O(forecast),
          .section = "forecast", .key = "kernel", .key_type = KEY_STRING, .profile_offset = P(forecast),
          .help_group = "forecast",
          .help = "Can the pin be lifted? Build the modules for the\nnewest kernel of SERIES (e.g. 6.12) on a throw-away\n"
                  "overlay and boot it; says, per module, whether the\npin is still needed (repair: after the commit)" },
        { "no-forecast", 0, NULL, VERB(REPAIR), OPT_FORECAST, OPTK_FLAG, .offset = O(no_forecast), .flag_value = true,
          .help_group = "forecast", .help = "No forecast, whatever the profile says" },
        { "forecast-packages", 0, "DIR", FORECAST_LIKE, OPT_FORECAST_PACKAGES, OPTK_STRING,
          .offset = O(forecast_packages), .section = "forecast", .key = "packages", .key_type = KEY_PATH,
          .profile_offset = P(forecast_packages), .help_group = "forecast",
          .help = "Offline .deb directory with that kernel and headers\n(else the image's own, or fetched into DIR)" },
        { "forecast-from", 0, "SOURCE", FORECAST_LIKE, OPT_FORECAST_FROM, OPTK_LIST, .offset = O(forecast_from),
          .section = "forecast", .key = "fetch-from", .key_type = KEY_SOURCES, .profile_offset = P(forecast_from),
          .help_group = "forecast",
          .help = "Where to fetch that kernel into --forecast-packages\nDIR, as --from (e.g. trixie, trixie-security)" },

        { "serial-dir", 0, "DIR", VERB(CLUSTER_TEST), OPT_SERIAL_DIR, OPTK_STRING, .offset = O(serial_dir),
          .help_group = "cluster-test", .help = "Keep each node's console and results port as\nNODE.console.log and NODE.results.log in DIR" },
        { "keep-going", 0, NULL, VERB(CLUSTER_TEST), OPT_KEEP_GOING, OPTK_FLAG, .offset = O(keep_going), .flag_value = true,
          .help_group = "cluster-test", .help = "Run every check of a node past a failed one" },
        { "images", 0, "DIR", VERB(CLUSTER_TEST), OPT_IMAGES, OPTK_STRING, .offset = O(images),
          .help_group = "cluster-test", .help = "Relative image paths of the cluster file are in DIR\n(default: the file's directory)" },
        { "cluster", 0, "FILE", VERB(SUMMARIZE), OPT_CLUSTER, OPTK_STRING, .offset = O(cluster),
          .help_group = "summarize", .help = "The night tested this cluster file: its row from\nDIR/cluster.{rc,json,xml,log}" },
        { "accel", 0, "auto|kvm|tcg", 0, 0, OPTK_GLOBAL, GLOBAL_ACCEL, .help_group = "global",
          .help = "Hardware acceleration (auto: try KVM by booting a\nkernel, fall back to TCG with a warning)" },
        { "json", 0, NULL, 0, 0, OPTK_GLOBAL, GLOBAL_JSON, .help_group = "global",
          .help = "Print the result as JSON on stdout" },
        { "report", 0, "FILE", 0, 0, OPTK_GLOBAL, GLOBAL_REPORT, .help_group = "global",
          .help = "Also write the JSON result to FILE" },
        { "allow-backing", 0, "PATH", 0, 0, OPTK_GLOBAL, GLOBAL_ALLOW_BACKING, .help_group = "global",
          .help = "Trust this backing file outside the image's\ndirectory (repeatable; refused otherwise)" },
        { "verbose", 'v', NULL, 0, 0, OPTK_GLOBAL, GLOBAL_VERBOSE, .help_group = "global", .help = "More detail on stderr" },
        { NULL, 'x', NULL, 0, 0, OPTK_GLOBAL, GLOBAL_TRACE, .help_group = "global", .help = "Trace libguestfs calls" },
        { "quiet", 'q', NULL, 0, 0, OPTK_GLOBAL, GLOBAL_QUIET, .help_group = "global", .help = "Only errors on stderr" },
        { "help", 'h', NULL, 0, 0, OPTK_GLOBAL, GLOBAL_HELP, .help_group = "global",
          .help = "Show this help (kpin VERB --help: that verb's)" },
        { "list-options", 0, NULL, 0, 0, OPTK_GLOBAL, GLOBAL_LIST_OPTIONS, .help_group = "global",
          .help = "The options kpin VERB takes, one a line (for\nshell completion; without a verb, the global ones\nand the verbs)" },
        { "version", 0, NULL, 0, 0, OPTK_GLOBAL, GLOBAL_VERSION, .help_group = "global", .help = "Show the version" },
};
const size_t n_option_specs = ELEMENTSOF(option_specs);

const OptionSpec *option_find(const char *name) {
        for (size_t i = 0; i < n_option_specs; i++)
                if (option_specs[i].name && strcmp(option_specs[i].name, name) == 0)
                        return &option_specs[i];
        return NULL;
}

const OptionSpec *option_find_short(char c) {
        for (size_t i = 0; i < n_option_specs; i++)
                if (c && option_specs[i].short_name == c)
                        return &option_specs[i];
        return NULL;
}

static int parse_number(const char *v, unsigned long min, unsigned long max, unsigned long *ret) {
        char *end;
        unsigned long n;

        if (v[0] < '0' || v[0] > '9')
                return -EINVAL;
        errno = 0;
        n = strtoul(v, &end, 10);
        if (errno || *end || n < min || n > max)
                return -ERANGE;
        *ret = n;
        return 0;
}

char *option_check_value(KeyType type, const char *value) {
        unsigned long n;
        unsigned spec;

        switch (type) {
        case KEY_SECONDS:
                return parse_number(value, PLAN_TIMEOUT_MIN, PLAN_TIMEOUT_MAX, &n) < 0
                               ? strprintf("'%s' is not a number of seconds from %d to %d", value, PLAN_TIMEOUT_MIN,
                                           PLAN_TIMEOUT_MAX) : NULL;
        case KEY_MEGABYTES:
                return parse_number(value, PLAN_MEMORY_MIN, PLAN_MEMORY_MAX, &n) < 0
                               ? strprintf("'%s' is not a number of MiB from %d to %d", value, PLAN_MEMORY_MIN,
                                           PLAN_MEMORY_MAX) : NULL;
        case KEY_FORMAT:
                return strcmp(value, "text") != 0 && strcmp(value, "markdown") != 0
                               ? strprintf("'%s' is not text or markdown", value) : NULL;
        case KEY_COUNT:
                return parse_number(value, PLAN_KEEP_KERNELS_MIN, PLAN_KEEP_KERNELS_MAX, &n) < 0
                               ? strprintf("'%s' is not a number of kernels from %d to %d", value, PLAN_KEEP_KERNELS_MIN,
                                           PLAN_KEEP_KERNELS_MAX) : NULL;
        case KEY_FIRMWARE:
                return firmware_spec_parse(value, &spec) < 0
                               ? strprintf("'%s' is not auto, all or a list of bios, uefi and uefi-secure", value) : NULL;
        case KEY_URL:
                return (!startswith(value, "http://") && !startswith(value, "https://") && !startswith(value, "file:/")) ||
                                       strpbrk(value, " \t\"'\\`$[]")
                               ? strprintf("'%s' is not an http://, https:// or file:/ URL", value) : NULL;
        default:
                return NULL;
        }
}

static void option_spelling(const OptionSpec *s, char buf[static 64]) {
        if (s->name)
                snprintf(buf, 64, "--%s", s->name);
        else
                snprintf(buf, 64, "-%c", s->short_name);
}

int option_set(const OptionSpec *s, const char *value, Options *o, char **ret_why) {
        _cleanup_free_ char *why = NULL;
        char *field = (char *) o + s->offset, name[64];

        option_spelling(s, name);
        /* an option is checked as its profile key is */
        why = value ? option_check_value(s->key_type, value) : NULL;
        if (why) {
                *ret_why = strprintf("%s: %s", name, why);
                return -EINVAL;
        }
        switch (s->kind) {
        case OPTK_FLAG:
                *(bool *) field = s->flag_value;
                break;
        case OPTK_STRING:
                *(const char **) field = value;
                break;
        case OPTK_LIST:
                if (strv_extend((char ***) field, value) < 0)
                        return -ENOMEM;
                break;
        case OPTK_SECONDS:
                *(unsigned *) field = (unsigned) strtoul(value, NULL, 10);
                break;
        case OPTK_MEGABYTES:
                *(int *) field = (int) strtoul(value, NULL, 10);
                break;
        case OPTK_COUNT:
                *(unsigned *) field = (unsigned) strtoul(value, NULL, 10);
                break;
        case OPTK_FIRMWARE:
                (void) firmware_spec_parse(value, (unsigned *) field);
                break;
        case OPTK_GLOBAL:
        case OPTK_KEY:
                return -EINVAL;
        }
        o->used |= s->group;
        return 0;
}

static const struct {
        const char *group, *heading;
} headings[] = {
        { "pin", "Options of pin (and repair; --kernel also dkms and fetch)" },
        { "dkms", "Options of dkms (and repair)" },
        { "boot-test", "Options of boot-test (and repair)" },
        { "repair", "Options of repair (and those of pin, dkms and boot-test)" },
        { "fetch", "Options of fetch (and repair)" },
        { "forecast", "Options of forecast (and repair)" },
        { "cluster-test", "Options of cluster-test" },
        { "summarize", "Options of summarize" },
        { "global", "Global options" },
};

static int put_option(StrBuf *b, const OptionSpec *s) {
        char first[64];
        int r;

        if (s->short_name && s->name)
                snprintf(first, sizeof(first), "  -%c, --%s%s%s", s->short_name, s->name, s->metavar ? " " : "",
                         s->metavar ? s->metavar : "");
        else if (s->name)
                snprintf(first, sizeof(first), "      --%s%s%s", s->name, s->metavar ? " " : "", s->metavar ? s->metavar : "");
        else
                snprintf(first, sizeof(first), "  -%c%s%s", s->short_name, s->metavar ? " " : "", s->metavar ? s->metavar : "");
        r = strbuf_puts(b, first);
        /* the help in a column of its own, its first line beside the option if it fits */
        for (const char *h = s->help; r >= 0 && *h;) {
                size_t n = strcspn(h, "\n"), col = h == s->help ? strlen(first) : 0;

                if (col >= 28)
                        r = strbuf_puts(b, "\n"), col = 0;
                for (; r >= 0 && col < 28; col++)
                        r = strbuf_put(b, " ", 1);
                if (r >= 0)
                        r = strbuf_put(b, h, n);
                if (r >= 0)
                        r = strbuf_puts(b, "\n");
                h += n + (h[n] == '\n');
        }
        return r;
}

char *options_help(int verb) {
        _cleanup_(strbuf_done) StrBuf b = {};
        const char *last = NULL;
        int r = 0;

        for (size_t g = 0; g < ELEMENTSOF(headings) && r >= 0; g++)
                for (size_t i = 0; i < n_option_specs && r >= 0; i++) {
                        const OptionSpec *s = &option_specs[i];
                        const char *heading = headings[g].heading;

                        if (!(s->name || s->short_name) || strcmp(s->help_group, headings[g].group) != 0)
                                continue;
                        if (verb >= 0 && s->verbs && !(s->verbs & (1u << verb)))
                                continue;
                        /* one verb's help: its options, then the global ones */
                        if (verb >= 0)
                                heading = s->verbs ? "Options" : "Global options";
                        if (!last || strcmp(heading, last) != 0) {
                                r = strbuf_puts(&b, "\n");
                                if (r >= 0)
                                        r = strbuf_puts(&b, heading);
                                if (r >= 0)
                                        r = strbuf_puts(&b, ":\n");
                                last = heading;
                        }
                        if (r >= 0)
                                r = put_option(&b, s);
                }
        return r < 0 ? NULL : strbuf_steal(&b);
}
