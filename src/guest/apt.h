/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "core/aptsources.h"
#include "core/dpkgstatus.h"
#include "guest.h"
#include "host/pkgdir.h"

/* Package transactions in the guest, as kpin runs apt: no questions, no
 * Recommends, never a removal, conffiles kept. */

/* Uploads host .deb files and installs them in one apt-get transaction.
 * -EIO with *ret_error set when apt-get fails; other errors are recorded
 * with log_fail. */
int apt_install_debs(Guest *gu, char * const *files, char **ret_error);

/* Installs targets and what they need from dir in one transaction, after
 * checking the dependency closure against installed (the guest's dpkg
 * status; missing: KPIN_EXIT_PACKAGES naming each) and the guest's free
 * space. what names the install in messages. *ret_installed: the package
 * names installed. */
int apt_install_closure(Guest *gu, const DpkgStatus *installed, const PkgDir *dir, char * const *targets,
                        const char *what, char ***ret_installed);

/* The same from the guest's own apt sources (the appliance has a network):
 * *ret_installed: what apt set up. */
int apt_install_network(Guest *gu, char * const *targets, const char *what, char ***ret_installed);

/* Refreshes the guest's apt lists and lists the package names that start
 * with prefix. */
int apt_network_names(Guest *gu, const char *prefix, char ***ret);

/* Purges exactly these packages (held or not) in one transaction, after a
 * dry run proves apt would remove nothing else. */
int apt_purge_exactly(Guest *gu, char * const *purge);

/* dpkg must be left consistent: `dpkg --audit` silent (KPIN_EXIT_PACKAGES
 * otherwise). */
int apt_check_consistent(Guest *gu);

/* The guest's apt sources (sources.list, and *.list and *.sources in
 * sources.list.d). A source's signed-by keyring the host lacks at
 * the same path is copied from the guest into keydir (a host directory)
 * and the source made to point there. */
int apt_guest_sources(Guest *gu, const char *keydir, AptSources *ret);
