/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include "core/manifest.h"

static int artifact(const char *text, const char *build, const char *run, char **file, char **error) {
        *file = *error = NULL;
        return packer_manifest_artifact(text, strlen(text), build, run, file, error);
}

/* Written by Packer 1.6.6's manifest post-processor over two runs. */
static void test_real_manifest(void **state) {
        size_t len;
        char *text = read_data("packer-manifest.json", &len), *file, *error;

        (void) state;
        assert_int_equal(packer_manifest_artifact(text, len, "hpc-compute", NULL, &file, &error), 0);
        assert_string_equal(file, "out/hpc-compute.qcow2");
        free(file);
        assert_int_equal(packer_manifest_artifact(text, len, "hpc-compute", "d8cd534b-5dbd-ecae-7175-923380db8dad",
                                                  &file, &error), 0);
        free(file);
        assert_int_equal(packer_manifest_artifact(text, len, "hpc-controller", NULL, &file, &error), -ENOENT);
        assert_string_equal(error, "no build named 'hpc-controller' in Packer run 29a47df4-d668-b05a-7ec0-4f8581419aff");
        free(error);
        assert_int_equal(packer_manifest_artifact(text, len, "hpc-compute", "nope", &file, &error), -ENOENT);
        free(error);
        free(text);
}

static void test_run_selection(void **state) {
        static const char m[] =
                "{\"builds\": ["
                "{\"name\": \"a\", \"packer_run_uuid\": \"r1\", \"files\": [{\"name\": \"old.qcow2\"}]},"
                "{\"name\": \"b\", \"packer_run_uuid\": \"r2\", \"files\": [{\"name\": \"b.qcow2\"}]},"
                "{\"name\": \"a\", \"packer_run_uuid\": \"r2\", \"files\": [{\"name\": \"a.ovf\"}, {\"name\": \"out/a.qcow2\"}]}"
                "], \"last_run_uuid\": \"r2\"}\n";
        char *file, *error;

        (void) state;
        assert_int_equal(artifact(m, "a", NULL, &file, &error), 0);
        assert_string_equal(file, "out/a.qcow2");
        free(file);
        assert_int_equal(artifact(m, "a", "r1", &file, &error), 0);
        assert_string_equal(file, "old.qcow2");
        free(file);
        assert_int_equal(artifact(m, "b", NULL, &file, &error), 0);
        assert_string_equal(file, "b.qcow2");
        free(file);
}

static void test_bad_manifests(void **state) {
        static const struct {
                const char *text, *error;
        } cases[] = {
                { "", "not a JSON document" },
                { "{\"builds\": [", "not a JSON document" },
                { "{\"builds\": []} x", "not a JSON document" },
                { "[]", "no \"builds\" array: not a Packer manifest" },
                { "{\"builds\": {}}", "no \"builds\" array: not a Packer manifest" },
                { "{\"builds\": [{\"name\": \"a\"}]}", "build 'a' lists no files" },
                { "{\"builds\": [{\"name\": \"a\", \"files\": []}]}", "build 'a' lists no files" },
                { "{\"builds\": [{\"name\": \"a\", \"files\": [{\"size\": 1}]}]}", "build 'a' has a file without a name" },
                { "{\"builds\": [{\"name\": \"a\", \"files\": [{\"name\": \"x.ovf\"}, {\"name\": \"x.mf\"}]}]}",
                  "build 'a' lists no disk image (*.qcow2, *.img, *.raw)" },
                { "{\"builds\": [{\"name\": \"a\", \"files\": [{\"name\": \"x.qcow2\"}, {\"name\": \"y.raw\"}]}]}",
                  "build 'a' lists 2 disk images: name one" },
                { "{\"builds\": [{\"name\": 7, \"files\": [{\"name\": \"x.qcow2\"}]}]}", "no build named 'a'" },
        };
        char *file, *error;

        (void) state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                assert_true(artifact(cases[i].text, "a", NULL, &file, &error) < 0);
                assert_null(file);
                assert_string_equal(error, cases[i].error);
                free(error);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_real_manifest),
                cmocka_unit_test(test_run_selection),
                cmocka_unit_test(test_bad_manifests),
        };
        return cmocka_run_group_tests_name("manifest", tests, NULL, NULL);
}
