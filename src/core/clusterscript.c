/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "clusterscript.h"
#include "probe.h"
#include "shared/cleanup.h"
#include "shared/strbuf.h"
#include "shared/strv.h"

static const char unit[] =
        "# kpin cluster test; never part of an image kpin writes.\n"
        "[Unit]\n"
        "Description=kpin cluster test checks\n"
        "Wants=network-online.target\n"
        "After=multi-user.target remote-fs.target network-online.target\n"
        "\n"
        "[Service]\n"
        "Type=oneshot\n"
        "ExecStart=" CLUSTER_RUNNER_BIN "\n"
        "StandardOutput=journal\n"
        "TimeoutStartSec=infinity\n"
        "\n"
        "[Install]\n"
        "WantedBy=multi-user.target\n";

const char *cluster_runner_unit(void) {
        return unit;
}

/* Waits for its port, then the probe's report, then ready. */
static const char head[] =
        "C=/dev/virtio-ports/" CLUSTER_PORT_NAME "\n"
        "i=0\n"
        "while [ ! -e \"$C\" ] && [ $i -lt 60 ]; do sleep 1; i=$((i + 1)); done\n"
        "[ -e \"$C\" ] || { echo \"kpin: no port $C\" >/dev/ttyS0; exit 1; }\n"
        "ms() { echo $(( $(date +%s%N) / 1000000 )); }\n"
        "say() { printf '%s %s %s\\n' \"$1\" \"$T\" \"$2\" >\"$C\"; }\n";

static const char checks[] =
        "say KPIN-READY \"$NODE\"\n"
        "W=/run/kpin-cluster\n"
        "mkdir -p \"$W\"\n"
        "fail=0\n"
        "for c in $CK; do\n"
        "\tn=${c%%:*}; to=${c#*:}\n"
        "\tif [ $fail = 1 ] && [ $KG = 0 ]; then say KPIN-CHECK \"skip $n\"; continue; fi\n"
        "\tsay KPIN-CHECK \"begin $n\"\n"
        "\ts=$(ms)\n"
        "\ttimeout -k 5 \"$to\" /bin/sh " CLUSTER_CHECK_DIR "/check-$n </dev/null >\"$W/out-$n\" 2>&1\n"
        "\trc=$?\n"
        "\te=$(ms)\n"
        "\ttail -n 20 \"$W/out-$n\" | cut -c1-300 | while IFS= read -r l; do say KPIN-CHECK \"out $n $l\"; done\n"
        "\tsay KPIN-CHECK \"end $n $rc $((e - s))\"\n"
        "\t[ $rc = 0 ] || fail=1\n"
        "done\n";

/* Writes its file (random bytes from local disk to the shared path, with
 * fsync), publishes the SHA-256 by rename, then reads every peer's file
 * as soon as it is there and checks it. */
static const char shared_fs[] =
        "if [ -n \"$P\" ]; then\n"
        "\ti=0\n"
        "\twhile ! mountpoint -q \"$P\" && [ $i -lt $MW ]; do sleep 1; i=$((i + 1)); done\n"
        "\tif ! mountpoint -q \"$P\"; then\n"
        "\t\tsay KPIN-SFS \"unmounted $i\"\n"
        "\telse\n"
        "\t\tsay KPIN-SFS \"mounted $(findmnt -n -o FSTYPE,SOURCE --mountpoint \"$P\" | head -n 1)\"\n"
        "\t\tdd if=/dev/urandom of=\"$W/sfs\" bs=1M count=$SZ status=none\n"
        "\t\tf=\"$P/.kpin-$RUN-$NODE\"\n"
        "\t\ts=$(ms)\n"
        "\t\tif dd if=\"$W/sfs\" of=\"$f.data\" bs=1M conv=fsync status=none 2>\"$W/sfs.err\"; then\n"
        "\t\t\te=$(ms)\n"
        "\t\t\tsum=$(sha256sum <\"$W/sfs\" | cut -c1-64)\n"
        "\t\t\tprintf '%s\\n' \"$sum\" >\"$f.tmp\" && sync && mv \"$f.tmp\" \"$f.sha256\"\n"
        "\t\t\tsay KPIN-SFS \"write $((SZ * 1048576)) $((e - s)) $sum\"\n"
        "\t\telse\n"
        "\t\t\tsay KPIN-SFS \"write-failed $(head -n 1 \"$W/sfs.err\" | cut -c1-200)\"\n"
        "\t\tfi\n"
        "\t\trm -f \"$W/sfs\"\n"
        "\t\tfor p in $PEERS; do\n"
        "\t\t\t[ \"$p\" = \"$NODE\" ] && continue\n"
        "\t\t\tg=\"$P/.kpin-$RUN-$p\"\n"
        "\t\t\ti=0\n"
        /* NFS clients cache a name's absence for up to a minute: look again */
        "\t\t\twhile [ ! -e \"$g.sha256\" ] && [ $i -lt $SW ]; do\n"
        "\t\t\t\tsleep 1; i=$((i + 1)); echo 2 >/proc/sys/vm/drop_caches\n"
        "\t\t\tdone\n"
        "\t\t\tif [ ! -e \"$g.sha256\" ]; then say KPIN-SFS \"read $p missing $i\"; continue; fi\n"
        "\t\t\tsync; echo 3 >/proc/sys/vm/drop_caches\n"
        "\t\t\ts=$(ms)\n"
        "\t\t\tn=$(dd if=\"$g.data\" bs=1M status=none | wc -c)\n"
        "\t\t\te=$(ms)\n"
        "\t\t\tgot=$(sha256sum <\"$g.data\" | cut -c1-64)\n"
        "\t\t\twant=$(head -c 64 \"$g.sha256\")\n"
        "\t\t\tif [ \"$got\" = \"$want\" ]; then v=ok; else v=bad; fi\n"
        "\t\t\tsay KPIN-SFS \"read $p $v $n $((e - s)) $got\"\n"
        "\t\tdone\n"
        "\tfi\n"
        "fi\n"
        "sync\n"
        "say KPIN-CLUSTER-END \"$NODE\"\n";

