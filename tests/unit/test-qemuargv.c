/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include "core/qemuargv.h"
#include "shared/strv.h"

static bool has_pair(char **argv, const char *opt, const char *value) {
        for (size_t i = 0; argv[i] && argv[i + 1]; i++)
                if (strcmp(argv[i], opt) == 0 && strcmp(argv[i + 1], value) == 0)
                        return true;
        return false;
}

static void test_bios_tcg(void **state) {
        QemuConfig c = { .memory_mb = 1024, .smp = 2, .disk = "/var/tmp/o.qcow2", .serial_socket = "/run/s",
                         .qmp_socket = "/run/q" };
        char **argv = NULL;

        (void) state;
        assert_int_equal(qemu_argv(&c, &argv), 0);
        assert_string_equal(argv[0], "qemu-system-x86_64");
        assert_true(has_pair(argv, "-nic", "none"));
        assert_true(strv_contains(argv, "-nodefaults"));
        assert_true(has_pair(argv, "-accel", "tcg"));
        /* not "max": its AVX2 is slow under TCG; x86-64-v2 stays */
        assert_true(has_pair(argv, "-cpu", "qemu64,+ssse3,+sse4.1,+sse4.2,+popcnt,+cx16"));
        assert_true(has_pair(argv, "-machine", "pc,hpet=off"));
        assert_true(has_pair(argv, "-m", "1024"));
        assert_true(has_pair(argv, "-drive", "file=/var/tmp/o.qcow2,format=qcow2,if=virtio,cache=unsafe"));
        assert_true(has_pair(argv, "-chardev", "socket,id=console,path=/run/s,server=on,wait=on"));
        assert_true(has_pair(argv, "-serial", "chardev:console"));
        assert_true(has_pair(argv, "-qmp", "unix:/run/q,server=on,wait=off"));
        /* no -kernel shortcut, no network device, no shared folder */
        assert_false(strv_contains(argv, "-kernel"));
        assert_false(strv_contains(argv, "-netdev"));
        assert_false(strv_contains(argv, "-virtfs"));
        for (size_t i = 0; argv[i]; i++)
                assert_null(strstr(argv[i], "pflash"));
        strv_free(argv);
}

static void test_uefi_kvm(void **state) {
        QemuConfig c = { .kvm = true, .memory_mb = 2048, .smp = 4, .disk = "/d", .firmware = FIRMWARE_UEFI,
                         .ovmf_code = "/usr/share/OVMF/OVMF_CODE.fd", .ovmf_vars = "/var/tmp/vars.fd",
                         .serial_socket = "/s", .qmp_socket = "/q", .binary = "/opt/qemu" };
        char **argv = NULL;
        Firmware f;

        (void) state;
        assert_int_equal(qemu_argv(&c, &argv), 0);
        assert_string_equal(argv[0], "/opt/qemu");
        assert_true(has_pair(argv, "-accel", "kvm"));
        assert_true(has_pair(argv, "-cpu", "host"));
        assert_true(has_pair(argv, "-machine", "q35,hpet=off"));
        assert_true(has_pair(argv, "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE.fd"));
        assert_true(has_pair(argv, "-drive", "if=pflash,format=raw,unit=1,file=/var/tmp/vars.fd"));
        strv_free(argv);

        assert_int_equal(firmware_from_string("uefi", &f), 0);
        assert_int_equal(f, FIRMWARE_UEFI);
        assert_int_equal(firmware_from_string("efi", &f), -EINVAL);
}

