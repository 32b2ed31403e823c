/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cluster.h"
#include "core/netconf.h"
#include "shared/cleanup.h"
#include "shared/fileio.h"
#include "shared/clock.h"
#include "shared/log.h"
#include "shared/progress.h"
#include "shared/sigguard.h"
#include "shared/strbuf.h"
#include "shared/strv.h"
#include "shared/tmpdir.h"
#include "vm/accel.h"
#include "vm/netswitch.h"

#define CONF_MAX (1u << 20)

static void node_run_done(ClusterNodeRun *nr) {
        vm_free(nr->vm);
        session_done(&nr->session);
        cidata_free(nr->seed);
        free(nr->grub_kernel);
        free(nr->console_log);
        free(nr->results_log);
        free(nr->not_started);
        boot_test_done(&nr->boot);
        cluster_results_done(&nr->res);
        for (size_t i = 0; i < nr->n_verdicts; i++) {
                free(nr->verdicts[i].name);
                free(nr->verdicts[i].message);
                strv_free(nr->verdicts[i].output);
        }
        free(nr->verdicts);
}

void cluster_run_done(ClusterRun *r) {
        for (size_t i = 0; r->nodes && i < r->n_nodes; i++)
                node_run_done(&r->nodes[i]);
        free(r->nodes);
        if (r->run_dir)
                (void) sigguard_remove_tree(r->run_dir, 2);
        if (r->run_dir)
                sigguard_forget_dir(r->guard_dir);
        free(r->run_dir);
        cluster_conf_done(&r->conf);
        *r = (ClusterRun) {};
}

