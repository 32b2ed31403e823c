/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <json-c/json.h>

#include "repair/pipeline.h"
#include "report/run.h"

/* The forecast's verdict, a line per failing module (or one line): "pin
 * still needed: beegfs 7.4.4 fails on 6.12.57+deb13-cloud-amd64: <first
 * error>", "the pin can be lifted: every module builds and loads on …",
 * "forecast for 6.12 could not run: why". */
char **forecast_verdict(const Forecast *f);

/* Text: the verdict, then a line per module (built / from the cache /
 * failed, seconds) and the boot, each after indent. */
void forecast_print(const Forecast *f, const char *indent);

/* JSON: "forecast": { series, kernel, version, lifted, verdict, modules
 * [{ name, version, built, cached, seconds, error, log, loads }],
 * boot_test { ran, ok, seconds, error }, problem, seconds }. */
json_object *forecast_to_json(const Forecast *f);

/* kpin forecast: the verdict as text or JSON; the one-line error (and the
 * exit code of its class: dkms, boot-test) when the pin is still needed. */
int report_forecast(const char *image, const Forecast *f, const ReportOptions *o);
