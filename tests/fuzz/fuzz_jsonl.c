/*
 * fuzz_jsonl.c: libFuzzer target for the JSON Lines importer (`kesu import
 * file.jsonl`, intake/import): line splitting, the over-long-line skip, the
 * fast and checked record paths, validation and the derived idempotency
 * key, as a dry run (nothing is stored; no store is opened). Every line
 * read must be counted as created or rejected.
 *
 *     build/fuzz/fuzz/fuzz_jsonl -max_total_time=60 tests/fuzz/corpus/jsonl
 */
#include "intake/import.h"

#include "fuzz.h"

#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct import_opts o = {0};
    struct import_stats st;
    struct kerr e;
    FILE *f = fuzz_memfile(data, size);

    o.format = IMPORT_JSONL;
    o.dry_run = true;
    o.batch = 4;
    o.default_channel = size && data[0] & 1 ? "app" : NULL;
    kerr_clear(&e);
    if (import_stream(NULL, f, &o, NULL, &st, &e) < 0 && !e.message[0])
        abort();
    if (st.created + st.rejected != st.rows)
        abort();
    fclose(f);
    return 0;
}
