/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/kver.h"
#include "fetch.h"
#include "pkgdir.h"
#include "shared/cleanup.h"
#include "shared/log.h"
#include "shared/spawn.h"
#include "shared/strbuf.h"
#include "shared/sigguard.h"
#include "shared/strv.h"
#include "shared/tmpdir.h"

#define DEFAULT_MIRROR "http://deb.debian.org/debian"
#define DEFAULT_SECURITY_MIRROR "http://deb.debian.org/debian-security"
#define APT_OUTPUT_MAX (4u << 20)

void fetch_result_done(FetchResult *r) {
        free(r->release);
        strv_free(r->packages);
        *r = (FetchResult) {};
}

typedef struct Apt {
        char *dir;                    /* the throw-away configuration */
        int guard;                    /* removed with it on a fatal signal */
        char **opts;                  /* -o ... for every apt command */
} Apt;

static int rm_rf(const char *path) {
        char *argv[] = { "rm", "-rf", "--one-file-system", (char *) path, NULL };

        return spawn_run(argv, 4096, NULL) == 0 ? 0 : -EIO;
}

static void apt_done(Apt *a) {
        if (a->dir) {
                (void) rm_rf(a->dir);
                sigguard_forget_dir(a->guard);
        }
        free(a->dir);
        strv_free(a->opts);
        *a = (Apt) {};
}

static int write_file(const char *path, const char *text, size_t len) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        if (fd < 0)
                return -errno;
        return write(fd, text, len) == (ssize_t) len ? 0 : -EIO;
}

static int opt(Apt *a, const char *fmt, const char *v) {
        int r = strv_extend(&a->opts, "-o");

        return r < 0 ? r : strv_consume(&a->opts, strprintf(fmt, v));
}

/* The throw-away directory: apt's etc, state, cache and archives. */
static int apt_mkdirs(Apt *a) {
        static const char *const dirs[] = { "etc", "etc/sources.list.d", "etc/preferences.d", "state", "state/lists",
                                            "state/lists/partial", "cache", "archives", "archives/partial" };

        a->dir = tmpdir_make("fetch");
        if (!a->dir)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -errno, "cannot create a directory for apt: %m");
        a->guard = sigguard_add_dir(a->dir);
        if (a->guard < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, a->guard, "%s: cannot guard apt's directory: %m", a->dir);
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_free_ char *d = strprintf("%s/%s", a->dir, dirs[i]);

                if (!d)
                        return -ENOMEM;
                if (mkdir(d, 0755) < 0)
                        return log_fail(KPIN_EXIT_ENVIRONMENT, -errno, "%s: %m", d);
        }
        return 0;
}

/* Dir::State::status is the guest's: apt resolves against what the image has
 * installed; everything else apt writes stays in the throw-away directory.
 * Without a status (the archives read before the image is), an empty one,
 * and apt's own architecture. */
