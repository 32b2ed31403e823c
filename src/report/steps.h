/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <json-c/json.h>

#include "guest/pin.h"
#include "guest/dkms.h"

/* What pin and dkms did, as JSON fields of o and as the human summary:
 * shared by their own verbs and by repair. */
void pin_result_to_json(const PinResult *r, json_object *o);
void pin_result_print(const PinResult *r, const char *target);
/* A roll forward in one line, "6.1.0-56-cloud-amd64 -> 6.1.0-57-cloud-amd64
 * (6.1.192-2 -> 6.1.192-3): 1 CVE ID fixed"; NULL if the pin did not roll. */
char *pin_roll_summary(const PinRoll *roll, const char *release);
json_object *pin_roll_to_json(const PinRoll *roll, const char *release);
void dkms_result_to_json(const DkmsResult *r, json_object *o);
/* Each module's first line starts with first, the others with indent. */
void dkms_result_print(const DkmsResult *r, const char *first, const char *indent);
