/*
 * Unit tests for core/intake/csv: the reader (format, line numbers, caps and
 * resynchronisation after a bad row, I/O errors) and the field writer (round
 * trip, formula-injection prefix). Every reader case is run through fmemopen
 * and through a read callback that hands out 1, 2, 3, 7 and 64 bytes at a
 * time, so each record boundary falls at every possible place in a refill.
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "intake/csv.h"

/* Input for csv_reader_new_fn: `step` bytes per read (0 = all it may), and a
 * failed read once `fail_at` bytes are out (-1 = never). */
struct feed {
    const char *p;
    size_t len, pos, step;
    long fail_at;
};

static long feed_read(void *ctx, char *buf, size_t len)
{
    struct feed *f = ctx;
    size_t n = f->len - f->pos;
    if (f->fail_at >= 0 && f->pos >= (size_t)f->fail_at) {
        errno = EIO;
        return -1;
    }
    if (f->step && n > f->step)
        n = f->step;
    if (n > len)
        n = len;
    memcpy(buf, f->p + f->pos, n);
    f->pos += n;
    return (long)n;
}

/* Reads everything as "line:field|field\n" rows and "line:!code\n" errors. */
static void dump(struct csv_reader *r, struct strbuf *out)
{
    struct csv_row row;
    struct kerr e;
    int rc;
    while ((rc = csv_read(r, &row, &e)) != 0) {
        if (rc == KERR_IO) {
            strbuf_addf(out, "!%s\n", e.code);
            assert_int_equal(csv_read(r, &row, &e), KERR_IO);
            return;
        }
        if (rc < 0) {
            assert_true(e.line > 0);
            assert_int_equal(rc, strcmp(e.code, "csv_unterminated_quote") ? KERR_TOOLARGE
                                                                          : KERR_INVALID);
            strbuf_addf(out, "%ld:!%s\n", e.line, e.code);
            continue;
        }
        assert_int_equal(rc, 1);
        strbuf_addf(out, "%ld:", row.line);
        for (size_t i = 0; i < row.nfields; i++) {
            const struct csv_field *f = &row.fields[i];
            assert_int_equal(f->ptr[f->len], '\0');
            if (i)
                strbuf_addch(out, '|');
            for (size_t j = 0; j < f->len; j++) {
                if (f->ptr[j] == '\n')
                    strbuf_addstr(out, "\\n");
                else if (f->ptr[j] == '\r')
                    strbuf_addstr(out, "\\r");
                else
                    strbuf_addch(out, f->ptr[j]);
            }
        }
        strbuf_addch(out, '\n');
    }
    assert_int_equal(csv_read(r, &row, &e), 0);
}

static void check_len(const char *in, size_t len, const struct csv_opts *o, const char *want)
{
    static const size_t steps[] = {0, 1, 2, 3, 7, 64};
    struct strbuf out = STRBUF_INIT;
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        struct feed f = {in, len, 0, steps[i], -1};
        struct csv_reader *r = csv_reader_new_fn(feed_read, &f, o);
        assert_non_null(r);
        strbuf_reset(&out);
        dump(r, &out);
        assert_string_equal(out.buf, want);
        csv_reader_free(r);
    }
    if (len) {
        FILE *fp = fmemopen((void *)in, len, "r");
        struct csv_reader *r;
        assert_non_null(fp);
        r = csv_reader_new(fp, o);
        strbuf_reset(&out);
        dump(r, &out);
        assert_string_equal(out.buf, want);
        csv_reader_free(r);
        fclose(fp);
    }
    strbuf_release(&out);
}

#define check(in, o, want) check_len(in, sizeof(in) - 1, o, want)

static void reads_simple_rows(void **state)
{
    (void)state;
    check("a,b,c\n1,2,3\n", NULL, "1:a|b|c\n2:1|2|3\n");
    check(",,\na,\n,b\n", NULL, "1:||\n2:a|\n3:|b\n");
    check(" a , b \n", NULL, "1: a | b \n");
    check("", NULL, "");
    check("x", NULL, "1:x\n");
}

