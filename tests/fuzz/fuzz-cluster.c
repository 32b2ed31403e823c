/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "core/clusterconf.h"
#include "core/clusterresult.h"
#include "fuzz.h"

/* A node's results port (the guest's bytes), and a cluster file. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ClusterResults r = {};
        char *text = malloc(size + 1), *error = NULL;
        ClusterConf c = {};

        if (!text)
                return 0;
        if (cluster_results_parse((const char *) data, size, "abcdefghij012345", &r) >= 0)
                cluster_results_done(&r);
        memcpy(text, data, size);
        text[size] = '\0';
        if (cluster_conf_parse(text, "f.conf", "/d", "/i", &c, &error) >= 0) {
                ClusterNode *nodes = NULL;
                size_t n = 0;

                if (cluster_expand(&c, &nodes, &n, &error) >= 0)
                        free(nodes);
                cluster_conf_done(&c);
        }
        free(error);
        free(text);
        return 0;
}
