/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clusterresult.h"
#include "shared/cleanup.h"
#include "shared/strv.h"

#define LINE_MAX_BYTES 1024
#define MAX_PROBE_LINES 512

double cluster_mbps(uint64_t bytes, unsigned ms) {
        return ms ? (double) bytes / 1000.0 / (double) ms : 0.0;
}

static int take_uint64(const char **p, uint64_t *ret) {
        char *end;
        unsigned long long v;

        while (**p == ' ')
                (*p)++;
        if (!isdigit((unsigned char) **p))
                return -EINVAL;
        errno = 0;
        v = strtoull(*p, &end, 10);
        if (errno || (*end && *end != ' '))
                return -EINVAL;
        *p = end;
        *ret = v;
        return 0;
}

static int take_uint(const char **p, unsigned max, unsigned *ret) {
        uint64_t v;

        if (take_uint64(p, &v) < 0 || v > max)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

/* "WORD " at *p: copies it (bounded) */
static int take_word(const char **p, char *buf, size_t size) {
        size_t n;

        while (**p == ' ')
                (*p)++;
        n = strcspn(*p, " ");
        if (n == 0 || n >= size)
                return -EINVAL;
        memcpy(buf, *p, n);
        buf[n] = '\0';
        *p += n;
        return 0;
}

static ClusterCheckRun *check_at(ClusterResults *r, const char **p) {
        unsigned i;

        if (take_uint(p, CLUSTER_MAX_CHECKS, &i) < 0 || i == 0)
                return NULL;
        return &r->checks[i - 1];
}

static int on_check(ClusterResults *r, const char *p) {
        char what[8];
        ClusterCheckRun *c;
        unsigned rc;

        if (take_word(&p, what, sizeof(what)) < 0 || !(c = check_at(r, &p)))
                return 0;
        if (strcmp(what, "begin") == 0)
                c->begun = true;
        else if (strcmp(what, "skip") == 0)
                c->skipped = true;
        else if (strcmp(what, "end") == 0 && take_uint(&p, 255, &rc) >= 0 && take_uint(&p, UINT32_MAX, &c->ms) >= 0) {
                c->rc = (int) rc;
                c->ended = true;
        } else if (strcmp(what, "out") == 0) {
                if (*p == ' ')
                        p++;
                if (strv_length(c->output) >= CLUSTER_OUTPUT_LINES) {
                        free(c->output[0]);
                        memmove(c->output, c->output + 1, CLUSTER_OUTPUT_LINES * sizeof(char *));
                }
                return strv_extend(&c->output, p);
        }
        return 0;
}

static int on_sfs(ClusterResults *r, const char *p) {
        char what[16];

        if (take_word(&p, what, sizeof(what)) < 0)
                return 0;
        r->sfs_reported = true;
        if (*p == ' ')
                p++;
        if (strcmp(what, "mounted") == 0) {
                r->sfs_mounted = true;
                free(r->sfs_mount);
                return (r->sfs_mount = strdup(p)) ? 0 : -ENOMEM;
        }
        if (strcmp(what, "unmounted") == 0) {
                r->sfs_mounted = false;
                return 0;
        }
        if (strcmp(what, "write-failed") == 0) {
                free(r->sfs_write_error);
                return (r->sfs_write_error = strdup(*p ? p : "?")) ? 0 : -ENOMEM;
        }
        if (strcmp(what, "write") == 0) {
                if (take_uint64(&p, &r->write_bytes) >= 0 && take_uint(&p, UINT32_MAX, &r->write_ms) >= 0)
                        r->sfs_written = true;
                return 0;
        }
        if (strcmp(what, "read") == 0 && r->n_reads < CLUSTER_MAX_NODES) {
                ClusterPeerRead *rd = &r->reads[r->n_reads];
                char state[8];

                *rd = (ClusterPeerRead) {};
                if (take_word(&p, rd->peer, sizeof(rd->peer)) < 0 || take_word(&p, state, sizeof(state)) < 0)
                        return 0;
                if (strcmp(state, "missing") == 0) {
                        rd->state = SFS_READ_MISSING;
                        if (take_uint(&p, UINT32_MAX, &rd->ms) < 0)
                                return 0;
                } else if (strcmp(state, "ok") == 0 || strcmp(state, "bad") == 0) {
                        rd->state = state[0] == 'o' ? SFS_READ_OK : SFS_READ_BAD;
                        if (take_uint64(&p, &rd->bytes) < 0 || take_uint(&p, UINT32_MAX, &rd->ms) < 0)
                                return 0;
                } else
                        return 0;
                r->n_reads++;
        }
        return 0;
}

/* "KEY TOKEN rest": rest, if the line is KEY's for this token */
static const char *after(const char *l, const char *key, const char *token) {
        size_t k = strlen(key), t = strlen(token);

        if (strncmp(l, key, k) != 0 || l[k] != ' ' || strncmp(l + k + 1, token, t) != 0)
                return NULL;
        l += k + 1 + t;
        if (*l != ' ' && *l != '\0')
                return NULL;
        return *l ? l + 1 : l;
}

static int on_line(ClusterResults *r, const char *l, const char *token) {
        const char *p;

        if ((p = after(l, "KPIN-PROBE-BEGIN", token)))
                r->begun = true;
        else if ((p = after(l, "KPIN-PROBE", token))) {
                if (strv_length(r->probe) < MAX_PROBE_LINES)
                        return strv_extend(&r->probe, p);
        } else if ((p = after(l, "KPIN-READY", token)))
                r->ready = true;
        else if ((p = after(l, "KPIN-CHECK", token)))
                return on_check(r, p);
        else if ((p = after(l, "KPIN-SFS", token)))
                return on_sfs(r, p);
        else if ((p = after(l, "KPIN-CLUSTER-END", token)))
                r->ended = true;
        return 0;
}

int cluster_results_parse(const char *text, size_t n, const char *token, ClusterResults *ret) {
        ClusterResults r = {};
        char line[LINE_MAX_BYTES + 1];
        int q = 0;

        if (n > CLUSTER_RESULTS_MAX)
                n = CLUSTER_RESULTS_MAX;
        for (size_t i = 0; i < n && q >= 0;) {
                size_t k = 0, j = i;

                while (j < n && text[j] != '\n') {
                        unsigned char ch = (unsigned char) text[j++];

                        if (k < LINE_MAX_BYTES)
                                line[k++] = ch == '\t' ? ' ' : (ch < 0x20 || ch == 0x7f) ? '?' : (char) ch;
                }
                if (j >= n)
                        break; /* a line still being written */
                line[k] = '\0';
                q = on_line(&r, line, token);
                i = j + 1;
        }
        if (q < 0) {
                cluster_results_done(&r);
                return q;
        }
        *ret = r;
        return 0;
}

void cluster_results_done(ClusterResults *r) {
        strv_free(r->probe);
        for (size_t i = 0; i < CLUSTER_MAX_CHECKS; i++)
                strv_free(r->checks[i].output);
        free(r->sfs_mount);
        free(r->sfs_write_error);
        *r = (ClusterResults) {};
}