static void skips_bom_only_at_start(void **state)
{
    (void)state;
    check("\xEF\xBB\xBFid,name\n1,x\n", NULL, "1:id|name\n2:1|x\n");
    check("\xEF\xBB\xBF", NULL, "");
    check("\xEF\xBB\xBF\"q\"\n", NULL, "1:q\n");
    check("a\n\xEF\xBB\xBF\n", NULL, "1:a\n2:\xEF\xBB\xBF\n");
    check("\xEF\xBB", NULL, "1:\xEF\xBB\n");
}

static void handles_crlf_and_lone_cr(void **state)
{
    (void)state;
    check("a,b\r\nc,d\r\n", NULL, "1:a|b\n2:c|d\n");
    check("a,\r\n\"q\"\r\n", NULL, "1:a|\n2:q\n");
    check("a\rb,c\r\n", NULL, "1:a\\rb|c\n");
    check("a,b\r", NULL, "1:a|b\\r\n");
}

static void reads_quoted_fields_and_counts_lines(void **state)
{
    (void)state;
    check("\"a,b\",\"he said \"\"hi\"\"\",\"line1\nline2\r\nline3\"\nnext,row\n\"x\"\n", NULL,
          "1:a,b|he said \"hi\"|line1\\nline2\\r\\nline3\n4:next|row\n5:x\n");
    check("\"\"\n\"\",\"\"\n", NULL, "1:\n2:|\n");
    check("\"\"\"\"\n", NULL, "1:\"\n");
    check("\"a\n\n\nb\"\r\n\n\"c\",\"\n\"\nz", NULL, "1:a\\n\\n\\nb\n6:c|\\n\n8:z\n");
    check("\"abc\"", NULL, "1:abc\n");
    check("\"abc\"\"\"", NULL, "1:abc\"\n");
    check("\"x\r\"\n", NULL, "1:x\\r\n");
}

static void keeps_stray_quotes_as_data(void **state)
{
    (void)state;
    check("5\" screen,a\"b\"\n", NULL, "1:5\" screen|a\"b\"\n");
    check("\"ab\"c,d\n", NULL, "1:abc|d\n");
    check("\"a\"b\"c\",d\n", NULL, "1:ab\"c\"|d\n");
    check("\"ab\" \r\n", NULL, "1:ab \n");
}

static void reads_chinese_and_other_separators(void **state)
{
    struct csv_opts tab = {.sep = '\t'}, semi = {.sep = ';'}, bad = {.sep = '"'};
    (void)state;
    check("编号,内容\n1,\"产品质量差，客服态度不好\"\n2,\"快递太慢,\"\"差评\"\"\"\n", NULL,
          "1:编号|内容\n2:1|产品质量差，客服态度不好\n3:2|快递太慢,\"差评\"\n");
    check("门店\t评价\n上海,浦东\t\"一般\t还行\"\n", &tab, "1:门店|评价\n2:上海,浦东|一般\t还行\n");
    check("a;b,c;\"d;e\"\n", &semi, "1:a|b,c|d;e\n");
    assert_null(csv_reader_new(stdin, &bad));
    bad.sep = '\n';
    assert_null(csv_reader_new(stdin, &bad));
    bad.sep = (char)0xE4;
    assert_null(csv_reader_new(stdin, &bad));
}

static void reads_last_line_without_newline(void **state)
{
    (void)state;
    check("a,b\nc,d", NULL, "1:a|b\n2:c|d\n");
    check("a,b\nc,", NULL, "1:a|b\n2:c|\n");
    check("a,b\n\"c\nd\"", NULL, "1:a|b\n2:c\\nd\n");
}

static void skips_blank_lines(void **state)
{
    (void)state;
    check("\n\na\n\r\n\nb\n\n", NULL, "3:a\n6:b\n");
    check("\n\r\n\n", NULL, "");
    check("a\n\n", NULL, "1:a\n");
}

static void field_too_long_skips_that_row(void **state)
{
    struct csv_opts o = {.max_field = 5};
    (void)state;
    check("a,b\n\"x\ny\",toolongfield\nok,1\n\"1234\"\"\",z\n12345,123456\nlast\n", &o,
          "1:a|b\n2:!csv_field_too_long\n4:ok|1\n5:1234\"|z\n6:!csv_field_too_long\n7:last\n");
}

