/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "apt.h"
#include "core/aptpin.h"
#include "core/changelog.h"
#include "core/depends.h"
#include "core/grubcfg.h"
#include "core/kver.h"
#include "core/modinfo.h"
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
        strv_free(r->kept);
        free(r->roll.from);
        free(r->roll.from_version);
        free(r->roll.to_version);
        strv_free(r->roll.cves);
        free(r->roll.changelog_problem);
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

/* The newest kernel of the series the image has (installed from a
 * package) that matches the request. */
static const char *installed_best(const GuestState *st, const char *flavour, const char *kernel) {
        const char *best = NULL, *rel;

        for (size_t i = 0; i < st->n_kernels; i++) {
                _cleanup_free_ char *pkg = strprintf("linux-image-%s", st->kernels[i].release);

                if (pkg && kver_image_package(pkg, flavour, kernel, &rel) && st->kernels[i].package &&
                    (!best || kver_compare(st->kernels[i].release, best) > 0))
                        best = st->kernels[i].release;
        }
        return best;
}

/* The kernel to pin from the image and the package directory alone (and
 * remote, the guest's apt names): the newest of the series, ABI number
 * first, or with no_roll the newest the image has already. NULL: none. */
static const char *choose_release(const GuestState *st, const PinRequest *req, const char *flavour, char * const *remote) {
        const char *best = NULL, *rel;

        if (req->no_roll && !kver_is_full_release(req->kernel) && (best = installed_best(st, flavour, req->kernel)))
                return best;
        STRV_FOREACH(name, remote)
                if (kver_image_package(*name, flavour, req->kernel, &rel) && (!best || kver_compare(rel, best) > 0))
                        best = rel;
        if (req->packages)
                for (size_t i = 0; i < req->packages->n_pkgs; i++)
                        if (kver_image_package(req->packages->pkgs[i].name, flavour, req->kernel, &rel) &&
                            (!best || kver_compare(rel, best) > 0))
                                best = rel;
        rel = installed_best(st, flavour, req->kernel);
        if (rel && (!best || kver_compare(rel, best) > 0))
                best = rel;
        return best;
}

static int resolve_release(Guest *gu, const GuestState *before, const PinRequest *req, const char *flavour,
                           char **ret) {
        _cleanup_strv_free_ char **remote = NULL;
        const char *best;
        int r;

        if (req->network && !(req->no_roll && installed_best(before, flavour, req->kernel))) {
                r = apt_network_names(gu, "linux-image-", &remote);
                if (r < 0)
                        return r;
        }
        best = choose_release(before, req, flavour, remote);
        if (!best)
                return log_fail(KPIN_EXIT_PACKAGES, -ENOENT, "%s: no Linux %s kernel of flavour %s in %s%s",
                                gu->image, req->kernel, flavour,
                                req->packages ? req->packages->dir : req->network ? "the guest's apt sources" : "the image",
                                req->packages ? " or in the image" : req->network ? " or in the image" : " (give --packages DIR or --network)");
        if (req->no_roll && strcmp(best, installed_best(before, flavour, req->kernel) ?: "") == 0)
                log_info("keeping %s: rolling forward is off", best);
        *ret = strdup(best);
        return *ret ? 0 : -ENOMEM;
}

