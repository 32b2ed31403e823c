/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <guestfs.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/activity.h"
#include "core/kver.h"
#include "core/netconf.h"
#include "core/probe.h"
#include "guest/apt.h"
#include "guest/probe.h"
#include "pipeline-internal.h"
#include "shared/cleanup.h"
#include "shared/clock.h"
#include "shared/log.h"
#include "shared/progress.h"
#include "shared/sigguard.h"
#include "shared/strv.h"
#include "shared/tmpdir.h"

static const char *const step_names[_STEP_MAX] = {
        [STEP_OPEN] = "open", [STEP_FETCH] = "fetch", [STEP_PIN] = "pin", [STEP_DKMS] = "dkms",
        [STEP_VERIFY] = "verify", [STEP_BOOT_TEST] = "boot-test", [STEP_COMMIT] = "commit",
};

const char *step_to_string(StepId s) {
        return s < _STEP_MAX ? step_names[s] : "?";
}

void repair_done(Repair *rp) {
        session_done(&rp->session);
        pkgdir_free(rp->pkgdir);
        guest_state_free(rp->before);
        guest_state_free(rp->after);
        fetch_archives_free(rp->archives);
        fetch_result_done(&rp->fetch);
        pin_result_done(&rp->pin);
        free(rp->settled);
        dkms_result_done(&rp->dkms);
        boot_tests_done(&rp->boot);
        forecast_done(&rp->forecast);
        modsig_done(&rp->site_signer);
        free(rp->sign_key_path);
        free(rp->sign_cert_path);
        for (size_t i = 0; i < _STEP_MAX; i++)
                free(rp->steps[i].error);
        *rp = (Repair) {};
}

const char *repair_failed_step(const Repair *rp) {
        for (StepId s = 0; s < _STEP_MAX; s++)
                if (rp->steps[s].ran && !rp->steps[s].ok)
                        return step_names[s];
        return NULL;
}

const char *repair_target(const Repair *rp) {
        return rp->steps[STEP_COMMIT].ok ? session_target(&rp->session) : NULL;
}

/* KPIN_FAULT_STEP=NAME[+SECONDS]: the reliability tests' crash, a SIGKILL
 * as step NAME begins (or SECONDS into it), so they can prove that no step
 * boundary leaves a damaged original or a half-written result. */
static void fault_inject(const char *step) {
        const char *spec = getenv("KPIN_FAULT_STEP"), *plus;
        size_t n;
        pid_t self = getpid();

        if (!spec)
                return;
        plus = strchr(spec, '+');
        n = plus ? (size_t) (plus - spec) : strlen(spec);
        if (strlen(step) != n || strncmp(spec, step, n) != 0)
                return;
        log_warning("KPIN_FAULT_STEP=%s: killing kpin (pid %d)", spec, (int) self);
        if (!plus) {
                kill(self, SIGKILL);
                return;
        }
        if (fork() == 0) {
                /* a watchdog: the step goes on until it fires; it holds
                 * none of kpin's files, not even a test's output pipe */
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);

                for (int fd = 0; fd < 3; fd++)
                        (void) dup2(null, fd);
                (void) close_range(3, ~0U, 0);
                sleep((unsigned) strtoul(plus + 1, NULL, 10));
                kill(self, SIGKILL);
                _exit(0);
        }
}

static void step_begin(Repair *rp, StepId s) {
        rp->step_t0 = monotonic_s();
        rp->steps[s].ran = true;
        rp->activity = (Activity) {};
        progress_begin(step_names[s]);
        fault_inject(step_names[s]);
}

/* A line of a long guest command: what the step does now. */
static void on_guest_line(void *userdata, const char *line) {
        Repair *rp = userdata;
        char what[200];

        (void) activity_feed(&rp->activity, line);
        progress_update(activity_describe(&rp->activity, what, sizeof(what)));
}

/* Ends step s with r; a failure keeps the run's one-line error. */
static int step_end(Repair *rp, StepId s, int r) {
        Step *st = &rp->steps[s];
        double now = monotonic_s();

        progress_end();
        st->seconds = now - rp->step_t0;
        st->ok = r >= 0;
        if (r < 0) {
                if (log_failure_exit_code() == 0)
                        (void) log_fail(KPIN_EXIT_FAILURE, r, "%s failed: %s", step_names[s], strerror(-r));
                st->error = strdup(log_failure_message() ? log_failure_message() : strerror(-r));
        }
        if (rp->plan->verb == PLAN_REPAIR)
                log_info("[%5.0f s] %-9s %s in %.0f s", now - rp->t0, step_names[s], r >= 0 ? "done" : "FAILED",
                         st->seconds);
        return r;
}

