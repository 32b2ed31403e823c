/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* What a fatal signal (SIGINT, SIGTERM, SIGHUP) must not leave behind:
 * kpin's temporaries beside an image or in $TMPDIR, a test VM and its run
 * directory. The handler only unlinks, kills and re-raises, from fixed
 * buffers (async-signal-safe). */

/* Takes a slot for a temporary file, or for a directory that is empty once
 * the files taken before it are gone; -EMFILE when all are taken. */
int sigguard_add_file(const char *path);
/* Forgets a slot (the file was renamed into place or removed); safe on -1. */
void sigguard_forget(int slot);
/* A child killed with kpin: a test VM, or a libguestfs appliance's QEMU
 * (libguestfs's own recovery process is a fork of kpin with kpin's name,
 * so `pkill kpin` ends it too and the appliance would run on). A slot, or
 * -EMFILE when all are taken. */
int sigguard_add_child(pid_t pid);
/* Forgets it, as the child is stopped; safe on -1. */
void sigguard_forget_child(int slot);
/* A VM's run directory and its files (at most 4), removed too; NULL to
 * forget them. */
void sigguard_run_dir(const char *dir, const char *const *files, size_t n);
