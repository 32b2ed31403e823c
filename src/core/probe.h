/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

/* The boot-test probe, as text: a POSIX sh script that prints, between
 * "KPIN-PROBE-BEGIN TOKEN" and "KPIN-PROBE-END TOKEN" on ttyS0, the
 * running kernel, the firmware and Secure Boot state, for each module
 * whether modprobe loads it (its error and its signer if not), the failed
 * units, cloud-init's result and `dkms status`, then powers the VM off;
 * and the systemd unit that runs it after multi-user.target. Pure: no I/O. */

#define PROBE_BIN "/usr/local/sbin/kpin-probe"
#define PROBE_UNIT_NAME "kpin-probe.service"
#define PROBE_UNIT_PATH "/etc/systemd/system/" PROBE_UNIT_NAME
#define PROBE_WANTS_PATH "/etc/systemd/system/multi-user.target.wants/" PROBE_UNIT_NAME
/* The test VM's systemd-networkd file (core/netconf.h), first in order */
#define PROBE_NETWORK_NAME "00-kpin-test-vm"
#define PROBE_NETWORK_PATH "/etc/systemd/network/" PROBE_NETWORK_NAME ".network"

/* Module names end up in the script: [A-Za-z0-9_-], at most 64. */
bool probe_module_name_ok(const char *m);
/* token: [a-z0-9], 16 to 64 characters */
bool probe_token_ok(const char *t);
/* The probe's report on the running system, for a script that sets T (the
 * token), M (the module names) and C (where its lines go) first. */
extern const char probe_facts[];
/* -EINVAL for a bad token or module. */
int probe_script(const char *token, char * const *modules, char **ret);
/* The unit running exec_start (a command line), importing a system
 * credential if import_credential is not NULL. */
int probe_unit(const char *exec_start, const char *import_credential, char **ret);
#define PROBE_SYSTEMD_CREDENTIALS 256  /* systemd.extra-unit.* and systemd.unit-dropin.* */

/* The probe as SMBIOS type 11 strings ("io.systemd.credential.binary:
 * NAME=BASE64") for QEMU's -smbios: an extra unit, a drop-in that makes
 * multi-user.target want it, and the script as a credential the unit
 * imports; with networkd (a .network file's text), that file for
 * systemd-networkd too. For guests whose systemd reads them (256 and
 * later); nothing is written to the disk. */
int probe_smbios_credentials(const char *token, char * const *modules, const char *networkd, char ***ret);

/* RFC 4648 base64 of n bytes. */
char *base64_encode(const void *data, size_t n);
