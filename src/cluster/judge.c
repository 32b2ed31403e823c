/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "core/clusterscript.h"
#include "shared/cleanup.h"
#include "shared/strv.h"

/* The furthest a node got, from its console and its port. */
static const char *stage_of(const ClusterNodeRun *nr) {
        const BootResult *b = &nr->boot.boot;

        if (nr->not_started)
                return "not started";
        if (nr->res.ended)
                return "done";
        for (size_t i = nr->node.spec->n_checks; i > 0; i--)
                if (nr->res.checks[i - 1].begun)
                        return "checks";
        if (nr->res.ready)
                return "up";
        if (nr->res.begun)
                return "probe";
        if (b->at[STAGE_USERSPACE] >= 0)
                return "userspace";
        if (b->at[STAGE_KERNEL] >= 0)
                return "kernel";
        if (b->at[STAGE_GRUB] >= 0)
                return "grub";
        return "firmware";
}

static int add(ClusterNodeRun *nr, char *name, bool passed, bool skipped, char *message, double seconds) {
        ClusterVerdict *v;

        if (!name || ((!passed || skipped) && !message)) {
                free(name);
                free(message);
                return -ENOMEM;
        }
        v = realloc(nr->verdicts, (nr->n_verdicts + 1) * sizeof(ClusterVerdict));
        if (!v) {
                free(name);
                free(message);
                return -ENOMEM;
        }
        nr->verdicts = v;
        nr->verdicts[nr->n_verdicts++] = (ClusterVerdict) {
                .name = name, .passed = passed, .skipped = skipped, .message = message, .seconds = seconds,
        };
        nr->n_failed += !passed && !skipped;
        return 0;
}

static const char *stage_hint(const char *stage) {
        if (strcmp(stage, "firmware") == 0)
                return "nothing from GRUB on the console";
        if (strcmp(stage, "grub") == 0 || strcmp(stage, "kernel") == 0)
                return "systemd never started";
        if (strcmp(stage, "userspace") == 0)
                return "the boot never reached the checks' unit (after multi-user, remote-fs and network-online)";
        if (strcmp(stage, "probe") == 0)
                return "its boot report never ended";
        return "its checks never ended";
}

