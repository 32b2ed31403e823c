/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "cluster/cluster.h"
#include "json.h"
#include "junit.h"
#include "shared/cleanup.h"
#include "shared/strbuf.h"
#include "shared/strv.h"

#define LOG_ATTACH_MAX (64 * 1024)

static const char *read_state(SfsRead s) {
        return s == SFS_READ_OK ? "ok" : s == SFS_READ_BAD ? "bad" : "missing";
}

void cluster_report_text(const ClusterRun *cr, FILE *f) {
        fprintf(f, "cluster %s: %zu nodes, %zu failed (%.0f s booted and checked; kpin's own overhead %.1f s preparing, "
                   "%.1f s stopping; %s)\n",
                cr->conf.name, cr->n_nodes, cr->n_failed, cr->seconds, cr->prepare_s, cr->teardown_s,
                cr->kvm ? "KVM" : "TCG");
        for (size_t i = 0; i < cr->n_nodes; i++) {
                const ClusterNodeRun *nr = &cr->nodes[i];

                fprintf(f, "\n%s  %s  %s  stage %s", nr->node.name, nr->node.address, nr->n_failed ? "FAILED" : "passed",
                        nr->stage);
                if (nr->up_at >= 0)
                        fprintf(f, ", up in %.0f s", nr->up_at - nr->started_at);
                if (nr->boot.boot.kernel)
                        fprintf(f, ", kernel %s", nr->boot.boot.kernel);
                fputc('\n', f);
                for (size_t j = 0; j < nr->n_verdicts; j++) {
                        const ClusterVerdict *v = &nr->verdicts[j];

                        fprintf(f, "  %-5s %s%s%s\n", v->skipped ? "skip" : v->passed ? "ok" : "FAIL", v->name,
                                v->message ? ": " : "", v->message ? v->message : "");
                }
                if (nr->node.shared_fs && nr->res.sfs_written) {
                        fprintf(f, "        %s: write %.1f MB/s", cr->conf.sfs_path, nr->write_mbps);
                        for (size_t j = 0; j < nr->res.n_reads; j++) {
                                const ClusterPeerRead *rd = &nr->res.reads[j];

                                if (rd->state == SFS_READ_MISSING)
                                        fprintf(f, ", %s missing", rd->peer);
                                else
                                        fprintf(f, ", read %s %.1f MB/s %s", rd->peer, cluster_mbps(rd->bytes, rd->ms),
                                                rd->state == SFS_READ_OK ? "(SHA-256 ok)" : "(SHA-256 DIFFERS)");
                        }
                        fputc('\n', f);
                }
        }
        fprintf(f, "\n%s\n", cr->n_failed ? "FAILED" : "PASSED");
}

static json_object *verdict_json(const ClusterVerdict *v) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "name", json_object_new_string(v->name));
        json_object_object_add(o, "ok", json_object_new_boolean(v->passed && !v->skipped));
        json_object_object_add(o, "skipped", json_object_new_boolean(v->skipped));
        json_object_object_add(o, "message", json_str_or_null(v->message));
        json_object_object_add(o, "seconds", json_object_new_double(v->seconds));
        json_object_object_add(o, "output", json_strv(v->output));
        return o;
}

static json_object *shared_fs_json(const ClusterRun *cr, const ClusterNodeRun *nr) {
        const ClusterResults *x = &nr->res;
        json_object *o = json_object_new_object(), *reads = json_object_new_array();

        json_object_object_add(o, "path", json_object_new_string(cr->conf.sfs_path));
        json_object_object_add(o, "mounted", json_object_new_boolean(x->sfs_mounted));
        json_object_object_add(o, "mount", json_str_or_null(x->sfs_mount));
        json_object_object_add(o, "written", json_object_new_boolean(x->sfs_written));
        json_object_object_add(o, "write_bytes", json_object_new_int64((int64_t) x->write_bytes));
        json_object_object_add(o, "write_mbps", json_object_new_double(nr->write_mbps));
        for (size_t i = 0; i < x->n_reads; i++) {
                json_object *r = json_object_new_object();

                json_object_object_add(r, "peer", json_object_new_string(x->reads[i].peer));
                json_object_object_add(r, "state", json_object_new_string(read_state(x->reads[i].state)));
                json_object_object_add(r, "bytes", json_object_new_int64((int64_t) x->reads[i].bytes));
                json_object_object_add(r, "mbps", json_object_new_double(x->reads[i].state == SFS_READ_MISSING
                                                                                 ? 0
                                                                                 : cluster_mbps(x->reads[i].bytes,
                                                                                                x->reads[i].ms)));
                json_object_array_add(reads, r);
        }
        json_object_object_add(o, "reads", reads);
        return o;
}

static json_object *node_json(const ClusterRun *cr, const ClusterNodeRun *nr) {
        json_object *o = json_object_new_object(), *checks = json_object_new_array();

        json_object_object_add(o, "name", json_object_new_string(nr->node.name));
        json_object_object_add(o, "node", json_object_new_string(nr->node.spec->name));
        json_object_object_add(o, "image", json_object_new_string(nr->node.spec->image));
        json_object_object_add(o, "address", json_object_new_string(nr->node.address));
        json_object_object_add(o, "mac", json_object_new_string(nr->mac));
        json_object_object_add(o, "configured_by", json_str_or_null(nr->net_form));
        json_object_object_add(o, "ok", json_object_new_boolean(nr->n_failed == 0));
        json_object_object_add(o, "stage", json_object_new_string(nr->stage));
        json_object_object_add(o, "kernel", json_str_or_null(nr->boot.boot.kernel));
        json_object_object_add(o, "started_seconds", nr->started_at >= 0 ? json_object_new_double(nr->started_at) : NULL);
        json_object_object_add(o, "up_seconds", nr->up_at >= 0 ? json_object_new_double(nr->up_at - nr->started_at) : NULL);
        json_object_object_add(o, "done_seconds",
                               nr->ended_at >= 0 ? json_object_new_double(nr->ended_at - nr->started_at) : NULL);
        for (size_t i = 0; i < nr->n_verdicts; i++)
                json_object_array_add(checks, verdict_json(&nr->verdicts[i]));
        json_object_object_add(o, "checks", checks);
        json_object_object_add(o, "shared_fs", nr->node.shared_fs ? shared_fs_json(cr, nr) : NULL);
        json_object_object_add(o, "console_tail", json_str_or_null(nr->boot.boot.tail));
        return o;
}

