/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <libxml/HTMLtree.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/night.h"
#include "shared/cleanup.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "shared/strbuf.h"
#include "shared/strv.h"

#define MAX_RC_FILE 256
#define MAX_REPORT (64u << 20)
#define MAX_LOG_TAIL (256u << 10)
#define MAX_JUNIT (64u << 20)

static json_object *get(json_object *o, const char *key) {
        json_object *v = NULL;

        return o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *get_str(json_object *o, const char *key) {
        json_object *v = get(o, key);

        return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static bool get_bool(json_object *o, const char *key) {
        json_object *v = get(o, key);

        return v && json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

/* The last line of a log that is kpin's error, not a warning, a progress
 * line (or, with node_lines, a cluster node's live line). */
static char *last_error_line(const char *path, bool node_lines) {
        _cleanup_free_ char *text = NULL;
        char *last = NULL;
        regex_t re;

        if (read_file_bounded(path, MAX_LOG_TAIL, READ_TAIL, &text, NULL) < 0)
                return NULL;
        if (regcomp(&re, node_lines ? "^kpin: (warning:|[a-z-]*: .*, [0-9]* min|node )"
                                    : "^kpin: (warning:|[a-z-]*: .*, [0-9]* min)", REG_EXTENDED | REG_NOSUB) != 0)
                return NULL;
        for (char *l = text, *e; l && *l; l = e ? e + 1 : NULL) {
                e = strchr(l, '\n');
                if (e)
                        *e = '\0';
                if (regexec(&re, l, 0, NULL, 0) != 0) {
                        free(last);
                        last = strdup(l);
                }
        }
        regfree(&re);
        return last;
}

/* "EXIT SECONDS" as kpin-nightly writes it when a run ends. */
static bool read_rc(const char *dir, const char *name, char exit_word[static 32], unsigned *ret_seconds) {
        _cleanup_free_ char *path = strprintf("%s/%s.rc", dir, name), *text = NULL;

        *ret_seconds = 0;
        if (!path || read_file_bounded(path, MAX_RC_FILE, READ_WHOLE, &text, NULL) < 0)
                return false;
        return sscanf(text, "%31s %u", exit_word, ret_seconds) >= 1;
}

static json_object *read_report(const char *path) {
        _cleanup_free_ char *text = NULL;
        json_object *j;

        if (read_file_bounded(path, MAX_REPORT, READ_WHOLE, &text, NULL) < 0 || !text[0])
                return NULL;
        j = json_tokener_parse(text);
        if (j && !json_object_is_type(j, json_type_object)) {
                json_object_put(j);
                return NULL;
        }
        return j;
}

static char *join_verdict(json_object *forecast) {
        json_object *v = get(forecast, "verdict");
        _cleanup_(strbuf_done) StrBuf b = {};

        for (size_t i = 0; v && json_object_is_type(v, json_type_array) && i < json_object_array_length(v); i++)
                if ((i && strbuf_puts(&b, "; ") < 0) ||
                    strbuf_puts(&b, json_object_get_string(json_object_array_get_idx(v, i))) < 0)
                        return NULL;
        return strbuf_steal(&b) ?: strdup("");
}

/* What a repaired image's row says: the roll, what it fixed, where it went. */
static char *repaired_detail(json_object *j) {
        json_object *roll = get(get(j, "pin"), "roll");
        const char *out = get_str(j, "output") ?: "";

        if (!roll || !json_object_is_type(roll, json_type_object))
                return strdup(out);
        if (get_bool(roll, "changelog_known")) {
                int64_t n = json_object_get_int64(get(roll, "cve_count"));

                return strprintf("rolled %s -> %s, %lld CVE ID%s fixed; %s", get_str(roll, "from") ?: "?",
                                 get_str(roll, "to") ?: "?", (long long) n, n == 1 ? "" : "s", out);
        }
        return strprintf("rolled %s -> %s; %s", get_str(roll, "from") ?: "?", get_str(roll, "to") ?: "?", out);
}

static int load_image(const char *dir, const char *name, NightRow *row) {
        char word[32];
        bool have_rc = read_rc(dir, name, word, &row->seconds);
        _cleanup_free_ char *noreport = strprintf("%s/%s.noreport", dir, name), *why = NULL;

        row->name = strdup(name);
        row->report = strprintf("%s/%s.json", dir, name);
        if (!row->name || !row->report || !noreport)
                return -ENOMEM;
        row->exit_code = have_rc ? atoi(word) : 1;
        if (!have_rc) {
                /* the run never ended on its own */
                row->case_name = "run";
                if (read_file_bounded(noreport, 4096, READ_WHOLE, &why, NULL) >= 0) {
                        why[strcspn(why, "\n")] = '\0';
                        row->detail = TAKE_PTR(why);
                        row->case_name = "slurm";
                } else
                        row->detail = strdup("no report (the run did not finish)");
        } else
                row->case_name = "profile";
        row->json = read_report(row->report);
        if (row->json) {
                json_object *schema = get(row->json, "schema");

                if (!schema || json_object_get_int(schema) != 1)
                        log_warning("%s has report schema %s, not 1", row->report,
                                    schema ? json_object_get_string(schema) : "none");
        }
        row->kernel = strdup(get_str(row->json, "kernel") ?: "-");
        if (row->exit_code == 0) {
                row->good = true;
                if (get_bool(row->json, "changed")) {
                        row->result = strdup("repaired");
                        row->detail = repaired_detail(row->json);
                } else {
                        row->result = strdup("unchanged");
                        row->detail = strdup(get_bool(row->json, "nothing_to_do") ? "nothing to do" : "");
                }
                if (get(row->json, "forecast") && json_object_is_type(get(row->json, "forecast"), json_type_object)) {
                        _cleanup_free_ char *v = join_verdict(get(row->json, "forecast"));
                        char *d = v ? strprintf("%s%sforecast: %s", row->detail ?: "", row->detail && row->detail[0]
                                                ? "; " : "", v) : NULL;

                        free(row->detail);
                        row->detail = d;
                }
        } else {
                row->result = strprintf("FAILED(%d)", row->exit_code);
                if (!row->detail) {
                        _cleanup_free_ char *log = strprintf("%s/%s.log", dir, name), *line = NULL;
                        const char *step = get_str(row->json, "failed_step");

                        line = log ? last_error_line(log, false) : NULL;
                        row->detail = strprintf("%s%s%s", step ?: "", step ? ": " : "", line ?: "");
                }
        }
        if (!row->kernel || !row->result || !row->detail)
                return -ENOMEM;
        /* a row is one line, whatever a report's strings hold */
        for (char *c = row->detail; *c; c++)
                if (*c == '\n' || *c == '\r' || *c == '\t')
                        *c = ' ';
        return 0;
}

static int load_cluster(const char *dir, NightRow *row) {
        char word[32] = "";
        bool have_rc = read_rc(dir, "cluster", word, &row->seconds);

        row->name = strdup("cluster");
        row->kernel = strdup("-");
        row->report = strprintf("%s/cluster.json", dir);
        row->case_name = "cluster";
        row->exit_code = have_rc && strcmp(word, "skipped") != 0 ? atoi(word) : -1;
        row->json = read_report(row->report);
        if (have_rc && strcmp(word, "0") == 0) {
                row->good = true;
                row->result = strdup("passed");
                row->detail = strdup("every node and check passed");
        } else if (have_rc && strcmp(word, "skipped") == 0) {
                row->result = strdup("skipped");
                row->detail = strdup("not run: a repair failed");
        } else {
                _cleanup_free_ char *log = strprintf("%s/cluster.log", dir);

                row->result = strprintf("FAILED(%s)", have_rc ? word : "?");
                row->detail = log ? last_error_line(log, true) : NULL;
                if (!row->detail)
                        row->detail = strdup("");
        }
        return row->name && row->kernel && row->report && row->result && row->detail ? 0 : -ENOMEM;
}

static void row_done(NightRow *r) {
        free(r->name);
        free(r->result);
        free(r->kernel);
        free(r->detail);
        free(r->report);
        if (r->json)
                json_object_put(r->json);
}

void night_done(Night *n) {
        for (size_t i = 0; i < n->n_images; i++)
                row_done(&n->images[i]);
        free(n->images);
        if (n->cluster)
                row_done(n->cluster);
        free(n->cluster);
        free(n->dir);
        free(n->date);
        free(n->junit);
        free(n->cluster_file);
        *n = (Night) {};
}

int night_load(const char *dir, char * const *names, const char *cluster_file, const char *junit, const char *date,
               Night *ret) {
        _cleanup_(night_done) Night n = {};
        int r;

        n.dir = strdup(dir);
        n.date = strdup(date);
        n.junit = strdup(junit);
        n.cluster_file = cluster_file ? strdup(cluster_file) : NULL;
        n.images = calloc(strv_length((char **) names) + 1, sizeof(NightRow));
        if (!n.dir || !n.date || !n.junit || (cluster_file && !n.cluster_file) || !n.images)
                return -ENOMEM;
        STRV_FOREACH(name, (char **) names) {
                r = load_image(dir, *name, &n.images[n.n_images++]);
                if (r < 0)
                        return r;
                n.good += n.images[n.n_images - 1].good;
        }
        if (cluster_file) {
                n.cluster = calloc(1, sizeof(NightRow));
                if (!n.cluster)
                        return -ENOMEM;
                r = load_cluster(dir, n.cluster);
                if (r < 0)
                        return r;
        }
        *ret = n;
        n = (Night) {};
        return 0;
}

bool night_good(const Night *n) {
        return n->good == n->n_images && (!n->cluster || n->cluster->good);
}

void night_print(const Night *n, FILE *f) {
        fprintf(f, "%-20s %-10s %-26s %6s  %s\n", "profile", "result", "kernel", "time", "detail");
        for (size_t i = 0; i < n->n_images; i++) {
                const NightRow *r = &n->images[i];

                fprintf(f, "%-20s %-10s %-26s %5us  %s\n", r->name, r->result, r->kernel, r->seconds, r->detail);
        }
        if (n->cluster) {
                fprintf(f, "%-20s %-10s %-26s %5us  %s\n", "cluster", n->cluster->result, "-", n->cluster->seconds,
                        n->cluster->detail);
                fprintf(f, "%zu of %zu good (the images and the cluster test); reports in %s, JUnit in %s\n",
                        n->good + n->cluster->good, n->n_images + 1, n->dir, n->junit);
        } else
                fprintf(f, "%zu of %zu images good; reports in %s, JUnit in %s\n", n->good, n->n_images, n->dir, n->junit);
}

static json_object *copy_or_null(json_object *o) {
        json_object *c = NULL;

        if (!o || json_object_is_type(o, json_type_null))
                return NULL;
        return json_object_deep_copy(o, &c, NULL) == 0 ? c : NULL;
}

static json_object *forecast_summary(json_object *f) {
        static const char *const keys[] = { "series", "kernel", "lifted", "verdict" };
        json_object *o;

        if (!f || !json_object_is_type(f, json_type_object))
                return NULL;
        o = json_object_new_object();
        for (size_t i = 0; o && i < ELEMENTSOF(keys); i++)
                json_object_object_add(o, keys[i], copy_or_null(get(f, keys[i])));
        return o;
}

json_object *night_json(const Night *n) {
        json_object *o = json_object_new_object(), *images = json_object_new_array(), *c = NULL;

        if (!o || !images) {
                json_object_put(o);
                json_object_put(images);
                return NULL;
        }
        for (size_t i = 0; i < n->n_images; i++) {
                const NightRow *r = &n->images[i];
                json_object *x = json_object_new_object();

                json_object_object_add(x, "profile", json_object_new_string(r->name));
                json_object_object_add(x, "result", json_object_new_string(r->result));
                json_object_object_add(x, "exit_code", json_object_new_int(r->exit_code));
                json_object_object_add(x, "kernel", json_object_new_string(r->kernel));
                json_object_object_add(x, "seconds", json_object_new_int64(r->seconds));
                json_object_object_add(x, "detail", json_object_new_string(r->detail));
                json_object_object_add(x, "report", json_object_new_string(r->report));
                json_object_object_add(x, "roll", r->exit_code == 0 ? copy_or_null(get(get(r->json, "pin"), "roll")) : NULL);
                json_object_object_add(x, "forecast", r->exit_code == 0 ? forecast_summary(get(r->json, "forecast")) : NULL);
                json_object_array_add(images, x);
        }
        json_object_object_add(o, "date", json_object_new_string(n->date));
        json_object_object_add(o, "total", json_object_new_int64(n->n_images));
        json_object_object_add(o, "good", json_object_new_int64(n->good));
        json_object_object_add(o, "junit", json_object_new_string(n->junit));
        json_object_object_add(o, "images", images);
        if (n->cluster) {
                c = json_object_new_object();
                json_object_object_add(c, "cluster", json_object_new_string(n->cluster_file));
                json_object_object_add(c, "result", json_object_new_string(n->cluster->result));
                json_object_object_add(c, "exit_code", n->cluster->exit_code >= 0 ? json_object_new_int(n->cluster->exit_code)
                                                                                  : NULL);
                json_object_object_add(c, "seconds", json_object_new_int64(n->cluster->seconds));
                json_object_object_add(c, "detail", json_object_new_string(n->cluster->detail));
                json_object_object_add(c, "report", json_object_new_string(n->cluster->report));
        }
        json_object_object_add(o, "cluster", c);
        return o;
}

/* Writes doc to path by way of a temporary file and a rename. */
static int save_atomically(xmlDocPtr doc, const char *path, bool html) {
        _cleanup_free_ char *tmp = strprintf("%s.tmp.%d", path, (int) getpid());
        int k;

        if (!tmp)
                return -ENOMEM;
        k = html ? htmlSaveFileFormat(tmp, doc, "UTF-8", 1) : xmlSaveFormatFileEnc(tmp, doc, "UTF-8", 1);
        if (k < 0) {
                (void) unlink(tmp);
                return -EIO;
        }
        if (rename(tmp, path) < 0) {
                k = -errno;
                (void) unlink(tmp);
                return k;
        }
        return 0;
}

/* Each <testsuite> of a kpin JUnit file, copied under root. */
static bool import_suites(xmlNodePtr root, const char *path) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        xmlDocPtr d;
        xmlNodePtr top;
        bool any = false;

        if (read_file_bounded(path, MAX_JUNIT, READ_WHOLE, &text, &len) < 0 || len == 0)
                return false;
        d = xmlReadMemory(text, (int) len, path, NULL, XML_PARSE_NONET | XML_PARSE_NOBLANKS);
        if (!d)
                return false;
        top = xmlDocGetRootElement(d);
        if (top && xmlStrcmp(top->name, BAD_CAST "testsuite") == 0)
                any = xmlAddChild(root, xmlDocCopyNode(top, root->doc, 1)) != NULL;
        for (xmlNodePtr s = top && xmlStrcmp(top->name, BAD_CAST "testsuites") == 0 ? top->children : NULL; s; s = s->next)
                if (s->type == XML_ELEMENT_NODE && xmlStrcmp(s->name, BAD_CAST "testsuite") == 0)
                        any = xmlAddChild(root, xmlDocCopyNode(s, root->doc, 1)) != NULL || any;
        xmlFreeDoc(d);
        return any;
}

static void failed_suite(xmlNodePtr root, const char *suite, const char *classname, const NightRow *r) {
        char secs[32], body[64];
        xmlNodePtr s = xmlNewChild(root, NULL, BAD_CAST "testsuite", NULL), c, f;

        snprintf(secs, sizeof(secs), "%u", r->seconds);
        if (r->exit_code >= 0)
                snprintf(body, sizeof(body), "exit %d", r->exit_code);
        else
                snprintf(body, sizeof(body), "exit %s", strcmp(r->result, "skipped") == 0 ? "skipped" : "?");
        xmlNewProp(s, BAD_CAST "name", BAD_CAST suite);
        xmlNewProp(s, BAD_CAST "tests", BAD_CAST "1");
        xmlNewProp(s, BAD_CAST "failures", BAD_CAST "1");
        xmlNewProp(s, BAD_CAST "errors", BAD_CAST "0");
        xmlNewProp(s, BAD_CAST "skipped", BAD_CAST "0");
        xmlNewProp(s, BAD_CAST "time", BAD_CAST secs);
        c = xmlNewChild(s, NULL, BAD_CAST "testcase", NULL);
        xmlNewProp(c, BAD_CAST "classname", BAD_CAST classname);
        xmlNewProp(c, BAD_CAST "name", BAD_CAST r->case_name);
        xmlNewProp(c, BAD_CAST "time", BAD_CAST secs);
        f = xmlNewTextChild(c, NULL, BAD_CAST "failure", BAD_CAST body);
        xmlNewProp(f, BAD_CAST "message", BAD_CAST r->detail);
}

int night_junit(const Night *n, const char *path) {
        xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
        xmlNodePtr root = doc ? xmlNewNode(NULL, BAD_CAST "testsuites") : NULL;
        _cleanup_free_ char *title = strprintf("kpin nightly %s", n->date);
        int r;

        if (!doc || !root || !title) {
                xmlFreeDoc(doc);
                return -ENOMEM;
        }
        xmlDocSetRootElement(doc, root);
        xmlNewProp(root, BAD_CAST "name", BAD_CAST title);
        for (size_t i = 0; i < n->n_images; i++) {
                const NightRow *r = &n->images[i];
                _cleanup_free_ char *xml = strprintf("%s/%s.xml", n->dir, r->name), *suite = strprintf("kpin repair %s", r->name);

                if (!xml || !suite) {
                        xmlFreeDoc(doc);
                        return -ENOMEM;
                }
                /* kpin wrote none (a bad profile, or Slurm ended it) */
                if (!import_suites(root, xml))
                        failed_suite(root, suite, "kpin.repair", r);
        }
        if (n->cluster) {
                _cleanup_free_ char *xml = strprintf("%s/cluster.xml", n->dir);

                if (xml && !import_suites(root, xml) && !n->cluster->good)
                        failed_suite(root, "kpin cluster-test", "kpin.cluster-test", n->cluster);
        }
        r = save_atomically(doc, path, false);
        xmlFreeDoc(doc);
        return r;
}

/* --- the page ------------------------------------------------------- */

static const char PAGE_STYLE[] =
        "body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}"
        "h1{font-size:1.4em}table{border-collapse:collapse}"
        "th,td{border:1px solid #bbb;padding:.3em .5em;vertical-align:top;text-align:left}"
        "th{background:#eee}td.num{text-align:right}"
        ".ok{background:#d7f5d7}.fail{background:#f9d0d0}.warn{background:#fff0c0}.none{color:#777}"
        "table.m td,table.m th{border:1px solid #ccc;font-size:.9em;padding:.15em .4em}"
        ".small{font-size:.85em;color:#555}"
        "td.num,td.files,td.k,table.m th{white-space:nowrap}";

static xmlNodePtr add(xmlNodePtr parent, const char *tag, const char *text, const char *cls) {
        xmlNodePtr e = xmlNewTextChild(parent, NULL, BAD_CAST tag, text ? BAD_CAST text : NULL);

        if (e && cls)
                xmlNewProp(e, BAD_CAST "class", BAD_CAST cls);
        return e;
}

static void add_line(xmlNodePtr parent, const char *text, const char *cls) {
        xmlNodePtr d = add(parent, "div", text, cls);

        (void) d;
}

static const char *state_class(const char *state) {
        if (!state)
                return "none";
        if (strcmp(state, "loaded") == 0 || strcmp(state, "built") == 0 || strcmp(state, "installed") == 0 ||
            strcmp(state, "from the cache") == 0)
                return "ok";
        if (strcmp(state, "failed") == 0)
                return "fail";
        return "warn";
}

static json_object *find_module(json_object *arr, const char *key, const char *name) {
        for (size_t i = 0; arr && json_object_is_type(arr, json_type_array) && i < json_object_array_length(arr); i++) {
                json_object *m = json_object_array_get_idx(arr, i);
                const char *n = get_str(m, key);

                if (n && strcmp(n, name) == 0)
                        return m;
        }
        return NULL;
}

/* A module file's check in the boot test passed ("module canary loads"). */
static bool loads_in_boot(json_object *report, json_object *built) {
        json_object *boot = get(report, "boot_test"), *boots = get(boot, "boots"), *files = get(built, "files");
        bool all = files && json_object_array_length(files) > 0;

        if (!get_bool(boot, "ok") || !boots || json_object_array_length(boots) == 0)
                return false;
        for (size_t i = 0; all && i < json_object_array_length(files); i++) {
                const char *f = json_object_get_string(json_object_array_get_idx(files, i));
                const char *base = f && strrchr(f, '/') ? strrchr(f, '/') + 1 : f, *ko = base ? strstr(base, ".ko") : NULL;
                _cleanup_free_ char *check = base ? strprintf("module %.*s loads", (int) (ko ? ko - base : (long) strlen(base)),
                                                              base) : NULL;
                json_object *checks = get(json_object_array_get_idx(boots, 0), "checks");
                bool seen = false;

                for (size_t k = 0; check && checks && k < json_object_array_length(checks); k++) {
                        json_object *c = json_object_array_get_idx(checks, k);

                        seen = seen || (get_str(c, "name") && strcmp(get_str(c, "name"), check) == 0 && get_bool(c, "passed"));
                }
                all = seen;
        }
        return all;
}

/* The state of module name on the kernel the image was left with. */
static const char *pinned_state(json_object *j, const char *kernel, const char *name, const char **ret_title) {
        json_object *b = find_module(get(get(j, "dkms"), "modules"), "module", name), *st, *m;

        *ret_title = NULL;
        if (b)
                return loads_in_boot(j, b) ? "loaded" : "built";
        st = get(j, "after") ?: get(j, "before");
        m = find_module(get(st, "dkms"), "module", name);
        for (size_t i = 0; m && get(m, "kernels") && i < json_object_array_length(get(m, "kernels")); i++) {
                json_object *k = json_object_array_get_idx(get(m, "kernels"), i);

                if (get_str(k, "kernel") && strcmp(get_str(k, "kernel"), kernel) == 0) {
                        *ret_title = get_str(k, "error");
                        return get_str(k, "status");
                }
        }
        return NULL;
}

static int add_names(char ***names, json_object *arr, const char *key) {
        for (size_t i = 0; arr && json_object_is_type(arr, json_type_array) && i < json_object_array_length(arr); i++) {
                const char *n = get_str(json_object_array_get_idx(arr, i), key);

                if (n && !strv_contains(*names, n) && strv_extend(names, n) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* module x kernel: the kernel the image was left with, and the forecast's */
static int module_table(xmlNodePtr td, const NightRow *r) {
        json_object *j = r->json, *fc = get(j, "forecast"), *st = get(j, "after") ?: get(j, "before");
        const char *fk = get_str(fc, "kernel");
        _cleanup_strv_free_ char **names = NULL;
        xmlNodePtr t, tr;

        if (add_names(&names, get(get(j, "dkms"), "modules"), "module") < 0 || add_names(&names, get(st, "dkms"), "module") < 0 ||
            add_names(&names, get(fc, "modules"), "name") < 0)
                return -ENOMEM;
        if (!names || strcmp(r->kernel, "-") == 0) {
                add(td, "span", "-", "none");
                return 0;
        }
        t = add(td, "table", NULL, "m");
        tr = add(t, "tr", NULL, NULL);
        add(tr, "th", "module", NULL);
        add(tr, "th", r->kernel, NULL);
        if (fk)
                add(tr, "th", fk, NULL);
        STRV_FOREACH(n, names) {
                const char *title = NULL, *state = pinned_state(j, r->kernel, *n, &title);
                json_object *f = find_module(get(fc, "modules"), "name", *n);
                xmlNodePtr c;

                tr = add(t, "tr", NULL, NULL);
                add(tr, "td", *n, NULL);
                c = add(tr, "td", state ?: "-", state_class(state));
                if (title)
                        xmlNewProp(c, BAD_CAST "title", BAD_CAST title);
                if (!fk)
                        continue;
                state = !f ? NULL : !get_bool(f, "built") ? "failed" : get_bool(f, "loads") ? "loaded" : "built";
                c = add(tr, "td", state ?: "-", state_class(state));
                if (f && get_str(f, "error"))
                        xmlNewProp(c, BAD_CAST "title", BAD_CAST get_str(f, "error"));
        }
        return 0;
}

/* old -> new, each on a line of its own, then both Debian versions */
static void kernel_cell(xmlNodePtr td, const NightRow *r) {
        json_object *j = r->json, *roll = get(get(j, "pin"), "roll");
        const char *before = get_str(get(get(j, "before"), "grub"), "kernel"), *old = NULL;

        if (roll && get_str(roll, "from"))
                old = get_str(roll, "from");
        else if (get_bool(j, "changed") && before && strcmp(before, r->kernel) != 0)
                old = before;
        if (old) {
                _cleanup_free_ char *from = strprintf("%s \u2192", old);

                add_line(td, from, NULL);
        }
        add_line(td, r->kernel, NULL);
        if (roll && get_str(roll, "from_version") && get_str(roll, "to_version")) {
                _cleanup_free_ char *v = strprintf("%s \u2192 %s", get_str(roll, "from_version"), get_str(roll, "to_version"));

                add_line(td, v, "small");
        }
}

static void boot_cell(xmlNodePtr tr, const NightRow *r) {
        json_object *boot = get(r->json, "boot_test"), *first = get(boot, "boots") ? json_object_array_get_idx(get(boot, "boots"), 0) : NULL;
        _cleanup_free_ char *text = NULL;
        xmlNodePtr td;

        if (!boot || json_object_is_type(boot, json_type_null)) {
                add(tr, "td", "not run", "none");
                return;
        }
        if (get_bool(boot, "ok"))
                text = strprintf("passed in %.0f s (%s, %s)", json_object_get_double(get(first, "seconds")),
                                 get_str(first, "firmware") ?: "?", get_str(first, "accel") ?: "?");
        else
                text = strprintf("FAILED: %s", get_str(first, "failure") ?: "?");
        td = add(tr, "td", text, get_bool(boot, "ok") ? "ok" : "fail");
        (void) td;
}

static void forecast_cell(xmlNodePtr tr, const NightRow *r) {
        json_object *fc = get(r->json, "forecast"), *v = get(fc, "verdict");
        xmlNodePtr td;

        if (!fc || json_object_is_type(fc, json_type_null)) {
                add(tr, "td", "-", "none");
                return;
        }
        td = add(tr, "td", NULL, get_bool(fc, "lifted") ? "ok" : "warn");
        for (size_t i = 0; v && json_object_is_type(v, json_type_array) && i < json_object_array_length(v); i++)
                add_line(td, json_object_get_string(json_object_array_get_idx(v, i)), NULL);
}

/* Links, relative to the page, to the files of name that are there. */
static void links_cell(xmlNodePtr tr, const char *dir, const char *name) {
        xmlNodePtr td = add(tr, "td", NULL, "files");
        static const char *const kinds[][2] = { { "log", "log" }, { "json", "report" }, { "xml", "JUnit" } };
        bool first = true;

        for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
                _cleanup_free_ char *href = strprintf("%s.%s", name, kinds[i][0]),
                                    *path = strprintf("%s/%s.%s", dir, name, kinds[i][0]);
                xmlNodePtr a;

                if (!href || !path || access(path, F_OK) < 0)
                        continue;
                if (!first)
                        xmlAddChild(td, xmlNewText(BAD_CAST " "));
                a = add(td, "a", kinds[i][1], NULL);
                xmlNewProp(a, BAD_CAST "href", BAD_CAST href);
                first = false;
        }
}

int night_html(const Night *n, const char *path) {
        xmlDocPtr doc = htmlNewDocNoDtD(NULL, NULL);
        xmlNodePtr html, head, body, table, tr;
        size_t total = n->n_images + (n->cluster != NULL), good = n->good + (n->cluster && n->cluster->good);
        _cleanup_free_ char *title = strprintf("kpin: the night of %s", n->date),
                            *h1 = strprintf("kpin: the night of %s: %zu of %zu good", n->date, good, total),
                            *where = strprintf("reports in %s, JUnit in %s", n->dir, n->junit);
        static const char *const heads[] = { "image", "result", "kernel", "CVE IDs fixed", "module \u00d7 kernel",
                                             "boot test", "can the pin be lifted?", "time", "files" };
        int r = 0;

        if (!doc || !title || !h1 || !where) {
                xmlFreeDoc(doc);
                return -ENOMEM;
        }
        xmlCreateIntSubset(doc, BAD_CAST "html", NULL, NULL);
        html = xmlNewNode(NULL, BAD_CAST "html");
        xmlDocSetRootElement(doc, html);
        xmlNewProp(html, BAD_CAST "lang", BAD_CAST "en");
        head = add(html, "head", NULL, NULL);
        /* the charset's <meta> is libxml2's, from the encoding it saves in */
        add(head, "title", title, NULL);
        add(head, "style", PAGE_STYLE, NULL);
        body = add(html, "body", NULL, NULL);
        add(body, "h1", h1, NULL);
        add(body, "p", where, "small");
        table = add(body, "table", NULL, "night");
        tr = add(add(table, "thead", NULL, NULL), "tr", NULL, NULL);
        for (size_t i = 0; i < ELEMENTSOF(heads); i++)
                add(tr, "th", heads[i], NULL);
        table = add(table, "tbody", NULL, NULL);
        for (size_t i = 0; i < n->n_images && r >= 0; i++) {
                const NightRow *row = &n->images[i];
                json_object *roll = get(get(row->json, "pin"), "roll");
                _cleanup_free_ char *cves = NULL, *secs = strprintf("%u s", row->seconds);
                xmlNodePtr td;

                tr = add(table, "tr", NULL, NULL);
                xmlNewProp(tr, BAD_CAST "id", BAD_CAST row->name);
                add(tr, "th", row->name, NULL);
                td = add(tr, "td", NULL, row->good ? "ok" : "fail");
                add_line(td, row->result, NULL);
                if (row->detail[0] && !row->good)
                        add_line(td, row->detail, "small");
                kernel_cell(add(tr, "td", NULL, "k"), row);
                if (roll && get_bool(roll, "changelog_known"))
                        cves = strprintf("%lld", (long long) json_object_get_int64(get(roll, "cve_count")));
                add(tr, "td", cves ?: "-", cves ? "num" : "none");
                r = module_table(add(tr, "td", NULL, NULL), row);
                boot_cell(tr, row);
                forecast_cell(tr, row);
                add(tr, "td", secs, "num");
                links_cell(tr, n->dir, row->name);
        }
        if (n->cluster && r >= 0) {
                _cleanup_free_ char *secs = strprintf("%u s", n->cluster->seconds);
                xmlNodePtr td;

                tr = add(table, "tr", NULL, NULL);
                xmlNewProp(tr, BAD_CAST "id", BAD_CAST "cluster");
                add(tr, "th", "cluster", NULL);
                td = add(tr, "td", NULL, n->cluster->good ? "ok" : "fail");
                add_line(td, n->cluster->result, NULL);
                td = add(tr, "td", n->cluster->detail, NULL);
                xmlNewProp(td, BAD_CAST "colspan", BAD_CAST "6");
                add(tr, "td", secs, "num");
                links_cell(tr, n->dir, "cluster");
        }
        if (r >= 0)
                r = save_atomically(doc, path, true);
        xmlFreeDoc(doc);
        return r;
}
