/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grubcfg.h"
#include "shared/cleanup.h"
#include "shared/strbuf.h"
#include "shared/strv.h"

#define GRUB_MAX_DEPTH 32
#define GRUB_MAX_ENTRIES 4096
#define GRUB_MAX_WORD (64 * 1024)

typedef enum {
        TOK_WORD,
        TOK_END,     /* newline or ';' */
        TOK_LBRACE,
        TOK_RBRACE,
        TOK_EOF,
} TokType;

typedef struct Lexer {
        const char *p, *end;
        size_t n_entries;
} Lexer;

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r';
}

static bool is_word_end(const Lexer *l, const char *p) {
        return p >= l->end || is_blank(*p) || *p == '\n' || *p == ';';
}

/* $name or ${name}: only $menuentry_id_option is known (Debian's grub.cfg
 * defines it as "--id"); anything else stays as literal ${name}. */
static int lex_variable(Lexer *l, StrBuf *b) {
        const char *start, *stop;
        size_t n;

        l->p++; /* '$' */
        if (l->p < l->end && *l->p == '{') {
                start = ++l->p;
                while (l->p < l->end && *l->p != '}' && *l->p != '\n')
                        l->p++;
                if (l->p >= l->end || *l->p != '}')
                        return -EBADMSG;
                stop = l->p++;
        } else {
                start = l->p;
                while (l->p < l->end && (isalnum((unsigned char) *l->p) || *l->p == '_'))
                        l->p++;
                stop = l->p;
                if (stop == start)
                        return strbuf_put(b, "$", 1);
        }
        n = stop - start;
        if (n == strlen("menuentry_id_option") && memcmp(start, "menuentry_id_option", n) == 0)
                return strbuf_put(b, "--id", 4);
        if (strbuf_put(b, "${", 2) < 0 || strbuf_put(b, start, n) < 0)
                return -E2BIG;
        return strbuf_put(b, "}", 1);
}

static int lex(Lexer *l, TokType *ret_type, char **ret_word) {
        StrBuf b = { .max = GRUB_MAX_WORD };
        int r = 0;

        *ret_word = NULL;
        for (;;) {
                while (l->p < l->end && is_blank(*l->p))
                        l->p++;
                if (l->p + 1 < l->end && l->p[0] == '\\' && l->p[1] == '\n') {
                        l->p += 2;
                        continue;
                }
                if (l->p < l->end && *l->p == '#') {
                        while (l->p < l->end && *l->p != '\n')
                                l->p++;
                        continue;
                }
                break;
        }
        if (l->p >= l->end) {
                *ret_type = TOK_EOF;
                return 0;
        }
        if (*l->p == '\n' || *l->p == ';') {
                l->p++;
                *ret_type = TOK_END;
                return 0;
        }
        if ((*l->p == '{' || *l->p == '}') && is_word_end(l, l->p + 1)) {
                *ret_type = *l->p == '{' ? TOK_LBRACE : TOK_RBRACE;
                l->p++;
                return 0;
        }

        r = strbuf_put(&b, "", 0);
        while (r >= 0 && !is_word_end(l, l->p)) {
                char c = *l->p;

                if (c == '\'') {
                        const char *q = memchr(l->p + 1, '\'', l->end - l->p - 1);

                        if (!q) {
                                r = -EBADMSG;
                                break;
                        }
                        r = strbuf_put(&b, l->p + 1, q - l->p - 1);
                        l->p = q + 1;
                } else if (c == '"') {
                        l->p++;
                        while (r >= 0 && l->p < l->end && *l->p != '"') {
                                if (*l->p == '\\' && l->p + 1 < l->end &&
                                    strchr("$\"\\\n", l->p[1])) {
                                        if (l->p[1] != '\n')
                                                r = strbuf_put(&b, l->p + 1, 1);
                                        l->p += 2;
                                } else if (*l->p == '$') {
                                        r = lex_variable(l, &b);
                                } else {
                                        r = strbuf_put(&b, l->p++, 1);
                                }
                        }
                        if (r >= 0 && l->p >= l->end)
                                r = -EBADMSG;
                        l->p++;
                } else if (c == '\\') {
                        if (l->p + 1 < l->end && l->p[1] != '\n')
                                r = strbuf_put(&b, l->p + 1, 1);
                        l->p += l->p + 1 < l->end ? 2 : 1;
                } else if (c == '$') {
                        r = lex_variable(l, &b);
                } else {
                        r = strbuf_put(&b, l->p++, 1);
                }
        }
        if (r < 0) {
                free(b.s);
                return r;
        }
        *ret_type = TOK_WORD;
        *ret_word = b.s;
        return 0;
}

