/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plan.h"

/* Every option and every profile key of kpin, declared once: its long and
 * short name, its argument, the verbs that take it, its field in Options,
 * its profile section and key (and field in Profile), how a value is
 * checked, and its help line. getopt's array, the profile parser, --help,
 * `kpin VERB --help`, the bash completion and the test that the man page
 * and README name every option and key are all made from it. Pure. */

typedef enum VerbId {
        VERB_INSPECT,
        VERB_PIN,
        VERB_DKMS,
        VERB_BOOT_TEST,
        VERB_REPAIR,
        VERB_FETCH,
        VERB_ACCEL,
        VERB_CLUSTER_TEST,
        VERB_FORECAST,
        VERB_SUMMARIZE,
        _VERB_MAX,
} VerbId;
#define VERB(v) (1u << VERB_##v)

/* How a value on the command line is taken. */
typedef enum OptKind {
        OPTK_KEY,       /* a profile key only, no option */
        OPTK_GLOBAL,    /* a global option: main handles it by its global id */
        OPTK_FLAG,      /* no argument: sets a bool field to flag_value */
        OPTK_STRING,    /* the last one given wins */
        OPTK_LIST,      /* repeatable: appended */
        OPTK_SECONDS,   /* unsigned, 1 to 86400 */
        OPTK_MEGABYTES, /* int, 256 to 65536 */
        OPTK_COUNT,     /* unsigned, 1 to 64 (kernels to keep) */
        OPTK_FIRMWARE,  /* auto, all or a list of bios, uefi, uefi-secure */
} OptKind;

/* How a value in a profile is taken (see core/profile.c). */
typedef enum KeyType {
        KEY_NONE,       /* no profile key */
        KEY_STRING,     /* once, a plain word */
        KEY_PATH,       /* once, relative to the profile */
        KEY_LIST,       /* repeatable, whitespace-separated module names */
        KEY_BUILD_CONFIGS,
        KEY_BOOL,
        KEY_OLD,        /* keep | purge */
        KEY_NETWORK_UNITS, /* warn | fail */
        KEY_SECONDS,
        KEY_MEGABYTES,
        KEY_COUNT,
        KEY_FORMAT,     /* an option's value only: text | markdown */
        KEY_FIRMWARE,
        KEY_SOURCES,    /* repeatable: Debian suite names, or one apt "deb ..." line */
        KEY_URL,        /* once: http://, https:// or file:/ */
} KeyType;

typedef enum GlobalId {
        GLOBAL_NONE,
        GLOBAL_ACCEL,
        GLOBAL_JSON,
        GLOBAL_REPORT,
        GLOBAL_ALLOW_BACKING,
        GLOBAL_VERBOSE,
        GLOBAL_TRACE,
        GLOBAL_QUIET,
        GLOBAL_HELP,
        GLOBAL_LIST_OPTIONS,
        GLOBAL_VERSION,
} GlobalId;

typedef struct OptionSpec {
        const char *name;       /* long name; NULL: a profile key only */
        char short_name;        /* or 0 */
        const char *metavar;    /* NULL: takes no argument */
        unsigned verbs;         /* VERB(...) bits; 0: a global option */
        uint64_t group;         /* its OPT_ bit in Options.used */
        OptKind kind;
        GlobalId global;
        size_t offset;          /* its field in Options */
        bool flag_value;
        const char *section, *key; /* its profile key, or NULL */
        KeyType key_type;
        size_t profile_offset;  /* its field in Profile */
        const char *help_group; /* the heading it is listed under */
        const char *help;       /* its help, lines joined by \n */
} OptionSpec;

extern const OptionSpec option_specs[];
extern const size_t n_option_specs;

/* The row of a long option, or NULL. */
const OptionSpec *option_find(const char *name);
/* The row of a short option, or NULL. */
const OptionSpec *option_find_short(char c);

/* Takes value for a verb option into o, checked as its kind says (the
 * same check the profile's key gets); -EINVAL with *ret_why ("--timeout:
 * '0' is not a number of seconds from 1 to 86400"). */
int option_set(const OptionSpec *s, const char *value, Options *o, char **ret_why);

/* The checks a command line value and a profile value share: NULL if
 * value is good for a key of that type, else why not, after "NAME: ". */
char *option_check_value(KeyType type, const char *value);

/* The help of every option, grouped under their headings, or (verb) of
 * those a verb takes and the global ones; a string to print. */
char *options_help(int verb);
