/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clusterconf.h"
#include "probe.h"
#include "shared/cleanup.h"
#include "shared/strv.h"

typedef enum Section { SEC_NONE, SEC_CLUSTER, SEC_NODE, SEC_SHARED_FS } Section;

typedef struct Parser {
        ClusterConf *c;
        const char *path, *dir, *image_dir;
        unsigned line;
        Section sec;
        ClusterNodeSpec *node;
        unsigned check_timeout;
        char *error;
} Parser;

static int fail(Parser *ps, char *msg) {
        if (!ps->error)
                ps->error = strprintf("%s:%u: %s", ps->path, ps->line, msg ? msg : "out of memory");
        free(msg);
        return -EINVAL;
}

/* [a-z][a-z0-9-]*: a hostname label, and a word the runner script can hold */
static bool name_ok(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > CLUSTER_NAME_MAX - 3 || !islower((unsigned char) s[0]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!islower((unsigned char) s[i]) && !isdigit((unsigned char) s[i]) && s[i] != '-')
                        return false;
        return s[n - 1] != '-';
}

static int parse_uint(const char *v, unsigned lo, unsigned hi, unsigned *ret) {
        char *end;
        unsigned long x;

        if (!isdigit((unsigned char) *v))
                return -EINVAL;
        errno = 0;
        x = strtoul(v, &end, 10);
        if (errno || *end || x < lo || x > hi)
                return -EINVAL;
        *ret = (unsigned) x;
        return 0;
}

static int parse_ip(const char *v, uint32_t *ret) {
        struct in_addr a;

        if (inet_pton(AF_INET, v, &a) != 1)
                return -EINVAL;
        *ret = ntohl(a.s_addr);
        return 0;
}

static int parse_cidr(const char *v, uint32_t *ret_net, unsigned *ret_prefix) {
        char ip[16];
        const char *slash = strchr(v, '/');
        uint32_t a, mask;
        unsigned p;

        if (!slash || (size_t) (slash - v) >= sizeof(ip))
                return -EINVAL;
        memcpy(ip, v, slash - v);
        ip[slash - v] = '\0';
        if (parse_ip(ip, &a) < 0 || parse_uint(slash + 1, 8, 29, &p) < 0)
                return -EINVAL;
        mask = UINT32_MAX << (32 - p);
        if (a & ~mask)
                return -EINVAL; /* host bits set: not a network */
        *ret_net = a;
        *ret_prefix = p;
        return 0;
}

void cluster_ip_string(uint32_t ip, char ret[static 16]) {
        snprintf(ret, 16, "%u.%u.%u.%u", ip >> 24, ip >> 16 & 255, ip >> 8 & 255, ip & 255);
}

static char *resolve(const char *dir, const char *v) {
        if (v[0] == '/' || !dir || !*dir || strcmp(dir, ".") == 0)
                return strdup(v);
        return strprintf("%s/%s", dir, v);
}

/* a path the runner script holds as a plain word */
static bool guest_path_ok(const char *p) {
        if (p[0] != '/' || strlen(p) > 200 || strstr(p, "/../") || strcmp(p, "/") == 0)
                return false;
        for (; *p; p++)
                if (!isalnum((unsigned char) *p) && !strchr("/._-", *p))
                        return false;
        return true;
}

static int add_check(Parser *ps, const char *key, const char *v) {
        ClusterNodeSpec *n = ps->node;
        ClusterCheck *ck;
        bool file = strcmp(key, "check-file") == 0;

        if (n->n_checks >= CLUSTER_MAX_CHECKS)
                return fail(ps, strprintf("more than %d checks in [node %s]", CLUSTER_MAX_CHECKS, n->name));
        ck = &n->checks[n->n_checks];
        *ck = (ClusterCheck) { .timeout_s = ps->check_timeout };
        if (file) {
                const char *base = strrchr(v, '/');

                ck->file = resolve(ps->dir, v);
                ck->name = strdup(base ? base + 1 : v);
        } else {
                ck->command = strdup(v);
                ck->name = strlen(v) > 60 ? strprintf("%.57s...", v) : strdup(v);
        }
        if (!ck->name || (file ? !ck->file : !ck->command)) {
                free(ck->name);
                free(ck->file);
                free(ck->command);
                return -ENOMEM;
        }
        n->n_checks++;
        return 0;
}

