/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The DKMS build cache: a directory of entries, one per key (the sha256 of
 * everything that decides a built module: its source tree and dkms.conf,
 * the build-config files, the target kernel's headers package and version,
 * the guest's compiler packages, the architecture), each holding the built
 * module files and a KEY file with the inputs in words. Entries are written
 * under a temporary name and renamed into place: safe with several kpin
 * runs (Slurm tasks on a shared filesystem) storing at once; the first
 * stays. */
#define BUILD_CACHE_KEY_FILE "KEY"

/* The entry's directory for key, -ENOENT if there is none. */
int build_cache_lookup(const char *cache, const char *key, char **ret_dir);
/* Stores the files (host paths, moved) with the key text. 0 stored, 1
 * another run stored the same key first. */
int build_cache_store(const char *cache, const char *key, const char *key_text, char * const *files);
/* Takes a bad entry out of the way (renamed aside, then removed). */
int build_cache_evict(const char *cache, const char *key);