static void test_secure_boot_seed_credentials(void **state) {
        char *creds[] = { "io.systemd.credential.binary:kpin.probe=IyEvYmluL3No", NULL };
        QemuConfig c = { .memory_mb = 1024, .smp = 2, .disk = "/d", .firmware = FIRMWARE_UEFI_SECURE,
                         .ovmf_code = "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd", .ovmf_vars = "/run/vars.fd",
                         .seed = "/run/seed.img", .smbios_strings = creds, .serial_socket = "/s", .qmp_socket = "/q" };
        char **argv = NULL;

        (void) state;
        assert_int_equal(qemu_argv(&c, &argv), 0);
        /* Secure Boot: SMM, and the flash writable only from it */
        assert_true(has_pair(argv, "-machine", "q35,smm=on,hpet=off"));
        assert_true(has_pair(argv, "-global", "driver=cfi.pflash01,property=secure,value=on"));
        assert_true(has_pair(argv, "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd"));
        assert_true(has_pair(argv, "-drive", "file=/run/seed.img,format=raw,if=virtio,readonly=on"));
        assert_true(has_pair(argv, "-smbios", "type=11,value=io.systemd.credential.binary:kpin.probe=IyEvYmluL3No"));
        assert_true(has_pair(argv, "-nic", "none"));
        strv_free(argv);

        /* a comma in an SMBIOS string would be read as another option */
        creds[0] = "io.systemd.credential:a=b,c";
        assert_int_equal(qemu_argv(&c, &argv), -EINVAL);
}

/* One NIC on the private segment: vde on a unix socket, its own MAC, no
 * option ROM; never a user-mode, tap or socket backend. */
static void test_private_nic(void **state) {
        QemuConfig c = { .memory_mb = 1024, .smp = 1, .disk = "/d", .serial_socket = "/s", .qmp_socket = "/q",
                         .net_switch = "/var/tmp/kpin-boot-1-x/switch", .mac = "52:54:00:0a:bc:de" };
        char **argv = NULL;

        (void) state;
        assert_int_equal(qemu_argv(&c, &argv), 0);
        assert_true(has_pair(argv, "-netdev", "vde,id=net0,sock=/var/tmp/kpin-boot-1-x/switch"));
        assert_true(has_pair(argv, "-device", "virtio-net-pci,netdev=net0,romfile=,mac=52:54:00:0a:bc:de"));
        assert_false(strv_contains(argv, "-nic"));
        /* the one backend is vde: no user, tap, socket or stream netdev */
        for (size_t i = 0; argv[i] && argv[i + 1]; i++)
                if (strcmp(argv[i], "-netdev") == 0)
                        assert_true(startswith(argv[i + 1], "vde,"));
        strv_free(argv);
        /* a MAC that is not one, a switch path QEMU would misparse */
        c.mac = "52:54:00:0a:bc";
        assert_int_equal(qemu_argv(&c, &argv), -EINVAL);
        c.mac = NULL;
        assert_int_equal(qemu_argv(&c, &argv), -EINVAL);
        c.mac = "52:54:00:0a:bc:de";
        c.net_switch = "/tmp/a,b";
        assert_int_equal(qemu_argv(&c, &argv), -EINVAL);
}

/* the cluster test's results: a virtio-serial port of its own, into a file */
static void test_results_port(void **state) {
        QemuConfig c = { .memory_mb = 1024, .smp = 1, .disk = "/d", .serial_socket = "/s", .qmp_socket = "/q",
                         .results_file = "/var/tmp/kpin-cluster-1-x/compute1.results.log", .results_port = "org.kpin.results" };
        char **argv = NULL;

        (void) state;
        assert_int_equal(qemu_argv(&c, &argv), 0);
        assert_true(has_pair(argv, "-device", "virtio-serial-pci"));
        assert_true(has_pair(argv, "-chardev", "file,id=results,path=/var/tmp/kpin-cluster-1-x/compute1.results.log"));
        assert_true(has_pair(argv, "-device", "virtserialport,chardev=results,name=org.kpin.results"));
        /* the console stays the serial port's */
        assert_true(has_pair(argv, "-serial", "chardev:console"));
        strv_free(argv);
        c.results_file = "/tmp/a,b";
        assert_int_equal(qemu_argv(&c, &argv), -EINVAL);
        c.results_file = "/tmp/r";
        c.results_port = NULL;
        assert_int_equal(qemu_argv(&c, &argv), -EINVAL);
        /* without one, no virtio-serial at all */
        c.results_file = NULL;
        assert_int_equal(qemu_argv(&c, &argv), 0);
        assert_false(strv_contains(argv, "virtio-serial-pci"));
        strv_free(argv);
}

