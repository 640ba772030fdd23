/*
 * segdict: the segmenter's dictionary. jieba's text dictionary (dict.txt:
 * "word freq [tag]" per line), its HMM tables (finalseg/prob_start.py,
 * prob_trans.py, prob_emit.py) and optionally a user dictionary ("word
 * [freq] [tag]" per line, read as jieba.load_userdict does) are compiled
 * into one binary image: a trie of the words in a compact character
 * alphabet with each word's log probability, and the HMM tables. The image
 * is mapped read-only (mmap) and shared by all threads; opening a compiled
 * file takes a few milliseconds.
 *
 *     struct segdict_src src = SEGDICT_SRC_DEFAULT;
 *     struct segdict *d = segdict_load(&src, "var/cache", &err);
 *     ... seg_cut(d, ...) from any thread ...
 *     segdict_close(d);
 *
 * The compiled format is kesu's own (little-endian host layout, versioned
 * magic "KESUSEG"); it is rebuilt, not converted, when the version changes.
 */
#ifndef KESU_SEGDICT_H
#define KESU_SEGDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/strbuf.h"

/* Debian's python3-jieba, the default sources. */
#define SEGDICT_DEFAULT_DICT "/usr/lib/python3/dist-packages/jieba/dict.txt"
#define SEGDICT_DEFAULT_HMM  "/usr/lib/python3/dist-packages/jieba/finalseg"

/* Largest text dictionary or HMM table file read, in bytes. */
#define SEGDICT_MAX_SOURCE (256u << 20)

struct segdict;

/* Where a dictionary is compiled from. */
struct segdict_src {
    const char *dict;      /* jieba dict.txt */
    const char *hmm_dir;   /* directory with prob_start.py, prob_trans.py, prob_emit.py */
    const char *user_dict; /* NULL or a user dictionary */
};
#define SEGDICT_SRC_DEFAULT                                                                        \
    {                                                                                              \
        SEGDICT_DEFAULT_DICT, SEGDICT_DEFAULT_HMM, NULL                                            \
    }

struct segdict_info {
    uint32_t words; /* words in the trie (reachable by the cutter) */
    uint32_t nodes; /* trie nodes */
    int64_t total;  /* sum of all frequencies, as jieba's Tokenizer.total */
    size_t bytes;   /* size of the image */
    bool mapped;    /* image is a mapped file (else heap memory) */
};

/*
 * Compiles src into an image appended to out (reset first). Errors:
 * KERR_IO (a file cannot be read; field = its path), KERR_INVALID (a bad
 * line: field = path, line = its number), KERR_TOOLARGE (a file passes
 * SEGDICT_MAX_SOURCE).
 */
int segdict_build(const struct segdict_src *src, struct strbuf *out, struct kerr *err);

/* Compiles src and writes the image to path atomically (temporary file + rename). */
int segdict_build_file(const struct segdict_src *src, const char *path, struct kerr *err);

/*
 * Opens a compiled dictionary file (mapped read-only) after checking its
 * header and structure, so a damaged file is an error, never a crash.
 * Returns NULL with err filled (KERR_IO, KERR_INVALID). Free with
 * segdict_close().
 */
struct segdict *segdict_open(const char *path, struct kerr *err);

/* Takes ownership of an image made by segdict_build (out is left empty). */
struct segdict *segdict_from_image(struct strbuf *image, struct kerr *err);

/*
 * Opens the compiled form of src, compiling it first when needed: with a
 * cache_dir, the image is kept there as segdict-<key>.bin, the key covering
 * the source paths, sizes and modification times, so an edited source is
 * recompiled and an unchanged one is only mapped (cache_dir and its parents
 * are created when missing). A cache that cannot be
 * written is not an error (the image then lives in memory). cache_dir may be
 * NULL (always compile in memory).
 */
struct segdict *segdict_load(const struct segdict_src *src, const char *cache_dir,
                             struct kerr *err);

/* Does the file at path start with the compiled format's magic? */
bool segdict_is_compiled(const char *path);

void segdict_close(struct segdict *d);
void segdict_get_info(const struct segdict *d, struct segdict_info *info);

struct seg_lex;
/* The lexicon view the cutter walks (segdict_int.h). */
const struct seg_lex *segdict_lex(const struct segdict *d);

#endif
