/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modsig.h"
#include "shared/cleanup.h"
#include "shared/unaligned.h"

#define MODSIG_MAGIC "~Module signature appended~\n"
#define PKEY_ID_PKCS7 2
#define MAX_SERIAL 64

/* A DER element: its tag, and where its contents lie. */
typedef struct Der {
        unsigned tag;
        const unsigned char *p;
        size_t len;
} Der;

/* Reads the element at *pos (within end); advances *pos past it. */
static int der_next(const unsigned char **pos, const unsigned char *end, Der *ret) {
        const unsigned char *p = *pos;
        size_t len;

        if (end - p < 2)
                return -EBADMSG;
        ret->tag = *p++;
        if ((ret->tag & 0x1f) == 0x1f)
                return -EBADMSG; /* multi-byte tags: nothing kpin reads uses them */
        len = *p++;
        if (len & 0x80) {
                size_t n = len & 0x7f;

                if (n == 0 || n > 4 || (size_t) (end - p) < n)
                        return -EBADMSG;
                len = 0;
                while (n--)
                        len = len << 8 | *p++;
        }
        if ((size_t) (end - p) < len)
                return -EBADMSG;
        ret->p = p;
        ret->len = len;
        *pos = p + len;
        return 0;
}

/* The next element, which must have tag. */
static int der_expect(const unsigned char **pos, const unsigned char *end, unsigned tag, Der *ret) {
        int r = der_next(pos, end, ret);

        return r < 0 ? r : ret->tag == tag ? 0 : -EBADMSG;
}

#define DER_SEQUENCE 0x30
#define DER_SET 0x31
#define DER_INTEGER 0x02
#define DER_OID 0x06

static char *serial_hex(const Der *d) {
        const unsigned char *p = d->p;
        size_t n = d->len;
        char *s, *o;

        /* a leading 00 only keeps the INTEGER positive */
        while (n > 1 && *p == 0)
                p++, n--;
        if (n == 0 || n > MAX_SERIAL)
                return NULL;
        s = o = malloc(n * 3);
        if (!s)
                return NULL;
        for (size_t i = 0; i < n; i++)
                o += sprintf(o, "%s%02X", i ? ":" : "", p[i]);
        return s;
}

/* The common name in a Name (SEQUENCE OF SET OF {OID, value}); "" if none. */
static char *name_cn(const Der *name) {
        static const unsigned char cn[] = { 0x55, 0x04, 0x03 };
        const unsigned char *pos = name->p, *end = name->p + name->len;
        Der rdn;

        while (pos < end && der_expect(&pos, end, DER_SET, &rdn) >= 0) {
                const unsigned char *q = rdn.p, *qend = rdn.p + rdn.len;
                Der atv;

                while (q < qend && der_expect(&q, qend, DER_SEQUENCE, &atv) >= 0) {
                        const unsigned char *a = atv.p, *aend = atv.p + atv.len;
                        Der oid, val;

                        if (der_expect(&a, aend, DER_OID, &oid) < 0 || der_next(&a, aend, &val) < 0)
                                return NULL;
                        if (oid.len == sizeof(cn) && memcmp(oid.p, cn, sizeof(cn)) == 0) {
                                if (memchr(val.p, '\0', val.len))
                                        return NULL;
                                return strndup((const char *) val.p, val.len);
                        }
                }
        }
        return pos == end ? strdup("") : NULL;
}

static int fill(const Der *issuer, const Der *serial, ModSig *ret) {
        ModSig s = { .signer = name_cn(issuer), .key_id = serial_hex(serial) };

        if (!s.signer || !s.key_id) {
                modsig_done(&s);
                return -EBADMSG;
        }
        *ret = s;
        return 0;
}

void modsig_done(ModSig *s) {
        free(s->signer);
        free(s->key_id);
        *s = (ModSig) {};
}

/* ContentInfo { OID signedData, [0] { SignedData { version, digestAlgorithms,
 * contentInfo, [0] certificates?, [1] crls?, signerInfos SET } } } ->
 * the first SignerInfo { version, IssuerAndSerialNumber { issuer, serial }, ... } */
