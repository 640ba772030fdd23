/*
 * fuzz_xlsx.c: libFuzzer target for the xlsx reader (intake/xlsx): the
 * bytes are a workbook (a zip) held in an anonymous memory file; every
 * sheet is opened by name and by number and all its rows read (workbook
 * and relationship parts, shared strings, styles and date formats, inline
 * strings, cell references, caps). The date helpers are run on numbers
 * taken from the input.
 *
 *     build/fuzz/fuzz/fuzz_xlsx -max_total_time=60 tests/fuzz/corpus/xlsx
 */
#include <math.h>

#include "intake/xlsx.h"

#include "fuzz.h"

#include "base/banned.h"

static void read_sheet(struct xlsx *x, const char *sel)
{
    struct kerr e;
    struct csv_row row;
    int rc, n = 0;
    kerr_clear(&e);
    if (sel && xlsx_select(x, sel, &e) < 0)
        return; /* NULL: the sheet xlsx_open selected */
    while ((rc = xlsx_read(x, &row, &e)) != 0 && n++ < 100000) {
        if (rc == KERR_TOOLARGE)
            continue; /* that row is skipped */
        if (rc < 0)
            return;
        if (row.nfields > XLSX_MAX_COLS)
            abort();
        for (size_t i = 0; i < row.nfields; i++)
            if (row.fields[i].ptr[row.fields[i].len] != 0 || row.fields[i].len > XLSX_MAX_CELL)
                abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct xlsx *x = NULL;
    struct kerr e;
    FILE *f;

    if (size >= 8) {
        double d;
        int64_t ms;
        memcpy(&d, data, sizeof d);
        (void)xlsx_serial_to_ms(d, data[0] & 1, &ms);
        (void)xlsx_is_date_format(data[1], NULL);
    }
    f = fuzz_memfile(data, size);
    kerr_clear(&e);
    if (xlsx_open(f, &x, &e) == 0) {
        size_t n = xlsx_sheet_count(x);
        read_sheet(x, NULL);
        for (size_t i = 0; i < n && i < 4; i++) {
            char num[24];
            read_sheet(x, xlsx_sheet_name(x, i));
            snprintf(num, sizeof num, "%zu", i + 1);
            read_sheet(x, num);
        }
        read_sheet(x, "no such sheet");
        xlsx_free(x);
    } else if (!e.message[0] || x) {
        abort();
    }
    fclose(f);
    return 0;
}
