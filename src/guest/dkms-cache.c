/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <guestfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "core/dkmsstatus.h"
#include "core/sha256.h"
#include "host/buildcache.h"
#include "core/kver.h"
#include "core/modinfo.h"
#include "apt.h"
#include "dkms-internal.h"
#include "dkms.h"
#include "shared/cleanup.h"
#include "shared/clock.h"
#include "shared/log.h"
#include "shared/strbuf.h"
#include "shared/spawn.h"
#include "shared/sigguard.h"
#include "shared/strv.h"
#include "shared/tmpdir.h"
#include "shared/unaligned.h"

static void hash_text(Sha256 *s, StrBuf *text, const char *line) {
        sha256_update(s, line, strlen(line));
        (void) strbuf_puts(text, line);
}

/* The build cache's key: every input that decides the built module, as
 * text (kept in the entry) and its sha256. */
int dkms_cache_key(Guest *gu, const char *name, const char *version, const char *kver, const DkmsRequest *req,
                   char key[static 65], char **ret_text) {
        static const char script[] = "cd \"$1\" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum";
        _cleanup_(dpkg_status_freep) DpkgStatus *st = NULL;
        _cleanup_(strbuf_done) StrBuf text = {};
        _cleanup_free_ char *src = strprintf("/usr/src/%s-%s", name, version), *sums = NULL, *line = NULL;
        char *argv[] = { "/bin/sh", "-c", (char *) script, "sh", src, NULL };
        Sha256 s;
        int r;

        if (!src)
                return -ENOMEM;
        r = guest_run_checked(gu, argv, &sums, KPIN_EXIT_DKMS, NULL, "hashing the module's source");
        if (r < 0)
                return r;
        if (strlen(sums) > MAX_KEY_INPUT)
                return log_fail(KPIN_EXIT_DKMS, -EFBIG, "%s: %s holds too many files to cache", gu->image, src);
        r = guest_dpkg_status(gu, &st);
        if (r < 0)
                return r;
        sha256_init(&s);
        line = strprintf("kpin build cache 1\nmodule %s/%s\narch %s\nkernel %s\n", name, version, gu->os.arch, kver);
        if (!line)
                return -ENOMEM;
        hash_text(&s, &text, line);
        /* the kernel's headers and the compilers that build against them */
        for (size_t i = 0; i < st->n; i++) {
                const DpkgPackage *p = &st->pkgs[i];
                _cleanup_free_ char *hdr = strprintf("linux-headers-%s", kver), *l = NULL;

                if (!hdr)
                        return -ENOMEM;
                if (!dpkg_installed(p))
                        continue;
                if (strcmp(p->name, hdr) != 0 && !startswith(p->name, "linux-compiler-") && strcmp(p->name, "binutils") != 0 &&
                    !((startswith(p->name, "gcc-") || startswith(p->name, "cpp-") || startswith(p->name, "clang-")) &&
                      strspn(p->name + strcspn(p->name, "-") + 1, "0123456789") == strlen(p->name + strcspn(p->name, "-") + 1)))
                        continue;
                l = strprintf("package %s %s\n", p->name, p->version ? p->version : "");
                if (!l)
                        return -ENOMEM;
                hash_text(&s, &text, l);
        }
        hash_text(&s, &text, "source\n");
        hash_text(&s, &text, sums);
        STRV_FOREACH(c, req->build_configs) {
                _cleanup_free_ char *host = strndup(*c, strcspn(*c, "=")), *data = NULL, *l = NULL;
                const char *eq = strchr(*c, '=');
                char hex[65];
                Sha256 f;
                FILE *fp;
                size_t n;

                if (!host)
                        return -ENOMEM;
                fp = fopen(host, "re");
                data = malloc(1u << 20);
                n = fp && data ? fread(data, 1, 1u << 20, fp) : 0;
                if (fp)
                        fclose(fp);
                sha256_init(&f);
                sha256_update(&f, data ? data : "", n);
                sha256_hex(&f, hex);
                l = strprintf("build-config %s %s\n", eq ? eq + 1 : host, hex);
                if (!l)
                        return -ENOMEM;
                hash_text(&s, &text, l);
        }
        sha256_hex(&s, key);
        if (!text.s)
                return -ENOMEM;
        *ret_text = strbuf_steal(&text);
        return *ret_text ? 0 : -ENOMEM;
}

/* Where DKMS keeps what it built for kver. */
static char *built_dir(Guest *gu, const char *name, const char *version, const char *kver) {
        return strprintf("/var/lib/dkms/%s/%s/%s/%s/module", name, version, kver, gu->os.arch);
}

/* A cache entry into the guest's DKMS tree as if DKMS had built it, then
 * `dkms install`: 1 if the entry is refused (its bytes are not for kver,
 * or carry a signature the guest cannot replace), *ret_why saying why. */
