/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* Who signed a kernel module, as modinfo says it: the signer (the common
 * name of the certificate issuer in the PKCS#7 signature appended to the
 * .ko) and the key id (the certificate's serial number, "3A:0F:..."). Pure:
 * bytes in, strings out; the bytes are untrusted and every length is
 * checked. */
typedef struct ModSig {
        char *signer;    /* "" when the issuer has no common name */
        char *key_id;
} ModSig;

void modsig_done(ModSig *s);

/* From a module's bytes (decompressed): -ENOENT if it carries no
 * signature, -EBADMSG if the signature is not one kpin can read. */
int ko_signature(const void *data, size_t len, ModSig *ret);

/* The same two fields of an X.509 certificate (DER): the issuer's common
 * name and the serial number, which is what a signature made with that
 * certificate's key names. */
int x509_signer(const void *der, size_t len, ModSig *ret);

/* A PEM certificate ("-----BEGIN CERTIFICATE-----") as DER; -EBADMSG if
 * text is not one. */
int pem_to_der(const char *text, size_t len, unsigned char **ret, size_t *ret_len);