/* The file, its check files: every usage error before anything starts. */
static int load(const ClusterOptions *o, ClusterRun *cr, char ****ret_checks) {
        _cleanup_free_ char *text = NULL, *error = NULL, *copy = strdup(o->conf);
        _cleanup_free_ ClusterNode *nodes = NULL;
        char ***checks;
        const char *dir;
        size_t n = 0;
        int r;

        if (!copy)
                return -ENOMEM;
        dir = dirname(copy);
        r = read_file_bounded(o->conf, CONF_MAX, READ_HEAD, &text, NULL);
        if (r < 0)
                return log_fail(KPIN_EXIT_USAGE, r, "%s: %m", o->conf);
        r = cluster_conf_parse(text, o->conf, dir, o->image_dir ? o->image_dir : dir, &cr->conf, &error);
        if (r < 0)
                return error ? log_fail(KPIN_EXIT_USAGE, r, "%s", error) : r;
        r = cluster_expand(&cr->conf, &nodes, &n, &error);
        if (r < 0)
                return error ? log_fail(KPIN_EXIT_USAGE, r, "%s: %s", o->conf, error) : r;
        cr->nodes = calloc(n, sizeof(ClusterNodeRun));
        checks = calloc(cr->conf.n_specs + 1, sizeof(char **));
        if (!cr->nodes || !checks) {
                free(checks);
                return -ENOMEM;
        }
        *ret_checks = checks;
        for (size_t i = 0; i < n; i++) {
                cr->nodes[i] = (ClusterNodeRun) { .node = nodes[i], .started_at = -1, .up_at = -1, .ended_at = -1 };
                cr->n_nodes++;
        }
        for (size_t i = 0; i < cr->conf.n_specs; i++) {
                const ClusterNodeSpec *s = &cr->conf.specs[i];

                if (access(s->image, R_OK) < 0)
                        return log_fail(KPIN_EXIT_IMAGE_MISSING, -errno, "%s: node %s: image %s: %m", o->conf, s->name, s->image);
                for (size_t j = 0; j < s->n_checks; j++) {
                        char *t = NULL;
                        size_t len = 0;

                        if (s->checks[j].command)
                                t = strprintf("%s\n", s->checks[j].command);
                        else if ((r = read_file_bounded(s->checks[j].file, CLUSTER_CHECK_FILE_MAX, READ_HEAD, &t, &len)) < 0)
                                return log_fail(KPIN_EXIT_USAGE, r, "%s: node %s: check-file %s: %m", o->conf, s->name,
                                                s->checks[j].file);
                        else if (len >= CLUSTER_CHECK_FILE_MAX || memchr(t, '\0', len)) {
                                free(t);
                                return log_fail(KPIN_EXIT_USAGE, -EINVAL, "%s: node %s: check-file %s: not a script "
                                                "(binary, or over %d KiB)", o->conf, s->name, s->checks[j].file,
                                                CLUSTER_CHECK_FILE_MAX / 1024);
                        }
                        if (!t || strv_consume(&checks[i], t) < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

static int random_hex(char *buf, size_t bytes) {
        unsigned char b[32];

        if (bytes > sizeof(b) || getrandom(b, bytes, 0) != (ssize_t) bytes)
                return -EIO;
        for (size_t i = 0; i < bytes; i++)
                snprintf(buf + 2 * i, 3, "%02x", b[i]);
        return 0;
}

static int prepare(ClusterRun *cr, const ClusterOptions *o, char ***checks) {
        const char *logs;
        int r;

        cr->run_dir = tmpdir_make("cluster");
        if (!cr->run_dir)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -errno, "cannot create the cluster's directory: %m");
        cr->guard_dir = sigguard_add_dir(cr->run_dir);
        if (cr->guard_dir < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, cr->guard_dir, "cannot guard %s: %m", cr->run_dir);
        logs = o->serial_dir ? o->serial_dir : cr->run_dir;
        if ((r = boot_test_token(cr->run_id)) < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, r, "cannot draw random numbers: %m");
        if (o->serial_dir && mkdir(o->serial_dir, 0755) < 0 && errno != EEXIST)
                return log_fail(KPIN_EXIT_USAGE, -errno, "--serial-dir %s: %m", o->serial_dir);
        for (size_t i = 0; i < cr->n_nodes; i++) {
                ClusterNodeRun *nr = &cr->nodes[i];

                if ((r = boot_test_token(nr->token)) < 0 || (r = boot_test_mac(nr->mac)) < 0 ||
                    (r = random_hex(nr->machine_id, 16)) < 0)
                        return log_fail(KPIN_EXIT_ENVIRONMENT, r, "cannot draw random numbers: %m");
                nr->console_log = strprintf("%s/%s.console.log", logs, nr->node.name);
                nr->results_log = strprintf("%s/%s.results.log", logs, nr->node.name);
                if (!nr->console_log || !nr->results_log)
                        return -ENOMEM;
                log_info("node %s: preparing its overlay of %s (%s)", nr->node.name, nr->node.spec->image, nr->node.address);
                r = cluster_prepare_node(cr, nr, o, checks[nr->node.spec_index]);
                if (r < 0)
                        return r;
                if (nr->cloud_init) {
                        _cleanup_free_ char *netcfg = NULL, *id = strprintf("kpin-cluster-%s-%s", nr->token, nr->node.name);

                        if (!id)
                                return -ENOMEM;
                        r = netconf_cloud_init(nr->mac, nr->node.address, &netcfg);
                        if (r >= 0)
                                r = cidata_make_host(id, nr->node.name, netcfg, &nr->seed);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int start_node(ClusterRun *cr, ClusterNodeRun *nr, const char *sw, double t0) {
        const ClusterNodeSpec *s = nr->node.spec;
        double left = cr->conf.timeout_s - (monotonic_s() - t0);
        size_t running = 1;
        int r;

        /* vCPUs as the cores allow when it starts: a server booting alone
         * gets two (under TCG on 2 cores its boot took 58 s, not 94 s) */
        for (size_t i = 0; i < cr->n_nodes; i++)
                running += cr->nodes[i].vm && !cr->nodes[i].down;

        (void) unlink(nr->results_log);
        r = vm_start(&(BootOptions) {
                             .disk = session_disk(&nr->session),
                             .kvm = cr->kvm,
                             .firmware = s->firmware,
                             .memory_mb = s->memory_mb ? s->memory_mb : cr->conf.memory_mb,
                             .smp = qemu_vcpus(sysconf(_SC_NPROCESSORS_ONLN), running),
                             .timeout_s = left > 1 ? (unsigned) left : 1,
                             .token = nr->token,
                             .expect_kernel = s->expect_kernel ? s->expect_kernel : nr->grub_kernel,
                             .serial_log = nr->console_log,
                             .seed = nr->seed ? nr->seed->path : NULL,
                             .net_switch = sw,
                             .mac = nr->mac,
                             .results_file = nr->results_log,
                             .label = nr->node.name,
                     },
                     &nr->vm);
        if (r < 0)
                return r;
        nr->started_at = monotonic_s() - t0;
        log_notice("cluster-test: node %s: started (%s, %s)", nr->node.name, nr->node.address, firmware_label(s->firmware));
        return 0;
}

/* What its port says now, and a live line for what is new. */
static void observe(ClusterNodeRun *nr, double now) {
        const BootResult *b = vm_result(nr->vm);
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int stage = b->at[STAGE_USERSPACE] >= 0 ? 3 : b->at[STAGE_KERNEL] >= 0 ? 2 : b->at[STAGE_GRUB] >= 0 ? 1 : 0;

        if (stage > nr->live_stage) {
                nr->live_stage = stage;
                if (stage == 2)
                        log_notice("cluster-test: node %s: kernel %s (%.0f s)", nr->node.name, b->kernel ? b->kernel : "?", now - nr->started_at);
        }
        if (read_file_bounded(nr->results_log, CLUSTER_RESULTS_MAX, READ_HEAD, &text, &len) < 0)
                return;
        cluster_results_done(&nr->res);
        if (cluster_results_parse(text, len, nr->token, &nr->res) < 0)
                return;
        if (nr->res.ready && nr->up_at < 0) {
                nr->up_at = now;
                log_notice("cluster-test: node %s: up (%.0f s)", nr->node.name, now - nr->started_at);
        }
        for (; nr->live_checks < nr->node.spec->n_checks; nr->live_checks++) {
                const ClusterCheckRun *c = &nr->res.checks[nr->live_checks];

                if (!c->ended && !c->skipped)
                        break;
                log_notice("cluster-test: node %s: check %zu/%zu %s: %s", nr->node.name, nr->live_checks + 1, nr->node.spec->n_checks,
                         c->skipped ? "not run" : c->rc == 0 ? "passed" : "FAILED",
                         nr->node.spec->checks[nr->live_checks].name);
        }
        if (nr->res.ended && nr->ended_at < 0) {
                nr->ended_at = now;
                vm_release(nr->vm);
                log_notice("cluster-test: node %s: done (%.0f s)", nr->node.name, now - nr->started_at);
        }
}

/* A node may start once every node of its boot-after group is up; it
 * never will if one of them is down. 1: start, 0: wait, -1: never. */
static int may_start(const ClusterRun *cr, const ClusterNodeRun *nr, const char **ret_blocker) {
        const char *after = nr->node.spec->boot_after;
        int verdict = 1;

        if (!after)
                return 1;
        for (size_t i = 0; i < cr->n_nodes; i++) {
                const ClusterNodeRun *o = &cr->nodes[i];

                if (strcmp(o->node.spec->name, after) != 0)
                        continue;
                if (o->down || o->not_started) {
                        *ret_blocker = o->node.name;
                        return -1;
                }
                if (o->up_at < 0)
                        verdict = 0;
        }
        return verdict;
}

static bool settled(const ClusterNodeRun *nr) {
        return nr->not_started || nr->down || nr->ended_at >= 0;
}

static int run_loop(ClusterRun *cr, const char *sw) {
        double t0 = monotonic_s();
        VmInstance *vms[CLUSTER_MAX_NODES];
        int r;

        progress_begin("cluster-test");
        for (;;) {
                size_t k = 0, open = 0;
                double now = monotonic_s() - t0;

                for (size_t i = 0; i < cr->n_nodes; i++) {
                        ClusterNodeRun *nr = &cr->nodes[i];
                        const char *blocker = NULL;
                        int m;

                        if (nr->vm || nr->not_started)
                                continue;
                        m = may_start(cr, nr, &blocker);
                        if (m < 0 && !(nr->not_started = strprintf("never started: %s, which it boots after, never came up",
                                                                   blocker)))
                                return -ENOMEM;
                        if (m > 0 && (r = start_node(cr, nr, sw, t0)) < 0)
                                return r;
                }
                for (size_t i = 0; i < cr->n_nodes; i++) {
                        ClusterNodeRun *nr = &cr->nodes[i];

                        if (!nr->vm)
                                continue;
                        vms[k++] = nr->vm;
                        if (nr->down || nr->ended_at >= 0)
                                continue;
                        observe(nr, now);
                        if (nr->ended_at < 0 && vm_finished(nr->vm)) {
                                const BootResult *b = vm_result(nr->vm);

                                nr->down = true;
                                log_notice("cluster-test: node %s: %s (%.0f s)%s%s", nr->node.name,
                                           b->timed_out ? "TIMED OUT" : "DOWN", now - nr->started_at,
                                           b->failure ? ": " : "", b->failure ? b->failure : "");
                        }
                }
                for (size_t i = 0; i < cr->n_nodes; i++)
                        open += !settled(&cr->nodes[i]);
                if (open == 0)
                        break;
                if (now >= cr->conf.timeout_s) {
                        for (size_t i = 0; i < cr->n_nodes; i++)
                                if (!settled(&cr->nodes[i]) && !cr->nodes[i].vm &&
                                    !(cr->nodes[i].not_started = strprintf("never started within the cluster's %u s",
                                                                           cr->conf.timeout_s)))
                                        return -ENOMEM;
                        break;
                }
                (void) vm_poll(vms, k, 1000);
        }
        progress_end();
        cr->seconds = monotonic_s() - t0;
        return 0;
}

int cluster_test_run(const ClusterOptions *o, ClusterRun *ret) {
        _cleanup_(cluster_run_done) ClusterRun cr = { .guard_dir = -1 };
        _cleanup_(netswitch_stopp) NetSwitch *sw = NULL;
        char ***checks = NULL;
        double t;
        int r;

        cr.keep_going = o->keep_going;
        r = load(o, &cr, &checks);
        if (r >= 0)
                r = accel_resolve(o->run.accel, &cr.kvm);
        t = monotonic_s();
        if (r >= 0)
                r = prepare(&cr, o, checks);
        for (size_t i = 0; checks && i < cr.conf.n_specs; i++)
                strv_free(checks[i]);
        free(checks);
        if (r >= 0)
                r = netswitch_start(&sw);
        if (r < 0)
                return r;
        cr.prepare_s = monotonic_s() - t;
        {
                char net[16];

                cluster_ip_string(cr.conf.network, net);
                log_notice("cluster-test: cluster %s: %zu nodes on %s/%u, prepared in %.1f s", cr.conf.name, cr.n_nodes, net,
                           cr.conf.prefix, cr.prepare_s);
        }
        r = run_loop(&cr, sw->sock);
        t = monotonic_s();
        for (size_t i = 0; i < cr.n_nodes; i++) {
                ClusterNodeRun *nr = &cr.nodes[i];

                if (!nr->vm)
                        continue;
                /* the verdict is the port's: no generic "never reported" from the console's side */
                vm_release(nr->vm);
                if (vm_finish(nr->vm, &nr->boot.boot) < 0 && r >= 0)
                        r = -EIO;
                nr->vm = vm_free(nr->vm);
        }
        sw = netswitch_stop(sw);
        for (size_t i = 0; i < cr.n_nodes; i++)
                session_done(&cr.nodes[i].session);
        cr.teardown_s = monotonic_s() - t;
        if (r < 0)
                return r;
        r = cluster_judge(&cr);
        if (r < 0)
                return r;
        *ret = cr;
        cr = (ClusterRun) { .guard_dir = -1 };
        return 0;
}
