/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/deb822.h"
#include "fuzz.h"

/* /var/lib/dpkg/status and apt preferences from an image. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Deb822 *d = NULL;
        unsigned line = 0;

        if (deb822_parse((const char *) data, size, &d, &line) < 0)
                return 0;
        for (size_t i = 0; i < d->n_stanzas; i++) {
                DpkgPackage p = {};
                const char *pkg = deb822_get(&d->stanzas[i], "Package");

                if (pkg)
                        (void) apt_pref_matches(pkg, "linux-image-6.1.0-56-cloud-amd64");
                if (dpkg_package_from_stanza(&d->stanzas[i], &p) >= 0 && !p.name)
                        abort(); /* a package has a name */
        }
        deb822_free(d);
        return 0;
}
