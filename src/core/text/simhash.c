/*
 * simhash: 3-gram SimHash and the exact-duplicate key. See simhash.h.
 *
 * DESIGN. The 64 bit counters are kept as eight 64-bit words of eight byte
 * lanes each: a shingle's hash is split into its eight bytes, each byte is
 * spread by a 256-entry table into a word with one 0/1 per lane, and that
 * word is added to the lanes of its byte, so one shingle costs eight table
 * loads and eight additions instead of 64 branches. Lanes are emptied into
 * wide counters every 255 shingles, before a byte could overflow.
 */
#include <stdbool.h>

#include "base/utf8.h"
#include "text/simhash.h"
#include "base/banned.h"

#define B(x, k) ((uint64_t)(((x) >> (k)) & 1) << (8 * (k)))
#define S(x)    (B(x, 0) | B(x, 1) | B(x, 2) | B(x, 3) | B(x, 4) | B(x, 5) | B(x, 6) | B(x, 7))
#define S4(x)   S(x), S((x) + 1), S((x) + 2), S((x) + 3)
#define S16(x)  S4(x), S4((x) + 4), S4((x) + 8), S4((x) + 12)
#define S64(x)  S16(x), S16((x) + 16), S16((x) + 32), S16((x) + 48)

/* spread[b]: byte k of the result is bit k of b */
static const uint64_t spread[256] = {S64(0u), S64(64u), S64(128u), S64(192u)};

static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

/* Whitespace and punctuation are not content. */
static bool is_content(int32_t c)
{
    if (c < 0x80)
        return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
    if (c < 0xC0)
        return false;
    if (c >= 0x2000 && c <= 0x206F) /* general punctuation, spaces */
        return false;
    if (c >= 0x3000 && c <= 0x303F) /* CJK punctuation */
        return false;
    if (c >= 0xFE30 && c <= 0xFE6F) /* CJK compatibility and small forms */
        return false;
    if (c >= 0xFF00 && c <= 0xFF65) /* full-width punctuation (letters, digits kept) */
        return (c >= 0xFF10 && c <= 0xFF19) || (c >= 0xFF21 && c <= 0xFF3A) ||
               (c >= 0xFF41 && c <= 0xFF5A);
    return c > 0;
}

/* Reads the next content character at or after *i; returns 0 at the end. */
static int32_t next_content(const char *s, size_t len, size_t *i)
{
    const unsigned char *u = (const unsigned char *)s;
    while (*i < len) {
        int32_t c;
        if (u[*i] < 0x80) {
            c = u[(*i)++];
        } else if (u[*i] >= 0xE4 && u[*i] <= 0xE9 && *i + 2 < len && (u[*i + 1] & 0xC0) == 0x80 &&
                   (u[*i + 2] & 0xC0) == 0x80) {
            /* U+4000..U+9FFF, the Chinese characters: always content */
            c = ((int32_t)(u[*i] & 0x0F) << 12) | ((int32_t)(u[*i + 1] & 0x3F) << 6) |
                (u[*i + 2] & 0x3F);
            *i += 3;
            return c;
        } else {
            *i += (size_t)utf8_decode(u + *i, len - *i, &c);
        }
        if (is_content(c))
            return c >= 'A' && c <= 'Z' ? c + 32 : c;
    }
    return 0;
}

struct acc {
    uint64_t lane[8];
    uint32_t total[64];
    unsigned pending, n;
};

static void drain(struct acc *a)
{
    for (int b = 0; b < 8; b++) {
        for (int k = 0; k < 8; k++)
            a->total[b * 8 + k] += (uint32_t)((a->lane[b] >> (8 * k)) & 0xFF);
        a->lane[b] = 0;
    }
    a->pending = 0;
}

static void feed(struct acc *a, uint64_t h)
{
    for (int b = 0; b < 8; b++)
        a->lane[b] += spread[(h >> (8 * b)) & 0xFF];
    a->n++;
    if (++a->pending == 255)
        drain(a);
}

uint64_t simhash_compute(const char *s, size_t len)
{
    struct acc a = {{0}, {0}, 0, 0};
    size_t i = 0;
    uint64_t out = 0;
    int32_t c0 = next_content(s, len, &i), c1, c2;

    if (!c0)
        return 0;
    if (!(c1 = next_content(s, len, &i)))
        return mix((uint64_t)c0);
    if (!(c2 = next_content(s, len, &i)))
        return mix(((uint64_t)c0 << 21) ^ (uint64_t)c1);
    do {
        feed(&a, mix(((uint64_t)c0 << 42) ^ ((uint64_t)c1 << 21) ^ (uint64_t)c2));
        c0 = c1, c1 = c2;
    } while ((c2 = next_content(s, len, &i)));
    drain(&a);
    for (int k = 0; k < 64; k++)
        if (2 * a.total[k] > a.n)
            out |= 1ull << k;
    return out;
}

int simhash_distance(uint64_t a, uint64_t b)
{
    return __builtin_popcountll(a ^ b);
}

uint64_t simhash_exact_key(const char *s, size_t len)
{
    uint64_t h = 0x9e3779b97f4a7c15ull;
    size_t i = 0;
    int32_t c;
    while ((c = next_content(s, len, &i)))
        h = mix(h ^ (uint64_t)c) + 0x9e3779b97f4a7c15ull;
    return mix(h);
}