static void entry_free(GrubEntry *e) {
        if (!e)
                return;
        for (size_t i = 0; i < e->n_children; i++) {
                entry_free(e->children[i]);
                free(e->children[i]);
        }
        free(e->children);
        free(e->title);
        free(e->id);
        free(e->linux_path);
        free(e->linux_args);
        free(e->initrd);
}

GrubConfig *grubcfg_free(GrubConfig *c) {
        if (!c)
                return NULL;
        entry_free(&c->root);
        strv_free(c->default_values);
        free(c);
        return NULL;
}

static int entry_new(char **words, GrubEntry **ret) {
        _cleanup_free_ GrubEntry *e = calloc(1, sizeof(GrubEntry));
        static const char * const with_arg[] = { "--class", "--users", "--hotkey", "--source" };

        if (!e)
                return -ENOMEM;
        e->submenu = strcmp(words[0], "submenu") == 0;
        for (char **w = words + 1; *w; w++) {
                bool skip = false;

                for (size_t i = 0; i < ELEMENTSOF(with_arg); i++)
                        if (strcmp(*w, with_arg[i]) == 0)
                                skip = true;
                if (skip) {
                        if (w[1])
                                w++;
                        continue;
                }
                if (strcmp(*w, "--id") == 0 && w[1]) {
                        free(e->id);
                        e->id = strdup(*++w);
                        if (!e->id)
                                goto oom;
                } else if (startswith(*w, "--id=")) {
                        free(e->id);
                        e->id = strdup(*w + 5);
                        if (!e->id)
                                goto oom;
                } else if (startswith(*w, "--")) {
                        continue;
                } else if (!e->title) {
                        e->title = strdup(*w);
                        if (!e->title)
                                goto oom;
                }
        }
        if (!e->title && !(e->title = strdup("")))
                goto oom;
        *ret = TAKE_PTR(e);
        return 0;
oom:
        entry_free(e);
        return -ENOMEM;
}

static int entry_append(GrubEntry *menu, GrubEntry *e) {
        GrubEntry **c = realloc(menu->children, (menu->n_children + 1) * sizeof(GrubEntry *));

        if (!c)
                return -ENOMEM;
        menu->children = c;
        menu->children[menu->n_children++] = e;
        return 0;
}

static char *join_words(char **words) {
        StrBuf b = { .max = GRUB_MAX_WORD };

        if (strbuf_put(&b, "", 0) < 0)
                return NULL;
        STRV_FOREACH(w, words)
                if ((b.n > 0 && strbuf_put(&b, " ", 1) < 0) || strbuf_put(&b, *w, strlen(*w)) < 0) {
                        free(b.s);
                        return NULL;
                }
        return b.s;
}

static int statement(GrubConfig *c, GrubEntry *entry, bool top_level, char **words) {
        /* Leading shell keywords do not change what the statement does. */
        while (*words && (strcmp(*words, "then") == 0 || strcmp(*words, "else") == 0 ||
                          strcmp(*words, "do") == 0))
                words++;
        if (!*words)
                return 0;

        if (entry && (strcmp(words[0], "linux") == 0 || strcmp(words[0], "linux16") == 0 ||
                      strcmp(words[0], "linuxefi") == 0) && words[1] && !entry->linux_path) {
                entry->linux_path = strdup(words[1]);
                entry->linux_args = join_words(words + 2);
                return entry->linux_path && entry->linux_args ? 0 : -ENOMEM;
        }
        if (entry && (strcmp(words[0], "initrd") == 0 || strcmp(words[0], "initrd16") == 0 ||
                      strcmp(words[0], "initrdefi") == 0) && words[1] && !entry->initrd) {
                entry->initrd = strdup(words[1]);
                return entry->initrd ? 0 : -ENOMEM;
        }
        if (top_level && strcmp(words[0], "set") == 0 && words[1] && startswith(words[1], "default="))
                return strv_extend(&c->default_values, words[1] + strlen("default="));
        return 0;
}

/* menu: where menuentry/submenu blocks go (NULL inside function bodies);
 * entry: the menuentry whose body this is, if any. */
