/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include <libxml/HTMLparser.h>
#include <libxml/xpath.h>
#include <stdlib.h>
#include <unistd.h>

#include "report/night.h"
#include "shared/strv.h"

/* kpin summarize's night from a report directory made here: an image that
 * rolled forward and whose forecast says the pin is still needed, one whose
 * repair failed, one a Slurm task left without a report, and a cluster
 * test skipped. The table, summary.json, the JUnit file and the page (read
 * back with libxml2's HTML parser) must all say so. */

static const char ROLLED[] =
        "{\"schema\": 1, \"kernel\": \"6.1.0-57-cloud-amd64\", \"changed\": true, \"output\": \"/srv/out/a.qcow2\","
        " \"pin\": {\"roll\": {\"from\": \"6.1.0-56-cloud-amd64\", \"to\": \"6.1.0-57-cloud-amd64\","
        "  \"from_version\": \"6.1.192-2\", \"to_version\": \"6.1.192-3\", \"changelog_known\": true, \"cve_count\": 2582}},"
        " \"before\": {\"grub\": {\"kernel\": \"6.1.0-56-cloud-amd64\"}},"
        " \"dkms\": {\"modules\": [{\"module\": \"beegfs\", \"version\": \"7.4.4\","
        "  \"files\": [\"/lib/modules/6.1.0-57-cloud-amd64/updates/dkms/beegfs.ko.xz\"]}]},"
        " \"boot_test\": {\"ok\": true, \"boots\": [{\"seconds\": 41.5, \"firmware\": \"bios\", \"accel\": \"kvm\","
        "  \"checks\": [{\"name\": \"module beegfs loads\", \"passed\": true}]}]},"
        " \"forecast\": {\"series\": \"6.12\", \"kernel\": \"6.12.57+deb13-cloud-amd64\", \"lifted\": false,"
        "  \"verdict\": [\"pin still needed: beegfs 7.4.4 fails on 6.12.57+deb13-cloud-amd64: <ktime_get_ts>\\n  42 | x\"],"
        "  \"modules\": [{\"name\": \"beegfs\", \"version\": \"7.4.4\", \"built\": false, \"error\": \"<ktime_get_ts>\"}]}}";
static const char FAILED[] =
        "{\"schema\": 1, \"kernel\": \"6.1.0-57-cloud-amd64\", \"ok\": false, \"changed\": false, \"failed_step\": \"dkms\"}";
static const char FAILED_LOG[] =
        "kpin: dkms: building beegfs/7.4.4 for 6.1.0-57-cloud-amd64, 12 min, 318 objects\n"
        "kpin: warning: something\n"
        "kpin: b.qcow2: held back at 6.1.0-56-cloud-amd64: dkms failed for 6.1.0-57-cloud-amd64: x & <y>\n";

static void put(const char *dir, const char *name, const char *text) {
        char *path = strprintf("%s/%s", dir, name);
        FILE *f = fopen(path, "we");

        assert_non_null(f);
        assert_int_equal(fputs(text, f) >= 0, 1);
        assert_int_equal(fclose(f), 0);
        free(path);
}

static char *make_night(void) {
        char *dir = strdup("/tmp/kpin-unit-night-XXXXXX");

        assert_non_null(mkdtemp(dir));
        put(dir, "a.json", ROLLED);
        put(dir, "a.rc", "0 301\n");
        put(dir, "a.xml", "<?xml version=\"1.0\"?>\n<testsuites><testsuite name=\"kpin repair a\" tests=\"1\" failures=\"0\">"
                          "<testcase classname=\"kpin.repair\" name=\"open\"/></testsuite></testsuites>\n");
        put(dir, "b.json", FAILED);
        put(dir, "b.rc", "8 120\n");
        put(dir, "b.log", FAILED_LOG);
        put(dir, "c.noreport", "slurm: task 7_2 CANCELLED (reason None, exit 0:15), no report\n");
        put(dir, "cluster.rc", "skipped 0\n");
        return dir;
}

