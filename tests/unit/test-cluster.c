/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include "core/clusterconf.h"
#include "core/clusterresult.h"
#include "core/clusterscript.h"
#include "core/netconf.h"
#include "shared/strbuf.h"
#include "shared/strv.h"

#define TOKEN "abcdefghij012345"

static const char good[] = "# a site's cluster\n"
                           "[cluster]\n"
                           "name = hpc\n"
                           "network = 192.168.195.0/24\n"
                           "timeout = 600\n"
                           "\n"
                           "[node controller]\n"
                           "image = controller.qcow2\n"
                           "address = 192.168.195.10\n"
                           "memory = 2048\n"
                           "check = systemctl is-active beegfs-mgmtd\n"
                           "check-file = checks/mounted.sh\n"
                           "\n"
                           "[node compute]\n"
                           "image = /images/compute.qcow2\n"
                           "count = 3\n"
                           "boot-after = controller\n"
                           "firmware = uefi\n"
                           "expect-module = beegfs canary\n"
                           "check = lsmod | grep -q beegfs\n"
                           "check-timeout = 30\n"
                           "check = findmnt -t beegfs /mnt/beegfs\n"
                           "\n"
                           "[shared-fs]\n"
                           "path = /mnt/beegfs\n"
                           "nodes = compute\n"
                           "size = 16\n"
                           "min-throughput = 2000\n";

static ClusterConf parse_ok(const char *text) {
        ClusterConf c = {};
        char *error = NULL;

        if (cluster_conf_parse(text, "hpc.conf", "/etc/kpin", "/srv/images", &c, &error) < 0)
                fail_msg("%s", error);
        return c;
}

static void test_parse(void **state) {
        ClusterConf c = parse_ok(good);
        ClusterNode *n = NULL;
        size_t k = 0;
        char *error = NULL;

        (void) state;
        assert_string_equal(c.name, "hpc");
        assert_int_equal(c.prefix, 24);
        assert_int_equal(c.timeout_s, 600);
        assert_int_equal(c.n_specs, 2);
        assert_string_equal(c.specs[0].image, "/srv/images/controller.qcow2");
        assert_string_equal(c.specs[1].image, "/images/compute.qcow2");
        assert_int_equal(c.specs[0].memory_mb, 2048);
        assert_int_equal(c.specs[0].n_checks, 2);
        assert_string_equal(c.specs[0].checks[1].file, "/etc/kpin/checks/mounted.sh");
        assert_string_equal(c.specs[0].checks[1].name, "mounted.sh");
        assert_int_equal(c.specs[0].checks[0].timeout_s, CLUSTER_DEFAULT_CHECK_TIMEOUT);
        /* check-timeout applies to the checks after it */
        assert_int_equal(c.specs[1].checks[0].timeout_s, CLUSTER_DEFAULT_CHECK_TIMEOUT);
        assert_int_equal(c.specs[1].checks[1].timeout_s, 30);
        assert_int_equal(c.specs[1].firmware, FIRMWARE_UEFI);
        assert_string_equal(c.specs[1].boot_after, "controller");
        assert_string_equal(c.specs[1].expect_modules[1], "canary");
        assert_string_equal(c.sfs_path, "/mnt/beegfs");
        assert_int_equal(c.sfs_min_mbps, 2000);

        assert_int_equal(cluster_expand(&c, &n, &k, &error), 0);
        assert_int_equal(k, 4);
        assert_string_equal(n[0].name, "controller");
        assert_string_equal(n[0].address, "192.168.195.10/24");
        assert_false(n[0].shared_fs);
        /* counted nodes are numbered; their addresses step around the given one */
        assert_string_equal(n[1].name, "compute1");
        assert_string_equal(n[1].address, "192.168.195.11/24");
        assert_string_equal(n[3].name, "compute3");
        assert_string_equal(n[3].address, "192.168.195.13/24");
        assert_true(n[3].shared_fs);
        assert_true(cluster_node_named(&n[2], "compute"));
        assert_true(cluster_node_named(&n[2], "compute2"));
        assert_false(cluster_node_named(&n[2], "compute1"));
        free(n);
        cluster_conf_done(&c);

        /* defaults: the whole cluster shares the fs, addresses from .10 */
        c = parse_ok("[node a]\nimage = a.qcow2\n[node b]\nimage = b.qcow2\naddress = 10.213.1.10\n[shared-fs]\npath = /shared\n");
        assert_string_equal(c.name, "cluster");
        assert_int_equal(c.timeout_s, CLUSTER_DEFAULT_TIMEOUT);
        assert_int_equal(cluster_expand(&c, &n, &k, &error), 0);
        assert_string_equal(n[0].address, "10.213.1.11/24");
        assert_string_equal(n[1].address, "10.213.1.10/24");
        assert_true(n[0].shared_fs && n[1].shared_fs);
        free(n);
        cluster_conf_done(&c);
}

