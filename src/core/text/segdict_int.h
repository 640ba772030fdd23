/*
 * segdict_int.h: what seg.c and segdict.c share and nobody else sees: the
 * compiled dictionary's on-disk layout, the character codes, and the lexicon
 * view the cutter walks (either a compiled trie or, while a dictionary is
 * being built with a user dictionary, the builder's live word map).
 */
#ifndef KESU_SEGDICT_INT_H
#define KESU_SEGDICT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Character codes: the trie's alphabet is what jieba's re_han_default lets
 * into a block: ASCII (code = byte, 1..127) and U+4E00..U+9FD5
 * (code = 128 + cp - 0x4E00). Dictionary words with any other character can
 * never be looked up and are left out of the trie (they still count in the
 * total, as in jieba).
 */
#define SEG_HAN_FIRST 0x4E00
#define SEG_HAN_LAST  0x9FD5
#define SEG_NHAN      (SEG_HAN_LAST - SEG_HAN_FIRST + 1)
#define SEG_ALPHABET  (128 + SEG_NHAN)

/* HMM states in jieba's iteration order 'BMES'. */
enum { SEG_B, SEG_M, SEG_E, SEG_S };
#define SEG_MIN_FLOAT (-3.14e100) /* finalseg.MIN_FLOAT */

#define SEG_MAGIC       "KESUSEG\0"
#define SEG_VERSION     1
#define SEG_ENDIAN_MARK 0x01020304u

enum { SEG_NODE_WORD = 1, SEG_NODE_FORCE_SPLIT = 2 };

/* One trie node: the prefix spelled by the path to it. */
struct seg_node {
    double logp;    /* log(freq) - log(total) when SEG_NODE_WORD */
    uint32_t child; /* first child; children are contiguous, sorted by code */
    uint16_t nchild;
    uint16_t flags;
};

struct seg_header {
    char magic[8];
    uint32_t version, endian;
    uint32_t nnodes, nwords, nforce, alphabet;
    int64_t total;
    double logtotal;
    /* byte offsets of the sections from the start of the file */
    uint64_t off_root;  /* uint32_t[SEG_ALPHABET]: node of each first character, 0 = none */
    uint64_t off_nodes; /* struct seg_node[nnodes]; node 0 is unused */
    uint64_t off_codes; /* uint16_t[nnodes]: the code on the edge into each node */
    uint64_t off_hmm;   /* double start[4], trans[4][4], emit[4][SEG_NHAN] */
    uint64_t size;      /* whole file */
};

struct segmap; /* the builder's live word map (segdict.c) */

/* What the cutter walks. */
struct seg_lex {
    const uint32_t *root;
    const struct seg_node *nodes;
    const uint16_t *codes;
    uint32_t nnodes, nforce;
    double neg_logtotal; /* log(1) - log(total): a character that is no word */
    const double *start, *trans, *emit;
    const struct segmap *live; /* non-NULL while building: look words up here instead */
};

/* Live map look-up for the builder: 1 and *freq if s is a key (word or prefix), else 0. */
int segmap_get(const struct segmap *m, const char *s, size_t len, int64_t *freq);
double segmap_neg_logtotal(const struct segmap *m);

typedef int (*seg_emit_fn)(void *arg, const char *tok, size_t len);

/* The cutter on a lexicon view (seg.c); seg_cut is this on a compiled dictionary. */
int seg_cut_lex(const struct seg_lex *lx, const char *text, size_t len, bool hmm, seg_emit_fn fn,
                void *arg);

#endif
