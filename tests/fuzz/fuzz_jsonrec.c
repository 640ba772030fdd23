/*
 * fuzz_jsonrec.c: libFuzzer target for JSON intake as POST /api/v1/feedback
 * and /api/v1/feedback/batch take it: the edge checks (base/json), the
 * record field table (intake/record) and the one-pass fast path
 * (intake/jsonrec). The fast path promises to give exactly what the checked
 * path gives whenever it answers: a record it fills must be the one
 * json_parse_checked + record_from_json fill, field for field. An array (or
 * {"items": [...]}) is read as a batch, each item through the checked path.
 *
 *     build/fuzz/fuzz/fuzz_jsonrec -max_total_time=60 tests/fuzz/corpus/jsonrec
 */
#include <cjson/cJSON.h>

#include "base/json.h"
#include "base/jsonw.h"
#include "base/strbuf.h"
#include "intake/jsonrec.h"
#include "intake/record.h"

#include "fuzz.h"

#include "base/banned.h"

static void as_json(const struct record *r, struct strbuf *sb)
{
    struct jsonw w;
    jsonw_init(&w, sb);
    record_to_json(r, &w);
}

static void check_item(const cJSON *item)
{
    struct record r;
    struct kerr e;
    kerr_clear(&e);
    record_init(&r);
    if (record_from_json(&r, item, &e) == 0) {
        kerr_clear(&e);
        (void)record_validate(&r, FUZZ_NOW_MS, &e);
    } else if (!e.message[0]) {
        abort();
    }
    record_release(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    struct record fast, slow;
    struct kerr ef, es;
    int rf, rs = -1;
    cJSON *j;

    kerr_clear(&ef);
    kerr_clear(&es);
    record_init(&fast);
    record_init(&slow);
    rf = record_parse_json(&fast, s, size, &ef);
    j = json_parse_checked(s, size, &es);
    if (!j && !es.message[0])
        abort();
    if (j && cJSON_IsObject(j))
        rs = record_from_json(&slow, j, &es);
    if (rf == 0) {
        struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
        if (rs != 0)
            abort(); /* the fast path took what the checked path refuses */
        as_json(&fast, &a);
        as_json(&slow, &b);
        if (a.len != b.len || memcmp(a.buf, b.buf, a.len) != 0)
            abort(); /* the two paths read the same text differently */
        strbuf_release(&a);
        strbuf_release(&b);
        kerr_clear(&ef);
        (void)record_validate(&fast, FUZZ_NOW_MS, &ef);
    } else if (rf != JSONREC_SLOW) {
        abort();
    }
    if (j) {
        const cJSON *arr = cJSON_IsArray(j) ? j : cJSON_GetObjectItemCaseSensitive(j, "items");
        const cJSON *item;
        if (cJSON_IsArray(arr)) {
            cJSON_ArrayForEach(item, arr) check_item(item);
        }
        cJSON_Delete(j);
    }
    record_release(&fast);
    record_release(&slow);
    return 0;
}
