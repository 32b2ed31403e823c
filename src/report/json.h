/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#include "core/imgfmt.h"
#include "guest/guest.h"
#include "guest/inspect.h"

/* The whole inspection as one JSON object (the --json schema of `inspect`). */
int inspect_to_json(const char *image, const ImageInfo *img, const Guest *gu, const GuestState *s,
                    json_object **ret);

/* {"kpin": VERSION, "command": ..., "ok": false, "error": {...}} for failed runs. */
json_object *json_failure(const char *command, int exit_code, const char *message);

/* A JSON string, or NULL (JSON null) for NULL; an array of strings. */
json_object *json_str_or_null(const char *s);
json_object *json_strv(char * const *l);

/* Writes o to the report file (if any) and to stdout (if asked), then
 * drops o. Records the failure (log_fail) when it cannot. */
int json_emit(json_object *o, bool to_stdout, const char *report);

/* Writes o to path atomically (temp + rename), or to stdout if path is "-". */
int json_write(json_object *o, const char *path);
