/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include "core/gpt.h"

static void test_gpt(void **state) {
        /* made with sfdisk: BIOS boot as 14, the ESP as 15, the root as 1,
         * the layout of Debian's cloud images */
        size_t len, n;
        uint8_t *disk = (uint8_t *) read_data("gpt-bios-esp-root.bin", &len);
        GptPart *p;

        (void) state;
        assert_int_equal(len, GPT_READ_BYTES);
        assert_int_equal(gpt_parse(disk, len, &p, &n), 0);
        assert_int_equal(n, 3);
        assert_int_equal(p[0].number, 1);
        assert_string_equal(p[0].type, "0FC63DAF-8483-4772-8E79-3D69D8477DE4");
        assert_int_equal(p[1].number, 14);
        assert_string_equal(p[1].type, "21686148-6449-6E6F-744E-656564454649");
        assert_int_equal(p[2].number, 15);
        assert_string_equal(p[2].type, "C12A7328-F81F-11D2-BA4B-00A0C93EC93B");
        free(p);

        /* short reads, damaged header or entries, no GPT: a partitioning tool decides */
        assert_int_equal(gpt_parse(disk, 1023, &p, &n), -EOPNOTSUPP);
        assert_int_equal(gpt_parse(disk, 4096, &p, &n), -EOPNOTSUPP);
        disk[1024 + 128 * 14 + 40] ^= 1; /* partition 15's name */
        assert_int_equal(gpt_parse(disk, len, &p, &n), -EOPNOTSUPP);
        disk[1024 + 128 * 14 + 40] ^= 1;
        disk[512 + 32] ^= 1; /* the backup header's LBA */
        assert_int_equal(gpt_parse(disk, len, &p, &n), -EOPNOTSUPP);
        disk[512 + 32] ^= 1;
        memset(disk + 512, 0, 512);
        assert_int_equal(gpt_parse(disk, len, &p, &n), -EOPNOTSUPP);
        free(disk);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_gpt),
        };
        return cmocka_run_group_tests_name("gpt", tests, NULL, NULL);
}
