/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* guest/dkms*.c among themselves: resolving and adding sources
 * (dkms-source.c), building and verifying (dkms.c), signing (dkms-sign.c),
 * the build cache's guest side (dkms-cache.c) and the matrix
 * (dkms-matrix.c). Not for the rest of kpin: dkms.h is. */

#include <stdbool.h>

#include "core/dkmsstatus.h"
#include "core/sha256.h"
#include "dkms.h"
#include "shared/strbuf.h"

#define MAX_DKMS_CONF (256u * 1024)
#define MAX_MAKE_LOG (4u * 1024 * 1024)
#define MAX_MODULE (256u * 1024 * 1024)
#define MAX_BUILD_CONFIG (1u * 1024 * 1024)
#define MAX_KEY_INPUT (4u << 20)

/* dkms-source.c */
int dkms_read_conf(Guest *gu, const char *name, const char *version, DkmsConf *ret);
int dkms_resolve_module(Guest *gu, const char *spec, char **ret_name, char **ret_version);
int dkms_copy_build_config(Guest *gu, const char *spec);
int dkms_add_source_dir(Guest *gu, const char *src, char **ret_name, char **ret_version);
int dkms_add_source_deb(Guest *gu, const char *deb, char **ret_name, char **ret_version);

/* dkms-sign.c */
const char *dkms_signer_name(const ModSig *s);
int dkms_guest_signer(Guest *gu, const DkmsRequest *req, ModSig *ret);
int dkms_sign_in_guest(Guest *gu, const DkmsRequest *req, const char *kver, const char *path);

/* dkms-cache.c */
int dkms_cache_key(Guest *gu, const char *name, const char *version, const char *kver, const DkmsRequest *req,
                   char key[static 65], char **ret_text);
int dkms_cache_install(Guest *gu, const char *entry, const char *name, const char *version, const char *kver,
                       const DkmsRequest *req, char **ret_why);
int dkms_cache_store(Guest *gu, const char *cache, const char *key, const char *key_text, const char *name,
                     const char *version, const char *kver);

/* dkms.c */
char *dkms_error_line(const char *err);
void dkms_first_build_error(Guest *gu, const char *name, const char *version, const char *kver, char **ret_error,
                            char **ret_log);
int dkms_run(Guest *gu, const char *verb, const char *name, const char *version, const char *kver, bool force,
             char **ret_error);
