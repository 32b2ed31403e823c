/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "shared/cleanup.h"
#include "shared/strv.h"

static void json_putp(json_object **o) {
        if (*o)
                json_object_put(*o);
}

static const char *get_string(json_object *o, const char *key) {
        json_object *v;

        if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v) ||
            !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static bool disk_name(const char *f) {
        return endswith(f, ".qcow2") || endswith(f, ".img") || endswith(f, ".raw");
}

static int fail(char **ret_error, int r, char *msg) {
        *ret_error = msg;
        return msg ? r : -ENOMEM;
}

int packer_manifest_artifact(const char *text, size_t len, const char *build, const char *run, char **ret_file,
                             char **ret_error) {
        _cleanup_(json_putp) json_object *root = NULL;
        json_tokener *tok;
        json_object *builds, *match = NULL, *files;
        const char *file = NULL;
        size_t n, n_disks = 0;

        tok = json_tokener_new_ex(64);
        if (!tok)
                return -ENOMEM;
        root = json_tokener_parse_ex(tok, text, (int) len);
        if (!root || json_tokener_get_error(tok) != json_tokener_success || tok->char_offset != (int) len) {
                /* trailing white space is fine */
                bool only_space = root && strspn(text + tok->char_offset, " \t\r\n") == len - (size_t) tok->char_offset;

                if (!only_space) {
                        json_tokener_free(tok);
                        return fail(ret_error, -EINVAL, strdup("not a JSON document"));
                }
        }
        json_tokener_free(tok);
        if (!json_object_object_get_ex(root, "builds", &builds) || !json_object_is_type(builds, json_type_array))
                return fail(ret_error, -EINVAL, strdup("no \"builds\" array: not a Packer manifest"));
        if (!run)
                run = get_string(root, "last_run_uuid");

        /* builds are appended run after run: the last one of that run wins */
        n = json_object_array_length(builds);
        for (size_t i = n; i-- > 0 && !match;) {
                json_object *b = json_object_array_get_idx(builds, i);
                const char *name = get_string(b, "name"), *uuid = get_string(b, "packer_run_uuid");

                if (name && strcmp(name, build) == 0 && (!run || (uuid && strcmp(uuid, run) == 0)))
                        match = b;
        }
        if (!match)
                return fail(ret_error, -ENOENT,
                            run ? strprintf("no build named '%s' in Packer run %s", build, run)
                                : strprintf("no build named '%s'", build));
        if (!json_object_object_get_ex(match, "files", &files) || !json_object_is_type(files, json_type_array) ||
            json_object_array_length(files) == 0)
                return fail(ret_error, -EINVAL, strprintf("build '%s' lists no files", build));
        n = json_object_array_length(files);
        for (size_t i = 0; i < n; i++) {
                const char *f = get_string(json_object_array_get_idx(files, i), "name");

                if (!f || !*f)
                        return fail(ret_error, -EINVAL, strprintf("build '%s' has a file without a name", build));
                if (n == 1 || disk_name(f)) {
                        file = file ? file : f;
                        n_disks++;
                }
        }
        if (n_disks == 0)
                return fail(ret_error, -EINVAL, strprintf("build '%s' lists no disk image (*.qcow2, *.img, *.raw)", build));
        if (n_disks > 1)
                return fail(ret_error, -EINVAL, strprintf("build '%s' lists %zu disk images: name one", build, n_disks));
        *ret_file = strdup(file);
        return *ret_file ? 0 : -ENOMEM;
}