static int node_key(Parser *ps, const char *k, const char *v) {
        ClusterNodeSpec *n = ps->node;
        unsigned u;

        if (strcmp(k, "image") == 0) {
                free(n->image);
                return (n->image = resolve(ps->image_dir, v)) ? 0 : -ENOMEM;
        }
        if (strcmp(k, "count") == 0)
                return parse_uint(v, 1, CLUSTER_MAX_NODES, &n->count) < 0
                               ? fail(ps, strprintf("count: '%s' is not a number from 1 to %d", v, CLUSTER_MAX_NODES))
                               : 0;
        if (strcmp(k, "address") == 0)
                return parse_ip(v, &n->address) < 0 ? fail(ps, strprintf("address: '%s' is not an IPv4 address", v)) : 0;
        if (strcmp(k, "memory") == 0) {
                if (parse_uint(v, 256, 65536, &u) < 0)
                        return fail(ps, strprintf("memory: '%s' is not a number of MB from 256 to 65536", v));
                n->memory_mb = (int) u;
                return 0;
        }
        if (strcmp(k, "firmware") == 0)
                return firmware_from_string(v, &n->firmware) < 0
                               ? fail(ps, strprintf("firmware: '%s' is not bios, uefi or uefi-secure", v))
                               : 0;
        if (strcmp(k, "boot-after") == 0) {
                if (!name_ok(v))
                        return fail(ps, strprintf("boot-after: '%s' is not a node name", v));
                free(n->boot_after);
                return (n->boot_after = strdup(v)) ? 0 : -ENOMEM;
        }
        if (strcmp(k, "expect-kernel") == 0) {
                free(n->expect_kernel);
                return (n->expect_kernel = strdup(v)) ? 0 : -ENOMEM;
        }
        if (strcmp(k, "expect-module") == 0) {
                _cleanup_free_ char *copy = strdup(v);

                if (!copy)
                        return -ENOMEM;
                for (char *save = NULL, *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                        if (!probe_module_name_ok(w))
                                return fail(ps, strprintf("expect-module: '%s' is not a module name", w));
                        if (strv_extend(&n->expect_modules, w) < 0)
                                return -ENOMEM;
                }
                return 0;
        }
        if (strcmp(k, "check-timeout") == 0)
                return parse_uint(v, 1, 86400, &ps->check_timeout) < 0
                               ? fail(ps, strprintf("check-timeout: '%s' is not a number of seconds from 1 to 86400", v))
                               : 0;
        if (strcmp(k, "check") == 0 || strcmp(k, "check-file") == 0)
                return add_check(ps, k, v);
        return fail(ps, strprintf("unknown key '%s' in [node %s]", k, n->name));
}

static int cluster_key(Parser *ps, const char *k, const char *v) {
        ClusterConf *c = ps->c;
        unsigned u;

        if (strcmp(k, "name") == 0) {
                if (!name_ok(v))
                        return fail(ps, strprintf("name: '%s' is not a name ([a-z][a-z0-9-]*)", v));
                free(c->name);
                return (c->name = strdup(v)) ? 0 : -ENOMEM;
        }
        if (strcmp(k, "network") == 0)
                return parse_cidr(v, &c->network, &c->prefix) < 0
                               ? fail(ps, strprintf("network: '%s' is not an IPv4 network a.b.c.d/8..29", v))
                               : 0;
        if (strcmp(k, "timeout") == 0)
                return parse_uint(v, 1, 86400, &c->timeout_s) < 0
                               ? fail(ps, strprintf("timeout: '%s' is not a number of seconds from 1 to 86400", v))
                               : 0;
        if (strcmp(k, "memory") == 0) {
                if (parse_uint(v, 256, 65536, &u) < 0)
                        return fail(ps, strprintf("memory: '%s' is not a number of MB from 256 to 65536", v));
                c->memory_mb = (int) u;
                return 0;
        }
        return fail(ps, strprintf("unknown key '%s' in [cluster]", k));
}

