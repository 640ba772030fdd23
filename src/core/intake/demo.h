/*
 * demo: realistic Chinese complaint data, written by kesu itself, for the
 * demo database, the tests and the benchmarks (any size, constant memory).
 *
 * What it holds, so that every later stage has something true to find:
 * fifteen channels with their own id formats and rating scales; a group
 * with e-commerce, banking, telecom, retail, restaurant and hotel lines;
 * stores across regions; customers who complain more than once; a weekly
 * rhythm and a seasonal trend; a spike in one category (logistics delays)
 * in a window of days; phones, ID numbers, bank cards and e-mail inside
 * texts; some traditional-Chinese and HTML-laden texts; some exact and
 * near duplicates. extra carries the ground truth:
 * {"demo_category":"L1/L2","demo_severity":...,"demo_dup":"exact"|"near"}.
 *
 * Records come in ascending received_at. The same options give the same
 * records (end_ms included: the default end is the start of today).
 */
#ifndef KESU_DEMO_H
#define KESU_DEMO_H

#include <stdint.h>

#include "intake/record.h"

struct demo_opts {
    uint64_t seed;
    long count;
    int64_t end_ms; /* last possible received_at; 0 = today 00:00 local time */
    int days;       /* span of days before end_ms; 0 = 365 */
};

/* Called once per record; r and its strings live until it returns. Non-zero stops. */
typedef int (*demo_cb)(void *arg, const struct record *r);

/* Returns 0, or the callback's non-zero value. */
int demo_generate(const struct demo_opts *o, demo_cb cb, void *arg);

/* The first day (local midnight, ms) of the spike window for these options, and its length. */
int64_t demo_spike_start(const struct demo_opts *o, int *ndays);

#endif
