/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <guestfs.h>
#include <string.h>

#include "core/probe.h"
#include "probe.h"
#include "shared/cleanup.h"
#include "shared/log.h"

int probe_inject(Guest *gu, const char *token, char * const *modules, const char *networkd) {
        _cleanup_free_ char *script = NULL, *unit = NULL;
        int r;

        r = probe_script(token, modules, &script);
        if (r == -EINVAL)
                return log_fail(KPIN_EXIT_USAGE, r, "--expect-module: not module names ([A-Za-z0-9_-])");
        if (r >= 0)
                r = probe_unit(PROBE_BIN, NULL, &unit);
        if (r < 0)
                return r;
        if (guestfs_mkdir_p(gu->g, "/usr/local/sbin") < 0 ||
            guestfs_mkdir_p(gu->g, "/etc/systemd/system/multi-user.target.wants") < 0 ||
            guest_write_file(gu, PROBE_BIN, script, strlen(script)) < 0 ||
            guestfs_chmod(gu->g, 0755, PROBE_BIN) < 0 ||
            guest_write_file(gu, PROBE_UNIT_PATH, unit, strlen(unit)) < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -EIO, "%s: cannot write the boot probe into the overlay: %s",
                                gu->image, guest_last_error(gu));
        (void) guestfs_rm_f(gu->g, PROBE_WANTS_PATH);
        if (guestfs_ln_s(gu->g, PROBE_UNIT_PATH, PROBE_WANTS_PATH) < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -EIO, "%s: cannot enable the boot probe: %s", gu->image,
                                guest_last_error(gu));
        /* the NIC's address, for an image whose systemd-networkd runs (a file
         * no other network manager reads); cloud-init's images get theirs
         * from the seed instead */
        if (networkd && (guestfs_mkdir_p(gu->g, "/etc/systemd/network") < 0 ||
                         guest_write_file(gu, PROBE_NETWORK_PATH, networkd, strlen(networkd)) < 0))
                return log_fail(KPIN_EXIT_ENVIRONMENT, -EIO, "%s: cannot write the test VM's network into the overlay: %s",
                                gu->image, guest_last_error(gu));
        return 0;
}
