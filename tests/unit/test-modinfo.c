/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include "core/modinfo.h"
#include "shared/strv.h"

/* Decompresses a data file and returns its modinfo. */
static int modinfo_of(const char *name, char ***ret) {
        size_t len, elf_len;
        char *data = read_data(name, &len);
        void *elf = NULL;
        int r;

        r = ko_decompress(data, len, 64u << 20, &elf, &elf_len);
        free(data);
        if (r < 0)
                return r;
        r = ko_modinfo(elf, elf_len, ret);
        free(elf);
        return r;
}

/* The canary as DKMS built it in the bookworm fixture, plain and as gzip
 * and zstd of the same bytes: the same modinfo. */
static void test_canary_all_compressions(void **state) {
        const char *files[] = { "canary-6.1.ko", "canary-6.1.ko.gz", "canary-6.1.ko.zst" };

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                char **mi = NULL;

                assert_int_equal(modinfo_of(files[i], &mi), 0);
                assert_string_equal(ko_modinfo_get(mi, "name"), "canary");
                assert_string_equal(ko_modinfo_get(mi, "version"), "1.0");
                assert_string_equal(ko_modinfo_get(mi, "license"), "GPL");
                assert_true(ko_vermagic_matches(ko_modinfo_get(mi, "vermagic"), "6.1.0-50-cloud-amd64"));
                assert_false(ko_vermagic_matches(ko_modinfo_get(mi, "vermagic"), "6.1.0-5"));
                assert_false(ko_vermagic_matches(ko_modinfo_get(mi, "vermagic"), "6.12.117+deb13-cloud-amd64"));
                assert_null(ko_modinfo_get(mi, "vermagi"));
                strv_free(mi);
        }
}

/* An in-tree module of trixie's kernel, as Debian ships it: .ko.xz. */
static void test_trixie_xz(void **state) {
        size_t len;
        char *data = read_data("crc7-6.12.ko.xz", &len);
        char **mi = NULL;

        (void) state;
        assert_int_equal(ko_compression(data, len), KO_XZ);
        free(data);
        assert_int_equal(modinfo_of("crc7-6.12.ko.xz", &mi), 0);
        assert_true(ko_vermagic_matches(ko_modinfo_get(mi, "vermagic"), "6.12.117+deb13-cloud-amd64"));
        assert_string_equal(ko_modinfo_get(mi, "name"), "crc7");
        strv_free(mi);
}

static void test_corrupt(void **state) {
        size_t len, elf_len;
        char *ko = read_data("canary-6.1.ko", &len);
        char *copy, **mi = NULL;
        void *out = NULL;

        (void) state;
        /* not ELF */
        assert_int_equal(ko_modinfo("hello world, no ELF", 19, &mi), -ENOEXEC);
        assert_int_equal(ko_decompress("hello", 5, 1024, &out, &elf_len), -EPROTO);
        /* truncated ELF: the section headers sit at the end */
        assert_int_equal(ko_modinfo(ko, len / 2, &mi), -EBADMSG);
        assert_int_equal(ko_modinfo(ko, 40, &mi), -EBADMSG);
        /* section header table offset pointing past the end */
        copy = malloc(len);
        assert_non_null(copy);
        memcpy(copy, ko, len);
        memset(copy + 0x28, 0xff, 8);
        assert_int_equal(ko_modinfo(copy, len, &mi), -EBADMSG);
        /* rename .modinfo in the string table: missing section */
        memcpy(copy, ko, len);
        {
                char *p = memmem(copy, len, ".modinfo", 9);

                assert_non_null(p);
                p[1] = 'X';
                assert_int_equal(ko_modinfo(copy, len, &mi), -ENOENT);
        }
        /* wrong class byte */
        memcpy(copy, ko, len);
        copy[4] = 7;
        assert_int_equal(ko_modinfo(copy, len, &mi), -ENOEXEC);
        free(copy);
        free(ko);

        /* truncated and corrupted compressed streams */
        for (int i = 0; i < 3; i++) {
                const char *name[] = { "canary-6.1.ko.gz", "canary-6.1.ko.zst", "crc7-6.12.ko.xz" };
                char *z = read_data(name[i], &len);

                assert_int_equal(ko_decompress(z, len - 64, 64u << 20, &out, &elf_len), -EBADMSG);
                memset(z + len / 2, 0x55, 32);
                assert_int_equal(ko_decompress(z, len, 64u << 20, &out, &elf_len), -EBADMSG);
                free(z);
        }
}

/* A compression bomb stops at the bound. */
static void test_bound(void **state) {
        size_t len, n;
        char *gz = read_data("canary-6.1.ko.gz", &len);
        void *out = NULL;

        (void) state;
        assert_int_equal(ko_decompress(gz, len, 4096, &out, &n), -EFBIG);
        assert_int_equal(ko_decompress(gz, len, 8397, &out, &n), 0);
        assert_int_equal(n, 8397);
        free(out);
        free(gz);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_canary_all_compressions),
                cmocka_unit_test(test_trixie_xz),
                cmocka_unit_test(test_corrupt),
                cmocka_unit_test(test_bound),
        };
        return cmocka_run_group_tests_name("modinfo", tests, NULL, NULL);
}
