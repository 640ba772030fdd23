/*
 * fuzz_seg.c: libFuzzer target for the segmenter (core/text/seg) and the
 * compiled-dictionary checker (core/text/segdict). The first input byte
 * picks the mode: cut with HMM, cut without, or open the rest as a compiled
 * dictionary image. Cuts must cover the input exactly, whatever the bytes.
 *
 *     make fuzz                      (all targets, FUZZ_TIME seconds each)
 *     build/fuzz/fuzz/fuzz_seg -max_total_time=60 tests/fuzz/corpus/seg
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "text/seg.h"
#include "text/segdict.h"

#include "base/banned.h"

static struct segdict *dict;

struct cover {
    const char *text;
    size_t pos;
};

static int on_token(void *arg, const char *tok, size_t len)
{
    struct cover *c = arg;
    if (len == 0 || tok != c->text + c->pos)
        abort();
    c->pos += len;
    return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct segdict_src src = SEGDICT_SRC_DEFAULT;
    struct strbuf img = STRBUF_INIT;
    struct kerr e;
    (void)argc;
    (void)argv;
    if (segdict_build(&src, &img, &e) < 0 || !(dict = segdict_from_image(&img, &e))) {
        fprintf(stderr, "fuzz_seg: %s\n", e.message);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    switch (data[0] % 3) {
    case 0:
    case 1: {
        /* a copy of exactly len bytes, so ASan sees any read past the end */
        char *copy = malloc(len ? len : 1);
        memcpy(copy, text, len);
        struct cover c = {copy, 0};
        seg_cut(dict, copy, len, data[0] % 3 ? SEG_HMM : 0, on_token, &c);
        if (c.pos != len)
            abort();
        free(copy);
        break;
    }
    default: {
        struct strbuf img = STRBUF_INIT;
        struct segdict *d;
        strbuf_add(&img, text, len);
        if ((d = segdict_from_image(&img, NULL)) != NULL)
            segdict_close(d);
        strbuf_release(&img);
    }
    }
    return 0;
}
