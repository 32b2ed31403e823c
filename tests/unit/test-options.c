/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include "core/options.h"
#include "shared/strv.h"

/* The table is sound: each long and short name once, a help line for
 * everything a person can type, an argument exactly where a value is
 * taken, profile keys only in known sections and never twice. */
static void test_table(void **state) {
        static const char *const sections[] = { "image", "kernel", "dkms", "boot-test", "forecast" };

        (void) state;
        assert_true(n_option_specs > 40);
        for (size_t i = 0; i < n_option_specs; i++) {
                const OptionSpec *s = &option_specs[i];
                bool known = false;

                assert_non_null(s->help);
                assert_non_null(s->help_group);
                assert_true(s->name || s->short_name || s->key);
                assert_true(s->verbs < (1u << _VERB_MAX));
                if (s->kind == OPTK_FLAG)
                        assert_null(s->metavar);
                if (s->kind == OPTK_STRING || s->kind == OPTK_LIST || s->kind == OPTK_SECONDS ||
                    s->kind == OPTK_MEGABYTES || s->kind == OPTK_FIRMWARE)
                        assert_non_null(s->metavar);
                if (s->kind != OPTK_GLOBAL && s->kind != OPTK_KEY)
                        assert_true(s->verbs != 0 && s->group != 0);
                for (size_t j = i + 1; j < n_option_specs; j++) {
                        const OptionSpec *t = &option_specs[j];

                        if (s->name && t->name)
                                assert_string_not_equal(s->name, t->name);
                        if (s->short_name)
                                assert_int_not_equal(s->short_name, t->short_name);
                        if (s->key && t->key && strcmp(s->section, t->section) == 0)
                                assert_string_not_equal(s->key, t->key);
                }
                for (size_t k = 0; s->key && k < ELEMENTSOF(sections); k++)
                        known = known || strcmp(s->section, sections[k]) == 0;
                assert_true(!s->key || known);
        }
        assert_ptr_equal(option_find("firmware"), option_find("firmware"));
        assert_null(option_find("firmwre"));
        assert_int_equal(option_find_short('o')->group, OPT_OUTPUT);
}

/* A value is checked when it is taken, by the check the profile's key
 * gets, with the option named. */
static void test_set(void **state) {
        Options o = {};
        char *why = NULL;

        (void) state;
        assert_int_equal(option_set(option_find("timeout"), "120", &o, &why), 0);
        assert_int_equal(o.timeout_s, 120);
        assert_true(o.used & OPT_TIMEOUT);
        assert_int_equal(option_set(option_find("timeout"), "0", &o, &why), -EINVAL);
        assert_string_equal(why, "--timeout: '0' is not a number of seconds from 1 to 86400");
        free(why);
        assert_int_equal(option_set(option_find("memory"), "100", &o, &why), -EINVAL);
        assert_string_equal(why, "--memory: '100' is not a number of MiB from 256 to 65536");
        free(why);
        assert_int_equal(option_set(option_find("firmware"), "bios,uefi", &o, &why), 0);
        assert_int_equal(o.firmware, (1u << FIRMWARE_BIOS) | (1u << FIRMWARE_UEFI));
        assert_int_equal(option_set(option_find("firmware"), "efi", &o, &why), -EINVAL);
        assert_string_equal(why, "--firmware: 'efi' is not auto, all or a list of bios, uefi and uefi-secure");
        free(why);
        assert_int_equal(option_set(option_find("mirror"), "ftp://x", &o, &why), -EINVAL);
        free(why);
        assert_int_equal(option_set(option_find("module"), "beegfs/7.4.4", &o, &why), 0);
        assert_int_equal(option_set(option_find("module"), "canary", &o, &why), 0);
        assert_int_equal(strv_length(o.modules), 2);
        assert_int_equal(option_set(option_find("no-hold"), NULL, &o, &why), 0);
        assert_false(o.hold);
        assert_true(o.used & OPT_HOLD);
        assert_int_equal(option_set(option_find_short('d'), "kdir", &o, &why), 0);
        assert_string_equal(o.dest, "kdir");
        /* the same words a profile gets for the same value */
        why = option_check_value(KEY_SECONDS, "0");
        assert_string_equal(why, "'0' is not a number of seconds from 1 to 86400");
        free(why);
        assert_null(option_check_value(KEY_SECONDS, "86400"));
        options_done(&o);
}

static void test_help(void **state) {
        char *all = options_help(-1), *boot = options_help(VERB_BOOT_TEST);

        (void) state;
        for (size_t i = 0; i < n_option_specs; i++)
                if (option_specs[i].name) {
                        char want[64];

                        snprintf(want, sizeof(want), "--%s", option_specs[i].name);
                        assert_non_null(strstr(all, want));
                }
        assert_non_null(strstr(all, "\nOptions of dkms (and repair):\n"));
        assert_non_null(strstr(boot, "--timeout S"));
        assert_non_null(strstr(boot, "\nGlobal options:\n"));
        assert_null(strstr(boot, "--kernel"));
        assert_null(strstr(boot, "--profile"));
        free(all);
        free(boot);
}

/* What the man page and README must name: each option (roff escapes its
 * hyphens) and each profile key. */
static void test_documented(void **state) {
        size_t len;
        char *man = read_file_or_die("man/kpin.1", &len), *readme = read_file_or_die("README.md", &len);

        (void) state;
        for (size_t i = 0; i < n_option_specs; i++) {
                const OptionSpec *s = &option_specs[i];
                char plain[80], roff[160];
                size_t k = 0;

                if (s->name)
                        snprintf(plain, sizeof(plain), "--%s", s->name);
                else if (s->short_name)
                        snprintf(plain, sizeof(plain), "-%c", s->short_name);
                else
                        snprintf(plain, sizeof(plain), "%s", s->key);
                for (const char *p = plain; *p && k + 3 < sizeof(roff); p++) {
                        if (*p == '-')
                                roff[k++] = '\\';
                        roff[k++] = *p;
                }
                roff[k] = '\0';
                if (!strstr(man, roff))
                        fail_msg("man/kpin.1 does not name %s", plain);
                if (!strstr(readme, plain))
                        fail_msg("README.md does not name %s", plain);
                if (s->key) {
                        char key_line[80];

                        /* the README's profile example has each key as "key = " */
                        snprintf(key_line, sizeof(key_line), "\n%s = ", s->key);
                        if (!strstr(readme, key_line))
                                fail_msg("README.md's profile example lacks [%s] %s", s->section, s->key);
                }
        }
        free(man);
        free(readme);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_table),
                cmocka_unit_test(test_set),
                cmocka_unit_test(test_help),
                cmocka_unit_test(test_documented),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
