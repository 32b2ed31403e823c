/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kver.h"
#include "shared/cleanup.h"
#include "shared/strv.h"

static int order(int c) {
        if (isdigit(c))
                return 0;
        if (isalpha(c))
                return c;
        if (c == '~')
                return -1;
        if (c)
                return c + 256;
        return 0;
}

/* dpkg's verrevcmp() over [a, a_end) and [b, b_end). */
static int verrevcmp(const char *a, const char *a_end, const char *b, const char *b_end) {
#define A (a < a_end ? *a : 0)
#define B (b < b_end ? *b : 0)
        while (A || B) {
                int first_diff = 0;

                while ((A && !isdigit(A)) || (B && !isdigit(B))) {
                        int ac = order(A), bc = order(B);

                        if (ac != bc)
                                return ac - bc;
                        a++;
                        b++;
                }
                while (A == '0')
                        a++;
                while (B == '0')
                        b++;
                while (isdigit(A) && isdigit(B)) {
                        if (!first_diff)
                                first_diff = A - B;
                        a++;
                        b++;
                }
                if (isdigit(A))
                        return 1;
                if (isdigit(B))
                        return -1;
                if (first_diff)
                        return first_diff;
        }
        return 0;
#undef A
#undef B
}

typedef struct DebVersion {
        unsigned long epoch;
        const char *up, *up_end, *rev, *rev_end;
} DebVersion;

static void split_version(const char *v, DebVersion *d) {
        const char *colon, *hyphen, *end;

        v = v ? v : "";
        end = v + strlen(v);
        d->epoch = 0;
        colon = strchr(v, ':');
        if (colon) {
                d->epoch = strtoul(v, NULL, 10);
                v = colon + 1;
        }
        hyphen = strrchr(v, '-');
        d->up = v;
        d->up_end = hyphen ? hyphen : end;
        d->rev = hyphen ? hyphen + 1 : end;
        d->rev_end = end;
}

int dpkg_version_compare(const char *a, const char *b) {
        DebVersion x, y;
        int r;

        split_version(a, &x);
        split_version(b, &y);
        if (x.epoch != y.epoch)
                return x.epoch < y.epoch ? -1 : 1;
        r = verrevcmp(x.up, x.up_end, y.up, y.up_end);
        if (r != 0)
                return r < 0 ? -1 : 1;
        r = verrevcmp(x.rev, x.rev_end, y.rev, y.rev_end);
        return r < 0 ? -1 : r > 0;
}

void kver_done(KernelRelease *k) {
        free(k->upstream);
        free(k->flavour);
        *k = (KernelRelease) { .abi = -1 };
}

int kver_parse(const char *release, KernelRelease *ret) {
        _cleanup_free_ char *upstream = NULL, *flavour = NULL;
        const char *dash, *p;
        unsigned major, minor;
        long abi = -1;
        char *end;

        if (!release || !isdigit((unsigned char) release[0]))
                return -EINVAL;
        major = strtoul(release, &end, 10);
        if (*end != '.' || !isdigit((unsigned char) end[1]))
                return -EINVAL;
        minor = strtoul(end + 1, &end, 10);

        dash = strchr(release, '-');
        upstream = dash ? strndup(release, dash - release) : strdup(release);
        if (!upstream)
                return -ENOMEM;
        if (dash) {
                p = dash + 1;
                if (isdigit((unsigned char) *p)) {
                        abi = strtol(p, &end, 10);
                        if (*end == '\0')
                                p = end;
                        else if (*end == '-')
                                p = end + 1;
                        else
                                return -EINVAL;
                }
                if (*p) {
                        flavour = strdup(p);
                        if (!flavour)
                                return -ENOMEM;
                }
        }
        *ret = (KernelRelease) {
                .upstream = TAKE_PTR(upstream),
                .abi = abi,
                .flavour = TAKE_PTR(flavour),
                .major = major,
                .minor = minor,
        };
        return 0;
}

int kver_compare(const char *a, const char *b) {
        KernelRelease x = { .abi = -1 }, y = { .abi = -1 };
        int r;

        if (kver_parse(a, &x) < 0 || kver_parse(b, &y) < 0) {
                kver_done(&x);
                kver_done(&y);
                return dpkg_version_compare(a, b);
        }
        r = dpkg_version_compare(x.upstream, y.upstream);
        if (r == 0 && x.abi != y.abi)
                r = x.abi < y.abi ? -1 : 1;
        if (r == 0)
                r = strcmp(x.flavour ? x.flavour : "", y.flavour ? y.flavour : "");
        kver_done(&x);
        kver_done(&y);
        return r < 0 ? -1 : r > 0;
}

bool kver_matches(const char *release, const char *want) {
        unsigned major, minor;
        char *end;
        KernelRelease k = { .abi = -1 };
        bool r;

        if (!release || !want)
                return false;
        major = strtoul(want, &end, 10);
        if (end != want && *end == '.' && isdigit((unsigned char) end[1])) {
                minor = strtoul(end + 1, &end, 10);
                if (*end == '\0') {
                        if (kver_parse(release, &k) < 0)
                                return false;
                        r = k.major == major && k.minor == minor;
                        kver_done(&k);
                        return r;
                }
        }
        /* A longer prefix must end at a component boundary: "6.1.0-5" must
         * not match 6.1.0-56. */
        size_t n = strlen(want);
        if (strncmp(release, want, n) != 0)
                return false;
        return release[n] == '\0' || !isalnum((unsigned char) release[n]) ||
               !isalnum((unsigned char) want[n - 1]);
}

/* three components: 6.1.0, 6.12.118+deb13, 6.1.119 */
static bool full_upstream(const KernelRelease *k) {
        const char *dot = strchr(k->upstream, '.');

        return dot && strchr(dot + 1, '.');
}

bool kver_image_package(const char *pkg, const char *flavour, const char *want, const char **ret_release) {
        KernelRelease k = { .abi = -1 };
        const char *rel;
        bool ok;

        if (strncmp(pkg, "linux-image-", 12) != 0)
                return false;
        rel = pkg + 12;
        /* debug symbols and the unsigned build of a signed kernel are not
         * kernels to boot */
        if (endswith(rel, "-dbg") || endswith(rel, "-unsigned"))
                return false;
        if (kver_parse(rel, &k) < 0)
                return false;
        ok = full_upstream(&k) && (!flavour || (k.flavour && strcmp(k.flavour, flavour) == 0)) &&
             (strcmp(rel, want) == 0 || kver_matches(rel, want));
        kver_done(&k);
        if (ok)
                *ret_release = rel;
        return ok;
}

bool kver_same_series(const KernelRelease *a, const KernelRelease *b) {
        return a->flavour && b->flavour && a->major == b->major && a->minor == b->minor &&
               strcmp(a->flavour, b->flavour) == 0;
}

bool kver_is_full_release(const char *want) {
        KernelRelease k = { .abi = -1 };
        bool full = kver_parse(want, &k) >= 0 && full_upstream(&k) && k.flavour;

        kver_done(&k);
        return full;
}
