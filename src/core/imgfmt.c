/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "imgfmt.h"
#include "shared/cleanup.h"
#include "shared/strv.h"
#include "shared/unaligned.h"

#define QCOW2_MAGIC 0x514649fbU
#define QCOW2_OFFSET_MASK 0x00fffffffffffe00ULL
#define QCOW2_COMPRESSED (1ULL << 62)
#define QCOW2_INCOMPAT_DIRTY (1ULL << 0)
#define QCOW2_INCOMPAT_CORRUPT (1ULL << 1)
#define QCOW2_INCOMPAT_DATA_FILE (1ULL << 2)
#define QCOW2_INCOMPAT_COMPRESSION (1ULL << 3)
#define QCOW2_INCOMPAT_EXTL2 (1ULL << 4)
#define QCOW2_MAX_L1_ENTRIES (32U * 1024 * 1024)
#define QCOW2_MAX_BACKING_NAME 1023
#define QCOW2_EXT_BACKING_FORMAT 0xe2792acaU
#define QCOW2_MAX_EXTENSIONS 64

int image_read_mem(void *userdata, uint64_t off, void *buf, size_t len) {
        const ImageMem *m = userdata;

        if (off > m->size || len > m->size - off)
                return -EIO;
        memcpy(buf, (const unsigned char *) m->data + off, len);
        return 0;
}

const char *image_format_to_string(ImageFormat f) {
        return f == IMAGE_FORMAT_QCOW2 ? "qcow2" : "raw";
}

void image_info_done(ImageInfo *i) {
        free(i->backing_file);
        free(i->backing_format);
        *i = (ImageInfo) {};
}