static int apt_configure(const FetchRequest *req, const char *sources, Apt *a) {
        _cleanup_free_ char *p = NULL;
        int r;

        a->opts = strv_free(a->opts);
        p = strprintf("%s/etc/sources.list", a->dir);
        if (!p)
                return -ENOMEM;
        if ((r = write_file(p, sources, strlen(sources))) < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, r, "%s: %m", p);
        free(p);
        p = strprintf("%s/status", a->dir);
        if (!p)
                return -ENOMEM;
        if ((r = write_file(p, req->status ? req->status : "", req->status ? req->status_len : 0)) < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, r, "%s: %m", p);
        free(p);
        p = strprintf("%s/etc/preferences", a->dir);
        if (!p || write_file(p, "", 0) < 0)
                return p ? log_fail(KPIN_EXIT_ENVIRONMENT, -EIO, "%s: cannot write it", p) : -ENOMEM;
        if ((r = opt(a, "Dir::Etc::SourceList=%s/etc/sources.list", a->dir)) < 0 ||
            (r = opt(a, "Dir::Etc::SourceParts=%s/etc/sources.list.d", a->dir)) < 0 ||
            (r = opt(a, "Dir::Etc::Preferences=%s/etc/preferences", a->dir)) < 0 ||
            (r = opt(a, "Dir::Etc::PreferencesParts=%s/etc/preferences.d", a->dir)) < 0 ||
            (r = opt(a, "Dir::State=%s/state", a->dir)) < 0 ||
            (r = opt(a, "Dir::State::status=%s/status", a->dir)) < 0 ||
            (r = opt(a, "Dir::Cache=%s/cache", a->dir)) < 0 ||
            (r = opt(a, "Dir::Cache::archives=%s/archives", a->dir)) < 0 ||
            (req->arch && (r = opt(a, "APT::Architecture=%s", req->arch)) < 0) ||
            (req->arch && (r = opt(a, "APT::Architectures=%s", req->arch)) < 0) ||
            (r = opt(a, "Acquire::Languages=%s", "none")) < 0 ||
            (r = opt(a, "Acquire::Retries=%s", "1")) < 0 ||
            (r = opt(a, "Acquire::http::Timeout=%s", "30")) < 0 ||
            (r = opt(a, "Debug::NoLocking=%s", "true")) < 0 ||
            (r = opt(a, "APT::Get::AllowUnauthenticated=%s", "false")) < 0)
                return r;
        return 0;
}

static int apt_run(const Apt *a, const char *tool, char * const *args, char **ret_output) {
        _cleanup_strv_free_ char **argv = NULL;
        int r;

        if ((r = strv_extend(&argv, tool)) < 0)
                return r;
        STRV_FOREACH(o, a->opts)
                if ((r = strv_extend(&argv, *o)) < 0)
                        return r;
        STRV_FOREACH(x, args)
                if ((r = strv_extend(&argv, *x)) < 0)
                        return r;
        return spawn_run(argv, APT_OUTPUT_MAX, ret_output);
}

static bool signature_complaint(const char *s) {
        return strstr(s, "is not signed") || strstr(s, "NO_PUBKEY") || strstr(s, "signatures were invalid") ||
               strstr(s, "BADSIG") || strstr(s, "GPG error") || strstr(s, "couldn't be verified");
}

static int refuse_signature(const char *what) {
        return log_fail(KPIN_EXIT_PACKAGES, -EPERM,
                        "fetch: refusing a repository whose signature apt cannot verify: %s "
                        "(give its key with signed-by=, or --allow-unsigned)",
                        what);
}

/* apt-get update's complaints, as one line naming the source: a source it
 * could not reach ("Err:3 URI SUITE InRelease" then the reason), or one
 * whose signature it refused. */
static int update_failure(const char *out, bool allow_unsigned) {
        for (const char *l = out; l && *l; l = strchrnul(l, '\n'), l += *l == '\n') {
                size_t n = strcspn(l, "\n");
                _cleanup_free_ char *line = strndup(l, n), *why = NULL;

                if (!line)
                        return -ENOMEM;
                if (startswith(line, "Err:")) {
                        const char *sp = strchr(line, ' '), *next = l + n + (l[n] == '\n');

                        why = strndup(next, strcspn(next, "\n"));
                        /* apt reports a refused signature as an Err: too */
                        if (why && signature_complaint(why)) {
                                _cleanup_free_ char *what = NULL;

                                if (allow_unsigned)
                                        continue;
                                what = strprintf("%s: %s", sp ? sp + 1 : line, why + strspn(why, " "));
                                return what ? refuse_signature(what) : -ENOMEM;
                        }
                        return log_fail(KPIN_EXIT_PACKAGES, -EHOSTUNREACH, "fetch: cannot reach %s: %s",
                                        sp ? sp + 1 : line, why ? why + strspn(why, " ") : "?");
                }
                if (!allow_unsigned && signature_complaint(line))
                        return refuse_signature(line + strspn(line, "WE: "));
        }
        return 0;
}

