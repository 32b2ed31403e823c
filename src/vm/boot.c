/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "boot.h"
#include "core/kver.h"
#include "shared/cleanup.h"
#include "shared/clock.h"
#include "shared/log.h"
#include "shared/progress.h"
#include "shared/sigguard.h"
#include "shared/spawn.h"
#include "shared/strv.h"
#include "shared/tmpdir.h"

#define TAIL_MAX 4096
#define MAX_PROBE_LINES 512

static const char *const stage_names[_STAGE_MAX] = {
        [STAGE_GRUB] = "grub", [STAGE_KERNEL] = "kernel", [STAGE_USERSPACE] = "userspace",
        [STAGE_PROBE] = "probe", [STAGE_DONE] = "done",
};

const char *boot_stage_to_string(BootStage s) {
        return s < _STAGE_MAX ? stage_names[s] : "unknown";
}

void boot_result_done(BootResult *r) {
        free(r->grub_kernel);
        free(r->kernel);
        strv_free(r->probe);
        free(r->failure);
        strv_free(r->warnings);
        free(r->tail);
        *r = (BootResult) {};
}

typedef struct Run {
        const BootOptions *o;
        BootResult *r;
        char *grub_error;       /* GRUB's first error line since it last loaded a kernel */
        double t0;
        char tail[TAIL_MAX];
        size_t tail_len;
        int esc;
} Run;

static void fail_once(Run *run, const char *fmt, const char *a, const char *b) {
        if (run->r->failure)
                return;
        run->r->failure = strprintf(fmt, a, b ? b : "");
}

static bool kernel_expected(const char *release, const char *expect) {
        /* series semantics: 6.1 is not a prefix of 6.12 */
        return !expect || strcmp(release, expect) == 0 || kver_matches(release, expect);
}

static void on_event(void *userdata, ConsoleEventType type, const char *arg) {
        Run *run = userdata;
        BootResult *r = run->r;
        double t = monotonic_s() - run->t0;

        log_debug("console: %s %s (%.1f s)", console_event_to_string(type), arg, t);
        {
                static const char *const what[_CONSOLE_EVENT_MAX] = {
                        [CONSOLE_GRUB_LOADING] = "GRUB loads Linux", [CONSOLE_KERNEL] = "the kernel starts",
                        [CONSOLE_USERSPACE] = "systemd starts", [CONSOLE_PROBE_BEGIN] = "the probe runs",
                };
                char buf[200];

                if (type < _CONSOLE_EVENT_MAX && what[type]) {
                        bool with_arg = type == CONSOLE_GRUB_LOADING || type == CONSOLE_KERNEL;

                        snprintf(buf, sizeof(buf), "%s: %s%s%s", firmware_label(run->o->firmware), what[type],
                                 with_arg ? " " : "", with_arg ? arg : "");
                        progress_update(buf);
                }
        }
        switch (type) {
        case CONSOLE_GRUB_LOADING:
                if (r->at[STAGE_GRUB] < 0) {
                        r->at[STAGE_GRUB] = t;
                        r->grub_kernel = strdup(arg);
                }
                break;
        case CONSOLE_KERNEL:
                r->at[STAGE_KERNEL] = t;
                r->kernel = strdup(arg);
                if (!kernel_expected(arg, run->o->expect_kernel))
                        fail_once(run, "booted %s, expected %s", arg, run->o->expect_kernel);
                break;
        case CONSOLE_USERSPACE:
                r->at[STAGE_USERSPACE] = t;
                break;
        case CONSOLE_PANIC:
                fail_once(run, "kernel panic: %s%s", arg, NULL);
                break;
        case CONSOLE_EMERGENCY:
                fail_once(run, "emergency shell: %s%s", arg, NULL);
                break;
        case CONSOLE_GRUB_ERROR:
                /* GRUB may boot on (a module Secure Boot refuses to load):
                 * what it does next decides; the error stays as a warning */
                if (strv_length(r->warnings) < 16)
                        (void) strv_consume(&r->warnings, strprintf("GRUB %s", arg));
                if (!run->grub_error)
                        run->grub_error = strdup(arg);
                break;
        case CONSOLE_GRUB_STUCK:
                /* it waits for a key or at its prompt: the error before is the diagnosis */
                if (run->grub_error)
                        fail_once(run, "GRUB %s%s", run->grub_error, NULL);
                else
                        fail_once(run, "GRUB stopped: %s%s", arg, NULL);
                break;
        case CONSOLE_PROBE_BEGIN:
                r->at[STAGE_PROBE] = t;
                break;
        case CONSOLE_PROBE:
                if (strv_length(r->probe) < MAX_PROBE_LINES)
                        (void) strv_extend(&r->probe, arg);
                break;
        case CONSOLE_PROBE_END:
                r->at[STAGE_DONE] = t;
                r->probe_done = true;
                break;
        default:
                break;
        }
}