static int pkcs7_signer(const unsigned char *p, size_t len, ModSig *ret) {
        const unsigned char *pos = p, *end = p + len, *q, *qend;
        Der ci, oid, explicit, sd, d, infos, si, ias, issuer, serial;
        int r;

        if ((r = der_expect(&pos, end, DER_SEQUENCE, &ci)) < 0)
                return r;
        q = ci.p, qend = ci.p + ci.len;
        if ((r = der_expect(&q, qend, DER_OID, &oid)) < 0 || (r = der_expect(&q, qend, 0xa0, &explicit)) < 0)
                return r;
        q = explicit.p, qend = explicit.p + explicit.len;
        if ((r = der_expect(&q, qend, DER_SEQUENCE, &sd)) < 0)
                return r;
        q = sd.p, qend = sd.p + sd.len;
        if ((r = der_expect(&q, qend, DER_INTEGER, &d)) < 0 || (r = der_expect(&q, qend, DER_SET, &d)) < 0 ||
            (r = der_expect(&q, qend, DER_SEQUENCE, &d)) < 0)
                return r;
        /* certificates [0] and crls [1] are optional; the signer infos are the SET */
        do {
                if ((r = der_next(&q, qend, &infos)) < 0)
                        return r;
        } while (infos.tag == 0xa0 || infos.tag == 0xa1);
        if (infos.tag != DER_SET)
                return -EBADMSG;
        q = infos.p, qend = infos.p + infos.len;
        if ((r = der_expect(&q, qend, DER_SEQUENCE, &si)) < 0)
                return r;
        q = si.p, qend = si.p + si.len;
        if ((r = der_expect(&q, qend, DER_INTEGER, &d)) < 0 || (r = der_expect(&q, qend, DER_SEQUENCE, &ias)) < 0)
                return r;
        q = ias.p, qend = ias.p + ias.len;
        if ((r = der_expect(&q, qend, DER_SEQUENCE, &issuer)) < 0 || (r = der_expect(&q, qend, DER_INTEGER, &serial)) < 0)
                return r;
        return fill(&issuer, &serial, ret);
}

int ko_signature(const void *data, size_t len, ModSig *ret) {
        const size_t magic = strlen(MODSIG_MAGIC), info = 12;
        const unsigned char *b = data, *tail;
        uint32_t sig_len;

        if (len < magic + info || memcmp(b + len - magic, MODSIG_MAGIC, magic) != 0)
                return -ENOENT;
        tail = b + len - magic - info;
        /* struct module_signature: algo, hash, id_type, signer_len, key_id_len, pad[3], be32 sig_len */
        sig_len = unaligned_be32(tail + 8);
        if (tail[2] != PKEY_ID_PKCS7 || sig_len == 0 || sig_len > len - magic - info)
                return -EBADMSG;
        return pkcs7_signer(tail - sig_len, sig_len, ret);
}

/* Certificate { TBSCertificate { [0] version?, serial, signature, issuer, ... }, ... } */
int x509_signer(const void *der, size_t len, ModSig *ret) {
        const unsigned char *pos = der, *end = pos + len, *q, *qend;
        Der cert, tbs, d, serial, issuer;
        int r;

        if ((r = der_expect(&pos, end, DER_SEQUENCE, &cert)) < 0)
                return r;
        q = cert.p, qend = cert.p + cert.len;
        if ((r = der_expect(&q, qend, DER_SEQUENCE, &tbs)) < 0)
                return r;
        q = tbs.p, qend = tbs.p + tbs.len;
        if ((r = der_next(&q, qend, &d)) < 0)
                return r;
        if (d.tag == 0xa0 && (r = der_next(&q, qend, &d)) < 0)
                return r;
        if (d.tag != DER_INTEGER)
                return -EBADMSG;
        serial = d;
        if ((r = der_expect(&q, qend, DER_SEQUENCE, &d)) < 0 || (r = der_expect(&q, qend, DER_SEQUENCE, &issuer)) < 0)
                return r;
        return fill(&issuer, &serial, ret);
}

static int b64_value(char c) {
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        return c == '+' ? 62 : c == '/' ? 63 : -1;
}

int pem_to_der(const char *text, size_t len, unsigned char **ret, size_t *ret_len) {
        static const char begin[] = "-----BEGIN CERTIFICATE-----", end_marker[] = "-----END CERTIFICATE-----";
        const char *b = memmem(text, len, begin, strlen(begin)), *e;
        _cleanup_free_ unsigned char *out = NULL;
        unsigned acc = 0, bits = 0;
        size_t n = 0;

        if (!b)
                return -EBADMSG;
        b += strlen(begin);
        e = memmem(b, len - (size_t) (b - text), end_marker, strlen(end_marker));
        if (!e)
                return -EBADMSG;
        out = malloc((size_t) (e - b) / 4 * 3 + 3);
        if (!out)
                return -ENOMEM;
        for (const char *p = b; p < e; p++) {
                int v = b64_value(*p);

                if (*p == '=')
                        break;
                if (v < 0) {
                        if (*p == '\n' || *p == '\r' || *p == ' ' || *p == '\t')
                                continue;
                        return -EBADMSG;
                }
                acc = acc << 6 | (unsigned) v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        out[n++] = (unsigned char) (acc >> bits);
                        acc &= (1u << bits) - 1;
                }
        }
        if (n == 0)
                return -EBADMSG;
        *ret = TAKE_PTR(out);
        *ret_len = n;
        return 0;
}
