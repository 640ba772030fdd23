/*
 * fts_cjk: the "kesu_cjk" FTS5 tokenizer (CJK unigrams + colocated bigrams,
 * folded Latin words) and the MATCH-expression builder for search boxes. The
 * design and its limits are described in fts_cjk.h.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "base/utf8.h"
#include "store/fts_cjk.h"

#include "base/banned.h"

typedef int (*token_fn)(void *ctx, int tflags, const char *tok, int ntok, int start, int end);

enum ckind { CK_SEP, CK_SPACE, CK_WORD, CK_CJK };

/* One decoded character: its class, byte length, and lower-case ASCII fold. */
struct cjk_char {
    enum ckind kind;
    int len;
    int nfold;
    char fold[2];
};

/*
 * Base letters of U+00C0..U+00FF and U+0100..U+017F. '.' is not a letter
 * (× ÷); upper-case marks a two-letter fold: A ae, O oe, T th, S ss, I ij.
 */
static const char latin1_fold[] = "aaaaaaAceeeeiiiidnooooo.ouuuuyTS"
                                  "aaaaaaAceeeeiiiidnooooo.ouuuuyTy";
static const char latin_ext_a_fold[] = "aaaaaa"       /* Ā..ą */
                                       "cccccccc"     /* Ć..č */
                                       "dddd"         /* Ď..đ */
                                       "eeeeeeeeee"   /* Ē..ě */
                                       "gggggggg"     /* Ĝ..ģ */
                                       "hhhh"         /* Ĥ..ħ */
                                       "iiiiiiiiii"   /* Ĩ..ı */
                                       "II"           /* Ĳ..ĳ */
                                       "jj"           /* Ĵ..ĵ */
                                       "kkk"          /* Ķ..ĸ */
                                       "llllllllll"   /* Ĺ..ł */
                                       "nnnnnnnnn"    /* Ń..ŋ */
                                       "oooooo"       /* Ō..ő */
                                       "OO"           /* Œ..œ */
                                       "rrrrrr"       /* Ŕ..ř */
                                       "ssssssss"     /* Ś..š */
                                       "tttttt"       /* Ţ..ŧ */
                                       "uuuuuuuuuuuu" /* Ũ..ų */
                                       "ww"           /* Ŵ..ŵ */
                                       "yyy"          /* Ŷ..Ÿ */
                                       "zzzzzz"       /* Ź..ž */
                                       "s";           /* ſ */

_Static_assert(sizeof(latin1_fold) == 64 + 1, "latin1_fold covers U+00C0..U+00FF");
_Static_assert(sizeof(latin_ext_a_fold) == 128 + 1, "latin_ext_a_fold covers U+0100..U+017F");

static bool is_cjk(int32_t cp)
{
    if (cp < 0x1100)
        return false;
    if (cp >= 0x4E00 && cp <= 0x9FFF) /* the common case first */
        return true;
    return (cp <= 0x11FF) ||                   /* Hangul Jamo */
           (cp >= 0x3005 && cp <= 0x3007) ||   /* 々 〆 〇 */
           (cp >= 0x3041 && cp <= 0x3096) ||   /* Hiragana */
           (cp >= 0x3099 && cp <= 0x309F) ||   /* kana marks, ゝゞゟ */
           (cp >= 0x30A1 && cp <= 0x30FA) ||   /* Katakana */
           (cp >= 0x30FC && cp <= 0x30FF) ||   /* ー ヽ ヾ ヿ (not ・) */
           (cp >= 0x3105 && cp <= 0x312F) ||   /* Bopomofo */
           (cp >= 0x3131 && cp <= 0x318E) ||   /* Hangul compatibility jamo */
           (cp >= 0x31A0 && cp <= 0x31BF) ||   /* Bopomofo extended */
           (cp >= 0x31F0 && cp <= 0x31FF) ||   /* Katakana phonetic ext. */
           (cp >= 0x3400 && cp <= 0x4DBF) ||   /* Ext A */
           (cp >= 0xA960 && cp <= 0xA97F) ||   /* Hangul Jamo ext. A */
           (cp >= 0xAC00 && cp <= 0xD7A3) ||   /* Hangul syllables */
           (cp >= 0xD7B0 && cp <= 0xD7FF) ||   /* Hangul Jamo ext. B */
           (cp >= 0xF900 && cp <= 0xFAFF) ||   /* compatibility ideographs */
           (cp >= 0xFF66 && cp <= 0xFF9F) ||   /* halfwidth katakana */
           (cp >= 0xFFA0 && cp <= 0xFFDC) ||   /* halfwidth hangul */
           (cp >= 0x20000 && cp <= 0x2FA1F) || /* Ext B..F, compat. supplement */
           (cp >= 0x30000 && cp <= 0x323AF);   /* Ext G, H */
}

