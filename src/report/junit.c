/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <libxml/xmlwriter.h>
#include <stdio.h>

#include "junit.h"

static int write_suite(xmlTextWriterPtr w, const JunitSuite *su) {
        size_t failures = 0, skipped = 0;
        char num[64];
        int ok = 0;

        for (size_t i = 0; i < su->n; i++) {
                skipped += su->cases[i].skipped;
                failures += !su->cases[i].passed && !su->cases[i].skipped;
        }
#define X(call) ok = ok < 0 ? ok : (call)
        X(xmlTextWriterStartElement(w, BAD_CAST "testsuite"));
        X(xmlTextWriterWriteAttribute(w, BAD_CAST "name", BAD_CAST su->name));
        snprintf(num, sizeof(num), "%zu", su->n);
        X(xmlTextWriterWriteAttribute(w, BAD_CAST "tests", BAD_CAST num));
        snprintf(num, sizeof(num), "%zu", failures);
        X(xmlTextWriterWriteAttribute(w, BAD_CAST "failures", BAD_CAST num));
        X(xmlTextWriterWriteAttribute(w, BAD_CAST "errors", BAD_CAST "0"));
        snprintf(num, sizeof(num), "%zu", skipped);
        X(xmlTextWriterWriteAttribute(w, BAD_CAST "skipped", BAD_CAST num));
        snprintf(num, sizeof(num), "%.3f", su->seconds);
        X(xmlTextWriterWriteAttribute(w, BAD_CAST "time", BAD_CAST num));
        if (su->properties && su->properties[0]) {
                X(xmlTextWriterStartElement(w, BAD_CAST "properties"));
                for (char * const *p = su->properties; p[0] && p[1]; p += 2) {
                        X(xmlTextWriterStartElement(w, BAD_CAST "property"));
                        X(xmlTextWriterWriteAttribute(w, BAD_CAST "name", BAD_CAST p[0]));
                        X(xmlTextWriterWriteAttribute(w, BAD_CAST "value", BAD_CAST p[1]));
                        X(xmlTextWriterEndElement(w));
                }
                X(xmlTextWriterEndElement(w));
        }
        for (size_t i = 0; i < su->n; i++) {
                const JunitCase *c = &su->cases[i];

                X(xmlTextWriterStartElement(w, BAD_CAST "testcase"));
                X(xmlTextWriterWriteAttribute(w, BAD_CAST "classname", BAD_CAST(c->classname ? c->classname : "kpin.boot-test")));
                X(xmlTextWriterWriteAttribute(w, BAD_CAST "name", BAD_CAST c->name));
                snprintf(num, sizeof(num), "%.3f", c->seconds);
                X(xmlTextWriterWriteAttribute(w, BAD_CAST "time", BAD_CAST num));
                if (c->skipped) {
                        X(xmlTextWriterStartElement(w, BAD_CAST "skipped"));
                        if (c->message)
                                X(xmlTextWriterWriteAttribute(w, BAD_CAST "message", BAD_CAST c->message));
                        X(xmlTextWriterEndElement(w));
                } else if (!c->passed) {
                        X(xmlTextWriterStartElement(w, BAD_CAST "failure"));
                        X(xmlTextWriterWriteAttribute(w, BAD_CAST "message", BAD_CAST(c->message ? c->message : "failed")));
                        if (c->details)
                                X(xmlTextWriterWriteString(w, BAD_CAST c->details));
                        X(xmlTextWriterEndElement(w));
                }
                X(xmlTextWriterEndElement(w));
        }
        if (su->system_out)
                X(xmlTextWriterWriteElement(w, BAD_CAST "system-out", BAD_CAST su->system_out));
        X(xmlTextWriterEndElement(w));
#undef X
        return ok;
}

int junit_write_suites(const char *path, const JunitSuite *suites, size_t n) {
        xmlTextWriterPtr w = xmlNewTextWriterFilename(path, 0);
        int ok = 0;

        if (!w)
                return -EIO;
        (void) xmlTextWriterSetIndent(w, 1);
        ok = xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL);
        if (ok >= 0)
                ok = xmlTextWriterStartElement(w, BAD_CAST "testsuites");
        for (size_t i = 0; i < n && ok >= 0; i++)
                ok = write_suite(w, &suites[i]);
        if (ok >= 0)
                ok = xmlTextWriterEndDocument(w);
        xmlFreeTextWriter(w);
        return ok < 0 ? -EIO : 0;
}

int junit_write(const char *path, const char *suite, const JunitCase *cases, size_t n, double seconds) {
        return junit_write_props(path, suite, cases, n, seconds, NULL);
}

int junit_write_props(const char *path, const char *suite, const JunitCase *cases, size_t n, double seconds,
                      char * const *properties) {
        return junit_write_suites(path,
                                  &(JunitSuite) { .name = suite, .cases = cases, .n = n, .seconds = seconds,
                                                  .properties = properties },
                                  1);
}
