/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <guestfs.h>

#include "core/dkmsstatus.h"
#include "core/gpt.h"
#include "core/modinfo.h"
#include "core/pe.h"
#include "core/shellvars.h"
#include "core/kver.h"
#include "inspect-internal.h"
#include "inspect.h"
#include "shared/cleanup.h"
#include "shared/clock.h"
#include "shared/log.h"
#include "shared/strv.h"

#define MAX_SMALL_FILE (1u << 20)

#define GPT_ESP "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
#define GPT_BIOS_BOOT "21686148-6449-6E6F-744E-656564454649"

/* The device the guest mounts at mp, from the inspection's mountpoints. */
static const char *mounted_from(const Guest *gu, const char *mp) {
        size_t n = strlen(mp);

        STRV_FOREACH(m, gu->os.mountpoints)
                if (strncmp(*m, mp, n) == 0 && (*m)[n] == ' ')
                        return *m + n + 1;
        return NULL;
}

/* The first sector of dev holds something (boot code): not all zeros. */
static bool has_code(Guest *gu, const char *dev, size_t len) {
        size_t got = 0;
        _cleanup_free_ char *b = guestfs_pread_device(gu->g, dev, (int) len, 0, &got);

        if (!b || got < len)
                return false;
        for (size_t i = 0; i < len; i++)
                if (b[i])
                        return true;
        return false;
}

static int file_signed(Guest *gu, const char *path) {
        size_t got = 0;
        _cleanup_free_ char *b = NULL;

        if (!guest_is_file(gu, path))
                return 0;
        b = guestfs_pread(gu->g, path, 4096, 0, &got);
        return b ? pe_signed(b, got) > 0 : 0;
}

/* "search.fs_uuid UUID root" or "search --fs-uuid --set=root UUID" */
static char *grub_stub_uuid(const char *text) {
        const char *p = strstr(text, "search.fs_uuid ");

        if (p)
                p += strlen("search.fs_uuid ");
        else if ((p = strstr(text, "--fs-uuid"))) {
                const char *eol = strchrnul(p, '\n');

                p = memrchr(p, ' ', eol - p);
                if (p)
                        p++;
        }
        return p ? strndup(p, strcspn(p, " \t\n")) : NULL;
}

static int inspect_esp(Guest *gu, GuestState *s) {
        BootPaths *b = &s->boot;
        _cleanup_strv_free_ char **dirs = NULL;
        _cleanup_free_ char *efi = NULL;
        const char *mp = b->esp_mount;
        int r;

        efi = strprintf("%s/EFI", mp);
        if (!efi)
                return -ENOMEM;
        if (guest_list_dir(gu, efi, 100, &dirs) < 0)
                return 0;
        strv_sort(dirs);
        STRV_FOREACH(d, dirs) {
                _cleanup_strv_free_ char **files = NULL;
                _cleanup_free_ char *dir = strprintf("%s/%s", efi, *d);

                if (!dir)
                        return -ENOMEM;
                if (guest_list_dir(gu, dir, 100, &files) < 0)
                        continue;
                strv_sort(files);
                STRV_FOREACH(f, files) {
                        _cleanup_free_ char *path = strprintf("%s/%s", dir, *f);

                        if (!path)
                                return -ENOMEM;
                        if (strcasecmp(*f, "grub.cfg") == 0 && !b->esp_grub_uuid) {
                                _cleanup_free_ char *text = NULL;
                                size_t len;

                                if (inspect_read_optional(gu, path, MAX_SMALL_FILE, &text, &len) >= 0)
                                        b->esp_grub_uuid = grub_stub_uuid(text);
                                continue;
                        }
                        if (!endswith(*f, ".efi") && !endswith(*f, ".EFI"))
                                continue;
                        r = strv_consume(&b->loaders, strprintf("EFI/%s/%s", *d, *f));
                        if (r < 0)
                                return r;
                        if (strcasecmp(*d, "BOOT") == 0 && strcasecmp(*f, "BOOTX64.EFI") == 0)
                                b->removable = true;
                        if (strcasecmp(*f, "shimx64.efi") == 0)
                                b->shim = true;
                        if (strcasecmp(*f, "grubx64.efi") == 0 && file_signed(gu, path))
                                b->grub_signed = true;
                }
        }
        if (b->loaders)
                b->firmwares |= 1u << FIRMWARE_UEFI;
        return 0;
}