static void remove_night(char *dir) {
        char *cmd = strprintf("rm -rf '%s'", dir);

        assert_int_equal(system(cmd), 0);
        free(cmd);
        free(dir);
}

static char *text_of(const Night *n) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        assert_non_null(f);
        night_print(n, f);
        fclose(f);
        return buf;
}

static void test_table_and_json(void **state) {
        char *dir = make_night(), *names[] = { "a", "b", "c", NULL }, *text;
        Night n;
        json_object *j, *x;

        (void) state;
        assert_int_equal(night_load(dir, names, "/etc/kpin/cluster.conf", "/srv/night.xml", "2026-12-07", &n), 0);
        assert_false(night_good(&n));
        text = text_of(&n);
        assert_non_null(strstr(text, "profile              result     kernel                       time  detail\n"));
        assert_non_null(strstr(text, "\na                    repaired   6.1.0-57-cloud-amd64         301s  rolled "
                                     "6.1.0-56-cloud-amd64 -> 6.1.0-57-cloud-amd64, 2582 CVE IDs fixed; /srv/out/a.qcow2; "
                                     "forecast: pin still needed: beegfs 7.4.4 fails on 6.12.57+deb13-cloud-amd64: <ktime_get_ts>   42 | x\n"));
        /* the log's last line that is neither a warning nor progress */
        assert_non_null(strstr(text, "\nb                    FAILED(8)  6.1.0-57-cloud-amd64         120s  dkms: kpin: b.qcow2: "
                                     "held back at 6.1.0-56-cloud-amd64: dkms failed for 6.1.0-57-cloud-amd64: x & <y>\n"));
        assert_non_null(strstr(text, "\nc                    FAILED(1)  -                              0s  slurm: task 7_2 "
                                     "CANCELLED (reason None, exit 0:15), no report\n"));
        assert_non_null(strstr(text, "\ncluster              skipped    -                              0s  not run: a repair failed\n"));
        assert_non_null(strstr(text, "\n1 of 4 good (the images and the cluster test); reports in "));
        free(text);

        j = night_json(&n);
        assert_non_null(j);
        assert_true(json_object_object_get_ex(j, "good", &x) && json_object_get_int(x) == 1);
        assert_true(json_object_object_get_ex(j, "total", &x) && json_object_get_int(x) == 3);
        assert_true(json_object_object_get_ex(j, "images", &x));
        x = json_object_array_get_idx(x, 0);
        assert_true(json_object_object_get_ex(x, "forecast", &x));
        assert_true(json_object_object_get_ex(x, "lifted", &x) && !json_object_get_boolean(x));
        assert_true(json_object_object_get_ex(j, "cluster", &x));
        assert_true(json_object_object_get_ex(x, "exit_code", &x) && x == NULL);
        json_object_put(j);
        night_done(&n);
        remove_night(dir);
}

static xmlChar *xpath_string(xmlDocPtr doc, const char *expr) {
        xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
        xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
        xmlChar *s = xmlXPathCastToString(o);

        xmlXPathFreeObject(o);
        xmlXPathFreeContext(ctx);
        return s;
}

static void assert_xpath(xmlDocPtr doc, const char *expr, const char *want) {
        xmlChar *got = xpath_string(doc, expr);

        if (strcmp((const char *) got, want) != 0)
                fail_msg("%s: '%s', not '%s'", expr, got, want);
        xmlFree(got);
}

