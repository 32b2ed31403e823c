/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include <unistd.h>

#include "cluster/cluster.h"
#include "report/cluster.h"
#include "shared/strv.h"

/* The cluster test's verdict from what each node's port and console said,
 * without VMs: cluster_judge() on results as runners write them, and the
 * text, JSON and JUnit renderers on its verdict. */

#define T1 "aaaaaaaaaaaaaaaa"
#define T2 "bbbbbbbbbbbbbbbb"
#define T3 "cccccccccccccccc"

static const char conf[] = "[cluster]\nname = nfs\nnetwork = 192.168.195.0/24\ntimeout = 600\n"
                           "[node controller]\nimage = /i/c.qcow2\ncheck = systemctl is-active nfs-server\n"
                           "[node compute]\nimage = /i/n.qcow2\ncount = 2\nboot-after = controller\n"
                           "expect-module = canary\ncheck = findmnt /mnt/shared\ncheck = true\n"
                           "[shared-fs]\npath = /mnt/shared\nmin-throughput = 10\n";

/* controller: all good; compute1: its mount failed, its first check too
 * (the second not run), its share never mounted; compute2: up, checks
 * good, but reads the controller at 4 MB/s and never sees compute1's file. */
static const char *const results[] = {
        "KPIN-PROBE-BEGIN " T1 "\n"
        "KPIN-PROBE " T1 " uname=6.12.57+deb13-cloud-amd64\n"
        "KPIN-PROBE " T1 " failed-units=\n"
        "KPIN-PROBE " T1 " cloud-init=done\n"
        "KPIN-READY " T1 " controller\n"
        "KPIN-CHECK " T1 " begin 1\nKPIN-CHECK " T1 " out 1 active\nKPIN-CHECK " T1 " end 1 0 40\n"
        "KPIN-SFS " T1 " mounted nfs4 controller:/srv/shared\n"
        "KPIN-SFS " T1 " write 8388608 400 0000000000000000000000000000000000000000000000000000000000000000\n"
        "KPIN-SFS " T1 " read compute1 missing 600\n"
        "KPIN-SFS " T1 " read compute2 ok 8388608 200 1111111111111111111111111111111111111111111111111111111111111111\n"
        "KPIN-CLUSTER-END " T1 " controller\n",
        "KPIN-PROBE-BEGIN " T2 "\n"
        "KPIN-PROBE " T2 " uname=6.1.0-57-cloud-amd64\n"
        "KPIN-PROBE " T2 " module=canary modprobe=ok loaded=yes\n"
        "KPIN-PROBE " T2 " failed-units=mnt-shared.mount \n"
        "KPIN-PROBE " T2 " unit-prop=mnt-shared.mount Type=nfs4\n"
        "KPIN-PROBE " T2 " unit-prop=mnt-shared.mount What=nfs-wrong:/srv/shared\n"
        "KPIN-PROBE " T2 " unit-prop=mnt-shared.mount Options=rw,_netdev\n"
        "KPIN-PROBE " T2 " cloud-init=done\n"
        "KPIN-READY " T2 " compute1\n"
        "KPIN-CHECK " T2 " begin 1\nKPIN-CHECK " T2 " out 1 nothing mounted\nKPIN-CHECK " T2 " end 1 1 30\n"
        "KPIN-CHECK " T2 " skip 2\n"
        "KPIN-SFS " T2 " unmounted 120\n"
        "KPIN-CLUSTER-END " T2 " compute1\n",
        "KPIN-PROBE-BEGIN " T3 "\n"
        "KPIN-PROBE " T3 " uname=6.1.0-57-cloud-amd64\n"
        "KPIN-PROBE " T3 " module=canary modprobe=ok loaded=yes\n"
        "KPIN-PROBE " T3 " failed-units=\n"
        "KPIN-PROBE " T3 " cloud-init=done\n"
        "KPIN-READY " T3 " compute2\n"
        "KPIN-CHECK " T3 " begin 1\nKPIN-CHECK " T3 " end 1 0 30\nKPIN-CHECK " T3 " begin 2\nKPIN-CHECK " T3 " end 2 0 1\n"
        "KPIN-SFS " T3 " mounted nfs4 controller:/srv/shared\n"
        "KPIN-SFS " T3 " write 8388608 500 2222222222222222222222222222222222222222222222222222222222222222\n"
        "KPIN-SFS " T3 " read controller ok 8388608 2000 0000000000000000000000000000000000000000000000000000000000000000\n"
        "KPIN-SFS " T3 " read compute1 missing 600\n"
        "KPIN-CLUSTER-END " T3 " compute2\n",
};
static const char *const tokens[] = { T1, T2, T3 };

