/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>

#include "aptsources.h"
#include "options.h"
#include "profile.h"
#include "shared/cleanup.h"
#include "shared/strv.h"

/* The profile's keys are the rows of core/options.c's table that name a
 * section and key: declared once with the command line's options. */
#define MAX_ROWS 96

typedef struct Parser {
        Profile *p;
        const char *dir;        /* the profile's directory, "" for the current one */
        const char *pos;        /* the reader's place in the text */
        int line;               /* the line the handler is called for */
        bool at_line_start;
        int section_line;       /* where the current [section] began */
        char *error;            /* why the first bad key = value line is bad */
        int error_line;         /* that line, as inih counts it */
        int report_line;        /* the line to name: the section's, for an unknown one */
        unsigned seen[MAX_ROWS];
} Parser;

/* inih goes on after a bad line and reports the first one: keep its reason */
static int fail_at(Parser *ps, int line, char *msg) {
        if (ps->error)
                free(msg);
        else {
                ps->error = msg ? msg : strdup("out of memory");
                ps->error_line = ps->line;
                ps->report_line = line;
        }
        return 0; /* inih: this line is bad */
}

static int fail(Parser *ps, char *msg) {
        return fail_at(ps, ps->line, msg);
}

/* fgets() over the text, counting lines, so the handler knows its line */
static char *reader(char *buf, int size, void *stream) {
        Parser *ps = stream;
        size_t n = 0;

        if (!*ps->pos || size < 2)
                return NULL;
        if (ps->at_line_start)
                ps->line++;
        while (ps->pos[n] && ps->pos[n] != '\n' && n + 1 < (size_t) size - 1)
                n++;
        if (ps->pos[n] == '\n')
                n++;
        memcpy(buf, ps->pos, n);
        buf[n] = '\0';
        ps->pos += n;
        if (buf[strspn(buf, " \t")] == '[')
                ps->section_line = ps->line;
        ps->at_line_start = n > 0 && buf[n - 1] == '\n';
        return buf;
}

static char *relative_to(const Parser *ps, const char *v) {
        if (v[0] == '/' || !ps->dir[0])
                return strdup(v);
        return strprintf("%s%s%s", ps->dir, strcmp(ps->dir, "/") == 0 ? "" : "/", v);
}

static int parse_bool(const char *v) {
        static const char *const yes[] = { "yes", "true", "on", "1" }, *const no[] = { "no", "false", "off", "0" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(v, yes[i]) == 0)
                        return 1;
                if (strcasecmp(v, no[i]) == 0)
                        return 0;
        }
        return -EINVAL;
}

/* Module names and release prefixes end up in guest command lines (as argv,
 * never a shell) and in file names: keep them to what they are made of. */
static bool plain_word(const char *v) {
        return v[0] && v[0] != '-' && strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._+-/~") == strlen(v);
}

static int add_words(Parser *ps, const OptionSpec *k, char ***l, const char *v) {
        for (const char *w = v + strspn(v, " \t,"); *w; w += strspn(w, " \t,")) {
                size_t n = strcspn(w, " \t,");
                _cleanup_free_ char *word = strndup(w, n);

                if (!word)
                        return fail(ps, NULL);
                if (!plain_word(word))
                        return fail(ps, strprintf("%s: '%s' is not a module name", k->key, word));
                if (strv_consume(l, TAKE_PTR(word)) < 0)
                        return fail(ps, NULL);
                w += n;
        }
        return 1;
}

