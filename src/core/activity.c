/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activity.h"
#include "shared/strv.h"

/* The first word after prefix (up to a space, "(" or ":"), into out. */
static bool word_after(const char *line, const char *prefix, char *out, size_t size) {
        const char *p = strstr(line, prefix);
        size_t n;

        if (!p)
                return false;
        p += strlen(prefix);
        n = strcspn(p, " (:\t");
        if (n == 0 || n >= size)
                return false;
        memcpy(out, p, n);
        out[n] = '\0';
        return true;
}

static int set_what(Activity *a, const char *verb, const char *object) {
        char buf[sizeof(a->what)];

        snprintf(buf, sizeof(buf), "%s%s%s", verb, object ? " " : "", object ? object : "");
        if (strcmp(buf, a->what) == 0)
                return 0;
        memcpy(a->what, buf, sizeof(buf));
        return 1;
}

int activity_feed(Activity *a, const char *line) {
        char w[128], k[96];

        while (*line == ' ' || *line == '\t' || *line == '\r')
                line++;
        if (startswith(line, ACTIVITY_OBJECTS_MARKER)) {
                unsigned long n = strtoul(line + strlen(ACTIVITY_OBJECTS_MARKER), NULL, 10);

                if (n == a->objects || n > 1000000)
                        return 0;
                a->objects = (unsigned) n;
                return 1;
        }
        if (startswith(line, "Unpacking ") && word_after(line, "Unpacking ", w, sizeof(w)))
                return set_what(a, "unpacking", w);
        if (startswith(line, "Setting up ") && word_after(line, "Setting up ", w, sizeof(w)))
                return set_what(a, "setting up", w);
        if (startswith(line, "Removing ") && word_after(line, "Removing ", w, sizeof(w)))
                return set_what(a, "removing", w);
        if (startswith(line, "Purging configuration files for ") &&
            word_after(line, "Purging configuration files for ", w, sizeof(w)))
                return set_what(a, "purging", w);
        if (startswith(line, "Processing triggers for ") && word_after(line, "Processing triggers for ", w, sizeof(w)))
                return set_what(a, "triggers of", w);
        if (word_after(line, "update-initramfs: Generating /boot/initrd.img-", w, sizeof(w)))
                return set_what(a, "initramfs for", w);
        if (strstr(line, "Generating grub configuration file"))
                return set_what(a, "GRUB configuration", NULL);
        if (startswith(line, "Installing for ") && strstr(line, "platform"))
                return set_what(a, "installing GRUB", NULL);
        /* dkms: "Autoinstall of module kpin-canary/1.0 for kernel 6.1.0-57-cloud-amd64 (x86_64)",
         * kpin's own "kpin-build kpin-canary/1.0 for 6.1.0-57-cloud-amd64" */
        if ((word_after(line, "Autoinstall of module ", w, sizeof(w)) && word_after(line, " for kernel ", k, sizeof(k))) ||
            (startswith(line, "kpin-build ") && word_after(line, "kpin-build ", w, sizeof(w)) &&
             word_after(line, " for ", k, sizeof(k)))) {
                if (strcmp(a->module, w) != 0) {
                        snprintf(a->module, sizeof(a->module), "%s", w);
                        a->objects = 0;
                }
                snprintf(w + strlen(w), sizeof(w) - strlen(w), " for %s", k);
                return set_what(a, "building", w);
        }
        return 0;
}

const char *activity_describe(const Activity *a, char *buf, unsigned size) {
        if (a->objects && startswith(a->what, "building "))
                snprintf(buf, size, "%s, %u objects", a->what, a->objects);
        else
                snprintf(buf, size, "%s", a->what);
        return buf;
}
