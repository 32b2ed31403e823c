/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "shared/cleanup.h"
#include "shared/log.h"
#include "shared/sigguard.h"
#include "shared/spawn.h"
#include "shared/strv.h"
#include "txn.h"

#define TEMP_PREFIX ".kpin-"

/* Removes ".kpin-PID-NAME.*" temps in dir whose PID is gone (those in
 * $TMPDIR: shared/tmpdir.h). */
static void remove_stale_temps(const char *dir, const char *name) {
        DIR *d = opendir(dir);
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d))) {
                char *end;
                long pid;

                if (!startswith(de->d_name, TEMP_PREFIX))
                        continue;
                pid = strtol(de->d_name + strlen(TEMP_PREFIX), &end, 10);
                if (end == de->d_name + strlen(TEMP_PREFIX) || *end != '-' || !startswith(end + 1, name) ||
                    end[1 + strlen(name)] != '.')
                        continue;
                if (pid > 0 && (kill((pid_t) pid, 0) == 0 || errno != ESRCH))
                        continue; /* another kpin is working on it */
                if (unlinkat(dirfd(d), de->d_name, 0) == 0)
                        log_warning("removed %s/%s, left behind by an interrupted kpin run (pid %ld)", dir,
                                    de->d_name, pid);
        }
        closedir(d);
}

void txn_free(Txn *t) {
        if (!t)
                return;
        if (t->overlay)
                unlink(t->overlay);
        if (t->tmp_out)
                unlink(t->tmp_out);
        if (t->clean)
                unlink(t->clean);
        for (size_t i = 0; i < ELEMENTSOF(t->guard); i++)
                sigguard_forget(t->guard[i]);
        free(t->image);
        free(t->target);
        free(t->overlay);
        free(t->tmp_out);
        free(t->clean);
        free(t);
}

int txn_begin(const char *image, ImageFormat format, const char *out, bool in_place, Txn **ret) {
        _cleanup_(txn_freep) Txn *t = NULL;
        _cleanup_free_ char *target_copy = NULL, *dir = NULL, *output = NULL;
        const char *name;
        int r;

        t = calloc(1, sizeof(Txn));
        if (!t)
                return -ENOMEM;
        t->format = format;
        t->in_place = in_place;
        t->guard[0] = t->guard[1] = t->guard[2] = -1;
        t->image = realpath(image, NULL);
        if (!t->image)
                return log_fail(KPIN_EXIT_IMAGE_MISSING, -errno, "%s: %m", image);
        if (!out && !in_place) {
                /* scratch: a throw-away overlay in $TMPDIR, never committed */
                static unsigned n_scratch;

                t->overlay = strprintf("%s/" TEMP_PREFIX "%d-scratch%u.overlay.qcow2", host_tmpdir(), (int) getpid(),
                                       n_scratch++);
                if (!t->overlay)
                        return -ENOMEM;
        } else {
                t->target = in_place ? strdup(t->image) : strdup(out);
                if (!t->target)
                        return -ENOMEM;

                target_copy = strdup(t->target);
                if (!target_copy)
                        return -ENOMEM;
                dir = strdup(dirname(target_copy));
                if (!dir)
                        return -ENOMEM;
                free(target_copy);
                target_copy = strdup(t->target);
                if (!target_copy)
                        return -ENOMEM;
                name = basename(target_copy);
                if (access(dir, W_OK) < 0)
                        return log_fail(KPIN_EXIT_IMAGE_MISSING, -errno, "%s: cannot write to %s: %m", t->target, dir);

                remove_stale_temps(dir, name);
                t->overlay = strprintf("%s/" TEMP_PREFIX "%d-%s.overlay.qcow2", dir, (int) getpid(), name);
                t->tmp_out = strprintf("%s/" TEMP_PREFIX "%d-%s.out.tmp", dir, (int) getpid(), name);
                if (!t->overlay || !t->tmp_out)
                        return -ENOMEM;
        }
        t->guard[0] = sigguard_add_file(t->overlay);
        if (t->guard[0] < 0)
                return t->guard[0];
        if (t->tmp_out) {
                t->guard[1] = sigguard_add_file(t->tmp_out);
                if (t->guard[1] < 0)
                        return t->guard[1];
        }

        {
                char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2",
                                 "-F", (char *) image_format_to_string(format), "-b", t->image,
                                 t->overlay, NULL };

                r = spawn_run(argv, 4096, &output);
        }
        if (r != 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -EIO, "cannot create the work overlay %s: %s", t->overlay,
                                output && *output ? strtok(output, "\n") : strerror(r < 0 ? -r : EIO));
        *ret = TAKE_PTR(t);
        return 0;
}