/* the last TAIL_MAX printable bytes, escapes dropped */
static void keep_tail(Run *run, const char *buf, size_t n) {
        for (size_t i = 0; i < n; i++) {
                unsigned char c = buf[i];

                if (run->esc == 1) {
                        run->esc = c == '[' ? 2 : 0;
                        continue;
                }
                if (run->esc == 2) {
                        if (c >= 0x40 && c <= 0x7e)
                                run->esc = 0;
                        continue;
                }
                if (c == 0x1b) {
                        run->esc = 1;
                        continue;
                }
                if (c == '\r' || (c < 0x20 && c != '\n' && c != '\t'))
                        continue;
                if (run->tail_len == TAIL_MAX) {
                        memmove(run->tail, run->tail + TAIL_MAX / 2, TAIL_MAX / 2);
                        run->tail_len = TAIL_MAX / 2;
                }
                run->tail[run->tail_len++] = (char) c;
        }
}

static char *tail_lines(const Run *run, unsigned lines) {
        size_t start = run->tail_len;
        unsigned seen = 0;

        while (start > 0 && run->tail[start - 1] == '\n')
                start--;
        while (start > 0 && seen < lines) {
                start--;
                if (run->tail[start] == '\n')
                        seen++;
        }
        if (start < run->tail_len && run->tail[start] == '\n')
                start++;
        return strndup(run->tail + start, run->tail_len - start);
}

static int connect_unix(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int e = -errno;

                close(fd);
                return e;
        }
        return fd;
}

/* Waits up to ms for the child; 1 if it exited. */
static int wait_child(pid_t pid, unsigned ms) {
        for (unsigned i = 0; i <= ms / 50; i++) {
                int status;
                pid_t w = waitpid(pid, &status, WNOHANG);

                if (w == pid || (w < 0 && errno == ECHILD))
                        return 1;
                usleep(50 * 1000);
        }
        return 0;
}

/* QMP quit, then SIGKILL if QEMU does not go. */
static void stop_qemu(pid_t pid, const char *qmp) {
        _cleanup_close_ int fd = -1;

        if (wait_child(pid, 0))
                return;
        fd = connect_unix(qmp);
        if (fd >= 0) {
                static const char cmds[] = "{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"quit\"}\n";
                char buf[4096];
                struct pollfd p = { .fd = fd, .events = POLLIN };

                if (poll(&p, 1, 2000) > 0) /* the greeting */
                        (void) !read(fd, buf, sizeof(buf));
                (void) !write(fd, cmds, sizeof(cmds) - 1);
                if (wait_child(pid, 5000))
                        return;
        }
        log_warning("QEMU did not quit through QMP; killing it");
        kill(pid, SIGKILL);
        (void) wait_child(pid, 5000);
}

static const char *ovmf_file(const char *const *candidates) {
        for (size_t i = 0; candidates[i]; i++)
                if (access(candidates[i], R_OK) == 0)
                        return candidates[i];
        return NULL;
}

static int copy_file(const char *from, const char *to) {
        char buf[65536];
        _cleanup_close_ int in = open(from, O_RDONLY | O_CLOEXEC);
        _cleanup_close_ int out = in >= 0 ? open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
        ssize_t n;

        if (in < 0 || out < 0)
                return -errno;
        while ((n = read(in, buf, sizeof(buf))) > 0)
                if (write(out, buf, n) != n)
                        return -EIO;
        return n < 0 ? -errno : 0;
}

