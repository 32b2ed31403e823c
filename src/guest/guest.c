/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <guestfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/osinfo.h"
#include "core/qemuargv.h"
#include "guest.h"
#include "mount.h"
#include "shared/cleanup.h"
#include "shared/clock.h"
#include "shared/log.h"
#include "shared/sigguard.h"
#include "shared/spawn.h"
#include "shared/strv.h"
#include "shared/tmpdir.h"

#define GUEST_MAX_DIR_ENTRIES 100000

static void guestfs_closep(guestfs_h **g) {
        if (*g)
                guestfs_close(*g);
}

static const char *last_error(guestfs_h *g) {
        const char *e = g ? guestfs_last_error(g) : NULL;

        return e ? e : "unknown libguestfs error";
}

const char *guest_last_error(Guest *gu) {
        return last_error(gu->g);
}

void guest_os_done(GuestOs *os) {
        free(os->root);
        free(os->distro);
        free(os->product);
        free(os->arch);
        free(os->root_fstype);
        strv_free(os->mountpoints);
        *os = (GuestOs) {};
}

int guest_os_copy(const GuestOs *from, GuestOs *to) {
        GuestOs c = { .major = from->major, .minor = from->minor };

        if ((from->root && !(c.root = strdup(from->root))) || (from->distro && !(c.distro = strdup(from->distro))) ||
            (from->product && !(c.product = strdup(from->product))) || (from->arch && !(c.arch = strdup(from->arch))) ||
            (from->root_fstype && !(c.root_fstype = strdup(from->root_fstype)))) {
                guest_os_done(&c);
                return -ENOMEM;
        }
        STRV_FOREACH(m, from->mountpoints)
                if (strv_extend(&c.mountpoints, *m) < 0) {
                        guest_os_done(&c);
                        return -ENOMEM;
                }
        *to = c;
        return 0;
}


/* Long transfers (uploading packages) show a percentage on a terminal:
 * array = { proc_nr, serial, position, total }. */
static void on_progress(guestfs_h *g, void *opaque, uint64_t event, int handle, int flags, const char *buf,
                        size_t buf_len, const uint64_t *array, size_t array_len) {
        Guest *gu = opaque;
        unsigned pct;

        (void) g, (void) event, (void) handle, (void) flags, (void) buf, (void) buf_len;
        if (array_len < 4 || array[3] == 0 || !gu->progress_label)
                return;
        pct = (unsigned) (array[2] >= array[3] ? 100 : array[2] * 100 / array[3]);
        if (pct == gu->progress_pct)
                return;
        gu->progress_pct = pct;
        fprintf(stderr, "\rkpin: %s: %3u%%%s", gu->progress_label, pct, pct == 100 ? "\n" : "");
}

#define STREAM_TAIL_MAX (64 * 1024)

static void stream_line(Guest *gu) {
        gu->line[gu->line_len] = '\0';
        gu->line_len = 0;
        if (gu->echo)
                fprintf(stderr, "%s\n", gu->line);
        if (gu->on_line)
                gu->on_line(gu->on_line_userdata, gu->line);
        if (!gu->tail)
                return;
        {
                size_t n = strlen(gu->line);

                if (gu->tail_len + n + 2 > STREAM_TAIL_MAX) {
                        /* keep the newer half */
                        size_t keep = gu->tail_len / 2;

                        memmove(gu->tail, gu->tail + gu->tail_len - keep, keep);
                        gu->tail_len = keep;
                }
                if (gu->tail_len + n + 2 <= STREAM_TAIL_MAX) {
                        memcpy(gu->tail + gu->tail_len, gu->line, n);
                        gu->tail_len += n;
                        gu->tail[gu->tail_len++] = '\n';
                        gu->tail[gu->tail_len] = '\0';
                }
        }
}

/* The appliance's console, as it comes: lines of the streamed command. */
static void on_console(guestfs_h *g, void *opaque, uint64_t event, int handle, int flags, const char *buf,
                       size_t buf_len, const uint64_t *array, size_t array_len) {
        Guest *gu = opaque;

        (void) g, (void) event, (void) handle, (void) flags, (void) array, (void) array_len;
        if (!gu->streaming)
                return;
        for (size_t i = 0; i < buf_len; i++) {
                char c = buf[i];

                if (c == '\n') {
                        stream_line(gu);
                        continue;
                }
                if (c == '\r' || c == '\0')
                        continue;
                if (gu->line_len + 1 < sizeof(gu->line))
                        gu->line[gu->line_len++] = c;
        }
}

