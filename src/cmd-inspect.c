/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "guest/guest.h"
#include "guest/image.h"
#include "guest/inspect.h"
#include "kpin.h"
#include "report/json.h"
#include "shared/cleanup.h"
#include "shared/log.h"
#include "shared/strv.h"

static void print_indented(const char *indent, const char *text) {
        for (const char *p = text; *p;) {
                const char *eol = strchrnul(p, '\n');

                printf("%s%.*s\n", indent, (int) (eol - p), p);
                p = *eol ? eol + 1 : eol;
        }
}

static void print_human(const char *image, const ImageInfo *img, const Guest *gu, const GuestState *s) {
        printf("image:    %s (%s, %.1f GiB virtual%s%s)\n", image, image_format_to_string(img->format),
               (double) img->virtual_size / (1024.0 * 1024 * 1024),
               img->backing_file ? ", backing file " : "", img->backing_file ? img->backing_file : "");
        printf("os:       %s (%s %d.%d, %s)\n", gu->product, gu->distro, gu->major, gu->minor, gu->arch);
        printf("root:     %s (%s)\n", gu->root, gu->root_fstype ? gu->root_fstype : "unknown");

        printf("kernels:\n");
        if (s->n_kernels == 0)
                printf("  none found in /boot\n");
        for (size_t i = 0; i < s->n_kernels; i++) {
                const KernelInfo *k = &s->kernels[i];
                bool def = s->grub_kernel && strcmp(s->grub_kernel, k->release) == 0;

                printf("  %c %-32s %s %s  headers:%s initramfs:%s\n", def ? '*' : ' ', k->release,
                       k->package ? k->package : "(no package)", k->package_version ? k->package_version : "",
                       k->headers ? "yes" : "no", k->initramfs ? "yes" : "no");
        }

        printf("grub:\n");
        printf("  GRUB_DEFAULT=%s (/etc/default/grub)\n", s->grub_configured ? s->grub_configured : "(unset)");
        if (s->grub_value)
                printf("  default:  %s (from %s)\n", s->grub_value, s->grub_value_source);
        if (s->grub.entry)
                printf("  boots:    %s -> %s\n            id %s\n", s->grub.title_path,
                       s->grub_kernel ? s->grub_kernel : "(no Linux kernel)", s->grub.id_path);
        if (s->grub_problem)
                printf("  problem:  %s\n", s->grub_problem);

        printf("holds:%s\n", s->n_holds ? "" : " none");
        for (size_t i = 0; i < s->n_holds; i++)
                printf("  %s %s\n", s->holds[i].name, s->holds[i].version);
        printf("apt pins on kernels:%s\n", s->n_pins ? "" : " none");
        for (size_t i = 0; i < s->n_pins; i++)
                printf("  %s:%u  Package: %s  Pin: %s  Pin-Priority: %s\n", s->pins[i].file, s->pins[i].line,
                       s->pins[i].package, s->pins[i].pin, s->pins[i].priority);

        printf("dkms:%s\n", s->n_dkms ? "" : " no modules");
        for (size_t i = 0; i < s->n_dkms; i++) {
                const DkmsModule *m = &s->dkms[i];

                printf("  %s/%s\n", m->name, m->version);
                for (size_t j = 0; j < m->n_kernels; j++) {
                        const DkmsKernel *k = &m->kernels[j];

                        printf("    %-32s %s\n", k->kernel, dkms_state_to_string(k->state));
                        if (k->error)
                                print_indented("      ", k->error);
                        if (k->log)
                                printf("      log: %s (in the guest)\n", k->log);
                }
        }
        if (s->broken_packages) {
                printf("packages dpkg left unconfigured:\n");
                STRV_FOREACH(b, s->broken_packages)
                        printf("  %s\n", *b);
        }
        STRV_FOREACH(n, s->notes)
                printf("note: %s\n", *n);
}

int cmd_inspect(Context *ctx, char **args) {
        _cleanup_(guest_closep) Guest *gu = NULL;
        _cleanup_(guest_state_freep) GuestState *s = NULL;
        _cleanup_(image_info_done) ImageInfo img = {};
        json_object *o = NULL;
        const char *image = args[0];
        bool kvm;
        int r;

        r = image_check(image, false, ctx->allow_backing, &img);
        if (r < 0)
                return r;
        r = accel_resolve(ctx->accel, &kvm);
        if (r < 0)
                return log_fail(KPIN_EXIT_ENVIRONMENT, r, "probing KVM failed: %m");
        r = guest_open(image, &(GuestOpenOptions) {
                                      .format = img.format,
                                      .readonly = true,
                                      .kvm = kvm,
                                      .verbosity = ctx->verbosity,
                              },
                       &gu);
        if (r < 0)
                return r;
        r = guest_inspect(gu, &s);
        if (r < 0)
                return log_fail(KPIN_EXIT_FAILURE, r, "%s: inspection failed: %m", image);

        if (ctx->json || ctx->report) {
                r = inspect_to_json(image, &img, gu, s, &o);
                if (r < 0)
                        return log_fail(KPIN_EXIT_FAILURE, r, "building the JSON report failed: %m");
                if (ctx->report && (r = json_write(o, ctx->report)) < 0) {
                        json_object_put(o);
                        return log_fail(KPIN_EXIT_FAILURE, r, "%s: cannot write the report: %m", ctx->report);
                }
                if (ctx->json && (r = json_write(o, "-")) < 0) {
                        json_object_put(o);
                        return log_fail(KPIN_EXIT_FAILURE, r, "cannot write to stdout: %m");
                }
                json_object_put(o);
        }
        if (!ctx->json)
                print_human(image, &img, gu, s);
        return 0;
}
