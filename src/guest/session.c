/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/image.h"
#include "session.h"
#include "shared/cleanup.h"
#include "shared/log.h"

int session_open(const char *image, const SessionOptions *o, Session *s) {
        _cleanup_free_ char *real_image = NULL, *real_out = NULL;
        const char *out = o->mode == SESSION_WRITE ? o->out : NULL;
        bool in_place = o->mode == SESSION_WRITE && o->in_place;
        int r;

        *s = (Session) { .image = image };
        /* -o IMAGE is in place */
        real_image = realpath(image, NULL);
        real_out = out ? realpath(out, NULL) : NULL;
        if (real_image && real_out && strcmp(real_image, real_out) == 0)
                in_place = true;
        s->in_place = in_place;

        r = image_check(image, in_place ? IMAGE_CHECK_WRITE | (o->force ? IMAGE_CHECK_FORCE : 0) : 0,
                        o->allow_backing, &s->img);
        if (r < 0)
                return r;
        if (o->mode != SESSION_READONLY) {
                r = txn_begin(image, s->img.format, in_place ? NULL : out, in_place, &s->txn);
                if (r < 0)
                        return r;
        }
        return 0;
}

int session_launch(Session *s, const SessionOptions *o, bool kvm) {
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

        return guest_open(session_disk(s), &(GuestOpenOptions) {
                                                    .name = s->image,
                                                    .format = s->txn ? IMAGE_FORMAT_QCOW2 : s->img.format,
                                                    .readonly = o->mode == SESSION_READONLY,
                                                    .kvm = kvm,
                                                    .verbosity = o->verbosity,
                                                    .memsize_mb = o->mode == SESSION_READONLY ? 0 : 2048,
                                                    .smp = o->mode == SESSION_READONLY ? 0 : ncpu > 1 ? (int) (ncpu < 4 ? ncpu : 4) : 1,
                                                    .network = o->network,
                                            },
                          &s->gu);
}

int session_close(Session *s) {
        return guest_close(TAKE_PTR(s->gu));
}

int session_commit(Session *s, bool changed) {
        if (!s->txn || !s->txn->target || (s->in_place && !changed))
                return 0;
        return txn_commit(s->txn);
}

void session_done(Session *s) {
        if (s->gu)
                guest_close(s->gu);
        txn_free(s->txn);
        image_info_done(&s->img);
        *s = (Session) {};
}
