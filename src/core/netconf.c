/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netconf.h"
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
