/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "netconf.h"
#include "qemuargv.h"
#include "shared/cleanup.h"
#include "shared/strv.h"

static const char *const firmware_names[_FIRMWARE_MAX] = {
        [FIRMWARE_BIOS] = "bios", [FIRMWARE_UEFI] = "uefi", [FIRMWARE_UEFI_SECURE] = "uefi-secure",
};

int firmware_from_string(const char *s, Firmware *ret) {
        for (size_t i = 0; i < _FIRMWARE_MAX; i++)
                if (strcmp(s, firmware_names[i]) == 0) {
                        *ret = (Firmware) i;
                        return 0;
                }
        return -EINVAL;
}

const char *firmware_to_string(Firmware f) {
        return f < _FIRMWARE_MAX ? firmware_names[f] : "unknown";
}

const char *firmware_label(Firmware f) {
        static const char *const labels[_FIRMWARE_MAX] = {
                [FIRMWARE_BIOS] = "BIOS", [FIRMWARE_UEFI] = "UEFI", [FIRMWARE_UEFI_SECURE] = "UEFI Secure Boot",
        };

        return f < _FIRMWARE_MAX ? labels[f] : "unknown";
}

int firmware_spec_parse(const char *s, unsigned *ret) {
        unsigned spec = 0;

        if (strcmp(s, "auto") == 0) {
                *ret = FIRMWARE_SPEC_AUTO;
                return 0;
        }
        for (const char *p = s; *p;) {
                size_t n = strcspn(p, ",");
                Firmware f;
                char word[32];

                if (n == 0 || n >= sizeof(word))
                        return -EINVAL;
                memcpy(word, p, n);
                word[n] = '\0';
                if (strcmp(word, "all") == 0)
                        spec |= FIRMWARE_SPEC_ALL;
                else if (firmware_from_string(word, &f) >= 0)
                        spec |= 1u << f;
                else
                        return -EINVAL;
                p += n;
                if (*p == ',' && !*++p)
                        return -EINVAL;
        }
        if (!spec)
                return -EINVAL;
        *ret = spec;
        return 0;
}

int qemu_vcpus(long host_cores, size_t n_vms) {
        long per = n_vms ? host_cores / (long) n_vms : host_cores;

        return per >= 2 ? 2 : 1;
}

/* QEMU splits option values at commas: a path with one would be read as
 * another option. */
static bool safe_path(const char *p) {
        return p && *p && !strchr(p, ',');
}

static int add(char ***l, const char *fmt_or_arg, const char *a) {
        char *s = a ? strprintf(fmt_or_arg, a) : strdup(fmt_or_arg);

        if (!s)
                return -ENOMEM;
        return strv_consume(l, s);
}

