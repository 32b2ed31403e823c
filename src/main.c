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
#include "verbs.h"

/* A usage error fails the run like any other (so --json reports it too);
 * main adds the hint. */
#define usage_error(...) log_fail(KPIN_EXIT_USAGE, -EINVAL, __VA_ARGS__)

#define MAX_SPECS 96
#define ARG_FIRST 0x100 /* getopt's value of option_specs[i] is ARG_FIRST + i */

/* What main needs to know beyond the options: --help, --list-options, and
 * which rows of the table were given (for "is not an option of"). */
typedef struct Parsed {
        bool help, list_options;
        bool bad_value;         /* a value refused: the error says which; no hint needed */
        bool given[MAX_SPECS];
} Parsed;

/* getopt's arrays, made from the table */
static void build_getopt(struct option *longopts, char *shortopts) {
        size_t n = 0, k = 0;

        shortopts[k++] = '-';
        shortopts[k++] = ':';
        for (size_t i = 0; i < n_option_specs && i < MAX_SPECS; i++) {
                const OptionSpec *s = &option_specs[i];

                if (s->name)
                        longopts[n++] = (struct option) { s->name, s->metavar ? required_argument : no_argument, NULL,
                                                          ARG_FIRST + (int) i };
                if (s->short_name) {
                        shortopts[k++] = s->short_name;
                        if (s->metavar)
                                shortopts[k++] = ':';
                }
        }
        longopts[n] = (struct option) {};
        shortopts[k] = '\0';
}

static int set_global(const OptionSpec *s, const char *arg, Context *ctx, Parsed *p) {
        switch (s->global) {
        case GLOBAL_ACCEL:
                if (accel_mode_from_string(arg, &ctx->accel) < 0)
                        return usage_error("--accel takes auto, kvm or tcg, not '%s'", arg);
                return 0;
        case GLOBAL_JSON:
                ctx->json = true;
                return 0;
        case GLOBAL_REPORT:
                ctx->report = arg;
                return 0;
        case GLOBAL_ALLOW_BACKING:
                return strv_extend(&ctx->allow_backing, arg);
        case GLOBAL_VERBOSE:
                if (ctx->verbosity < LOG_VERBOSE)
                        ctx->verbosity = LOG_VERBOSE;
                return 0;
        case GLOBAL_TRACE:
                ctx->verbosity = LOG_TRACE;
                return 0;
        case GLOBAL_QUIET:
                ctx->verbosity = LOG_QUIET;
                return 0;
        case GLOBAL_HELP:
                p->help = true;
                return 0;
        case GLOBAL_LIST_OPTIONS:
                p->list_options = true;
                return 0;
        case GLOBAL_VERSION:
                printf("kpin %s\n", PACKAGE_VERSION);
                return 1;
        case GLOBAL_NONE:
                break;
        }
        return -EINVAL;
}

/* 0: go on with *ret_args; >0: done (--version); <0: a usage error, recorded. */
static int parse_argv(int argc, char **argv, Context *ctx, Parsed *p, char ***ret_args) {
        struct option longopts[MAX_SPECS + 1];
        char shortopts[2 * MAX_SPECS + 3];
        _cleanup_strv_free_ char **args = NULL;
        int c, r;

        build_getopt(longopts, shortopts);
        opterr = 0;
        while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) >= 0) {
                const OptionSpec *s = c >= ARG_FIRST ? &option_specs[c - ARG_FIRST] : option_find_short((char) c);
                _cleanup_free_ char *why = NULL;

                if (c == 1) { /* positional, in order */
                        r = strv_extend(&args, optarg);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (c == ':')
                        return usage_error("option '%s' needs an argument", argv[optind - 1]);
                if (!s)
                        return usage_error("unknown option '%s'", argv[optind - 1]);
                p->given[s - option_specs] = true;
                r = s->kind == OPTK_GLOBAL ? set_global(s, optarg, ctx, p) : option_set(s, optarg, &ctx->opt, &why);
                if (r != 0) {
                        p->bad_value = why != NULL;
                        return why ? usage_error("%s", why) : r;
                }
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

static int check_verb(char **args, const Parsed *p, const Verb **ret) {
        const Verb *verb;
        size_t n;

        if (!args)
                return usage_error("no command given");
        verb = verb_find(args[0]);
        if (!verb)
                return usage_error("unknown command '%s'", args[0]);
        n = strv_length(args) - 1;
        if (n < verb->min_args)
                return usage_error("%s: missing argument", verb->name);
        if (n > verb->max_args)
                return usage_error("too many arguments for %s", verb->name);
        for (size_t i = 0; i < n_option_specs && i < MAX_SPECS; i++) {
                const OptionSpec *s = &option_specs[i];

                if (p->given[i] && s->verbs && !(s->verbs & (1u << verb->id)))
                        return usage_error("%s: %s%s is not an option of %s", verb->name, s->name ? "--" : "-",
                                           s->name ? s->name : (char[]) { s->short_name, 0 }, verb->name);
        }
        *ret = verb;
        return 0;
}

int main(int argc, char **argv) {
        _cleanup_strv_free_ char **args = NULL;
        _cleanup_(context_done) Context ctx = { .accel = ACCEL_AUTO };
        Parsed parsed = {};
        const Verb *verb = NULL;
        int r, code;

        scan_report_options(argc, argv, &ctx);
        r = parse_argv(argc, argv, &ctx, &parsed, &args);
        if (r > 0)
                return KPIN_EXIT_OK;
        if (r >= 0 && (parsed.help || parsed.list_options)) {
                const Verb *v = args ? verb_find(args[0]) : NULL;

                if (parsed.list_options)
                        verbs_list_options(v);
                else if (v)
                        verb_help(v);
                else
                        verbs_help();
                return KPIN_EXIT_OK;
        }
        log_set_verbosity(ctx.verbosity);
        if (r >= 0)
                r = check_verb(args, &parsed, &verb);
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
        if (code == KPIN_EXIT_USAGE && !verb && !parsed.bad_value)
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
