/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "apt.h"
#include "core/aptpin.h"
#include "core/grubcfg.h"
#include "core/kver.h"
#include "core/shellvars.h"
#include "pin.h"
#include "shared/cleanup.h"
#include "shared/log.h"
#include "shared/strv.h"

#define DEFAULT_GRUB "/etc/default/grub"

void pin_result_done(PinResult *r) {
        free(r->release);
        free(r->series);
        strv_free(r->installed);
        strv_free(r->held);
        strv_free(r->purged);
        free(r->grub_before);
        free(r->grub_after);
        free(r->boot_before);
        free(r->boot_after);
        *r = (PinResult) {};
}

/* The flavour of the kernel the image boots now (or its newest kernel). */
static char *current_flavour(const GuestState *s) {
        const char *rel = s->grub_kernel ? s->grub_kernel : s->n_kernels ? s->kernels[0].release : NULL;
        KernelRelease k = { .abi = -1 };
        char *f = NULL;

        if (rel && kver_parse(rel, &k) >= 0 && k.flavour)
                f = strdup(k.flavour);
        kver_done(&k);
        return f;
}

int pin_flavour(const GuestState *st, const char *flavour, const char *kernel, char **ret) {
        char *f = NULL;

        /* a whole release (a site's 6.1.119-site) is its own flavour */
        if (flavour)
                f = strdup(flavour);
        else if (kver_is_full_release(kernel)) {
                KernelRelease want = { .abi = -1 };

                if (kver_parse(kernel, &want) >= 0)
                        f = TAKE_PTR(want.flavour);
                kver_done(&want);
        } else
                f = current_flavour(st);
        if (!f)
                return -ENOENT;
        *ret = f;
        return 0;
}

static int resolve_release(Guest *gu, const GuestState *before, const PinRequest *req, const char *flavour,
                           char **ret) {
        _cleanup_strv_free_ char **remote = NULL;
        const char *best = NULL, *rel;
        int r;

        if (req->network) {
                r = apt_network_names(gu, "linux-image-", &remote);
                if (r < 0)
                        return r;
        }
        STRV_FOREACH(name, remote)
                if (kver_image_package(*name, flavour, req->kernel, &rel) && (!best || kver_compare(rel, best) > 0))
                        best = rel;

        if (req->packages)
                for (size_t i = 0; i < req->packages->n_pkgs; i++)
                        if (kver_image_package(req->packages->pkgs[i].name, flavour, req->kernel, &rel) &&
                            (!best || kver_compare(rel, best) > 0))
                                best = rel;
        for (size_t i = 0; i < before->n_kernels; i++) {
                _cleanup_free_ char *pkg = strprintf("linux-image-%s", before->kernels[i].release);

                if (!pkg)
                        return -ENOMEM;
                if (kver_image_package(pkg, flavour, req->kernel, &rel) && before->kernels[i].package &&
                    (!best || kver_compare(before->kernels[i].release, best) > 0))
                        best = before->kernels[i].release;
        }
        if (!best)
                return log_fail(KPIN_EXIT_PACKAGES, -ENOENT, "%s: no Linux %s kernel of flavour %s in %s%s",
                                gu->image, req->kernel, flavour,
                                req->packages ? req->packages->dir : req->network ? "the guest's apt sources" : "the image",
                                req->packages ? " or in the image" : req->network ? " or in the image" : " (give --packages DIR or --network)");
        *ret = strdup(best);
        return *ret ? 0 : -ENOMEM;
}

/* Installs the closure of image + headers from the package directory in one
 * apt transaction; the kernel's own hooks build DKMS modules and the
 * initramfs for it. */
static int install_kernel(Guest *gu, const PinRequest *req, const DpkgStatus *status, const char *release,
                          PinResult *res) {
        _cleanup_strv_free_ char **targets = NULL;
        const char *want[] = { "linux-image-", "linux-headers-" };
        int r;

        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                _cleanup_free_ char *name = strprintf("%s%s", want[i], release);

                if (!name)
                        return -ENOMEM;
                if (dpkg_installed(dpkg_status_find(status, name)))
                        continue;
                if (!req->packages && !req->network)
                        return log_fail(KPIN_EXIT_PACKAGES, -ENOENT,
                                        "%s: %s is not installed and no --packages DIR was given", gu->image, name);
                r = strv_consume(&targets, TAKE_PTR(name));
                if (r < 0)
                        return r;
        }
        if (!targets)
                return 0;
        if (!req->packages)
                r = apt_install_network(gu, targets, release, &res->installed);
        else
                r = apt_install_closure(gu, status, req->packages, targets, release, &res->installed);
        if (r < 0)
                return r;
        res->changed = true;
        return 0;
}

