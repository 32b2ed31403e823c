/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "core/imgfmt.h"
#include "guest.h"
#include "txn.h"

/* How a verb opens the image: only to read it, on a throw-away overlay
 * whose result is never kept, or on a work overlay committed to -o OUT or
 * in place. */
typedef enum SessionMode {
        SESSION_READONLY,
        SESSION_SCRATCH,
        SESSION_WRITE,
} SessionMode;

typedef struct SessionOptions {
        SessionMode mode;
        const char *out;            /* SESSION_WRITE: -o OUT, or NULL with in_place */
        bool in_place;
        bool force;                 /* replace a write-protected image in place */
        int verbosity;
        bool network;               /* give the appliance a network */
        char * const *allow_backing;  /* backing files trusted outside the image's directory */
} SessionOptions;

/* One appliance session on an image: the front half of every verb. */
typedef struct Session {
        const char *image;      /* as the user named it */
        ImageInfo img;
        Txn *txn;               /* NULL for SESSION_READONLY */
        Guest *gu;
        bool in_place;
} Session;

/* Checks the image and creates the overlay: nothing is started yet. */
int session_open(const char *image, const SessionOptions *o, Session *s);
/* Launches the appliance on it and mounts the guest (inspecting what is in
 * it is the caller's); kvm as the caller resolved it. */
int session_launch(Session *s, const SessionOptions *o, bool kvm);
/* Shuts the appliance down cleanly (a no-op once closed). */
int session_close(Session *s);
/* Commits the overlay: always for -o OUT, in place only if changed, never
 * for a scratch overlay. The appliance must be closed. */
int session_commit(Session *s, bool changed);
void session_done(Session *s);
/* The disk the guest's changes are in (the overlay, or the image itself
 * read-only). */
static inline const char *session_disk(const Session *s) {
        return s->txn ? s->txn->overlay : s->image;
}
/* Where the result went (NULL for scratch). */
static inline const char *session_target(const Session *s) {
        return s->txn ? s->txn->target : NULL;
}
