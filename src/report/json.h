/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#include "core/imgfmt.h"
#include "guest/inspect.h"
#include "shared/cleanup.h"

static inline void json_object_putp(json_object **o) {
        if (*o)
                json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_object_putp)

/* The reports' schema: bumped when a field changes its meaning or goes
 * away (new fields may appear without a bump), so that scripts such as
 * kpin-nightly and users' jq can check what they read. */
#define KPIN_JSON_SCHEMA 1

/* Every report starts {"kpin": VERSION, "schema": KPIN_JSON_SCHEMA,
 * "command": ..., "ok": ..., "image": ...} (image left out if NULL). */
json_object *json_envelope(const char *command, bool ok, const char *image);

/* The guest as inspect reports it (its --json schema), as fields of o:
 * with img, "image" describes the file first. */
int guest_state_to_json(const ImageInfo *img, const char *image, const GuestState *s, json_object *o);

/* The envelope of a failed run, with "error": {"exit_code", "class", "message"}. */
json_object *json_failure(const char *command, int exit_code, const char *message);

/* A JSON string, or NULL (JSON null) for NULL; an array of strings. */
json_object *json_str_or_null(const char *s);
json_object *json_strv(char * const *l);

/* Writes o to the report file (if any) and to stdout (if asked), then
 * drops o. Records the failure (log_fail) when it cannot. */
int json_emit(json_object *o, bool to_stdout, const char *report);

/* Writes o to path atomically (temp + rename), or to stdout if path is "-". */
int json_write(json_object *o, const char *path);
