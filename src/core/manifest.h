/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* Packer's `manifest` post-processor output ({"builds": [{"name",
 * "files": [{"name"}], "packer_run_uuid"}], "last_run_uuid"}): the disk
 * image of build `build` (PACKER_BUILD_NAME) in run `run` (PACKER_RUN_UUID;
 * NULL: the manifest's last_run_uuid). Among several files the one named
 * *.qcow2, *.img or *.raw. On failure -EINVAL (-ENOENT: no such build) and
 * *ret_error says why in one phrase. */
int packer_manifest_artifact(const char *text, size_t len, const char *build, const char *run, char **ret_file,
                             char **ret_error);