/* The newest kernel image package apt knows of the series or release. */
static int pick_release(const Apt *a, const FetchRequest *req, char **ret) {
        char *args[] = { "pkgnames", "linux-image-", NULL };
        _cleanup_free_ char *out = NULL;
        const char *best = NULL, *rel;
        int r;

        r = apt_run(a, "apt-cache", args, &out);
        if (r != 0)
                return log_fail(KPIN_EXIT_PACKAGES, -EIO, "fetch: apt-cache failed: %s",
                                out ? strtok(out, "\n") : "?");
        for (char *l = out, *save = NULL, *w; (w = strtok_r(l, "\n", &save)); l = NULL)
                if (kver_image_package(w, req->flavour, req->kernel, &rel) && (!best || kver_compare(rel, best) > 0))
                        best = rel;
        if (!best)
                return log_fail(KPIN_EXIT_PACKAGES, -ENOENT, "fetch: no Linux %s kernel%s%s in the sources given",
                                req->kernel, req->flavour ? " of flavour " : "", req->flavour ? req->flavour : "");
        *ret = strdup(best);
        return *ret ? 0 : -ENOMEM;
}

/* "'URI' FILE SIZE [HASH]" lines of --print-uris: the files and where
 * each comes from (apt checks them against the signed index as it
 * downloads; the MANIFEST's sha256 is of the bytes that arrived). */
static int parse_uris(const char *out, char ***ret_files, char ***ret_where) {
        for (const char *l = out; l && *l; l = strchrnul(l, '\n'), l += *l == '\n') {
                _cleanup_free_ char *line = strndup(l, strcspn(l, "\n"));
                char uri[4096], file[512];
                unsigned long long size;
                int r;

                if (!line)
                        return -ENOMEM;
                if (line[0] != '\'' || sscanf(line, "'%4095[^']' %511s %llu", uri, file, &size) != 3)
                        continue;
                if (strchr(file, '/') || !endswith(file, ".deb"))
                        return -EBADMSG;
                if ((r = strv_extend(ret_files, file)) < 0 || (r = strv_extend(ret_where, uri)) < 0)
                        return r;
        }
        return 0;
}

static int sha256_file(const char *path, char **ret) {
        char *argv[] = { "sha256sum", (char *) path, NULL };
        _cleanup_free_ char *out = NULL;

        if (spawn_run(argv, 4096, &out) != 0 || !out || strlen(out) < 64)
                return -EIO;
        *ret = strndup(out, 64);
        return *ret ? 0 : -ENOMEM;
}

/* What a fetch that was killed left beside DIR: DIR.kpin-PID.tmp (a
 * directory being filled) and DIR.kpin-PID.old (the previous DIR, stepped
 * aside for the new one) of a gone PID. The old one goes back if no DIR
 * took its place. */
static void remove_stale(const char *dest) {
        _cleanup_free_ char *copy = strdup(dest), *copy2 = strdup(dest);
        _cleanup_(closedirp) DIR *d = NULL;
        const char *base, *dir;
        struct dirent *de;

        if (!copy || !copy2)
                return;
        base = basename(copy2);
        dir = dirname(copy);
        d = opendir(dir);
        while (d && (de = readdir(d))) {
                _cleanup_free_ char *path = NULL;
                char *end;
                long pid;

                if (!startswith(de->d_name, base) || !startswith(de->d_name + strlen(base), ".kpin-"))
                        continue;
                pid = strtol(de->d_name + strlen(base) + 6, &end, 10);
                if ((strcmp(end, ".tmp") != 0 && strcmp(end, ".old") != 0) || pid <= 0 || kill((pid_t) pid, 0) == 0 ||
                    errno != ESRCH)
                        continue;
                path = strprintf("%s/%s", dir, de->d_name);
                if (!path)
                        return;
                if (strcmp(end, ".old") == 0 && access(dest, F_OK) < 0 && errno == ENOENT && rename(path, dest) == 0)
                        log_warning("%s: put back, an interrupted kpin fetch (pid %ld) had moved it aside", dest, pid);
                else if (rm_rf(path) >= 0)
                        log_warning("removed %s, left behind by an interrupted kpin fetch (pid %ld)", path, pid);
        }
}

