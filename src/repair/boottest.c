/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "boottest.h"
#include "core/kver.h"
#include "core/netconf.h"
#include "core/probe.h"
#include "core/unitclass.h"
#include "guest/txn.h"
#include "host/cidata.h"
#include "shared/cleanup.h"
#include "shared/log.h"
#include "shared/strbuf.h"
#include "shared/strv.h"
#include "vm/netswitch.h"

int boot_test_token(char ret[static BOOT_TEST_TOKEN_LEN + 1]) {
        static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
        unsigned char b[BOOT_TEST_TOKEN_LEN];

        if (getrandom(b, sizeof(b), 0) != (ssize_t) sizeof(b))
                return -errno;
        for (size_t i = 0; i < BOOT_TEST_TOKEN_LEN; i++)
                ret[i] = alphabet[b[i] % (sizeof(alphabet) - 1)];
        ret[BOOT_TEST_TOKEN_LEN] = '\0';
        return 0;
}

int boot_test_mac(char ret[static 18]) {
        uint8_t b[3];

        if (getrandom(b, sizeof(b), 0) != (ssize_t) sizeof(b))
                return -errno;
        netconf_mac(b, ret);
        return 0;
}

unsigned boot_test_firmwares(unsigned spec, unsigned supported) {
        unsigned paths = supported & ((1u << FIRMWARE_BIOS) | (1u << FIRMWARE_UEFI));
        unsigned set = spec & ((1u << _FIRMWARE_MAX) - 1);

        if (!paths)
                paths = 1u << FIRMWARE_BIOS; /* nothing known: try what most images have */
        if (spec & FIRMWARE_SPEC_ALL)
                set |= paths;
        if (spec & FIRMWARE_SPEC_AUTO)
                set |= paths & -paths; /* the first: BIOS, else UEFI */
        return set;
}

static const char *probe_value(char * const *probe, const char *key) {
        size_t n = strlen(key);

        STRV_FOREACH(l, probe)
                if (strncmp(*l, key, n) == 0 && (*l)[n] == '=')
                        return *l + n + 1;
        return NULL;
}

/* The value of "KEY=MODULE VALUE" for module m. */
static const char *probe_module_value(char * const *probe, const char *key, const char *m) {
        size_t n = strlen(key), k = strlen(m);

        STRV_FOREACH(l, probe)
                if (strncmp(*l, key, n) == 0 && (*l)[n] == '=' && strncmp(*l + n + 1, m, k) == 0 &&
                    (*l)[n + 1 + k] == ' ')
                        return *l + n + 2 + k;
        return NULL;
}

static int add_check(BootTest *t, bool passed, char *name, char *message) {
        if (!name || (!passed && !message) || t->n_checks >= BOOT_TEST_MAX_CHECKS) {
                free(name);
                free(message);
                return -ENOMEM;
        }
        if (passed)
                message = mfree(message);
        t->checks[t->n_checks++] = (BootCheck) { .name = name, .passed = passed, .message = message };
        t->n_failed += !passed;
        return 0;
}

/* Why module m did not load, in one line with the way out: a signature the
 * kernel refuses (Secure Boot's lockdown) is its own cause. */
static char *module_failure(const BootResult *b, const char *m) {
        const char *err = probe_module_value(b->probe, "module-error", m);
        const char *signer = probe_module_value(b->probe, "module-signer", m);
        const char *key = probe_module_value(b->probe, "module-sig-key", m);

        if (!b->probe_done)
                return strdup("the probe never ran");
        if (err && (strstr(err, "Key was rejected") || strstr(err, "Required key not available") ||
                    strstr(err, "key rejected"))) {
                if (signer && *signer)
                        return strprintf("the kernel refused module %s's signature (signed by '%s', key %s), which it "
                                         "does not trust under Secure Boot: enroll that key as a MOK (--uefi-vars "
                                         "with it enrolled) or sign with a trusted key (--sign-key, --sign-cert)",
                                         m, signer, key && *key ? key : "?");
                return strprintf("the kernel refused module %s: it is not signed, and Secure Boot allows only signed "
                                 "modules: sign it (--sign-key, --sign-cert) with a key the firmware trusts", m);
        }
        if (err && *err)
                return strprintf("modprobe %s failed in the guest: %s", m, err);
        return strprintf("modprobe %s failed in the guest", m);
}

