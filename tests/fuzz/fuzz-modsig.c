/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/modsig.h"
#include "core/pe.h"
#include "fuzz.h"

/* What the guest hands kpin to read signatures from: a module's trailer
 * (PKCS#7), a certificate (DER or PEM), an EFI loader's PE header. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ModSig s = {};
        unsigned char *der = NULL;
        size_t n = 0;

        if (ko_signature(data, size, &s) >= 0)
                modsig_done(&s);
        if (x509_signer(data, size, &s) >= 0)
                modsig_done(&s);
        if (pem_to_der((const char *) data, size, &der, &n) >= 0) {
                if (x509_signer(der, n, &s) >= 0)
                        modsig_done(&s);
                free(der);
        }
        (void) pe_signed(data, size);
        return 0;
}