/* DIR is replaced as a whole, so it must be new, empty or an earlier
 * fetch's (its MANIFEST says so): never a directory of other files. */
int fetch_check_dest(const char *dest) {
        _cleanup_(closedirp) DIR *d = NULL;
        _cleanup_free_ char *m = NULL;
        char head[sizeof(FETCH_MANIFEST_HEAD) - 1];
        struct dirent *de;
        bool empty = true;
        int fd;

        remove_stale(dest);
        d = opendir(dest);
        if (!d)
                return errno == ENOENT ? 0 : log_fail(KPIN_EXIT_USAGE, -errno, "%s: %m", dest);
        while ((de = readdir(d)) && empty)
                empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
        if (empty)
                return 0;
        m = strprintf("%s/" FETCH_MANIFEST, dest);
        if (!m)
                return -ENOMEM;
        fd = open(m, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0) {
                ssize_t n = read(fd, head, sizeof(head));

                close(fd);
                if (n == (ssize_t) sizeof(head) && memcmp(head, FETCH_MANIFEST_HEAD, sizeof(head)) == 0)
                        return 0;
        }
        return log_fail(KPIN_EXIT_USAGE, -EEXIST,
                        "%s: has files and is not a kpin fetch directory (no %s): fetch into a new or empty directory", dest,
                        FETCH_MANIFEST);
}

/* DIR holds the .debs and a MANIFEST (package, version, sha256, where
 * from); it is written beside DIR and renamed into place. */
static int install_dir(const FetchRequest *req, const char *release, const char *archives, char * const *files,
                       char * const *where, FetchResult *res) {
        _cleanup_free_ char *tmp = strprintf("%s.kpin-%d.tmp", req->dest, (int) getpid()), *old = NULL;
        _cleanup_(strbuf_done) StrBuf manifest = {};
        _cleanup_(pkgdir_freep) PkgDir *pd = NULL;
        int r;

        if (!tmp)
                return -ENOMEM;
        remove_stale(req->dest);
        if (mkdir(tmp, 0755) < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -errno, "%s: %m", tmp);
        for (size_t i = 0; files[i]; i++) {
                _cleanup_free_ char *from = strprintf("%s/%s", archives, files[i]), *to = strprintf("%s/%s", tmp, files[i]);

                if (!from || !to) {
                        r = -ENOMEM;
                        goto fail;
                }
                if (rename(from, to) < 0) {
                        r = log_fail(KPIN_EXIT_ENVIRONMENT, -errno, "%s: cannot move %s into place: %m", req->dest, files[i]);
                        goto fail;
                }
        }
        r = pkgdir_load(tmp, &pd);
        if (r < 0)
                goto fail;
        r = strbuf_puts(&manifest, FETCH_MANIFEST_HEAD " the kernel packages an image lacks, for `kpin pin --packages DIR`\n");
        if (r >= 0) {
                _cleanup_free_ char *head = strprintf("# kernel %s for %s\n# package version sha256 source\n", release,
                                                      req->image);

                r = head ? strbuf_puts(&manifest, head) : -ENOMEM;
        }
        for (size_t i = 0; r >= 0 && i < pd->n_pkgs; i++) {
                const char *base = strrchr(pd->pkgs[i].origin, '/') + 1;
                _cleanup_free_ char *sha = NULL, *line = NULL;
                const char *w = NULL;

                for (size_t j = 0; files[j] && !w; j++)
                        if (strcmp(files[j], base) == 0)
                                w = where[j];
                r = sha256_file(pd->pkgs[i].origin, &sha);
                if (r < 0)
                        break;
                line = strprintf("%s %s %s %s\n", pd->pkgs[i].name, pd->pkgs[i].version, sha, w ? w : "-");
                r = line ? strbuf_puts(&manifest, line) : -ENOMEM;
                if (r >= 0)
                        r = strv_consume(&res->packages, strprintf("%s=%s", pd->pkgs[i].name, pd->pkgs[i].version));
        }
        if (r < 0)
                goto fail;
        {
                _cleanup_free_ char *m = strprintf("%s/" FETCH_MANIFEST, tmp);

                if (!m || (r = write_file(m, manifest.s, manifest.n)) < 0) {
                        r = m ? log_fail(KPIN_EXIT_ENVIRONMENT, r, "%s: %m", m) : -ENOMEM;
                        goto fail;
                }
        }
        /* a directory cannot be renamed over another: the old one steps aside first */
        if (access(req->dest, F_OK) == 0) {
                old = strprintf("%s.kpin-%d.old", req->dest, (int) getpid());
                if (!old || rename(req->dest, old) < 0) {
                        r = old ? log_fail(KPIN_EXIT_ENVIRONMENT, -errno, "%s: cannot replace it: %m", req->dest) : -ENOMEM;
                        goto fail;
                }
        }
        if (rename(tmp, req->dest) < 0) {
                r = log_fail(KPIN_EXIT_ENVIRONMENT, -errno, "%s: %m", req->dest);
                if (old)
                        (void) rename(old, req->dest);
                goto fail;
        }
        if (old)
                (void) rm_rf(old);
        return 0;
fail:
        (void) rm_rf(tmp);
        return r;
}