static void make_run(ClusterRun *cr) {
        ClusterNode *nodes = NULL;
        size_t n = 0;
        char *error = NULL;

        *cr = (ClusterRun) { .guard_dir = -1, .seconds = 300 };
        assert_int_equal(cluster_conf_parse(conf, "nfs.conf", "", "", &cr->conf, &error), 0);
        assert_int_equal(cluster_expand(&cr->conf, &nodes, &n, &error), 0);
        assert_int_equal(n, 3);
        cr->nodes = calloc(n, sizeof(ClusterNodeRun));
        assert_non_null(cr->nodes);
        for (size_t i = 0; i < n; i++) {
                ClusterNodeRun *nr = &cr->nodes[i];

                *nr = (ClusterNodeRun) { .node = nodes[i], .started_at = i ? 60 : 0, .up_at = i ? 160 : 50,
                                         .ended_at = 200, .net_form = "cloud-init seed", .cloud_init = true };
                snprintf(nr->token, sizeof(nr->token), "%s", tokens[i]);
                snprintf(nr->mac, sizeof(nr->mac), "52:54:00:00:00:%02x", (unsigned) (i & 0xff));
                nr->boot.boot = (BootResult) { .at = { 1, 5, 9, -1, -1 } };
                nr->boot.boot.kernel = strdup(i ? "6.1.0-57-cloud-amd64" : "6.12.57+deb13-cloud-amd64");
                nr->grub_kernel = strdup(nr->boot.boot.kernel);
                assert_int_equal(cluster_results_parse(results[i], strlen(results[i]), tokens[i], &nr->res), 0);
                cr->n_nodes++;
        }
        free(nodes);
}

static const ClusterVerdict *verdict(const ClusterNodeRun *nr, const char *name) {
        for (size_t i = 0; i < nr->n_verdicts; i++)
                if (strcmp(nr->verdicts[i].name, name) == 0)
                        return &nr->verdicts[i];
        fail_msg("node %s has no check '%s'", nr->node.name, name);
        return NULL;
}

static void test_judge(void **state) {
        ClusterRun cr;
        const ClusterVerdict *v;

        (void) state;
        make_run(&cr);
        assert_int_equal(cluster_judge(&cr), 0);
        assert_int_equal(cr.n_failed, 3);

        /* controller: its own checks good; compute1's file never came */
        assert_string_equal(cr.nodes[0].stage, "done");
        assert_true(verdict(&cr.nodes[0], "boots")->passed);
        assert_true(verdict(&cr.nodes[0], "systemctl is-active nfs-server")->passed);
        v = verdict(&cr.nodes[0], "shared-fs /mnt/shared");
        assert_false(v->passed);
        assert_string_equal(v->message, "compute1's file never appeared (waited 600 s)");
        assert_true(cr.nodes[0].write_mbps > 20.9 && cr.nodes[0].write_mbps < 21.0);

        /* compute1: the mount that needs the controller counts here */
        v = verdict(&cr.nodes[1], "no failed units");
        assert_false(v->passed);
        assert_non_null(strstr(v->message, "failed units: mnt-shared.mount"));
        assert_non_null(strstr(v->message, "the cluster has the servers they need"));
        v = verdict(&cr.nodes[1], "findmnt /mnt/shared");
        assert_false(v->passed);
        assert_string_equal(v->message, "exit 1 after 0.0 s: nothing mounted");
        v = verdict(&cr.nodes[1], "true");
        assert_true(v->skipped);
        assert_non_null(strstr(v->message, "an earlier check failed"));
        assert_string_equal(verdict(&cr.nodes[1], "shared-fs /mnt/shared")->message,
                            "/mnt/shared was not mounted by the image within 120 s");
        assert_true(verdict(&cr.nodes[1], "module canary loads")->passed);

        /* compute2: reads the controller at 4.2 MB/s, under 10; but first: compute1's file */
        v = verdict(&cr.nodes[2], "shared-fs /mnt/shared");
        assert_string_equal(v->message, "compute1's file never appeared (waited 600 s)");
        assert_true(cr.nodes[2].read_mbps_min > 4.1 && cr.nodes[2].read_mbps_min < 4.2);
        cluster_run_done(&cr);

        /* without compute1 in the share, compute2's slow read is what fails */
        make_run(&cr);
        cr.nodes[1].node.shared_fs = false;
        cr.nodes[2].res.n_reads = 1;
        assert_int_equal(cluster_judge(&cr), 0);
        assert_string_equal(verdict(&cr.nodes[2], "shared-fs /mnt/shared")->message,
                            "read 4.2 MB/s (the slowest peer), under min-throughput 10 MB/s");
        cluster_run_done(&cr);
}

