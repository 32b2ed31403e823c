/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clusterconf.h"

/* What a node's runner (core/clusterscript.h) wrote on its results port,
 * read back. The guest wrote it: every line is bounded, numbers are
 * checked, unknown lines are skipped. Pure. */

#define CLUSTER_RESULTS_MAX (4u << 20)  /* bytes read of a port's file */
#define CLUSTER_OUTPUT_LINES 20

typedef struct ClusterCheckRun {
        bool begun, ended, skipped;
        int rc;
        unsigned ms;
        char **output;          /* its last lines */
} ClusterCheckRun;

typedef enum SfsRead { SFS_READ_OK, SFS_READ_BAD, SFS_READ_MISSING } SfsRead;

typedef struct ClusterPeerRead {
        char peer[CLUSTER_NAME_MAX + 4];
        SfsRead state;
        uint64_t bytes;
        unsigned ms;            /* reading (SFS_READ_MISSING: seconds waited) */
} ClusterPeerRead;

typedef struct ClusterResults {
        bool begun, ready, ended;
        char **probe;           /* the probe's key=value lines */
        ClusterCheckRun checks[CLUSTER_MAX_CHECKS];
        /* the shared-fs check */
        bool sfs_reported, sfs_mounted;
        char *sfs_mount;        /* "FSTYPE SOURCE" */
        bool sfs_written;
        char *sfs_write_error;
        uint64_t write_bytes;
        unsigned write_ms;
        ClusterPeerRead reads[CLUSTER_MAX_NODES];
        size_t n_reads;
} ClusterResults;

int cluster_results_parse(const char *text, size_t n, const char *token, ClusterResults *ret);
void cluster_results_done(ClusterResults *r);

/* MB/s (10^6 bytes) of bytes in ms; 0 for no time. */
double cluster_mbps(uint64_t bytes, unsigned ms);
