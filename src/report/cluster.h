/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <json-c/json.h>
#include <stdio.h>

#include "cluster/cluster.h"

/* A cluster test's verdict: each node with its stage and checks (text),
 * the same as JSON (schema: the "cluster-test" report), and as JUnit (a
 * testsuite per node, a testcase per check, its console attached). */
void cluster_report_text(const ClusterRun *cr, FILE *f);
json_object *cluster_report_json(const ClusterRun *cr);
int cluster_report_junit(const ClusterRun *cr, const char *path);
