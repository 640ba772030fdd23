/*
 * fts_seg: an SQLite FTS5 tokenizer, "kesu_seg", that indexes the words of
 * kesu's jieba-compatible segmenter (text/seg.h), so search and analysis
 * split text identically. It is offered next to kesu_cjk (fts_cjk.h), not
 * instead of it; the store keeps using kesu_cjk.
 *
 *     fts_seg_register(db, dict);
 *     CREATE VIRTUAL TABLE t USING fts5(text, tokenize='kesu_seg');
 *     CREATE VIRTUAL TABLE u USING fts5(text, tokenize='kesu_seg nohmm');
 *
 * Documents and queries are cut alike (with HMM unless the option nohmm is
 * given); each word takes one position. Words made only of whitespace,
 * punctuation or invalid UTF-8 are left out. ASCII letters are folded to
 * lower case (iPhone15 -> iphone15); words longer than FTS_SEG_MAX_TOKEN
 * bytes are indexed by their first FTS_SEG_MAX_TOKEN bytes (cut at a
 * character boundary). Offsets point into the original text.
 *
 * KNOWN LIMITS: matching is by whole words as the segmenter sees them: 退款
 * does not find 退款单 when the segmenter keeps 退款单 as one word, and a
 * query is cut without the context of a document, so rare words may be cut
 * differently in the two (a phrase query of single characters, e.g.
 * "退 款", is the fallback). Prefix queries (退*) widen a word to its
 * continuations.
 */
#ifndef KESU_FTS_SEG_H
#define KESU_FTS_SEG_H

#include <sqlite3.h>

struct segdict;

#define FTS_SEG_MAX_TOKEN 128

/*
 * Registers "kesu_seg" on db with dictionary d, which must stay open as
 * long as db may use the tokenizer. Returns SQLITE_OK or an SQLite error
 * code. Thread-safe as the dictionary is: any number of connections may
 * share d.
 */
int fts_seg_register(sqlite3 *db, const struct segdict *d);

#endif
