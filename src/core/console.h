/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* What a serial console says while an image boots, as events: fed raw byte
 * chunks (any split, ANSI escapes and CRs included), it reports each event
 * once, as soon as the line (or prompt) carrying it is complete. Pure: no
 * I/O, no clock. */
typedef enum ConsoleEventType {
        CONSOLE_GRUB_LOADING,   /* "Loading Linux 6.1.0-56-cloud-amd64 ..."; arg: the release */
        CONSOLE_GRUB_ERROR,     /* GRUB's "error: ..." before any kernel; arg: the line (GRUB may
                                 * still boot on: a missing initrd is an error, then a panic) */
        CONSOLE_GRUB_STUCK,     /* GRUB waits: "Press any key to continue..." or its prompt before any kernel */
        CONSOLE_KERNEL,         /* "Linux version X ..."; arg: the release */
        CONSOLE_USERSPACE,      /* systemd started ("Welcome to ...", "systemd[1]:"); arg: the line */
        CONSOLE_PANIC,          /* "Kernel panic - not syncing: ..."; arg: the line */
        CONSOLE_EMERGENCY,      /* emergency mode, an initramfs or dracut shell; arg: the line */
        CONSOLE_PROBE_BEGIN,    /* "KPIN-PROBE-BEGIN TOKEN" */
        CONSOLE_PROBE,          /* "KPIN-PROBE TOKEN key=value"; arg: "key=value" */
        CONSOLE_PROBE_END,      /* "KPIN-PROBE-END TOKEN" */
        CONSOLE_LOGIN,          /* a "login: " prompt */
        _CONSOLE_EVENT_MAX,
} ConsoleEventType;

#define CONSOLE_LINE_MAX 4096

typedef void (*ConsoleCallback)(void *userdata, ConsoleEventType type, const char *arg);

typedef struct ConsoleMatcher {
        char token[65];             /* the probe's markers carry it */
        char line[CONSOLE_LINE_MAX];
        size_t len;
        int esc;                    /* escape sequence: 1 after ESC, 2 in CSI, 3 in OSC */
        bool kernel_seen, userspace_seen, prompt_reported;
        ConsoleCallback cb;
        void *userdata;
} ConsoleMatcher;

/* token: [A-Za-z0-9] only, at most 64 characters (-EINVAL otherwise). */
int console_init(ConsoleMatcher *m, const char *token, ConsoleCallback cb, void *userdata);
void console_feed(ConsoleMatcher *m, const char *buf, size_t n);
/* The end of the stream: a last line without a newline is matched too. */
void console_finish(ConsoleMatcher *m);
const char *console_event_to_string(ConsoleEventType t);