static void test_junit_and_page(void **state) {
        char *dir = make_night(), *names[] = { "a", "b", "c", NULL }, *junit = strprintf("%s/night.xml", dir),
             *html = strprintf("%s/night.html", dir);
        Night n;
        xmlDocPtr doc;

        (void) state;
        assert_int_equal(night_load(dir, names, "/etc/kpin/cluster.conf", junit, "2026-12-07", &n), 0);
        assert_int_equal(night_junit(&n, junit), 0);
        doc = xmlReadFile(junit, NULL, XML_PARSE_NONET);
        assert_non_null(doc);
        assert_xpath(doc, "count(/testsuites/testsuite)", "4");
        assert_xpath(doc, "string(/testsuites/testsuite[1]/@name)", "kpin repair a");  /* a's own */
        assert_xpath(doc, "string(/testsuites/testsuite[2]/testcase/failure/@message)",
                     "dkms: kpin: b.qcow2: held back at 6.1.0-56-cloud-amd64: dkms failed for 6.1.0-57-cloud-amd64: x & <y>");
        assert_xpath(doc, "string(/testsuites/testsuite[3]/testcase/@name)", "slurm");
        assert_xpath(doc, "string(/testsuites/testsuite[4]/testcase/failure)", "exit skipped");
        xmlFreeDoc(doc);

        assert_int_equal(night_html(&n, html), 0);
        doc = htmlReadFile(html, "UTF-8", HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
        assert_non_null(doc);
        assert_xpath(doc, "count(//script)", "0");
        assert_xpath(doc, "string(//h1)", "kpin: the night of 2026-12-07: 1 of 4 good");
        assert_xpath(doc, "string(//tr[@id='a']/td[1]/@class)", "ok");
        assert_xpath(doc, "string(//tr[@id='a']/td[2]/div[1])", "6.1.0-56-cloud-amd64 \u2192");
        assert_xpath(doc, "string(//tr[@id='a']/td[2]/div[2])", "6.1.0-57-cloud-amd64");
        assert_xpath(doc, "string(//tr[@id='a']/td[2]/div[3])", "6.1.192-2 \u2192 6.1.192-3");
        assert_xpath(doc, "string(//tr[@id='a']/td[3])", "2582");
        /* module x kernel: loaded on the pinned kernel, failed on the forecast's */
        assert_xpath(doc, "string(//tr[@id='a']//table[@class='m']/tr[1]/th[3])", "6.12.57+deb13-cloud-amd64");
        assert_xpath(doc, "string(//tr[@id='a']//table[@class='m']/tr[2]/td[2])", "loaded");
        assert_xpath(doc, "string(//tr[@id='a']//table[@class='m']/tr[2]/td[2]/@class)", "ok");
        assert_xpath(doc, "string(//tr[@id='a']//table[@class='m']/tr[2]/td[3])", "failed");
        assert_xpath(doc, "string(//tr[@id='a']//table[@class='m']/tr[2]/td[3]/@class)", "fail");
        assert_xpath(doc, "string(//tr[@id='a']//table[@class='m']/tr[2]/td[3]/@title)", "<ktime_get_ts>");
        assert_xpath(doc, "string(//tr[@id='a']/td[5])", "passed in 42 s (bios, kvm)");
        assert_xpath(doc, "string(//tr[@id='a']/td[6]/@class)", "warn");
        assert_xpath(doc, "string(//tr[@id='a']//a[text()='log']/@href)", "");   /* no a.log: no link */
        assert_xpath(doc, "string(//tr[@id='a']//a[text()='report']/@href)", "a.json");
        assert_xpath(doc, "string(//tr[@id='b']/td[1]/@class)", "fail");
        assert_xpath(doc, "string(//tr[@id='b']/td[1]/div[2])",
                     "dkms: kpin: b.qcow2: held back at 6.1.0-56-cloud-amd64: dkms failed for 6.1.0-57-cloud-amd64: x & <y>");
        assert_xpath(doc, "string(//tr[@id='cluster']/td[1])", "skipped");
        xmlFreeDoc(doc);
        night_done(&n);
        free(junit);
        free(html);
        remove_night(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_table_and_json),
                cmocka_unit_test(test_junit_and_page),
        };
        return cmocka_run_group_tests_name("report-night", tests, NULL, NULL);
}
