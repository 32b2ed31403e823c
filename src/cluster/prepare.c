/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <guestfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "core/clusterscript.h"
#include "core/netconf.h"
#include "core/probe.h"
#include "guest/inspect.h"
#include "shared/cleanup.h"
#include "shared/log.h"
#include "shared/strv.h"

#define NODE_NETWORK_PATH "/etc/systemd/network/00-kpin-cluster.network"
#define NODE_LINK_PATH "/etc/systemd/network/00-kpin-cluster.link"
#define NODE_IFUPDOWN_PATH "/etc/network/interfaces.d/kpin-cluster"
#define NODE_CLOUD_CFG_PATH "/etc/cloud/cloud.cfg.d/99-kpin-cluster.cfg"

/* cloud-init keeps the name and hosts file written here; its network
 * config comes from the node's own seed */
static const char cloud_cfg[] = "# kpin cluster test: the node's name and hosts file are kpin's\n"
                                "preserve_hostname: true\n"
                                "manage_etc_hosts: false\n";

static int write_text(ClusterNodeRun *nr, const char *path, const char *text, int mode) {
        Guest *gu = nr->session.gu;
        _cleanup_free_ char *dir = strdup(path);
        char *slash = dir ? strrchr(dir, '/') : NULL;

        if (!dir)
                return -ENOMEM;
        if (slash && slash != dir)
                *slash = '\0';
        if ((slash && slash != dir && guestfs_mkdir_p(gu->g, dir) < 0) ||
            guest_write_file(gu, path, text, strlen(text)) < 0 || guestfs_chmod(gu->g, mode, path) < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -EIO, "%s: node %s: cannot write %s into its overlay: %s",
                                nr->node.spec->image, nr->node.name, path, guest_last_error(gu));
        return 0;
}

static int write_identity(ClusterRun *cr, ClusterNodeRun *nr) {
        _cleanup_strv_free_ char **names = NULL, **addrs = NULL;
        _cleanup_free_ char *hosts = NULL, *hostname = strprintf("%s\n", nr->node.name),
                            *mid = strprintf("%s\n", nr->machine_id);
        int r;

        if (!hostname || !mid)
                return -ENOMEM;
        for (size_t i = 0; i < cr->n_nodes; i++)
                if (strv_extend(&names, cr->nodes[i].node.name) < 0 || strv_extend(&addrs, cr->nodes[i].node.address) < 0)
                        return -ENOMEM;
        r = netconf_hosts(names, addrs, &hosts);
        if (r < 0)
                return r;
        if ((r = write_text(nr, "/etc/hostname", hostname, 0644)) < 0 || (r = write_text(nr, "/etc/hosts", hosts, 0644)) < 0 ||
            (r = write_text(nr, "/etc/machine-id", mid, 0444)) < 0)
                return r;
        return 0;
}

/* The address in the form the image takes it: cloud-init's from the seed
 * (made by the caller); else a networkd file matched by MAC, and for
 * ifupdown a .link naming the NIC and its stanza. */
static int write_network(ClusterNodeRun *nr) {
        _cleanup_free_ char *text = NULL;
        int r;

        if (nr->cloud_init) {
                nr->net_form = "cloud-init seed";
                return write_text(nr, NODE_CLOUD_CFG_PATH, cloud_cfg, 0644);
        }
        r = netconf_networkd(nr->mac, nr->node.address, &text);
        if (r >= 0)
                r = write_text(nr, NODE_NETWORK_PATH, text, 0644);
        if (r < 0)
                return r;
        nr->net_form = "systemd-networkd file";
        if (!nr->ifupdown)
                return 0;
        text = mfree(text);
        r = netconf_link(nr->mac, &text);
        if (r >= 0)
                r = write_text(nr, NODE_LINK_PATH, text, 0644);
        text = mfree(text);
        if (r >= 0)
                r = netconf_ifupdown(nr->node.address, &text);
        if (r >= 0)
                r = write_text(nr, NODE_IFUPDOWN_PATH, text, 0644);
        nr->net_form = "ifupdown and systemd-networkd files";
        return r;
}