static int shared_fs_key(Parser *ps, const char *k, const char *v) {
        ClusterConf *c = ps->c;

        if (strcmp(k, "path") == 0) {
                if (!guest_path_ok(v))
                        return fail(ps, strprintf("path: '%s' is not an absolute path of [A-Za-z0-9/._-]", v));
                free(c->sfs_path);
                return (c->sfs_path = strdup(v)) ? 0 : -ENOMEM;
        }
        if (strcmp(k, "nodes") == 0) {
                _cleanup_free_ char *copy = strdup(v);

                if (!copy)
                        return -ENOMEM;
                for (char *save = NULL, *w = strtok_r(copy, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
                        if (!name_ok(w))
                                return fail(ps, strprintf("nodes: '%s' is not a node name", w));
                        if (strv_extend(&c->sfs_nodes, w) < 0)
                                return -ENOMEM;
                }
                return 0;
        }
        if (strcmp(k, "size") == 0)
                return parse_uint(v, 1, 4096, &c->sfs_size_mb) < 0
                               ? fail(ps, strprintf("size: '%s' is not a number of MB from 1 to 4096", v))
                               : 0;
        if (strcmp(k, "min-throughput") == 0)
                return parse_uint(v, 0, 1000000, &c->sfs_min_mbps) < 0
                               ? fail(ps, strprintf("min-throughput: '%s' is not a number of MB/s", v))
                               : 0;
        return fail(ps, strprintf("unknown key '%s' in [shared-fs]", k));
}

static int section(Parser *ps, char *s) {
        ClusterConf *c = ps->c;

        if (strcmp(s, "cluster") == 0) {
                ps->sec = SEC_CLUSTER;
                return 0;
        }
        if (strcmp(s, "shared-fs") == 0) {
                ps->sec = SEC_SHARED_FS;
                c->shared_fs = true;
                return 0;
        }
        if (strncmp(s, "node", 4) == 0 && (s[4] == ' ' || s[4] == '\t')) {
                const char *name = s + 5;
                ClusterNodeSpec *n;

                while (*name == ' ' || *name == '\t')
                        name++;
                if (!name_ok(name))
                        return fail(ps, strprintf("[node %s]: not a node name ([a-z][a-z0-9-]*, at most %d)", name,
                                                  CLUSTER_NAME_MAX - 3));
                for (size_t i = 0; i < c->n_specs; i++)
                        if (strcmp(c->specs[i].name, name) == 0)
                                return fail(ps, strprintf("[node %s] again (first on line %u)", name, c->specs[i].line));
                if (c->n_specs >= CLUSTER_MAX_NODES)
                        return fail(ps, strprintf("more than %d nodes", CLUSTER_MAX_NODES));
                n = &c->specs[c->n_specs];
                *n = (ClusterNodeSpec) { .line = ps->line, .count = 1, .firmware = FIRMWARE_BIOS };
                n->checks = calloc(CLUSTER_MAX_CHECKS, sizeof(ClusterCheck));
                if (!(n->name = strdup(name)) || !n->checks) {
                        free(n->name);
                        free(n->checks);
                        return -ENOMEM;
                }
                c->n_specs++;
                ps->node = n;
                ps->sec = SEC_NODE;
                ps->check_timeout = CLUSTER_DEFAULT_CHECK_TIMEOUT;
                return 0;
        }
        return fail(ps, strprintf("unknown section [%s] (cluster, node NAME, shared-fs)", s));
}

static char *trim(char *s) {
        char *e;

        while (*s == ' ' || *s == '\t')
                s++;
        e = s + strlen(s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
                *--e = '\0';
        return s;
}

static int parse_line(Parser *ps, char *l) {
        char *eq, *k, *v;

        l = trim(l);
        if (!*l || *l == '#' || *l == ';')
                return 0;
        if (*l == '[') {
                char *end = strchr(l, ']');

                if (!end || end[1])
                        return fail(ps, strprintf("'%s' is not a [section]", l));
                *end = '\0';
                return section(ps, trim(l + 1));
        }
        eq = strchr(l, '=');
        if (!eq)
                return fail(ps, strprintf("'%s' is not KEY = VALUE", l));
        *eq = '\0';
        k = trim(l);
        v = trim(eq + 1);
        if (!*v)
                return fail(ps, strprintf("%s: no value", k));
        switch (ps->sec) {
        case SEC_CLUSTER:
                return cluster_key(ps, k, v);
        case SEC_NODE:
                return node_key(ps, k, v);
        case SEC_SHARED_FS:
                return shared_fs_key(ps, k, v);
        default:
                return fail(ps, strprintf("'%s' before any [section]", k));
        }
}

/* what only the whole file can say */
static int check_whole(Parser *ps) {
        ClusterConf *c = ps->c;

        ps->line = 0;
        if (c->n_specs == 0)
                return fail(ps, strdup("no [node NAME] section"));
        for (size_t i = 0; i < c->n_specs; i++) {
                ClusterNodeSpec *n = &c->specs[i];
                bool found = false;

                ps->line = n->line;
                if (!n->image)
                        return fail(ps, strprintf("[node %s] has no image", n->name));
                if (!n->boot_after)
                        continue;
                for (size_t j = 0; j < c->n_specs; j++)
                        found = found || (j != i && strcmp(c->specs[j].name, n->boot_after) == 0);
                if (!found)
                        return fail(ps, strprintf("[node %s]: boot-after names no other node: '%s'", n->name, n->boot_after));
                /* a chain that comes back to n would never start */
                const char *at = n->boot_after;
                for (size_t hops = 0; at && hops <= c->n_specs; hops++) {
                        const ClusterNodeSpec *next = NULL;

                        if (strcmp(at, n->name) == 0)
                                return fail(ps, strprintf("[node %s]: boot-after goes round in a circle", n->name));
                        for (size_t j = 0; j < c->n_specs; j++)
                                if (strcmp(c->specs[j].name, at) == 0)
                                        next = &c->specs[j];
                        at = next ? next->boot_after : NULL;
                }
        }
        if (c->shared_fs && !c->sfs_path) {
                ps->line = 0;
                return fail(ps, strdup("[shared-fs] has no path"));
        }
        return 0;
}

int cluster_conf_parse(const char *text, const char *path, const char *dir, const char *image_dir,
                       ClusterConf *ret, char **ret_error) {
        ClusterConf c = { .timeout_s = CLUSTER_DEFAULT_TIMEOUT, .memory_mb = CLUSTER_DEFAULT_MEMORY, .sfs_size_mb = 64 };
        Parser ps = { .c = &c, .path = path, .dir = dir, .image_dir = image_dir };
        int r = 0;

        *ret_error = NULL;
        c.specs = calloc(CLUSTER_MAX_NODES, sizeof(ClusterNodeSpec));
        if (!c.specs)
                return -ENOMEM;
        (void) parse_cidr(CLUSTER_DEFAULT_NETWORK, &c.network, &c.prefix);
        for (const char *p = text; *p && r >= 0;) {
                size_t n = strcspn(p, "\n");
                _cleanup_free_ char *l = strndup(p, n);

                ps.line++;
                if (!l)
                        r = -ENOMEM;
                else if (memchr(p, '\0', n) || n > 4096)
                        r = fail(&ps, strdup("not a text line"));
                else
                        r = parse_line(&ps, l);
                p += n + (p[n] == '\n');
        }
        if (r >= 0)
                r = check_whole(&ps);
        if (r >= 0 && !c.name && !(c.name = strdup("cluster")))
                r = -ENOMEM;
        if (r < 0) {
                cluster_conf_done(&c);
                *ret_error = ps.error;
                return r;
        }
        *ret = c;
        return 0;
}

void cluster_conf_done(ClusterConf *c) {
        for (size_t i = 0; c->specs && i < c->n_specs; i++) {
                ClusterNodeSpec *n = &c->specs[i];

                free(n->name);
                free(n->image);
                free(n->boot_after);
                free(n->expect_kernel);
                strv_free(n->expect_modules);
                for (size_t j = 0; j < n->n_checks; j++) {
                        free(n->checks[j].name);
                        free(n->checks[j].command);
                        free(n->checks[j].file);
                }
                free(n->checks);
        }
        free(c->specs);
        free(c->name);
        free(c->sfs_path);
        strv_free(c->sfs_nodes);
        *c = (ClusterConf) {};
}

bool cluster_node_named(const ClusterNode *n, const char *entry) {
        return strcmp(n->name, entry) == 0 || strcmp(n->spec->name, entry) == 0;
}

static bool ip_usable(const ClusterConf *c, uint32_t ip) {
        uint32_t mask = UINT32_MAX << (32 - c->prefix);

        return (ip & mask) == c->network && (ip & ~mask) != 0 && (ip & ~mask) != ~mask;
}

int cluster_expand(const ClusterConf *c, ClusterNode **ret, size_t *ret_n, char **ret_error) {
        _cleanup_free_ ClusterNode *nodes = NULL;
        size_t n = 0, total = 0;
        uint32_t next = c->network + CLUSTER_FIRST_HOST;
        char ip[16];

        *ret_error = NULL;
        for (size_t i = 0; i < c->n_specs; i++)
                total += c->specs[i].count;
        if (total > CLUSTER_MAX_NODES) {
                *ret_error = strprintf("%zu nodes: at most %d", total, CLUSTER_MAX_NODES);
                return -EINVAL;
        }
        nodes = calloc(total, sizeof(ClusterNode));
        if (!nodes)
                return -ENOMEM;
        /* given addresses first, so that assigned ones step around them */
        for (size_t i = 0; i < c->n_specs; i++)
                for (unsigned k = 0; k < c->specs[i].count; k++) {
                        const ClusterNodeSpec *s = &c->specs[i];
                        ClusterNode *nd = &nodes[n++];

                        nd->spec = s;
                        nd->spec_index = i;
                        if (s->count == 1)
                                snprintf(nd->name, sizeof(nd->name), "%s", s->name);
                        else
                                snprintf(nd->name, sizeof(nd->name), "%s%u", s->name, k + 1);
                        if (s->address)
                                nd->ip = s->address + k;
                }
        for (size_t i = 0; i < n; i++) {
                if (!nodes[i].ip) {
                        bool taken;

                        do {
                                taken = false;
                                for (size_t j = 0; j < n; j++)
                                        taken = taken || nodes[j].ip == next;
                                if (taken)
                                        next++;
                        } while (taken);
                        nodes[i].ip = next++;
                }
                cluster_ip_string(nodes[i].ip, ip);
                if (!ip_usable(c, nodes[i].ip)) {
                        *ret_error = strprintf("node %s: address %s is not a host of the cluster's network", nodes[i].name, ip);
                        return -EINVAL;
                }
                for (size_t j = 0; j < i; j++)
                        if (nodes[j].ip == nodes[i].ip || strcmp(nodes[j].name, nodes[i].name) == 0) {
                                *ret_error = strprintf("nodes %s and %s have the same %s", nodes[j].name, nodes[i].name,
                                                       nodes[j].ip == nodes[i].ip ? "address" : "name");
                                return -EINVAL;
                        }
                snprintf(nodes[i].address, sizeof(nodes[i].address), "%s/%u", ip, c->prefix);
                nodes[i].shared_fs = c->shared_fs && !c->sfs_nodes;
                STRV_FOREACH(e, c->sfs_nodes)
                        nodes[i].shared_fs = nodes[i].shared_fs || cluster_node_named(&nodes[i], *e);
        }
        STRV_FOREACH(e, c->sfs_nodes) {
                bool any = false;

                for (size_t i = 0; i < n; i++)
                        any = any || cluster_node_named(&nodes[i], *e);
                if (!any) {
                        *ret_error = strprintf("[shared-fs] nodes: no node is called '%s'", *e);
                        return -EINVAL;
                }
        }
        *ret = TAKE_PTR(nodes);
        *ret_n = n;
        return 0;
}
