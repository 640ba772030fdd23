/*
 * charset: text in the charsets Chinese mail arrives in (GBK, GB2312,
 * GB18030, Big5, UTF-8, and whatever iconv knows) turned into valid UTF-8,
 * and RFC 2047 header text ("=?GBK?B?...?=") decoded. Used by the mail
 * reader; no I/O.
 *
 * Leniency, because senders mislabel:
 *   - gb2312, gbk, cp936, euc-cn and their aliases are read as GB18030 (a
 *     superset of all of them), so "gb2312" text holding GBK characters
 *     still decodes;
 *   - big5 and its aliases are read as BIG5-HKSCS (a superset);
 *   - text labelled UTF-8, US-ASCII or nothing that is not valid UTF-8 is
 *     tried as GB18030;
 *   - bytes that still do not convert become U+FFFD, one per byte, so the
 *     result is always valid UTF-8 and nothing aborts on bad input.
 */
#ifndef KESU_CHARSET_H
#define KESU_CHARSET_H

#include <stdbool.h>
#include <stddef.h>

#include "base/strbuf.h"

/*
 * Appends the UTF-8 form of in[0..len) read as `charset` (NULL or "" =
 * unknown) to out. Respects out->cap (sets out->overflow; the text kept
 * then ends on a character boundary). Returns true when every byte
 * converted, false when replacement characters were used.
 */
bool charset_to_utf8(const char *charset, const char *in, size_t len, struct strbuf *out);

/*
 * Appends the decoded form of a raw header value (folded lines, RFC 2047
 * encoded-words in any charset above, or raw 8-bit text) to out: unfolds,
 * decodes B and Q encoded-words (joining adjacent words of one charset
 * before converting, since mailers split multi-byte characters across
 * words), drops whitespace between adjacent encoded-words, and collapses
 * runs of whitespace to one space. Never fails.
 */
void charset_decode_header(const char *raw, size_t len, struct strbuf *out);

/* Cuts sb back to at most max bytes, ending on a UTF-8 character boundary. */
void charset_truncate_utf8(struct strbuf *sb, size_t max);

#endif
