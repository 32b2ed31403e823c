/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include "core/console.h"
#include "shared/strv.h"

/* Events as "type arg" lines, in order. */
typedef struct Seen {
        char **events;
} Seen;

static void record(void *userdata, ConsoleEventType type, const char *arg) {
        Seen *s = userdata;
        char *e = strprintf("%s %s", console_event_to_string(type), arg);

        assert_non_null(e);
        assert_int_equal(strv_consume(&s->events, e), 0);
}

/* Feeds data in chunks of `chunk` bytes (0: all at once). */
static char **run(const char *data, size_t len, size_t chunk, const char *token) {
        ConsoleMatcher *m = malloc(sizeof(ConsoleMatcher));
        Seen s = {};

        assert_non_null(m);
        assert_int_equal(console_init(m, token, record, &s), 0);
        for (size_t off = 0; off < len;) {
                size_t n = chunk && chunk < len - off ? chunk : len - off;

                console_feed(m, data + off, n);
                off += n;
        }
        console_finish(m);
        free(m);
        return s.events;
}

static bool has_prefix_event(char **events, const char *prefix) {
        STRV_FOREACH(e, events)
                if (startswith(*e, prefix))
                        return true;
        return false;
}

/* A real boot of the pinned image: GRUB loads 6.1, the kernel says so,
 * systemd starts, a login prompt; the same events whatever the chunking. */
static void test_good_boot(void **state) {
        size_t len;
        char *log = read_data("console-good-6.1.log", &len);
        const size_t chunks[] = { 0, 1, 7, 512, 4096 };
        char **first = NULL;

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(chunks); i++) {
                char **ev = run(log, len, chunks[i], "abc123");

                assert_true(strv_length(ev) >= 4);
                assert_string_equal(ev[0], "grub-loading 6.1.0-56-cloud-amd64");
                assert_string_equal(ev[1], "kernel 6.1.0-56-cloud-amd64");
                assert_true(startswith(ev[2], "userspace systemd[1]: "));
                assert_true(has_prefix_event(ev, "login "));
                assert_false(has_prefix_event(ev, "panic"));
                assert_false(has_prefix_event(ev, "emergency"));
                assert_false(has_prefix_event(ev, "grub-error"));
                if (!first)
                        first = ev;
                else {
                        assert_int_equal(strv_length(ev), strv_length(first));
                        for (size_t k = 0; ev[k]; k++)
                                assert_string_equal(ev[k], first[k]);
                        strv_free(ev);
                }
        }
        strv_free(first);
        free(log);
}

/* The broken image boots 6.12: the matcher reports it, the verdict is the
 * caller's. */
static void test_other_kernel(void **state) {
        size_t len;
        char *log = read_data("console-good-6.12.log", &len);
        char **ev = run(log, len, 100, "abc123");

        (void) state;
        assert_true(startswith(ev[0], "grub-loading 6.12."));
        assert_true(startswith(ev[1], "kernel 6.12."));
        strv_free(ev);
        free(log);
}

/* The probe's markers count only with this boot's token. */
static void test_probe(void **state) {
        static const char t[] = "\033[0;1;39mKPIN-PROBE-BEGIN tok9\r\n"
                                "KPIN-PROBE tok9 uname=6.1.0-56-cloud-amd64\r\n"
                                "KPIN-PROBE other uname=6.12.1-forged\r\n"
                                "[   12.1] kpin-probe[311]: KPIN-PROBE tok9 module.canary=loaded\r\n"
                                "KPIN-PROBE tok9 failed-units=0\r\n"
                                "KPIN-PROBE-END tok9\r\n";
        char **ev = run(t, strlen(t), 3, "tok9");
        ConsoleMatcher m;

        (void) state;
        assert_int_equal(strv_length(ev), 5);
        assert_string_equal(ev[0], "probe-begin ");
        assert_string_equal(ev[1], "probe uname=6.1.0-56-cloud-amd64");
        assert_string_equal(ev[2], "probe module.canary=loaded");
        assert_string_equal(ev[3], "probe failed-units=0");
        assert_string_equal(ev[4], "probe-end ");
        strv_free(ev);

        assert_int_equal(console_init(&m, "", NULL, NULL), -EINVAL);
        assert_int_equal(console_init(&m, "a b", NULL, NULL), -EINVAL);
        assert_int_equal(console_init(&m, "../x", NULL, NULL), -EINVAL);
}