int qemu_argv(const QemuConfig *c, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        char num[32];
        int r = 0;

        if (!safe_path(c->disk) || !safe_path(c->serial_socket) || !safe_path(c->qmp_socket) ||
            c->memory_mb < 128 || c->smp < 1)
                return -EINVAL;
        if (c->firmware != FIRMWARE_BIOS && (!safe_path(c->ovmf_code) || !safe_path(c->ovmf_vars)))
                return -EINVAL;
        if ((c->seed && !safe_path(c->seed)) || (c->results_file && (!safe_path(c->results_file) || !c->results_port || strchr(c->results_port, ','))))
                return -EINVAL;
        if (c->net_switch && (!safe_path(c->net_switch) || netconf_check(c->mac, "0.0.0.0/8") < 0))
                return -EINVAL;

        const char *fixed[] = {
                c->binary ? c->binary : "qemu-system-x86_64",
                "-nodefaults", "-no-user-config", "-display", "none", "-vga", "none",
                /* Secure Boot: the variable store only writable from SMM. No
                 * HPET (as libvirt and mkosi give VMs): emulating it costs the
                 * host CPU, and a trixie guest under TCG once stopped for good
                 * right after switching its clocksource to it. */
                "-machine", c->firmware == FIRMWARE_UEFI_SECURE ? "q35,smm=on,hpet=off" :
                            c->firmware == FIRMWARE_UEFI        ? "q35,hpet=off" : "pc,hpet=off",
                "-accel", c->kvm ? "kvm" : "tcg",
                "-cpu", c->kvm ? "host" : KPIN_TCG_CPU,
                "-no-reboot",               /* a reboot loop ends the test */
        };
        for (size_t i = 0; i < ELEMENTSOF(fixed) && r >= 0; i++)
                r = add(&l, fixed[i], NULL);
        snprintf(num, sizeof(num), "%d", c->memory_mb);
        if (r >= 0)
                r = add(&l, "-m", NULL);
        if (r >= 0)
                r = add(&l, num, NULL);
        snprintf(num, sizeof(num), "%d", c->smp);
        if (r >= 0)
                r = add(&l, "-smp", NULL);
        if (r >= 0)
                r = add(&l, num, NULL);
        if (c->firmware == FIRMWARE_UEFI_SECURE) {
                if (r >= 0)
                        r = add(&l, "-global", NULL);
                if (r >= 0)
                        r = add(&l, "driver=cfi.pflash01,property=secure,value=on", NULL);
        }
        if (c->firmware != FIRMWARE_BIOS) {
                if (r >= 0)
                        r = add(&l, "-drive", NULL);
                if (r >= 0)
                        r = add(&l, "if=pflash,format=raw,unit=0,readonly=on,file=%s", c->ovmf_code);
                if (r >= 0)
                        r = add(&l, "-drive", NULL);
                if (r >= 0)
                        r = add(&l, "if=pflash,format=raw,unit=1,file=%s", c->ovmf_vars);
        }
        if (r >= 0)
                r = add(&l, "-drive", NULL);
        if (r >= 0)
                r = add(&l, "file=%s,format=qcow2,if=virtio,cache=unsafe", c->disk);
        if (c->seed) {
                if (r >= 0)
                        r = add(&l, "-drive", NULL);
                if (r >= 0)
                        r = add(&l, "file=%s,format=raw,if=virtio,readonly=on", c->seed);
        }
        STRV_FOREACH(s, c->smbios_strings) {
                /* QEMU's option syntax: a comma in a value is written twice */
                if (strchr(*s, ','))
                        return -EINVAL;
                if (r >= 0)
                        r = add(&l, "-smbios", NULL);
                if (r >= 0)
                        r = add(&l, "type=11,value=%s", *s);
        }
        /* one NIC on the private segment, without an option ROM (no
         * network boot to try, no iPXE to load), or none at all */
        if (r >= 0)
                r = add(&l, c->net_switch ? "-netdev" : "-nic", NULL);
        if (r >= 0)
                r = add(&l, c->net_switch ? "vde,id=net0,sock=%s" : "none", c->net_switch);
        if (c->net_switch) {
                if (r >= 0)
                        r = add(&l, "-device", NULL);
                if (r >= 0)
                        r = add(&l, "virtio-net-pci,netdev=net0,romfile=,mac=%s", c->mac);
        }
        /* the cluster test's results: a port of their own, into a file */
        if (c->results_file) {
                if (r >= 0)
                        r = add(&l, "-device", NULL);
                if (r >= 0)
                        r = add(&l, "virtio-serial-pci", NULL);
                if (r >= 0)
                        r = add(&l, "-chardev", NULL);
                if (r >= 0)
                        r = add(&l, "file,id=results,path=%s", c->results_file);
                if (r >= 0)
                        r = add(&l, "-device", NULL);
                if (r >= 0)
                        r = add(&l, "virtserialport,chardev=results,name=%s", c->results_port);
        }
        if (r >= 0)
                r = add(&l, "-chardev", NULL);
        if (r >= 0)
                r = add(&l, "socket,id=console,path=%s,server=on,wait=on", c->serial_socket);
        if (r >= 0)
                r = add(&l, "-serial", NULL);
        if (r >= 0)
                r = add(&l, "chardev:console", NULL);
        if (r >= 0)
                r = add(&l, "-qmp", NULL);
        if (r >= 0)
                r = add(&l, "unix:%s,server=on,wait=off", c->qmp_socket);
        if (r >= 0)
                r = add(&l, "-monitor", NULL);
        if (r >= 0)
                r = add(&l, "none", NULL);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}
