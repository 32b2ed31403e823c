/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/imgfmt.h"

/* Every change lands in a qcow2 overlay backed by the untouched original.
 * Only txn_commit() produces a result: the overlay flattened into a temp
 * file beside the target, fsynced, then renamed over it (-o OUT: a new
 * file; in place: the original). Until then the original is byte-identical
 * and no half-written output exists; temps of a killed run are found and
 * removed by the next run on the same target. */
typedef struct Txn {
        char *image;      /* absolute path of the original */
        ImageFormat format;
        char *target;     /* where the result goes; NULL for a scratch overlay */
        char *overlay;    /* work overlay, beside the target */
        char *tmp_out;    /* flattened result before the rename */
        char *clean;      /* txn_keep_clean(): what is committed instead of the overlay */
        bool in_place;
        int guard[3];     /* signal-guard slots of overlay, tmp_out and clean, -1 if none */
} Txn;

/* out NULL and !in_place: a scratch overlay in $TMPDIR (default /var/tmp)
 * that can never be committed, for work whose result is only a report. */
int txn_begin(const char *image, ImageFormat format, const char *out, bool in_place, Txn **ret);
int txn_commit(Txn *t);
/* Copies the overlay as it is now (the guest synced) beside it: txn_commit
 * then commits that copy, and what is written to the overlay afterwards
 * (a boot-test probe) is thrown away with it. */
int txn_keep_clean(Txn *t);
/* Discards the overlay and any temp; frees. Safe on NULL. */
void txn_free(Txn *t);
static inline void txn_freep(Txn **t) {
        txn_free(*t);
}
