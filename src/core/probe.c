/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "shared/cleanup.h"
#include "shared/strbuf.h"
#include "shared/strv.h"

bool probe_module_name_ok(const char *m) {
        if (!*m || strlen(m) > 64)
                return false;
        for (const char *p = m; *p; p++)
                if (!isalnum((unsigned char) *p) && *p != '_' && *p != '-')
                        return false;
        return true;
}

bool probe_token_ok(const char *t) {
        size_t n = t ? strlen(t) : 0;

        if (n < 16 || n > 64)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!islower((unsigned char) t[i]) && !isdigit((unsigned char) t[i]))
                        return false;
        return true;
}

/* Everything it reads is the guest's own state; its only inputs from kpin,
 * the token and the module names, are checked to be plain words. */
const char probe_facts[] =
        "out() { printf 'KPIN-PROBE %s %s\\n' \"$T\" \"$*\" >\"$C\"; }\n"
        "printf 'KPIN-PROBE-BEGIN %s\\n' \"$T\" >\"$C\"\n"
        "out \"uname=$(uname -r)\"\n"
        "if [ -d /sys/firmware/efi ]; then out firmware=uefi; else out firmware=bios; fi\n"
        "sb=$(od -An -tu1 -j4 -N1 /sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c 2>/dev/null | tr -d ' ')\n"
        "out \"secure-boot=${sb:-0}\"\n"
        "out \"lockdown=$(cat /sys/kernel/security/lockdown 2>/dev/null)\"\n"
        "for m in $M; do\n"
        "\tif e=$(modprobe \"$m\" 2>&1); then r=ok; else r=failed; fi\n"
        "\tmm=$(printf '%s' \"$m\" | tr - _)\n"
        "\tif grep -q \"^$mm \" /proc/modules; then l=yes; else l=no; fi\n"
        "\tout \"module=$m modprobe=$r loaded=$l\"\n"
        "\tif [ $r = failed ]; then\n"
        "\t\tout \"module-error=$m $(printf '%s' \"$e\" | tr '\\n' ' ' | cut -c1-300)\"\n"
        "\t\tout \"module-signer=$m $(modinfo -F signer \"$m\" 2>/dev/null | head -n1)\"\n"
        "\t\tout \"module-sig-key=$m $(modinfo -F sig_key \"$m\" 2>/dev/null | head -n1)\"\n"
        "\t\tdmesg 2>/dev/null | grep -iE 'module|key|lockdown' | grep -iE \"$mm|signature|key was rejected|lockdown\" | tail -n 3 |\n"
        "\t\t\twhile IFS= read -r k; do out \"module-kernel=$m $(printf '%s' \"$k\" | cut -c1-300)\"; done\n"
        "\tfi\n"
        "done\n"
        /* the boot's own start jobs end first (a wait-online that fails does so
         * on its own schedule): at most 150 s, the probe's own job aside */
        "i=0\n"
        "while [ $i -lt 150 ] && systemctl list-jobs --no-legend --no-pager 2>/dev/null | grep -v kpin-probe | grep -q .; do\n"
        "\tsleep 1; i=$((i + 1))\n"
        "done\n"
        "out \"settled=$i\"\n"
        "if command -v cloud-init >/dev/null; then\n"
        "\tci=$(timeout 60 cloud-init status --wait 2>/dev/null | sed -n 's/^status: *//p' | head -n1)\n"
        "\tout \"cloud-init=${ci:-unknown}\"\n"
        "fi\n"
        "f=$(systemctl --failed --plain --no-legend --no-pager 2>/dev/null | awk '{print $1}' | grep -v '^kpin-probe' | tr '\\n' ' ')\n"
        "out \"failed-units=$f\"\n"
        /* what kpin needs to tell a unit that failed for want of the network's other hosts */
        "for u in $(printf '%s\\n' $f | head -n 16); do\n"
        "\tsystemctl show -p Type,What,Options,Requires,BindsTo,Wants,RequiredBy,WantedBy,Before,After \"$u\" 2>/dev/null |\n"
        "\t\tcut -c1-600 | while IFS= read -r l; do out \"unit-prop=$u $l\"; done\n"
        "done\n"
        "out \"net-addr=$(ip -o -4 addr show scope global 2>/dev/null | awk '{print $2 \"=\" $4}' | tr '\\n' ' ')\"\n"
        "out \"network-online=$(systemctl is-active network-online.target 2>/dev/null)\"\n"
        "for w in systemd-networkd-wait-online.service NetworkManager-wait-online.service ifupdown-wait-online.service; do\n"
        "\tif systemctl -q is-enabled \"$w\" 2>/dev/null; then out \"wait-online=$w $(systemctl is-active \"$w\")\"; fi\n"
        "done\n"
        "if command -v dkms >/dev/null; then\n"
        "\tdkms status 2>/dev/null | head -n 50 | while IFS= read -r l; do out \"dkms=$l\"; done\n"
        "fi\n";

