/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest/image.h"
#include "session.h"
#include "shared/cleanup.h"
#include "shared/log.h"

int session_open(const char *image, const SessionOptions *o, Session *s) {
        _cleanup_free_ char *real_image = NULL, *real_out = NULL;
        const char *out = o->out;
        bool in_place = o->in_place;
        int r;

        *s = (Session) { .image = image };
        /* -o IMAGE is in place */
        real_image = realpath(image, NULL);
        real_out = out ? realpath(out, NULL) : NULL;
        if (real_image && real_out && strcmp(real_image, real_out) == 0)
                in_place = true;

        r = image_check(image, in_place, o->allow_backing, &s->img);
        if (r < 0)
                return r;
        return session_launch(s, image, image, s->img.format, in_place ? NULL : out, in_place, o->accel, o->verbosity,
                              o->network);
}

int session_launch(Session *s, const char *name, const char *disk, ImageFormat format, const char *out, bool in_place,
                   AccelMode accel, int verbosity, bool network) {
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        bool kvm;
        int r;

        s->image = name;
        s->in_place = in_place;
        r = accel_resolve(accel, &kvm);
        if (r < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, r, "probing KVM failed: %m");
        r = txn_begin(disk, format, out, in_place, &s->txn);
        if (r < 0)
                return r;
        r = guest_open(s->txn->overlay, &(GuestOpenOptions) {
                                                .name = name,
                                                .format = IMAGE_FORMAT_QCOW2,
                                                .readonly = false,
                                                .kvm = kvm,
                                                .verbosity = verbosity,
                                                .memsize_mb = 2048,
                                                .smp = ncpu > 1 ? (int) (ncpu < 4 ? ncpu : 4) : 1,
                                                .network = network,
                                        },
                       &s->gu);
        if (r < 0)
                return r;
        r = guest_inspect(s->gu, &s->before);
        if (r < 0)
                return log_fail(KPIN_EXIT_FAILURE, r, "%s: inspection failed: %m", name);
        return 0;
}

int session_close(Session *s) {
        return guest_close(TAKE_PTR(s->gu));
}

int session_commit(Session *s, bool changed) {
        if (!s->txn->target || (s->in_place && !changed))
                return 0;
        return txn_commit(s->txn);
}

int session_finish(Session *s, bool changed) {
        int r;

        r = session_close(s);
        if (r < 0)
                return r;
        return session_commit(s, changed);
}

void session_done(Session *s) {
        guest_state_free(s->before);
        if (s->gu)
                guest_close(s->gu);
        txn_free(s->txn);
        image_info_done(&s->img);
        *s = (Session) {};
}