#define SECRETS_DIR "/run/kpin-secrets"

int guest_secret(Guest *gu, const char *name, const char *data, size_t len, char **ret_path) {
        _cleanup_free_ char *path = strprintf(SECRETS_DIR "/%s", name);
        int r;

        if (!path)
                return -ENOMEM;
        if (!gu->secrets_mounted) {
                char *argv[] = { "mount", "-t", "tmpfs", "-o", "mode=0700,size=8m", "kpin-secrets", "/run", NULL };

                r = guest_run_checked(gu, argv, NULL, KPIN_EXIT_ENVIRONMENT, NULL, "mounting a tmpfs for the signing key");
                if (r < 0)
                        return r;
                gu->secrets_mounted = true;
                if (guestfs_mkdir_mode(gu->g, SECRETS_DIR, 0700) < 0)
                        return log_fail(KPIN_EXIT_ENVIRONMENT, -EIO, "%s: %s", gu->image, last_error(gu->g));
        }
        if (guest_write_file(gu, path, data, len) < 0 || guestfs_chmod(gu->g, 0600, path) < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -EIO, "%s: cannot write %s: %s", gu->image, path, last_error(gu->g));
        *ret_path = TAKE_PTR(path);
        return 0;
}

int guest_secrets_done(Guest *gu) {
        char *argv[] = { "umount", "/run", NULL };

        gu->env = strv_free(gu->env);
        if (!gu->secrets_mounted)
                return 0;
        gu->secrets_mounted = false;
        return guest_run_checked(gu, argv, NULL, KPIN_EXIT_ENVIRONMENT, NULL, "unmounting the signing key's tmpfs");
}

int guest_set_env(Guest *gu, char * const *env) {
        gu->env = strv_free(gu->env);
        STRV_FOREACH(e, env)
                if (strv_extend(&gu->env, *e) < 0)
                        return -ENOMEM;
        return 0;
}

void guest_on_line(Guest *gu, void (*cb)(void *userdata, const char *line), void *userdata) {
        gu->on_line = cb;
        gu->on_line_userdata = userdata;
}

/* Runs "$@" with its output on the console, and beside it a watcher that
 * says every 10 s how many objects DKMS builds have compiled since it
 * began (make.log files are rewritten by each build). Only the argv and
 * KPIN_LABEL, set by kpin, reach it. The watcher takes its sleep with it
 * when it ends: an orphaned sleep holding /dev/console kept /sysroot/dev
 * busy when the image was closed. */
static const char stream_script[] =
        "[ -z \"$KPIN_LABEL\" ] || echo \"$KPIN_LABEL\" >/dev/console\n"
        "t0=$(date +%s)\n"
        "( trap 'kill $s 2>/dev/null; exit 0' TERM\n"
        "while :; do\n"
        "\tsleep 10 & s=$!\n"
        "\twait $s\n"
        "\tn=$(find /var/lib/dkms -name make.log -newermt \"@$t0\" -exec cat {} + 2>/dev/null | grep -c 'CC \\[M\\]')\n"
        "\techo \"kpin-progress ${n:-0}\"\n"
        "done ) >/dev/console 2>&1 </dev/null &\n"
        "w=$!\n"
        "\"$@\" >/dev/console 2>&1 </dev/null\n"
        "r=$?\n"
        "kill $w 2>/dev/null\n"
        "wait $w 2>/dev/null\n"
        "exit $r\n";

int guest_run_stream(Guest *gu, char * const *argv, const char *label, char **ret_tail) {
        _cleanup_strv_free_ char **wrapped = NULL;
        _cleanup_free_ char *env = label ? strprintf("KPIN_LABEL=%s", label) : strdup("KPIN_LABEL=");
        int r;

        if (!env || strv_extend(&wrapped, "env") < 0 || strv_extend(&wrapped, env) < 0)
                return -ENOMEM;
        STRV_FOREACH(e, gu->env)
                if (strv_extend(&wrapped, *e) < 0)
                        return -ENOMEM;
        if (strv_extend(&wrapped, "/bin/sh") < 0 || strv_extend(&wrapped, "-c") < 0 ||
            strv_extend(&wrapped, stream_script) < 0 || strv_extend(&wrapped, "sh") < 0)
                return -ENOMEM;
        STRV_FOREACH(a, argv)
                if (strv_extend(&wrapped, *a) < 0)
                        return -ENOMEM;
        gu->tail = calloc(1, STREAM_TAIL_MAX);
        if (!gu->tail)
                return -ENOMEM;
        gu->tail_len = 0;
        gu->line_len = 0;
        gu->echo = log_get_verbosity() >= LOG_VERBOSE;
        gu->streaming = true;
        r = guest_run(gu, wrapped, NULL, NULL);
        if (gu->line_len > 0)
                stream_line(gu);
        gu->streaming = false;
        if (ret_tail)
                *ret_tail = TAKE_PTR(gu->tail);
        gu->tail = mfree(gu->tail);
        return r;
}

