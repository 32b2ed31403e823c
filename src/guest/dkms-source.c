/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <guestfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "core/dkmsstatus.h"
#include "core/sha256.h"
#include "host/buildcache.h"
#include "core/kver.h"
#include "core/modinfo.h"
#include "apt.h"
#include "dkms-internal.h"
#include "dkms.h"
#include "shared/cleanup.h"
#include "shared/clock.h"
#include "shared/log.h"
#include "shared/strbuf.h"
#include "shared/spawn.h"
#include "shared/strv.h"
#include "shared/unaligned.h"

int dkms_read_conf(Guest *gu, const char *name, const char *version, DkmsConf *ret) {
        _cleanup_free_ char *path = strprintf("/usr/src/%s-%s/dkms.conf", name, version), *text = NULL;
        size_t len;
        int r;

        if (!path)
                return -ENOMEM;
        r = guest_read_file(gu, path, MAX_DKMS_CONF, &text, &len);
        if (r < 0)
                return log_fail(KPIN_EXIT_DKMS, r, "%s: cannot read %s in the guest: %m", gu->image, path);
        r = dkms_conf_parse(text, len, ret);
        if (r < 0)
                return log_fail(KPIN_EXIT_DKMS, r, "%s: %s has no valid PACKAGE_NAME/PACKAGE_VERSION", gu->image, path);
        return 0;
}

/* NAME or NAME/VER of a module registered in the guest: VER defaults to
 * the newest registered version. */
int dkms_resolve_module(Guest *gu, const char *spec, char **ret_name, char **ret_version) {
        _cleanup_free_ char *name = NULL, *version = NULL, *dir = NULL;
        _cleanup_strv_free_ char **versions = NULL;
        const char *slash = strchr(spec, '/');

        name = slash ? strndup(spec, slash - spec) : strdup(spec);
        if (!name)
                return -ENOMEM;
        if (!dkms_name_valid(name) || (slash && !dkms_name_valid(slash + 1)))
                return log_fail(KPIN_EXIT_USAGE, -EINVAL, "--module %s: not a DKMS module name[/version]", spec);
        dir = strprintf("/var/lib/dkms/%s", name);
        if (!dir)
                return -ENOMEM;
        if (slash)
                version = strdup(slash + 1);
        else if (guest_list_dir(gu, dir, 1000, &versions) >= 0)
                STRV_FOREACH(v, versions) {
                        _cleanup_free_ char *p = strprintf("%s/%s", dir, *v);

                        if (!p)
                                return -ENOMEM;
                        if (!dkms_name_valid(*v) || startswith(*v, "kernel-") || !guest_is_dir(gu, p))
                                continue;
                        if (!version || dpkg_version_compare(*v, version) > 0) {
                                free(version);
                                version = strdup(*v);
                                if (!version)
                                        return -ENOMEM;
                        }
                }
        if (!version)
                return log_fail(KPIN_EXIT_DKMS, -ENOENT, "%s: no DKMS module %s is registered in the image%s",
                                gu->image, name, slash ? "" : " (give --source DIR|FILE.deb)");
        {
                _cleanup_free_ char *vdir = strprintf("%s/%s", dir, version);

                if (!vdir)
                        return -ENOMEM;
                if (!guest_is_dir(gu, vdir))
                        return log_fail(KPIN_EXIT_DKMS, -ENOENT, "%s: DKMS module %s/%s is not registered in the image",
                                        gu->image, name, version);
        }
        *ret_name = TAKE_PTR(name);
        *ret_version = TAKE_PTR(version);
        return 0;
}

/* --build-config HOSTFILE[=GUESTPATH]: GUESTPATH defaults to HOSTFILE's own
 * absolute path. */
