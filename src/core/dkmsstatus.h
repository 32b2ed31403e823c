/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* DKMS make.log: the kernel it was written for, from its first line
 *   "DKMS make.log for kpin-canary-1.0 for kernel 6.1.0-56-cloud-amd64 (x86_64)"  (dkms 2.x/3.0)
 *   "DKMS (dkms-3.2.2) make.log for kpin-canary/1.0 for kernel 6.12.117+deb13-cloud-amd64 (x86_64)"
 * -EBADMSG if the log has no such header. */
int dkms_makelog_kernel(const char *text, size_t len, char **ret_kernel);

/* The first real compiler/linker error of a make.log and up to `context`
 * lines after it (source line, caret), '\n'-joined; -ENOENT if none. */
int dkms_makelog_first_error(const char *text, size_t len, unsigned context, char **ret);

/* What kpin needs of a dkms.conf (shell syntax, read without a shell). */
typedef struct DkmsConf {
        char *name, *version;      /* PACKAGE_NAME, PACKAGE_VERSION */
        char **modules;            /* BUILT_MODULE_NAME[i], default PACKAGE_NAME */
        bool remake_initrd;        /* REMAKE_INITRD="yes": the module belongs in the initramfs */
        bool autoinstall;          /* AUTOINSTALL="yes": the kernel's hook builds it for each new kernel */
} DkmsConf;

/* $PACKAGE_NAME / ${PACKAGE_VERSION} references are substituted; other
 * expansions are left as written. -EBADMSG without PACKAGE_NAME or
 * PACKAGE_VERSION, or with a name that is not a plain module name. */
int dkms_conf_parse(const char *text, size_t len, DkmsConf *ret);
void dkms_conf_done(DkmsConf *c);

/* One line of `dkms status`, in any of its formats:
 *   dkms 2.x  "kpin-canary, 1.0, 6.1.0-50-cloud-amd64, x86_64: installed"
 *   dkms 3.x  "kpin-canary/1.0, 6.12.117+deb13-cloud-amd64, x86_64: installed"
 *             "kpin-canary/1.0: added"
 * with optional trailers such as " (WARNING! Diff between built and
 * installed module!)" kept in note. kernel/arch are NULL for "added". */
typedef struct DkmsStatusLine {
        char *name, *version, *kernel, *arch, *state, *note;
} DkmsStatusLine;

/* Parses every line it understands; others (warnings dkms prints) are
 * skipped. */
int dkms_status_parse(const char *text, size_t len, DkmsStatusLine **ret, size_t *ret_n);
void dkms_status_free(DkmsStatusLine *l, size_t n);

/* A DKMS module or version name safe to use in paths and argv:
 * [A-Za-z0-9._+-], not starting with '.' or '-'. */
bool dkms_name_valid(const char *s);
