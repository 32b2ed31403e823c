/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qemuargv.h"

/* A cluster file (kpin cluster-test CLUSTER.conf): the nodes to boot
 * together on one private segment and what to check inside them. INI,
 * like the profiles:
 *
 *   [cluster]    name, network (a.b.c.d/n), timeout (s), memory (MB)
 *   [node NAME]  image, count, address, memory, firmware, boot-after,
 *                expect-kernel, expect-module, check-timeout, check,
 *                check-file (check lines run in order)
 *   [shared-fs]  path, nodes, size (MB), min-throughput (MB/s)
 *
 * Pure: text in, the cluster (or the first bad line, "FILE:LINE: why") out. */

#define CLUSTER_MAX_NODES 32          /* instances, after counts */
#define CLUSTER_MAX_CHECKS 32         /* per node */
#define CLUSTER_NAME_MAX 31
#define CLUSTER_DEFAULT_TIMEOUT 900
#define CLUSTER_DEFAULT_CHECK_TIMEOUT 120
#define CLUSTER_DEFAULT_MEMORY 1024
#define CLUSTER_DEFAULT_NETWORK "10.213.1.0/24"
#define CLUSTER_FIRST_HOST 10         /* addresses not given start at .10 */
#define CLUSTER_CHECK_FILE_MAX (256 * 1024)

typedef struct ClusterCheck {
        char *name;          /* as the report names it: the command, or the file's name */
        char *command;       /* check = COMMAND, or NULL */
        char *file;          /* check-file = PATH (resolved against the file's directory), or NULL */
        unsigned timeout_s;
} ClusterCheck;

typedef struct ClusterNodeSpec {
        char *name;
        unsigned line;
        char *image;         /* resolved against the image directory */
        unsigned count;      /* 1: NAME; n: NAME1..NAMEn */
        uint32_t address;    /* the first instance's, host order; 0: assigned */
        int memory_mb;       /* 0: the cluster's */
        Firmware firmware;
        char *boot_after;    /* a node (group) name, or NULL */
        char *expect_kernel; /* NULL: what GRUB boots by default */
        char **expect_modules;
        ClusterCheck *checks;
        size_t n_checks;
} ClusterNodeSpec;

typedef struct ClusterConf {
        char *name;
        uint32_t network;    /* host order */
        unsigned prefix;
        unsigned timeout_s;
        int memory_mb;
        ClusterNodeSpec *specs;
        size_t n_specs;
        bool shared_fs;
        char *sfs_path;
        char **sfs_nodes;    /* names as given (instances or node groups); NULL: all */
        unsigned sfs_size_mb;
        unsigned sfs_min_mbps; /* 0: none */
} ClusterConf;

/* One VM of the cluster. */
typedef struct ClusterNode {
        char name[CLUSTER_NAME_MAX + 4];
        const ClusterNodeSpec *spec;
        size_t spec_index;
        char address[20];    /* a.b.c.d/n */
        uint32_t ip;
        bool shared_fs;      /* takes part in the shared-fs check */
} ClusterNode;

/* path names the file in messages; dir resolves relative check-file paths,
 * image_dir relative image paths ("" for the current directory). */
int cluster_conf_parse(const char *text, const char *path, const char *dir, const char *image_dir,
                       ClusterConf *ret, char **ret_error);
void cluster_conf_done(ClusterConf *c);

/* The VMs, counts expanded, addresses assigned (given ones first, then
 * from .CLUSTER_FIRST_HOST up, skipping those taken); -EINVAL with a reason. */
int cluster_expand(const ClusterConf *c, ClusterNode **ret, size_t *ret_n, char **ret_error);

/* Whether node (an instance) is named by a list entry: its own name or its group's. */
bool cluster_node_named(const ClusterNode *n, const char *entry);

/* "a.b.c.d" of a host-order address (16 bytes). */
void cluster_ip_string(uint32_t ip, char ret[static 16]);
