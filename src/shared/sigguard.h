/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* What a fatal signal (SIGINT, SIGTERM, SIGHUP, SIGPIPE) must not leave
 * behind: kpin's temporaries beside an image or in $TMPDIR, its VMs, the
 * switch joining them, and their run directories. The lists grow as
 * needed (never while the handler can run: signals are blocked meanwhile);
 * the handler only kills, unlinks and re-raises (async-signal-safe). What
 * kill -9 leaves, a later kpin removes (tmpdir_reap_stale()). */

/* Takes a slot for a temporary file, or for a directory that is empty once
 * the files taken before it are gone; -EMFILE when all are taken. */
int sigguard_add_file(const char *path);
/* Forgets a slot (the file was renamed into place or removed); safe on -1. */
void sigguard_forget(int slot);
/* A child killed with kpin: a test VM, the switch of a VM network, or a
 * libguestfs appliance's QEMU (libguestfs's own recovery process is a fork
 * of kpin with kpin's name, so `pkill kpin` ends it too and the appliance
 * would run on). A slot, or -ENOMEM: a child kpin cannot guard is an
 * error, not a risk to take. */
int sigguard_add_child(pid_t pid);
/* Forgets it, as the child is stopped; safe on -1. */
void sigguard_forget_child(int slot);
/* A run directory removed whole (it and what is in it, six levels deep)
 * after the children are killed. A slot, or -ENOMEM / -ENAMETOOLONG. */
int sigguard_add_dir(const char *dir);
void sigguard_forget_dir(int slot);

/* Removes dir and what is in it (not following symlinks, at most depth
 * levels); async-signal-safe. 0, or -errno of the first failure. */
int sigguard_remove_tree(const char *dir, unsigned depth);
