/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

/* Which failed units of a boot-test VM failed only for want of the
 * network's other hosts. A VM booted alone has a NIC on a segment of its
 * own and nothing else: a network filesystem's server, a DHCP server, a
 * cluster's controller are not there. Decided from each unit's type and
 * dependencies as the probe read them (`systemctl show`, lines
 * "unit-prop=UNIT KEY=VALUE"), never from timing. Pure. */

/* The reason unit failed only for want of its network peers (a sentence
 * fragment: "network filesystem nfs4 192.0.2.1:/srv: needs its server"),
 * or NULL (it failed for a reason of its own; or out of memory, with
 * errno = ENOMEM). probe: the probe's key=value lines. */
char *unit_network_only_reason(const char *unit, char * const *probe);

/* The failed units of a boot split by that rule: failed_units is the
 * probe's space-separated list; ret_other gets the units that count as
 * failures (all of them when network_units_fail), ret_warnings
 * "UNIT: REASON" for the others. -ENOMEM only. */
int unit_split_failed(const char *failed_units, char * const *probe, bool network_units_fail, char ***ret_other,
                      char ***ret_warnings);
