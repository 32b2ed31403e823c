/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <lzma.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "modinfo.h"
#include "shared/cleanup.h"
#include "shared/strv.h"

#define MAX_MODINFO_KEYS 1024

KoCompression ko_compression(const void *data, size_t len) {
        const unsigned char *p = data;

        if (len >= 4 && memcmp(p, "\177ELF", 4) == 0)
                return KO_PLAIN;
        if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b)
                return KO_GZIP;
        if (len >= 6 && memcmp(p, "\3757zXZ\0", 6) == 0)
                return KO_XZ;
        if (len >= 4 && memcmp(p, "\x28\xb5\x2f\xfd", 4) == 0)
                return KO_ZSTD;
        return KO_UNKNOWN;
}

const char *ko_compression_to_string(KoCompression c) {
        static const char *const names[] = {
                [KO_PLAIN] = "none", [KO_GZIP] = "gzip", [KO_XZ] = "xz", [KO_ZSTD] = "zstd", [KO_UNKNOWN] = "unknown",
        };
        return c <= KO_UNKNOWN ? names[c] : "unknown";
}

/* Output buffer that doubles up to max. */
typedef struct Out {
        unsigned char *buf;
        size_t len, cap, max;
} Out;

static int out_reserve(Out *o, size_t want) {
        size_t cap = o->cap ? o->cap : 65536;
        unsigned char *b;

        if (want > o->max)
                return -EFBIG;
        while (cap < want)
                cap *= 2;
        if (cap > o->max)
                cap = o->max;
        if (cap <= o->cap)
                return 0;
        b = realloc(o->buf, cap);
        if (!b)
                return -ENOMEM;
        o->buf = b;
        o->cap = cap;
        return 0;
}

/* room for at least one more byte; -EFBIG once max bytes are out */
static int out_room(Out *o) {
        size_t want;

        if (o->len < o->cap)
                return 0;
        if (o->cap >= o->max)
                return -EFBIG;
        want = o->cap ? o->cap * 2 : 65536;
        return out_reserve(o, want < o->max ? want : o->max);
}

static int gunzip(const void *data, size_t len, Out *o) {
        z_stream z = { .next_in = (Bytef *) data, .avail_in = (uInt) len };
        int zr, r = 0;

        if (len > UINT32_MAX)
                return -EFBIG;
        if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
                return -ENOMEM;
        do {
                if ((r = out_room(o)) < 0)
                        break;
                z.next_out = o->buf + o->len;
                z.avail_out = (uInt) (o->cap - o->len);
                zr = inflate(&z, Z_NO_FLUSH);
                o->len = o->cap - z.avail_out;
                if (zr == Z_STREAM_END)
                        break;
                if (zr != Z_OK && !(zr == Z_BUF_ERROR && z.avail_out == 0)) {
                        r = zr == Z_MEM_ERROR ? -ENOMEM : -EBADMSG;
                        break;
                }
                if (z.avail_in == 0 && z.avail_out != 0) {
                        r = -EBADMSG; /* truncated */
                        break;
                }
        } while (true);
        inflateEnd(&z);
        return r;
}

static int unxz(const void *data, size_t len, Out *o) {
        lzma_stream s = LZMA_STREAM_INIT;
        lzma_ret lr;
        int r = 0;

        if (lzma_stream_decoder(&s, UINT64_MAX, 0) != LZMA_OK)
                return -ENOMEM;
        s.next_in = data;
        s.avail_in = len;
        do {
                if ((r = out_room(o)) < 0)
                        break;
                s.next_out = o->buf + o->len;
                s.avail_out = o->cap - o->len;
                lr = lzma_code(&s, LZMA_FINISH);
                o->len = o->cap - s.avail_out;
                if (lr == LZMA_STREAM_END)
                        break;
                if (lr != LZMA_OK && !(lr == LZMA_BUF_ERROR && s.avail_out == 0)) {
                        r = lr == LZMA_MEM_ERROR ? -ENOMEM : -EBADMSG;
                        break;
                }
        } while (true);
        lzma_end(&s);
        return r;
}

static int unzstd(const void *data, size_t len, Out *o) {
        ZSTD_DStream *z = ZSTD_createDStream();
        ZSTD_inBuffer in = { .src = data, .size = len };
        size_t zr;
        int r = 0;

        if (!z)
                return -ENOMEM;
        do {
                if ((r = out_room(o)) < 0)
                        break;
                ZSTD_outBuffer out = { .dst = o->buf, .size = o->cap, .pos = o->len };

                zr = ZSTD_decompressStream(z, &out, &in);
                o->len = out.pos;
                if (ZSTD_isError(zr)) {
                        r = -EBADMSG;
                        break;
                }
                if (zr == 0 && in.pos == in.size)
                        break; /* frame complete, input used up */
                if (in.pos == in.size && out.pos < out.size) {
                        r = -EBADMSG; /* truncated mid-frame */
                        break;
                }
        } while (true);
        ZSTD_freeDStream(z);
        return r;
}