/* A small host file the user named (a key, a certificate). */
static int read_small(const char *path, const char *what, char **ret, size_t *ret_len) {
        _cleanup_free_ char *buf = malloc(64 * 1024 + 1);
        _cleanup_fclose_ FILE *f = NULL;
        size_t n;

        if (!buf)
                return -ENOMEM;
        f = fopen(path, "re");
        if (!f)
                return log_fail(KPIN_EXIT_USAGE, -errno, "%s: cannot read the %s: %m", path, what);
        n = fread(buf, 1, 64 * 1024 + 1, f);
        if (ferror(f) || n == 0 || n > 64 * 1024)
                return log_fail(KPIN_EXIT_USAGE, -EINVAL, "%s: not a %s (empty, unreadable or larger than 64 KiB)", path,
                                what);
        buf[n] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_len = n;
        return 0;
}

/* --sign-key/--sign-cert: the modules are signed with the site's key,
 * which DKMS (and the kernel's own hook) find through the environment, in
 * a tmpfs of the appliance: the private key never reaches the image. */
static int signing_begin(Repair *rp) {
        const Plan *pl = rp->plan;
        _cleanup_free_ char *key = NULL, *cert = NULL, *key_path = NULL, *cert_path = NULL, *ke = NULL, *ce = NULL;
        _cleanup_free_ unsigned char *der = NULL;
        size_t key_len = 0, cert_len, der_len;
        int r;

        r = read_small(pl->sign_cert, "certificate", &cert, &cert_len);
        if (r < 0)
                return r;
        r = pem_to_der(cert, cert_len, &der, &der_len);
        if (r == -ENOMEM)
                return r;
        r = r < 0 ? x509_signer(cert, cert_len, &rp->site_signer) : x509_signer(der, der_len, &rp->site_signer);
        if (r < 0)
                return log_fail(KPIN_EXIT_USAGE, r, "%s: not an X.509 certificate (PEM or DER)", pl->sign_cert);
        r = read_small(pl->sign_key, "private key", &key, &key_len);
        if (r < 0)
                return r;
        if (!strstr(key, "PRIVATE KEY-----")) {
                explicit_bzero(key, key_len);
                return log_fail(KPIN_EXIT_USAGE, -EINVAL, "%s: not a PEM private key", pl->sign_key);
        }
        r = guest_secret(rp->session.gu, "module-signing.key", key, key_len, &key_path);
        explicit_bzero(key, key_len);
        if (r < 0)
                return r;
        r = guest_secret(rp->session.gu, "module-signing.crt", cert, cert_len, &cert_path);
        if (r < 0)
                return r;
        ke = strprintf("mok_signing_key=%s", key_path);
        ce = strprintf("mok_certificate=%s", cert_path);
        rp->sign_key_path = strdup(key_path);
        rp->sign_cert_path = strdup(cert_path);
        if (!rp->sign_key_path || !rp->sign_cert_path)
                return -ENOMEM;
        if (!ke || !ce)
                return -ENOMEM;
        log_info("modules are signed with %s's key '%s'", pl->sign_cert, rp->site_signer.signer);
        return guest_set_env(rp->session.gu, (char *[]) { ke, ce, NULL });
}

/* What the plan says of a fetch; the guest's part is added once it is open. */
static FetchRequest fetch_request(const Plan *pl) {
        return (FetchRequest) {
                .image = pl->image,
                .kernel = pl->kernel,
                .from = pl->fetch_from,
                .mirror = pl->mirror,
                .allow_unsigned = pl->allow_unsigned,
                .dest = pl->packages,
        };
}

