/*
 * fuzz.h: helpers shared by the libFuzzer targets (tests/fuzz/fuzz_*.c).
 * Header-only; every target is its own program.
 */
#ifndef KESU_FUZZ_H
#define KESU_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A fixed "now" so that runs are reproducible: 2026-03-01T00:00:00Z. */
#define FUZZ_NOW_MS 1772323200000LL

/*
 * The bytes as a FILE backed by an anonymous memory file (memfd): it has a
 * real descriptor, as readers that dup() it need, and nothing touches the
 * disk. Close with fclose.
 */
static inline FILE *fuzz_memfile(const void *data, size_t len)
{
    int fd = memfd_create("fuzz", 0);
    const char *p = data;
    FILE *f;
    if (fd < 0)
        abort();
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n <= 0)
            abort();
        p += n;
        len -= (size_t)n;
    }
    if (lseek(fd, 0, SEEK_SET) != 0 || !(f = fdopen(fd, "rb")))
        abort();
    return f;
}

/* A NUL-terminated copy (free it). */
static inline char *fuzz_strndup(const void *data, size_t len)
{
    char *s = malloc(len + 1);
    if (!s)
        abort();
    memcpy(s, data, len);
    s[len] = 0;
    return s;
}

/*
 * Splits data at the first NUL byte: the part before in *a, after in *b.
 * Without a NUL, *a is everything and *b empty.
 */
static inline void fuzz_split(const uint8_t *data, size_t size, const uint8_t **a, size_t *alen,
                              const uint8_t **b, size_t *blen)
{
    const uint8_t *z = memchr(data, 0, size);
    *a = data;
    *alen = z ? (size_t)(z - data) : size;
    *b = z ? z + 1 : data + size;
    *blen = z ? size - *alen - 1 : 0;
}

#endif
