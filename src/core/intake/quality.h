/*
 * quality: the data-quality report of intake, as JSON (GET /api/v1/quality
 * and `kesu quality --json`), from store_quality() and the channel setup.
 *
 *   {"by": "day", "since": …, "until": …,
 *    "rows": [{"channel", "period", "records", "missing_required", "corrected",
 *              "pii_masked", "t2s", "duplicates_exact", "duplicates_near",
 *              "share": {same names: fraction of records}}],
 *    "rejections": [{"channel", "period", "source", "code", "field", "count"}],
 *    "coverage": {"expected": [...], "delivered": {channel: records},
 *                 "silent": [expected channels that delivered nothing]}}
 */
#ifndef KESU_QUALITY_H
#define KESU_QUALITY_H

#include <stdint.h>

#include "base/error.h"
#include "base/strbuf.h"
#include "intake/channels.h"
#include "store/db.h"

int quality_report_json(struct store *s, const struct channels_conf *c, int64_t since,
                        int64_t until, const char *by, struct strbuf *out, struct kerr *err);

#endif
