/*
 * seg.c: the cutter. It follows jieba/__init__.py (Tokenizer.cut,
 * get_DAG, calc, __cut_DAG, __cut_DAG_NO_HMM) and jieba/finalseg (cut,
 * viterbi) step by step, including their tie-breaking and floating-point
 * order, so the tokens are jieba's. See seg.h for the contract.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "base/xmalloc.h"
#include "text/seg.h"
#include "text/segdict.h"
#include "text/segdict_int.h"
#include "base/banned.h"

/* Blocks up to this many characters are cut in stack memory. */
#define SEG_STACK_CHARS 256

/* A han block being cut: its characters, codes and the route through it. */
struct block {
    const char *text;
    size_t n;
    size_t *off;    /* byte offset of character i in text; off[n] = block end */
    uint16_t *code; /* character codes (segdict_int.h) */
    double *lp;     /* route[i][0]: best log probability from i to the end */
    uint32_t *end;  /* route[i][1]: last character of the word starting at i */
    uint8_t *bp;    /* Viterbi back-pointers, 4 per character */
    uint8_t *state; /* Viterbi states */
    seg_emit_fn fn;
    void *arg;
};

static bool is_han_ascii(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '#' || c == '&' || c == '.' || c == '_' || c == '%' || c == '-';
}

static bool is_alnum(uint16_t c)
{
    return c < 128 && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'));
}

static bool is_digit(uint16_t c)
{
    return c >= '0' && c <= '9';
}

