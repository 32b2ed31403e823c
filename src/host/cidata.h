/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* A NoCloud seed for cloud-init: a small FAT disk labelled CIDATA with an
 * instance-id, empty user-data and, if given, a network-config (the VM's
 * NIC on kpin's private segment), made on the host with mkfs.vfat and
 * mcopy (no mount), so an image boots as on a node's first boot instead of
 * waiting on metadata that never comes. */
typedef struct Cidata {
        char *dir;         /* kpin-seed-PID-XXXXXX, removed whole */
        char *path;        /* the raw disk */
        int guard_dir;
} Cidata;

/* The boot test's: instance kpin-boot-test-TOKEN, host kpin-boot-test. */
int cidata_make(const char *token, const char *network_config, Cidata **ret);
/* A node's own: its instance-id and hostname (plain words). */
int cidata_make_host(const char *instance_id, const char *hostname, const char *network_config, Cidata **ret);
Cidata *cidata_free(Cidata *c);
static inline void cidata_freep(Cidata **c) {
        cidata_free(*c);
}