/* the site example in images/ is a file kpin takes */
static void test_site_example(void **state) {
        size_t len;
        char *text = read_file_or_die("images/cluster-hpc.conf", &len);
        ClusterConf c = parse_ok(text);
        ClusterNode *n = NULL;
        size_t k = 0;
        char *error = NULL;

        (void) state;
        assert_int_equal(c.n_specs, 2);
        assert_string_equal(c.specs[1].boot_after, "hpc-controller");
        assert_int_equal(c.sfs_min_mbps, 2000);
        assert_int_equal(cluster_expand(&c, &n, &k, &error), 0);
        assert_int_equal(k, 4);
        assert_string_equal(n[3].name, "hpc-compute3");
        assert_string_equal(n[3].address, "192.168.195.13/24");
        free(n);
        cluster_conf_done(&c);
        free(text);
}

static void expect_error(const char *text, const char *want) {
        ClusterConf c = {};
        char *error = NULL;

        assert_int_equal(cluster_conf_parse(text, "c.conf", "", "", &c, &error), -EINVAL);
        assert_non_null(error);
        if (!strstr(error, want))
                fail_msg("'%s' does not contain '%s'", error, want);
        free(error);
}

static void expect_expand_error(const char *text, const char *want) {
        ClusterConf c = parse_ok(text);
        ClusterNode *n = NULL;
        size_t k = 0;
        char *error = NULL;

        assert_int_equal(cluster_expand(&c, &n, &k, &error), -EINVAL);
        assert_non_null(error);
        if (!strstr(error, want))
                fail_msg("'%s' does not contain '%s'", error, want);
        free(error);
        cluster_conf_done(&c);
}

static void test_errors(void **state) {
        (void) state;
        expect_error("[cluster]\nname = x\n", "c.conf:0: no [node NAME] section");
        expect_error("[cluster]\nnetwork = 10.0.0.1/24\n[node a]\nimage = a\n", "c.conf:2: network: '10.0.0.1/24'");
        expect_error("[cluster]\nnetwork = 10.0.0.0/31\n", "c.conf:2: network");
        expect_error("[node a]\nimage = a\ncolour = blue\n", "c.conf:3: unknown key 'colour' in [node a]");
        expect_error("[node A]\nimage = a\n", "c.conf:1: [node A]: not a node name");
        expect_error("[node a]\nimage = a\n[node a]\nimage = b\n", "c.conf:3: [node a] again (first on line 1)");
        expect_error("[node a]\nimage = a\ncount = 0\n", "c.conf:3: count: '0'");
        expect_error("[node a]\nimage = a\nboot-after = b\n", "boot-after names no other node: 'b'");
        expect_error("[node a]\nimage = a\nboot-after = b\n[node b]\nimage = b\nboot-after = a\n", "goes round in a circle");
        expect_error("[node a]\ncheck = true\n", "c.conf:1: [node a] has no image");
        expect_error("[node a]\nimage = a\nexpect-module = beegfs;reboot\n", "not a module name");
        expect_error("[shared-fs]\npath = /mnt/x y\n", "path: '/mnt/x y'");
        expect_error("[shared-fs]\npath = relative\n", "path: 'relative'");
        expect_error("[shared-fs]\nsize = 9999\n", "size: '9999'");
        expect_error("[node a]\nimage = a\n[shared-fs]\nsize = 4\n", "[shared-fs] has no path");
        expect_error("image = a\n", "c.conf:1: 'image' before any [section]");
        expect_error("[node a]\nimage =\n", "c.conf:2: image: no value");
        expect_error("[weird]\n", "unknown section [weird]");
        expect_expand_error("[cluster]\nnetwork = 10.1.0.0/24\n[node a]\nimage = a\naddress = 10.2.0.5\n",
                            "node a: address 10.2.0.5 is not a host of the cluster's network");
        expect_expand_error("[cluster]\nnetwork = 10.1.0.0/24\n[node a]\nimage = a\ncount = 2\naddress = 10.1.0.254\n",
                            "node a2: address 10.1.0.255");
        expect_expand_error("[node a]\nimage = a\naddress = 10.213.1.20\n[node b]\nimage = b\naddress = 10.213.1.20\n",
                            "nodes a and b have the same address");
        expect_expand_error("[node a]\nimage = a\n[shared-fs]\npath = /x\nnodes = b\n", "no node is called 'b'");
}

