/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "core/options.h"
#include "kpin.h"

/* kpin's verbs, one row each: name, arguments, synopsis, what it does and
 * the function that runs it (it makes its plan with plan_make). Which
 * options it takes is core/options.c's table. */
typedef struct Verb {
        const char *name;
        VerbId id;
        unsigned min_args, max_args;
        int (*run)(Context *ctx, char **args);
        const char *synopsis;
        const char *description;
} Verb;

const Verb *verb_find(const char *name);
/* kpin --help: every verb, every option, the exit codes. */
void verbs_help(void);
/* kpin VERB --help: its synopsis, what it does, its options and the global ones. */
void verb_help(const Verb *v);
/* kpin --list-options [VERB]: the options (and with no verb, the verbs) a
 * shell completes, one a line. */
void verbs_list_options(const Verb *v);
