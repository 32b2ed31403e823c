/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>

#include "imgfmt.h"

/* The ar(5) structure of a .deb, from its bytes: "!<arch>", then
 * debian-binary, control.tar[.*] and data.tar[.*] members whose declared
 * sizes add up to exactly the file (a copy cut short fails here, before
 * any of it goes into a guest). -EBADMSG with *ret_why set otherwise. */
int deb_check_archive(ImageReadFn read_fn, void *userdata, uint64_t file_size, char **ret_why);
