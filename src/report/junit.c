/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <libxml/xmlwriter.h>
#include <stdio.h>

#include "junit.h"

int junit_write(const char *path, const char *suite, const JunitCase *cases, size_t n, double seconds) {
        xmlTextWriterPtr w = xmlNewTextWriterFilename(path, 0);
        size_t failures = 0, skipped = 0;
        char num[64];
        int ok = 0;

        if (!w)
                return -EIO;
        for (size_t i = 0; i < n; i++) {
                skipped += cases[i].skipped;
                failures += !cases[i].passed && !cases[i].skipped;
        }
        (void) xmlTextWriterSetIndent(w, 1);
#define X(call) ok = ok < 0 ? ok : (call)
        X(xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL));
        X(xmlTextWriterStartElement(w, BAD_CAST "testsuites"));
        X(xmlTextWriterStartElement(w, BAD_CAST "testsuite"));
        X(xmlTextWriterWriteAttribute(w, BAD_CAST "name", BAD_CAST suite));
        snprintf(num, sizeof(num), "%zu", n);
        X(xmlTextWriterWriteAttribute(w, BAD_CAST "tests", BAD_CAST num));
        snprintf(num, sizeof(num), "%zu", failures);
        X(xmlTextWriterWriteAttribute(w, BAD_CAST "failures", BAD_CAST num));
        X(xmlTextWriterWriteAttribute(w, BAD_CAST "errors", BAD_CAST "0"));
        snprintf(num, sizeof(num), "%zu", skipped);
        X(xmlTextWriterWriteAttribute(w, BAD_CAST "skipped", BAD_CAST num));
        snprintf(num, sizeof(num), "%.3f", seconds);
        X(xmlTextWriterWriteAttribute(w, BAD_CAST "time", BAD_CAST num));
        for (size_t i = 0; i < n; i++) {
                X(xmlTextWriterStartElement(w, BAD_CAST "testcase"));
                X(xmlTextWriterWriteAttribute(w, BAD_CAST "classname", BAD_CAST(cases[i].classname ? cases[i].classname : "kpin.boot-test")));
                X(xmlTextWriterWriteAttribute(w, BAD_CAST "name", BAD_CAST cases[i].name));
                snprintf(num, sizeof(num), "%.3f", cases[i].seconds);
                X(xmlTextWriterWriteAttribute(w, BAD_CAST "time", BAD_CAST num));
                if (cases[i].skipped) {
                        X(xmlTextWriterStartElement(w, BAD_CAST "skipped"));
                        if (cases[i].message)
                                X(xmlTextWriterWriteAttribute(w, BAD_CAST "message", BAD_CAST cases[i].message));
                        X(xmlTextWriterEndElement(w));
                } else if (!cases[i].passed) {
                        X(xmlTextWriterStartElement(w, BAD_CAST "failure"));
                        X(xmlTextWriterWriteAttribute(w, BAD_CAST "message",
                                                      BAD_CAST(cases[i].message ? cases[i].message : "failed")));
                        if (cases[i].details)
                                X(xmlTextWriterWriteString(w, BAD_CAST cases[i].details));
                        X(xmlTextWriterEndElement(w));
                }
                X(xmlTextWriterEndElement(w));
        }
        X(xmlTextWriterEndDocument(w));
#undef X
        xmlFreeTextWriter(w);
        return ok < 0 ? -EIO : 0;
}
