/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <sys/types.h>

/* One private Ethernet segment for kpin's VMs: a vde_switch (Debian
 * package vde-switch) run as kpin's child on a unix socket in a 0700
 * directory of its own. QEMU joins it with -netdev vde: no frame ever
 * reaches the host's IP stack, there is no route out, no DHCP, no DNS.
 * The switch holds a pipe on its stdin: whenever kpin ends (exit, signal,
 * kill -9) the pipe closes and the switch removes its sockets and exits;
 * a fatal signal also kills it through the signal guard. */
typedef struct NetSwitch {
        char *run_dir;      /* kpin-net-PID-XXXXXX */
        char *sock;         /* RUN_DIR/switch: what QEMU's sock= names */
        pid_t pid;
        int hold;           /* the write end of its stdin */
        int guard, guard_dir;
} NetSwitch;

/* Starts the switch and waits until it listens (its ctl socket is there).
 * <0 with the reason logged (no vde_switch installed: exit class
 * environment). */
int netswitch_start(NetSwitch **ret);
/* Stops it (stdin closed, then SIGKILL if it lingers) and removes its
 * directory; NULL. */
NetSwitch *netswitch_stop(NetSwitch *s);
static inline void netswitch_stopp(NetSwitch **s) {
        netswitch_stop(*s);
}