/* The sources list: the --from sources, then (with the guest's status)
 * the guest's own. */
static int sources_text(const FetchRequest *req, bool with_guest, StrBuf *ret) {
        const char *mirror = req->mirror ? req->mirror : DEFAULT_MIRROR;
        _cleanup_free_ char *security = req->mirror ? strprintf("%s-security", req->mirror) : strdup(DEFAULT_SECURITY_MIRROR);
        int r;

        if (!security)
                return -ENOMEM;
        STRV_FOREACH(f, req->from) {
                _cleanup_(apt_source_done) AptSource s = {};
                _cleanup_free_ char *line = NULL;

                r = apt_source_from_arg(*f, mirror, security, access(DEBIAN_ARCHIVE_KEYRING, R_OK) == 0 ? DEBIAN_ARCHIVE_KEYRING : NULL,
                                        &s);
                if (r < 0) /* -EINVAL cannot come here: the plan refused such a source */
                        return r;
                s.trusted = s.trusted || req->allow_unsigned;
                line = apt_source_line(&s);
                if (!line || strbuf_puts(ret, line) < 0 || strbuf_puts(ret, "\n") < 0)
                        return -ENOMEM;
        }
        for (size_t i = 0; with_guest && req->guest_sources && i < req->guest_sources->n; i++) {
                _cleanup_free_ char *line = apt_source_line(&req->guest_sources->v[i]);

                if (!line || strbuf_puts(ret, line) < 0 || strbuf_puts(ret, "\n") < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* apt-get update over what apt_configure wrote: a source apt cannot reach
 * or whose signature it refuses is the failure, in one line. */
static int apt_update(const Apt *a, const FetchRequest *req) {
        char *args[] = { "-q", "update", NULL };
        _cleanup_free_ char *out = NULL;
        int r;

        r = apt_run(a, "apt-get", args, &out);
        if (r < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, r, "cannot run apt-get: %m");
        r = update_failure(out, req->allow_unsigned);
        if (r < 0)
                return r;
        if (out && strstr(out, "E: ")) {
                const char *e = strstr(out, "E: ");

                return log_fail(KPIN_EXIT_PACKAGES, -EIO, "fetch: apt-get update failed: %.*s", (int) strcspn(e + 3, "\n"),
                                e + 3);
        }
        return 0;
}

struct FetchArchives {
        Apt apt;
};

FetchArchives *fetch_archives_free(FetchArchives *f) {
        if (f) {
                apt_done(&f->apt);
                free(f);
        }
        return NULL;
}

int fetch_archives_check(const FetchRequest *req, FetchArchives **ret) {
        _cleanup_(fetch_archives_freep) FetchArchives *f = calloc(1, sizeof(FetchArchives));
        _cleanup_(strbuf_done) StrBuf sources = {};
        FetchRequest bare = *req;
        int r;

        if (!f)
                return -ENOMEM;
        bare.status = NULL;
        bare.arch = NULL;
        if ((r = sources_text(req, false, &sources)) < 0 || (r = apt_mkdirs(&f->apt)) < 0 ||
            (r = apt_configure(&bare, sources.s ? sources.s : "", &f->apt)) < 0)
                return r;
        log_info("fetch: reading the archives' package lists");
        r = apt_update(&f->apt, req);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(f);
        return 0;
}

int fetch_kernel(const FetchRequest *req, FetchArchives *checked, FetchResult *ret) {
        _cleanup_(fetch_result_done) FetchResult res = {};
        _cleanup_(apt_done) Apt a = {};
        _cleanup_(strbuf_done) StrBuf sources = {};
        _cleanup_strv_free_ char **files = NULL, **where = NULL;
        _cleanup_free_ char *out = NULL, *archives = NULL, *image_pkg = NULL, *headers_pkg = NULL;
        int r;

        if (!checked && (r = fetch_check_dest(req->dest)) < 0) /* with CHECKED, the caller did */
                return r;
        r = sources_text(req, true, &sources);
        if (r < 0)
                return r;
        if (checked) /* its lists are current: apt reads only the guest's sources anew */
                a = TAKE_STRUCT(checked->apt);
        else if ((r = apt_mkdirs(&a)) < 0)
                return r;
        r = apt_configure(req, sources.s ? sources.s : "", &a);
        if (r < 0)
                return r;
        log_info("fetch: reading the package lists");
        r = apt_update(&a, req);
        if (r < 0)
                return r;
        r = pick_release(&a, req, &res.release);
        if (r < 0)
                return r;
        image_pkg = strprintf("linux-image-%s", res.release);
        headers_pkg = strprintf("linux-headers-%s", res.release);
        archives = strprintf("%s/archives", a.dir);
        if (!image_pkg || !headers_pkg || !archives)
                return -ENOMEM;
        out = mfree(out);
        {
                char *args[] = { "-q", "-y", "--no-install-recommends", "--print-uris", "install", image_pkg, headers_pkg, NULL };

                r = apt_run(&a, "apt-get", args, &out);
        }
        if (r != 0) {
                const char *e = out ? strstr(out, "E: ") : NULL, *dep = out ? strstr(out, " Depends: ") : NULL;

                if (dep)
                        while (dep > out && dep[-1] != '\n')
                                dep--;
                return log_fail(KPIN_EXIT_PACKAGES, -ENOENT, "fetch: apt cannot install %s into %s: %.*s", image_pkg,
                                req->image, (int) strcspn(dep ? dep + strspn(dep, " ") : e ? e + 3 : "?", "\n"),
                                dep ? dep + strspn(dep, " ") : e ? e + 3 : "?");
        }
        r = parse_uris(out, &files, &where);
        if (r < 0)
                return log_fail(KPIN_EXIT_PACKAGES, r, "fetch: cannot read what apt would download");
        if (!files && req->installed_ok) {
                ret->release = TAKE_PTR(res.release);
                return -EALREADY;
        }
        if (!files)
                return log_fail(KPIN_EXIT_PACKAGES, -ENOENT, "fetch: %s is installed in %s already: nothing to fetch",
                                image_pkg, req->image);
        log_info("fetch: downloading %zu packages for %s", strv_length(files), res.release);
        out = mfree(out);
        {
                char *args[] = { "-q", "-y", "--no-install-recommends", "--download-only", "install", image_pkg, headers_pkg,
                                 NULL };

                r = apt_run(&a, "apt-get", args, &out);
        }
        if (r != 0) {
                const char *e = out ? strstr(out, "E: ") : NULL;

                return log_fail(KPIN_EXIT_PACKAGES, -EIO, "fetch: downloading failed: %.*s",
                                (int) strcspn(e ? e + 3 : "?", "\n"), e ? e + 3 : "?");
        }
        r = install_dir(req, res.release, archives, files, where, &res);
        if (r < 0)
                return r;
        *ret = res;
        res = (FetchResult) {};
        return 0;
}
