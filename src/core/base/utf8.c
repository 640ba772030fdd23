/* utf8: strict UTF-8 validation and decoding. */
#include "base/utf8.h"

#include <string.h>

int utf8_decode(const unsigned char *s, size_t len, int32_t *cp)
{
    unsigned char c = s[0];
    int n;
    int32_t v, min;

    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        n = 2, v = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3, v = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        goto bad;
    }
    if ((size_t)n > len)
        goto bad;
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            goto bad;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        goto bad;
    *cp = v;
    return n;
bad:
    *cp = -1;
    return 1;
}

long utf8_invalid_at(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    int32_t cp;

    while (i < len) {
        /* ASCII runs eight bytes at a time */
        while (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (w & 0x8080808080808080ULL)
                break;
            i += 8;
        }
        if (i >= len)
            break;
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        /* the common case in Chinese text: runs of three-byte sequences outside the
         * surrogates (lead E1..EC, or EE..EF), taken without going back to the ASCII test */
        if (p[i] >= 0xE1 && i + 3 <= len) {
            size_t j = i;
            while (j + 3 <= len && (unsigned)(p[j] - 0xE1) <= 0x0E && p[j] != 0xED &&
                   (p[j + 1] & 0xC0) == 0x80 && (p[j + 2] & 0xC0) == 0x80)
                j += 3;
            if (j > i) {
                i = j;
                continue;
            }
        }
        int n = utf8_decode(p + i, len - i, &cp);
        if (cp < 0)
            return (long)i;
        i += (size_t)n;
    }
    return -1;
}

int utf8_encode(int32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    } else if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    } else if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t utf8_count(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}
