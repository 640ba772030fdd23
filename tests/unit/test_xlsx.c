/*
 * Unit tests for core/intake/xlsx: the committed workbook written by
 * openpyxl (tests/fixtures/import/reviews.xlsx: shared strings with a
 * rich-text run, inline strings, dates with built-in and custom formats,
 * booleans, an error, gaps, two sheets), and small workbooks built here
 * with libzip to reach what openpyxl does not write: prefixed element
 * names, t="str", columns past Z, cells without r, a 1904 workbook, a
 * broken sheet and a file that is no zip. Run from the repository root.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "base/clock.h"
#include "intake/xlsx.h"

#define FIXTURES "tests/fixtures/import/"

static int setup(void **state)
{
    (void)state;
    return clock_set_zone("Asia/Shanghai");
}

static struct xlsx *open_book(const char *path, FILE **f)
{
    struct xlsx *x = NULL;
    struct kerr e;
    *f = fopen(path, "rb");
    assert_non_null(*f);
    if (xlsx_open(*f, &x, &e) < 0)
        fail_msg("xlsx_open %s: %s", path, e.message);
    return x;
}

static void expect_row(struct xlsx *x, long line, const char *const *cells, size_t n)
{
    struct csv_row row;
    struct kerr e;
    assert_int_equal(xlsx_read(x, &row, &e), 1);
    assert_int_equal(row.line, line);
    assert_int_equal(row.nfields, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(row.fields[i].ptr, cells[i]);
}

static void reads_the_openpyxl_fixture(void **state)
{
    FILE *f;
    struct xlsx *x = open_book(FIXTURES "reviews.xlsx", &f);
    struct csv_row row;
    struct kerr e;
    static const char *const r1[] = {"订单号",   "买家昵称", "评价时间", "评分",
                                     "评价内容", "商品名称", "满意度",   "回访"};
    static const char *const r2[] = {
        "TB2001",   "小明", "2025-06-25T09:33:19+08:00", "5", "质量很好，推荐", "保温杯",
        "非常满意", "TRUE"};
    static const char *const r3[] = {
        "TB2002", "", "2025-06-26T14:05:00+08:00", "2.5", "盖子漏水", "保温杯", "不满意", "FALSE"};
    static const char *const r5[] = {
        "TB2003", "", "2025-06-27T00:00:00+08:00", "", "没有评分的评价", "", "一般", "#DIV/0!"};
    (void)state;
    assert_int_equal(xlsx_sheet_count(x), 2);
    assert_string_equal(xlsx_sheet_name(x, 0), "评价");
    assert_string_equal(xlsx_sheet_name(x, 1), "说明");
    assert_null(xlsx_sheet_name(x, 2));
    expect_row(x, 1, r1, 8);
    expect_row(x, 2, r2, 8);
    expect_row(x, 3, r3, 8);
    expect_row(x, 5, r5, 8); /* row 4 is empty: not returned */
    assert_int_equal(xlsx_read(x, &row, &e), 0);
    assert_int_equal(xlsx_read(x, &row, &e), 0);

    static const char *const s2[] = {"导出时间", "2025-07-01T08:00:00+08:00"};
    assert_int_equal(xlsx_select(x, "说明", &e), 0);
    expect_row(x, 1, s2, 2);
    assert_int_equal(xlsx_select(x, "1", &e), 0);
    expect_row(x, 1, r1, 8);
    assert_int_equal(xlsx_select(x, "3", &e), KERR_NOTFOUND);
    assert_int_equal(xlsx_select(x, "无此表", &e), KERR_NOTFOUND);
    assert_string_equal(e.code, "no_such_sheet");
    xlsx_free(x);
    fclose(f);
}

static void knows_date_formats(void **state)
{
    (void)state;
    for (int id = 14; id <= 22; id++)
        assert_true(xlsx_is_date_format(id, NULL));
    for (int id = 45; id <= 47; id++)
        assert_true(xlsx_is_date_format(id, NULL));
    assert_true(xlsx_is_date_format(31, NULL)); /* zh-CN yyyy"年"m"月"d"日" */
    assert_false(xlsx_is_date_format(0, NULL));
    assert_false(xlsx_is_date_format(2, NULL));
    assert_false(xlsx_is_date_format(49, NULL));
    assert_true(xlsx_is_date_format(164, "yyyy-mm-dd h:mm:ss"));
    assert_true(xlsx_is_date_format(164, "[$-804]yyyy\"年\"m\"月\"d\"日\""));
    assert_true(xlsx_is_date_format(164, "[h]:mm:ss"));
    assert_false(xlsx_is_date_format(164, "0.00"));
    assert_false(xlsx_is_date_format(164, "General"));
    assert_false(xlsx_is_date_format(164, "#,##0\"元\""));
    assert_false(xlsx_is_date_format(164, "0\" days\""));
    assert_false(xlsx_is_date_format(164, "[Red]0.00"));
    assert_false(xlsx_is_date_format(164, "0\\d"));
}

