/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_close_ _cleanup_(closep)

static inline void freep(void *p) {
        free(*(void **) p);
}

static inline void *mfree(void *p) {
        free(p);
        return NULL;
}

static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}

static inline void closedirp(DIR **d) {
        if (*d)
                closedir(*d);
}

static inline void closep(int *fd) {
        if (*fd >= 0)
                close(*fd);
}

/* Hand ownership to the caller: returns the pointer and clears the variable. */
#define TAKE_PTR(p)                             \
        ({                                      \
                __typeof__(p) _p_ = (p);        \
                (p) = NULL;                     \
                _p_;                            \
        })

/* The same for a struct: returns it and zeroes the variable. */
#define TAKE_STRUCT(s)                                  \
        ({                                              \
                __typeof__(s) _s_ = (s);                \
                (s) = (__typeof__(s)) {};               \
                _s_;                                    \
        })

#define TAKE_FD(fd)                             \
        ({                                      \
                int _fd_ = (fd);                \
                (fd) = -1;                      \
                _fd_;                           \
        })

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
