/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "console.h"
#include "shared/strv.h"

static const char *const event_names[_CONSOLE_EVENT_MAX] = {
        [CONSOLE_GRUB_LOADING] = "grub-loading", [CONSOLE_GRUB_ERROR] = "grub-error",
        [CONSOLE_GRUB_STUCK] = "grub-stuck",
        [CONSOLE_KERNEL] = "kernel",             [CONSOLE_USERSPACE] = "userspace",
        [CONSOLE_PANIC] = "panic",               [CONSOLE_EMERGENCY] = "emergency",
        [CONSOLE_PROBE_BEGIN] = "probe-begin",   [CONSOLE_PROBE] = "probe",
        [CONSOLE_PROBE_END] = "probe-end",       [CONSOLE_LOGIN] = "login",
};

const char *console_event_to_string(ConsoleEventType t) {
        return t < _CONSOLE_EVENT_MAX ? event_names[t] : "unknown";
}

int console_init(ConsoleMatcher *m, const char *token, ConsoleCallback cb, void *userdata) {
        size_t n = token ? strlen(token) : 0;

        if (n == 0 || n >= sizeof(m->token))
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) token[i]))
                        return -EINVAL;
        *m = (ConsoleMatcher) { .cb = cb, .userdata = userdata };
        memcpy(m->token, token, n + 1);
        return 0;
}

/* Copies the first whitespace-delimited word after p into out. */
static const char *word(const char *p, char *out, size_t size) {
        size_t n = strcspn(p, " \t");

        if (n >= size)
                n = size - 1;
        memcpy(out, p, n);
        out[n] = '\0';
        return out;
}

static void emit(ConsoleMatcher *m, ConsoleEventType t, const char *arg) {
        if (m->cb)
                m->cb(m->userdata, t, arg);
}

static const char *const emergency_markers[] = {
        "You are in emergency mode",
        "Entering emergency mode",
        "Give root password for maintenance",
        "Cannot open access to console, the root account is locked",
        "Dropping to a shell!",
        "dracut Warning: Could not boot",
        "Entering rescue mode",
};

/* A probe line: "KPIN-PROBE[-BEGIN|-END] TOKEN[ rest]" anywhere in line. */
static bool match_probe(ConsoleMatcher *m, const char *line) {
        static const struct {
                const char *tag;
                ConsoleEventType type;
        } tags[] = {
                { "KPIN-PROBE-BEGIN ", CONSOLE_PROBE_BEGIN },
                { "KPIN-PROBE-END ", CONSOLE_PROBE_END },
                { "KPIN-PROBE ", CONSOLE_PROBE },
        };
        size_t tl = strlen(m->token);

        for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
                const char *p = strstr(line, tags[i].tag);

                if (!p)
                        continue;
                p += strlen(tags[i].tag);
                if (strncmp(p, m->token, tl) != 0 || (p[tl] != '\0' && p[tl] != ' '))
                        return false; /* another boot's probe, or a forgery */
                p += tl;
                while (*p == ' ')
                        p++;
                emit(m, tags[i].type, p);
                return true;
        }
        return false;
}

static void match_line(ConsoleMatcher *m, const char *line) {
        const char *p;
        char w[256];

        if (!*line)
                return;
        if (match_probe(m, line))
                return;
        if ((p = strstr(line, "Kernel panic - not syncing"))) {
                emit(m, CONSOLE_PANIC, p);
                return;
        }
        if (!m->kernel_seen && (p = strstr(line, "Loading Linux "))) {
                emit(m, CONSOLE_GRUB_LOADING, word(p + strlen("Loading Linux "), w, sizeof(w)));
                return;
        }
        if ((p = strstr(line, "Linux version ")) && !m->kernel_seen) {
                m->kernel_seen = true;
                emit(m, CONSOLE_KERNEL, word(p + strlen("Linux version "), w, sizeof(w)));
                return;
        }
        if (!m->kernel_seen && (p = strstr(line, "error: "))) {
                emit(m, CONSOLE_GRUB_ERROR, p);
                return;
        }
        for (size_t i = 0; i < sizeof(emergency_markers) / sizeof(emergency_markers[0]); i++)
                if ((p = strstr(line, emergency_markers[i]))) {
                        emit(m, CONSOLE_EMERGENCY, p);
                        return;
                }
        if (m->kernel_seen && !m->userspace_seen &&
            ((p = strstr(line, "Welcome to ")) || (p = strstr(line, "systemd[1]: ")))) {
                m->userspace_seen = true;
                emit(m, CONSOLE_USERSPACE, p);
        }
}

/* Prompts end without a newline: check the pending partial line. */
static void match_prompt(ConsoleMatcher *m) {
        if (m->prompt_reported || m->len == 0)
                return;
        m->line[m->len] = '\0';
        if (m->len >= 7 && strcmp(m->line + m->len - 7, "login: ") == 0) {
                m->prompt_reported = true;
                emit(m, CONSOLE_LOGIN, m->line);
        } else if (!m->kernel_seen && (strstr(m->line, "Press any key to continue...") ||
                                       endswith(m->line, "grub rescue> ") || strcmp(m->line, "grub> ") == 0)) {
                m->prompt_reported = true;
                emit(m, CONSOLE_GRUB_STUCK, m->line);
        } else if (strcmp(m->line, "(initramfs) ") == 0 || startswith(m->line, "dracut:/#")) {
                m->prompt_reported = true;
                emit(m, CONSOLE_EMERGENCY, m->line);
        }
}

static void end_line(ConsoleMatcher *m) {
        m->line[m->len] = '\0';
        match_line(m, m->line);
        m->len = 0;
        m->prompt_reported = false;
}

void console_feed(ConsoleMatcher *m, const char *buf, size_t n) {
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) buf[i];

                if (m->esc == 1) { /* after ESC: CSI, OSC, or a two-byte sequence */
                        m->esc = c == '[' ? 2 : c == ']' ? 3 : 0;
                        continue;
                }
                if (m->esc == 3) { /* OSC until BEL or ESC */
                        if (c == 0x07)
                                m->esc = 0;
                        else if (c == 0x1b)
                                m->esc = 1;
                        continue;
                }
                if (m->esc == 2) { /* CSI parameters until a final byte */
                        if (c >= 0x40 && c <= 0x7e)
                                m->esc = 0;
                        continue;
                }
                if (c == 0x1b) {
                        m->esc = 1;
                        continue;
                }
                if (c == '\n') {
                        end_line(m);
                        continue;
                }
                if (c == '\r' || c == '\0' || (c < 0x20 && c != '\t'))
                        continue;
                if (m->len < CONSOLE_LINE_MAX - 1)
                        m->line[m->len++] = (char) c;
        }
        match_prompt(m);
}

void console_finish(ConsoleMatcher *m) {
        if (m->len > 0 && !m->prompt_reported)
                end_line(m);
}