/* a node that never came up, one never started because of it */
static void test_stages(void **state) {
        ClusterRun cr;
        const ClusterVerdict *v;

        (void) state;
        make_run(&cr);
        cluster_results_done(&cr.nodes[0].res);
        cr.nodes[0].ended_at = -1;
        cr.nodes[0].up_at = -1;
        cr.nodes[0].down = true;
        cr.nodes[0].boot.boot.timed_out = true;
        cr.nodes[0].boot.boot.at[STAGE_USERSPACE] = -1;
        cluster_results_done(&cr.nodes[1].res);
        cr.nodes[1].not_started = strdup("never started: controller, which it boots after, never came up");
        assert_int_equal(cluster_judge(&cr), 0);
        assert_string_equal(cr.nodes[0].stage, "kernel");
        v = verdict(&cr.nodes[0], "boots");
        assert_string_equal(v->message, "timed out at stage kernel after 300 s: systemd never started");
        assert_string_equal(verdict(&cr.nodes[0], "systemctl is-active nfs-server")->message,
                            "never ran: the node reached stage kernel");
        assert_string_equal(cr.nodes[1].stage, "not started");
        assert_int_equal(cr.nodes[1].n_verdicts, 1);
        assert_string_equal(cr.nodes[1].verdicts[0].message,
                            "never started: controller, which it boots after, never came up");
        cluster_run_done(&cr);
}

static void test_render(void **state) {
        ClusterRun cr;
        char *text = NULL, path[] = "/tmp/kpin-test-junit-XXXXXX";
        size_t len = 0;
        FILE *f;
        json_object *o;
        int fd;

        (void) state;
        make_run(&cr);
        assert_int_equal(cluster_judge(&cr), 0);
        f = open_memstream(&text, &len);
        assert_non_null(f);
        cluster_report_text(&cr, f);
        fclose(f);
        assert_non_null(strstr(text, "cluster nfs: 3 nodes, 3 failed"));
        assert_non_null(strstr(text, "\ncompute1  192.168.195.11/24  FAILED  stage done, up in 100 s"));
        assert_non_null(strstr(text, "\n  skip  true: not run: an earlier check failed"));
        assert_non_null(strstr(text, "read compute2 41.9 MB/s (SHA-256 ok)"));
        assert_non_null(strstr(text, "\nFAILED\n"));
        free(text);

        o = cluster_report_json(&cr);
        assert_non_null(o);
        text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        assert_non_null(strstr(text, "\"command\":\"cluster-test\",\"ok\":false"));
        assert_non_null(strstr(text, "\"network\":\"192.168.195.0\\/24\""));
        assert_non_null(strstr(text, "\"reads\":[{\"peer\":\"compute1\",\"state\":\"missing\""));
        assert_non_null(strstr(text, "\"name\":\"findmnt \\/mnt\\/shared\",\"ok\":false,\"skipped\":false,"
                                     "\"message\":\"exit 1 after 0.0 s: nothing mounted\""));
        free(text);
        json_object_put(o);

        fd = mkstemp(path);
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(cluster_report_junit(&cr, path), 0);
        text = read_file_or_die(path, &len);
        assert_non_null(strstr(text, "<testsuite name=\"nfs.compute1\" tests=\"8\" failures=\"3\" errors=\"0\" skipped=\"1\""));
        assert_non_null(strstr(text, "<testcase classname=\"nfs.compute2\" name=\"shared-fs /mnt/shared\""));
        free(text);
        unlink(path);
        cluster_run_done(&cr);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_judge),
                cmocka_unit_test(test_stages),
                cmocka_unit_test(test_render),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
