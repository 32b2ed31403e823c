/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image.h"
#include "shared/cleanup.h"
#include "shared/log.h"
#include "shared/strv.h"

/* QEMU's image locking (block/file-posix.c): a process holding permission
 * bit i takes a shared OFD lock on byte 100 + i; WRITE is bit 1. */
#define QEMU_LOCK_PERM_BASE 100
#define QEMU_PERM_WRITE_BIT 1

static int pread_exact(void *userdata, uint64_t off, void *buf, size_t len) {
        int fd = *(int *) userdata;
        size_t done = 0;

        while (done < len) {
                ssize_t k = pread(fd, (char *) buf + done, len - done, (off_t) (off + done));

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        return -EIO;
                done += k;
        }
        return 0;
}

int image_locked_for_write(int fd) {
        struct flock fl = {
                .l_type = F_WRLCK,
                .l_whence = SEEK_SET,
                .l_start = QEMU_LOCK_PERM_BASE + QEMU_PERM_WRITE_BIT,
                .l_len = 1,
        };

        if (fcntl(fd, F_OFD_GETLK, &fl) < 0)
                return -errno;
        return fl.l_type != F_UNLCK;
}

/* A backing file must resolve to a file in the image's own directory: an
 * untrusted image must not make kpin read /etc/shadow as its disk. */
static int check_backing(const char *path, const char *backing) {
        _cleanup_free_ char *copy = strdup(path), *dir = NULL, *target = NULL, *resolved = NULL;

        if (!copy)
                return -ENOMEM;
        dir = realpath(dirname(copy), NULL);
        if (!dir)
                return log_fail(KPIN_EXIT_IMAGE_MISSING, -errno, "%s: cannot resolve its directory: %m", path);
        target = backing[0] == '/' ? strdup(backing) : strprintf("%s/%s", dir, backing);
        if (!target)
                return -ENOMEM;
        resolved = realpath(target, NULL);
        if (!resolved)
                return log_fail(KPIN_EXIT_IMAGE_INVALID, -errno, "%s: backing file %s cannot be opened: %m",
                                path, backing);
        if (!startswith(resolved, dir) || resolved[strlen(dir)] != '/' || strchr(resolved + strlen(dir) + 1, '/'))
                return log_fail(KPIN_EXIT_IMAGE_INVALID, -EPERM,
                                "%s: backing file %s is outside the image's directory, refusing it", path, backing);
        return 0;
}

int image_check(const char *path, bool for_write, ImageInfo *ret) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *why = NULL;
        ImageInfo info = {};
        struct stat st;
        int r;

        fd = open(path, (for_write ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                r = -errno;
                if (r == -ENOENT)
                        return log_fail(KPIN_EXIT_IMAGE_MISSING, r, "%s: no such file", path);
                return log_fail(KPIN_EXIT_IMAGE_MISSING, r, "%s: cannot open: %m", path);
        }
        if (fstat(fd, &st) < 0)
                return log_fail(KPIN_EXIT_IMAGE_MISSING, -errno, "%s: cannot stat: %m", path);
        if (S_ISDIR(st.st_mode))
                return log_fail(KPIN_EXIT_IMAGE_INVALID, -EISDIR, "%s: is a directory, not a disk image", path);
        if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
                return log_fail(KPIN_EXIT_IMAGE_INVALID, -EMEDIUMTYPE, "%s: not a regular file", path);

        r = image_identify(pread_exact, &fd, (uint64_t) st.st_size, &info, &why);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                int code = r == -EIO ? KPIN_EXIT_IMAGE_MISSING : KPIN_EXIT_IMAGE_INVALID;

                return log_fail(code, r, "%s: %s", path, why ? why : strerror(-r));
        }
        if (info.backing_file) {
                r = check_backing(path, info.backing_file);
                if (r < 0) {
                        image_info_done(&info);
                        return r;
                }
        }

        r = image_locked_for_write(fd);
        if (r < 0)
                log_debug("%s: cannot query QEMU's locks: %s", path, strerror(-r));
        else if (r > 0) {
                image_info_done(&info);
                return log_fail(KPIN_EXIT_IMAGE_BUSY, -EBUSY,
                                "%s: image is in use: another process (a running VM?) has it open for writing", path);
        }
        *ret = info;
        return 0;
}