int guest_run_stream_checked(Guest *gu, char * const *argv, const char *label, char **ret_tail, int code,
                             const char *prefer, const char *what) {
        _cleanup_free_ char *err = NULL, *why = NULL;
        int r;

        r = guest_run_stream(gu, argv, label, &err);
        if (r >= 0) {
                if (ret_tail)
                        *ret_tail = TAKE_PTR(err);
                return r;
        }
        why = guest_error_line(err, prefer);
        return log_fail(code, r, "%s: %s failed in the guest: %s", gu->image, what, why);
}

void guest_progress_label(Guest *gu, const char *label) {
        /* a transfer that ended short of its 100% event ends its line */
        if (gu->progress_label && gu->progress_pct < 100)
                fputc('\n', stderr);
        free(gu->progress_label);
        gu->progress_label = label && gu->progress_tty ? strdup(label) : NULL;
        gu->progress_pct = ~0u;
}

int guest_open(const char *image, const GuestOpenOptions *o, Guest **ret) {
        _cleanup_(guestfs_closep) guestfs_h *g = NULL;
        _cleanup_(guest_closep) Guest *gu = NULL;
        double t0;
        int r;

        gu = calloc(1, sizeof(Guest));
        if (!gu)
                return -ENOMEM;
        gu->guard = gu->guard_dir = -1;
        /* libguestfs's temporaries in a run directory of kpin's: removed with
         * kpin on a signal, and by a later kpin after a kill -9 */
        gu->tmpdir = tmpdir_make("guest");
        if (!gu->tmpdir)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -errno, "cannot create a directory for libguestfs: %m");
        gu->guard_dir = sigguard_add_dir(gu->tmpdir);
        if (gu->guard_dir < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, gu->guard_dir, "%s: cannot guard libguestfs's directory: %m",
                                gu->tmpdir);
        g = guestfs_create_flags(GUESTFS_CREATE_NO_ENVIRONMENT);
        if (!g)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -ENOMEM, "cannot create a libguestfs handle");
        /* We report errors ourselves, once, as one line. */
        guestfs_set_error_handler(g, NULL, NULL);
        if (guestfs_parse_environment(g) < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -EINVAL, "libguestfs environment: %s", last_error(g));
        if (guestfs_set_tmpdir(g, gu->tmpdir) < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -EINVAL, "libguestfs: %s", last_error(g));
        if (o->verbosity >= LOG_TRACE)
                guestfs_set_trace(g, 1);
        if (!o->kvm) {
                const char *settings[] = { "force_tcg", NULL };

                if (guestfs_set_backend_settings(g, (char **) settings) < 0 ||
                    guestfs_config(g, "-cpu", KPIN_TCG_CPU) < 0)
                        return log_fail(KPIN_EXIT_ENVIRONMENT, -EINVAL, "libguestfs: %s", last_error(g));
        }
        if (o->network && guestfs_set_network(g, 1) < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -EINVAL, "libguestfs: %s", last_error(g));
        if (o->memsize_mb > 0 && guestfs_set_memsize(g, o->memsize_mb) < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -EINVAL, "libguestfs: %s", last_error(g));
        if (o->smp > 0 && guestfs_set_smp(g, o->smp) < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -EINVAL, "libguestfs: %s", last_error(g));
        r = guestfs_add_drive_opts(g, image,
                                   GUESTFS_ADD_DRIVE_OPTS_FORMAT, image_format_to_string(o->format),
                                   GUESTFS_ADD_DRIVE_OPTS_READONLY, o->readonly,
                                   -1);
        if (r < 0)
                return log_fail(KPIN_EXIT_IMAGE_MISSING, -EIO, "%s: %s", image, last_error(g));

        gu->image = strdup(o->name ? o->name : image);
        if (!gu->image)
                return -ENOMEM;
        gu->readonly = o->readonly;
        gu->progress_tty = o->verbosity >= LOG_NORMAL && isatty(STDERR_FILENO);
        if (gu->progress_tty && guestfs_set_event_callback(g, on_progress, GUESTFS_EVENT_PROGRESS, 0, gu) < 0)
                gu->progress_tty = false;
        log_debug("launching the libguestfs appliance (%s)", o->kvm ? "KVM" : "TCG");
        t0 = monotonic_s();
        if (guestfs_launch(g) < 0) {
                const char *e = last_error(g);

                if (strstr(e, "lock"))
                        return log_fail(KPIN_EXIT_IMAGE_BUSY, -EBUSY, "%s: image is in use: %s", image, e);
                return log_fail(KPIN_EXIT_ENVIRONMENT, -EIO, "cannot start the libguestfs appliance: %s", e);
        }
        log_debug("appliance up in %.1f s", monotonic_s() - t0);
        if (guestfs_set_event_callback(g, on_console, GUESTFS_EVENT_APPLIANCE, 0, gu) < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -EINVAL, "libguestfs: %s", last_error(g));
        gu->g = TAKE_PTR(g);
        r = guestfs_get_pid(gu->g);
        if (r > 0) {
                gu->guard = sigguard_add_child((pid_t) r);
                if (gu->guard < 0)
                        return log_fail(KPIN_EXIT_ENVIRONMENT, gu->guard, "cannot guard the appliance's QEMU: %m");
        }
        t0 = monotonic_s();
        r = guest_mount_root(gu);
        if (r < 0)
                return r;
        log_debug("guest inspected and mounted in %.1f s", monotonic_s() - t0);
        *ret = TAKE_PTR(gu);
        return 0;
}