static int write_runner(ClusterRun *cr, ClusterNodeRun *nr, const ClusterOptions *o, char * const *check_texts) {
        const ClusterNodeSpec *s = nr->node.spec;
        Guest *gu = nr->session.gu;
        _cleanup_strv_free_ char **peers = NULL;
        _cleanup_free_ char *script = NULL;
        unsigned timeouts[CLUSTER_MAX_CHECKS];
        int r;

        for (size_t i = 0; i < cr->n_nodes; i++)
                if (cr->nodes[i].node.shared_fs && strv_extend(&peers, cr->nodes[i].node.name) < 0)
                        return -ENOMEM;
        for (size_t i = 0; i < s->n_checks; i++)
                timeouts[i] = s->checks[i].timeout_s;
        r = cluster_runner_script(&(ClusterRunner) {
                                          .token = nr->token,
                                          .run_id = cr->run_id,
                                          .node = nr->node.name,
                                          .modules = s->expect_modules,
                                          .check_timeouts = timeouts,
                                          .n_checks = s->n_checks,
                                          .keep_going = o->keep_going,
                                          .sfs_path = nr->node.shared_fs ? cr->conf.sfs_path : NULL,
                                          .sfs_size_mb = cr->conf.sfs_size_mb,
                                          .sfs_peers = peers,
                                          .sfs_wait_s = cr->conf.timeout_s,
                                  },
                                  &script);
        if (r < 0)
                return r;
        if ((r = write_text(nr, CLUSTER_RUNNER_BIN, script, 0755)) < 0 ||
            (r = write_text(nr, CLUSTER_UNIT_PATH, cluster_runner_unit(), 0644)) < 0)
                return r;
        for (size_t i = 0; i < s->n_checks; i++) {
                _cleanup_free_ char *path = strprintf(CLUSTER_CHECK_DIR "/check-%zu", i + 1);

                if (!path)
                        return -ENOMEM;
                if ((r = write_text(nr, path, check_texts[i], 0755)) < 0)
                        return r;
        }
        (void) guestfs_mkdir_p(gu->g, "/etc/systemd/system/multi-user.target.wants");
        (void) guestfs_rm_f(gu->g, CLUSTER_WANTS_PATH);
        if (guestfs_ln_s(gu->g, CLUSTER_UNIT_PATH, CLUSTER_WANTS_PATH) < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -EIO, "%s: node %s: cannot enable the checks' unit: %s", s->image,
                                nr->node.name, guest_last_error(gu));
        return 0;
}

int cluster_prepare_node(ClusterRun *cr, ClusterNodeRun *nr, const ClusterOptions *o, char * const *check_texts) {
        SessionOptions so = {
                .mode = SESSION_SCRATCH,
                .verbosity = o->run.verbosity,
                .allow_backing = o->run.allow_backing,
        };
        _cleanup_(guest_state_freep) GuestState *st = NULL;
        int r;

        r = session_open(nr->node.spec->image, &so, &nr->session);
        if (r < 0)
                return r;
        r = session_launch(&nr->session, &so, cr->kvm);
        if (r < 0)
                return r;
        r = guest_inspect(nr->session.gu, &st);
        if (r < 0)
                return log_fail(KPIN_EXIT_FAILURE, r, "%s: inspection failed: %m", nr->node.spec->image);
        nr->cloud_init = dpkg_installed(dpkg_status_find(st->dpkg, "cloud-init"));
        nr->ifupdown = dpkg_installed(dpkg_status_find(st->dpkg, "ifupdown"));
        if (st->grub_kernel && !(nr->grub_kernel = strdup(st->grub_kernel)))
                return -ENOMEM;
        if ((r = write_identity(cr, nr)) < 0 || (r = write_network(nr)) < 0 ||
            (r = write_runner(cr, nr, o, check_texts)) < 0)
                return r;
        return session_close(&nr->session);
}
