/*
 * utf8: validation and decoding of UTF-8 text (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF). Outside input is validated once at
 * the edge; everything inside kesu may assume valid UTF-8.
 */
#ifndef KESU_UTF8_H
#define KESU_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Returns the byte offset of the first invalid sequence, or -1 if s is valid. */
long utf8_invalid_at(const char *s, size_t len);

/*
 * Decodes one code point at s (len > 0). Returns its byte length and stores
 * the code point in *cp; on an invalid sequence returns 1 and stores -1.
 */
int utf8_decode(const unsigned char *s, size_t len, int32_t *cp);

/* Encodes cp (must be valid) into out (4 bytes room); returns the length. */
int utf8_encode(int32_t cp, char *out);

/* Number of code points in valid UTF-8 text. */
size_t utf8_count(const char *s, size_t len);

#endif