/* OVMF as Debian's ovmf package ships it: the plain build, and the Secure
 * Boot build with a variable store holding Microsoft's keys (which Debian's
 * shim is signed with). */
static const char *const ovmf_codes[_FIRMWARE_MAX][3] = {
        [FIRMWARE_UEFI] = { "/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_CODE.fd", NULL },
        [FIRMWARE_UEFI_SECURE] = { "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd", "/usr/share/OVMF/OVMF_CODE.secboot.fd", NULL },
};
static const char *const ovmf_vars[_FIRMWARE_MAX][3] = {
        [FIRMWARE_UEFI] = { "/usr/share/OVMF/OVMF_VARS_4M.fd", "/usr/share/OVMF/OVMF_VARS.fd", NULL },
        [FIRMWARE_UEFI_SECURE] = { "/usr/share/OVMF/OVMF_VARS_4M.ms.fd", "/usr/share/OVMF/OVMF_VARS.ms.fd", NULL },
};

int vm_boot(const BootOptions *o, BootResult *ret) {
        _cleanup_free_ char *dir = NULL, *serial = NULL, *qmp = NULL, *qemu_log = NULL, *vars_copy = NULL;
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_close_ int con = -1, logfd = -1;
        BootResult res = { .at = { -1, -1, -1, -1, -1 } };
        ConsoleMatcher *m = NULL;
        Run run = { .o = o, .r = &res };
        double deadline, stop_at = 0;
        pid_t pid;
        int r, guard = -1, guard_dir = -1;

        dir = tmpdir_make("boot");
        if (!dir)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -errno, "cannot create a directory for the VM: %m");
        guard_dir = sigguard_add_dir(dir);
        if (guard_dir < 0) {
                r = log_fail(KPIN_EXIT_ENVIRONMENT, guard_dir, "%s: cannot guard the VM's directory: %m", dir);
                goto out;
        }
        serial = strprintf("%s/console.sock", dir);
        qmp = strprintf("%s/qmp.sock", dir);
        qemu_log = strprintf("%s/qemu.log", dir);
        if (!serial || !qmp || !qemu_log) {
                r = -ENOMEM;
                goto out;
        }
        vars_copy = o->firmware != FIRMWARE_BIOS ? strprintf("%s/vars.fd", dir) : NULL;
        QemuConfig qc = {
                .binary = getenv("KPIN_QEMU"), .kvm = o->kvm, .memory_mb = o->memory_mb, .smp = o->smp,
                .disk = o->disk, .firmware = o->firmware, .serial_socket = serial, .qmp_socket = qmp,
                .seed = o->seed, .smbios_strings = o->smbios_strings, .net_switch = o->net_switch, .mac = o->mac,
        };
        if (o->firmware != FIRMWARE_BIOS) {
                const char *vars = o->uefi_vars ? o->uefi_vars : ovmf_file(ovmf_vars[o->firmware]);

                qc.ovmf_code = ovmf_file(ovmf_codes[o->firmware]);
                if (!qc.ovmf_code || !vars) {
                        r = log_fail(KPIN_EXIT_ENVIRONMENT, -ENOENT, "%s needs OVMF (Debian package ovmf): no %s",
                                     firmware_label(o->firmware), qc.ovmf_code ? ovmf_vars[o->firmware][0] : ovmf_codes[o->firmware][0]);
                        goto out;
                }
                /* the VM writes its variables: into a copy, never the store kpin was given */
                if (!vars_copy || (r = copy_file(vars, vars_copy)) < 0) {
                        r = log_fail(KPIN_EXIT_ENVIRONMENT, vars_copy ? r : -ENOMEM, "%s: cannot copy the UEFI variables: %m",
                                     vars);
                        goto out;
                }
                qc.ovmf_vars = vars_copy;
        }
        r = qemu_argv(&qc, &argv);
        if (r < 0) {
                r = log_fail(KPIN_EXIT_ENVIRONMENT, r, "cannot build the QEMU command line for %s", o->disk);
                goto out;
        }
        m = malloc(sizeof(ConsoleMatcher));
        if (!m || console_init(m, o->token, on_event, &run) < 0) {
                r = -ENOMEM;
                goto out;
        }
        if (o->serial_log) {
                logfd = open(o->serial_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (logfd < 0) {
                        r = log_fail(KPIN_EXIT_USAGE, -errno, "%s: %m", o->serial_log);
                        goto out;
                }
        }

        run.t0 = monotonic_s();
        pid = fork();
        if (pid < 0) {
                r = log_fail(KPIN_EXIT_ENVIRONMENT, -errno, "fork: %m");
                goto out;
        }
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR), lf = open(qemu_log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

                /* QEMU dies with kpin, even on kill -9 */
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() == 1)
                        _exit(127);
                if (null >= 0)
                        dup2(null, STDIN_FILENO);
                if (lf >= 0) {
                        dup2(lf, STDOUT_FILENO);
                        dup2(lf, STDERR_FILENO);
                }
                execvp(argv[0], argv);
                _exit(127);
        }
        guard = sigguard_add_child(pid);
        if (guard < 0) {
                kill(pid, SIGKILL);
                (void) wait_child(pid, 5000);
                r = log_fail(KPIN_EXIT_ENVIRONMENT, guard, "cannot guard the VM's QEMU: %m");
                goto out;
        }

        /* QEMU holds the VM until the console socket has its reader */
        for (unsigned i = 0; i < 200 && con < 0; i++) {
                con = connect_unix(serial);
                if (con < 0) {
                        if (wait_child(pid, 0))
                                break;
                        usleep(50 * 1000);
                }
        }
        if (con < 0) {
                _cleanup_free_ char *why = NULL;
                size_t len;
                FILE *f = fopen(qemu_log, "re");

                if (f) {
                        why = calloc(1, 1024);
                        len = why ? fread(why, 1, 1023, f) : 0;
                        fclose(f);
                        if (why)
                                why[strcspn(why, "\n")] = '\0';
                        (void) len;
                }
                stop_qemu(pid, qmp);
                r = log_fail(KPIN_EXIT_ENVIRONMENT, -EIO, "QEMU did not start: %s",
                             why && *why ? why : "its console never appeared");
                goto out;
        }

        deadline = run.t0 + o->timeout_s;
        for (;;) {
                struct pollfd p = { .fd = con, .events = POLLIN };
                double now = monotonic_s();
                char buf[8192];
                ssize_t n;

                if (res.probe_done || (stop_at > 0 && now >= stop_at))
                        break;
                if (now >= deadline) {
                        res.timed_out = true;
                        break;
                }
                if (res.failure && stop_at == 0)
                        stop_at = now + 1.0; /* a second more of context, then stop */
                if (poll(&p, 1, 200) <= 0) {
                        progress_update(NULL);
                        continue;
                }
                n = read(con, buf, sizeof(buf));
                if (n <= 0)
                        break; /* QEMU closed the console: it exited */
                if (logfd >= 0)
                        (void) !write(logfd, buf, n);
                keep_tail(&run, buf, n);
                console_feed(m, buf, n);
        }
        console_finish(m);
        /* the probe powers the VM off itself: give it a moment */
        if (res.probe_done)
                (void) wait_child(pid, 3000);
        stop_qemu(pid, qmp);
        res.seconds = monotonic_s() - run.t0;
        res.tail = tail_lines(&run, 15);
        if (!res.probe_done && !res.failure)
                res.failure = res.timed_out ? strprintf("no verdict within %u s (the probe never reported)", o->timeout_s)
                                            : strdup("the VM stopped before the probe reported");
        *ret = res;
        res = (BootResult) {};
        r = 0;
out:
        sigguard_forget_child(guard);
        free(m);
        free(run.grub_error);
        boot_result_done(&res);
        if (dir)
                (void) sigguard_remove_tree(dir, 2);
        sigguard_forget_dir(guard_dir);
        return r;
}