/* The image is checked before anything is probed or started. */
int repair_open(Repair *rp, const RunOptions *o) {
        const Plan *pl = rp->plan;
        SessionOptions so = {
                .mode = pl->write ? SESSION_WRITE
                        : pl->verb == PLAN_INSPECT || pl->verb == PLAN_FETCH ? SESSION_READONLY : SESSION_SCRATCH,
                .out = pl->output,
                .in_place = pl->in_place,
                .force = pl->force,
                .verbosity = o->verbosity,
                .network = pl->network,
                .allow_backing = o->allow_backing,
        };
        int r;

        /* before the appliance: a wrong -d costs nothing */
        if (pl->verb == PLAN_FETCH && (r = fetch_check_dest(pl->packages)) < 0)
                return r;
        r = session_open(pl->image, &so, &rp->session);
        if (r < 0)
                return r;
        /* the image checked, but still before the appliance: an unreachable
         * mirror or a wrong key costs a second. (repair fetches only if the
         * image turns out to lack the kernel, so it reads them only then.) */
        if (pl->verb == PLAN_FETCH) {
                FetchRequest req = fetch_request(pl);

                r = fetch_archives_check(&req, &rp->archives);
                if (r < 0)
                        return r;
        }
        r = accel_resolve(o->accel, &rp->kvm);
        if (r < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, r, "probing KVM failed: %m");
        r = session_launch(&rp->session, &so, rp->kvm);
        if (r < 0)
                return r;
        guest_on_line(rp->session.gu, on_guest_line, rp);
        if (pl->sign_key && (r = signing_begin(rp)) < 0)
                return r;
        r = guest_inspect(rp->session.gu, &rp->before);
        if (r < 0)
                return log_fail(KPIN_EXIT_FAILURE, r, "%s: inspection failed: %m", pl->image);
        return 0;
}

/* repair: does the package directory hold the kernel, and all it needs
 * beyond what the image has? */
static bool fetch_needed(Repair *rp, const char *flavour) {
        _cleanup_strv_free_ char **targets = NULL, **install = NULL, **missing = NULL;
        _cleanup_free_ DebPkg *installed = NULL;
        const char *best = NULL, *rel;
        size_t n = 0;

        /* rolling forward: the sources are asked for the series' newest ABI
         * even when the image has one */
        if (rp->plan->roll && !kver_is_full_release(rp->plan->kernel))
                return true;
        /* the image has such a kernel already: the pin needs no package */
        for (size_t i = 0; i < rp->before->n_kernels; i++) {
                _cleanup_free_ char *pkg = strprintf("linux-image-%s", rp->before->kernels[i].release);

                if (pkg && rp->before->kernels[i].headers && kver_image_package(pkg, flavour, rp->plan->kernel, &rel))
                        return false;
        }
        if (!rp->pkgdir)
                return true;
        for (size_t i = 0; i < rp->pkgdir->n_pkgs; i++)
                if (kver_image_package(rp->pkgdir->pkgs[i].name, flavour, rp->plan->kernel, &rel) &&
                    (!best || kver_compare(rel, best) > 0))
                        best = rel;
        if (!best)
                return true;
        if (strv_consume(&targets, strprintf("linux-image-%s", best)) < 0 ||
            strv_consume(&targets, strprintf("linux-headers-%s", best)) < 0 ||
            dpkg_status_debpkgs(rp->before->dpkg, &installed, &n) < 0 ||
            deb_closure(installed, n, rp->pkgdir->pkgs, rp->pkgdir->n_pkgs, targets, &install, &missing) < 0)
                return true;
        return missing != NULL;
}

static const char *dpkg_arch(const GuestState *st) {
        const DpkgPackage *p = dpkg_status_find(st->dpkg, "dpkg");

        return p && p->arch ? p->arch : "amd64";
}

/* The packages the pin installs, fetched with the host's apt from where
 * the plan says, resolved against the guest's packages and its own
 * sources (for what the kernel needs from the image's suite). */