/* In place, the result takes the original's place as the same file would:
 * its mode, owner and ACLs (the POSIX ACL xattrs; other attributes belong
 * to the bytes that are replaced). */
static void keep_attributes(int fd, const char *original) {
        static const char *const acls[] = { "system.posix_acl_access", "system.posix_acl_default" };
        struct stat st;

        if (stat(original, &st) < 0)
                return;
        if (fchown(fd, st.st_uid, st.st_gid) < 0)
                log_warning("%s: cannot keep the owner %u:%u: %m", original, (unsigned) st.st_uid, (unsigned) st.st_gid);
        (void) fchmod(fd, st.st_mode & 07777);
        for (size_t i = 0; i < ELEMENTSOF(acls); i++) {
                char buf[8192];
                ssize_t n = getxattr(original, acls[i], buf, sizeof(buf));

                if (n >= 0 && fsetxattr(fd, acls[i], buf, (size_t) n, 0) < 0)
                        log_warning("%s: cannot keep its ACL: %m", original);
        }
}

/* A regular copy that shares blocks where the filesystem can. */
static int copy_file(const char *from, const char *to) {
        _cleanup_close_ int in = open(from, O_RDONLY | O_CLOEXEC);
        _cleanup_close_ int out = in >= 0 ? open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
        struct stat st;
        off_t done = 0;

        if (in < 0 || out < 0 || fstat(in, &st) < 0)
                return -errno;
        while (done < st.st_size) {
                ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t) (st.st_size - done), 0);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : -EIO;
                done += n;
        }
        return 0;
}

int txn_keep_clean(Txn *t) {
        int r;

        if (t->clean)
                return 0;
        t->clean = strprintf("%s.clean", t->overlay);
        if (!t->clean)
                return -ENOMEM;
        t->guard[2] = sigguard_add_file(t->clean);
        if (t->guard[2] < 0)
                return t->guard[2];
        r = copy_file(t->overlay, t->clean);
        if (r < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, r, "cannot copy the work overlay %s: %m", t->overlay);
        return 0;
}

int txn_commit(Txn *t) {
        _cleanup_free_ char *output = NULL;
        _cleanup_close_ int fd = -1;
        const char *from = t->clean ? t->clean : t->overlay;
        int r;

        if (!t->target)
                return -EINVAL; /* scratch */
        log_debug("committing: flattening %s into %s", from, t->tmp_out);
        {
                char *argv[] = { "qemu-img", "convert", "-q", "-f", "qcow2", "-O", "qcow2",
                                 (char *) from, t->tmp_out, NULL };

                r = spawn_run(argv, 4096, &output);
        }
        if (r != 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -EIO, "%s: writing the result failed: %s", t->target,
                                output && *output ? strtok(output, "\n") : "qemu-img convert failed");
        fd = open(t->tmp_out, O_RDWR | O_CLOEXEC);
        if (fd < 0 || fsync(fd) < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -errno, "%s: %m", t->tmp_out);
        if (t->in_place)
                keep_attributes(fd, t->image);
        if (rename(t->tmp_out, t->target) < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -errno, "%s: cannot move the result into place: %m", t->target);
        t->tmp_out = mfree(t->tmp_out);
        sigguard_forget(t->guard[1]);
        {
                /* the rename is durable once the directory is */
                _cleanup_free_ char *copy = strdup(t->target);
                _cleanup_close_ int dfd = copy ? open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;

                if (dfd >= 0)
                        (void) fsync(dfd);
        }
        return 0;
}
