/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include "core/imgfmt.h"

#define CL 65536u

typedef struct Mem {
        unsigned char *p;
        size_t size;
} Mem;

static void put32(unsigned char *p, uint32_t v) {
        p[0] = v >> 24;
        p[1] = v >> 16;
        p[2] = v >> 8;
        p[3] = v;
}

static void put64(unsigned char *p, uint64_t v) {
        put32(p, v >> 32);
        put32(p + 4, (uint32_t) v);
}

/* A minimal valid qcow2 v3 as qemu-img lays it out: header, refcount table,
 * refcount block, L1, one L2, one data cluster (64 KiB clusters, 1 GiB). */
static Mem make_qcow2(void) {
        Mem m = { .size = 6 * CL };

        m.p = calloc(1, m.size);
        assert_non_null(m.p);
        put32(m.p, 0x514649fb);
        put32(m.p + 4, 3);
        put32(m.p + 20, 16);
        put64(m.p + 24, 1ULL << 30);
        put32(m.p + 36, 2);         /* l1_size: 2 x 512 MiB */
        put64(m.p + 40, 3 * CL);
        put64(m.p + 48, 1 * CL);
        put32(m.p + 56, 1);
        put32(m.p + 96, 4);         /* refcount_order */
        put32(m.p + 100, 104);
        put64(m.p + 1 * CL, 2 * CL);                       /* refcount table -> block */
        put64(m.p + 3 * CL, (4 * CL) | (1ULL << 63));      /* L1[0] -> L2 (COPIED flag) */
        put64(m.p + 4 * CL, (5 * CL) | (1ULL << 63));      /* L2[0] -> data */
        return m;
}

static int identify(Mem *m, ImageInfo *info, char **why) {
        ImageMem im = { m->p, m->size };

        return image_identify(image_read_mem, &im, m->size, info, why);
}

static void expect_fail(Mem *m, int err, const char *why_part) {
        ImageInfo info = {};
        char *why = NULL;
        int r = identify(m, &info, &why);

        if (r != err)
                fail_msg("identify = %d (%s), want %d", r, why ? why : "", err);
        assert_non_null(why);
        if (!strstr(why, why_part))
                fail_msg("'%s' does not say '%s'", why, why_part);
        free(why);
}

static void test_valid_qcow2(void **state) {
        Mem m = make_qcow2();
        ImageInfo info = {};
        char *why = NULL;

        (void) state;
        assert_int_equal(identify(&m, &info, &why), 0);
        assert_int_equal(info.format, IMAGE_FORMAT_QCOW2);
        assert_int_equal(info.virtual_size, 1ULL << 30);
        assert_int_equal(info.qcow2_version, 3);
        assert_null(info.backing_file);
        assert_false(info.dirty);
        assert_null(why);
        image_info_done(&info);

        /* dirty (not cleanly closed) is still readable, and said */
        put64(m.p + 72, 1);
        assert_int_equal(identify(&m, &info, NULL), 0);
        assert_true(info.dirty);
        image_info_done(&info);

        /* a backing file name is read out of the header */
        put64(m.p + 8, 0x200);
        put32(m.p + 16, 10);
        memcpy(m.p + 0x200, "base.qcow2", 10);
        assert_int_equal(identify(&m, &info, NULL), 0);
        assert_string_equal(info.backing_file, "base.qcow2");
        assert_null(info.backing_format);
        image_info_done(&info);

        /* and its format from the header extension qemu-img -F writes */
        put32(m.p + 104, 0xe2792aca);
        put32(m.p + 108, 3);
        memcpy(m.p + 112, "raw", 3);
        assert_int_equal(identify(&m, &info, NULL), 0);
        assert_string_equal(info.backing_format, "raw");
        image_info_done(&info);

        /* an extension running into the backing file name is corrupt */
        put32(m.p + 108, 0x1000);
        expect_fail(&m, -EBADMSG, "extension 0xe2792aca runs past the header");
        put32(m.p + 108, 3);
        put32(m.p + 100, 8);
        expect_fail(&m, -EBADMSG, "header length 8");
        free(m.p);
}

static void test_truncated_qcow2(void **state) {
        Mem m = make_qcow2();

        (void) state;
        m.size = 5 * CL; /* the data cluster is gone */
        expect_fail(&m, -EBADMSG, "truncated: data cluster at offset 327680");
        m.size = 4 * CL; /* the L2 table too */
        expect_fail(&m, -EBADMSG, "truncated: L2 table");
        m.size = 3 * CL; /* and the L1 */
        expect_fail(&m, -EBADMSG, "L1 table lies outside the file");
        m.size = 100;
        expect_fail(&m, -EBADMSG, "truncated qcow2 header");
        m.size = 50;
        expect_fail(&m, -EBADMSG, "truncated qcow2 header");
        free(m.p);

        m = make_qcow2();
        put64(m.p + 1 * CL, 9 * CL);
        expect_fail(&m, -EBADMSG, "refcount block");
        free(m.p);

        m = make_qcow2();
        put64(m.p + 4 * CL, (1ULL << 62) | (7ULL * CL)); /* compressed, past EOF */
        expect_fail(&m, -EBADMSG, "compressed cluster");
        free(m.p);

        m = make_qcow2();
        put64(m.p + 4 * CL, 5 * CL + 512); /* unaligned */
        expect_fail(&m, -EBADMSG, "unaligned");
        free(m.p);
}