/* The disk's partitions as (number, type) pairs: a GPT read directly
 * (parted and sgdisk take seconds each under TCG), else what parted
 * tells, MBR ids mapped to the one type that matters (the ESP). */
static int partition_types(Guest *gu, const char *disk, char **ret_table, GptPart **ret, size_t *ret_n) {
        _cleanup_free_ char *bytes = NULL;
        struct guestfs_partition_list *parts;
        GptPart *p;
        size_t got = 0, n = 0;
        int r;

        bytes = guestfs_pread_device(gu->g, disk, GPT_READ_BYTES, 0, &got);
        if (bytes) {
                r = gpt_parse((const uint8_t *) bytes, got, ret, ret_n);
                if (r != -EOPNOTSUPP) {
                        if (r >= 0 && !(*ret_table = strdup("gpt"))) {
                                free(*ret);
                                return -ENOMEM;
                        }
                        return r;
                }
        }
        *ret_table = guestfs_part_get_parttype(gu->g, disk);
        parts = *ret_table ? guestfs_part_list(gu->g, disk) : NULL;
        p = calloc(parts ? parts->len + 1 : 1, sizeof(GptPart));
        for (size_t i = 0; p && parts && i < parts->len; i++) {
                int num = parts->val[i].part_num;
                _cleanup_free_ char *type = NULL;

                if (strcmp(*ret_table, "gpt") == 0)
                        type = guestfs_part_get_gpt_type(gu->g, disk, num);
                else if (guestfs_part_get_mbr_id(gu->g, disk, num) == 0xef)
                        type = strdup(GPT_ESP);
                if (!type || strlen(type) >= sizeof(p[n].type))
                        continue;
                p[n].number = (unsigned) num;
                strcpy(p[n].type, type);
                n++;
        }
        if (parts)
                guestfs_free_partition_list(parts);
        if (!p)
                return -ENOMEM;
        *ret = p;
        *ret_n = n;
        return 0;
}

/* BIOS: GRUB's boot code in the MBR (and, on GPT, its core in the BIOS boot
 * partition); UEFI: loaders on the EFI system partition. */
int inspect_boot(Guest *gu, GuestState *s) {
        BootPaths *b = &s->boot;
        _cleanup_free_ char *dev = NULL;
        _cleanup_free_ GptPart *parts = NULL;
        const char *bootdev = mounted_from(gu, "/boot");
        size_t n = 0;
        int r;

        dev = guestfs_part_to_dev(gu->g, gu->os.root);
        if (!dev)
                return 0; /* the root is not on a partition (LVM, a whole disk): nothing to tell */
        b->disk = TAKE_PTR(dev);
        r = partition_types(gu, b->disk, &b->table, &parts, &n);
        if (r < 0)
                return r;
        b->mbr_code = has_code(gu, b->disk, 440);
        b->boot_uuid = guestfs_vfs_uuid(gu->g, bootdev ? bootdev : gu->os.root);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *pdev = strprintf("%s%u", b->disk, parts[i].number);

                if (!pdev)
                        return -ENOMEM;
                if (strcasecmp(parts[i].type, GPT_BIOS_BOOT) == 0 && has_code(gu, pdev, 512) && !b->bios_boot)
                        b->bios_boot = TAKE_PTR(pdev);
                else if (strcasecmp(parts[i].type, GPT_ESP) == 0 && !b->esp)
                        b->esp = TAKE_PTR(pdev);
        }
        if (b->mbr_code && (strcmp(b->table ? b->table : "", "gpt") != 0 || b->bios_boot))
                b->firmwares |= 1u << FIRMWARE_BIOS;
        if (b->esp) {
                STRV_FOREACH(m, gu->os.mountpoints) {
                        const char *sp = strchr(*m, ' ');

                        if (sp && strcmp(sp + 1, b->esp) == 0 && !(b->esp_mount = strndup(*m, sp - *m)))
                                return -ENOMEM;
                }
                if (b->esp_mount && (r = inspect_esp(gu, s)) < 0)
                        return r;
        }
        if (s->grub_kernel) {
                _cleanup_free_ char *k = strprintf("/boot/vmlinuz-%s", s->grub_kernel);

                if (!k)
                        return -ENOMEM;
                b->kernel_signed = file_signed(gu, k);
        }
        return 0;
}