int repair_fetch(Repair *rp) {
        const Plan *pl = rp->plan;
        Guest *gu = rp->session.gu;
        _cleanup_free_ char *flavour = NULL, *status = NULL, *keydir = NULL;
        _cleanup_(apt_sources_done) AptSources sources = {};
        size_t len;
        int r, guard;

        if (pin_flavour(rp->before, pl->flavour, pl->kernel, &flavour) < 0 && pl->flavour)
                return -ENOMEM;
        if (pl->verb == PLAN_REPAIR && !fetch_needed(rp, flavour)) {
                log_info("%s: nothing to fetch, the image or %s has Linux %s", pl->image, pl->packages, pl->kernel);
                return 0;
        }
        r = guest_read_file(gu, "/var/lib/dpkg/status", 64u << 20, &status, &len);
        if (r < 0)
                return log_fail(KPIN_EXIT_UNSUPPORTED, r, "%s: cannot read /var/lib/dpkg/status in the guest: %s", pl->image,
                                r == -EIO ? guest_last_error(gu) : strerror(-r));
        keydir = tmpdir_make("keys");
        if (!keydir)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -errno, "cannot create a directory for keyrings: %m");
        guard = sigguard_add_dir(keydir);
        r = guard < 0 ? log_fail(KPIN_EXIT_ENVIRONMENT, guard, "%s: cannot guard the keyrings' directory: %m", keydir)
                      : apt_guest_sources(gu, keydir, &sources);
        if (r >= 0) {
                FetchRequest req = fetch_request(pl);

                req.flavour = flavour;
                req.status = status;
                req.status_len = len;
                req.guest_sources = &sources;
                req.arch = dpkg_arch(rp->before);
                req.installed_ok = pl->verb != PLAN_FETCH;
                r = fetch_kernel(&req, rp->archives, &rp->fetch);
                /* it took over what fetch_archives_check read: the shell goes now */
                rp->archives = fetch_archives_free(rp->archives);
        }
        (void) sigguard_remove_tree(keydir, 2);
        sigguard_forget_dir(guard);
        if (r == -EALREADY) {
                /* rolling forward, on most nights: the newest is the image's */
                log_info("%s: the sources offer nothing newer than %s, which it has", pl->image, rp->fetch.release);
                return 0;
        }
        if (r < 0)
                return r;
        rp->fetch_ran = true;
        rp->pkgdir = pkgdir_free(rp->pkgdir);
        if (pl->pin)
                return pkgdir_load(pl->packages, &rp->pkgdir);
        return 0;
}

static PinRequest pin_request(const Repair *rp) {
        const Plan *pl = rp->plan;

        return (PinRequest) {
                .kernel = pl->kernel,
                .flavour = pl->flavour,
                .packages = rp->pkgdir,
                .purge_old = pl->purge_old,
                .network = pl->network,
                .no_hold = !pl->hold,
                .no_roll = !pl->roll,
                .keep_kernels = pl->keep_kernels,
        };
}

/* repair, on most nights: the image already boots the newest kernel the
 * sources offer, held, with the modules built for it, and nothing to
 * purge. Decided from the inspection and the package directory: no
 * install, no boot, no commit. (A module source to install, --network or
 * a build option file cannot be judged so cheaply: those runs go on.) */
static bool repair_is_settled(Repair *rp) {
        const Plan *pl = rp->plan;
        PinRequest req = pin_request(rp);
        _cleanup_free_ char *release = NULL;

        if (pl->verb != PLAN_REPAIR || pl->source || pl->build_configs || !pin_settled(rp->before, &req, &release))
                return false;
        STRV_FOREACH(m, pl->modules) {
                const char *slash = strchr(*m, '/');
                size_t n = slash ? (size_t) (slash - *m) : strlen(*m);
                bool built = false;

                for (size_t i = 0; i < rp->before->n_dkms && !built; i++) {
                        const DkmsModule *d = &rp->before->dkms[i];

                        if (strlen(d->name) != n || strncmp(d->name, *m, n) != 0 ||
                            (slash && strcmp(d->version, slash + 1) != 0))
                                continue;
                        for (size_t j = 0; j < d->n_kernels; j++)
                                built = built || (strcmp(d->kernels[j].kernel, release) == 0 &&
                                                  d->kernels[j].state == DKMS_INSTALLED &&
                                                  /* with --sign-key, signed by the site's key */
                                                  dkms_signed_by(&d->kernels[j].signature,
                                                                 pl->sign_key ? &rp->site_signer : NULL));
                }
                if (!built)
                        return false;
        }
        rp->settled = TAKE_PTR(release);
        return true;
}

