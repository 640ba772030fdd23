/*
 * seg: kesu's Chinese word segmenter, a C port of jieba 0.42's default
 * `cut` (accurate mode) that gives the same tokens as python3-jieba's
 * jieba.lcut(text, HMM=...) on the same dictionary.
 *
 *     struct segdict *d = segdict_open("seg.dict", &err);   (see segdict.h)
 *     seg_cut(d, text, len, SEG_HMM, on_token, arg);
 *
 * Tokens are reported as slices of the caller's text, in order; they cover
 * the text exactly (concatenated, they give it back). Nothing is allocated
 * per token; a call allocates only for blocks of more than a few hundred
 * characters. The dictionary is read-only, so any number of threads may cut
 * with one dictionary at once.
 *
 * What jieba does, and so what seg does:
 *  - The text is split into blocks of "han" characters (U+4E00..U+9FD5,
 *    ASCII letters and digits, + # & . _ % -) and the rest. Every other
 *    character is a token of its own, except "\r\n", which is one token.
 *  - A block is cut along the most probable route through the DAG of
 *    dictionary words (sum of log(freq/total); a character that is no word
 *    counts as frequency 1; ties go to the longer word).
 *  - Without HMM, adjacent single ASCII letters/digits on the route are
 *    joined (so "iPhone" stays one token when the dictionary has no word).
 *  - With HMM, runs of single characters on the route that are not a
 *    dictionary word themselves are re-cut: their CJK parts by the BMES
 *    Viterbi of jieba.finalseg, their other parts by finalseg's regular
 *    expression ([a-zA-Z0-9]+(\.\d+)?%? and the pieces between).
 * Invalid UTF-8 is never a crash: each bad byte is a token of its own (jieba
 * itself refuses such input).
 */
#ifndef KESU_SEG_H
#define KESU_SEG_H

#include <stdbool.h>
#include <stddef.h>

struct segdict;

enum {
    SEG_HMM = 1, /* recognize words that are not in the dictionary (jieba's HMM=True) */
};

/*
 * Called once per token: tok points into the text passed to seg_cut (so
 * tok - text is its byte offset), len > 0. Return 0 to go on; any other
 * value stops the cut and is returned by seg_cut.
 */
typedef int (*seg_token_fn)(void *arg, const char *tok, size_t len);

/*
 * Cuts text (len bytes, UTF-8, need not be NUL-terminated or valid) with
 * dictionary d. flags: SEG_HMM or 0. Returns 0, or the first non-zero value
 * the callback returned.
 */
int seg_cut(const struct segdict *d, const char *text, size_t len, unsigned flags, seg_token_fn fn,
            void *arg);

/*
 * A word tokenizer for the classifier's features (text/features.h
 * feat_tok_fn): dict is a struct segdict; emits the tokens of seg_cut with
 * HMM. Models trained with segmenter words (kesu train --seg-words) use it.
 */
void seg_feat_tok(void *dict, const char *s, size_t len,
                  void (*out)(void *arg, const char *tok, size_t len), void *arg);

#endif