static bool word_ok(const char *w) {
        if (!*w || strlen(w) > 200)
                return false;
        for (; *w; w++)
                if (!isalnum((unsigned char) *w) && !strchr("/._-", *w))
                        return false;
        return true;
}

static int add_var(StrBuf *b, const char *name, const char *value) {
        int r = strbuf_printf(b, "%s='%s'\n", name, value ? value : "");

        return r < 0 ? r : 0;
}

int cluster_runner_script(const ClusterRunner *c, char **ret) {
        _cleanup_(strbuf_done) StrBuf b = {}, ck = {}, mods = {}, peers = {};
        int r;

        if (!probe_token_ok(c->token) || !probe_token_ok(c->run_id) || !word_ok(c->node) || (c->sfs_path && !word_ok(c->sfs_path)))
                return -EINVAL;
        STRV_FOREACH(m, c->modules)
                if (!probe_module_name_ok(*m))
                        return -EINVAL;
        STRV_FOREACH(p, c->sfs_peers)
                if (!word_ok(*p))
                        return -EINVAL;
        if ((r = strbuf_join(&mods, c->modules, " ")) < 0 || (r = strbuf_join(&peers, c->sfs_peers, " ")) < 0)
                return r;
        for (size_t i = 0; i < c->n_checks; i++)
                if ((r = strbuf_printf(&ck, "%s%zu:%u", i ? " " : "", i + 1, c->check_timeouts[i])) < 0)
                        return r;
        r = strbuf_puts(&b, "#!/bin/sh\n# kpin cluster test: reports on its own serial port, never the console.\n");
        if (r >= 0)
                r = add_var(&b, "T", c->token);
        if (r >= 0)
                r = add_var(&b, "RUN", c->run_id);
        if (r >= 0)
                r = add_var(&b, "NODE", c->node);
        if (r >= 0)
                r = add_var(&b, "M", mods.s);
        if (r >= 0)
                r = add_var(&b, "CK", ck.s);
        if (r >= 0)
                r = add_var(&b, "KG", c->keep_going ? "1" : "0");
        if (r >= 0)
                r = add_var(&b, "P", c->sfs_path);
        if (r >= 0)
                r = add_var(&b, "PEERS", peers.s);
        if (r >= 0)
                r = strbuf_printf(&b, "SZ=%u\nSW=%u\nMW=%u\n", c->sfs_size_mb ? c->sfs_size_mb : 1, c->sfs_wait_s,
                                  CLUSTER_MOUNT_WAIT_S);
        if (r >= 0)
                r = strbuf_puts(&b, head);
        if (r >= 0)
                r = strbuf_puts(&b, probe_facts);
        if (r >= 0)
                r = strbuf_puts(&b, checks);
        if (r >= 0)
                r = strbuf_puts(&b, shared_fs);
        if (r < 0)
                return r;
        *ret = strbuf_steal(&b);
        return *ret ? 0 : -ENOMEM;
}
