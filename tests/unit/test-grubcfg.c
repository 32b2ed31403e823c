/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include "core/grubcfg.h"
#include "shared/strv.h"

#define UUID "6d5a5b05-9f1a-4183-96c2-819c4f33ed90"
#define K612 "6.12.117+deb13-cloud-amd64"
#define K61 "6.1.0-56-cloud-amd64"

static GrubConfig *parse_data(const char *name) {
        GrubConfig *c = NULL;
        size_t len;
        char *text = read_data(name, &len);

        assert_int_equal(grubcfg_parse(text, len, &c), 0);
        free(text);
        return c;
}

static GrubConfig *parse_str(const char *text) {
        GrubConfig *c = NULL;

        assert_int_equal(grubcfg_parse(text, strlen(text), &c), 0);
        return c;
}

/* Resolves value and checks the kernel it boots, the id path and fallback. */
static void expect(const GrubConfig *c, const char *value, const char *kernel, const char *id_path, bool fallback) {
        GrubResolution r = {};

        assert_int_equal(grubcfg_resolve(c, value, &r), 0);
        if (kernel)
                assert_string_equal(grub_entry_kernel_release(r.entry), kernel);
        if (id_path)
                assert_string_equal(r.id_path, id_path);
        if (r.fallback != fallback)
                fail_msg("'%s': fallback=%d, want %d (%s)", value, r.fallback, fallback, r.problem ? r.problem : "");
        assert_true(fallback == (r.problem != NULL));
        grub_resolution_done(&r);
}

static void test_real_trixie_tree(void **state) {
        GrubConfig *c = parse_data("trixie-grub.cfg");
        const GrubEntry *top, *sub;

        (void) state;
        /* 'Debian GNU/Linux', the Advanced submenu, and 30_uefi-firmware's entry */
        assert_int_equal(c->root.n_children, 3);
        top = c->root.children[0];
        assert_string_equal(top->title, "Debian GNU/Linux");
        assert_string_equal(top->id, "gnulinux-simple-" UUID);
        assert_false(top->submenu);
        assert_string_equal(top->linux_path, "/boot/vmlinuz-" K612);
        assert_string_equal(top->initrd, "/boot/initrd.img-" K612);
        assert_non_null(strstr(top->linux_args, "root=UUID=" UUID));
        assert_non_null(strstr(top->linux_args, "console=ttyS0,115200n8"));

        sub = c->root.children[1];
        assert_true(sub->submenu);
        assert_string_equal(sub->id, "gnulinux-advanced-" UUID);
        assert_int_equal(sub->n_children, 2);
        assert_string_equal(sub->children[1]->id, "gnulinux-" K612 "-recovery-" UUID);
        assert_string_equal(c->root.children[2]->id, "uefi-firmware");
        /* functions (load_video, savedefault) define no menu entries */
        grubcfg_free(c);
}

static void test_effective_default(void **state) {
        GrubConfig *c = parse_data("trixie-grub.cfg");
        char *v;
        const char *src;
        char **env = NULL;

        (void) state;
        /* Debian: `set default="${next_entry}"` ... else `set default="0"` */
        assert_int_equal(strv_length(c->default_values), 2);
        assert_int_equal(grubcfg_effective_default(c, NULL, &v, &src), 0);
        assert_string_equal(v, "0");
        assert_string_equal(src, "grub.cfg");
        free(v);

        /* a one-shot next_entry in grubenv wins */
        assert_int_equal(strv_extend(&env, "next_entry=1>1"), 0);
        assert_int_equal(grubcfg_effective_default(c, env, &v, &src), 0);
        assert_string_equal(v, "1>1");
        assert_non_null(strstr(src, "next_entry"));
        free(v);
        strv_free(env);
        grubcfg_free(c);

        /* GRUB_DEFAULT=saved */
        c = parse_str("set default=\"${saved_entry}\"\nmenuentry 'A' { linux /boot/vmlinuz-6.1.0-56-cloud-amd64 }\n");
        env = NULL;
        assert_int_equal(grubcfg_effective_default(c, NULL, &v, &src), 0);
        assert_string_equal(v, "0"); /* empty saved_entry: GRUB boots entry 0 */
        free(v);
        assert_int_equal(strv_extend(&env, "saved_entry=gnulinux-advanced-X>gnulinux-6.1-advanced-X"), 0);
        assert_int_equal(grubcfg_effective_default(c, env, &v, &src), 0);
        assert_string_equal(v, "gnulinux-advanced-X>gnulinux-6.1-advanced-X");
        assert_string_equal(src, "grubenv saved_entry");
        free(v);
        strv_free(env);
        grubcfg_free(c);

        /* no `set default` at all */
        c = parse_str("menuentry 'A' { true }\n");
        assert_int_equal(grubcfg_effective_default(c, NULL, &v, &src), 0);
        assert_string_equal(v, "0");
        free(v);
        grubcfg_free(c);
}