int dkms_copy_build_config(Guest *gu, const char *spec) {
        _cleanup_free_ char *host = NULL, *text = NULL, *dir = NULL;
        const char *eq = strchr(spec, '='), *dest;
        size_t len = 0;
        FILE *f;
        int r;

        host = eq ? strndup(spec, eq - spec) : strdup(spec);
        if (!host)
                return -ENOMEM;
        dest = eq ? eq + 1 : host;
        if (dest[0] != '/' || strstr(dest, "/../") || endswith(dest, "/..") || endswith(dest, "/"))
                return log_fail(KPIN_EXIT_USAGE, -EINVAL,
                                "--build-config %s: the guest path must be absolute (FILE=/etc/... or an absolute FILE)", spec);
        f = fopen(host, "re");
        if (!f)
                return log_fail(KPIN_EXIT_USAGE, -errno, "%s: %m", host);
        text = malloc(MAX_BUILD_CONFIG + 1);
        if (text)
                len = fread(text, 1, MAX_BUILD_CONFIG + 1, f);
        r = ferror(f) ? -EIO : 0;
        fclose(f);
        if (!text)
                return -ENOMEM;
        if (r < 0 || len > MAX_BUILD_CONFIG)
                return log_fail(KPIN_EXIT_USAGE, r < 0 ? r : -EFBIG, "%s: %s", host,
                                r < 0 ? "cannot read it" : "larger than 1 MiB; not a build options file");
        dir = strndup(dest, strrchr(dest, '/') - dest);
        if (!dir)
                return -ENOMEM;
        if ((*dir && guestfs_mkdir_p(gu->g, dir) < 0) || guest_write_file(gu, dest, text, len) < 0)
                return log_fail(KPIN_EXIT_FAILURE, -EIO, "%s: cannot write %s in the guest: %s", gu->image, dest,
                                guest_last_error(gu));
        log_info("copied %s to %s in the guest", host, dest);
        return 0;
}

/* A host directory holding a dkms.conf: copied to /usr/src/NAME-VER and
 * added (replacing an earlier registration of the same version). */