int ko_decompress(const void *data, size_t len, size_t max, void **ret, size_t *ret_len) {
        Out o = { .max = max };
        int r;

        switch (ko_compression(data, len)) {
        case KO_PLAIN:
                if (len > max)
                        return -EFBIG;
                r = out_reserve(&o, len ? len : 1);
                if (r >= 0) {
                        memcpy(o.buf, data, len);
                        o.len = len;
                }
                break;
        case KO_GZIP:
                r = gunzip(data, len, &o);
                break;
        case KO_XZ:
                r = unxz(data, len, &o);
                break;
        case KO_ZSTD:
                r = unzstd(data, len, &o);
                break;
        default:
                return -EPROTO;
        }
        if (r < 0) {
                free(o.buf);
                return r;
        }
        *ret = o.buf;
        *ret_len = o.len;
        return 0;
}

/* Bounded little/big-endian field readers. */
typedef struct Elf {
        const unsigned char *p;
        size_t len;
        bool is64, be;
} Elf;

static bool rd(const Elf *e, uint64_t off, unsigned size, uint64_t *ret) {
        uint64_t v = 0;

        if (off > e->len || size > e->len - off)
                return false;
        for (unsigned i = 0; i < size; i++) {
                unsigned shift = 8 * (e->be ? size - 1 - i : i);

                v |= (uint64_t) e->p[off + i] << shift;
        }
        *ret = v;
        return true;
}

int ko_modinfo(const void *elf, size_t len, char ***ret) {
        Elf e = { .p = elf, .len = len };
        uint64_t shoff, shentsize, shnum, shstrndx, str_off, str_size;
        unsigned w;
        _cleanup_strv_free_ char **l = NULL;
        bool found = false;
        int r;

        if (len < 16 || memcmp(e.p, "\177ELF", 4) != 0)
                return -ENOEXEC;
        if ((e.p[4] != 1 && e.p[4] != 2) || (e.p[5] != 1 && e.p[5] != 2))
                return -ENOEXEC;
        e.is64 = e.p[4] == 2;
        e.be = e.p[5] == 2;
        w = e.is64 ? 8 : 4;
        if (!rd(&e, e.is64 ? 0x28 : 0x20, w, &shoff) || !rd(&e, e.is64 ? 0x3a : 0x2e, 2, &shentsize) ||
            !rd(&e, e.is64 ? 0x3c : 0x30, 2, &shnum) || !rd(&e, e.is64 ? 0x3e : 0x32, 2, &shstrndx))
                return -EBADMSG;
        if (shentsize < (e.is64 ? 64u : 40u) || shnum == 0 || shstrndx >= shnum ||
            shoff > len || shnum * shentsize > len - shoff)
                return -EBADMSG;
        /* section header fields: name@0 (4), offset@24/16 (w), size@32/20 (w) */
#define SH(i) (shoff + (uint64_t) (i) * shentsize)
        if (!rd(&e, SH(shstrndx) + (e.is64 ? 24 : 16), w, &str_off) ||
            !rd(&e, SH(shstrndx) + (e.is64 ? 32 : 20), w, &str_size) || str_off > len || str_size > len - str_off)
                return -EBADMSG;
        for (uint64_t i = 0; i < shnum && !found; i++) {
                uint64_t name, off, size;
                const char *n, *s, *end;

                if (!rd(&e, SH(i), 4, &name) || !rd(&e, SH(i) + (e.is64 ? 24 : 16), w, &off) ||
                    !rd(&e, SH(i) + (e.is64 ? 32 : 20), w, &size))
                        return -EBADMSG;
                if (name >= str_size || !memchr(e.p + str_off + name, '\0', str_size - name))
                        return -EBADMSG;
                n = (const char *) e.p + str_off + name;
                if (strcmp(n, ".modinfo") != 0)
                        continue;
                if (off > len || size > len - off)
                        return -EBADMSG;
                found = true;
                s = (const char *) e.p + off;
                end = s + size;
                while (s < end) {
                        const char *z = memchr(s, '\0', end - s);
                        size_t k = z ? (size_t) (z - s) : (size_t) (end - s);

                        if (k > 0 && memchr(s, '=', k)) {
                                if (strv_length(l) >= MAX_MODINFO_KEYS)
                                        return -E2BIG;
                                if ((r = strv_consume(&l, strndup(s, k))) < 0)
                                        return r;
                        }
                        s += k + 1;
                }
        }
#undef SH
        if (!found)
                return -ENOENT;
        *ret = TAKE_PTR(l);
        if (!*ret)
                *ret = calloc(1, sizeof(char *));
        return *ret ? 0 : -ENOMEM;
}

const char *ko_modinfo_get(char * const *modinfo, const char *key) {
        size_t n = strlen(key);

        STRV_FOREACH(kv, modinfo)
                if (strncmp(*kv, key, n) == 0 && (*kv)[n] == '=')
                        return *kv + n + 1;
        return NULL;
}

int ko_vermagic_matches(const char *vermagic, const char *kver) {
        size_t n;

        if (!vermagic || !kver || !*kver)
                return 0;
        n = strlen(kver);
        return strncmp(vermagic, kver, n) == 0 && (vermagic[n] == ' ' || vermagic[n] == '\0');
}