static int why(char **ret_why, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int why(char **ret_why, int r, const char *fmt, ...) {
        va_list ap;

        if (ret_why) {
                free(*ret_why);
                *ret_why = NULL;
                va_start(ap, fmt);
                if (vasprintf(ret_why, fmt, ap) < 0)
                        *ret_why = NULL;
                va_end(ap);
        }
        return r;
}

static bool inside(uint64_t off, uint64_t len, uint64_t file_size) {
        return off <= file_size && len <= file_size - off;
}

static int check_l2(ImageReadFn read_fn, void *userdata, uint64_t l2_off, unsigned cluster_bits,
                    unsigned entry_size, uint64_t file_size, unsigned char *buf, char **ret_why) {
        uint64_t cluster = 1ULL << cluster_bits;
        unsigned cbits = 62 - (cluster_bits - 8);
        int r;

        r = read_fn(userdata, l2_off, buf, cluster);
        if (r < 0)
                return why(ret_why, -EBADMSG, "cannot read L2 table at offset %llu",
                           (unsigned long long) l2_off);
        for (uint64_t i = 0; i < cluster / entry_size; i++) {
                uint64_t e = unaligned_be64(buf + i * entry_size), off;

                if (e & QCOW2_COMPRESSED) {
                        off = e & ((1ULL << cbits) - 1);
                        if (off >= file_size)
                                return why(ret_why, -EBADMSG,
                                           "truncated: compressed cluster at offset %llu is past the end of the file (%llu bytes)",
                                           (unsigned long long) off, (unsigned long long) file_size);
                        continue;
                }
                off = e & QCOW2_OFFSET_MASK;
                if (off == 0)
                        continue;
                if (off & (cluster - 1))
                        return why(ret_why, -EBADMSG, "corrupt: unaligned data cluster offset %llu",
                                   (unsigned long long) off);
                if (!inside(off, cluster, file_size))
                        return why(ret_why, -EBADMSG,
                                   "truncated: data cluster at offset %llu is past the end of the file (%llu bytes)",
                                   (unsigned long long) off, (unsigned long long) file_size);
        }
        return 0;
}

/* The header extensions between the header and end: the backing file's
 * format, if the image records it ("qcow2", "raw"). */
static int read_backing_format(ImageReadFn read_fn, void *userdata, uint64_t off, uint64_t end, char **ret,
                               char **ret_why) {
        for (unsigned n = 0; n < QCOW2_MAX_EXTENSIONS && off + 8 <= end; n++) {
                unsigned char e[8];
                uint32_t type, len;
                int r;

                r = read_fn(userdata, off, e, sizeof(e));
                if (r < 0)
                        return why(ret_why, -EBADMSG, "cannot read the qcow2 header extensions");
                type = unaligned_be32(e);
                len = unaligned_be32(e + 4);
                if (type == 0)
                        break;
                if (len > end - off - 8)
                        return why(ret_why, -EBADMSG, "corrupt qcow2 header: extension 0x%x runs past the header",
                                   (unsigned) type);
                if (type == QCOW2_EXT_BACKING_FORMAT) {
                        char fmt[17];

                        if (len == 0 || len >= sizeof(fmt))
                                return why(ret_why, -EBADMSG, "corrupt qcow2 header: bad backing format");
                        r = read_fn(userdata, off + 8, fmt, len);
                        if (r < 0)
                                return why(ret_why, -EBADMSG, "cannot read the backing format");
                        fmt[len] = '\0';
                        if (strlen(fmt) != len)
                                return why(ret_why, -EBADMSG, "corrupt qcow2 header: backing format has a NUL byte");
                        *ret = strdup(fmt);
                        return *ret ? 0 : -ENOMEM;
                }
                off += 8 + (((uint64_t) len + 7) & ~7ULL);
        }
        return 0;
}

/* Every refcount block the table points at lies inside the file. */
static int check_refcount_table(ImageReadFn read_fn, void *userdata, uint64_t rt_off, uint32_t rt_clusters,
                                uint64_t cluster, uint64_t file_size, char **ret_why) {
        _cleanup_free_ unsigned char *rt = malloc((size_t) rt_clusters * cluster);
        int r;

        if (!rt)
                return -ENOMEM;
        r = read_fn(userdata, rt_off, rt, (size_t) rt_clusters * cluster);
        if (r < 0)
                return why(ret_why, -EBADMSG, "cannot read the refcount table");
        for (uint64_t i = 0; i < (uint64_t) rt_clusters * cluster / 8; i++) {
                uint64_t off = unaligned_be64(rt + i * 8) & ~(cluster - 1);

                if (off && !inside(off, cluster, file_size))
                        return why(ret_why, -EBADMSG,
                                   "truncated: refcount block at offset %llu is past the end of the file (%llu bytes)",
                                   (unsigned long long) off, (unsigned long long) file_size);
        }
        return 0;
}

static int identify_qcow2(ImageReadFn read_fn, void *userdata, uint64_t file_size,
                          const unsigned char *h, ImageInfo *ret, char **ret_why) {
        _cleanup_free_ unsigned char *l1 = NULL, *l2 = NULL;
        _cleanup_free_ char *backing = NULL, *backing_format = NULL;
        uint64_t incompat = 0, cluster, l1_off, rt_off, bk_off, max_l1_bytes;
        unsigned version, cluster_bits, entry_size = 8;
        uint32_t l1_size, rt_clusters, bk_size;
        int r;

        version = unaligned_be32(h + 4);
        if (version != 2 && version != 3)
                return why(ret_why, -EPROTONOSUPPORT, "qcow2 version %u is not supported", version);
        cluster_bits = unaligned_be32(h + 20);
        if (cluster_bits < 9 || cluster_bits > 21)
                return why(ret_why, -EBADMSG, "corrupt qcow2 header: cluster_bits %u", cluster_bits);
        cluster = 1ULL << cluster_bits;
        if (unaligned_be32(h + 32) != 0)
                return why(ret_why, -EPROTONOSUPPORT, "encrypted qcow2 images are not supported");
        if (version == 3) {
                incompat = unaligned_be64(h + 72);
                if (incompat & QCOW2_INCOMPAT_CORRUPT)
                        return why(ret_why, -EBADMSG, "qcow2 image is marked corrupt (run qemu-img check -r all)");
                if (incompat & QCOW2_INCOMPAT_DATA_FILE)
                        return why(ret_why, -EPROTONOSUPPORT, "qcow2 images with an external data file are not supported");
                if (incompat & ~(QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_COMPRESSION | QCOW2_INCOMPAT_EXTL2))
                        return why(ret_why, -EPROTONOSUPPORT, "qcow2 image uses unknown incompatible features 0x%llx",
                                   (unsigned long long) incompat);
                if (incompat & QCOW2_INCOMPAT_EXTL2)
                        entry_size = 16;
        }

        /* The header itself must be whole. */
        if (!inside(0, version == 3 ? 104 : 72, file_size))
                return why(ret_why, -EBADMSG, "truncated qcow2 header");

        bk_off = unaligned_be64(h + 8);
        bk_size = unaligned_be32(h + 16);
        if (bk_off != 0) {
                if (bk_size == 0 || bk_size > QCOW2_MAX_BACKING_NAME || !inside(bk_off, bk_size, file_size))
                        return why(ret_why, -EBADMSG, "corrupt qcow2 header: bad backing file name");
                backing = malloc(bk_size + 1);
                if (!backing)
                        return -ENOMEM;
                r = read_fn(userdata, bk_off, backing, bk_size);
                if (r < 0)
                        return why(ret_why, -EBADMSG, "cannot read the backing file name");
                backing[bk_size] = '\0';
                if (strlen(backing) != bk_size)
                        return why(ret_why, -EBADMSG, "corrupt qcow2 header: backing file name has a NUL byte");
                /* extensions sit in the first cluster, before the name */
                if (version == 3 && (unaligned_be32(h + 100) < 104 || unaligned_be32(h + 100) >= cluster))
                        return why(ret_why, -EBADMSG, "corrupt qcow2 header: header length %u", unaligned_be32(h + 100));
                r = read_backing_format(read_fn, userdata, version == 3 ? unaligned_be32(h + 100) : 72,
                                        bk_off < cluster ? bk_off : cluster, &backing_format, ret_why);
                if (r < 0)
                        return r;
        }

        l1_size = unaligned_be32(h + 36);
        l1_off = unaligned_be64(h + 40);
        if (l1_size > QCOW2_MAX_L1_ENTRIES)
                return why(ret_why, -EBADMSG, "corrupt qcow2 header: L1 table of %u entries", l1_size);
        /* each L1 entry maps one L2 table of cluster/entry_size clusters */
        max_l1_bytes = (uint64_t) l1_size * (cluster / entry_size) * cluster;
        if (unaligned_be64(h + 24) > max_l1_bytes)
                return why(ret_why, -EBADMSG, "corrupt qcow2 header: L1 table too small for the virtual size");
        if (l1_size > 0 && ((l1_off & (cluster - 1)) || !inside(l1_off, (uint64_t) l1_size * 8, file_size)))
                return why(ret_why, -EBADMSG, "truncated or corrupt qcow2: L1 table lies outside the file");

        rt_off = unaligned_be64(h + 48);
        rt_clusters = unaligned_be32(h + 56);
        if (rt_clusters == 0 || rt_clusters > (1U << 24) || (rt_off & (cluster - 1)) ||
            !inside(rt_off, (uint64_t) rt_clusters * cluster, file_size))
                return why(ret_why, -EBADMSG, "truncated or corrupt qcow2: refcount table lies outside the file");

        r = check_refcount_table(read_fn, userdata, rt_off, rt_clusters, cluster, file_size, ret_why);
        if (r < 0)
                return r;

        if (l1_size > 0) {
                l1 = malloc((size_t) l1_size * 8);
                l2 = malloc(cluster);
                if (!l1 || !l2)
                        return -ENOMEM;
                r = read_fn(userdata, l1_off, l1, (size_t) l1_size * 8);
                if (r < 0)
                        return why(ret_why, -EBADMSG, "cannot read the L1 table");
                for (uint32_t i = 0; i < l1_size; i++) {
                        uint64_t off = unaligned_be64(l1 + (size_t) i * 8) & QCOW2_OFFSET_MASK;

                        if (off == 0)
                                continue;
                        if ((off & (cluster - 1)) || !inside(off, cluster, file_size))
                                return why(ret_why, -EBADMSG,
                                           "truncated: L2 table at offset %llu is past the end of the file (%llu bytes)",
                                           (unsigned long long) off, (unsigned long long) file_size);
                        r = check_l2(read_fn, userdata, off, cluster_bits, entry_size, file_size, l2, ret_why);
                        if (r < 0)
                                return r;
                }
        }

        *ret = (ImageInfo) {
                .format = IMAGE_FORMAT_QCOW2,
                .virtual_size = unaligned_be64(h + 24),
                .qcow2_version = version,
                .backing_file = TAKE_PTR(backing),
                .backing_format = TAKE_PTR(backing_format),
                .dirty = incompat & QCOW2_INCOMPAT_DIRTY,
        };
        return 0;
}

int image_identify(ImageReadFn read_fn, void *userdata, uint64_t file_size,
                   ImageInfo *ret, char **ret_why) {
        static const struct {
                size_t off;
                const char *magic;
                size_t len;
                const char *name;
        } others[] = {
                { 0, "KDMV", 4, "vmdk" },
                { 0, "# Disk DescriptorFile", 21, "vmdk" },
                { 0, "vhdxfile", 8, "vhdx" },
                { 0, "QFI\0", 4, "qed" },
                { 0, "conectix", 8, "vhd" },
                { 64, "\x7f\x10\xda\xbe", 4, "vdi" },
        };
        unsigned char h[2048];
        size_t n = file_size < sizeof(h) ? file_size : sizeof(h);
        int r;

        if (file_size == 0)
                return why(ret_why, -EMEDIUMTYPE, "empty file, not a disk image");
        memset(h, 0, sizeof(h));
        r = read_fn(userdata, 0, h, n);
        if (r < 0)
                return why(ret_why, r, "cannot read the image header");

        if (n >= 4 && unaligned_be32(h) == QCOW2_MAGIC) {
                if (n < 72)
                        return why(ret_why, -EBADMSG, "truncated qcow2 header");
                return identify_qcow2(read_fn, userdata, file_size, h, ret, ret_why);
        }
        for (size_t i = 0; i < ELEMENTSOF(others); i++)
                if (n >= others[i].off + others[i].len &&
                    memcmp(h + others[i].off, others[i].magic, others[i].len) == 0)
                        return why(ret_why, -EPROTONOSUPPORT,
                                   "%s images are not supported (convert with qemu-img convert -O qcow2)",
                                   others[i].name);

        if (n < 512)
                return why(ret_why, -EMEDIUMTYPE, "not a disk image (%llu bytes, no qcow2 header)",
                           (unsigned long long) file_size);
        if ((h[510] == 0x55 && h[511] == 0xaa) ||                      /* MBR, protective MBR */
            (n >= 520 && memcmp(h + 512, "EFI PART", 8) == 0) ||        /* GPT */
            (n >= 1082 && h[1080] == 0x53 && h[1081] == 0xef) ||        /* ext2/3/4 */
            memcmp(h, "XFSB", 4) == 0 || memcmp(h, "LUKS\xba\xbe", 6) == 0) {
                *ret = (ImageInfo) { .format = IMAGE_FORMAT_RAW, .virtual_size = file_size };
                return 0;
        }
        return why(ret_why, -EMEDIUMTYPE, "not a disk image (no qcow2 header, partition table or filesystem signature)");
}