int dkms_add_source_dir(Guest *gu, const char *src, char **ret_name, char **ret_version) {
        _cleanup_free_ char *conf_path = strprintf("%s/dkms.conf", src), *text = NULL, *out = NULL, *dest = NULL,
                            *spec = NULL, *err = NULL;
        _cleanup_(dkms_conf_done) DkmsConf conf = {};
        _cleanup_free_ char *tar = strprintf("%s/kpin-src-XXXXXX", host_tmpdir());
        _cleanup_close_ int fd = -1;
        FILE *f;
        size_t len;
        int r;

        if (!conf_path)
                return -ENOMEM;
        f = fopen(conf_path, "re");
        if (!f)
                return log_fail(KPIN_EXIT_USAGE, -errno, "%s: %m", conf_path);
        text = malloc(MAX_DKMS_CONF + 1);
        len = text ? fread(text, 1, MAX_DKMS_CONF, f) : 0;
        fclose(f);
        if (!text)
                return -ENOMEM;
        r = dkms_conf_parse(text, len, &conf);
        if (r < 0)
                return log_fail(KPIN_EXIT_USAGE, r, "%s: no valid PACKAGE_NAME/PACKAGE_VERSION", conf_path);

        if (!tar)
                return -ENOMEM;
        fd = mkostemp(tar, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        {
                char *argv[] = { "tar", "--no-same-owner", "--owner=0", "--group=0", "-C", (char *) src, "-cf",
                                 tar, ".", NULL };

                r = spawn_run(argv, 4096, &out);
        }
        if (r != 0) {
                unlink(tar);
                return log_fail(KPIN_EXIT_USAGE, -EIO, "%s: cannot pack the module source: %s", src,
                                out && *out ? out : "tar failed");
        }
        dest = strprintf("/usr/src/%s-%s", conf.name, conf.version);
        spec = strprintf("%s/%s", conf.name, conf.version);
        if (!dest || !spec) {
                unlink(tar);
                return -ENOMEM;
        }
        {
                _cleanup_free_ char *reg = strprintf("/var/lib/dkms/%s/%s", conf.name, conf.version);

                if (reg && guest_is_dir(gu, reg)) {
                        char *argv[] = { "dkms", "remove", spec, "--all", NULL };

                        log_info("replacing the registered %s", spec);
                        (void) guest_run(gu, argv, NULL, NULL);
                }
        }
        (void) guestfs_rm_rf(gu->g, dest);
        r = guestfs_mkdir_p(gu->g, dest) < 0 || guestfs_tar_in(gu->g, tar, dest) < 0 ? -EIO : 0;
        unlink(tar);
        if (r < 0)
                return log_fail(KPIN_EXIT_FAILURE, r, "%s: copying %s to %s in the guest failed: %s", gu->image, src,
                                dest, guest_last_error(gu));
        {
                char *argv[] = { "dkms", "add", "-m", conf.name, "-v", conf.version, NULL };
                _cleanup_free_ char *what = strprintf("dkms add %s", spec);

                if (!what)
                        return -ENOMEM;
                r = guest_run_checked(gu, argv, NULL, KPIN_EXIT_DKMS, "Error! ", what);
                if (r < 0)
                        return r;
        }
        *ret_name = TAKE_PTR(conf.name);
        *ret_version = TAKE_PTR(conf.version);
        return 0;
}

/* A *-dkms .deb: installed without Recommends; the module is the
 * /usr/src/NAME-VER/dkms.conf it ships. */
int dkms_add_source_deb(Guest *gu, const char *deb, char **ret_name, char **ret_version) {
        _cleanup_free_ char *list = NULL, *err = NULL, *dir = NULL;
        _cleanup_(dkms_conf_done) DkmsConf conf = {};
        char *files[] = { (char *) deb, NULL };
        int r;

        {
                char *argv[] = { "dpkg-deb", "-c", (char *) deb, NULL };

                r = spawn_run(argv, 4u << 20, &list);
        }
        if (r != 0)
                return log_fail(KPIN_EXIT_USAGE, -EINVAL, "%s: not a Debian package", deb);
        /* "... ./usr/src/NAME-VER/dkms.conf" */
        for (const char *l = list; l && *l;) {
                const char *eol = strchrnul(l, '\n'), *p = memmem(l, eol - l, " ./usr/src/", 11);

                if (p && eol - p > 11 + 10 && memcmp(eol - 10, "/dkms.conf", 10) == 0) {
                        p += strlen(" ./usr/src/");
                        if (!memchr(p, '/', eol - 10 - p)) {
                                dir = strndup(p, eol - 10 - p);
                                break;
                        }
                }
                l = *eol ? eol + 1 : eol;
        }
        if (!dir)
                return log_fail(KPIN_EXIT_USAGE, -EINVAL, "%s: ships no /usr/src/NAME-VERSION/dkms.conf; not a DKMS package", deb);
        log_info("installing %s in the guest", deb);
        r = apt_install_debs(gu, files, &err);
        if (r == -EIO) {
                _cleanup_free_ char *why = NULL;
                const char *e = err ? strstr(err, "E: ") : NULL;

                why = guest_error_line(e ? e : err, "E: ");
                return log_fail(KPIN_EXIT_DKMS, r, "%s: installing %s failed in the guest: %s", gu->image, deb, why);
        }
        if (r < 0)
                return r;
        {
                _cleanup_free_ char *path = strprintf("/usr/src/%s/dkms.conf", dir), *text = NULL;
                size_t len;

                if (!path)
                        return -ENOMEM;
                r = guest_read_file(gu, path, MAX_DKMS_CONF, &text, &len);
                if (r >= 0)
                        r = dkms_conf_parse(text, len, &conf);
                if (r < 0)
                        return log_fail(KPIN_EXIT_DKMS, r, "%s: %s from %s is not a usable dkms.conf", gu->image, path, deb);
        }
        {
                /* a package whose postinst does not add the module */
                _cleanup_free_ char *reg = strprintf("/var/lib/dkms/%s/%s", conf.name, conf.version);

                if (!reg)
                        return -ENOMEM;
                if (!guest_is_dir(gu, reg)) {
                        char *argv[] = { "dkms", "add", "-m", conf.name, "-v", conf.version, NULL };
                        _cleanup_free_ char *what = strprintf("dkms add %s/%s", conf.name, conf.version);

                        if (!what)
                                return -ENOMEM;
                        r = guest_run_checked(gu, argv, NULL, KPIN_EXIT_DKMS, "Error! ", what);
                        if (r < 0)
                                return r;
                }
        }
        *ret_name = TAKE_PTR(conf.name);
        *ret_version = TAKE_PTR(conf.version);
        return 0;
}