/* Failure markers, and prompts that never end in a newline. */
static void test_failures(void **state) {
        static const char grub[] = "\033[2J\033[1;1HBooting `Debian GNU/Linux'\r\n\r\n"
                                   "error: file `/boot/vmlinuz-6.1.0-56-cloud-amd64' not found.\r\n"
                                   "error: you need to load the kernel first.\r\n\r\n"
                                   "Press any key to continue...";
        static const char panic[] = "Loading Linux 6.12.117+deb13-cloud-amd64 ...\r\n"
                                    "[    0.000000] Linux version 6.12.117+deb13-cloud-amd64 (x)\r\n"
                                    "[    1.10] error: not a GRUB line once the kernel runs\r\n"
                                    "[    1.23] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\r\n";
        static const char initramfs[] = "[    0.000000] Linux version 6.1.0-56-cloud-amd64 (x)\r\n"
                                        "ALERT!  UUID=0000 does not exist.  Dropping to a shell!\r\n"
                                        "(initramfs) ";
        static const char emergency[] = "[    0.000000] Linux version 6.1.0-56-cloud-amd64 (x)\r\n"
                                        "\033[0;1;39mWelcome to \033[0mDebian GNU/Linux 13 (trixie)!\r\n"
                                        "You are in emergency mode. After logging in, type \"journalctl -xb\"\r\n";
        char **ev;

        (void) state;
        ev = run(grub, strlen(grub), 5, "t");
        assert_int_equal(strv_length(ev), 3);
        assert_string_equal(ev[0], "grub-error error: file `/boot/vmlinuz-6.1.0-56-cloud-amd64' not found.");
        assert_string_equal(ev[2], "grub-stuck Press any key to continue...");
        strv_free(ev);

        ev = run(panic, strlen(panic), 0, "t");
        assert_int_equal(strv_length(ev), 3);
        assert_string_equal(ev[2], "panic Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)");
        strv_free(ev);

        ev = run(initramfs, strlen(initramfs), 1, "t");
        assert_int_equal(strv_length(ev), 3);
        assert_string_equal(ev[1], "emergency Dropping to a shell!");
        assert_string_equal(ev[2], "emergency (initramfs) ");
        strv_free(ev);

        ev = run(emergency, strlen(emergency), 2, "t");
        assert_int_equal(strv_length(ev), 3);
        assert_true(startswith(ev[1], "userspace Welcome to Debian"));
        assert_true(startswith(ev[2], "emergency You are in emergency mode"));
        strv_free(ev);
}

/* Real captures of broken boots of the trixie fixture under QEMU: its
 * initramfs removed, a missing /data device in fstab, grub.cfg pointing
 * at a missing kernel, a root UUID that does not exist. */
static void test_real_failures(void **state) {
        static const struct {
                const char *file;
                const char *event;
        } cases[] = {
                { "console-panic-no-initramfs.log", "panic Kernel panic - not syncing: VFS: Unable to mount root fs" },
                { "console-emergency-fstab.log", "emergency You are in emergency mode" },
                { "console-grub-error.log", "grub-stuck " },
                { "console-initramfs-shell.log", "emergency Dropping to a shell!" },
        };

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                size_t len;
                char *log = read_data(cases[i].file, &len);
                char **ev = run(log, len, 333, "abc123");
                const char *bad = NULL;

                /* the first failure event is the expected one */
                STRV_FOREACH(e, ev)
                        if (!bad && (startswith(*e, "panic") || startswith(*e, "emergency") || startswith(*e, "grub-stuck")))
                                bad = *e;
                if (!bad || !startswith(bad, cases[i].event))
                        fail_msg("%s: first failure event '%s', expected '%s'", cases[i].file, bad ? bad : "(none)",
                                 cases[i].event);
                assert_false(has_prefix_event(ev, "probe"));
                strv_free(ev);
                free(log);
        }
        {
                /* GRUB's errors are there, in order: the missing kernel, then the refusal */
                size_t len;
                char *log = read_data("console-grub-error.log", &len);
                char **ev = run(log, len, 0, "abc123");

                assert_int_equal(strv_length(ev), 4);
                assert_string_equal(ev[0], "grub-loading 6.12.117+deb13-cloud-amd64");
                assert_string_equal(ev[1], "grub-error error: file `/boot/vmlinuz-missing-6.12.117+deb13-cloud-amd64' not found.");
                assert_string_equal(ev[2], "grub-error error: you need to load the kernel first.");
                assert_string_equal(ev[3], "grub-stuck Press any key to continue...");
                strv_free(ev);
                free(log);
        }
        {
                /* a missing initrd is a GRUB error too, but the kernel still boots and panics */
                size_t len;
                char *log = read_data("console-panic-no-initramfs.log", &len);
                char **ev = run(log, len, 0, "abc123");

                assert_true(has_prefix_event(ev, "grub-error error: file `/boot/initrd.img-"));
                assert_false(has_prefix_event(ev, "grub-stuck"));
                assert_true(has_prefix_event(ev, "kernel 6.12."));
                strv_free(ev);
                free(log);
        }
}

/* A line longer than the buffer is cut, not overflowed; binary noise is
 * dropped. */
static void test_garbage(void **state) {
        char *big = malloc(3 * CONSOLE_LINE_MAX + 64);
        char **ev;

        (void) state;
        assert_non_null(big);
        memset(big, 'x', 3 * CONSOLE_LINE_MAX);
        strcpy(big + 3 * CONSOLE_LINE_MAX, "\nLinux version 6.1.0-1-amd64 x\n\001\002\377\033");
        ev = run(big, strlen(big), 1000, "t");
        assert_int_equal(strv_length(ev), 1);
        assert_string_equal(ev[0], "kernel 6.1.0-1-amd64");
        strv_free(ev);
        free(big);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_good_boot),
                cmocka_unit_test(test_other_kernel),
                cmocka_unit_test(test_probe),
                cmocka_unit_test(test_failures),
                cmocka_unit_test(test_real_failures),
                cmocka_unit_test(test_garbage),
        };
        return cmocka_run_group_tests_name("console", tests, NULL, NULL);
}