static void too_many_fields_skips_that_row(void **state)
{
    struct csv_opts o = {.max_fields = 3};
    struct strbuf in = STRBUF_INIT;
    (void)state;
    check("a,b,c\na,b,c,d\n\"x\n\",,,,\nx\n", &o,
          "1:a|b|c\n2:!csv_too_many_fields\n3:!csv_too_many_fields\n5:x\n");
    for (int i = 0; i < 513; i++)
        strbuf_addstr(&in, i ? ",x" : "x");
    strbuf_addstr(&in, "\nnext\n");
    check_len(in.buf, in.len, NULL, "1:!csv_too_many_fields\n2:next\n");
    strbuf_release(&in);
}

static void unterminated_quote_costs_one_line(void **state)
{
    (void)state;
    check("a,b\nc,\"d,e\nf,g\nh,i", NULL, "1:a|b\n2:!csv_unterminated_quote\n3:f|g\n4:h|i\n");
    check("\"", NULL, "1:!csv_unterminated_quote\n");
    check("x\n\"abc", NULL, "1:x\n2:!csv_unterminated_quote\n");
    /* line 2's quote is closed on line 3; line 4's never is */
    check("x\n\"a\nb\"\n\"bad\nc\n", NULL, "1:x\n2:a\\nb\n4:!csv_unterminated_quote\n5:c\n");
    check("\"\n\"c\"\n", NULL, "1:\\nc\"\n");
}

static void row_too_long_resynchronises(void **state)
{
    struct csv_opts o = {.max_row = 10};
    (void)state;
    check("abc\n0123456789\n01234567890\nx\n0123456789\r\ny", &o,
          "1:abc\n2:0123456789\n3:!csv_row_too_long\n4:x\n5:!csv_row_too_long\n6:y\n");
    /* inside quotes the opening quote is taken as stray: go on at the next line */
    check("\"abc\nd\nefghijklmnop\",q\nr\n", &o,
          "1:!csv_row_too_long\n2:d\n3:!csv_row_too_long\n4:r\n");
    /* outside quotes, after a closed multi-line field: go on after the next LF */
    check("\"a\nb\",cdefghijklmnop\nr\n", &o, "1:!csv_row_too_long\n3:r\n");
    check("0123456789012345678901234567890123456789", &o, "1:!csv_row_too_long\n");
}

static void big_rows_grow_the_buffer(void **state)
{
    struct csv_opts o = {.max_field = 3u << 20};
    struct strbuf in = STRBUF_INIT;
    struct csv_row row;
    struct kerr e;
    struct feed f;
    struct csv_reader *r;
    (void)state;
    strbuf_addstr(&in, "a,\"");
    for (int i = 0; i < (2 << 20) / 8; i++)
        strbuf_addstr(&in, i % 1000 ? "xxxxxxx," : "\"\"\n\r\n\"\"x");
    strbuf_addstr(&in, "\"\n");
    for (int i = 0; i < (5 << 20) / 8; i++)
        strbuf_addstr(&in, "yyyyyyy,");
    strbuf_addstr(&in, "\nlast\n");
    for (size_t step = 0; step <= 4096; step += 4096) {
        f = (struct feed){in.buf, in.len, 0, step, -1};
        r = csv_reader_new_fn(feed_read, &f, &o);
        assert_int_equal(csv_read(r, &row, &e), 1);
        assert_int_equal(row.nfields, 2);
        assert_int_equal(row.line, 1);
        assert_int_equal(row.fields[1].len, (2 << 20) - 2 * 263); /* 263 "" pairs */
        assert_int_equal(row.fields[1].ptr[0], '"');
        assert_int_equal(row.fields[1].ptr[1], '\n');
        assert_int_equal(csv_read(r, &row, &e), KERR_TOOLARGE);
        assert_string_equal(e.code, "csv_row_too_long");
        assert_int_equal(e.line, 2 + 2 * 263);
        assert_int_equal(csv_read(r, &row, &e), 1);
        assert_int_equal(row.line, e.line + 1);
        assert_string_equal(row.fields[0].ptr, "last");
        assert_int_equal(csv_read(r, &row, &e), 0);
        csv_reader_free(r);
    }
    strbuf_release(&in);
}