static void converts_serials(void **state)
{
    int64_t ms;
    char buf[CLOCK_FMT_MAX];
    (void)state;
    assert_int_equal(xlsx_serial_to_ms(45833.398136574, 0, &ms), 0);
    assert_string_equal(clock_format(ms, buf), "2025-06-25T09:33:19+08:00");
    assert_int_equal(xlsx_serial_to_ms(45833, 0, &ms), 0);
    assert_string_equal(clock_format(ms, buf), "2025-06-25T00:00:00+08:00");
    assert_int_equal(xlsx_serial_to_ms(44371, 1, &ms), 0); /* 1904 system: 4 years + 1 day less */
    assert_string_equal(clock_format(ms, buf), "2025-06-25T00:00:00+08:00");
    assert_int_equal(xlsx_serial_to_ms(45833.99999999, 0, &ms), 0); /* rounds to the next day */
    assert_string_equal(clock_format(ms, buf), "2025-06-26T00:00:00+08:00");
    assert_int_equal(xlsx_serial_to_ms(-1, 0, &ms), -1);
    assert_int_equal(xlsx_serial_to_ms(3e6, 0, &ms), -1);
}

/* Writes a workbook with one sheet whose sheetData is `data`. */
static void make_book(const char *path, const char *data, bool date1904, const char *styles)
{
    static char wb[1024];
    size_t cap = strlen(data) + 512;
    char *sheet = malloc(cap);
    int err;
    zip_t *z;
    snprintf(wb, sizeof(wb),
             "<workbook xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/"
             "relationships\"><workbookPr date1904=\"%d\"/><sheets><sheet name=\"S\" "
             "sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>",
             date1904);
    snprintf(sheet, cap,
             "<x:worksheet xmlns:x=\"http://schemas.openxmlformats.org/spreadsheetml/2006/"
             "main\"><x:sheetData>%s</x:sheetData></x:worksheet>",
             data);
    unlink(path);
    z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);
    assert_non_null(z);
#define ADD(name, text)                                                                            \
    assert_true(                                                                                   \
        zip_file_add(z, name, zip_source_buffer(z, text, strlen(text), 0), ZIP_FL_ENC_UTF_8) >= 0)
    ADD("xl/workbook.xml", wb);
    ADD("xl/_rels/workbook.xml.rels",
        "<Relationships><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/"
        "officeDocument/2006/relationships/worksheet\" Target=\"/xl/sheets/one.xml\"/>"
        "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/"
        "2006/relationships/styles\" Target=\"styles.xml\"/></Relationships>");
    ADD("xl/sheets/one.xml", sheet);
    ADD("xl/styles.xml", styles);
#undef ADD
    assert_int_equal(zip_close(z), 0);
    free(sheet);
}

static const char plain_styles[] =
    "<styleSheet><numFmts><numFmt numFmtId=\"170\" formatCode=\"yyyy/m/d\"/></numFmts>"
    "<cellStyleXfs><xf numFmtId=\"22\"/></cellStyleXfs>"
    "<cellXfs><xf numFmtId=\"0\"/><xf numFmtId=\"170\"/><xf numFmtId=\"4\"/></cellXfs>"
    "</styleSheet>";

static void reads_hand_made_sheets(void **state)
{
    const char *path = "build/test_xlsx_hand.xlsx";
    FILE *f;
    struct csv_row row;
    struct kerr e;
    (void)state;
    make_book(path,
              "<x:row r=\"2\"><x:c r=\"B2\" t=\"str\"><x:f>A1&amp;1</x:f><x:v>a&lt;1</x:v></x:c>"
              "<x:c r=\"AB2\" s=\"1\"><x:v>41390</x:v></x:c></x:row>"
              "<x:row><x:c t=\"inlineStr\"><x:is><x:r><x:t>x</x:t></x:r><x:r><x:t>y</x:t></x:r>"
              "</x:is></x:c><x:c s=\"2\"><x:v>1234.5</x:v></x:c><x:c s=\"0\"/></x:row>"
              "<x:row r=\"9\"><x:c r=\"A9\" s=\"2\"/></x:row>",
              true, plain_styles);
    struct xlsx *x = open_book(path, &f);
    assert_int_equal(xlsx_read(x, &row, &e), 1);
    assert_int_equal(row.line, 2);
    assert_int_equal(row.nfields, 28); /* AB is the 28th column */
    assert_string_equal(row.fields[0].ptr, "");
    assert_string_equal(row.fields[1].ptr, "a<1");
    assert_string_equal(row.fields[27].ptr, "2017-04-27T00:00:00+08:00"); /* 1904 system */
    assert_int_equal(xlsx_read(x, &row, &e), 1);
    assert_int_equal(row.line, 3);
    assert_int_equal(row.nfields, 3);
    assert_string_equal(row.fields[0].ptr, "xy");
    assert_string_equal(row.fields[1].ptr, "1234.5"); /* style 2 (#,##0.00) is no date */
    assert_int_equal(xlsx_read(x, &row, &e), 0);      /* row 9 has only an empty cell */
    xlsx_free(x);
    fclose(f);
    unlink(path);
}

