/*
 * t2s: traditional → simplified Chinese with OpenCC (config t2s.json: the
 * TSPhrases and TSCharacters dictionaries), applied only to texts that need
 * it.
 *
 * Most complaints are written in simplified characters, and OpenCC costs
 * tens of microseconds per short text even when it changes nothing. So
 * t2s_new() first derives, from OpenCC itself, the set of "traditional-only"
 * characters: every code point of the CJK blocks (U+3400..U+9FFF,
 * U+F900..U+FAFF, U+20000..U+2FFFF) is converted once, on its own, and those
 * that come out different are set in a bitmap (one bit per code point of
 * planes 0 and 2, 16 KiB). This takes about a tenth of a second at start-up
 * and stays right whatever OpenCC version and dictionaries are installed.
 * t2s_needed() then tests each character of a text against the bitmap, about
 * a nanosecond per byte, and only texts with at least one such character go
 * through OpenCC, which then converts the whole text (phrases included, e.g.
 * 回覆 → 回复 in a text that also has 這).
 *
 * A text whose only traditional trait is a phrase of characters that are
 * also simplified on their own (回覆, 瞭解 and 70-odd others in TSPhrases) is
 * left as it is: by definition it holds no traditional-only character.
 *
 * Threads. OpenCC does not promise that one converter may be used by two
 * threads at once, so a struct t2s keeps a small pool of OpenCC handles, each
 * behind its own mutex: a converting thread takes a free handle, opens a new
 * one while fewer than max_handles exist, and otherwise waits for one. The
 * bitmap is immutable after t2s_new(), so t2s_needed() needs no lock. One
 * struct t2s is meant to be shared by all threads of a process.
 */
#ifndef KESU_T2S_H
#define KESU_T2S_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/strbuf.h"

struct t2s;

/*
 * Opens OpenCC with config (NULL = "t2s.json", looked up in OpenCC's data
 * directory), derives the bitmap and returns the converter in *out. At most
 * max_handles OpenCC handles are opened (0 = 4). Errors: KERR_IO with code
 * "opencc_open" when OpenCC cannot load the config or its dictionaries.
 * Free with t2s_free().
 */
int t2s_new(const char *config, unsigned max_handles, struct t2s **out, struct kerr *err);

void t2s_free(struct t2s *t);

/* Is cp a traditional-only character (one that t2s converts on its own)? */
bool t2s_is_traditional(const struct t2s *t, int32_t cp);

/* Number of traditional-only characters in the bitmap. */
size_t t2s_count(const struct t2s *t);

/* Does the UTF-8 text s[0..len) hold a traditional-only character? */
bool t2s_needed(const struct t2s *t, const char *s, size_t len);

/*
 * Appends s[0..len) to out, converted to simplified characters when
 * t2s_needed() says so and copied unchanged otherwise. Returns 1 when the
 * text went through OpenCC, 0 when it was copied, KERR_INTERNAL (code
 * "opencc_convert") when OpenCC failed (out then holds the unchanged copy),
 * or KERR_TOOLARGE when out's cap was reached. Thread-safe.
 */
int t2s_convert(struct t2s *t, const char *s, size_t len, struct strbuf *out, struct kerr *err);

#endif