static int pin_step(Repair *rp) {
        const Plan *pl = rp->plan;
        Guest *gu = rp->session.gu;
        PinRequest req;
        bool hold_dkms = false;
        int r;

        /* with a build cache, DKMS builds wait for the dkms step, which can
         * take them from the cache: the kernel's own hook builds nothing */
        if (pl->build_cache && pl->dkms && !guest_exists(gu, DKMS_NO_AUTOINSTALL)) {
                if (guest_write_file(gu, DKMS_NO_AUTOINSTALL, "", 0) < 0)
                        return log_fail(KPIN_EXIT_FAILURE, -EIO, "%s: %s: %s", pl->image, DKMS_NO_AUTOINSTALL,
                                        guest_last_error(gu));
                hold_dkms = true;
        }

        req = pin_request(rp);
        r = pin_kernel(rp->session.gu, rp->before, &req, &rp->pin);
        if (hold_dkms && guest_remove_file(gu, DKMS_NO_AUTOINSTALL) < 0 && r >= 0)
                return log_fail(KPIN_EXIT_FAILURE, -EIO, "%s: %s: %s", pl->image, DKMS_NO_AUTOINSTALL, guest_last_error(gu));
        if (r < 0)
                return r;
        rp->pin_ran = true;
        rp->changed = rp->changed || rp->pin.changed;
        return 0;
}

static int dkms_step_run(Repair *rp) {
        const Plan *pl = rp->plan;
        int r;

        /* for the kernel just pinned (dkms finds it in the guest), else
         * what --kernel or GRUB says */
        r = dkms_step(rp->session.gu, rp->before,
                      &(DkmsRequest) {
                              .modules = pl->modules,
                              .kernel = rp->pin_ran ? rp->pin.release : pl->dkms_kernel,
                              .source = pl->source,
                              .build_configs = pl->build_configs,
                              .signer = pl->sign_key ? &rp->site_signer : NULL,
                              .sign_key = rp->sign_key_path,
                              .sign_cert = rp->sign_cert_path,
                              .build_cache = pl->build_cache,
                              .autoinstall_all = pl->build_cache && rp->pin_ran && rp->pin.installed,
                      },
                      &rp->dkms);
        if (r < 0)
                return r;
        rp->dkms_ran = true;
        rp->changed = rp->changed || rp->dkms.changed;
        return 0;
}

static const DkmsKernel *dkms_for(const GuestState *st, const char *name, const char *version, const char *kver) {
        for (size_t i = 0; i < st->n_dkms; i++)
                if (strcmp(st->dkms[i].name, name) == 0 && strcmp(st->dkms[i].version, version) == 0)
                        for (size_t j = 0; j < st->dkms[i].n_kernels; j++)
                                if (strcmp(st->dkms[i].kernels[j].kernel, kver) == 0)
                                        return &st->dkms[i].kernels[j];
        return NULL;
}

/* The guest as the run left it, read back as inspect reads it: GRUB's
 * default resolves to the pinned kernel, every module is installed for its
 * kernel, dpkg is consistent, the kernel is held. */
static int verify_step(Repair *rp) {
        const char *image = rp->plan->image;
        const GuestState *a;
        int r;

        r = guest_secrets_done(rp->session.gu);
        if (r < 0)
                return r;
        r = guest_inspect(rp->session.gu, &rp->after);
        if (r < 0)
                return log_fail(KPIN_EXIT_FAILURE, r, "%s: inspection failed: %m", image);
        a = rp->after;
        if (rp->pin_ran && (!a->grub_kernel || strcmp(a->grub_kernel, rp->pin.release) != 0))
                return log_fail(KPIN_EXIT_GRUB, -EBADMSG, "%s: after the repair GRUB boots %s, not %s%s%s", image,
                                a->grub_kernel ? a->grub_kernel : "no known kernel", rp->pin.release,
                                a->grub_problem ? ": " : "", a->grub_problem ? a->grub_problem : "");
        /* every boot path the image had still leads to that grub.cfg */
        for (Firmware f = FIRMWARE_BIOS; f <= FIRMWARE_UEFI; f++)
                if ((rp->before->boot.firmwares & (1u << f)) && !(a->boot.firmwares & (1u << f)))
                        return log_fail(KPIN_EXIT_GRUB, -EBADMSG, "%s: the image could boot with %s before the repair, "
                                        "and no longer can", image, firmware_label(f));
        if ((a->boot.firmwares & (1u << FIRMWARE_UEFI)) && a->boot.esp_grub_uuid && a->boot.boot_uuid &&
            strcasecmp(a->boot.esp_grub_uuid, a->boot.boot_uuid) != 0)
                return log_fail(KPIN_EXIT_GRUB, -EBADMSG, "%s: the ESP's grub.cfg looks for filesystem %s, but /boot/grub "
                                "is on %s: UEFI boots would not find the new grub.cfg", image, a->boot.esp_grub_uuid,
                                a->boot.boot_uuid);
        if (a->broken_packages)
                return log_fail(KPIN_EXIT_PACKAGES, -EBADMSG, "%s: dpkg left %s unconfigured after the repair", image,
                                a->broken_packages[0]);
        for (size_t i = 0; rp->dkms_ran && i < rp->dkms.n_modules; i++) {
                const DkmsBuilt *b = &rp->dkms.modules[i];
                const DkmsKernel *dk = dkms_for(a, b->name, b->version, rp->dkms.kernel);

                if (!dk || dk->state != DKMS_INSTALLED)
                        return log_fail(KPIN_EXIT_DKMS, -EBADMSG, "%s: dkms status does not list %s/%s as installed for %s",
                                        image, b->name, b->version, rp->dkms.kernel);
        }
        if (rp->pin_ran && rp->plan->hold) {
                _cleanup_free_ char *pkg = strprintf("linux-image-%s", rp->pin.release);
                bool held = false;

                if (!pkg)
                        return -ENOMEM;
                for (size_t i = 0; i < a->n_holds; i++)
                        held = held || strcmp(a->holds[i].name, pkg) == 0;
                if (!held)
                        return log_fail(KPIN_EXIT_PACKAGES, -EBADMSG, "%s: %s is not held after the repair", image, pkg);
        }
        return 0;
}

