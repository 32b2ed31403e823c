/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netconf.h"
#include "shared/cleanup.h"
#include "shared/strbuf.h"
#include "shared/strv.h"

void netconf_mac(const uint8_t rnd[3], char ret[static 18]) {
        snprintf(ret, 18, "52:54:00:%02x:%02x:%02x", rnd[0], rnd[1], rnd[2]);
}

static int check_ipv4_cidr(const char *a) {
        unsigned v[5];
        int n = -1;

        if (sscanf(a, "%3u.%3u.%3u.%3u/%2u%n", &v[0], &v[1], &v[2], &v[3], &v[4], &n) != 5 || n < 0 ||
            a[n] != '\0' || !isdigit((unsigned char) a[0]))
                return -EINVAL;
        for (size_t i = 0; i < 4; i++)
                if (v[i] > 255)
                        return -EINVAL;
        return v[4] >= 1 && v[4] <= 32 ? 0 : -EINVAL;
}

int netconf_check(const char *mac, const char *address) {
        if (!mac || strlen(mac) != 17 || !address)
                return -EINVAL;
        for (size_t i = 0; i < 17; i++)
                if (i % 3 == 2 ? mac[i] != ':' : !isxdigit((unsigned char) mac[i]))
                        return -EINVAL;
        return check_ipv4_cidr(address);
}

int netconf_networkd(const char *mac, const char *address, char **ret) {
        if (netconf_check(mac, address) < 0)
                return -EINVAL;
        *ret = strprintf("# kpin test VM: its NIC on kpin's private segment; never part of a repaired image.\n"
                         "[Match]\n"
                         "MACAddress=%s\n"
                         "\n"
                         "[Network]\n"
                         "Address=%s\n"
                         "DHCP=no\n"
                         "LinkLocalAddressing=no\n"
                         "IPv6AcceptRA=no\n",
                         mac, address);
        return *ret ? 0 : -ENOMEM;
}

int netconf_cloud_init(const char *mac, const char *address, char **ret) {
        if (netconf_check(mac, address) < 0)
                return -EINVAL;
        *ret = strprintf("# kpin test VM: its NIC on kpin's private segment\n"
                         "version: 2\n"
                         "ethernets:\n"
                         "  kpin0:\n"
                         "    match:\n"
                         "      macaddress: \"%s\"\n"
                         "    addresses: [\"%s\"]\n"
                         "    dhcp4: false\n"
                         "    dhcp6: false\n",
                         mac, address);
        return *ret ? 0 : -ENOMEM;
}

int netconf_link(const char *mac, char **ret) {
        if (netconf_check(mac, "0.0.0.0/8") < 0)
                return -EINVAL;
        *ret = strprintf("# kpin test VM: a fixed name for its NIC, for ifupdown\n"
                         "[Match]\n"
                         "MACAddress=%s\n"
                         "\n"
                         "[Link]\n"
                         "Name=" NETCONF_IFNAME "\n",
                         mac);
        return *ret ? 0 : -ENOMEM;
}

int netconf_ifupdown(const char *address, char **ret) {
        if (check_ipv4_cidr(address) < 0)
                return -EINVAL;
        *ret = strprintf("# kpin test VM: its NIC on kpin's private segment\n"
                         "auto " NETCONF_IFNAME "\n"
                         "iface " NETCONF_IFNAME " inet static\n"
                         "\taddress %s\n",
                         address);
        return *ret ? 0 : -ENOMEM;
}

int netconf_hosts(char * const *names, char * const *addresses, char **ret) {
        _cleanup_(strbuf_done) StrBuf b = {};
        int r;

        r = strbuf_puts(&b, "# kpin cluster test: every node of the cluster\n"
                            "127.0.0.1\tlocalhost\n"
                            "::1\tlocalhost ip6-localhost ip6-loopback\n");
        for (size_t i = 0; r >= 0 && names[i] && addresses[i]; i++) {
                size_t n = strcspn(addresses[i], "/");

                if (check_ipv4_cidr(addresses[i]) < 0 || strpbrk(names[i], " \t\n#"))
                        return -EINVAL;
                r = strbuf_printf(&b, "%.*s\t%s\n", (int) n, addresses[i], names[i]);
        }
        if (r < 0)
                return r;
        *ret = strbuf_steal(&b);
        return *ret ? 0 : -ENOMEM;
}