static const char probe_end[] =
        "printf 'KPIN-PROBE-END %s\\n' \"$T\" >\"$C\"\n"
        "sync\n"
        "systemctl --no-block poweroff\n";

int probe_script(const char *token, char * const *modules, char **ret) {
        _cleanup_(strbuf_done) StrBuf b = {};
        int r;

        if (!probe_token_ok(token))
                return -EINVAL;
        STRV_FOREACH(m, modules)
                if (!probe_module_name_ok(*m))
                        return -EINVAL;
        r = strbuf_puts(&b, "#!/bin/sh\n# kpin boot-test probe: reports on the serial console, then powers off.\nT=");
        if (r >= 0)
                r = strbuf_puts(&b, token);
        if (r >= 0)
                r = strbuf_puts(&b, "\nM='");
        if (r >= 0)
                r = strbuf_join(&b, modules, " ");
        if (r >= 0)
                r = strbuf_puts(&b, "'\nC=/dev/ttyS0\n");
        if (r >= 0)
                r = strbuf_puts(&b, probe_facts);
        if (r >= 0)
                r = strbuf_puts(&b, probe_end);
        if (r < 0)
                return r;
        *ret = strbuf_steal(&b);
        return *ret ? 0 : -ENOMEM;
}

int probe_unit(const char *exec_start, const char *import_credential, char **ret) {
        *ret = strprintf("# kpin boot-test probe; never part of a repaired image.\n"
                         "[Unit]\n"
                         "Description=kpin boot-test probe\n"
                         "After=multi-user.target\n"
                         "\n"
                         "[Service]\n"
                         "Type=oneshot\n"
                         "ExecStart=%s\n"
                         "%s%s%s"
                         "StandardOutput=journal\n"
                         "\n"
                         "[Install]\n"
                         "WantedBy=multi-user.target\n",
                         exec_start, import_credential ? "ImportCredential=" : "",
                         import_credential ? import_credential : "", import_credential ? "\n" : "");
        return *ret ? 0 : -ENOMEM;
}

char *base64_encode(const void *data, size_t n) {
        static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const unsigned char *p = data;
        char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;

        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i += 3) {
                unsigned v = (unsigned) p[i] << 16 | (i + 1 < n ? (unsigned) p[i + 1] << 8 : 0) |
                             (i + 2 < n ? p[i + 2] : 0);

                *o++ = tbl[v >> 18 & 63];
                *o++ = tbl[v >> 12 & 63];
                *o++ = i + 1 < n ? tbl[v >> 6 & 63] : '=';
                *o++ = i + 2 < n ? tbl[v & 63] : '=';
        }
        *o = '\0';
        return out;
}

static int add_credential(char ***l, const char *name, const char *value) {
        _cleanup_free_ char *b64 = base64_encode(value, strlen(value));

        if (!b64)
                return -ENOMEM;
        return strv_consume(l, strprintf("io.systemd.credential.binary:%s=%s", name, b64));
}

int probe_smbios_credentials(const char *token, char * const *modules, const char *networkd, char ***ret) {
        _cleanup_free_ char *script = NULL, *unit = NULL;
        _cleanup_strv_free_ char **l = NULL;
        int r;

        r = probe_script(token, modules, &script);
        if (r < 0)
                return r;
        /* %d: the unit's credentials directory, where ImportCredential= puts the script */
        r = probe_unit("/bin/sh %d/kpin.probe", "kpin.probe", &unit);
        if (r < 0)
                return r;
        r = add_credential(&l, "kpin.probe", script);
        if (r >= 0)
                r = add_credential(&l, "systemd.extra-unit." PROBE_UNIT_NAME, unit);
        if (r >= 0)
                r = add_credential(&l, "systemd.unit-dropin.multi-user.target~kpin-probe",
                                   "[Unit]\nWants=" PROBE_UNIT_NAME "\n");
        /* the NIC's address for systemd-networkd: systemd-network-generator
         * puts network.network.* credentials in /run/systemd/network, and
         * runs first even where the image did not enable it */
        if (networkd && r >= 0)
                r = add_credential(&l, "network.network." PROBE_NETWORK_NAME, networkd);
        if (networkd && r >= 0)
                r = add_credential(&l, "systemd.unit-dropin.systemd-networkd.service~" PROBE_NETWORK_NAME,
                                   "[Unit]\nWants=systemd-network-generator.service\n"
                                   "After=systemd-network-generator.service\n");
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}