/* The probe reaches the VM without touching what is committed: as SMBIOS
 * credentials where the guest's systemd takes them, else written into the
 * overlay from this same appliance, after a clean copy of the overlay is
 * kept for the commit. */
int repair_boot_test(Repair *rp) {
        const Plan *pl = rp->plan;
        const GuestState *st = rp->after ? rp->after : rp->before;
        char token[BOOT_TEST_TOKEN_LEN + 1], mac[18];
        bool in_disk = st->systemd_major < PROBE_SYSTEMD_CREDENTIALS;
        bool cloud_init = dpkg_installed(dpkg_status_find(st->dpkg, "cloud-init"));
        _cleanup_free_ char *networkd = NULL;
        int r;

        r = boot_test_token(token);
        if (r >= 0)
                r = boot_test_mac(mac);
        if (r < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, r, "cannot draw a random token: %m");
        /* the NIC's address in the form the image takes it: cloud-init's from
         * the seed, else systemd-networkd's file (a credential or the overlay) */
        if (!cloud_init && (r = netconf_networkd(mac, NETCONF_BOOT_ADDRESS, &networkd)) < 0)
                return r;
        if (in_disk) {
                log_debug("the guest's systemd %u takes no credentials: writing the probe into the overlay",
                          st->systemd_major);
                if (pl->write) {
                        if (guestfs_sync(rp->session.gu->g) < 0)
                                return log_fail(KPIN_EXIT_ENVIRONMENT, -EIO, "%s: %s", pl->image,
                                                guest_last_error(rp->session.gu));
                        r = txn_keep_clean(rp->session.txn);
                        if (r < 0)
                                return r;
                }
                r = probe_inject(rp->session.gu, token, pl->expect_modules, networkd);
                if (r < 0)
                        return r;
        }
        r = session_close(&rp->session);
        if (r < 0)
                return r;
        r = boot_tests_run(&(BootTarget) {
                                   .name = pl->image,
                                   .disk = session_disk(&rp->session),
                                   .format = IMAGE_FORMAT_QCOW2,
                                   .token = token,
                                   .probe_in_disk = in_disk,
                                   .grub_kernel = rp->pin_ran ? rp->pin.release : st->grub_kernel,
                                   .firmwares = st->boot.firmwares,
                                   .cloud_init = cloud_init,
                                   .mac = mac,
                                   .networkd = in_disk ? NULL : networkd,
                                   .net_form = cloud_init ? "cloud-init seed" : in_disk ? "overlay file" : "systemd credential",
                           },
                           pl, rp->kvm, &rp->boot);
        if (r < 0)
                return r;
        rp->boot_ran = true;
        if (rp->boot.n_failed) {
                _cleanup_free_ char *why = boot_tests_first_failure(&rp->boot);

                return log_fail(KPIN_EXIT_BOOT, -EPROTO, "%s: boot test failed: %s", pl->image, why ? why : "?");
        }
        return 0;
}