/* --purge-old: remove every other kernel, in one apt transaction that may
 * touch only the kernel packages deb_kernel_purge_set() chose. */
static int purge_old_kernels(Guest *gu, const DpkgStatus *status, const char *release, PinResult *res) {
        _cleanup_free_ DebPkg *installed = NULL;
        _cleanup_strv_free_ char **purge = NULL;
        size_t n = 0;
        int r;

        r = dpkg_status_debpkgs(status, &installed, &n);
        if (r < 0)
                return r;
        r = deb_kernel_purge_set(installed, n, release, &purge);
        if (r < 0)
                return log_fail(KPIN_EXIT_PACKAGES, r, "%s: cannot work out the old kernel packages: %m", gu->image);
        if (!purge)
                return 0;
        r = apt_purge_exactly(gu, purge);
        if (r < 0)
                return r;
        res->purged = TAKE_PTR(purge);
        res->changed = true;
        return 0;
}

static bool should_hold(const char *name, const char *release, const char *flavour) {
        const char *rest;

        if (startswith(name, "linux-image-"))
                rest = name + strlen("linux-image-");
        else if (startswith(name, "linux-headers-"))
                rest = name + strlen("linux-headers-");
        else
                return false;
        if (strcmp(rest, release) == 0 || strcmp(rest, flavour) == 0)
                return true;
        /* series metapackages such as linux-image-6.12-cloud-amd64 */
        KernelRelease k = { .abi = -1 };
        bool meta = kver_parse(rest, &k) >= 0 && k.flavour && strcmp(k.flavour, flavour) == 0 &&
                    !strchr(strchr(k.upstream, '.') + 1, '.');
        kver_done(&k);
        return meta;
}

static int hold_kernel(Guest *gu, const DpkgStatus *status, const char *release, const char *flavour,
                       PinResult *res) {
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *err = NULL;
        int r;

        r = strv_extend(&argv, "apt-mark");
        if (r >= 0)
                r = strv_extend(&argv, "hold");
        for (size_t i = 0; r >= 0 && i < status->n; i++) {
                const DpkgPackage *p = &status->pkgs[i];

                if (dpkg_installed(p) && strcmp(p->want, "hold") != 0 && !strv_contains(res->purged, p->name) &&
                    should_hold(p->name, release, flavour)) {
                        r = strv_extend(&argv, p->name);
                        if (r >= 0)
                                r = strv_extend(&res->held, p->name);
                }
        }
        if (r < 0)
                return r;
        if (!res->held)
                return 0;
        r = guest_run_checked(gu, argv, NULL, KPIN_EXIT_PACKAGES, NULL, "holding the kernel packages");
        if (r < 0)
                return r;
        res->changed = true;
        return 0;
}

/* Writes path if its content differs; 1 if written. */
static int write_if_changed(Guest *gu, const char *path, const char *text) {
        _cleanup_free_ char *old = NULL;
        size_t len;

        if (guest_read_file(gu, path, 1u << 20, &old, &len) >= 0 && len == strlen(text) &&
            memcmp(old, text, len) == 0)
                return 0;
        if (guest_write_file(gu, path, text, strlen(text)) < 0)
                return log_fail(KPIN_EXIT_FAILURE, -EIO, "%s: cannot write %s in the guest: %s", gu->image, path,
                                guest_last_error(gu));
        return 1;
}

static int set_grub_default(Guest *gu, const GuestState *before, const char *release, PinResult *res) {
        _cleanup_free_ char *text = NULL, *id = NULL, *t1 = NULL, *t2 = NULL;
        size_t len;
        int r;

        if (!before->grub_cfg)
                return log_fail(KPIN_EXIT_GRUB, -ENOENT, "%s: %s", gu->image,
                                before->grub_problem ? before->grub_problem : "no usable grub.cfg");
        r = grub_debian_id_path(before->grub_cfg, release, &id);
        if (r < 0)
                return log_fail(KPIN_EXIT_GRUB, r, "%s: %s has no Debian menu entry ids to build GRUB_DEFAULT from",
                                gu->image, before->grub_cfg_path);
        r = guest_read_file(gu, DEFAULT_GRUB, 1u << 20, &text, &len);
        if (r < 0)
                return log_fail(KPIN_EXIT_GRUB, r, "%s: cannot read " DEFAULT_GRUB " in the guest: %s", gu->image,
                                r == -EIO ? guest_last_error(gu) : strerror(-r));
        r = shellvars_set(text, len, "GRUB_DEFAULT", id, &t1);
        if (r >= 0)
                r = shellvars_set(t1, strlen(t1), "GRUB_DISABLE_OS_PROBER", "true", &t2);
        if (r == -EBADMSG)
                return log_fail(KPIN_EXIT_GRUB, r, "%s: " DEFAULT_GRUB " in the guest holds a NUL byte: not editing it",
                                gu->image);
        if (r < 0)
                return log_fail(KPIN_EXIT_GRUB, r, "%s: cannot edit " DEFAULT_GRUB ": %m", gu->image);
        r = write_if_changed(gu, DEFAULT_GRUB, t2);
        if (r < 0)
                return r;
        res->grub_after = TAKE_PTR(id);
        if (r > 0)
                res->changed = true;
        return 0;
}