static void read_error_is_fatal(void **state)
{
    static const char in[] = "a,b\nc,d\ne,f\n";
    struct feed f = {in, sizeof(in) - 1, 0, 4, 4};
    struct csv_reader *r = csv_reader_new_fn(feed_read, &f, NULL);
    struct strbuf out = STRBUF_INIT;
    (void)state;
    dump(r, &out);
    assert_string_equal(out.buf, "1:a|b\n!csv_read_failed\n");
    csv_reader_free(r);
    strbuf_release(&out);
}

/* Field j of generated row i: plain most of the time, awkward now and then. */
static void gen_field(struct strbuf *sb, unsigned i, unsigned j)
{
    strbuf_reset(sb);
    switch ((i * 7 + j * 3) % 17) {
    case 0:
        break;
    case 1:
        strbuf_addf(sb, "产品%u，质量问题, \"严重\"", i);
        break;
    case 2:
        strbuf_addf(sb, "line %u\r\nline two\nthree", i);
        break;
    case 3:
        strbuf_addf(sb, " padded %u ", j);
        break;
    case 4:
        strbuf_addf(sb, "5\" screen %u", i);
        break;
    default:
        strbuf_addf(sb, "f%u_%u", i, j);
    }
}

static void reads_back_100000_rows(void **state)
{
    enum { ROWS = 100000, COLS = 6 };
    struct strbuf in = STRBUF_INIT, fld = STRBUF_INIT;
    struct csv_row row;
    struct kerr e;
    long line = 1;
    FILE *fp;
    struct csv_reader *r;
    (void)state;
    for (unsigned i = 0; i < ROWS; i++) {
        for (unsigned j = 0; j < COLS; j++) {
            gen_field(&fld, i, j);
            if (j)
                strbuf_addch(&in, ',');
            csv_write_field(&in, fld.buf, fld.len, ',', false);
        }
        strbuf_addstr(&in, i % 2 ? "\r\n" : "\n");
    }
    fp = fmemopen(in.buf, in.len, "r");
    r = csv_reader_new(fp, NULL);
    for (unsigned i = 0; i < ROWS; i++) {
        assert_int_equal(csv_read(r, &row, &e), 1);
        assert_int_equal(row.nfields, COLS);
        assert_int_equal(row.line, line);
        line++;
        for (unsigned j = 0; j < COLS; j++) {
            gen_field(&fld, i, j);
            assert_int_equal(row.fields[j].len, fld.len);
            assert_memory_equal(row.fields[j].ptr, fld.buf, fld.len);
            for (size_t k = 0; k < fld.len; k++)
                line += fld.buf[k] == '\n';
        }
    }
    assert_int_equal(csv_read(r, &row, &e), 0);
    csv_reader_free(r);
    fclose(fp);
    strbuf_release(&in);
    strbuf_release(&fld);
}

static void writer_round_trips_random_fields(void **state)
{
    static const char *const atoms[] = {"a",  "Z",    "0", ",",  ";",  "\t", "\"", "\"\"", "\n",
                                        "\r", "\r\n", " ", "中", "文", "=",  "'",  "|"};
    static const char seps[] = {',', '\t', ';'};
    enum { ROWS = 3000, MAXF = 8 };
    struct strbuf in = STRBUF_INIT, *want = calloc(ROWS * MAXF, sizeof(*want));
    size_t nf[ROWS];
    unsigned seed = 12345;
    (void)state;
    for (size_t k = 0; k < ROWS * MAXF; k++)
        strbuf_init(&want[k], 0);
    for (size_t s = 0; s < sizeof(seps); s++) {
        strbuf_reset(&in);
        for (size_t i = 0; i < ROWS; i++) {
            nf[i] = 2 + (seed = seed * 1103515245 + 12345) / 65536 % (MAXF - 1);
            for (size_t j = 0; j < nf[i]; j++) {
                struct strbuf *w = &want[i * MAXF + j];
                size_t n = (seed = seed * 1103515245 + 12345) / 65536 % 12;
                strbuf_reset(w);
                for (size_t k = 0; k < n; k++) {
                    seed = seed * 1103515245 + 12345;
                    strbuf_addstr(w, atoms[seed / 65536 % (sizeof(atoms) / sizeof(atoms[0]))]);
                }
                if (j)
                    strbuf_addch(&in, seps[s]);
                assert_true(csv_write_field(&in, w->buf, w->len, seps[s], false));
            }
            strbuf_addstr(&in, "\r\n");
        }
        for (size_t step = 0; step < 3; step++) {
            struct feed f = {in.buf, in.len, 0, step * 5, -1};
            struct csv_opts o = {.sep = seps[s]};
            struct csv_reader *r = csv_reader_new_fn(feed_read, &f, &o);
            struct csv_row row;
            struct kerr e;
            for (size_t i = 0; i < ROWS; i++) {
                assert_int_equal(csv_read(r, &row, &e), 1);
                assert_int_equal(row.nfields, nf[i]);
                for (size_t j = 0; j < nf[i]; j++) {
                    assert_int_equal(row.fields[j].len, want[i * MAXF + j].len);
                    assert_memory_equal(row.fields[j].ptr, want[i * MAXF + j].buf,
                                        row.fields[j].len);
                }
            }
            assert_int_equal(csv_read(r, &row, &e), 0);
            csv_reader_free(r);
        }
    }
    for (size_t k = 0; k < ROWS * MAXF; k++)
        strbuf_release(&want[k]);
    free(want);
    strbuf_release(&in);
}

