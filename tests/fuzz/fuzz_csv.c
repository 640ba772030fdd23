/*
 * fuzz_csv.c: libFuzzer target for the CSV reader (intake/csv) behind the
 * character-set conversion (intake/encoding: detection, GB18030, Big5,
 * UTF-16LE, invalid sequences to U+FFFD). The first byte picks the
 * separator, the encoding (or detection), small caps so the error and
 * resynchronisation paths run, and how many bytes each read hands over
 * (the reader must not depend on where reads end; at least 4, as
 * enc_reader_read asks). Every field must be
 * followed by its NUL and stay within the caps; a field written with
 * csv_write_field must read back the same.
 *
 *     build/fuzz/fuzz/fuzz_csv -max_total_time=60 tests/fuzz/corpus/csv
 */
#include "intake/csv.h"
#include "intake/encoding.h"

#include "fuzz.h"

#include "base/banned.h"

struct chunked {
    struct enc_reader *enc;
    size_t step;
};

static long read_chunked(void *ctx, char *buf, size_t len)
{
    struct chunked *c = ctx;
    return enc_reader_read(c->enc, buf, len < c->step ? len : c->step);
}

static const char seps[] = {',', '\t', ';', '|'};

static void roundtrip(const struct csv_field *fl, char sep, bool safe)
{
    struct strbuf sb = STRBUF_INIT;
    struct csv_opts o = {0};
    struct csv_reader *rd;
    struct csv_row row;
    FILE *f;
    if (fl->len == 0 || memchr(fl->ptr, 0, fl->len))
        return;
    csv_write_field(&sb, fl->ptr, fl->len, sep, safe);
    strbuf_addstr(&sb, "\n");
    o.sep = sep;
    f = fuzz_memfile(sb.buf, sb.len);
    rd = csv_reader_new(f, &o);
    if (csv_read(rd, &row, NULL) != 1 || row.nfields != 1)
        abort();
    if (!safe && (row.fields[0].len != fl->len || memcmp(row.fields[0].ptr, fl->ptr, fl->len)))
        abort();
    csv_reader_free(rd);
    fclose(f);
    strbuf_release(&sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct csv_opts o = {0};
    struct chunked c;
    struct csv_reader *rd;
    struct csv_row row;
    struct kerr e;
    FILE *f;
    unsigned mode;
    int rc, rows = 0;

    if (size < 1)
        return 0;
    mode = data[0];
    data++, size--;
    (void)encoding_detect((const char *)data, size);
    o.sep = seps[mode & 3];
    if (mode & 4) {
        o.max_field = 64;
        o.max_fields = 8;
        o.max_row = 256;
    }
    f = fuzz_memfile(data, size);
    kerr_clear(&e);
    c.enc = enc_reader_new(f, (enum encoding)((mode >> 3) % 5), &e);
    if (!c.enc)
        abort(); /* a memory file never fails to read */
    c.step = (mode >> 6) == 0 ? 4 : (mode >> 6) == 1 ? 7 : 65536; /* the reader wants >= 4 */
    rd = csv_reader_new_fn(read_chunked, &c, &o);
    while ((rc = csv_read(rd, &row, &e)) != 0) {
        if (rc == KERR_IO)
            abort();
        if (rc < 0) {
            if (!e.code[0])
                abort();
            continue;
        }
        if (row.nfields < 1 || (o.max_fields && row.nfields > o.max_fields))
            abort();
        for (size_t i = 0; i < row.nfields; i++) {
            if (row.fields[i].ptr[row.fields[i].len] != 0)
                abort();
            if (o.max_field && row.fields[i].len > o.max_field)
                abort();
        }
        if (rows++ == 0) /* once: each reader holds a 512 KiB buffer */
            roundtrip(&row.fields[0], o.sep, mode & 0x20);
    }
    (void)enc_reader_replaced(c.enc);
    csv_reader_free(rd);
    enc_reader_free(c.enc);
    fclose(f);
    return 0;
}