static bool is_space(int32_t cp)
{
    return cp <= 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200B) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

/* Stores the fold of Latin letter cp (0 when cp is not one) in c. */
static void fold_latin(int32_t cp, struct cjk_char *c)
{
    char f = 0;

    if (cp >= 0xC0 && cp <= 0xFF)
        f = latin1_fold[cp - 0xC0];
    else if (cp >= 0x100 && cp <= 0x17F)
        f = latin_ext_a_fold[cp - 0x100];
    else if (cp >= 0xFF10 && cp <= 0xFF19) /* fullwidth digits */
        f = (char)('0' + (cp - 0xFF10));
    else if (cp >= 0xFF21 && cp <= 0xFF3A) /* fullwidth A-Z */
        f = (char)('a' + (cp - 0xFF21));
    else if (cp >= 0xFF41 && cp <= 0xFF5A) /* fullwidth a-z */
        f = (char)('a' + (cp - 0xFF41));
    if (!f || f == '.')
        return;
    c->kind = CK_WORD;
    c->nfold = 1;
    c->fold[0] = f;
    if (f >= 'A' && f <= 'Z') {
        const char *two = strchr("AaeOoeTthSssIij", f);
        c->fold[0] = two[1], c->fold[1] = two[2], c->nfold = 2;
    }
}

