/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "qemuargv.h"
#include "shared/cleanup.h"
#include "shared/strv.h"

int firmware_from_string(const char *s, Firmware *ret) {
        if (strcmp(s, "bios") == 0)
                *ret = FIRMWARE_BIOS;
        else if (strcmp(s, "uefi") == 0)
                *ret = FIRMWARE_UEFI;
        else
                return -EINVAL;
        return 0;
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
        if (c->firmware == FIRMWARE_UEFI && (!safe_path(c->ovmf_code) || !safe_path(c->ovmf_vars)))
                return -EINVAL;

        const char *fixed[] = {
                c->binary ? c->binary : "qemu-system-x86_64",
                "-nodefaults", "-no-user-config", "-display", "none", "-vga", "none",
                "-nic", "none",             /* no network */
                "-machine", c->firmware == FIRMWARE_UEFI ? "q35" : "pc",
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
        if (c->firmware == FIRMWARE_UEFI) {
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