int guest_close(Guest *gu) {
        int r = 0;

        if (!gu)
                return 0;
        if (gu->g) {
                sigguard_forget_child(gu->guard);
                if (!gu->readonly) {
                        /* a process a guest command left behind can hold
                         * /sysroot/dev for a moment after the command ends */
                        int u = -1;

                        for (int i = 0; i < 5 && (u = guestfs_umount_all(gu->g)) < 0; i++) {
                                log_debug("umount_all: %s; again in 1 s", last_error(gu->g));
                                sleep(1);
                        }
                        if (u < 0 || guestfs_shutdown(gu->g) < 0)
                                r = log_fail(KPIN_EXIT_FAILURE, -EIO, "%s: closing the image failed: %s",
                                             gu->image, last_error(gu->g));
                }
                guestfs_close(gu->g);
        }
        if (gu->tmpdir)
                (void) sigguard_remove_tree(gu->tmpdir, 6);
        sigguard_forget_dir(gu->guard_dir);
        free(gu->tmpdir);
        free(gu->image);
        guest_os_done(&gu->os);
        free(gu->progress_label);
        free(gu->tail);
        strv_free(gu->env);
        free(gu);
        return r;
}

bool guest_is_dir(Guest *gu, const char *path) {
        return guestfs_is_dir_opts(gu->g, path, GUESTFS_IS_DIR_OPTS_FOLLOWSYMLINKS, 1, -1) > 0;
}

bool guest_is_file(Guest *gu, const char *path) {
        return guestfs_is_file_opts(gu->g, path, GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 1, -1) > 0;
}

int guest_remove_file(Guest *gu, const char *path) {
        return guestfs_rm(gu->g, path) < 0 ? -EIO : 0;
}

bool guest_exists(Guest *gu, const char *path) {
        return guestfs_exists(gu->g, path) > 0;
}

/* The size of a regular guest file of at most max bytes. */
static int file_size(Guest *gu, const char *path, size_t max, int64_t *ret) {
        if (!guest_is_file(gu, path))
                return -ENOENT;
        *ret = guestfs_filesize(gu->g, path);
        if (*ret < 0)
                return -EIO;
        return (uint64_t) *ret > max ? -EFBIG : 0;
}

int guest_read_file(Guest *gu, const char *path, size_t max, char **ret, size_t *ret_len) {
        int64_t size;
        size_t n;
        char *data, *z;
        int r;

        r = file_size(gu, path, max, &size);
        if (r < 0)
                return r;
        data = guestfs_read_file(gu->g, path, &n);
        if (!data)
                return -EIO;
        if (n > max) {
                free(data);
                return -EFBIG;
        }
        z = realloc(data, n + 1);
        if (!z) {
                free(data);
                return -ENOMEM;
        }
        z[n] = '\0';
        *ret = z;
        if (ret_len)
                *ret_len = n;
        return 0;
}