static void reports_broken_sheets(void **state)
{
    const char *path = "build/test_xlsx_broken.xlsx";
    FILE *f;
    struct csv_row row;
    struct kerr e;
    struct xlsx *x;
    (void)state;
    make_book(path, "<x:row r=\"1\"><x:c><x:v>1</x:v></x:c></x:row><x:row r=\"2\"><x:c>", false,
              plain_styles);
    x = open_book(path, &f);
    assert_int_equal(xlsx_read(x, &row, &e), 1);
    assert_int_equal(xlsx_read(x, &row, &e), KERR_INVALID);
    assert_string_equal(e.code, "xlsx_invalid");
    assert_int_equal(xlsx_read(x, &row, &e), KERR_INVALID); /* and stays so */
    xlsx_free(x);
    fclose(f);
    unlink(path);

    f = fopen(FIXTURES "reviews_gbk.csv", "rb");
    assert_non_null(f);
    assert_int_equal(xlsx_open(f, &x, &e), KERR_INVALID);
    assert_null(x);
    fclose(f);
}

/* A package whose _rels/.rels breaks off after a relationship: refused, nothing leaked
 * (found by fuzz_xlsx; the unit-asan run checks for the leak). */
static void refuses_broken_package_rels(void **state)
{
    const char *path = "build/test_xlsx_rels.xlsx";
    const char *rels = "<Relationships><Relationship Id=\"rId1\" Type=\"x/officeDocument\" "
                       "Target=\"xl/workbook.xml\"/><Relationship Id=\"rId2\" Target=\"a\"/><";
    struct kerr e;
    struct xlsx *x = NULL;
    int err;
    FILE *f;
    zip_t *z;
    (void)state;
    unlink(path);
    z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);
    assert_non_null(z);
    assert_true(zip_file_add(z, "_rels/.rels", zip_source_buffer(z, rels, strlen(rels), 0),
                             ZIP_FL_ENC_UTF_8) >= 0);
    assert_int_equal(zip_close(z), 0);
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(xlsx_open(f, &x, &e), KERR_INVALID);
    assert_null(x);
    fclose(f);
    unlink(path);
}

static void caps_columns(void **state)
{
    const char *path = "build/test_xlsx_wide.xlsx";
    FILE *f;
    struct csv_row row;
    struct kerr e;
    (void)state;
    make_book(path,
              "<x:row r=\"1\"><x:c r=\"ZZZ1\"><x:v>1</x:v></x:c></x:row>"
              "<x:row r=\"2\"><x:c r=\"A2\"><x:v>2</x:v></x:c></x:row>",
              false, plain_styles);
    struct xlsx *x = open_book(path, &f);
    assert_int_equal(xlsx_read(x, &row, &e), KERR_TOOLARGE);
    assert_int_equal(e.line, 1);
    assert_int_equal(xlsx_read(x, &row, &e), 1);
    assert_int_equal(row.line, 2);
    assert_string_equal(row.fields[0].ptr, "2");
    xlsx_free(x);
    fclose(f);
    unlink(path);
}

/* 30,000 rows (several MiB of XML): rows cross expat's 64 KiB chunks at every offset. */
static void reads_a_long_sheet_across_chunks(void **state)
{
    const char *path = "build/test_xlsx_long.xlsx";
    size_t cap = 30000 * 160, len = 0;
    char *data = malloc(cap);
    struct csv_row row;
    struct kerr e;
    FILE *f;
    long n = 0;
    (void)state;
    for (int i = 1; i <= 30000; i++)
        len += (size_t)snprintf(data + len, cap - len,
                                "<x:row r=\"%d\"><x:c r=\"A%d\"><x:v>%d</x:v></x:c><x:c r=\"C%d\" "
                                "t=\"inlineStr\"><x:is><x:t>第%d行&amp;</x:t></x:is></x:c></x:row>",
                                i, i, i * 7, i, i);
    make_book(path, data, false, plain_styles);
    free(data);
    struct xlsx *x = open_book(path, &f);
    while (xlsx_read(x, &row, &e) == 1) {
        char want[32];
        n++;
        assert_int_equal(row.line, n);
        assert_int_equal(row.nfields, 3);
        snprintf(want, sizeof(want), "%ld", n * 7);
        assert_string_equal(row.fields[0].ptr, want);
        assert_string_equal(row.fields[1].ptr, "");
        snprintf(want, sizeof(want), "第%ld行&", n);
        assert_string_equal(row.fields[2].ptr, want);
    }
    assert_int_equal(n, 30000);
    xlsx_free(x);
    fclose(f);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_the_openpyxl_fixture),
        cmocka_unit_test(knows_date_formats),
        cmocka_unit_test(converts_serials),
        cmocka_unit_test(reads_hand_made_sheets),
        cmocka_unit_test(reports_broken_sheets),
        cmocka_unit_test(refuses_broken_package_rels),
        cmocka_unit_test(caps_columns),
        cmocka_unit_test(reads_a_long_sheet_across_chunks),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
