/*
 * fuzz_mapping.c: libFuzzer target for column mappings (intake/mapping)
 * applied to CSV rows, as `kesu import --mapping FILE data.csv` runs them.
 * The input is a mapping (JSON) and, after a NUL byte, the CSV file; the
 * mapping is checked, then the file is imported as a dry run through it
 * (header row, skipped rows, encoding setting, binding columns by name or
 * letter, value maps, date formats, defaults). The date reader is also
 * run on the CSV bytes directly with each format.
 *
 *     build/fuzz/fuzz/fuzz_mapping -max_total_time=60 tests/fuzz/corpus/mapping
 */
#include "intake/import.h"
#include "intake/mapping.h"

#include "fuzz.h"

#include "base/banned.h"

static const char *const time_formats[] = {
    "auto", "epoch_s", "epoch_ms", "excel", "%Y年%m月%d日 %H:%M", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *conf, *csv;
    size_t conf_len, csv_len;
    struct mapping *m = NULL;
    struct kerr e;
    int64_t ms;

    fuzz_split(data, size, &conf, &conf_len, &csv, &csv_len);
    if (csv_len < 64) {
        for (size_t i = 0; i < sizeof time_formats / sizeof time_formats[0]; i++)
            (void)mapping_parse_time((const char *)csv, csv_len, time_formats[i], &ms);
    }
    kerr_clear(&e);
    if (mapping_parse((const char *)conf, conf_len, &m, &e) < 0) {
        if (!e.message[0] || m)
            abort();
        return 0;
    }
    {
        struct import_opts o = {0};
        struct import_stats st;
        FILE *f = fuzz_memfile(csv, csv_len);
        const char *enc = mapping_encoding(m);
        o.format = IMPORT_CSV;
        o.dry_run = true;
        o.batch = 4;
        o.mapping = m;
        o.default_channel = "app";
        if (enc && encoding_parse(enc, &o.encoding) < 0)
            o.encoding = ENC_AUTO;
        kerr_clear(&e);
        if (import_stream(NULL, f, &o, NULL, &st, &e) < 0 && !e.message[0])
            abort();
        if (st.created + st.rejected > st.rows)
            abort();
        fclose(f);
    }
    mapping_free(m);
    return 0;
}
