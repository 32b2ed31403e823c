/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "boot.h"
#include "core/clusterscript.h"
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

                        snprintf(buf, sizeof(buf), "%s: %s%s%s",
                                 run->o->label ? run->o->label : firmware_label(run->o->firmware), what[type],
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

/* QMP quit, then SIGKILL if QEMU does not go. */
static void stop_qemu(pid_t pid, const char *qmp) {
        _cleanup_close_ int fd = -1;

        if (spawn_wait(pid, 0))
                return;
        fd = connect_unix(qmp);
        if (fd >= 0) {
                static const char cmds[] = "{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"quit\"}\n";
                char buf[4096];
                struct pollfd p = { .fd = fd, .events = POLLIN };

                if (poll(&p, 1, 2000) > 0) /* the greeting */
                        (void) !read(fd, buf, sizeof(buf));
                (void) !write(fd, cmds, sizeof(cmds) - 1);
                if (spawn_wait(pid, 5000))
                        return;
        }
        log_warning("QEMU did not quit through QMP; killing it");
        kill(pid, SIGKILL);
        (void) spawn_wait(pid, 5000);
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

/* One VM: its run directory (sockets, QEMU's log, the UEFI variables'
 * copy), its QEMU, its console and what the console said so far. */
struct VmInstance {
        BootOptions o;
        char *dir, *serial, *qmp, *qemu_log, *vars_copy;
        int guard, guard_dir;
        pid_t pid;
        int con, logfd;
        ConsoleMatcher *m;
        Run run;
        BootResult res;
        double deadline, stop_at;
        bool finished, released;
};

void vm_release(VmInstance *vm) {
        vm->released = true;
}

bool vm_finished(const VmInstance *vm) {
        return vm->finished;
}

const BootResult *vm_result(const VmInstance *vm) {
        return &vm->res;
}

VmInstance *vm_free(VmInstance *vm) {
        if (!vm)
                return NULL;
        if (vm->pid > 0)
                stop_qemu(vm->pid, vm->qmp);
        sigguard_forget_child(vm->guard);
        free(vm->m);
        free(vm->run.grub_error);
        boot_result_done(&vm->res);
        if (vm->con >= 0)
                close(vm->con);
        if (vm->logfd >= 0)
                close(vm->logfd);
        if (vm->dir)
                (void) sigguard_remove_tree(vm->dir, 2);
        sigguard_forget_dir(vm->guard_dir);
        free(vm->dir);
        free(vm->serial);
        free(vm->qmp);
        free(vm->qemu_log);
        free(vm->vars_copy);
        free(vm);
        return NULL;
}

/* The run directory, its paths, and the QEMU command line. */
static int vm_prepare(VmInstance *vm, char ***ret_argv) {
        const BootOptions *o = &vm->o;
        int r;

        vm->dir = tmpdir_make("boot");
        if (!vm->dir)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -errno, "cannot create a directory for the VM: %m");
        vm->guard_dir = sigguard_add_dir(vm->dir);
        if (vm->guard_dir < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, vm->guard_dir, "%s: cannot guard the VM's directory: %m", vm->dir);
        vm->serial = strprintf("%s/console.sock", vm->dir);
        vm->qmp = strprintf("%s/qmp.sock", vm->dir);
        vm->qemu_log = strprintf("%s/qemu.log", vm->dir);
        vm->vars_copy = o->firmware != FIRMWARE_BIOS ? strprintf("%s/vars.fd", vm->dir) : NULL;
        if (!vm->serial || !vm->qmp || !vm->qemu_log || (o->firmware != FIRMWARE_BIOS && !vm->vars_copy))
                return -ENOMEM;
        QemuConfig qc = {
                .binary = getenv("KPIN_QEMU"), .kvm = o->kvm, .memory_mb = o->memory_mb, .smp = o->smp,
                .disk = o->disk, .firmware = o->firmware, .serial_socket = vm->serial, .qmp_socket = vm->qmp,
                .seed = o->seed, .smbios_strings = o->smbios_strings, .net_switch = o->net_switch, .mac = o->mac,
                .results_file = o->results_file, .results_port = CLUSTER_PORT_NAME,
        };
        if (o->firmware != FIRMWARE_BIOS) {
                const char *vars = o->uefi_vars ? o->uefi_vars : ovmf_file(ovmf_vars[o->firmware]);

                qc.ovmf_code = ovmf_file(ovmf_codes[o->firmware]);
                if (!qc.ovmf_code || !vars)
                        return log_fail(KPIN_EXIT_ENVIRONMENT, -ENOENT, "%s needs OVMF (Debian package ovmf): no %s",
                                        firmware_label(o->firmware),
                                        qc.ovmf_code ? ovmf_vars[o->firmware][0] : ovmf_codes[o->firmware][0]);
                /* the VM writes its variables: into a copy, never the store kpin was given */
                r = copy_file(vars, vm->vars_copy);
                if (r < 0)
                        return log_fail(KPIN_EXIT_ENVIRONMENT, r, "%s: cannot copy the UEFI variables: %m", vars);
                qc.ovmf_vars = vm->vars_copy;
        }
        r = qemu_argv(&qc, ret_argv);
        if (r < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, r, "cannot build the QEMU command line for %s", o->disk);
        vm->m = malloc(sizeof(ConsoleMatcher));
        if (!vm->m || console_init(vm->m, o->token, on_event, &vm->run) < 0)
                return -ENOMEM;
        if (o->serial_log) {
                vm->logfd = open(o->serial_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (vm->logfd < 0)
                        return log_fail(KPIN_EXIT_USAGE, -errno, "%s: %m", o->serial_log);
        }
        return 0;
}

int vm_start(const BootOptions *o, VmInstance **ret) {
        _cleanup_(vm_freep) VmInstance *vm = calloc(1, sizeof(VmInstance));
        _cleanup_strv_free_ char **argv = NULL;
        int r;

        if (!vm)
                return -ENOMEM;
        vm->o = *o;
        vm->guard = vm->guard_dir = -1;
        vm->con = vm->logfd = -1;
        vm->res = (BootResult) { .at = { -1, -1, -1, -1, -1 } };
        vm->run = (Run) { .o = &vm->o, .r = &vm->res };
        r = vm_prepare(vm, &argv);
        if (r < 0)
                return r;
        vm->run.t0 = monotonic_s();
        vm->deadline = vm->run.t0 + o->timeout_s;
        vm->pid = fork();
        if (vm->pid < 0) {
                vm->pid = 0;
                return log_fail(KPIN_EXIT_ENVIRONMENT, -errno, "fork: %m");
        }
        if (vm->pid == 0)
                spawn_exec_child(argv, -1, vm->qemu_log, SIGKILL); /* QEMU dies with kpin */
        vm->guard = sigguard_add_child(vm->pid);
        if (vm->guard < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, vm->guard, "cannot guard the VM's QEMU: %m");
        /* QEMU holds the VM until the console socket has its reader */
        for (unsigned i = 0; i < 400 && vm->con < 0; i++) { /* 20 s */
                vm->con = connect_unix(vm->serial);
                if (vm->con < 0) {
                        if (spawn_wait(vm->pid, 0))
                                break;
                        usleep(50 * 1000);
                }
        }
        if (vm->con < 0) {
                _cleanup_free_ char *why = spawn_log_first_line(vm->qemu_log);

                return log_fail(KPIN_EXIT_ENVIRONMENT, -EIO, "QEMU did not start: %s",
                                why ? why : "its console never appeared");
        }
        *ret = TAKE_PTR(vm);
        return 0;
}

/* Whether the VM's verdict is known, deciding the timeout and the second
 * of context after a failure. */
static bool vm_done(VmInstance *vm, double now) {
        if (vm->finished || vm->res.probe_done || (vm->stop_at > 0 && now >= vm->stop_at))
                return true;
        if (now >= vm->deadline) {
                vm->res.timed_out = true;
                return true;
        }
        if (vm->res.failure && vm->stop_at == 0)
                vm->stop_at = now + 1.0; /* a second more of context, then stop */
        return false;
}

/* What the VM's console has now: <0 only when it closed (QEMU exited). */
static int vm_read(VmInstance *vm) {
        char buf[8192];
        ssize_t n = read(vm->con, buf, sizeof(buf));

        if (n <= 0)
                return -EPIPE;
        if (vm->logfd >= 0)
                (void) !write(vm->logfd, buf, n);
        keep_tail(&vm->run, buf, n);
        console_feed(vm->m, buf, n);
        return 0;
}

int vm_poll(VmInstance *const *vms, size_t n, unsigned timeout_ms) {
        struct pollfd p[n ? n : 1];
        size_t idx[n ? n : 1], k = 0, running = 0;
        double now = monotonic_s();

        for (size_t i = 0; i < n; i++) {
                if (vms[i]->finished)
                        continue;
                if (vm_done(vms[i], now)) {
                        vms[i]->finished = true;
                        continue;
                }
                p[k] = (struct pollfd) { .fd = vms[i]->con, .events = POLLIN };
                idx[k++] = i;
        }
        if (k == 0)
                return 0;
        if (poll(p, k, (int) timeout_ms) <= 0) {
                progress_update(NULL);
                return (int) k;
        }
        for (size_t j = 0; j < k; j++)
                if (p[j].revents && vm_read(vms[idx[j]]) < 0)
                        vms[idx[j]]->finished = true; /* QEMU closed the console: it exited */
        for (size_t i = 0; i < n; i++)
                running += !vms[i]->finished;
        return (int) running;
}

int vm_finish(VmInstance *vm, BootResult *ret) {
        console_finish(vm->m);
        /* the probe powers the VM off itself: give it a moment */
        if (vm->res.probe_done)
                (void) spawn_wait(vm->pid, 3000);
        stop_qemu(vm->pid, vm->qmp);
        vm->pid = 0;
        vm->res.seconds = monotonic_s() - vm->run.t0;
        vm->res.tail = tail_lines(&vm->run, 15);
        if (!vm->res.probe_done && !vm->res.failure && !vm->released)
                vm->res.failure = vm->res.timed_out
                                          ? strprintf("no verdict within %u s (the probe never reported)", vm->o.timeout_s)
                                          : strdup("the VM stopped before the probe reported");
        *ret = vm->res;
        vm->res = (BootResult) {};
        return 0;
}

int vm_boot(const BootOptions *o, BootResult *ret) {
        _cleanup_(vm_freep) VmInstance *vm = NULL;
        int r;

        r = vm_start(o, &vm);
        if (r < 0)
                return r;
        while (vm_poll(&vm, 1, 200) > 0)
                ;
        return vm_finish(vm, ret);
}