/* Failed units, as the policy says: those that failed only for want of the
 * network's servers are warnings with their reason (or, with
 * network-units = fail, failures all the same). */
static int failed_units_check(BootTest *t, const char *failed_units) {
        const BootResult *b = &t->boot;
        _cleanup_strv_free_ char **other = NULL;
        _cleanup_(strbuf_done) StrBuf msg = {};
        int r;

        if (!b->probe_done)
                return add_check(t, false, strdup("no failed units"), strdup("the probe never ran"));
        if (!failed_units)
                return add_check(t, false, strdup("no failed units"), strdup("failed units: ?"));
        r = unit_split_failed(failed_units, b->probe, t->network_units_fail, &other, &t->unit_warnings);
        if (r < 0)
                return r;
        r = strbuf_puts(&msg, "failed units: ");
        if (r >= 0)
                r = strbuf_join(&msg, other, " ");
        if (r >= 0 && t->network_units_fail && t->unit_warnings)
                r = strbuf_puts(&msg, t->network_units_note ? t->network_units_note
                                                            : " (network-units = fail counts those that need the network's servers)");
        if (r < 0)
                return r;
        return add_check(t, !other, strdup("no failed units"), strbuf_steal(&msg));
}

/* The verdict, check by check, from what the console and the probe said. */
int boot_test_evaluate(BootTest *t, char * const *modules, bool cloud_init) {
        const BootResult *b = &t->boot;
        const char *uname = probe_value(b->probe, "uname");
        const char *running = uname ? uname : b->kernel;
        const char *ci = probe_value(b->probe, "cloud-init");
        const char *addr = probe_value(b->probe, "net-addr");
        const char *expect = t->expect;
        int r;

        r = add_check(t, !b->failure && b->probe_done, strdup("boots"),
                      b->failure ? strdup(b->failure) : b->probe_done ? NULL : strdup("the probe never reported"));
        if (r < 0)
                return r;
        r = add_check(t, running && (!expect || strcmp(running, expect) == 0 || kver_matches(running, expect)),
                      strprintf("kernel %s", expect ? expect : "(GRUB's default)"),
                      !running ? strdup("no kernel banner on the console")
                               : strprintf("booted %s, expected %s", running, expect ? expect : "?"));
        if (r < 0)
                return r;
        STRV_FOREACH(m, modules) {
                _cleanup_free_ char *want = strprintf("module=%s modprobe=ok loaded=yes", *m);

                if (!want)
                        return -ENOMEM;
                r = add_check(t, strv_contains(b->probe, want), strprintf("module %s loads", *m), module_failure(b, *m));
                if (r < 0)
                        return r;
        }
        r = failed_units_check(t, probe_value(b->probe, "failed-units"));
        if (r < 0)
                return r;
        if (addr) {
                size_t n = strcspn(addr, "\n");

                while (n > 0 && addr[n - 1] == ' ')
                        n--;
                if (!(t->guest_addresses = strndup(addr, n)))
                        return -ENOMEM;
        }
        if (ci && !(t->cloud_init = strdup(ci)))
                return -ENOMEM;
        if (!cloud_init)
                return 0;
        return add_check(t, ci && (strcmp(ci, "done") == 0 || strcmp(ci, "disabled") == 0), strdup("cloud-init finishes"),
                         !b->probe_done ? strdup("the probe never ran")
                                        : strprintf("cloud-init status: %s", ci ? ci : "no answer"));
}

void boot_test_done(BootTest *t) {
        boot_result_done(&t->boot);
        free(t->expect);
        free(t->cloud_init);
        strv_free(t->unit_warnings);
        free(t->guest_addresses);
        for (size_t i = 0; i < t->n_checks; i++) {
                free(t->checks[i].name);
                free(t->checks[i].message);
        }
        *t = (BootTest) {};
}

void boot_tests_done(BootTests *t) {
        for (size_t i = 0; i < t->n; i++)
                boot_test_done(&t->boots[i]);
        free(t->boots);
        *t = (BootTests) {};
}