/* One key's value into its field of the profile, checked as its type says. */
static int parse_value(Parser *ps, const OptionSpec *k, const char *name, const char *value, void *field) {
        int r;

        switch (k->key_type) {
        case KEY_STRING:
                if (!plain_word(value))
                        return fail(ps, strprintf("%s: '%s' has characters a %s cannot have", name, value, name));
                *(char **) field = strdup(value);
                return *(char **) field ? 1 : fail(ps, NULL);
        case KEY_PATH:
                *(char **) field = relative_to(ps, value);
                return *(char **) field ? 1 : fail(ps, NULL);
        case KEY_LIST:
                return add_words(ps, k, field, value);
        case KEY_BUILD_CONFIGS: {
                const char *eq = strchr(value, '=');
                _cleanup_free_ char *host = eq ? strndup(value, eq - value) : strdup(value), *rel = NULL;

                if (!host)
                        return fail(ps, NULL);
                if (!host[0] || (eq && eq[1] != '/'))
                        return fail(ps, strprintf("build-config: '%s' is not FILE or FILE=/GUEST/PATH", value));
                rel = relative_to(ps, host);
                if (!rel || strv_consume(field, eq ? strprintf("%s%s", rel, eq) : TAKE_PTR(rel)) < 0)
                        return fail(ps, NULL);
                return 1;
        }
        case KEY_BOOL: {
                int b = parse_bool(value);

                if (b < 0)
                        return fail(ps, strprintf("%s: '%s' is not yes or no", name, value));
                *(int *) field = b;
                return 1;
        }
        case KEY_OLD:
                if (strcmp(value, "keep") == 0)
                        *(int *) field = 0;
                else if (strcmp(value, "purge") == 0)
                        *(int *) field = 1;
                else
                        return fail(ps, strprintf("old: '%s' is not keep or purge", value));
                return 1;
        case KEY_NETWORK_UNITS:
                if (strcmp(value, "warn") == 0)
                        *(int *) field = 0;
                else if (strcmp(value, "fail") == 0)
                        *(int *) field = 1;
                else
                        return fail(ps, strprintf("network-units: '%s' is not warn or fail", value));
                return 1;
        case KEY_COUNT:
        case KEY_SECONDS:
        case KEY_MEGABYTES: {
                /* the same check as the command line's --timeout and --memory */
                _cleanup_free_ char *why = option_check_value(k->key_type, value);

                if (why)
                        return fail(ps, strprintf("%s: %s", name, why));
                if (k->key_type == KEY_SECONDS || k->key_type == KEY_COUNT)
                        *(unsigned *) field = (unsigned) strtoul(value, NULL, 10);
                else
                        *(int *) field = (int) strtoul(value, NULL, 10);
                return 1;
        }
        case KEY_SOURCES:
                if (startswith(value, "deb ")) {
                        if (strpbrk(value, "\"'\\`$"))
                                return fail(ps, strprintf("%s: '%s' has characters an apt line cannot have", name, value));
                        r = apt_source_arg_check(value);
                        if (r < 0)
                                return fail(ps, r != -EINVAL ? NULL : strprintf("%s: '%s' is not a whole \"deb URI SUITE COMPONENT\" line",
                                                                                name, value));
                        return strv_extend(field, value) < 0 ? fail(ps, NULL) : 1;
                }
                for (const char *w = value + strspn(value, " \t,"); *w; w += strspn(w, " \t,")) {
                        size_t n = strcspn(w, " \t,");
                        _cleanup_free_ char *word = strndup(w, n);

                        if (!word)
                                return fail(ps, NULL);
                        r = apt_source_arg_check(word);
                        if (r < 0)
                                return fail(ps, r != -EINVAL ? NULL : strprintf("%s: '%s' is not a Debian suite name (or give a whole "
                                                                                "\"deb URI SUITE COMPONENT\" line)", name, word));
                        if (strv_consume(field, TAKE_PTR(word)) < 0)
                                return fail(ps, NULL);
                        w += n;
                }
                return 1;
        case KEY_URL:
        case KEY_FIRMWARE: {
                _cleanup_free_ char *why = option_check_value(k->key_type, value);

                if (why)
                        return fail(ps, strprintf("%s: %s", name, why));
                if (k->key_type == KEY_FIRMWARE)
                        return firmware_spec_parse(value, (unsigned *) field) < 0 ? fail(ps, NULL) : 1;
                *(char **) field = strdup(value);
                return *(char **) field ? 1 : fail(ps, NULL);
        }
        case KEY_NONE:
        case KEY_FORMAT:
                break;
        }
        return fail(ps, strprintf("%s: unhandled key", name));
}

