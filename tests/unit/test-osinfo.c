/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include "core/osinfo.h"

static int mounts(const char *text, FstabMount **m, size_t *n) {
        return fstab_mounts(text, strlen(text), m, n);
}

static void test_fstab_cloud_image(void **state) {
        /* Debian's cloud images, and what sites add to them */
        static const char text[] = "# /etc/fstab: static file system information.\n"
                                   "UUID=75e30df2-49a1-43fe-a5c4-6e257cc481a0\t/\text4\terrors=remount-ro\t0\t1\n"
                                   "UUID=05D4-ADFF  /boot/efi  vfat  umask=0077  0  1\n"
                                   "\n"
                                   "   # indented comment\n"
                                   "LABEL=scratch /scratch xfs defaults,nofail 0 2\n"
                                   "/dev/disk/by-uuid/0b7d6f1e-2b8f-4c1e-9b3a-6a1f4c2d9e10 /var ext4 defaults 0 2\n"
                                   "tmpfs /tmp tmpfs defaults 0 0\n"
                                   "proc /proc proc defaults 0 0\n"
                                   "UUID=1111-2222 none swap sw 0 0\n"
                                   "UUID=3333-4444 /media/usb vfat noauto 0 0\n"
                                   "/dev/cdrom /mnt/cdrom iso9660 noauto 0 0\n"
                                   "storage:/home /home nfs4 defaults 0 0\n"
                                   "mgmt01:/beegfs /mnt/beegfs beegfs defaults 0 0\n";
        FstabMount *m;
        size_t n;

        (void) state;
        assert_int_equal(mounts(text, &m, &n), 0);
        assert_int_equal(n, 4);
        assert_int_equal(m[0].spec, FSTAB_SPEC_UUID);
        assert_string_equal(m[0].key, "75e30df2-49a1-43fe-a5c4-6e257cc481a0");
        assert_string_equal(m[0].mountpoint, "/");
        assert_string_equal(m[1].key, "05D4-ADFF");
        assert_string_equal(m[1].mountpoint, "/boot/efi");
        assert_int_equal(m[2].spec, FSTAB_SPEC_LABEL);
        assert_string_equal(m[2].key, "scratch");
        assert_int_equal(m[3].spec, FSTAB_SPEC_UUID);
        assert_string_equal(m[3].key, "0b7d6f1e-2b8f-4c1e-9b3a-6a1f4c2d9e10");
        assert_string_equal(m[3].mountpoint, "/var");
        fstab_mounts_free(m, n);

        assert_int_equal(mounts("/dev/root / ext4 defaults 0 1", &m, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(m[0].spec, FSTAB_SPEC_ROOT);
        assert_null(m[0].key);
        fstab_mounts_free(m, n);

        assert_int_equal(mounts("", &m, &n), 0);
        assert_int_equal(n, 0);
        fstab_mounts_free(m, n);
}

static void test_fstab_full_inspection(void **state) {
        /* what only libguestfs's own inspection resolves */
        static const char *const others[] = {
                "/dev/vda1 / ext4 defaults 0 1\n",
                "/dev/mapper/vg0-root / ext4 defaults 0 1\n",
                "PARTUUID=5b5c4e1a-01 / ext4 defaults 0 1\n",
                "PARTLABEL=root / ext4 defaults 0 1\n",
                "UUID=\"75e30df2\" / ext4 defaults 0 1\n",
                "LABEL=my\\040disk /data ext4 defaults 0 2\n",
                "UUID=75e30df2 / btrfs subvol=@ 0 0\n",
                "UUID=75e30df2 / ext4 defaults 0 1\nUUID=8f0a / ext4 defaults 0 1\n",
                "UUID=75e30df2 /usr/ ext4 defaults 0 2\n",
                "UUID=75e30df2 /usr//local ext4 defaults 0 2\n",
                "UUID=75e30df2 /srv/../etc ext4 defaults 0 2\n",
                "UUID= / ext4 defaults 0 1\n",
                "UUID=75e30df2 /\n",
                "UUID=75e30df2 data ext4 defaults 0 2\n",
        };
        FstabMount *m;
        size_t n;

        (void) state;
        for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
                assert_int_equal(mounts(others[i], &m, &n), -EOPNOTSUPP);
        assert_int_equal(fstab_mounts("UUID=x / ext4\0", 14, &m, &n), -EBADMSG);
        {
                /* bounded: too many entries, too many bytes */
                char *big = malloc(FSTAB_MAX_BYTES + 2);
                size_t len = 0;

                assert_non_null(big);
                for (int i = 0; i <= FSTAB_MAX_MOUNTS; i++)
                        len += (size_t) sprintf(big + len, "LABEL=d%d /d%d ext4 defaults 0 2\n", i, i);
                assert_int_equal(fstab_mounts(big, len, &m, &n), -EOPNOTSUPP);
                memset(big, '#', FSTAB_MAX_BYTES + 1);
                assert_int_equal(fstab_mounts(big, FSTAB_MAX_BYTES + 1, &m, &n), -EOPNOTSUPP);
                free(big);
        }
}

static void test_os_version(void **state) {
        int major = -1, minor = -1;

        (void) state;
        assert_int_equal(os_version("debian", "13", "13.8\n", &major, &minor), 0);
        assert_int_equal(major, 13);
        assert_int_equal(minor, 8);
        assert_int_equal(os_version("debian", "12", "12.13\n", &major, &minor), 0);
        assert_int_equal(major, 12);
        assert_int_equal(minor, 13);
        assert_int_equal(os_version("debian", NULL, "11\n", &major, &minor), 0);
        assert_int_equal(major, 11);
        assert_int_equal(minor, 0);
        assert_int_equal(os_version("ubuntu", "24.04", NULL, &major, &minor), 0);
        assert_int_equal(major, 24);
        assert_int_equal(minor, 4);
        /* testing and unstable, a missing file, another distribution */
        assert_int_equal(os_version("debian", NULL, "trixie/sid\n", &major, &minor), -EOPNOTSUPP);
        assert_int_equal(os_version("debian", "13", NULL, &major, &minor), -EOPNOTSUPP);
        assert_int_equal(os_version("debian", "13", "13.8~rc1\n", &major, &minor), -EOPNOTSUPP);
        assert_int_equal(os_version("debian", "13", "99999999999999999999\n", &major, &minor), -EOPNOTSUPP);
        assert_int_equal(os_version("ubuntu", NULL, NULL, &major, &minor), -EOPNOTSUPP);
        assert_int_equal(os_version("fedora", "40", NULL, &major, &minor), -EOPNOTSUPP);
        assert_int_equal(os_version(NULL, "40", NULL, &major, &minor), -EOPNOTSUPP);
}

static void test_elf_arch(void **state) {
        uint8_t h[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };

        (void) state;
        h[18] = 62;
        assert_string_equal(elf_arch(h, sizeof(h)), "x86_64");
        h[18] = 183;
        assert_string_equal(elf_arch(h, sizeof(h)), "aarch64");
        h[4] = 1, h[18] = 3;
        assert_string_equal(elf_arch(h, sizeof(h)), "i386");
        h[4] = 2, h[18] = 62;
        assert_null(elf_arch(h, 19)); /* short */
        h[5] = 2;
        assert_null(elf_arch(h, sizeof(h))); /* big-endian */
        h[5] = 1, h[18] = 243;
        assert_null(elf_arch(h, sizeof(h))); /* riscv: not a name we promise */
        assert_null(elf_arch((const uint8_t *) "#!/bin/sh\nexec true\n", 20));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fstab_cloud_image),
                cmocka_unit_test(test_fstab_full_inspection),
                cmocka_unit_test(test_os_version),
                cmocka_unit_test(test_elf_arch),
        };
        return cmocka_run_group_tests_name("osinfo", tests, NULL, NULL);
}
