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
#include "shared/strv.h"
#include "shared/unaligned.h"

bool dkms_signed_by(const ModSig *have, const ModSig *want) {
        return !want || (have->key_id && strcmp(have->key_id, want->key_id) == 0 && strcmp(have->signer, want->signer) == 0);
}

const char *dkms_signer_name(const ModSig *s) {
        return s->key_id ? s->signer : "nobody (unsigned)";
}

/* Whom the guest's DKMS signs with: the site's key, else its own mok.pub
 * (NULL, empty: nobody). */
int dkms_guest_signer(Guest *gu, const DkmsRequest *req, ModSig *ret) {
        _cleanup_free_ char *der = NULL;
        size_t len;

        if (req->signer)
                return (ret->signer = strdup(req->signer->signer)) && (ret->key_id = strdup(req->signer->key_id)) ? 0 : -ENOMEM;
        if (guest_read_file(gu, "/var/lib/dkms/mok.pub", 64 * 1024, &der, &len) < 0)
                return 0;
        (void) x509_signer(der, len, ret);
        return 0;
}

/* Signs a module file in the guest as DKMS would: the kernel's sign-file,
 * its CONFIG_MODULE_SIG_HASH, the site's key or DKMS's own. */
int dkms_sign_in_guest(Guest *gu, const DkmsRequest *req, const char *kver, const char *path) {
        _cleanup_free_ char *config = strprintf("/lib/modules/%s/build/.config", kver), *text = NULL, *hash = NULL;
        _cleanup_free_ char *kbuild = NULL, *sign_file = NULL;
        unsigned major = 0, minor = 0;
        size_t len;

        if (!config)
                return -ENOMEM;
        if (guest_read_file(gu, config, 2u << 20, &text, &len) < 0)
                return -ENOENT;
        {
                const char *h = strstr(text, "\nCONFIG_MODULE_SIG_HASH=\"");

                if (!h)
                        return -ENOENT; /* the kernel does not sign modules */
                h += strlen("\nCONFIG_MODULE_SIG_HASH=\"");
                hash = strndup(h, strcspn(h, "\"\n"));
        }
        if (!hash || !dkms_name_valid(hash))
                return hash ? -EBADMSG : -ENOMEM;
        (void) sscanf(kver, "%u.%u", &major, &minor);
        kbuild = strprintf("/usr/lib/linux-kbuild-%u.%u/scripts/sign-file", major, minor);
        if (kbuild && guest_is_file(gu, kbuild))
                sign_file = TAKE_PTR(kbuild);
        else
                sign_file = strprintf("/lib/modules/%s/build/scripts/sign-file", kver);
        if (!sign_file)
                return -ENOMEM;
        {
                char *argv[] = { sign_file, hash, (char *) (req->sign_key ? req->sign_key : "/var/lib/dkms/mok.key"),
                                 (char *) (req->sign_cert ? req->sign_cert : "/var/lib/dkms/mok.pub"), (char *) path, NULL };

                return guest_run_checked(gu, argv, NULL, KPIN_EXIT_DKMS, NULL, "signing the cached module");
        }
}
