/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

/* What the guest is doing now, read from the output of its package
 * manager and kernel hooks as it comes: apt unpacking or setting up each
 * package, DKMS building a module (and how many objects kbuild has
 * compiled), the initramfs, GRUB. Pure: lines in, a short description out. */
typedef struct Activity {
        char what[160];          /* "unpacking linux-image-6.1.0-57-cloud-amd64" */
        char module[128];        /* the DKMS module being built, "" if none */
        unsigned objects;        /* objects compiled in the current build */
} Activity;

/* The marker kpin's own watcher prints in the guest: "kpin-progress N". */
#define ACTIVITY_OBJECTS_MARKER "kpin-progress "

/* Feeds one line of guest output (no newline); 1 if the description
 * changed, 0 if not. */
int activity_feed(Activity *a, const char *line);
/* The description: "building kpin-canary/1.0 for 6.1.0-57-cloud-amd64, 12
 * objects", "" while nothing is known. */
const char *activity_describe(const Activity *a, char *buf, unsigned size);