static void write1(const char *s, char sep, bool safe, const char *want)
{
    struct strbuf sb = STRBUF_INIT;
    assert_true(csv_write_field(&sb, s, strlen(s), sep, safe));
    assert_string_equal(sb.buf, want);
    strbuf_release(&sb);
}

static void writer_quotes_and_defuses_formulas(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    (void)state;
    write1("plain", ',', true, "plain");
    write1("", ',', true, "");
    write1("a,b", ',', false, "\"a,b\"");
    write1("a,b", '\t', false, "a,b");
    write1("a\tb", '\t', false, "\"a\tb\"");
    write1("say \"hi\"", ',', false, "\"say \"\"hi\"\"\"");
    write1("\"", ',', false, "\"\"\"\"");
    write1("l1\nl2", ',', false, "\"l1\nl2\"");
    write1("cr\r", ',', false, "\"cr\r\"");
    write1(" lead", ',', false, "\" lead\"");
    write1("trail ", ',', false, "\"trail \"");
    write1("中文", ',', true, "中文");
    write1("=1+1", ',', true, "'=1+1");
    write1("=1+1", ',', false, "=1+1");
    write1("=HYPERLINK(\"http://x\",\"y\")", ',', true,
           "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
    write1("@SUM(A1)", ',', true, "'@SUM(A1)");
    write1("+cmd|' /C calc'!A0", ',', true, "'+cmd|' /C calc'!A0");
    write1("-2+3", ',', true, "'-2+3");
    write1("-12", ',', true, "-12");
    write1("+3.5", ',', true, "+3.5");
    write1("-", ',', true, "'-");
    write1("\tx", ',', true, "\"'\tx\"");
    write1("'quoted", ',', true, "'quoted");
    sb.cap = 4;
    assert_false(csv_write_field(&sb, "a,bcdef", 7, ',', false));
    assert_true(sb.overflow);
    strbuf_release(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_simple_rows),
        cmocka_unit_test(skips_bom_only_at_start),
        cmocka_unit_test(handles_crlf_and_lone_cr),
        cmocka_unit_test(reads_quoted_fields_and_counts_lines),
        cmocka_unit_test(keeps_stray_quotes_as_data),
        cmocka_unit_test(reads_chinese_and_other_separators),
        cmocka_unit_test(reads_last_line_without_newline),
        cmocka_unit_test(skips_blank_lines),
        cmocka_unit_test(field_too_long_skips_that_row),
        cmocka_unit_test(too_many_fields_skips_that_row),
        cmocka_unit_test(unterminated_quote_costs_one_line),
        cmocka_unit_test(row_too_long_resynchronises),
        cmocka_unit_test(big_rows_grow_the_buffer),
        cmocka_unit_test(read_error_is_fatal),
        cmocka_unit_test(reads_back_100000_rows),
        cmocka_unit_test(writer_round_trips_random_fields),
        cmocka_unit_test(writer_quotes_and_defuses_formulas),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