/* Code of the han character at s (len > 0) and its byte length, or 0. */
static int han_char(const unsigned char *s, size_t len, uint16_t *code)
{
    if (s[0] < 0x80) {
        *code = s[0];
        return is_han_ascii(s[0]) ? 1 : 0;
    }
    if (s[0] < 0xE4 || s[0] > 0xE9 || len < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
        return 0;
    uint32_t cp = ((uint32_t)(s[0] & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    if (cp < SEG_HAN_FIRST || cp > SEG_HAN_LAST)
        return 0;
    *code = (uint16_t)(128 + cp - SEG_HAN_FIRST);
    return 3;
}

static int emit(const struct block *b, size_t from, size_t to)
{
    return b->fn(b->arg, b->text + b->off[from], b->off[to] - b->off[from]);
}

static int emit_chars(const struct block *b, size_t from, size_t to)
{
    int rc = 0;
    for (size_t i = from; i < to && !rc; i++)
        rc = emit(b, i, i + 1);
    return rc;
}

/* The child of node nd on code c, or 0 (a branch-free binary search over sorted codes). */
static uint32_t child(const struct seg_lex *lx, const struct seg_node *nd, uint16_t c)
{
    const uint16_t *base = lx->codes + nd->child;
    uint32_t len = nd->nchild;

    if (!len)
        return 0;
    while (len > 1) {
        uint32_t half = len / 2;
        base = base[half] <= c ? base + half : base;
        len -= half;
    }
    return *base == c ? nd->child + (uint32_t)(base - (lx->codes + nd->child)) : 0;
}

/* The trie node spelling characters [from, to) of the block, or 0. */
static uint32_t find(const struct seg_lex *lx, const struct block *b, size_t from, size_t to)
{
    uint32_t node = lx->root[b->code[from]];
    for (size_t i = from + 1; node && i < to; i++)
        node = child(lx, &lx->nodes[node], b->code[i]);
    return node;
}

/* FREQ.get(word) > 0 for characters [from, to). */
static bool is_word(const struct seg_lex *lx, const struct block *b, size_t from, size_t to)
{
    if (lx->live) {
        int64_t f;
        return segmap_get(lx->live, b->text + b->off[from], b->off[to] - b->off[from], &f) && f > 0;
    }
    uint32_t node = find(lx, b, from, to);
    return node && (lx->nodes[node].flags & SEG_NODE_WORD);
}

/* A word the user dictionary gave frequency 0 (finalseg.Force_Split_Words). */
static bool is_force_split(const struct seg_lex *lx, const struct block *b, size_t from, size_t to)
{
    if (!lx->nforce || lx->live)
        return false;
    uint32_t node = find(lx, b, from, to);
    return node && (lx->nodes[node].flags & SEG_NODE_FORCE_SPLIT);
}

/* Best route value and end for start k with the live map (builder only). */
static void route_live(const struct seg_lex *lx, struct block *b, size_t k)
{
    bool have = false;
    double best = 0;
    uint32_t bestx = (uint32_t)k;

    for (size_t i = k; i < b->n; i++) {
        int64_t f;
        if (!segmap_get(lx->live, b->text + b->off[k], b->off[i + 1] - b->off[k], &f))
            break;
        if (f > 0) {
            double v = (log((double)f) + lx->neg_logtotal) + b->lp[i + 1];
            if (!have || v >= best)
                best = v, bestx = (uint32_t)i, have = true;
        }
    }
    if (!have)
        best = lx->neg_logtotal + b->lp[k + 1];
    b->lp[k] = best;
    b->end[k] = bestx;
}

/* jieba's calc over get_DAG: the max-probability route, computed backwards. */
static void calc_route(const struct seg_lex *lx, struct block *b)
{
    size_t n = b->n;

    b->lp[n] = 0;
    for (size_t k = n; k-- > 0;) {
        if (lx->live) {
            route_live(lx, b, k);
            continue;
        }
        bool have = false;
        double best = 0;
        uint32_t bestx = (uint32_t)k;
        uint32_t node = lx->root[b->code[k]];
        for (size_t i = k; node;) {
            const struct seg_node *nd = &lx->nodes[node];
            if (nd->flags & SEG_NODE_WORD) {
                double v = nd->logp + b->lp[i + 1];
                if (!have || v >= best) /* ties go to the larger end, as max() of tuples */
                    best = v, bestx = (uint32_t)i, have = true;
            }
            if (++i >= n || !nd->nchild)
                break;
            node = child(lx, nd, b->code[i]);
        }
        if (!have)
            best = lx->neg_logtotal + b->lp[k + 1];
        b->lp[k] = best;
        b->end[k] = bestx;
    }
}

/* Emits one HMM word unless the user dictionary forces it apart. */
static int emit_hmm_word(const struct seg_lex *lx, const struct block *b, size_t from, size_t to)
{
    if (is_force_split(lx, b, from, to))
        return emit_chars(b, from, to);
    return emit(b, from, to);
}

/* Picks the better of two predecessors as max((prob, state)) does: ties go to the later letter. */
static uint8_t pick(double pa, uint8_t a, double pc, uint8_t c, double *prob)
{
    static const char letter[4] = {'B', 'M', 'E', 'S'};
    if (pa > pc || (pa == pc && letter[a] > letter[c])) {
        *prob = pa;
        return a;
    }
    *prob = pc;
    return c;
}

/* finalseg.__cut: the BMES Viterbi over CJK characters [from, to). */
static int viterbi_cut(const struct seg_lex *lx, struct block *b, size_t from, size_t to)
{
    static const uint8_t prev[4][2] = {
        [SEG_B] = {SEG_E, SEG_S},
        [SEG_M] = {SEG_M, SEG_B},
        [SEG_E] = {SEG_B, SEG_M},
        [SEG_S] = {SEG_S, SEG_E},
    };
    size_t t_n = to - from;
    double v[4], nv[4];
    uint8_t *bp = b->bp;
    int rc = 0;

    for (int y = 0; y < 4; y++)
        v[y] = lx->start[y] + lx->emit[y * SEG_NHAN + b->code[from] - 128];
    for (size_t t = 1; t < t_n; t++) {
        for (int y = 0; y < 4; y++) {
            double em = lx->emit[y * SEG_NHAN + b->code[from + t] - 128];
            uint8_t a = prev[y][0], c = prev[y][1];
            double pa = v[a] + lx->trans[a * 4 + y] + em;
            double pc = v[c] + lx->trans[c * 4 + y] + em;
            bp[t * 4 + (size_t)y] = pick(pa, a, pc, c, &nv[y]);
        }
        memcpy(v, nv, sizeof(v));
    }
    uint8_t *st = b->state;
    st[t_n - 1] = v[SEG_E] > v[SEG_S] ? SEG_E : SEG_S;
    for (size_t t = t_n - 1; t > 0; t--)
        st[t - 1] = bp[t * 4 + st[t]];

    size_t begin = 0, next = 0;
    for (size_t i = 0; i < t_n && !rc; i++) {
        if (st[i] == SEG_B) {
            begin = i;
        } else if (st[i] == SEG_E) {
            rc = emit_hmm_word(lx, b, from + begin, from + i + 1);
            next = i + 1;
        } else if (st[i] == SEG_S) {
            rc = emit_hmm_word(lx, b, from + i, from + i + 1);
            next = i + 1;
        }
    }
    if (!rc && next < t_n)
        rc = emit_hmm_word(lx, b, from + next, to);
    return rc;
}

/*
 * finalseg's re_skip split of non-CJK characters [from, to): matches of
 * [a-zA-Z0-9]+(?:\.\d+)?%? and the pieces between them, each one token.
 */
static int skip_split(struct block *b, size_t from, size_t to)
{
    size_t i = from, gap = from;
    int rc = 0;

    while (i < to && !rc) {
        if (!is_alnum(b->code[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < to && is_alnum(b->code[j]))
            j++;
        if (j + 1 < to && b->code[j] == '.' && is_digit(b->code[j + 1])) {
            j += 2;
            while (j < to && is_digit(b->code[j]))
                j++;
        }
        if (j < to && b->code[j] == '%')
            j++;
        if (gap < i)
            rc = emit(b, gap, i);
        if (!rc)
            rc = emit(b, i, j);
        i = gap = j;
    }
    if (!rc && gap < to)
        rc = emit(b, gap, to);
    return rc;
}

/* finalseg.cut over characters [from, to). */
static int finalseg_cut(const struct seg_lex *lx, struct block *b, size_t from, size_t to)
{
    int rc = 0;
    for (size_t i = from; i < to && !rc;) {
        bool cjk = b->code[i] >= 128;
        size_t j = i + 1;
        while (j < to && (b->code[j] >= 128) == cjk)
            j++;
        rc = cjk ? viterbi_cut(lx, b, i, j) : skip_split(b, i, j);
        i = j;
    }
    return rc;
}

/* A run of single characters on the route (__cut_DAG's buf). */
static int flush_singles(const struct seg_lex *lx, struct block *b, size_t from, size_t to)
{
    if (to - from == 1)
        return emit(b, from, to);
    if (!is_word(lx, b, from, to))
        return finalseg_cut(lx, b, from, to);
    return emit_chars(b, from, to);
}

static int cut_hmm(const struct seg_lex *lx, struct block *b)
{
    size_t x = 0, singles = SIZE_MAX;
    int rc = 0;

    while (x < b->n && !rc) {
        size_t y = (size_t)b->end[x] + 1;
        if (y - x == 1) {
            if (singles == SIZE_MAX)
                singles = x;
        } else {
            if (singles != SIZE_MAX)
                rc = flush_singles(lx, b, singles, x);
            singles = SIZE_MAX;
            if (!rc)
                rc = emit(b, x, y);
        }
        x = y;
    }
    if (!rc && singles != SIZE_MAX)
        rc = flush_singles(lx, b, singles, b->n);
    return rc;
}

static int cut_no_hmm(struct block *b)
{
    size_t x = 0, eng = SIZE_MAX;
    int rc = 0;

    while (x < b->n && !rc) {
        size_t y = (size_t)b->end[x] + 1;
        if (y - x == 1 && is_alnum(b->code[x])) {
            if (eng == SIZE_MAX)
                eng = x;
        } else {
            if (eng != SIZE_MAX)
                rc = emit(b, eng, x);
            eng = SIZE_MAX;
            if (!rc)
                rc = emit(b, x, y);
        }
        x = y;
    }
    if (!rc && eng != SIZE_MAX)
        rc = emit(b, eng, b->n);
    return rc;
}

/* Cuts the han block of n characters at s (starting at byte offset start of text). */
static int cut_block(const struct seg_lex *lx, struct block *b, const unsigned char *s,
                     size_t start, size_t n, bool hmm)
{
    size_t stack_off[SEG_STACK_CHARS + 1];
    uint16_t stack_code[SEG_STACK_CHARS];
    double stack_lp[SEG_STACK_CHARS + 1];
    uint32_t stack_end[SEG_STACK_CHARS];
    uint8_t stack_vit[SEG_STACK_CHARS * 5];
    void *heap = NULL;
    int rc;

    if (n <= SEG_STACK_CHARS) {
        b->off = stack_off, b->code = stack_code, b->lp = stack_lp, b->end = stack_end;
        b->bp = stack_vit, b->state = stack_vit + SEG_STACK_CHARS * 4;
    } else {
        size_t each = sizeof(size_t) + sizeof(uint16_t) + sizeof(double) + sizeof(uint32_t) + 5;
        char *p = heap = xmalloc((n + 1) * each);
        b->lp = (double *)p, p += (n + 1) * sizeof(double);
        b->off = (size_t *)p, p += (n + 1) * sizeof(size_t);
        b->end = (uint32_t *)p, p += n * sizeof(uint32_t);
        b->code = (uint16_t *)p, p += n * sizeof(uint16_t);
        b->bp = (uint8_t *)p, b->state = b->bp + n * 4;
    }
    b->n = n;
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        b->off[i] = start + pos;
        pos += (size_t)han_char(s + pos, 3, &b->code[i]);
    }
    b->off[n] = start + pos;
    calc_route(lx, b);
    rc = hmm ? cut_hmm(lx, b) : cut_no_hmm(b);
    free(heap);
    return rc;
}

int seg_cut_lex(const struct seg_lex *lx, const char *text, size_t len, bool hmm, seg_emit_fn fn,
                void *arg)
{
    const unsigned char *s = (const unsigned char *)text;
    struct block b = {.text = text, .fn = fn, .arg = arg};
    size_t i = 0;
    int rc = 0;

    while (i < len && !rc) {
        uint16_t code;
        int cl = han_char(s + i, len - i, &code);
        if (cl) {
            size_t j = i, n = 0;
            while (j < len && (cl = han_char(s + j, len - j, &code)) != 0)
                j += (size_t)cl, n++;
            rc = cut_block(lx, &b, s + i, i, n, hmm);
            i = j;
        } else if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n') {
            rc = fn(arg, text + i, 2);
            i += 2;
        } else {
            int32_t cp;
            int l = s[i] < 0x80 ? 1 : utf8_decode(s + i, len - i, &cp);
            rc = fn(arg, text + i, (size_t)l);
            i += (size_t)l;
        }
    }
    return rc;
}

int seg_cut(const struct segdict *d, const char *text, size_t len, unsigned flags, seg_token_fn fn,
            void *arg)
{
    return seg_cut_lex(segdict_lex(d), text, len, (flags & SEG_HMM) != 0, fn, arg);
}

struct feat_tok_arg {
    void (*emit)(void *arg, const char *tok, size_t len);
    void *arg;
};

static int feat_tok_cb(void *arg, const char *tok, size_t len)
{
    struct feat_tok_arg *a = arg;
    a->emit(a->arg, tok, len);
    return 0;
}

void seg_feat_tok(void *dict, const char *s, size_t len,
                  void (*out)(void *arg, const char *tok, size_t len), void *arg)
{
    struct feat_tok_arg a = {out, arg};
    seg_cut(dict, s, len, SEG_HMM, feat_tok_cb, &a);
}