static int handler(void *user, const char *section, const char *name, const char *value) {
        Parser *ps = user;
        const OptionSpec *k = NULL;
        size_t idx = 0;

        for (size_t i = 0; i < n_option_specs && i < MAX_ROWS && !k; i++)
                if (option_specs[i].key && strcmp(option_specs[i].section, section) == 0 &&
                    strcmp(option_specs[i].key, name) == 0) {
                        k = &option_specs[i];
                        idx = i;
                }
        if (!k) {
                bool known_section = false;

                for (size_t i = 0; i < n_option_specs; i++)
                        known_section = known_section || (option_specs[i].key && strcmp(option_specs[i].section, section) == 0);
                if (!known_section)
                        return section[0] ? fail_at(ps, ps->section_line, strprintf("unknown section [%s]", section))
                                          : fail(ps, strprintf("'%s' is outside any section", name));
                return fail(ps, strprintf("unknown key '%s' in [%s]", name, section));
        }
        if (!value[0])
                return fail(ps, strprintf("%s: empty value", name));
        if (ps->seen[idx]++ && k->key_type != KEY_LIST && k->key_type != KEY_BUILD_CONFIGS && k->key_type != KEY_SOURCES)
                return fail(ps, strprintf("%s is given twice in [%s]", name, section));
        return parse_value(ps, k, name, value, (char *) ps->p + k->profile_offset);
}

void profile_done(Profile *p) {
        free(p->path);
        free(p->name);
        free(p->image);
        free(p->kernel);
        free(p->flavour);
        free(p->packages);
        strv_free(p->fetch_from);
        free(p->mirror);
        strv_free(p->modules);
        free(p->source);
        strv_free(p->build_configs);
        free(p->sign_key);
        free(p->sign_cert);
        free(p->build_cache);
        free(p->expect_kernel);
        strv_free(p->expect_modules);
        free(p->uefi_vars);
        free(p->forecast);
        free(p->forecast_packages);
        strv_free(p->forecast_from);
        *p = (Profile) {};
}

int profile_parse(const char *path, const char *text, Profile *ret, char **ret_error) {
        _cleanup_(profile_done) Profile p = { .network = -1, .purge_old = -1, .hold = -1, .roll = -1, .boot_test = -1 };
        _cleanup_free_ char *dir = NULL;
        const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
        Parser ps = { .p = &p, .pos = text, .at_line_start = true };
        int line;

        dir = slash ? strndup(path, slash == path ? 1 : (size_t) (slash - path)) : strdup("");
        p.path = strdup(path);
        if (!dir || !p.path)
                return -ENOMEM;
        ps.dir = dir;
        if (strlen(text) != strcspn(text, "\r")) {
                /* inih would keep the CR in values: say so instead of guessing */
                *ret_error = strprintf("%s: has DOS line endings (CR LF)", path);
                return -EINVAL;
        }
        /* inih reads lines of at most INI_MAX_LINE bytes and would split a longer one */
        line = 1;
        for (const char *l = text; *l; line++) {
                size_t n = strcspn(l, "\n");

                if (n + 2 > INI_MAX_LINE) {
                        *ret_error = strprintf("%s:%d: line longer than %d characters", path, line, INI_MAX_LINE - 2);
                        return *ret_error ? -EINVAL : -ENOMEM;
                }
                l += n + (l[n] == '\n');
        }
        line = ini_parse_stream(reader, &ps, handler, &ps);
        if (line != 0) {
                *ret_error = line < 0 ? strprintf("%s: cannot be parsed", path)
                           : ps.error && ps.error_line == line
                                   ? strprintf("%s:%d: %s", path, ps.report_line, ps.error)
                                   : strprintf("%s:%d: not a [section] or key = value line", path, line);
                free(ps.error);
                return *ret_error ? -EINVAL : -ENOMEM;
        }
        if (!p.name) {
                size_t n = strlen(base);

                if (n > 5 && strcmp(base + n - 5, ".conf") == 0)
                        n -= 5;
                p.name = strndup(base, n);
                if (!p.name)
                        return -ENOMEM;
        }
        *ret = p;
        p = (Profile) {};
        return 0;
}