static void test_resolve_two_kernels(void **state) {
        GrubConfig *c = parse_data("two-kernels-grub.cfg");

        (void) state;
        /* numbers, ids, titles and '>' paths mixing them */
        expect(c, "0", K612, "gnulinux-simple-" UUID, false);
        expect(c, "1>0", K612, "gnulinux-advanced-" UUID ">gnulinux-" K612 "-advanced-" UUID, false);
        expect(c, "1>2", K61, "gnulinux-advanced-" UUID ">gnulinux-" K61 "-advanced-" UUID, false);
        expect(c, "gnulinux-advanced-" UUID ">gnulinux-" K61 "-advanced-" UUID, K61, NULL, false);
        expect(c, "Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux " K61, K61,
               "gnulinux-advanced-" UUID ">gnulinux-" K61 "-advanced-" UUID, false);
        expect(c, "1>gnulinux-" K61 "-recovery-" UUID, K61, NULL, false);
        expect(c, "gnulinux-simple-" UUID, K612, NULL, false);

        /* what GRUB does with values that do not match */
        expect(c, "gnulinux-6.6.0-advanced-" UUID, K612, "gnulinux-simple-" UUID, true);
        expect(c, "7", K612, NULL, true);
        /* inside the submenu, an unknown entry falls back to the submenu's first */
        expect(c, "1>nope", K612, "gnulinux-advanced-" UUID ">gnulinux-" K612 "-advanced-" UUID, true);
        /* a submenu is not an entry; an entry has no children */
        expect(c, "1", K612, NULL, true);
        expect(c, "0>1", K612, NULL, true);
        grubcfg_free(c);
}

static void test_resolve_empty_menu(void **state) {
        GrubConfig *c = parse_str("set default=0\n");
        GrubResolution r = {};

        (void) state;
        assert_int_equal(grubcfg_resolve(c, "0", &r), -ENOENT);
        grubcfg_free(c);
}

static void test_lexing(void **state) {
        GrubConfig *c;

        (void) state;
        /* quotes, escapes, $menuentry_id_option, --id=, comments, ';' */
        c = parse_str("# comment { not a brace\n"
                      "menuentry 'It'\\''s \"odd\"' --class x --id=one { linux /vmlinuz-6.6.58 quiet; initrd /initrd.img-6.6.58 }\n"
                      "menuentry \"dq \\\"x\\\" \\$y\" $menuentry_id_option two {\n"
                      "  linux16 /boot/vmlinuz-6.1.0-1-amd64\\\n root=/dev/sda1\n"
                      "}\n"
                      "submenu 'S' --hotkey s { menuentry 'inner' --id in { linuxefi /boot/vmlinuz-6.12.1 } }\n");
        assert_int_equal(c->root.n_children, 3);
        assert_string_equal(c->root.children[0]->title, "It's \"odd\"");
        assert_string_equal(c->root.children[0]->id, "one");
        assert_string_equal(c->root.children[0]->linux_path, "/vmlinuz-6.6.58");
        assert_string_equal(c->root.children[0]->linux_args, "quiet");
        assert_string_equal(c->root.children[0]->initrd, "/initrd.img-6.6.58");
        assert_string_equal(grub_entry_kernel_release(c->root.children[0]), "6.6.58");
        assert_string_equal(c->root.children[1]->title, "dq \"x\" $y");
        assert_string_equal(c->root.children[1]->id, "two");
        assert_string_equal(c->root.children[1]->linux_args, "root=/dev/sda1");
        assert_string_equal(c->root.children[2]->children[0]->id, "in");
        expect(c, "S>in", "6.12.1", "S>in", false);
        grubcfg_free(c);

        /* `set default` inside an entry or a function does not set the menu default */
        c = parse_str("function f { set default=3 }\nmenuentry a { set default=2 }\nset default=\"a\"\n");
        assert_int_equal(strv_length(c->default_values), 1);
        assert_string_equal(c->default_values[0], "a");
        grubcfg_free(c);

        /* an entry that boots no Linux */
        c = parse_str("menuentry 'UEFI Firmware Settings' { fwsetup }\n");
        assert_null(grub_entry_kernel_release(c->root.children[0]));
        grubcfg_free(c);
}

