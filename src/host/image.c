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

int image_read_fd(void *userdata, uint64_t off, void *buf, size_t len) {
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

#define MAX_BACKING_DEPTH 8

static bool in_dir(const char *path, const char *dir) {
        return startswith(path, dir) && path[strlen(dir)] == '/' && !strchr(path + strlen(dir) + 1, '/');
}

static bool allowed_backing(const char *resolved, const char *top_dir, char * const *allow) {
        if (in_dir(resolved, top_dir))
                return true;
        STRV_FOREACH(a, allow) {
                _cleanup_free_ char *r = realpath(*a, NULL);

                if (r && strcmp(r, resolved) == 0)
                        return true;
        }
        return false;
}

/* Each backing file of the chain must resolve to a file in the top image's
 * own directory (or one the user allowed by name): an untrusted image must
 * not make kpin read /etc/shadow as its disk. Each must be what the header
 * says it is, checked as the top image is, since QEMU would otherwise probe
 * its format. */
static int check_backing(const char *top, const char *top_dir, const char *path, const ImageInfo *info,
                         char * const *allow, unsigned depth) {
        _cleanup_free_ char *copy = strdup(path), *dir = NULL, *target = NULL, *resolved = NULL, *why = NULL;
        _cleanup_(image_info_done) ImageInfo binfo = {};
        _cleanup_close_ int fd = -1;
        const char *backing = info->backing_file;
        struct stat st;
        int r;

        if (!copy)
                return -ENOMEM;
        if (depth >= MAX_BACKING_DEPTH)
                return log_fail(KPIN_EXIT_IMAGE_INVALID, -ELOOP, "%s: backing chain longer than %d files", top,
                                MAX_BACKING_DEPTH);
        dir = realpath(dirname(copy), NULL);
        if (!dir)
                return log_fail(KPIN_EXIT_IMAGE_MISSING, -errno, "%s: cannot resolve its directory: %m", path);
        target = backing[0] == '/' ? strdup(backing) : strprintf("%s/%s", dir, backing);
        if (!target)
                return -ENOMEM;
        resolved = realpath(target, NULL);
        if (!resolved)
                return log_fail(KPIN_EXIT_IMAGE_INVALID, -errno, "%s: backing file %s cannot be opened: %m", top,
                                backing);
        if (!allowed_backing(resolved, top_dir, allow))
                return log_fail(KPIN_EXIT_IMAGE_INVALID, -EPERM,
                                "%s: backing file %s is outside the image's directory, refusing it "
                                "(--allow-backing %s to trust it)", top, backing, resolved);
        if (!info->backing_format)
                return log_fail(KPIN_EXIT_IMAGE_INVALID, -EPERM,
                                "%s: backing file %s has no recorded format, and kpin never lets QEMU guess one "
                                "(qemu-img rebase -u -F FORMAT -b %s)", top, backing, backing);
        fd = open(resolved, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 || fstat(fd, &st) < 0)
                return log_fail(KPIN_EXIT_IMAGE_INVALID, -errno, "%s: backing file %s cannot be opened: %m", top,
                                backing);
        if (!S_ISREG(st.st_mode))
                return log_fail(KPIN_EXIT_IMAGE_INVALID, -EMEDIUMTYPE, "%s: backing file %s is not a regular file", top,
                                backing);
        r = image_identify(image_read_fd, &fd, (uint64_t) st.st_size, &binfo, &why);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return log_fail(KPIN_EXIT_IMAGE_INVALID, r, "%s: backing file %s: %s", top, backing,
                                why ? why : strerror(-r));
        if (strcmp(image_format_to_string(binfo.format), info->backing_format) != 0)
                return log_fail(KPIN_EXIT_IMAGE_INVALID, -EMEDIUMTYPE,
                                "%s: the header says backing file %s is %s, but it is %s", top, backing,
                                info->backing_format, image_format_to_string(binfo.format));
        if (binfo.backing_file)
                return check_backing(top, top_dir, resolved, &binfo, allow, depth + 1);
        return 0;
}

/* A name that says one format over bytes of the other is refused, not
 * guessed about: someone renamed or mislabelled the file. */
static int check_name(const char *path, const ImageInfo *info) {
        if (endswith(path, ".qcow2") && info->format != IMAGE_FORMAT_QCOW2)
                return log_fail(KPIN_EXIT_IMAGE_INVALID, -EMEDIUMTYPE,
                                "%s: named .qcow2 but it is a raw disk image, refusing to guess", path);
        if (endswith(path, ".raw") && info->format != IMAGE_FORMAT_RAW)
                return log_fail(KPIN_EXIT_IMAGE_INVALID, -EMEDIUMTYPE,
                                "%s: named .raw but it is a qcow2 image, refusing to guess", path);
        return 0;
}

int image_check(const char *path, unsigned flags, char * const *allow_backing, ImageInfo *ret) {
        bool for_write = flags & IMAGE_CHECK_WRITE;
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
        /* root may open anything for writing: the mode is how sites mark the
         * base images that overlays depend on */
        if (for_write && !(flags & IMAGE_CHECK_FORCE) && !(st.st_mode & 0222))
                return log_fail(KPIN_EXIT_IMAGE_MISSING, -EACCES,
                                "%s: write-protected (mode %04o): not replacing it in place (--force to do it anyway)",
                                path, (unsigned) (st.st_mode & 07777));

        r = image_identify(image_read_fd, &fd, (uint64_t) st.st_size, &info, &why);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                int code = r == -EIO ? KPIN_EXIT_IMAGE_MISSING : KPIN_EXIT_IMAGE_INVALID;

                return log_fail(code, r, "%s: %s", path, why ? why : strerror(-r));
        }
        r = check_name(path, &info);
        if (r >= 0 && info.backing_file) {
                _cleanup_free_ char *copy = strdup(path), *top_dir = NULL;

                top_dir = copy ? realpath(dirname(copy), NULL) : NULL;
                r = top_dir ? check_backing(path, top_dir, path, &info, allow_backing, 0)
                            : log_fail(KPIN_EXIT_IMAGE_MISSING, -errno, "%s: cannot resolve its directory: %m", path);
        }
        if (r < 0) {
                image_info_done(&info);
                return r;
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