static int parse_block(Lexer *l, GrubConfig *c, GrubEntry *menu, GrubEntry *entry,
                       unsigned depth, bool top_level) {
        _cleanup_strv_free_ char **words = NULL;
        TokType t;
        char *w;
        int r;

        for (;;) {
                r = lex(l, &t, &w);
                if (r < 0)
                        return r;
                if (t == TOK_WORD) {
                        r = strv_consume(&words, w);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (t == TOK_LBRACE) {
                        GrubEntry *e = NULL;

                        if (depth + 1 >= GRUB_MAX_DEPTH)
                                return -EBADMSG;
                        if (menu && words && (strcmp(words[0], "menuentry") == 0 ||
                                              strcmp(words[0], "submenu") == 0)) {
                                if (++l->n_entries > GRUB_MAX_ENTRIES)
                                        return -E2BIG;
                                r = entry_new(words, &e);
                                if (r < 0)
                                        return r;
                                r = entry_append(menu, e);
                                if (r < 0) {
                                        entry_free(e);
                                        free(e);
                                        return r;
                                }
                                r = parse_block(l, c, e->submenu ? e : NULL,
                                                e->submenu ? NULL : e, depth + 1, false);
                        } else
                                r = parse_block(l, c, NULL, NULL, depth + 1, false);
                        if (r < 0)
                                return r;
                        words = strv_free(words);
                        continue;
                }
                if (words) {
                        r = statement(c, entry, top_level, words);
                        if (r < 0)
                                return r;
                        words = strv_free(words);
                }
                if (t == TOK_RBRACE)
                        return depth > 0 ? 0 : -EBADMSG;
                if (t == TOK_EOF)
                        return depth == 0 ? 0 : -EBADMSG;
        }
}

int grubcfg_parse(const char *text, size_t len, GrubConfig **ret) {
        GrubConfig *c;
        Lexer l = { .p = text, .end = text + len };
        int r;

        c = calloc(1, sizeof(GrubConfig));
        if (!c)
                return -ENOMEM;
        c->root.submenu = true;
        r = parse_block(&l, c, &c->root, NULL, 0, true);
        if (r < 0) {
                grubcfg_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

const char *grubenv_get(char * const *env, const char *key) {
        size_t n = strlen(key);

        STRV_FOREACH(kv, env)
                if (strncmp(*kv, key, n) == 0 && (*kv)[n] == '=')
                        return *kv + n + 1;
        return NULL;
}

static int replace_all(const char *s, const char *what, const char *with, char **ret) {
        StrBuf b = { .max = GRUB_MAX_WORD };
        const char *p;
        int r = strbuf_put(&b, "", 0);

        while (r >= 0 && (p = strstr(s, what))) {
                r = strbuf_put(&b, s, p - s);
                if (r >= 0)
                        r = strbuf_put(&b, with, strlen(with));
                s = p + strlen(what);
        }
        if (r >= 0)
                r = strbuf_put(&b, s, strlen(s));
        if (r < 0) {
                free(b.s);
                return r;
        }
        *ret = b.s;
        return 0;
}

int grubcfg_effective_default(const GrubConfig *c, char * const *env,
                              char **ret_value, const char **ret_source) {
        const char *value = NULL, *source, *next, *saved;
        char *v;
        int r;

        STRV_FOREACH(d, c->default_values)
                if (strcmp(*d, "${next_entry}") != 0)
                        value = *d;
        next = grubenv_get(env, "next_entry");
        if (next && *next) {
                value = next;
                source = "grubenv next_entry (one-shot)";
        } else if (value)
                source = "grub.cfg";
        else {
                value = "0";
                source = "GRUB built-in (grub.cfg sets no default)";
        }
        if (strstr(value, "${saved_entry}")) {
                saved = grubenv_get(env, "saved_entry");
                r = replace_all(value, "${saved_entry}", saved ? saved : "", &v);
                if (r < 0)
                        return r;
                source = "grubenv saved_entry";
        } else if (!(v = strdup(value)))
                return -ENOMEM;
        if (!*v) {
                free(v);
                if (!(v = strdup("0")))
                        return -ENOMEM;
                source = "GRUB built-in (default is empty)";
        }
        *ret_value = v;
        *ret_source = source;
        return 0;
}

static bool all_digits(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (!isdigit((unsigned char) *s))
                        return false;
        return true;
}

static int find_child(const GrubEntry *menu, const char *name) {
        if (all_digits(name)) {
                unsigned long i = strlen(name) > 6 ? ~0UL : strtoul(name, NULL, 10);

                return i < menu->n_children ? (int) i : -1;
        }
        for (size_t i = 0; i < menu->n_children; i++) {
                const GrubEntry *e = menu->children[i];

                if (strcmp(e->title, name) == 0 || (e->id && strcmp(e->id, name) == 0))
                        return (int) i;
        }
        return -1;
}

void grub_resolution_done(GrubResolution *r) {
        free(r->id_path);
        free(r->title_path);
        free(r->problem);
        *r = (GrubResolution) {};
}

static int path_add(StrBuf *ids, StrBuf *titles, const GrubEntry *e) {
        const char *id = e->id ? e->id : e->title;

        if ((ids->n > 0 && strbuf_put(ids, ">", 1) < 0) || strbuf_put(ids, id, strlen(id)) < 0)
                return -ENOMEM;
        if ((titles->n > 0 && strbuf_put(titles, ">", 1) < 0) ||
            strbuf_put(titles, e->title, strlen(e->title)) < 0)
                return -ENOMEM;
        return 0;
}

int grubcfg_resolve(const GrubConfig *c, const char *value, GrubResolution *ret) {
        _cleanup_free_ char *copy = strdup(value), *problem = NULL;
        StrBuf ids = { .max = GRUB_MAX_WORD }, titles = { .max = GRUB_MAX_WORD };
        const GrubEntry *menu = &c->root, *e = NULL;
        char *comp, *save = NULL;
        int r;

        if (!copy)
                return -ENOMEM;
        if (strbuf_put(&ids, "", 0) < 0 || strbuf_put(&titles, "", 0) < 0)
                goto oom;
        comp = strtok_r(copy, ">", &save);
        while (comp) {
                int i = find_child(menu, comp);

                if (i < 0) {
                        /* GRUB falls back to the first entry of the menu it is in. */
                        if (!problem && !(problem = strprintf("'%s' matches no entry%s", comp,
                                                              menu == &c->root ? "" : " in that submenu")))
                                goto oom;
                        i = 0;
                        if (menu->n_children == 0)
                                break;
                }
                e = menu->children[i];
                if (path_add(&ids, &titles, e) < 0)
                        goto oom;
                comp = problem ? NULL : strtok_r(NULL, ">", &save);
                if (e->submenu) {
                        if (!comp && !problem &&
                            !(problem = strprintf("'%s' is a submenu, not an entry", e->title)))
                                goto oom;
                        menu = e;
                        e = NULL;
                        if (!comp) {
                                /* descend to the submenu's first entry */
                                while (menu->n_children > 0 && menu->children[0]->submenu) {
                                        menu = menu->children[0];
                                        if (path_add(&ids, &titles, menu) < 0)
                                                goto oom;
                                }
                                if (menu->n_children == 0)
                                        break;
                                e = menu->children[0];
                                if (path_add(&ids, &titles, e) < 0)
                                        goto oom;
                        }
                } else if (comp) {
                        if (!problem && !(problem = strprintf("'%s' is an entry, not a submenu", e->title)))
                                goto oom;
                        comp = NULL;
                }
        }
        if (!comp && !e && !problem) {
                /* empty value: GRUB uses entry 0 */
                if (c->root.n_children > 0 && !c->root.children[0]->submenu) {
                        e = c->root.children[0];
                        if (path_add(&ids, &titles, e) < 0)
                                goto oom;
                }
        }
        if (!e) {
                r = -ENOENT;
                goto fail;
        }
        *ret = (GrubResolution) {
                .entry = e,
                .id_path = ids.s,
                .title_path = titles.s,
                .fallback = problem != NULL,
                .problem = TAKE_PTR(problem),
        };
        return 0;
oom:
        r = -ENOMEM;
fail:
        free(ids.s);
        free(titles.s);
        return r;
}

const char *grub_entry_kernel_release(const GrubEntry *e) {
        const char *base;

        if (!e || !e->linux_path)
                return NULL;
        base = strrchr(e->linux_path, '/');
        base = base ? base + 1 : e->linux_path;
        if (!startswith(base, "vmlinuz-") || !base[strlen("vmlinuz-")])
                return NULL;
        return base + strlen("vmlinuz-");
}

int grubenv_parse(const char *text, size_t len, char ***ret_env) {
        _cleanup_strv_free_ char **env = NULL;
        const char *p = text, *end = text + len;
        int r;

        while (p < end) {
                const char *nl = memchr(p, '\n', end - p), *eol = nl ? nl : end, *eq;

                if (*p != '#' && (eq = memchr(p, '=', eol - p)) && eq > p) {
                        r = strv_consume(&env, strndup(p, eol - p));
                        if (r < 0)
                                return r;
                }
                p = eol + 1;
        }
        *ret_env = TAKE_PTR(env);
        return 0;
}

static const char *uuid_from_ids(const GrubEntry *menu) {
        for (size_t i = 0; i < menu->n_children; i++) {
                const GrubEntry *e = menu->children[i];

                if (e->id && startswith(e->id, "gnulinux-advanced-") && e->submenu)
                        return e->id + strlen("gnulinux-advanced-");
                if (e->id && startswith(e->id, "gnulinux-simple-"))
                        return e->id + strlen("gnulinux-simple-");
        }
        return NULL;
}

int grub_debian_id_path(const GrubConfig *c, const char *release, char **ret) {
        const char *uuid = uuid_from_ids(&c->root);
        char *p;

        if (!uuid || !*uuid)
                return -ENOENT;
        p = strprintf("gnulinux-advanced-%s>gnulinux-%s-advanced-%s", uuid, release, uuid);
        if (!p)
                return -ENOMEM;
        *ret = p;
        return 0;
}
