/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include "core/modsig.h"

/* canary.ko as DKMS 3 built and signed it in a repaired trixie image, and
 * the image's /var/lib/dkms/mok.pub: modinfo says signer "DKMS module
 * signing key", sig_key 1A:69:...:22. */
static void test_signed_module(void **state) {
        size_t len, clen;
        char *ko = read_data("canary-6.1-dkms-signed.ko", &len), *cert = read_data("dkms-mok.der", &clen);
        ModSig s = {}, c = {};

        (void) state;
        assert_int_equal(ko_signature(ko, len, &s), 0);
        assert_string_equal(s.signer, "DKMS module signing key");
        assert_string_equal(s.key_id, "1A:69:AD:8F:2F:46:6A:A6:CA:8D:29:C6:3D:AE:9A:5F:42:60:76:22");
        /* the certificate names the same signer: that key signed it */
        assert_int_equal(x509_signer(cert, clen, &c), 0);
        assert_string_equal(c.signer, s.signer);
        assert_string_equal(c.key_id, s.key_id);
        modsig_done(&c);

        /* without its trailer the module is unsigned; cut short, malformed */
        assert_int_equal(ko_signature(ko, len - 1, &c), -ENOENT);
        assert_int_equal(ko_signature(ko + len - 100, 100, &c), -EBADMSG);
        ko[len - 28 - 12 + 2] = 1; /* id_type: not PKCS#7 */
        assert_int_equal(ko_signature(ko, len, &c), -EBADMSG);
        modsig_done(&s);
        free(ko);
        free(cert);
}

static void test_pem(void **state) {
        size_t len, dlen;
        char *pem = read_data("site-cert.pem", &len);
        unsigned char *der = NULL;
        ModSig c = {};

        (void) state;
        assert_int_equal(pem_to_der(pem, len, &der, &dlen), 0);
        assert_int_equal(x509_signer(der, dlen, &c), 0);
        assert_string_equal(c.signer, "Example site module signing");
        assert_non_null(strchr(c.key_id, ':'));
        modsig_done(&c);
        free(der);
        assert_int_equal(pem_to_der("not a certificate", 17, &der, &dlen), -EBADMSG);
        assert_int_equal(x509_signer("\x30\x03\x02\x01", 4, &c), -EBADMSG);
        free(pem);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_signed_module),
                cmocka_unit_test(test_pem),
        };
        return cmocka_run_group_tests_name("modsig", tests, NULL, NULL);
}