static void test_bad_qcow2_headers(void **state) {
        Mem m;

        (void) state;
        m = make_qcow2();
        put64(m.p + 72, 2);
        expect_fail(&m, -EBADMSG, "marked corrupt");
        put64(m.p + 72, 4);
        expect_fail(&m, -EPROTONOSUPPORT, "external data file");
        put64(m.p + 72, 1ULL << 40);
        expect_fail(&m, -EPROTONOSUPPORT, "unknown incompatible features");
        put64(m.p + 72, 0);
        put32(m.p + 32, 1);
        expect_fail(&m, -EPROTONOSUPPORT, "encrypted");
        put32(m.p + 32, 0);
        put32(m.p + 4, 4);
        expect_fail(&m, -EPROTONOSUPPORT, "version 4");
        put32(m.p + 4, 3);
        put32(m.p + 20, 30);
        expect_fail(&m, -EBADMSG, "cluster_bits");
        put32(m.p + 20, 16);
        put64(m.p + 24, 1ULL << 40); /* 1 TiB does not fit 2 L1 entries */
        expect_fail(&m, -EBADMSG, "L1 table too small");
        put64(m.p + 24, 1ULL << 30);
        put64(m.p + 8, 0x200);
        put32(m.p + 16, 5000);
        expect_fail(&m, -EBADMSG, "backing file name");
        put32(m.p + 16, 4);
        memcpy(m.p + 0x200, "a\0bc", 4);
        expect_fail(&m, -EBADMSG, "NUL byte");
        free(m.p);
}

static void test_every_header_byte(void **state) {
        /* Damage each header byte in turn: always an answer, never a crash
         * (ASan/valgrind watch the reads). */
        (void) state;
        for (size_t i = 0; i < 112; i++) {
                Mem m = make_qcow2();
                ImageInfo info = {};
                char *why = NULL;
                int r;

                m.p[i] ^= 0xff;
                r = identify(&m, &info, &why);
                assert_true(r == 0 || r == -EBADMSG || r == -EPROTONOSUPPORT || r == -EMEDIUMTYPE || r == -ENOMEM);
                assert_true(r == 0 || why != NULL);
                image_info_done(&info);
                free(why);
                free(m.p);
        }
}

static void test_raw_and_others(void **state) {
        Mem m = { .size = 1 << 20 };
        ImageInfo info = {};
        static const char text[] = "this is a text file, not a disk image\n";

        (void) state;
        m.p = calloc(1, m.size);
        assert_non_null(m.p);
        expect_fail(&m, -EMEDIUMTYPE, "not a disk image (no qcow2 header, partition table");
        m.p[510] = 0x55;
        m.p[511] = 0xaa;
        assert_int_equal(identify(&m, &info, NULL), 0);
        assert_int_equal(info.format, IMAGE_FORMAT_RAW);
        assert_int_equal(info.virtual_size, 1 << 20);
        image_info_done(&info);
        m.p[510] = m.p[511] = 0;
        m.p[1080] = 0x53;
        m.p[1081] = 0xef;
        assert_int_equal(identify(&m, &info, NULL), 0);
        m.p[1080] = m.p[1081] = 0;
        memcpy(m.p, "KDMV", 4);
        expect_fail(&m, -EPROTONOSUPPORT, "vmdk images are not supported");
        memcpy(m.p, "vhdxfile", 8);
        expect_fail(&m, -EPROTONOSUPPORT, "vhdx");
        free(m.p);

        m.p = (unsigned char *) text;
        m.size = strlen(text);
        expect_fail(&m, -EMEDIUMTYPE, "not a disk image");
        m.size = 0;
        expect_fail(&m, -EMEDIUMTYPE, "empty file");
}

static int failing_read(void *userdata, uint64_t off, void *buf, size_t len) {
        (void) userdata;
        (void) off;
        (void) buf;
        (void) len;
        return -EIO;
}

static void test_read_error(void **state) {
        ImageInfo info = {};
        char *why = NULL;

        (void) state;
        assert_int_equal(image_identify(failing_read, NULL, 4096, &info, &why), -EIO);
        assert_non_null(why);
        free(why);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_valid_qcow2),
                cmocka_unit_test(test_truncated_qcow2),
                cmocka_unit_test(test_bad_qcow2_headers),
                cmocka_unit_test(test_every_header_byte),
                cmocka_unit_test(test_raw_and_others),
                cmocka_unit_test(test_read_error),
        };
        return cmocka_run_group_tests_name("imgfmt", tests, NULL, NULL);
}