json_object *cluster_report_json(const ClusterRun *cr) {
        json_object *o = json_envelope("cluster-test", cr->n_failed == 0, NULL), *nodes = json_object_new_array();
        json_object *overhead = json_object_new_object();
        char net[16], cidr[24];

        if (!o)
                return NULL;
        cluster_ip_string(cr->conf.network, net);
        snprintf(cidr, sizeof(cidr), "%s/%u", net, cr->conf.prefix);
        json_object_object_add(o, "cluster", json_object_new_string(cr->conf.name));
        json_object_object_add(o, "network", json_object_new_string(cidr));
        json_object_object_add(o, "kvm", json_object_new_boolean(cr->kvm));
        json_object_object_add(o, "seconds", json_object_new_double(cr->seconds));
        json_object_object_add(overhead, "prepare_seconds", json_object_new_double(cr->prepare_s));
        json_object_object_add(overhead, "teardown_seconds", json_object_new_double(cr->teardown_s));
        json_object_object_add(o, "overhead", overhead);
        json_object_object_add(o, "min_throughput_mbps", json_object_new_int64(cr->conf.sfs_min_mbps));
        json_object_object_add(o, "failed_nodes", json_object_new_int64((int64_t) cr->n_failed));
        for (size_t i = 0; i < cr->n_nodes; i++)
                json_object_array_add(nodes, node_json(cr, &cr->nodes[i]));
        json_object_object_add(o, "nodes", nodes);
        return o;
}

/* the last LOG_ATTACH_MAX bytes of a log, or NULL */
static char *log_tail(const char *path) {
        _cleanup_fclose_ FILE *f = path ? fopen(path, "re") : NULL;
        char *buf;
        long end;
        size_t n;

        if (!f || fseek(f, 0, SEEK_END) < 0 || (end = ftell(f)) < 0)
                return NULL;
        if (fseek(f, end > LOG_ATTACH_MAX ? end - LOG_ATTACH_MAX : 0, SEEK_SET) < 0 || !(buf = malloc(LOG_ATTACH_MAX + 1)))
                return NULL;
        n = fread(buf, 1, LOG_ATTACH_MAX, f);
        buf[n] = '\0';
        /* XML wants valid text: control bytes but newlines and tabs, and
         * whatever is not ASCII (a console is no promise of UTF-8), out */
        for (size_t i = 0; i < n; i++)
                if (((unsigned char) buf[i] < 0x20 && buf[i] != '\n' && buf[i] != '\t') || (unsigned char) buf[i] >= 0x7f)
                        buf[i] = ' ';
        return buf;
}

int cluster_report_junit(const ClusterRun *cr, const char *path) {
        JunitSuite *suites = calloc(cr->n_nodes, sizeof(JunitSuite));
        JunitCase **cases = calloc(cr->n_nodes, sizeof(JunitCase *));
        char **names = calloc(cr->n_nodes, sizeof(char *)), **logs = calloc(cr->n_nodes, sizeof(char *));
        char **details = NULL;
        size_t n_details = 0;
        int r = -ENOMEM;

        if (!suites || !cases || !names || !logs)
                goto out;
        for (size_t i = 0; i < cr->n_nodes; i++) {
                const ClusterNodeRun *nr = &cr->nodes[i];

                cases[i] = calloc(nr->n_verdicts ? nr->n_verdicts : 1, sizeof(JunitCase));
                names[i] = strprintf("%s.%s", cr->conf.name, nr->node.name);
                if (!cases[i] || !names[i])
                        goto out;
                for (size_t j = 0; j < nr->n_verdicts; j++) {
                        const ClusterVerdict *v = &nr->verdicts[j];
                        _cleanup_(strbuf_done) StrBuf b = {};

                        if (strbuf_join(&b, v->output, "\n") < 0 || strv_consume(&details, strbuf_steal(&b)) < 0)
                                goto out;
                        cases[i][j] = (JunitCase) {
                                .classname = names[i], .name = v->name, .passed = v->passed, .skipped = v->skipped,
                                .message = v->message, .details = details[n_details++], .seconds = v->seconds,
                        };
                }
                logs[i] = log_tail(nr->console_log);
                suites[i] = (JunitSuite) { .name = names[i], .cases = cases[i], .n = nr->n_verdicts,
                                           .seconds = nr->ended_at >= 0 ? nr->ended_at - nr->started_at : cr->seconds,
                                           .system_out = logs[i] };
        }
        r = junit_write_suites(path, suites, cr->n_nodes);
out:
        for (size_t i = 0; i < cr->n_nodes; i++) {
                if (cases)
                        free(cases[i]);
                if (names)
                        free(names[i]);
                if (logs)
                        free(logs[i]);
        }
        free(suites);
        free(cases);
        free(names);
        free(logs);
        strv_free(details);
        return r;
}
