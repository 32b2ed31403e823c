/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>

#include "cluster/cluster.h"
#include "kpin.h"
#include "report/cluster.h"
#include "report/json.h"
#include "shared/cleanup.h"
#include "shared/log.h"

/* The first failed check, for the one-line error. */
static void first_failure(const ClusterRun *cr, const char **node, const ClusterVerdict **v) {
        for (size_t i = 0; i < cr->n_nodes; i++)
                for (size_t j = 0; j < cr->nodes[i].n_verdicts; j++)
                        if (!cr->nodes[i].verdicts[j].passed && !cr->nodes[i].verdicts[j].skipped) {
                                *node = cr->nodes[i].node.name;
                                *v = &cr->nodes[i].verdicts[j];
                                return;
                        }
}

int cmd_cluster_test(Context *ctx, char **args) {
        _cleanup_(cluster_run_done) ClusterRun cr = { .guard_dir = -1 };
        const Options *opt = &ctx->opt;
        int r;

        r = cluster_test_run(&(ClusterOptions) {
                                     .conf = args[0],
                                     .image_dir = opt->images,
                                     .serial_dir = opt->serial_dir,
                                     .keep_going = opt->keep_going,
                                     .run = context_run_options(ctx),
                             },
                             &cr);
        if (r < 0)
                return r;
        if (!ctx->json)
                cluster_report_text(&cr, stdout);
        if (opt->junit && (r = cluster_report_junit(&cr, opt->junit)) < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, r, "%s: cannot write the JUnit report: %m", opt->junit);
        if (ctx->json || ctx->report) {
                json_object *o = cluster_report_json(&cr);

                if (!o)
                        return -ENOMEM;
                r = json_emit(o, ctx->json, ctx->report);
                if (r < 0)
                        return r;
                ctx->reported = true;
        }
        if (cr.n_failed) {
                const char *node = "?";
                const ClusterVerdict *v = NULL;

                first_failure(&cr, &node, &v);
                fflush(stdout);
                return log_fail(KPIN_EXIT_CLUSTER, -EPROTO, "%s: cluster %s: %zu of %zu nodes failed; first: node %s: %s: %s",
                                args[0], cr.conf.name, cr.n_failed, cr.n_nodes, node, v ? v->name : "?",
                                v && v->message ? v->message : "?");
        }
        return 0;
}