static void test_results(void **state) {
        size_t len;
        char *text = read_file_or_die("tests/fuzz/corpus/cluster/results", &len);
        ClusterResults r = {};
        StrBuf b = {};

        (void) state;
        assert_int_equal(cluster_results_parse(text, len, TOKEN, &r), 0);
        assert_true(r.begun && r.ready && r.ended);
        assert_string_equal(r.probe[0], "uname=6.1.0-41-cloud-amd64");
        assert_true(r.checks[0].begun && r.checks[0].ended);
        assert_int_equal(r.checks[0].rc, 0);
        assert_int_equal(r.checks[0].ms, 120);
        assert_string_equal(r.checks[0].output[0], "controller:/srv/shared nfs4");
        assert_false(r.checks[1].begun);
        assert_true(r.sfs_mounted);
        assert_string_equal(r.sfs_mount, "nfs4 controller:/srv/shared");
        assert_true(r.sfs_written);
        assert_int_equal(r.write_bytes, 8388608);
        assert_int_equal(r.n_reads, 2);
        assert_string_equal(r.reads[0].peer, "compute2");
        assert_int_equal(r.reads[0].state, SFS_READ_OK);
        assert_int_equal(r.reads[1].state, SFS_READ_MISSING);
        assert_int_equal(r.reads[1].ms, 600);
        assert_true(cluster_mbps(8388608, 412) > 20.3 && cluster_mbps(8388608, 412) < 20.4);
        cluster_results_done(&r);

        /* another token's lines are not this node's; a line being written is not read yet */
        assert_int_equal(cluster_results_parse(text, len, "zzzzzzzzzzzzzzzz", &r), 0);
        assert_false(r.begun || r.ready || r.ended);
        cluster_results_done(&r);
        assert_int_equal(cluster_results_parse(text, len - 1, TOKEN, &r), 0);
        assert_false(r.ended);
        cluster_results_done(&r);

        /* 100 output lines keep the last 20; numbers out of range are dropped */
        assert_int_equal(strbuf_puts(&b, "KPIN-CHECK " TOKEN " begin 3\n"), 0);
        for (int i = 0; i < 100; i++)
                assert_int_equal(strbuf_printf(&b, "KPIN-CHECK " TOKEN " out 3 line %d\t\x01x\n", i), 0);
        assert_int_equal(strbuf_puts(&b, "KPIN-CHECK " TOKEN " end 3 1 99999999999\nKPIN-CHECK " TOKEN " end 99 1 2\n"
                                         "KPIN-CHECK " TOKEN " end 0 1 2\nKPIN-SFS " TOKEN " write x 1\n"
                                         "KPIN-SFS " TOKEN " read p odd 1 1\n"),
                         0);
        assert_int_equal(cluster_results_parse(b.s, b.n, TOKEN, &r), 0);
        assert_int_equal(strv_length(r.checks[2].output), CLUSTER_OUTPUT_LINES);
        assert_string_equal(r.checks[2].output[0], "line 80 ?x");
        assert_string_equal(r.checks[2].output[19], "line 99 ?x");
        assert_false(r.checks[2].ended);
        assert_false(r.sfs_written);
        assert_int_equal(r.n_reads, 0);
        cluster_results_done(&r);
        strbuf_done(&b);
        free(text);
}