int dkms_cache_install(Guest *gu, const char *entry, const char *name, const char *version, const char *kver,
                       const DkmsRequest *req, char **ret_why) {
        _cleanup_strv_free_ char **files = NULL;
        _cleanup_(modsig_done) ModSig want = {};
        _cleanup_free_ char *dir = built_dir(gu, name, version, kver);
        _cleanup_(closedirp) DIR *d = opendir(entry);
        struct dirent *de;
        int r;

        if (!dir || !d)
                return dir ? log_fail(KPIN_EXIT_ENVIRONMENT, -errno, "%s: %m", entry) : -ENOMEM;
        while ((de = readdir(d)))
                if (strstr(de->d_name, ".ko") && (r = strv_extend(&files, de->d_name)) < 0)
                        return r;
        if (!files) {
                *ret_why = strdup("it holds no module");
                return 1;
        }
        r = dkms_guest_signer(gu, req, &want);
        if (r < 0)
                return r;
        if (guestfs_mkdir_p(gu->g, dir) < 0)
                return log_fail(KPIN_EXIT_FAILURE, -EIO, "%s: %s: %s", gu->image, dir, guest_last_error(gu));
        STRV_FOREACH(f, files) {
                _cleanup_free_ char *host = strprintf("%s/%s", entry, *f), *data = NULL, *dest = strprintf("%s/%s", dir, *f);
                _cleanup_strv_free_ char **mi = NULL;
                _cleanup_(modsig_done) ModSig sig = {};
                _cleanup_close_ int fd = -1;
                void *elf = NULL;
                size_t len = 0, elf_len = 0;
                bool resign;

                if (!host || !dest)
                        return -ENOMEM;
                {
                        FILE *fp = fopen(host, "re");

                        data = malloc(MAX_MODULE);
                        len = fp && data ? fread(data, 1, MAX_MODULE, fp) : 0;
                        if (fp)
                                fclose(fp);
                }
                if (!data || len == 0 || ko_decompress(data, len, MAX_MODULE, &elf, &elf_len) < 0) {
                        free(elf);
                        *ret_why = strprintf("%s is not a readable kernel module", *f);
                        return 1;
                }
                r = ko_modinfo(elf, elf_len, &mi);
                if (r >= 0)
                        (void) ko_signature(elf, elf_len, &sig);
                free(elf);
                if (r < 0 || !ko_vermagic_matches(ko_modinfo_get(mi, "vermagic"), kver)) {
                        *ret_why = strprintf("%s has vermagic '%s', not %s", *f,
                                             r >= 0 && ko_modinfo_get(mi, "vermagic") ? ko_modinfo_get(mi, "vermagic") : "(none)", kver);
                        return 1;
                }
                resign = want.key_id && !dkms_signed_by(&sig, &want);
                if (resign && ko_compression(data, len) != KO_PLAIN) {
                        *ret_why = strprintf("%s is signed by '%s' and compressed: not re-signed", *f, dkms_signer_name(&sig));
                        return 1;
                }
                /* another key's signature comes off; the guest's key signs it below */
                if (resign && sig.key_id) {
                        const unsigned char *t = (const unsigned char *) data + len - 28 - 12;
                        size_t sig_len = unaligned_be32(t + 8);

                        len -= 28 + 12 + sig_len;
                }
                r = guest_write_file(gu, dest, data, len);
                if (r < 0)
                        return log_fail(KPIN_EXIT_FAILURE, r, "%s: cannot write %s: %s", gu->image, dest, guest_last_error(gu));
                if (resign && (r = dkms_sign_in_guest(gu, req, kver, dest)) < 0 && r != -ENOENT)
                        return r;
        }
        {
                char *argv[] = { "dkms", "install", "-m", (char *) name, "-v", (char *) version, "-k", (char *) kver, NULL };

                return guest_run_stream_checked(gu, argv, NULL, NULL, KPIN_EXIT_DKMS, "Error! ", "dkms install of the cached module");
        }
}

/* After a build: the module files into the cache under key. */
int dkms_cache_store(Guest *gu, const char *cache, const char *key, const char *key_text, const char *name,
                     const char *version, const char *kver) {
        _cleanup_free_ char *dir = built_dir(gu, name, version, kver), *tmp = NULL;
        _cleanup_strv_free_ char **files = NULL, **host = NULL;
        int r, guard;

        if (!dir)
                return -ENOMEM;
        if (guest_list_dir(gu, dir, 100, &files) < 0)
                return log_fail(KPIN_EXIT_DKMS, -ENOENT, "%s: %s: nothing to store in the build cache", gu->image, dir);
        tmp = tmpdir_make("cache");
        if (!tmp)
                return log_fail(KPIN_EXIT_ENVIRONMENT, -errno, "cannot create a directory for the build cache: %m");
        guard = sigguard_add_dir(tmp);
        if (guard < 0) {
                (void) rmdir(tmp);
                return log_fail(KPIN_EXIT_ENVIRONMENT, guard, "%s: cannot guard the build cache's directory: %m", tmp);
        }
        STRV_FOREACH(f, files) {
                _cleanup_free_ char *from = strprintf("%s/%s", dir, *f), *to = strprintf("%s/%s", tmp, *f);

                if (!from || !to || !dkms_name_valid(*f)) {
                        r = from && to ? -EBADMSG : -ENOMEM;
                        goto out;
                }
                if (guestfs_download(gu->g, from, to) < 0) {
                        r = log_fail(KPIN_EXIT_FAILURE, -EIO, "%s: cannot read %s: %s", gu->image, from, guest_last_error(gu));
                        goto out;
                }
                if ((r = strv_extend(&host, to)) < 0)
                        goto out;
        }
        r = build_cache_store(cache, key, key_text, host);
out:
        STRV_FOREACH(h, host)
                (void) unlink(*h);
        (void) rmdir(tmp);
        sigguard_forget_dir(guard);
        return r;
}
