/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "osinfo.h"
#include "shared/unaligned.h"
#include "shared/cleanup.h"
#include "shared/strv.h"

void fstab_mounts_free(FstabMount *m, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(m[i].key);
                free(m[i].mountpoint);
        }
        free(m);
}

/* "/", "/boot/efi": no empty, "." or ".." component, no trailing slash */
static bool canonical_path(const char *p) {
        if (p[0] != '/')
                return false;
        if (p[1] == '\0')
                return true;
        for (const char *c = p; *c;) {
                const char *next = strchr(c + 1, '/');
                size_t n = next ? (size_t) (next - c - 1) : strlen(c + 1);

                if (n == 0 || (n == 1 && c[1] == '.') || (n == 2 && c[1] == '.' && c[2] == '.'))
                        return false;
                c = next ? next : c + 1 + n;
        }
        return true;
}

static bool under(const char *mp, const char *dir) {
        size_t n = strlen(dir);

        return strncmp(mp, dir, n) == 0 && (mp[n] == '\0' || mp[n] == '/');
}

/* One fstab line split into at most 4 fields; 0 fields for a comment. */
static size_t split_fields(char *line, char *field[4]) {
        size_t n = 0;
        char *p = line;

        while (n < 4) {
                p += strspn(p, " \t\r");
                if (*p == '\0' || (n == 0 && *p == '#'))
                        break;
                field[n++] = p;
                p += strcspn(p, " \t\r");
                if (*p == '\0')
                        break;
                *p++ = '\0';
        }
        return n;
}

static int add_mount(FstabMount **m, size_t *n, FstabSpec spec, const char *key, const char *mp) {
        FstabMount *grown;

        if (*n >= FSTAB_MAX_MOUNTS)
                return -EOPNOTSUPP;
        grown = realloc(*m, (*n + 1) * sizeof(FstabMount));
        if (!grown)
                return -ENOMEM;
        *m = grown;
        grown[*n] = (FstabMount) { .spec = spec };
        (*n)++;
        grown[*n - 1].mountpoint = strdup(mp);
        if (key)
                grown[*n - 1].key = strdup(key);
        if (!grown[*n - 1].mountpoint || (key && !grown[*n - 1].key))
                return -ENOMEM;
        return 0;
}

static int fstab_line(char *line, FstabMount **m, size_t *n, bool *have_root) {
        char *field[4] = {};
        size_t nf = split_fields(line, field);
        const char *spec, *mp, *type, *key = NULL;
        FstabSpec kind;

        if (nf == 0)
                return 0;
        if (nf < 3)
                return -EOPNOTSUPP;
        spec = field[0], mp = field[1], type = field[2];
        if (strpbrk(spec, "\\\"'") || strpbrk(mp, "\\\"'"))
                return -EOPNOTSUPP; /* escapes and quotes: the full inspection's parser */
        /* floppies and CD-ROMs */
        if ((startswith(spec, "/dev/fd") && spec[7] >= '0' && spec[7] <= '9') ||
            (startswith(spec, "/dev/cd") && spec[7] >= '0' && spec[7] <= '9') || strcmp(spec, "/dev/floppy") == 0 ||
            strcmp(spec, "/dev/cdrom") == 0 || startswith(spec, "/dev/iso9660/"))
                return 0;
        if (strcmp(type, "swap") == 0)
                return 0;
        if (!canonical_path(mp))
                return -EOPNOTSUPP;
        if (under(mp, "/dev") || startswith(mp, "/media/") || under(mp, "/proc") || under(mp, "/selinux") ||
            under(mp, "/sys"))
                return 0;

        if (startswith(spec, "UUID="))
                kind = FSTAB_SPEC_UUID, key = spec + 5;
        else if (startswith(spec, "/dev/disk/by-uuid/"))
                kind = FSTAB_SPEC_UUID, key = spec + 18;
        else if (startswith(spec, "LABEL="))
                kind = FSTAB_SPEC_LABEL, key = spec + 6;
        else if (strcmp(spec, "/dev/root") == 0)
                kind = FSTAB_SPEC_ROOT;
        else if (spec[0] == '/' || strchr(spec, '='))
                return -EOPNOTSUPP; /* guest device names, PARTUUID=, PARTLABEL=, ... */
        else
                return 0; /* tmpfs, proc, none, host:/export, ... */
        if (key && *key == '\0')
                return -EOPNOTSUPP;
        if (strcmp(type, "btrfs") == 0)
                return -EOPNOTSUPP; /* subvolumes */
        if (strcmp(mp, "/") == 0) {
                if (*have_root)
                        return -EOPNOTSUPP;
                *have_root = true;
        }
        return add_mount(m, n, kind, key, mp);
}

int fstab_mounts(const char *text, size_t len, FstabMount **ret, size_t *ret_n) {
        _cleanup_free_ char *copy = NULL;
        FstabMount *m = NULL;
        size_t n = 0;
        bool have_root = false;
        char *line, *next;
        int r = 0;

        if (len > FSTAB_MAX_BYTES)
                return -EOPNOTSUPP;
        if (memchr(text, '\0', len))
                return -EBADMSG;
        copy = strndup(text, len);
        if (!copy)
                return -ENOMEM;
        for (line = copy; line && r >= 0; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                r = fstab_line(line, &m, &n, &have_root);
        }
        if (r < 0) {
                fstab_mounts_free(m, n);
                return r;
        }
        *ret = m;
        *ret_n = n;
        return 0;
}

/* "13.8" -> 13, 8; "13" -> 13, 0; leading digits only, then end, '.' or
 * a newline */
static int major_minor(const char *s, int *ret_major, int *ret_minor) {
        long v[2] = { 0, 0 };
        const char *p = s;

        for (int i = 0; i < 2; i++) {
                char *end;

                if (*p < '0' || *p > '9')
                        return -EOPNOTSUPP;
                errno = 0;
                v[i] = strtol(p, &end, 10);
                if (errno || v[i] > 9999)
                        return -EOPNOTSUPP;
                p = end;
                if (*p != '.')
                        break;
                p++;
        }
        if (*p != '\0' && *p != '\n' && *p != '.')
                return -EOPNOTSUPP;
        *ret_major = (int) v[0];
        *ret_minor = (int) v[1];
        return 0;
}

int os_version(const char *distro, const char *version_id, const char *debian_version, int *ret_major,
               int *ret_minor) {
        if (!distro)
                return -EOPNOTSUPP;
        if (strcmp(distro, "debian") == 0)
                return debian_version ? major_minor(debian_version, ret_major, ret_minor) : -EOPNOTSUPP;
        if (strcmp(distro, "ubuntu") == 0)
                return version_id ? major_minor(version_id, ret_major, ret_minor) : -EOPNOTSUPP;
        return -EOPNOTSUPP;
}

const char *elf_arch(const uint8_t *hdr, size_t len) {
        unsigned machine;

        if (len < 20 || memcmp(hdr, "\177ELF", 4) != 0)
                return NULL;
        if (hdr[5] != 1) /* little-endian only */
                return NULL;
        machine = unaligned_le16(hdr + 18);
        if (hdr[4] == 2 && machine == 62)
                return "x86_64";
        if (hdr[4] == 2 && machine == 183)
                return "aarch64";
        if (hdr[4] == 1 && machine == 3)
                return "i386";
        return NULL;
}
