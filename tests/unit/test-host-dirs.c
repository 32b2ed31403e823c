/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include <sys/stat.h>
#include <unistd.h>

#include "host/buildcache.h"
#include "host/cidata.h"
#include "host/pkgdir.h"
#include "shared/log.h"
#include "shared/sigguard.h"
#include "shared/spawn.h"
#include "shared/strv.h"

/* A directory of its own under $TMPDIR (or /var/tmp) for one test. */
static char *scratch(void) {
        char *d = strprintf("%s/kpin-unit-XXXXXX", host_tmpdir());

        assert_non_null(d);
        assert_non_null(mkdtemp(d));
        return d;
}

static void remove_scratch(char *d) {
        assert_int_equal(sigguard_remove_tree(d, 6), 0);
        assert_int_equal(access(d, F_OK), -1);
        free(d);
}

static int run(char **argv) {
        return spawn_run(argv, 4096, NULL);
}

/* A real .deb, made with dpkg-deb as a kernel package is. */
static void make_deb(const char *dir, const char *name, const char *version, const char *depends) {
        char *root = strprintf("%s/root-%s", dir, name), *ctl = strprintf("%s/DEBIAN", root),
             *control = strprintf("%s/control", ctl), *deb = strprintf("%s/%s_%s_amd64.deb", dir, name, version);
        char *argv[] = { "dpkg-deb", "--root-owner-group", "--build", root, deb, NULL };
        FILE *f;

        assert_int_equal(mkdir(root, 0755), 0);
        assert_int_equal(mkdir(ctl, 0755), 0);
        f = fopen(control, "w");
        assert_non_null(f);
        fprintf(f, "Package: %s\nVersion: %s\nArchitecture: amd64\nMaintainer: kpin tests <kpin@localhost>\n%s%s%s"
                   "Description: test\n",
                name, version, depends ? "Depends: " : "", depends ? depends : "", depends ? "\n" : "");
        fclose(f);
        assert_int_equal(run(argv), 0);
        assert_int_equal(sigguard_remove_tree(root, 3), 0);
        free(root), free(ctl), free(control), free(deb);
}

static void test_pkgdir(void **state) {
        char *d = scratch(), *bad = NULL, *empty = NULL;
        PkgDir *p = NULL;
        FILE *f;

        (void) state;
        make_deb(d, "linux-image-6.1.0-57-cloud-amd64", "6.1.192-3", "kmod, linux-base (>= 4.3~)");
        make_deb(d, "linux-headers-6.1.0-57-cloud-amd64", "6.1.192-3", NULL);
        assert_int_equal(pkgdir_load(d, &p), 0);
        assert_int_equal(p->n_pkgs, 2);
        /* read in name order, each with the .deb it came from */
        assert_string_equal(p->pkgs[0].name, "linux-headers-6.1.0-57-cloud-amd64");
        assert_string_equal(p->pkgs[1].name, "linux-image-6.1.0-57-cloud-amd64");
        assert_string_equal(p->pkgs[1].version, "6.1.192-3");
        assert_string_equal(p->pkgs[1].depends, "kmod, linux-base (>= 4.3~)");
        assert_true(endswith(p->pkgs[1].origin, "/linux-image-6.1.0-57-cloud-amd64_6.1.192-3_amd64.deb"));
        p = pkgdir_free(p);

        /* a file that only looks like a .deb is refused, naming it */
        bad = strprintf("%s/broken_1_amd64.deb", d);
        f = fopen(bad, "w");
        assert_non_null(f);
        fputs("!<arch>\nnot really\n", f);
        fclose(f);
        assert_true(pkgdir_load(d, &p) < 0);
        assert_int_equal(log_failure_exit_code(), KPIN_EXIT_PACKAGES);
        assert_non_null(strstr(log_failure_message(), "broken_1_amd64.deb: not a valid .deb"));
        log_reset_failure();

        /* a directory without any */
        empty = strprintf("%s/empty", d);
        assert_int_equal(mkdir(empty, 0755), 0);
        assert_int_equal(pkgdir_load(empty, &p), -ENOENT);
        assert_non_null(strstr(log_failure_message(), "no .deb files in the package directory"));
        log_reset_failure();
        free(bad), free(empty);
        remove_scratch(d);
}

