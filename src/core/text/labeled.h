/*
 * labeled: reads labelled texts (a text column and a label column) from a
 * CSV file with a header row or a JSON Lines file, for training and
 * evaluating the linear classifier (text/linear.h).
 *
 * The format follows the file name: ".jsonl" / ".ndjson" is JSON Lines (one
 * object per line; the label may be a string or a number), anything else is
 * CSV (intake/csv.h, ',' separated, first row = column names). A label map
 * "raw=name,raw=name" renames raw labels; with a map, rows whose raw label is
 * not in it are skipped. Rows with an empty text or label are skipped.
 *
 * Label order: with fixed labels (e.g. a model's), those, and rows with
 * other labels are counted in `unknown` and skipped; else with a map, the
 * map's order of first appearance; else the names sorted bytewise.
 */
#ifndef KESU_LABELED_H
#define KESU_LABELED_H

#include <stddef.h>

#include "base/error.h"

struct labeled {
    char **text;
    size_t *len;
    int *y; /* index into labels */
    size_t n;
    char **labels;
    int nlabels;
    long skipped; /* rows without text or label, or unmapped, or unreadable */
    long unknown; /* rows whose label is not among the fixed labels */
};

struct labeled_opts {
    const char *text_col;            /* required */
    const char *label_col;           /* required */
    const char *label_map;           /* NULL or "raw=name,..." */
    const char *const *fixed_labels; /* NULL, or nfixed names */
    int nfixed;
};

/*
 * Reads path into *out (zeroed first; release with labeled_release, also
 * after an error). Returns 0, KERR_IO (cannot open/read), or KERR_INVALID
 * (a column is missing, a bad label map, too many labels) with err set.
 */
int labeled_read(const char *path, const struct labeled_opts *o, struct labeled *out,
                 struct kerr *err);
/* Like labeled_read() but adds to *out (zeroed or filled by an earlier read). */
int labeled_append(const char *path, const struct labeled_opts *o, struct labeled *out,
                   struct kerr *err);
/* Drops texts identical to an earlier one (first kept); returns how many were dropped. */
/*
 * Adds one text with its label (texts of other sources than files, e.g. the
 * store); call labeled_sort_labels once all are in. Empty texts or labels are
 * skipped (counted). KERR_INVALID when there are too many labels.
 */
int labeled_add(struct labeled *d, const char *text, size_t tlen, const char *label, size_t llen,
                struct kerr *err);
/* Orders the labels by name (as labeled_read does) and renumbers the rows. */
void labeled_sort_labels(struct labeled *d);
size_t labeled_dedup(struct labeled *d);
void labeled_release(struct labeled *d);

#endif
