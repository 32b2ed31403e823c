/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* A grub.cfg menu tree, as GRUB itself would see it (menuentry/submenu). */
typedef struct GrubEntry GrubEntry;
struct GrubEntry {
        char *title;
        char *id;          /* --id / $menuentry_id_option, NULL if none */
        bool submenu;
        char *linux_path;  /* menuentry: first argument of linux/linux16/linuxefi */
        char *linux_args;  /* the rest of that line, space-joined */
        char *initrd;      /* first argument of initrd */
        GrubEntry **children;
        size_t n_children;
};

typedef struct GrubConfig {
        GrubEntry root;          /* synthetic top-level menu */
        char **default_values;   /* every top-level `set default=` value, in order */
} GrubConfig;

/* Parses grub.cfg text; -EBADMSG on unbalanced braces or runaway nesting. */
int grubcfg_parse(const char *text, size_t len, GrubConfig **ret);
GrubConfig *grubcfg_free(GrubConfig *c);

/* What GRUB will use as `default`: grubenv's one-shot next_entry if set,
 * else the last top-level `set default=` of grub.cfg other than the
 * "${next_entry}" branch, with ${saved_entry} expanded from grubenv.
 * env is grubenv as "key=value" strings (may be NULL). *ret_source names
 * where the value came from. */
int grubcfg_effective_default(const GrubConfig *c, char * const *env,
                              char **ret_value, const char **ret_source);

typedef struct GrubResolution {
        const GrubEntry *entry;  /* the menuentry GRUB boots */
        char *id_path;           /* ids joined by '>' (titles where an entry has no id) */
        char *title_path;        /* titles joined by '>' */
        bool fallback;           /* value matched nothing: GRUB boots the first entry */
        char *problem;           /* why it fell back, NULL if it did not */
} GrubResolution;

/* Resolves a default value ("0", "1>2", an id, a title, or a '>' path mixing
 * them) the way GRUB does: at each level a number is an index, anything else
 * matches the first entry whose title or id equals it. A value that matches
 * nothing falls back to the first entry (fallback=true, problem set); -ENOENT
 * if the menu has no bootable entry at all. */
int grubcfg_resolve(const GrubConfig *c, const char *value, GrubResolution *ret);
void grub_resolution_done(GrubResolution *r);

/* The kernel release an entry boots: "/boot/vmlinuz-6.1.0-56-cloud-amd64" ->
 * "6.1.0-56-cloud-amd64"; NULL if the entry boots no vmlinuz-*. */
const char *grub_entry_kernel_release(const GrubEntry *e);

/* grubenv ("# GRUB Environment Block" + key=value lines + '#' padding). */
int grubenv_parse(const char *text, size_t len, char ***ret_env);
const char *grubenv_get(char * const *env, const char *key);

/* The id path Debian's 10_linux gives a kernel's normal (non-recovery)
 * entry: "gnulinux-advanced-UUID>gnulinux-KVER-advanced-UUID", with UUID
 * taken from the config's existing gnulinux-advanced-/gnulinux-simple- ids.
 * -ENOENT if the config has no Debian-style ids to take the UUID from. */
int grub_debian_id_path(const GrubConfig *c, const char *release, char **ret);
