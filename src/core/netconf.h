/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>

/* A test VM's place on the private segment kpin joins its VMs by (a
 * vde_switch on a unix socket: no host interface, no route out), and that
 * place as each kind of image takes it. Pure: text in, text out. */

/* The boot test's segment: one VM, one address, no gateway, no DNS. */
#define NETCONF_BOOT_ADDRESS "10.213.0.10/24"

/* A locally administered unicast MAC in QEMU's 52:54:00 range from three
 * random bytes: "52:54:00:xx:xx:xx" (18 bytes with the NUL). QEMU gives
 * every process the same default MAC, so a VM on a shared segment needs
 * its own. */
void netconf_mac(const uint8_t rnd[3], char ret[static 18]);

/* A systemd-networkd .network file: the NIC with that MAC gets the static
 * address, no DHCP, no router advertisements (nothing would answer). */
int netconf_networkd(const char *mac, const char *address, char **ret);
/* The same as a NoCloud network-config (version 2) that cloud-init
 * renders in whatever form the image uses (networkd, ifupdown, netplan). */
int netconf_cloud_init(const char *mac, const char *address, char **ret);
/* -EINVAL unless mac is xx:xx:xx:xx:xx:xx (hex) and address a.b.c.d/n. */
int netconf_check(const char *mac, const char *address);

/* The cluster test's forms beside those: ifupdown has no match by MAC, so
 * a systemd .link file (udev reads it, networkd or not) names the NIC
 * NETCONF_IFNAME and an interfaces.d stanza gives that name its address. */
#define NETCONF_IFNAME "kpin0"
int netconf_link(const char *mac, char **ret);
int netconf_ifupdown(const char *address, char **ret);
/* /etc/hosts naming every node (names[i] at addresses[i], a.b.c.d/n),
 * both lists NULL-terminated. */
int netconf_hosts(char * const *names, char * const *addresses, char **ret);