int guest_list_dir(Guest *gu, const char *path, size_t max, char ***ret) {
        char **l;

        if (!guest_is_dir(gu, path))
                return -ENOENT;
        l = guestfs_ls(gu->g, path);
        if (!l)
                return -EIO;
        if (strv_length(l) > (max ? max : GUEST_MAX_DIR_ENTRIES)) {
                strv_free(l);
                return -E2BIG;
        }
        *ret = l;
        return 0;
}

int guest_run(Guest *gu, char * const *argv, char **ret_output, char **ret_error) {
        _cleanup_free_ char *joined = NULL;
        double t0;
        char *out;

        if (log_get_verbosity() >= LOG_VERBOSE) {
                size_t n = 0;

                STRV_FOREACH(a, argv)
                        n += strlen(*a) + 1;
                joined = calloc(1, n + 1);
                if (joined)
                        STRV_FOREACH(a, argv) {
                                strcat(joined, *a);
                                strcat(joined, " ");
                        }
                log_debug("guest: %s", joined ? joined : argv[0]);
        }
        t0 = monotonic_s();
        out = guestfs_command(gu->g, (char **) argv);
        log_debug("guest: %s: %s in %.1f s", argv[0], out ? "done" : "failed", monotonic_s() - t0);
        if (!out) {
                if (ret_error)
                        *ret_error = strdup(last_error(gu->g));
                return -EIO;
        }
        if (log_get_verbosity() >= LOG_VERBOSE && *out)
                fprintf(stderr, "%s%s", out, out[strlen(out) - 1] == '\n' ? "" : "\n");
        if (ret_output)
                *ret_output = out;
        else
                free(out);
        return 0;
}

int guest_run_checked(Guest *gu, char * const *argv, char **ret_output, int code, const char *prefer,
                      const char *what) {
        _cleanup_free_ char *err = NULL, *why = NULL;
        int r;

        r = guest_run(gu, argv, ret_output, &err);
        if (r >= 0)
                return r;
        why = guest_error_line(err, prefer);
        return log_fail(code, r, "%s: %s failed in the guest: %s", gu->image, what, why);
}

int guest_write_file(Guest *gu, const char *path, const char *content, size_t len) {
        return guestfs_write(gu->g, path, content, len) < 0 ? -EIO : 0;
}

int guest_free_bytes(Guest *gu, const char *path, unsigned long long *ret) {
        struct guestfs_statvfs *v = guestfs_statvfs(gu->g, path);

        if (!v)
                return -EIO;
        *ret = (unsigned long long) v->bavail * (unsigned long long) v->bsize;
        guestfs_free_statvfs(v);
        return 0;
}

int guest_read_file_large(Guest *gu, const char *path, size_t max, char **ret, size_t *ret_len) {
        _cleanup_free_ char *tmpl = strprintf("%s/kpin-read-XXXXXX", host_tmpdir());
        char fdpath[32];
        _cleanup_close_ int fd = -1;
        struct stat st;
        int64_t size;
        char *buf;
        int r;

        r = file_size(gu, path, max, &size);
        if (r < 0)
                return r;
        if (size < (2 << 20))
                return guest_read_file(gu, path, max, ret, ret_len);
        /* past the protocol's message size: download into an unlinked host file */
        if (!tmpl)
                return -ENOMEM;
        fd = mkostemp(tmpl, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        (void) unlink(tmpl);
        snprintf(fdpath, sizeof(fdpath), "/dev/fd/%d", fd);
        if (guestfs_download(gu->g, path, fdpath) < 0)
                return -EIO;
        if (fstat(fd, &st) < 0)
                return -errno;
        if ((uint64_t) st.st_size > max)
                return -EFBIG;
        buf = malloc(st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        if (pread(fd, buf, st.st_size, 0) != st.st_size) {
                free(buf);
                return -EIO;
        }
        buf[st.st_size] = '\0';
        *ret = buf;
        if (ret_len)
                *ret_len = st.st_size;
        return 0;
}

char *guest_error_line(const char *err, const char *prefer) {
        const char *p = err && prefer ? strstr(err, prefer) : NULL;
        char *l;

        if (p) /* from the start of the line that holds it */
                while (p > err && p[-1] != '\n')
                        p--;
        else if (err)
                for (p = err; *p == '\n' || *p == ' '; p++)
                        ;
        if (p && startswith(p, "command: "))
                p += strlen("command: ");
        l = p && *p ? strndup(p, strcspn(p, "\n")) : strdup("unknown error");
        return l ? l : strdup("");
}