static int commit_step(Repair *rp) {
        int r;

        r = session_close(&rp->session);
        if (r < 0)
                return r;
        return session_commit(&rp->session, rp->changed);
}

/* A roll forward that failed after the pin: nothing was committed, and the
 * one-line error says where the image stays and which kernel failed. */
static void held_back(Repair *rp, int r) {
        _cleanup_free_ char *why = log_failure_message() ? strdup(log_failure_message()) : NULL;
        const char *image = rp->plan->image, *w = why;
        int code = log_failure_exit_code();

        if (!why)
                return;
        if (startswith(w, image) && startswith(w + strlen(image), ": "))
                w += strlen(image) + 2;
        log_reset_failure();
        (void) log_fail(code, r, "%s: held back at %s: %s failed for %s: %s", image, rp->pin.roll.from,
                        repair_failed_step(rp) ?: step_to_string(STEP_COMMIT), rp->pin.release, w);
        for (StepId s = 0; s < _STEP_MAX; s++)
                if (rp->steps[s].ran && !rp->steps[s].ok && rp->steps[s].error) {
                        free(rp->steps[s].error);
                        rp->steps[s].error = strdup(log_failure_message());
                }
}

int repair_run(Repair *rp, const Plan *pl, const RunOptions *o) {
        static int (*const run[_STEP_MAX])(Repair *rp) = {
                [STEP_FETCH] = repair_fetch, [STEP_PIN] = pin_step, [STEP_DKMS] = dkms_step_run, [STEP_VERIFY] = verify_step,
                [STEP_BOOT_TEST] = repair_boot_test, [STEP_COMMIT] = commit_step,
        };
        int r;

        *rp = (Repair) { .plan = pl, .t0 = monotonic_s() };
        rp->steps[STEP_OPEN].planned = true;
        rp->steps[STEP_FETCH].planned = pl->fetch;
        rp->steps[STEP_PIN].planned = pl->pin;
        rp->steps[STEP_DKMS].planned = pl->dkms;
        rp->steps[STEP_VERIFY].planned = pl->verify;
        rp->steps[STEP_BOOT_TEST].planned = pl->boot_test;
        rp->steps[STEP_COMMIT].planned = pl->write;
        /* a directory to fetch into may not be there yet; fetch looks at it */
        if (pl->packages && !(pl->fetch && (pl->verb == PLAN_FETCH || access(pl->packages, F_OK) < 0)) &&
            (r = pkgdir_load(pl->packages, &rp->pkgdir)) < 0)
                return r;

        step_begin(rp, STEP_OPEN);
        r = step_end(rp, STEP_OPEN, repair_open(rp, o));
        for (StepId s = STEP_OPEN; r >= 0 && s < _STEP_MAX; s++) {
                if (s > STEP_OPEN && rp->steps[s].planned) {
                        step_begin(rp, s);
                        r = step_end(rp, s, run[s](rp));
                }
                /* what the image is and what it is offered are known now */
                if (r >= 0 && s == (pl->fetch ? STEP_FETCH : STEP_OPEN) && repair_is_settled(rp))
                        for (StepId t = STEP_PIN; t < STEP_COMMIT; t++)
                                rp->steps[t].planned = false;
        }
        if (r >= 0 && rp->session.gu)
                r = session_close(&rp->session); /* inspect: a read-only appliance */
        if (r < 0 && rp->pin_ran && rp->pin.roll.from)
                held_back(rp, r);
        /* can the pin be lifted? asked of what the run leaves, never
         * changing it; a forecast that cannot run is a warning */
        if (r >= 0 && pl->forecast)
                (void) repair_forecast(pl, o, repair_target(rp) ?: pl->image, &rp->forecast);
        return r;
}

int repair_matrix(const Plan *pl, const RunOptions *o, DkmsCell **ret, size_t *ret_n) {
        _cleanup_(repair_done) Repair rp = { .plan = pl };
        int r;

        if (pl->packages && (r = pkgdir_load(pl->packages, &rp.pkgdir)) < 0)
                return r;
        r = repair_open(&rp, o);
        if (r < 0)
                return r;
        r = dkms_matrix(rp.session.gu, rp.before, pl->modules ? pl->modules[0] : NULL, rp.pkgdir, pl->build_cache, ret,
                        ret_n);
        if (r < 0)
                return r;
        return session_close(&rp.session);
}
