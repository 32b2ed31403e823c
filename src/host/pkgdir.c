/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/debar.h"
#include "image.h"
#include "pkgdir.h"
#include "shared/cleanup.h"
#include "shared/log.h"
#include "shared/spawn.h"
#include "shared/strbuf.h"
#include "shared/strv.h"

#define MAX_DEBS 2000
#define MAX_CONTROL (64u * 1024)

PkgDir *pkgdir_free(PkgDir *p) {
        if (!p)
                return NULL;
        free(p->dir);
        free(p->text);
        deb822_free(p->control);
        free(p->pkgs);
        free(p);
        return NULL;
}

/* dpkg-deb -f reads only the control member: a copy cut short would pass
 * it and fail in the guest, minutes later. */
static int check_deb_file(const char *path) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        _cleanup_free_ char *why = NULL;
        struct stat st;
        int r;

        if (fd < 0 || fstat(fd, &st) < 0)
                return log_fail(KPIN_EXIT_PACKAGES, -errno, "%s: cannot read: %m", path);
        r = deb_check_archive(image_read_fd, &fd, (uint64_t) st.st_size, &why);
        if (r == -EBADMSG)
                return log_fail(KPIN_EXIT_PACKAGES, r, "%s: not a valid .deb (%s)", path, why);
        return r;
}

int pkgdir_load(const char *dir, PkgDir **ret) {
        _cleanup_(pkgdir_freep) PkgDir *p = NULL;
        _cleanup_strv_free_ char **debs = NULL;
        _cleanup_(strbuf_done) StrBuf text = {};
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        int r;

        d = opendir(dir);
        if (!d)
                return log_fail(KPIN_EXIT_PACKAGES, -errno, "%s: cannot read the package directory: %m", dir);
        while ((de = readdir(d)))
                if (endswith(de->d_name, ".deb") && strv_length(debs) < MAX_DEBS &&
                    (r = strv_consume(&debs, strprintf("%s/%s", dir, de->d_name))) < 0)
                        return r;
        if (!debs)
                return log_fail(KPIN_EXIT_PACKAGES, -ENOENT, "%s: no .deb files in the package directory", dir);
        strv_sort(debs);

        p = calloc(1, sizeof(PkgDir));
        if (!p || !(p->dir = strdup(dir)))
                return -ENOMEM;
        STRV_FOREACH(deb, debs) {
                _cleanup_free_ char *out = NULL, *tail = NULL;
                char *argv[] = { "dpkg-deb", "-f", *deb, "Package", "Version", "Architecture", "Depends",
                                 "Pre-Depends", "Provides", "Installed-Size", NULL };

                r = check_deb_file(*deb);
                if (r < 0)
                        return r;
                r = spawn_run(argv, MAX_CONTROL, &out);
                if (r != 0 || !out || !startswith(out, "Package: "))
                        return log_fail(KPIN_EXIT_PACKAGES, -EBADMSG, "%s: not a valid .deb (%s)", *deb,
                                        out && *out ? strtok(out, "\n") : "dpkg-deb failed");
                if (strstr(out, "\n\n"))
                        return log_fail(KPIN_EXIT_PACKAGES, -EBADMSG, "%s: malformed control fields", *deb);
                tail = strprintf("%sFilename: %s\n\n", endswith(out, "\n") ? "" : "\n", *deb);
                if (!tail || strbuf_puts(&text, out) < 0 || strbuf_puts(&text, tail) < 0)
                        return -ENOMEM;
        }
        p->text = strbuf_steal(&text);
        if (!p->text)
                return -ENOMEM;
        r = deb822_parse(p->text, strlen(p->text), &p->control, NULL);
        if (r < 0)
                return log_fail(KPIN_EXIT_PACKAGES, r, "%s: cannot parse the packages' control fields", dir);
        p->pkgs = calloc(p->control->n_stanzas + 1, sizeof(DebPkg));
        if (!p->pkgs)
                return -ENOMEM;
        for (size_t i = 0; i < p->control->n_stanzas; i++) {
                const Deb822Stanza *s = &p->control->stanzas[i];

                if (!deb822_get(s, "Package") || !deb822_get(s, "Version"))
                        continue;
                p->pkgs[p->n_pkgs++] = (DebPkg) {
                        .name = deb822_get(s, "Package"),
                        .version = deb822_get(s, "Version"),
                        .depends = deb822_get(s, "Depends"),
                        .pre_depends = deb822_get(s, "Pre-Depends"),
                        .provides = deb822_get(s, "Provides"),
                        .origin = deb822_get(s, "Filename"),
                };
        }
        *ret = TAKE_PTR(p);
        return 0;
}

