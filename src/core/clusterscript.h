/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* What runs inside each node of a cluster test, as text: a POSIX sh
 * script and the oneshot unit that starts it once the node is up (after
 * multi-user.target, remote-fs.target and network-online.target). The
 * script writes everything to its own virtio-serial port, never the
 * console: the probe's report on the boot (core/probe.h), a ready line,
 * each check's start, last output lines, exit code and milliseconds, the
 * shared-fs check's figures, and an end marker; then it syncs and leaves
 * the node up (the others may still need it: kpin stops them all).
 * Pure: no I/O. Only words kpin checked reach the script (token, node
 * names, module names, a path of [A-Za-z0-9/._-], numbers); the checks'
 * commands go in files of their own. */

#define CLUSTER_PORT_NAME "org.kpin.results"
#define CLUSTER_RUNNER_BIN "/usr/local/sbin/kpin-cluster-runner"
#define CLUSTER_CHECK_DIR "/usr/local/lib/kpin-cluster"
/* kpin-probe*: the probe's wait for the boot's start jobs passes over it */
#define CLUSTER_UNIT_PATH "/etc/systemd/system/kpin-probe-cluster.service"
#define CLUSTER_WANTS_PATH "/etc/systemd/system/multi-user.target.wants/kpin-probe-cluster.service"
#define CLUSTER_MOUNT_WAIT_S 120      /* the shared path mounted by the image itself */

typedef struct ClusterRunner {
        const char *token;                /* this node's, on its port */
        const char *run_id;               /* the cluster's: names the shared-fs files */
        const char *node;
        char * const *modules;
        const unsigned *check_timeouts;   /* the checks, CLUSTER_CHECK_DIR/check-1.. */
        size_t n_checks;
        bool keep_going;                  /* run every check; else stop at the first failure */
        const char *sfs_path;             /* NULL: no shared-fs check on this node */
        unsigned sfs_size_mb;
        char * const *sfs_peers;          /* every node of the check, this one too */
        unsigned sfs_wait_s;              /* for the others' files */
} ClusterRunner;

/* -EINVAL if a word is not what it must be. */
int cluster_runner_script(const ClusterRunner *r, char **ret);
/* The unit starting CLUSTER_RUNNER_BIN. */
const char *cluster_runner_unit(void);