static char *file_with(const char *dir, const char *name, const char *text) {
        char *path = strprintf("%s/%s", dir, name);
        FILE *f = fopen(path, "w");

        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        return path;
}

static void test_build_cache(void **state) {
        const char *key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        char *d = scratch(), *cache = NULL, *dir = NULL, *kf = NULL, *ko = NULL, *text = NULL;
        char *files[2] = { NULL, NULL };
        size_t len;

        (void) state;
        cache = strprintf("%s/cache", d);
        assert_int_equal(build_cache_lookup(cache, key, &dir), -ENOENT);
        assert_int_equal(build_cache_lookup(cache, "not-a-key", &dir), -EINVAL);
        files[0] = file_with(d, "canary.ko", "a module");
        assert_int_equal(build_cache_store(cache, key, "source sha256 ...\n", files), 0);
        assert_int_equal(access(files[0], F_OK), -1); /* moved in, not copied */
        assert_int_equal(build_cache_lookup(cache, key, &dir), 0);
        ko = strprintf("%s/canary.ko", dir);
        kf = strprintf("%s/" BUILD_CACHE_KEY_FILE, dir);
        text = read_file_or_die(ko, &len);
        assert_string_equal(text, "a module");
        free(text);
        text = read_file_or_die(kf, &len);
        assert_string_equal(text, "source sha256 ...\n");
        free(text);
        /* a second run storing the same key: the first entry stays */
        free(files[0]);
        files[0] = file_with(d, "canary.ko", "another build");
        assert_int_equal(build_cache_store(cache, key, "other\n", files), 1);
        text = read_file_or_die(ko, &len);
        assert_string_equal(text, "a module");
        free(text);
        /* a bad entry goes */
        assert_int_equal(build_cache_evict(cache, key), 0);
        free(dir);
        assert_int_equal(build_cache_lookup(cache, key, &dir), -ENOENT);
        assert_int_equal(build_cache_evict(cache, key), 0);
        free(files[0]), free(cache), free(kf), free(ko);
        remove_scratch(d);
}

/* mtype: the seed's file as cloud-init reads it, without mounting it */
static char *seed_file(const char *image, const char *name) {
        char *spec = strprintf("::%s", name), *out = NULL;
        char *argv[] = { "mtype", "-i", (char *) image, spec, NULL };

        assert_int_equal(spawn_run(argv, 65536, &out), 0);
        free(spec);
        return out;
}

static void test_cidata(void **state) {
        Cidata *c = NULL;
        char *text, *dir;
        struct stat st;

        (void) state;
        assert_int_equal(cidata_make("abcdefghij012345", "version: 2\nethernets: {}\n", &c), 0);
        assert_non_null(strstr(c->dir, "/kpin-seed-"));
        assert_int_equal(stat(c->dir, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0700);
        text = seed_file(c->path, "meta-data");
        assert_non_null(strstr(text, "instance-id: kpin-boot-test-abcdefghij012345\n"));
        free(text);
        text = seed_file(c->path, "user-data");
        assert_string_equal(text, "#cloud-config\n");
        free(text);
        text = seed_file(c->path, "network-config");
        assert_string_equal(text, "version: 2\nethernets: {}\n");
        free(text);
        /* only the image stays beside it; it all goes with the seed */
        dir = strdup(c->dir);
        c = cidata_free(c);
        assert_int_equal(access(dir, F_OK), -1);
        free(dir);
        /* without a network configuration: no network-config file at all */
        assert_int_equal(cidata_make("abcdefghij012345", NULL, &c), 0);
        {
                char *out = NULL, *argv[] = { "mdir", "-b", "-i", c->path, "::", NULL };

                assert_int_equal(spawn_run(argv, 4096, &out), 0);
                assert_non_null(strstr(out, "META-DATA") ? out : strstr(out, "meta-data"));
                assert_null(strstr(out, "network-config"));
                assert_null(strstr(out, "NETWORK-CONFIG"));
                free(out);
        }
        c = cidata_free(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pkgdir),
                cmocka_unit_test(test_build_cache),
                cmocka_unit_test(test_cidata),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
