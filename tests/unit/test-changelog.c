/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include "core/changelog.h"
#include "core/kver.h"

/* Shaped like linux-image-6.1.0-57-cloud-amd64's changelog.gz: the signed
 * wrapper's entry (6.1.192+3 = the binary 6.1.192-3) on top of linux's. */
static const char changelog[] =
        "linux-signed-amd64 (6.1.192+3) bookworm-security; urgency=high\n"
        "\n"
        "  * Sign kernel from linux 6.1.192-3\n"
        "\n"
        "  * nfsd: preflight SEQUENCE replies before accepting a slot (CVE-2026-99362)\n"
        "\n"
        " -- Salvatore Bonaccorso <carnil@debian.org>  Thu, 26 Nov 2026 18:12:56 +0100\n"
        "\n"
        "linux (6.1.192-2) bookworm-security; urgency=high\n"
        "\n"
        "  * ext4: fix NULL folio dereference in mballoc (Closes: #1154101)\n"
        "\n"
        " -- Salvatore Bonaccorso <carnil@debian.org>  Mon, 16 Nov 2026 11:17:40 +0100\n"
        "\n"
        "linux (6.1.192-1) bookworm-security; urgency=high\n"
        "\n"
        "  * New upstream stable update:\n"
        "    - io_uring/io-wq: don't lose the signal that ends work (CVE-2026-99228)\n"
        "    - io_uring: don't flood a cancelling task (CVE-2026-99254, CVE-2026-9255)\n"
        "    - again, twice on one line: CVE-2026-99228 CVE-2025-40123\n"
        "    - not IDs: CVE-2026-12, CVE-26-12345, CVE-2026-1234567890123, XCVE-\n"
        "\n"
        " -- Salvatore Bonaccorso <carnil@debian.org>  Sat, 07 Nov 2026 10:00:00 +0100\n"
        "\n"
        "linux (6.1.190-1) bookworm-security; urgency=high\n"
        "\n"
        "  * older fix (CVE-2025-11111)\n"
        "\n"
        " -- Salvatore Bonaccorso <carnil@debian.org>  Sat, 17 Oct 2026 10:00:00 +0100\n"
        "\n"
        "# Older entries have been removed from this changelog.\n";

static void test_fixes_since(void **state) {
        ChangelogFixes f = {};

        (void) state;
        /* 6.1.0-56 (6.1.192-2) -> 57: the signed entry alone */
        assert_int_equal(changelog_fixes(changelog, strlen(changelog), "6.1.192-2", &f), 0);
        assert_true(f.found);
        assert_int_equal(f.n_entries, 1);
        assert_int_equal(f.n_cves, 1);
        assert_string_equal(f.cves[0], "CVE-2026-99362");
        assert_null(f.cves[1]);
        assert_string_equal(f.newest, "6.1.192-3");
        changelog_fixes_done(&f);

        /* 6.1.0-54 (6.1.190-1): three entries, IDs unique, by year then number */
        assert_int_equal(changelog_fixes(changelog, strlen(changelog), "6.1.190-1", &f), 0);
        assert_true(f.found);
        assert_int_equal(f.n_entries, 3);
        assert_int_equal(f.n_cves, 5);
        assert_string_equal(f.cves[0], "CVE-2025-40123");
        assert_string_equal(f.cves[1], "CVE-2026-9255");
        assert_string_equal(f.cves[2], "CVE-2026-99228");
        assert_string_equal(f.cves[3], "CVE-2026-99254");
        assert_string_equal(f.cves[4], "CVE-2026-99362");
        changelog_fixes_done(&f);

        /* the newest itself: nothing newer */
        assert_int_equal(changelog_fixes(changelog, strlen(changelog), "6.1.192-3", &f), 0);
        assert_true(f.found);
        assert_int_equal(f.n_entries, 0);
        assert_null(f.cves);
        changelog_fixes_done(&f);
}

static void test_since_not_in_changelog(void **state) {
        ChangelogFixes f = {};

        (void) state;
        /* older than the changelog keeps (entries removed): no guess */
        assert_int_equal(changelog_fixes(changelog, strlen(changelog), "6.1.15-1", &f), 0);
        assert_false(f.found);
        assert_int_equal(f.n_entries, 4);
        assert_null(f.cves);
        assert_int_equal(f.n_cves, 0);
        changelog_fixes_done(&f);

        /* a version between entries is not one of them */
        assert_int_equal(changelog_fixes(changelog, strlen(changelog), "6.1.191-1", &f), 0);
        assert_false(f.found);
        changelog_fixes_done(&f);
}

static void test_odd_input(void **state) {
        static const char *const odd[] = {
                "",
                "\n\n\n",
                "no entries at all CVE-2026-12345\n",
                "linux (\n",
                "linux ()\n",
                "linux (6.1.192-1\n  * (CVE-2026-12345)",
                "  linux (6.1.192-1) indented is no header\n",
                "linux (6.1.192-1) bookworm; urgency=high\n  * CVE-2026-12345",
        };
        ChangelogFixes f = {};

        (void) state;
        for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
                assert_int_equal(changelog_fixes(odd[i], strlen(odd[i]), "6.1.0-1", &f), 0);
                assert_false(f.found);
                changelog_fixes_done(&f);
        }
        /* the last line without a newline still counts */
        assert_int_equal(changelog_fixes(odd[7], strlen(odd[7]), "6.1.191-1", &f), 0);
        assert_false(f.found);
        assert_int_equal(f.n_entries, 1);
        changelog_fixes_done(&f);
        /* NUL bytes inside a line do not end the text */
        assert_int_equal(changelog_fixes("linux (2) x\n\0CVE-2026-12345\nlinux (1) x\n", 41, "1", &f), 0);
        assert_true(f.found);
        assert_int_equal(f.n_cves, 1);
        assert_string_equal(f.cves[0], "CVE-2026-12345");
        changelog_fixes_done(&f);
}

static void test_binary_version(void **state) {
        char v[128];

        (void) state;
        assert_true(changelog_binary_version("linux-signed-amd64", "6.1.192+3", v, sizeof(v)));
        assert_string_equal(v, "6.1.192-3");
        assert_true(changelog_binary_version("linux", "6.1.192-2", v, sizeof(v)));
        assert_string_equal(v, "6.1.192-2");
        /* a signed version that has a revision already stays */
        assert_true(changelog_binary_version("linux-signed-amd64", "6.12.57+deb13-1", v, sizeof(v)));
        assert_string_equal(v, "6.12.57+deb13-1");
        assert_false(changelog_binary_version("linux", "6.1.192-2", v, 4));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fixes_since),
                cmocka_unit_test(test_since_not_in_changelog),
                cmocka_unit_test(test_odd_input),
                cmocka_unit_test(test_binary_version),
        };
        return cmocka_run_group_tests_name("changelog", tests, NULL, NULL);
}
