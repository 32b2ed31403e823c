/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* kpin's run directories in host_tmpdir(): kpin-KIND-PID-XXXXXX, mode
 * 0700, named by the process that owns them so that one whose owner is
 * gone (kill -9, a power cut) can be told from one in use. */

/* Makes one; NULL with errno set. The caller guards it
 * (sigguard_add_dir()) and removes it. */
char *tmpdir_make(const char *kind);
/* Removes the run directories (and the scratch overlays a boot test
 * leaves, .kpin-PID-scratchN.overlay.qcow2) whose owner process is gone,
 * saying so on stderr; the number removed. */
int tmpdir_reap_stale(void);
