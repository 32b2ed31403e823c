/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The sign of life of a long step. On a terminal: one status line,
 * rewritten as the step goes ("kpin: pin: setting up linux-image-… 40 s").
 * In a log (stderr not a terminal): a line a minute once a step has run a
 * minute ("kpin: dkms: building beegfs/7.4.4 for 6.1.0-57-cloud-amd64,
 * 12 min, 183 objects"). Quiet with -q; with -v the guest's own output is
 * streamed instead of the terminal line. */
void progress_begin(const char *step);
/* What the step does now ("" or NULL: nothing new to say); call it
 * whenever something happens, at least every few seconds. */
void progress_update(const char *activity);
/* Clears the terminal line. */
void progress_end(void);
