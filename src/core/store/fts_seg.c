/*
 * fts_seg: the "kesu_seg" FTS5 tokenizer over text/seg (see fts_seg.h).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "base/xmalloc.h"
#include "store/fts_cjk.h"
#include "store/fts_seg.h"
#include "text/seg.h"

#include "base/banned.h"

typedef int (*token_fn)(void *ctx, int tflags, const char *tok, int ntok, int start, int end);

struct seg_tokenizer {
    const struct segdict *d;
    unsigned flags;
};

struct emit_ctx {
    const char *text;
    void *ctx;
    token_fn tok;
};

/* Whitespace and punctuation code points: words of only these are not indexed. */
static bool is_separator(int32_t cp)
{
    if (cp < 0x80)
        return !((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9'));
    return cp <= 0xBF || (cp >= 0x2000 && cp <= 0x206F) || (cp >= 0x3000 && cp <= 0x3004) ||
           (cp >= 0x3008 && cp <= 0x303F) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
           (cp >= 0xFF00 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) ||
           (cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B && cp <= 0xFF65) || cp == 0xFEFF;
}

static int on_word(void *arg, const char *w, size_t len)
{
    struct emit_ctx *e = arg;
    char buf[FTS_SEG_MAX_TOKEN];
    size_t n = 0, i = 0;
    bool keep = false;

    while (i < len) {
        int32_t cp;
        int l = utf8_decode((const unsigned char *)w + i, len - i, &cp);
        if (cp < 0)
            return SQLITE_OK; /* invalid UTF-8 is a one-byte word of its own */
        keep |= !is_separator(cp);
        if (n + (size_t)l <= sizeof(buf)) {
            memcpy(buf + n, w + i, (size_t)l);
            if (l == 1 && buf[n] >= 'A' && buf[n] <= 'Z')
                buf[n] = (char)(buf[n] - 'A' + 'a');
            n += (size_t)l;
        }
        i += (size_t)l;
    }
    if (!keep)
        return SQLITE_OK;
    int start = (int)(w - e->text);
    return e->tok(e->ctx, 0, buf, (int)n, start, start + (int)len);
}

static int seg_tokenize(Fts5Tokenizer *self, void *ctx, int flags, const char *text, int ntext,
                        token_fn tok)
{
    struct seg_tokenizer *t = (struct seg_tokenizer *)self;
    struct emit_ctx e = {text, ctx, tok};
    (void)flags;
    return seg_cut(t->d, text, ntext > 0 ? (size_t)ntext : 0, t->flags, on_word, &e);
}

static int seg_create(void *udata, const char **argv, int argc, Fts5Tokenizer **out)
{
    struct seg_tokenizer *t;
    unsigned flags = SEG_HMM;

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "nohmm") == 0)
            flags = 0;
        else
            return SQLITE_ERROR;
    }
    t = xmalloc(sizeof(*t));
    t->d = udata;
    t->flags = flags;
    *out = (Fts5Tokenizer *)t;
    return SQLITE_OK;
}

static void seg_delete(Fts5Tokenizer *t)
{
    free(t);
}

int fts_seg_register(sqlite3 *db, const struct segdict *d)
{
    fts5_api *api;
    fts5_tokenizer tokenizer = {seg_create, seg_delete, seg_tokenize};
    int rc = fts_api_of(db, &api);
    if (rc != SQLITE_OK)
        return rc;
    return api->xCreateTokenizer(api, "kesu_seg", (void *)(uintptr_t)d, &tokenizer, NULL);
}
