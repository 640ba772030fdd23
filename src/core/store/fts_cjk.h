/*
 * fts_cjk: kesu's SQLite FTS5 tokenizer for Chinese (and mixed
 * Chinese/Latin) text, registered as "kesu_cjk", and the function that turns
 * a user's search box into a safe MATCH expression for it.
 *
 *     fts_cjk_register(db);
 *     CREATE VIRTUAL TABLE t USING fts5(title, text, tokenize='kesu_cjk');
 *     fts_cjk_match_expr(q, len, &expr);  ... WHERE t MATCH ?  (bind expr.buf)
 *
 * It stands in for a dictionary segmenter: SQLite's trigram tokenizer finds
 * nothing for 1- and 2-character queries, and most Chinese words are two
 * characters long. Search with it is exact substring search for CJK text.
 *
 * DESIGN
 *
 * Text is split into runs. A CJK run is a stretch of Han ideographs (URO,
 * Ext A, Ext B and later, compatibility ideographs, 々 〇), kana, bopomofo or
 * hangul; CJK punctuation (，。、「」…) is not part of a run. A word is a
 * stretch of letters or a stretch of digits, ASCII or fullwidth
 * (ＡＰＰ１２３) or Latin-1/Latin Extended-A letters, folded to lower-case
 * ASCII (ＡＰＰ → app, Café → cafe, ß → ss); it is one token at one position.
 * Letters and digits make separate words, so iPhone15 is "iphone 15" and the
 * query iPhone finds it, while the phrase iPhone15 still needs both in a
 * row. Everything else (spaces, punctuation, symbols, emoji, invalid UTF-8)
 * separates tokens and takes no position.
 *
 * Documents (FTS5_TOKENIZE_DOCUMENT and _AUX): each character c_i of a CJK
 * run takes one position and emits the unigram c_i there, plus the bigram
 * c_i c_{i+1}, colocated (FTS5_TOKEN_COLOCATED), when c_{i+1} is in the run.
 *
 * Queries (FTS5_TOKENIZE_QUERY): position i of a CJK run of n characters
 * emits the bigram c_i c_{i+1} for i < n-1 and the unigram c_{n-1} last, so
 * a query run takes exactly as many positions as the same text in a
 * document. "态度很差" becomes the phrase 态度 度很 很差 差. Because every
 * document position carries both its unigram and its bigram, such a phrase
 * matches exactly where the characters occur contiguously, highlight() and
 * snippet() mark exactly the matched characters, and a phrase that spans
 * punctuation or a Latin word ("iPhone15屏幕", "很差，退款") stays aligned
 * with the document. The trailing unigram costs one more doclist per CJK
 * run (count(*) of a common 2-character term on 1M rows: about 15 ms
 * instead of 7; a page of 50 newest hits: 0.2 ms either way); bigrams
 * alone would find the same rows for one-run phrases but highlight one
 * character short and misalign phrases like "华为P40屏幕" that continue
 * after a CJK run.
 * (Giving AUX tokens bigram spans instead breaks highlight() on adjacent
 * matches: FTS5 assumes the spans of successive positions do not overlap.)
 *
 * FTS5_TOKENIZE_PREFIX needs nothing special: FTS5 makes the phrase's last
 * token a prefix term, so "iph"* finds iphone15. A prefix on CJK text finds
 * the same rows as the plain phrase (a unigram prefix covers the bigrams
 * that start with it), only more slowly.
 *
 * Byte offsets (iStart, iEnd) always point into the original text. Tokens
 * are emitted without allocation, CJK ones straight from the input.
 *
 * KNOWN LIMITS
 *
 * - No segmentation: 退款 also matches 撤退款项 (substring semantics), and
 *   ranking (bm25) sees characters, not words.
 * - No traditional/simplified folding: 订单 does not find 訂單; normalize
 *   (t2s) before indexing and querying if that is wanted.
 * - A Latin word is matched whole or by prefix, never from its middle: phone
 *   does not find iPhone. Words longer than FTS_CJK_MAX_TOKEN bytes are
 *   indexed by their first FTS_CJK_MAX_TOKEN bytes.
 * - Punctuation is ignored inside a phrase: "A12" also finds "A-12", and
 *   "很差，退款" finds "很差。退款" (but "退款" never finds "退，款": bigrams
 *   do not cross runs).
 * - Greek, Cyrillic, Thai, Arabic and other scripts are treated as
 *   separators and cannot be searched; no NFKC beyond the fullwidth fold.
 * - The index holds two terms per CJK character: larger than a word index
 *   and than a trigram one (55 MB against 47 MB for 100,000 rows of 60
 *   characters).
 *
 * The tokenizer keeps no global mutable state; registration may run on any
 * number of connections in any threads.
 */
#ifndef KESU_FTS_CJK_H
#define KESU_FTS_CJK_H

#include <stddef.h>

#include <sqlite3.h>

#include "base/strbuf.h"

/* Longest word token in bytes; longer Latin runs are cut to this. */
#define FTS_CJK_MAX_TOKEN 64

/*
 * Registers the "kesu_cjk" tokenizer on db (FTS5 must be compiled in).
 * Call once per connection before touching a table that uses it. Returns
 * SQLITE_OK, or an SQLite error code with sqlite3_errmsg(db) saying why.
 */
int fts_cjk_register(sqlite3 *db);

/* db's FTS5 API, for registering a tokenizer (kesu_cjk here, kesu_seg in fts_seg.c). */
struct fts5_api;
int fts_api_of(sqlite3 *db, struct fts5_api **out);

/*
 * Turns a user's search string q (len bytes, untrusted: need not be valid
 * UTF-8 or NUL-free) into an FTS5 MATCH expression for a kesu_cjk table,
 * written to out (which is reset first).
 *
 * Terms are separated by whitespace (ASCII, U+3000, U+00A0 and other Unicode
 * spaces), control characters and invalid UTF-8. Each term becomes a
 * double-quoted phrase with embedded " doubled; terms are joined with AND:
 *
 *     iPhone 划痕      →  "iPhone" AND "划痕"
 *     a"b              →  "a""b"
 *     iph*             →  "iph"*
 *
 * A term ending in * whose last character before the stars is a letter or
 * digit becomes a prefix phrase; any other trailing * is dropped. Terms
 * with nothing searchable in them (only punctuation, symbols or stars) are
 * left out, and when none remains out is empty: the caller treats that as
 * "no search". Since all user text ends up inside quotes, no FTS5 syntax
 * (OR, NOT, NEAR, column filters, ^, +, parentheses) can be injected; such
 * words are searched for as words, which only narrows the result. Callers
 * cap len (a search box needs a few hundred bytes); out->overflow reports a
 * cap on out.
 */
void fts_cjk_match_expr(const char *q, size_t len, struct strbuf *out);

#endif