static int boot_once(const BootTarget *tg, const Plan *pl, bool kvm, Firmware fw, const char *seed,
                     char * const *creds, const char *net_switch, BootTest *t) {
        _cleanup_(txn_freep) Txn *overlay = NULL;
        int r;

        *t = (BootTest) { .firmware = fw, .kvm = kvm, .network_units_fail = pl->network_units_fail,
                          .address = tg->mac ? NETCONF_BOOT_ADDRESS : NULL, .net_form = tg->mac ? tg->net_form : "none" };
        if (tg->mac)
                snprintf(t->mac, sizeof(t->mac), "%s", tg->mac);
        t->expect = pl->expect_kernel ? strdup(pl->expect_kernel) : tg->grub_kernel ? strdup(tg->grub_kernel) : NULL;
        if ((pl->expect_kernel || tg->grub_kernel) && !t->expect)
                return -ENOMEM;
        /* each boot writes (a journal, cloud-init's state): into its own throw-away overlay */
        r = txn_begin(tg->disk, tg->format, NULL, false, &overlay);
        if (r < 0)
                return r;
        log_info("booting %s (%s, %s)", tg->name, firmware_label(fw), kvm ? "KVM" : "TCG");
        r = vm_boot(&(BootOptions) {
                            .disk = overlay->overlay,
                            .kvm = kvm,
                            .firmware = fw,
                            .memory_mb = pl->memory_mb,
                            .smp = qemu_vcpus(sysconf(_SC_NPROCESSORS_ONLN), 1),
                            .timeout_s = pl->timeout_s,
                            .token = tg->token,
                            .expect_kernel = t->expect,
                            .serial_log = pl->serial_log,
                            .uefi_vars = fw != FIRMWARE_BIOS ? pl->uefi_vars : NULL,
                            .seed = seed,
                            .smbios_strings = creds,
                            .net_switch = net_switch,
                            .mac = tg->mac,
                    },
                    &t->boot);
        if (r < 0)
                return r;
        return boot_test_evaluate(t, pl->expect_modules, tg->cloud_init);
}

int boot_tests_run(const BootTarget *tg, const Plan *pl, bool kvm, BootTests *ret) {
        _cleanup_(boot_tests_done) BootTests res = {};
        _cleanup_strv_free_ char **creds = NULL;
        _cleanup_(cidata_freep) Cidata *seed = NULL;
        _cleanup_(netswitch_stopp) NetSwitch *sw = NULL;
        _cleanup_free_ char *network_config = NULL;
        unsigned set = boot_test_firmwares(pl->firmware, tg->firmwares);
        int r;

        if (!tg->probe_in_disk) {
                r = probe_smbios_credentials(tg->token, pl->expect_modules, tg->networkd, &creds);
                if (r < 0)
                        return r == -EINVAL ? log_fail(KPIN_EXIT_USAGE, r, "--expect-module: not module names") : r;
        }
        if (tg->mac) {
                /* a segment of its own, as a node has one: its network units come
                 * up instead of waiting for a NIC that is not there */
                r = netswitch_start(&sw);
                if (r < 0)
                        return r;
                if (tg->cloud_init && (r = netconf_cloud_init(tg->mac, NETCONF_BOOT_ADDRESS, &network_config)) < 0)
                        return r;
        }
        if (tg->cloud_init) {
                r = cidata_make(tg->token, network_config, &seed);
                if (r < 0)
                        return r;
        }
        res.boots = calloc(_FIRMWARE_MAX, sizeof(BootTest));
        if (!res.boots)
                return -ENOMEM;
        for (Firmware fw = 0; fw < _FIRMWARE_MAX; fw++) {
                if (!(set & (1u << fw)))
                        continue;
                r = boot_once(tg, pl, kvm, fw, seed ? seed->path : NULL, creds, sw ? sw->sock : NULL, &res.boots[res.n]);
                res.n++;
                if (r < 0)
                        return r;
                res.n_failed += res.boots[res.n - 1].n_failed > 0;
        }
        *ret = res;
        res = (BootTests) {};
        return 0;
}

char *boot_tests_first_failure(const BootTests *t) {
        for (size_t i = 0; i < t->n; i++)
                for (size_t j = 0; j < t->boots[i].n_checks; j++)
                        if (!t->boots[i].checks[j].passed)
                                return t->n > 1 ? strprintf("%s: %s", firmware_label(t->boots[i].firmware),
                                                            t->boots[i].checks[j].message)
                                                : strdup(t->boots[i].checks[j].message);
        return NULL;
}
