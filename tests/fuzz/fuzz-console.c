/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/console.h"
#include "fuzz.h"

static void on_event(void *userdata, ConsoleEventType type, const char *arg) {
        (*(size_t *) userdata)++;
        if (type >= _CONSOLE_EVENT_MAX || (arg && strlen(arg) >= CONSOLE_LINE_MAX))
                abort();
}

/* A serial console: the first byte splits the rest into two chunks, as a
 * socket read would. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ConsoleMatcher m;
        size_t events = 0, cut;

        if (size < 1 || console_init(&m, "fuzztoken0123456", on_event, &events) < 0)
                return 0;
        cut = data[0] % size;
        console_feed(&m, (const char *) data + 1, cut);
        console_feed(&m, (const char *) data + 1 + cut, size - 1 - cut);
        console_finish(&m);
        return 0;
}