bool pin_settled(const GuestState *st, const PinRequest *req, char **ret_release) {
        _cleanup_free_ char *flavour = NULL, *pkg = NULL, *headers = NULL;
        const char *best;
        size_t series = 0;
        bool held = req->no_hold, prefs = false;
        KernelRelease want = { .abi = -1 };

        *ret_release = NULL;
        /* the guest's own sources are asked only through the appliance's network */
        if (req->network || st->broken_packages || !st->grub_kernel || !st->grub_configured ||
            pin_flavour(st, req->flavour, req->kernel, &flavour) < 0)
                return false;
        best = choose_release(st, req, flavour, NULL);
        if (!best || strcmp(best, st->grub_kernel) != 0)
                return false;
        pkg = strprintf("linux-image-%s", best);
        headers = strprintf("linux-headers-%s", best);
        if (!pkg || !headers || !dpkg_installed(dpkg_status_find(st->dpkg, headers)))
                return false;
        for (size_t i = 0; i < st->n_holds; i++)
                held = held || strcmp(st->holds[i].name, pkg) == 0;
        for (size_t i = 0; i < st->n_pins; i++)
                prefs = prefs || (st->pins[i].file && strcmp(st->pins[i].file, APTPIN_PATH) == 0);
        if (!held || !prefs || kver_parse(best, &want) < 0)
                return false;
        /* nothing to purge: keep-kernels (or old = purge) holds already */
        for (size_t i = 0; i < st->n_kernels; i++) {
                KernelRelease k = { .abi = -1 };

                if (!st->kernels[i].package || kver_parse(st->kernels[i].release, &k) < 0)
                        continue;
                if (req->purge_old || kver_same_series(&k, &want))
                        series++;
                kver_done(&k);
        }
        kver_done(&want);
        if (series > (req->purge_old ? 1 : req->keep_kernels ? req->keep_kernels : SIZE_MAX))
                return false;
        *ret_release = strdup(best);
        return *ret_release != NULL;
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

/* What goes, in one apt transaction that may touch only the kernel packages
 * chosen here: with keep 0 (--purge-old) every other kernel
 * (deb_kernel_purge_set()), else the series' older ABIs beyond the newest
 * keep (deb_kernel_purge_older(); the kernel's own prerm hooks take their
 * DKMS trees). */
static int purge_kernels(Guest *gu, const DpkgStatus *status, const char *release, unsigned keep, PinResult *res) {
        _cleanup_free_ DebPkg *installed = NULL;
        _cleanup_strv_free_ char **purge = NULL;
        size_t n = 0;
        int r;

        r = dpkg_status_debpkgs(status, &installed, &n);
        if (r < 0)
                return r;
        r = keep == 0 ? deb_kernel_purge_set(installed, n, release, &purge)
                      : deb_kernel_purge_older(installed, n, release, keep, &purge, &res->kept);
        if (r < 0)
                return log_fail(KPIN_EXIT_PACKAGES, r, "%s: cannot work out the old kernel packages: %m", gu->image);
        if (!purge)
                return 0;
        if (keep > 0)
                log_info("keep-kernels = %u: purging %zu package(s) of older ABIs", keep, strv_length(purge));
        r = apt_purge_exactly(gu, purge);
        if (r < 0)
                return r;
        res->purged = TAKE_PTR(purge);
        res->changed = true;
        return 0;
}

/* The kernels kpin keeps are manually installed: apt autoremove in the
 * guest never takes them. */
static int mark_manual(Guest *gu, const DpkgStatus *status, char * const *releases, PinResult *res) {
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *out = NULL;
        const char *pre[] = { "linux-image-", "linux-headers-" };
        size_t n = 0;
        int r;

        r = strv_extend(&argv, "apt-mark");
        if (r >= 0)
                r = strv_extend(&argv, "manual");
        STRV_FOREACH(rel, releases)
                for (size_t i = 0; r >= 0 && i < ELEMENTSOF(pre); i++) {
                        _cleanup_free_ char *name = strprintf("%s%s", pre[i], *rel);

                        if (!name)
                                return -ENOMEM;
                        if (dpkg_installed(dpkg_status_find(status, name)) && !strv_contains(res->purged, name)) {
                                r = strv_consume(&argv, TAKE_PTR(name));
                                n++;
                        }
                }
        if (r < 0)
                return r;
        if (n == 0)
                return 0;
        r = guest_run_checked(gu, argv, &out, KPIN_EXIT_PACKAGES, NULL, "marking the kernels manually installed");
        if (r < 0)
                return r;
        /* "NAME set to manually installed." for each that was automatic,
         * "NAME was already set to manually installed." for the others */
        n = 0;
        for (const char *l = out; l && (l = strstr(l, " set to manually installed.")); l++)
                n++;
        for (const char *l = out; l && (l = strstr(l, " was already set to manually installed.")); l++)
                n--;
        if (n > 0)
                res->changed = true;
        return 0;
}

/* Whether pinning release rolls the image forward: the kernel GRUB booted
 * (or else the newest the image has) is an older ABI of its series and
 * flavour. */
static int roll_begin(const GuestState *st, const char *release, PinRoll *roll) {
        KernelRelease want = { .abi = -1 };
        const char *from = NULL;
        bool had = false;
        int r = 0;

        if (kver_parse(release, &want) < 0 || !want.flavour)
                goto out;
        for (size_t i = 0; i < st->n_kernels; i++) {
                const char *rel = st->kernels[i].release;
                KernelRelease k = { .abi = -1 };
                bool same;

                if (strcmp(rel, release) == 0)
                        had = true;
                if (!st->kernels[i].package || kver_parse(rel, &k) < 0)
                        continue;
                same = kver_same_series(&k, &want);
                kver_done(&k);
                if (!same || kver_compare(rel, release) >= 0)
                        continue;
                if (st->grub_kernel && strcmp(st->grub_kernel, rel) == 0) {
                        from = rel;
                        had = false;
                        break;
                }
                if (!from || kver_compare(rel, from) > 0)
                        from = rel;
        }
        if (from && !had) {
                _cleanup_free_ char *pkg = strprintf("linux-image-%s", from);
                const DpkgPackage *p = pkg ? dpkg_status_find(st->dpkg, pkg) : NULL;

                if (!pkg)
                        r = -ENOMEM;
                else if (!(roll->from = strdup(from)) || (p && p->version && !(roll->from_version = strdup(p->version))))
                        r = -ENOMEM;
        }
out:
        kver_done(&want);
        return r;
}

#define CHANGELOG_GZ_MAX (32u << 20)
#define CHANGELOG_MAX (64u << 20)

/* What the roll fixed, from the new kernel's own Debian changelog in the
 * guest: read bounded, decompressed bounded, parsed on the host. */
static int roll_changelog(Guest *gu, const char *release, PinRoll *roll) {
        static const char *const names[] = { "changelog.gz", "changelog.Debian.gz" };
        _cleanup_free_ char *gz = NULL;
        _cleanup_free_ void *text = NULL;
        _cleanup_(changelog_fixes_done) ChangelogFixes f = {};
        _cleanup_free_ char *path = NULL;
        size_t gz_len = 0, len = 0;
        int r = -ENOENT;

        if (!roll->from_version)
                return (roll->changelog_problem = strprintf("the version of linux-image-%s is unknown", roll->from)) ? 0
                                                                                                                  : -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(names) && r == -ENOENT; i++) {
                free(path);
                path = strprintf("/usr/share/doc/linux-image-%s/%s", release, names[i]);
                if (!path)
                        return -ENOMEM;
                r = guest_read_file_large(gu, path, CHANGELOG_GZ_MAX, &gz, &gz_len);
        }
        if (r >= 0)
                r = ko_decompress(gz, gz_len, CHANGELOG_MAX, &text, &len);
        if (r >= 0)
                r = changelog_fixes(text, len, roll->from_version, &f);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return (roll->changelog_problem = strprintf("%s: %s", path, r == -ENOENT ? "not in the image" : strerror(-r)))
                               ? 0 : -ENOMEM;
        roll->changelog_known = f.found;
        if (!f.found)
                return (roll->changelog_problem = strprintf("%s is not in linux-image-%s's changelog", roll->from_version,
                                                            release)) ? 0 : -ENOMEM;
        roll->cves = TAKE_PTR(f.cves);
        roll->n_cves = f.n_cves;
        f.n_cves = 0;
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
        r = roll_begin(st, res.release, &res.roll);
        if (r < 0)
                return r;
        if (res.roll.from)
                log_info("rolling forward from %s to %s (Linux %s, %s)", res.roll.from, res.release, res.series, flavour);
        else
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
        if (req->purge_old || (req->keep_kernels > 0 && res.installed)) {
                r = purge_kernels(gu, status, res.release, req->purge_old ? 0 : req->keep_kernels, &res);
                if (r < 0)
                        return r;
                r = apt_check_consistent(gu);
                if (r < 0)
                        return r;
        }
        if (!res.kept && strv_extend(&res.kept, res.release) < 0)
                return -ENOMEM;
        r = mark_manual(gu, status, res.kept, &res);
        if (r < 0)
                return r;
        if (res.roll.from) {
                const DpkgPackage *p = NULL;
                _cleanup_free_ char *pkg = strprintf("linux-image-%s", res.release);

                if (!pkg)
                        return -ENOMEM;
                p = dpkg_status_find(status, pkg);
                if (p && p->version && !(res.roll.to_version = strdup(p->version)))
                        return -ENOMEM;
                r = roll_changelog(gu, res.release, &res.roll);
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