static void test_malformed(void **state) {
        static const char * const bad[] = {
                "menuentry 'a' {\n linux /boot/vmlinuz-1.0\n",   /* unclosed */
                "}\n",                                          /* stray */
                "menuentry 'a {\n}\n",                           /* unterminated quote */
                "menuentry \"a {\n}\n",
                "set x=${foo\n",
        };
        GrubConfig *c;
        char deep[4096] = "";

        (void) state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(grubcfg_parse(bad[i], strlen(bad[i]), &c), -EBADMSG);
        for (int i = 0; i < 100; i++)
                strcat(deep, "submenu s {\n");
        assert_int_equal(grubcfg_parse(deep, strlen(deep), &c), -EBADMSG);
}

static void test_grubenv(void **state) {
        static const char env_text[] = "# GRUB Environment Block\n"
                                       "saved_entry=gnulinux-advanced-X>gnulinux-6.1-advanced-X\n"
                                       "next_entry=\n"
                                       "##########################################";
        char **env = NULL;

        (void) state;
        assert_int_equal(grubenv_parse(env_text, strlen(env_text), &env), 0);
        assert_int_equal(strv_length(env), 2);
        assert_string_equal(grubenv_get(env, "saved_entry"), "gnulinux-advanced-X>gnulinux-6.1-advanced-X");
        assert_string_equal(grubenv_get(env, "next_entry"), "");
        assert_null(grubenv_get(env, "saved"));
        strv_free(env);
}

static void test_debian_id_path(void **state) {
        GrubConfig *c = parse_data("trixie-grub.cfg");
        char *p;

        (void) state;
        assert_int_equal(grub_debian_id_path(c, K61, &p), 0);
        assert_string_equal(p, "gnulinux-advanced-" UUID ">gnulinux-" K61 "-advanced-" UUID);
        free(p);
        grubcfg_free(c);

        /* the path we build is the one the regenerated config resolves to 6.1 */
        c = parse_data("two-kernels-grub.cfg");
        assert_int_equal(grub_debian_id_path(c, K61, &p), 0);
        expect(c, p, K61, p, false);
        free(p);
        grubcfg_free(c);

        /* without the submenu (GRUB_DISABLE_SUBMENU), the simple id gives the UUID */
        c = parse_str("menuentry 'D' --id gnulinux-simple-U { linux /boot/vmlinuz-6.1 }\n");
        assert_int_equal(grub_debian_id_path(c, "6.1", &p), 0);
        assert_string_equal(p, "gnulinux-advanced-U>gnulinux-6.1-advanced-U");
        free(p);
        grubcfg_free(c);

        c = parse_str("menuentry 'custom' { linux /boot/vmlinuz-6.1 }\n");
        assert_int_equal(grub_debian_id_path(c, "6.1", &p), -ENOENT);
        grubcfg_free(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_real_trixie_tree),
                cmocka_unit_test(test_effective_default),
                cmocka_unit_test(test_resolve_two_kernels),
                cmocka_unit_test(test_resolve_empty_menu),
                cmocka_unit_test(test_lexing),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_grubenv),
                cmocka_unit_test(test_debian_id_path),
        };
        return cmocka_run_group_tests_name("grubcfg", tests, NULL, NULL);
}
