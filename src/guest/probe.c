/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <guestfs.h>
#include <string.h>
#include <sys/random.h>

#include "probe.h"
#include "shared/cleanup.h"
#include "shared/log.h"
#include "shared/strv.h"

#define PROBE_BIN "/usr/local/sbin/kpin-probe"
#define PROBE_UNIT "/etc/systemd/system/kpin-probe.service"
#define PROBE_WANTS "/etc/systemd/system/multi-user.target.wants/kpin-probe.service"
#define PROBE_MODULES "/etc/kpin-probe.modules"

/* Runs in the guest under /bin/sh; its only inputs are the token file and
 * the module list, both written by kpin. */
static const char probe_script[] =
        "#!/bin/sh\n"
        "# kpin boot-test probe: reports on the serial console, then powers off.\n"
        "T=$(cat /etc/kpin-probe.token)\n"
        "C=/dev/ttyS0\n"
        "out() { printf 'KPIN-PROBE %s %s\\n' \"$T\" \"$*\" >\"$C\"; }\n"
        "printf 'KPIN-PROBE-BEGIN %s\\n' \"$T\" >\"$C\"\n"
        "out \"uname=$(uname -r)\"\n"
        "while read -r m; do\n"
        "\t[ -n \"$m\" ] || continue\n"
        "\tif modprobe \"$m\" 2>/dev/null; then r=ok; else r=failed; fi\n"
        "\tmm=$(printf '%s' \"$m\" | tr - _)\n"
        "\tif grep -q \"^$mm \" /proc/modules; then l=yes; else l=no; fi\n"
        "\tout \"module=$m modprobe=$r loaded=$l\"\n"
        "done <" PROBE_MODULES "\n"
        "f=$(systemctl --failed --plain --no-legend --no-pager 2>/dev/null | awk '{print $1}' | grep -v '^kpin-probe' | tr '\\n' ' ')\n"
        "out \"failed-units=$f\"\n"
        "if command -v dkms >/dev/null; then\n"
        "\tdkms status 2>/dev/null | head -n 50 | while IFS= read -r l; do out \"dkms=$l\"; done\n"
        "fi\n"
        "printf 'KPIN-PROBE-END %s\\n' \"$T\" >\"$C\"\n"
        "sync\n"
        "systemctl --no-block poweroff\n";

static const char probe_unit[] =
        "# Written by kpin boot-test into a throw-away overlay.\n"
        "[Unit]\n"
        "Description=kpin boot-test probe\n"
        "After=multi-user.target\n"
        "\n"
        "[Service]\n"
        "Type=oneshot\n"
        "ExecStart=" PROBE_BIN "\n"
        "StandardOutput=journal\n"
        "\n"
        "[Install]\n"
        "WantedBy=multi-user.target\n";

int probe_token(char ret[static 17]) {
        static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
        unsigned char b[16];

        if (getrandom(b, sizeof(b), 0) != (ssize_t) sizeof(b))
                return -errno;
        for (size_t i = 0; i < 16; i++)
                ret[i] = alphabet[b[i] % (sizeof(alphabet) - 1)];
        ret[16] = '\0';
        return 0;
}

static bool module_name_ok(const char *m) {
        if (!*m || strlen(m) > 64)
                return false;
        for (const char *p = m; *p; p++)
                if (!isalnum((unsigned char) *p) && *p != '_' && *p != '-')
                        return false;
        return true;
}

int probe_inject(Guest *gu, const char *token, char * const *modules) {
        _cleanup_free_ char *list = NULL, *tok = NULL;
        size_t len = 0;

        STRV_FOREACH(m, modules) {
                char *n;

                if (!module_name_ok(*m))
                        return log_fail(KPIN_EXIT_USAGE, -EINVAL, "--expect-module %s: not a module name", *m);
                n = strprintf("%s%s\n", list ? list : "", *m);
                if (!n)
                        return -ENOMEM;
                free(list);
                list = n;
        }
        len = list ? strlen(list) : 0;
        tok = strprintf("%s\n", token);
        if (!tok)
                return -ENOMEM;
        if (guestfs_mkdir_p(gu->g, "/usr/local/sbin") < 0 ||
            guestfs_mkdir_p(gu->g, "/etc/systemd/system/multi-user.target.wants") < 0 ||
            guest_write_file(gu, PROBE_BIN, probe_script, strlen(probe_script)) < 0 ||
            guestfs_chmod(gu->g, 0755, PROBE_BIN) < 0 ||
            guest_write_file(gu, PROBE_UNIT, probe_unit, strlen(probe_unit)) < 0 ||
            guest_write_file(gu, PROBE_MODULES, list ? list : "", len) < 0 ||
            guest_write_file(gu, "/etc/kpin-probe.token", tok, strlen(tok)) < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -EIO, "%s: cannot write the boot probe into the overlay: %s",
                                gu->image, guestfs_last_error(gu->g));
        (void) guestfs_rm_f(gu->g, PROBE_WANTS);
        if (guestfs_ln_s(gu->g, PROBE_UNIT, PROBE_WANTS) < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -EIO, "%s: cannot enable the boot probe: %s", gu->image,
                                guestfs_last_error(gu->g));
        return 0;
}
