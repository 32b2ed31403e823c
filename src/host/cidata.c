/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cidata.h"
#include "shared/cleanup.h"
#include "shared/log.h"
#include "shared/sigguard.h"
#include "shared/spawn.h"
#include "shared/strv.h"
#include "shared/tmpdir.h"

Cidata *cidata_free(Cidata *c) {
        if (!c)
                return NULL;
        if (c->dir)
                (void) sigguard_remove_tree(c->dir, 1);
        sigguard_forget_dir(c->guard_dir);
        free(c->dir);
        free(c->path);
        free(c);
        return NULL;
}

static int write_text(const char *path, const char *text) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        size_t n = strlen(text);

        if (fd < 0)
                return -errno;
        return write(fd, text, n) == (ssize_t) n ? 0 : -EIO;
}

static int run(char * const *argv) {
        _cleanup_free_ char *out = NULL;
        int r = spawn_run(argv, 4096, &out);

        if (r != 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -EIO, "making the cloud-init seed failed: %s: %s", argv[0],
                                out && *out ? strtok(out, "\n") : r < 0 ? strerror(-r) : "failed");
        return 0;
}

int cidata_make_host(const char *instance_id, const char *hostname, const char *network_config, Cidata **ret) {
        _cleanup_(cidata_freep) Cidata *c = calloc(1, sizeof(Cidata));
        _cleanup_free_ char *md = NULL, *ud = NULL, *nc = NULL, *meta = NULL;
        int r;

        if (!c)
                return -ENOMEM;
        c->guard_dir = -1;
        c->dir = tmpdir_make("seed");
        if (!c->dir)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -errno, "cannot create a directory for the cloud-init seed: %m");
        c->guard_dir = sigguard_add_dir(c->dir);
        if (c->guard_dir < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, c->guard_dir, "%s: cannot guard the seed's directory: %m", c->dir);
        c->path = strprintf("%s/seed.img", c->dir);
        md = strprintf("%s/meta-data", c->dir);
        ud = strprintf("%s/user-data", c->dir);
        nc = strprintf("%s/network-config", c->dir);
        meta = strprintf("instance-id: %s\nlocal-hostname: %s\n", instance_id, hostname);
        if (!c->path || !md || !ud || !nc || !meta)
                return -ENOMEM;
        if ((r = write_text(md, meta)) < 0 || (r = write_text(ud, "#cloud-config\n")) < 0 ||
            (network_config && (r = write_text(nc, network_config)) < 0))
                return log_fail(KPIN_EXIT_ENVIRONMENT, r, "cannot write the cloud-init seed: %m");
        {
                char *mkfs[] = { "/usr/sbin/mkfs.vfat", "-C", "-n", "CIDATA", c->path, "1024", NULL };
                char *copy[8] = { "mcopy", "-i", c->path, md, ud };
                size_t n = 5;

                if (network_config)
                        copy[n++] = nc;
                copy[n] = "::";
                if ((r = run(mkfs)) < 0 || (r = run(copy)) < 0)
                        return r;
        }
        (void) unlink(md);
        (void) unlink(ud);
        (void) unlink(nc);
        *ret = TAKE_PTR(c);
        return 0;
}

int cidata_make(const char *token, const char *network_config, Cidata **ret) {
        _cleanup_free_ char *id = strprintf("kpin-boot-test-%s", token);

        if (!id)
                return -ENOMEM;
        return cidata_make_host(id, "kpin-boot-test", network_config, ret);
}
