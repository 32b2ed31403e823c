/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/clusterconf.h"
#include "core/clusterresult.h"
#include "guest/session.h"
#include "host/cidata.h"
#include "repair/boottest.h"
#include "repair/pipeline.h"
#include "vm/boot.h"

/* kpin cluster-test: every node of a cluster file booted at once from a
 * throw-away overlay of its image, on one private segment (a vde_switch
 * of kpin's own on a unix socket), its checks run inside it and their
 * results read from a virtio-serial port of its own. */

typedef struct ClusterOptions {
        const char *conf;           /* the cluster file */
        const char *image_dir;      /* relative images: from here (NULL: the file's directory) */
        const char *serial_dir;     /* each node's console and results port kept here, or NULL */
        bool keep_going;            /* every check of a node, past a failed one */
        RunOptions run;
} ClusterOptions;

/* One line of a node's verdict: kpin's boot checks, the file's checks,
 * the shared-fs check. */
typedef struct ClusterVerdict {
        char *name;
        bool passed, skipped;
        char *message;              /* why it failed or was skipped */
        char **output;              /* a check's last output lines */
        double seconds;
} ClusterVerdict;

typedef struct ClusterNodeRun {
        ClusterNode node;
        /* what the image is and how the node gets its place */
        char token[BOOT_TEST_TOKEN_LEN + 1];
        char mac[18];
        char machine_id[33];
        bool cloud_init, ifupdown;
        const char *net_form;
        char *grub_kernel;
        Session session;            /* the node's overlay */
        Cidata *seed;
        char *console_log, *results_log;
        /* the run */
        VmInstance *vm;
        double started_at;          /* seconds since the cluster started, < 0: never */
        double up_at, ended_at;
        char *not_started;          /* why it never started */
        bool down;                  /* stopped before its end marker */
        size_t live_checks;         /* checks already reported live */
        int live_stage;
        BootTest boot;              /* kpin's own checks, from the results port */
        ClusterResults res;
        /* the verdict */
        const char *stage;          /* the furthest stage it reached */
        ClusterVerdict *verdicts;
        size_t n_verdicts, n_failed;
        double write_mbps;
        double read_mbps_min;       /* the slowest peer read, 0 if none */
} ClusterNodeRun;

typedef struct ClusterRun {
        ClusterConf conf;
        ClusterNodeRun *nodes;
        size_t n_nodes, n_failed;   /* nodes with a failed check */
        char run_id[BOOT_TEST_TOKEN_LEN + 1];
        bool kvm, keep_going;
        char *run_dir;
        int guard_dir;
        double seconds;             /* first VM started to last stopped */
        double prepare_s, teardown_s;  /* kpin's own overhead: overlays, seeds, switch; stopping */
} ClusterRun;

/* Reads the file and every check file (usage errors before anything
 * starts), then prepares, boots, checks and stops the cluster. 0 when
 * every node has a verdict (look at n_failed), <0 when it could not run. */
int cluster_test_run(const ClusterOptions *o, ClusterRun *ret);
void cluster_run_done(ClusterRun *r);

/* Writes a node's overlay: hostname, machine-id, /etc/hosts, its address
 * in the form the image takes it, the runner and its checks (prepare.c). */
int cluster_prepare_node(ClusterRun *cr, ClusterNodeRun *nr, const ClusterOptions *o, char * const *check_texts);

/* Each node's verdicts from what its console and port said (judge.c). */
int cluster_judge(ClusterRun *cr);