static int judge_boot(ClusterRun *cr, ClusterNodeRun *nr) {
        BootTest *t = &nr->boot;
        BootResult *b = &t->boot;
        const char *expect = nr->node.spec->expect_kernel ? nr->node.spec->expect_kernel : nr->grub_kernel;
        int r;

        /* the probe reported on the port: its lines, not the console's */
        strv_free(b->probe);
        b->probe = TAKE_PTR(nr->res.probe);
        b->probe_done = nr->res.ready;
        /* on the cluster's network they must come up */
        t->network_units_fail = true;
        t->network_units_note = " (the cluster has the servers they need: they must come up)";
        if (expect && !(t->expect = strdup(expect)))
                return -ENOMEM;
        if (!nr->res.ended && !b->failure) {
                b->failure = strprintf("%s at stage %s after %.0f s: %s",
                                       b->timed_out || !nr->down ? "timed out" : "stopped", nr->stage,
                                       cr->seconds - nr->started_at, stage_hint(nr->stage));
                if (!b->failure)
                        return -ENOMEM;
        }
        r = boot_test_evaluate(t, nr->node.spec->expect_modules, nr->cloud_init);
        if (r < 0)
                return r;
        for (size_t i = 0; i < t->n_checks; i++) {
                r = add(nr, strdup(t->checks[i].name), t->checks[i].passed, false,
                        t->checks[i].message ? strdup(t->checks[i].message) : NULL, 0);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int judge_checks(ClusterNodeRun *nr, bool keep_going) {
        const ClusterNodeSpec *s = nr->node.spec;
        int r;

        for (size_t i = 0; i < s->n_checks; i++) {
                ClusterCheckRun *c = &nr->res.checks[i];
                const char *last = c->output ? c->output[strv_length(c->output) - 1] : NULL;
                char *msg;

                if (c->skipped)
                        msg = strdup(keep_going ? "not run" : "not run: an earlier check failed (--keep-going runs every check)");
                else if (!c->ended && c->begun)
                        msg = strprintf("never ended: the node %s while it ran",
                                        nr->boot.boot.timed_out || !nr->down ? "timed out" : "stopped");
                else if (!c->ended)
                        msg = strprintf("never ran: the node reached stage %s", nr->stage);
                else if (c->rc == 124 || c->rc == 137)
                        msg = strprintf("timed out after %u s%s%s", s->checks[i].timeout_s, last ? ": " : "", last ? last : "");
                else if (c->rc != 0)
                        msg = strprintf("exit %d after %.1f s%s%s", c->rc, c->ms / 1000.0, last ? ": " : "", last ? last : "");
                else
                        msg = NULL;
                r = add(nr, strdup(s->checks[i].name), c->ended && c->rc == 0, c->skipped, msg, c->ms / 1000.0);
                if (r < 0)
                        return r;
                nr->verdicts[nr->n_verdicts - 1].output = TAKE_PTR(c->output);
        }
        return 0;
}

static int judge_shared_fs(ClusterRun *cr, ClusterNodeRun *nr) {
        const ClusterResults *x = &nr->res;
        unsigned min = cr->conf.sfs_min_mbps;
        _cleanup_free_ char *msg = NULL;
        bool passed;

        nr->write_mbps = x->sfs_written ? cluster_mbps(x->write_bytes, x->write_ms) : 0;
        for (size_t i = 0; i < x->n_reads; i++)
                if (x->reads[i].state == SFS_READ_OK) {
                        double m = cluster_mbps(x->reads[i].bytes, x->reads[i].ms);

                        if (nr->read_mbps_min == 0 || m < nr->read_mbps_min)
                                nr->read_mbps_min = m;
                }
        if (!x->ended && !x->sfs_reported)
                msg = strprintf("never ran: the node reached stage %s", nr->stage);
        else if (!x->sfs_mounted)
                msg = strprintf("%s was not mounted by the image within %d s", cr->conf.sfs_path, CLUSTER_MOUNT_WAIT_S);
        else if (x->sfs_write_error)
                msg = strprintf("writing into %s failed: %s", cr->conf.sfs_path, x->sfs_write_error);
        else if (!x->sfs_written)
                msg = strdup("its file was never written");
        for (size_t i = 0; !msg && i < x->n_reads; i++) {
                const ClusterPeerRead *rd = &x->reads[i];

                if (rd->state == SFS_READ_MISSING)
                        msg = strprintf("%s's file never appeared (waited %u s)", rd->peer, rd->ms);
                else if (rd->state == SFS_READ_BAD)
                        msg = strprintf("%s's file read back with another SHA-256: the data differs", rd->peer);
        }
        /* every peer must have been read */
        for (size_t i = 0; !msg && x->ended && i < cr->n_nodes; i++) {
                const ClusterNodeRun *p = &cr->nodes[i];
                bool read = false;

                if (!p->node.shared_fs || p == nr)
                        continue;
                for (size_t j = 0; j < x->n_reads; j++)
                        read = read || strcmp(x->reads[j].peer, p->node.name) == 0;
                if (!read)
                        msg = strprintf("%s's file was never read", p->node.name);
        }
        if (!msg && !x->ended)
                msg = strprintf("never ended: the node reached stage %s", nr->stage);
        if (!msg && min && nr->write_mbps < min)
                msg = strprintf("write %.1f MB/s, under min-throughput %u MB/s", nr->write_mbps, min);
        if (!msg && min && x->n_reads && nr->read_mbps_min < min)
                msg = strprintf("read %.1f MB/s (the slowest peer), under min-throughput %u MB/s", nr->read_mbps_min, min);
        passed = !msg; /* before TAKE_PTR: the order of a call's arguments is unspecified */
        return add(nr, strprintf("shared-fs %s", cr->conf.sfs_path), passed, false, TAKE_PTR(msg),
                   (x->write_ms + 0.0) / 1000.0);
}

int cluster_judge(ClusterRun *cr) {
        int r;

        cr->n_failed = 0;
        for (size_t i = 0; i < cr->n_nodes; i++) {
                ClusterNodeRun *nr = &cr->nodes[i];

                nr->stage = stage_of(nr);
                if (nr->not_started) {
                        r = add(nr, strdup("starts"), false, false, strdup(nr->not_started), 0);
                        if (r < 0)
                                return r;
                        cr->n_failed++;
                        continue;
                }
                r = judge_boot(cr, nr);
                if (r >= 0)
                        r = judge_checks(nr, cr->keep_going);
                if (r >= 0 && nr->node.shared_fs)
                        r = judge_shared_fs(cr, nr);
                if (r < 0)
                        return r;
                cr->n_failed += nr->n_failed > 0;
        }
        return 0;
}