/* Decodes and classifies the character at s (len > 0). */
static void read_char(const unsigned char *s, size_t len, struct cjk_char *c)
{
    int32_t cp;

    c->kind = CK_SEP;
    c->nfold = 0;
    if (s[0] < 0x80) {
        unsigned char b = s[0];
        c->len = 1;
        if ((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9')) {
            c->kind = CK_WORD, c->nfold = 1, c->fold[0] = (char)b;
        } else if (b >= 'A' && b <= 'Z') {
            c->kind = CK_WORD, c->nfold = 1, c->fold[0] = (char)(b - 'A' + 'a');
        } else if (b <= 0x20 || b == 0x7F) {
            c->kind = CK_SPACE;
        }
        return;
    }
    c->len = utf8_decode(s, len, &cp);
    if (cp < 0)
        c->kind = CK_SPACE; /* invalid UTF-8 breaks terms and words alike */
    else if (is_cjk(cp))
        c->kind = CK_CJK;
    else if (is_space(cp))
        c->kind = CK_SPACE;
    else
        fold_latin(cp, c);
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/*
 * Emits the folded word starting at byte i: a run of letters or a run of
 * digits, so iPhone15 is iphone 15. Returns the word's end in *end.
 */
static int emit_word(const unsigned char *s, size_t len, size_t i, void *ctx, token_fn tok,
                     size_t *end)
{
    char buf[FTS_CJK_MAX_TOKEN];
    size_t start = i;
    int n = 0;
    struct cjk_char c;

    while (i < len) {
        read_char(s + i, len - i, &c);
        if (c.kind != CK_WORD || (n > 0 && is_digit(c.fold[0]) != is_digit(buf[0])))
            break;
        if (n + c.nfold <= (int)sizeof(buf)) {
            memcpy(buf + n, c.fold, (size_t)c.nfold);
            n += c.nfold;
        }
        i += (size_t)c.len;
    }
    *end = i;
    return tok(ctx, 0, buf, n, (int)start, (int)i);
}

/*
 * Emits the CJK run starting at byte i (a CJK character is there); returns
 * its end in *end. Documents get unigram + colocated bigram per position,
 * queries the bigram per position and the unigram at the last one.
 */
static int emit_cjk(const unsigned char *s, size_t len, size_t i, bool query, void *ctx,
                    token_fn tok, size_t *end)
{
    const char *t = (const char *)s;
    struct cjk_char c;
    size_t cur = i, cur_end;
    int rc;

    read_char(s + i, len - i, &c);
    cur_end = cur + (size_t)c.len;
    for (;;) {
        bool more = false;
        if (cur_end < len) {
            read_char(s + cur_end, len - cur_end, &c);
            more = c.kind == CK_CJK;
        }
        if (!more) {
            *end = cur_end;
            return tok(ctx, 0, t + cur, (int)(cur_end - cur), (int)cur, (int)cur_end);
        }
        size_t next_end = cur_end + (size_t)c.len;
        if (!query) {
            rc = tok(ctx, 0, t + cur, (int)(cur_end - cur), (int)cur, (int)cur_end);
            if (rc != SQLITE_OK)
                return rc;
        }
        rc = tok(ctx, query ? 0 : FTS5_TOKEN_COLOCATED, t + cur, (int)(next_end - cur), (int)cur,
                 (int)next_end);
        if (rc != SQLITE_OK)
            return rc;
        cur = cur_end;
        cur_end = next_end;
    }
}

static int cjk_tokenize(Fts5Tokenizer *self, void *ctx, int flags, const char *text, int ntext,
                        token_fn tok)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t len = ntext > 0 ? (size_t)ntext : 0;
    bool query = (flags & FTS5_TOKENIZE_QUERY) != 0;
    size_t i = 0, end;
    struct cjk_char c;
    int rc = SQLITE_OK;

    (void)self;
    while (i < len && rc == SQLITE_OK) {
        read_char(s + i, len - i, &c);
        if (c.kind == CK_WORD) {
            rc = emit_word(s, len, i, ctx, tok, &end);
            i = end;
        } else if (c.kind == CK_CJK) {
            rc = emit_cjk(s, len, i, query, ctx, tok, &end);
            i = end;
        } else {
            i += (size_t)c.len;
        }
    }
    return rc;
}

/*
 * FTS5 wants a tokenizer object per table; kesu_cjk has no options or
 * state, so every table shares this constant's address.
 */
static const char tokenizer_instance = 0;

static int cjk_create(void *udata, const char **argv, int argc, Fts5Tokenizer **out)
{
    (void)udata;
    (void)argv;
    if (argc > 0)
        return SQLITE_ERROR; /* kesu_cjk takes no options */
    *out = (Fts5Tokenizer *)(uintptr_t)&tokenizer_instance;
    return SQLITE_OK;
}

static void cjk_delete(Fts5Tokenizer *t)
{
    (void)t;
}

int fts_api_of(sqlite3 *db, fts5_api **out)
{
    fts5_api *api = NULL;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return rc == SQLITE_DONE ? SQLITE_ERROR : rc;
    if (!api)
        return SQLITE_ERROR;
    *out = api;
    return SQLITE_OK;
}

int fts_cjk_register(sqlite3 *db)
{
    fts5_api *api;
    fts5_tokenizer tokenizer = {cjk_create, cjk_delete, cjk_tokenize};
    int rc = fts_api_of(db, &api);
    if (rc != SQLITE_OK)
        return rc;
    return api->xCreateTokenizer(api, "kesu_cjk", NULL, &tokenizer, NULL);
}

/* Appends the term [s, s+n) as a quoted phrase; prefix adds the star. */
static void add_phrase(struct strbuf *out, const char *s, size_t n, bool prefix)
{
    if (out->len)
        strbuf_addstr(out, " AND ");
    strbuf_addch(out, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            strbuf_addch(out, '"');
        strbuf_addch(out, s[i]);
    }
    strbuf_addch(out, '"');
    if (prefix)
        strbuf_addch(out, '*');
}

/*
 * Scans one term at s (no leading space) and appends it to out if it holds
 * something searchable. Returns the term's length in bytes.
 */
static size_t add_term(const unsigned char *s, size_t len, struct strbuf *out)
{
    size_t i = 0, text_end = 0;
    bool searchable = false, last_word = false;
    struct cjk_char c;

    while (i < len) {
        read_char(s + i, len - i, &c);
        if (c.kind == CK_SPACE)
            break;
        if (s[i] != '*') {
            searchable |= c.kind == CK_WORD || c.kind == CK_CJK;
            last_word = c.kind == CK_WORD;
            text_end = i + (size_t)c.len;
        }
        i += (size_t)c.len;
    }
    /* Stars inside the term are plain punctuation; only trailing ones count. */
    if (searchable)
        add_phrase(out, (const char *)s, text_end, last_word && text_end < i);
    return i;
}

void fts_cjk_match_expr(const char *q, size_t len, struct strbuf *out)
{
    const unsigned char *s = (const unsigned char *)q;
    size_t i = 0;
    struct cjk_char c;

    strbuf_reset(out);
    while (i < len) {
        read_char(s + i, len - i, &c);
        if (c.kind == CK_SPACE)
            i += (size_t)c.len;
        else
            i += add_term(s + i, len - i, out);
    }
}