static void test_vcpus(void **state) {
        (void) state;
        assert_int_equal(qemu_vcpus(2, 1), 2);   /* one VM on these 2 cores: as before */
        assert_int_equal(qemu_vcpus(1, 1), 1);
        assert_int_equal(qemu_vcpus(2, 3), 1);   /* a controller and two computes share */
        assert_int_equal(qemu_vcpus(16, 3), 2);
        assert_int_equal(qemu_vcpus(64, 1), 2);  /* more do not make a boot faster */
        assert_int_equal(qemu_vcpus(0, 0), 1);
}

static void test_firmware_spec(void **state) {
        unsigned s;
        Firmware f;

        (void) state;
        assert_int_equal(firmware_spec_parse("auto", &s), 0);
        assert_int_equal(s, FIRMWARE_SPEC_AUTO);
        assert_int_equal(firmware_spec_parse("all", &s), 0);
        assert_int_equal(s, FIRMWARE_SPEC_ALL);
        assert_int_equal(firmware_spec_parse("bios,uefi-secure", &s), 0);
        assert_int_equal(s, (1u << FIRMWARE_BIOS) | (1u << FIRMWARE_UEFI_SECURE));
        assert_int_equal(firmware_spec_parse("all,uefi-secure", &s), 0);
        assert_int_equal(s, FIRMWARE_SPEC_ALL | (1u << FIRMWARE_UEFI_SECURE));
        assert_int_equal(firmware_spec_parse("", &s), -EINVAL);
        assert_int_equal(firmware_spec_parse("bios,", &s), -EINVAL);
        assert_int_equal(firmware_spec_parse(",bios", &s), -EINVAL);
        assert_int_equal(firmware_spec_parse("bios,,uefi", &s), -EINVAL);
        assert_int_equal(firmware_spec_parse("efi", &s), -EINVAL);
        assert_int_equal(firmware_spec_parse("auto,bios", &s), -EINVAL);
        assert_int_equal(firmware_from_string("uefi-secure", &f), 0);
        assert_int_equal(f, FIRMWARE_UEFI_SECURE);
        assert_string_equal(firmware_to_string(FIRMWARE_UEFI_SECURE), "uefi-secure");
        assert_string_equal(firmware_label(FIRMWARE_UEFI), "UEFI");
}

static void test_refused(void **state) {
        QemuConfig c = { .memory_mb = 1024, .smp = 1, .disk = "/a,b.qcow2", .serial_socket = "/s", .qmp_socket = "/q" };
        char **argv = NULL;

        (void) state;
        /* a comma would let the path inject options */
        assert_int_equal(qemu_argv(&c, &argv), -EINVAL);
        c.disk = "/ok.qcow2";
        c.firmware = FIRMWARE_UEFI;
        assert_int_equal(qemu_argv(&c, &argv), -EINVAL); /* no OVMF given */
        c.firmware = FIRMWARE_BIOS;
        c.memory_mb = 16;
        assert_int_equal(qemu_argv(&c, &argv), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bios_tcg),
                cmocka_unit_test(test_uefi_kvm),
                cmocka_unit_test(test_secure_boot_seed_credentials),
                cmocka_unit_test(test_private_nic),
                cmocka_unit_test(test_results_port),
                cmocka_unit_test(test_vcpus),
                cmocka_unit_test(test_firmware_spec),
                cmocka_unit_test(test_refused),
        };
        return cmocka_run_group_tests_name("qemuargv", tests, NULL, NULL);
}
