/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shared/cleanup.h"
#include "shared/strv.h"
#include "unitclass.h"

#define SEE_CLUSTER ": see the cluster test"

/* Filesystems that live on other hosts (FUSE ones by their subtype). */
static const char *const network_fs[] = {
        "nfs", "nfs4", "cifs", "smb3", "smbfs", "ceph", "glusterfs", "beegfs", "lustre", "gpfs", "ocfs2", "gfs2",
        "afs", "ncpfs", "davfs", "fuse.sshfs", "fuse.glusterfs", "fuse.s3fs", "fuse.rclone", "fuse.cephfs",
};

/* The value of property key of unit in the probe's "unit-prop=UNIT KEY=VALUE" lines. */
static const char *prop(const char *unit, char * const *probe, const char *key) {
        size_t u = strlen(unit), k = strlen(key);

        STRV_FOREACH(l, probe) {
                const char *p = *l;

                if (!startswith(p, "unit-prop="))
                        continue;
                p += strlen("unit-prop=");
                if (strncmp(p, unit, u) == 0 && p[u] == ' ' && strncmp(p + u + 1, key, k) == 0 && p[u + 1 + k] == '=')
                        return p + u + 2 + k;
        }
        return NULL;
}

/* Whether the separated list (spaces, or commas for mount options) has word. */
static bool has_word(const char *list, const char *word, const char *seps) {
        size_t n = strlen(word);

        if (!list)
                return false;
        for (const char *p = list + strspn(list, seps); *p; p += strspn(p, seps)) {
                size_t k = strcspn(p, seps);

                if (k == n && strncmp(p, word, n) == 0)
                        return true;
                p += k;
        }
        return false;
}

static bool endswith_s(const char *s, const char *suffix) {
        size_t n = strlen(s), k = strlen(suffix);

        return n >= k && strcmp(s + n - k, suffix) == 0;
}

static bool is_network_fs(const char *type) {
        for (size_t i = 0; type && i < ELEMENTSOF(network_fs); i++)
                if (strcmp(type, network_fs[i]) == 0)
                        return true;
        return false;
}

static char *mount_reason(const char *unit, char * const *probe) {
        const char *type = prop(unit, probe, "Type"), *what = prop(unit, probe, "What");

        if (is_network_fs(type))
                return strprintf("network filesystem %s %s: needs its server" SEE_CLUSTER, type, what ? what : "?");
        if (has_word(prop(unit, probe, "Options"), "_netdev", ","))
                return strprintf("_netdev mount %s %s: needs the network's servers" SEE_CLUSTER, type ? type : "?",
                                 what ? what : "?");
        return NULL;
}

/* a unit that one of keys names and that failed as a network mount */
static char *needs_network_mount(const char *unit, char * const *probe) {
        static const char *const keys[] = { "Requires", "BindsTo", "RequiresMountsFor" };

        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                const char *v = prop(unit, probe, keys[i]);

                for (const char *p = v ? v + strspn(v, " ") : ""; *p; p += strspn(p, " ")) {
                        size_t k = strcspn(p, " ");
                        _cleanup_free_ char *dep = strndup(p, k), *why = NULL;

                        if (!dep)
                                return NULL;
                        p += k;
                        if (!endswith_s(dep, ".mount") || strcmp(dep, unit) == 0)
                                continue;
                        why = mount_reason(dep, probe);
                        if (why)
                                return strprintf("needs %s, a %s", dep, why);
                }
        }
        return NULL;
}

char *unit_network_only_reason(const char *unit, char * const *probe) {
        static const char *const needs[] = { "Requires", "BindsTo", "Wants" };
        char *why;

        errno = 0;
        if (endswith_s(unit, ".mount"))
                return mount_reason(unit, probe);
        if (strstr(unit, "-wait-online") || has_word(prop(unit, probe, "WantedBy"), "network-online.target", " ") ||
            has_word(prop(unit, probe, "RequiredBy"), "network-online.target", " "))
                return strdup("waits for the network to be online, which needs hosts the boot test does not run "
                              "(a DHCP server, the cluster's servers)" SEE_CLUSTER);
        why = needs_network_mount(unit, probe);
        if (why || errno == ENOMEM)
                return why;
        if (has_word(prop(unit, probe, "WantedBy"), "remote-fs.target", " ") ||
            has_word(prop(unit, probe, "RequiredBy"), "remote-fs.target", " ") ||
            has_word(prop(unit, probe, "Before"), "remote-fs.target", " "))
                return strdup("part of remote-fs.target: needs the filesystems' servers" SEE_CLUSTER);
        for (size_t i = 0; i < ELEMENTSOF(needs); i++)
                if (has_word(prop(unit, probe, needs[i]), "network-online.target", " ") &&
                    has_word(prop(unit, probe, "After"), "network-online.target", " "))
                        return strprintf("%s=network-online.target: talks to servers the boot test does not run" SEE_CLUSTER,
                                         needs[i]);
        return NULL;
}

int unit_split_failed(const char *failed_units, char * const *probe, bool network_units_fail, char ***ret_other,
                      char ***ret_warnings) {
        _cleanup_strv_free_ char **other = NULL, **warnings = NULL;

        for (const char *p = failed_units ? failed_units + strspn(failed_units, " ") : ""; *p; p += strspn(p, " ")) {
                size_t k = strcspn(p, " ");
                _cleanup_free_ char *unit = strndup(p, k), *why = NULL;

                if (!unit)
                        return -ENOMEM;
                p += k;
                why = unit_network_only_reason(unit, probe);
                if (!why && errno == ENOMEM)
                        return -ENOMEM;
                if (why && strv_consume(&warnings, strprintf("%s: %s", unit, why)) < 0)
                        return -ENOMEM;
                if ((!why || network_units_fail) && strv_consume(&other, TAKE_PTR(unit)) < 0)
                        return -ENOMEM;
        }
        *ret_other = TAKE_PTR(other);
        *ret_warnings = TAKE_PTR(warnings);
        return 0;
}