static void test_script(void **state) {
        char *s = NULL, *mods[] = { "canary", NULL }, *peers[] = { "compute1", "compute2", NULL },
             *bad[] = { "a b", NULL };
        unsigned to[] = { 120, 30 };
        ClusterRunner r = { .token = TOKEN, .run_id = "runid01234567890", .node = "compute1", .modules = mods, .check_timeouts = to, .n_checks = 2,
                            .sfs_path = "/mnt/shared", .sfs_size_mb = 8, .sfs_peers = peers, .sfs_wait_s = 600 };
        FILE *f;

        (void) state;
        assert_int_equal(cluster_runner_script(&r, &s), 0);
        assert_non_null(strstr(s, "\nT='" TOKEN "'\nRUN='runid01234567890'\nNODE='compute1'\nM='canary'\nCK='1:120 2:30'\nKG='0'\n"
                                  "P='/mnt/shared'\nPEERS='compute1 compute2'\nSZ=8\nSW=600\n"));
        assert_non_null(strstr(s, "C=/dev/virtio-ports/" CLUSTER_PORT_NAME "\n"));
        assert_null(strstr(s, "ttyS0\"\n")); /* its reports never go to the console */
        assert_null(strstr(s, "poweroff"));   /* the others may still need it */
        /* every node names the shared files by the cluster's run, not its own token */
        assert_non_null(strstr(s, "f=\"$P/.kpin-$RUN-$NODE\""));
        assert_non_null(strstr(s, "g=\"$P/.kpin-$RUN-$p\""));
        /* sh parses it */
        f = popen("sh -n", "w");
        assert_non_null(f);
        fputs(s, f);
        assert_int_equal(pclose(f), 0);
        free(s);
        r.sfs_peers = bad;
        assert_int_equal(cluster_runner_script(&r, &s), -EINVAL);
        r.sfs_peers = peers;
        r.sfs_path = "/mnt/$(reboot)";
        assert_int_equal(cluster_runner_script(&r, &s), -EINVAL);
        r.sfs_path = NULL;
        r.token = "short";
        assert_int_equal(cluster_runner_script(&r, &s), -EINVAL);
        assert_non_null(strstr(cluster_runner_unit(), "After=multi-user.target remote-fs.target network-online.target\n"));
}

static void test_net_files(void **state) {
        char *s = NULL, *names[] = { "controller", "compute1", NULL },
             *addrs[] = { "192.168.195.10/24", "192.168.195.11/24", NULL }, *bad[] = { "a b", NULL };

        (void) state;
        assert_int_equal(netconf_hosts(names, addrs, &s), 0);
        assert_non_null(strstr(s, "\n192.168.195.10\tcontroller\n192.168.195.11\tcompute1\n"));
        assert_non_null(strstr(s, "127.0.0.1\tlocalhost\n"));
        free(s);
        assert_int_equal(netconf_hosts(bad, addrs, &s), -EINVAL);
        assert_int_equal(netconf_link("52:54:00:0a:bc:de", &s), 0);
        assert_non_null(strstr(s, "[Match]\nMACAddress=52:54:00:0a:bc:de\n\n[Link]\nName=kpin0\n"));
        free(s);
        assert_int_equal(netconf_ifupdown("192.168.195.11/24", &s), 0);
        assert_non_null(strstr(s, "auto kpin0\niface kpin0 inet static\n\taddress 192.168.195.11/24\n"));
        free(s);
        assert_int_equal(netconf_ifupdown("192.168.195.11/24\nup reboot", &s), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_site_example),
                cmocka_unit_test(test_results),
                cmocka_unit_test(test_script),
                cmocka_unit_test(test_net_files),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
