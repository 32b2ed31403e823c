/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* /etc/apt/preferences.d text that keeps an image on one kernel series:
 * kernel packages of that series keep their normal priority, every other
 * version of them gets Pin-Priority -1 (never installed). apt lets the
 * first matching specific record decide, so the allow record comes first. */
int aptpin_kernel_series_text(const char *series, const char *release, char **ret);

/* Where kpin writes it. */
#define APTPIN_PATH "/etc/apt/preferences.d/kpin-kernel"
