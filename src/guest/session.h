/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "core/imgfmt.h"
#include "guest.h"
#include "inspect.h"
#include "txn.h"
#include "vm/accel.h"

/* One writable appliance session on an overlay of an image: the shared
 * front half of every verb that changes an image (pin, dkms, repair), so
 * several steps run in one appliance and commit once. */
typedef struct Session {
        const char *image;      /* as the user named it */
        ImageInfo img;
        Txn *txn;
        Guest *gu;
        GuestState *before;     /* the guest as it was when the session began */
        bool in_place;
} Session;

typedef struct SessionOptions {
        const char *out;            /* -o OUT */
        bool in_place;              /* replace the image; neither: a scratch overlay */
        AccelMode accel;
        int verbosity;
        bool network;               /* give the appliance a network */
        char * const *allow_backing;  /* backing files trusted outside the image's directory */
} SessionOptions;

/* Checks the image, probes acceleration, creates the overlay (a scratch
 * one, whose result can only be reported, without out or in_place),
 * launches and inspects. */
int session_open(const char *image, const SessionOptions *o, Session *s);
/* The same on a disk kpin has already checked or made itself (a repair's
 * work overlay, for the boot test): no image checks; name is how messages
 * call it. */
int session_launch(Session *s, const char *name, const char *disk, ImageFormat format, const char *out, bool in_place,
                   AccelMode accel, int verbosity, bool network);
/* Shuts the appliance down cleanly, then commits the overlay: always for
 * -o OUT, in place only if changed, never for scratch. */
int session_finish(Session *s, bool changed);
/* The two halves, for a repair that boot-tests the overlay in between. */
int session_close(Session *s);
int session_commit(Session *s, bool changed);
void session_done(Session *s);
/* Where the result went (NULL for scratch). */
static inline const char *session_target(const Session *s) {
        return s->txn ? s->txn->target : NULL;
}