/* grub.cfg is regenerated only when it does not boot release already (the
 * kernel's own hook usually wrote it so); update-grub exits 0 on a useless
 * grub.cfg: believe only what it wrote. */
static int regenerate_grub(Guest *gu, const char *release, PinResult *res) {
        _cleanup_free_ char *problem = NULL;
        char *argv[] = { "update-grub", NULL };
        int r;

        r = guest_grub_boots(gu, release, &res->boot_after, &problem);
        if (r != 0)
                return r < 0 ? r : 0;
        res->boot_after = mfree(res->boot_after);
        problem = mfree(problem);
        log_info("regenerating grub.cfg");
        r = guest_run_stream_checked(gu, argv, NULL, NULL, KPIN_EXIT_GRUB, "error", "update-grub");
        if (r < 0)
                return r;
        res->grub_regenerated = true;
        res->changed = true;
        r = guest_grub_boots(gu, release, &res->boot_after, &problem);
        if (r < 0)
                return r;
        if (r == 0)
                return log_fail(KPIN_EXIT_GRUB, -EBADMSG, "%s: the regenerated grub.cfg boots %s, not %s%s%s", gu->image,
                                res->boot_after ? res->boot_after : "no Linux kernel", release,
                                problem ? ": " : "", problem ? problem : "");
        return 0;
}

int pin_kernel(Guest *gu, const GuestState *st, const PinRequest *req, PinResult *ret) {
        _cleanup_(pin_result_done) PinResult res = {};
        _cleanup_(dpkg_status_freep) DpkgStatus *now = NULL;
        _cleanup_free_ char *flavour = NULL, *prefs = NULL;
        KernelRelease k = { .abi = -1 };
        const DpkgStatus *status = st->dpkg;
        int r;

        if (pin_flavour(st, req->flavour, req->kernel, &flavour) < 0)
                return log_fail(KPIN_EXIT_PACKAGES, -ENOENT, "%s: cannot tell the kernel flavour; give --flavour",
                                gu->image);
        r = resolve_release(gu, st, req, flavour, &res.release);
        if (r < 0)
                return r;
        r = kver_parse(res.release, &k);
        if (r < 0)
                return -EINVAL;
        res.series = strprintf("%u.%u", k.major, k.minor);
        kver_done(&k);
        if (!res.series)
                return -ENOMEM;
        if (st->grub_configured && !(res.grub_before = strdup(st->grub_configured)))
                return -ENOMEM;
        if (st->grub_kernel && !(res.boot_before = strdup(st->grub_kernel)))
                return -ENOMEM;
        log_info("pinning %s (Linux %s, %s)", res.release, res.series, flavour);

        /* GRUB_DEFAULT first, so the kernel's own update-grub hook already
         * writes the grub.cfg we want: grub-mkconfig runs once. */
        r = set_grub_default(gu, st, res.release, &res);
        if (r < 0)
                return r;
        r = install_kernel(gu, req, status, res.release, &res);
        if (r < 0)
                return r;
        r = apt_check_consistent(gu);
        if (r < 0)
                return r;
        if (res.installed) {
                /* what purge and hold work on: the packages as the install left them */
                r = guest_dpkg_status(gu, &now);
                if (r < 0)
                        return r;
                status = now;
        }
        if (req->purge_old) {
                r = purge_old_kernels(gu, status, res.release, &res);
                if (r < 0)
                        return r;
                r = apt_check_consistent(gu);
                if (r < 0)
                        return r;
        }
        if (!req->no_hold) {
                r = hold_kernel(gu, status, res.release, flavour, &res);
                if (r < 0)
                        return r;
        }

        r = aptpin_kernel_series_text(res.series, res.release, &prefs);
        if (r < 0)
                return r;
        r = write_if_changed(gu, APTPIN_PATH, prefs);
        if (r < 0)
                return r;
        res.prefs_written = r > 0;
        res.changed = res.changed || r > 0;

        r = regenerate_grub(gu, res.release, &res);
        if (r < 0)
                return r;
        *ret = res;
        res = (PinResult) {};
        return 0;
}
