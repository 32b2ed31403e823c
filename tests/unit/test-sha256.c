/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include "core/sha256.h"

static const char *hash(const char *text, size_t repeat, char out[65]) {
        Sha256 s;

        sha256_init(&s);
        for (size_t i = 0; i < repeat; i++)
                sha256_update(&s, text, strlen(text));
        sha256_hex(&s, out);
        return out;
}

/* FIPS 180-4's examples and sha256sum's answers */
static void test_vectors(void **state) {
        char out[65];

        (void) state;
        assert_string_equal(hash("", 1, out), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_string_equal(hash("abc", 1, out), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_string_equal(hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1, out),
                            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
        assert_string_equal(hash("a", 1000000, out), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_vectors),
        };
        return cmocka_run_group_tests_name("sha256", tests, NULL, NULL);
}
