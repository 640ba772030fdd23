/*
 * jsonrec: one JSON object straight into a record, without a cJSON tree
 * (the bulk-intake fast path; see jsonrec.c).
 */
#ifndef KESU_JSONREC_H
#define KESU_JSONREC_H

#include <stddef.h>

#include "base/error.h"
#include "intake/record.h"

#define JSONREC_SLOW 1

/*
 * Fills r (record_init'ed) from the JSON object in text. Returns 0 when
 * done, exactly as json_parse_checked + record_from_json would have; or
 * JSONREC_SLOW when the caller must reset r and take that checked path
 * (which then gives the error, if there is one).
 */
int record_parse_json(struct record *r, const char *text, size_t len, struct kerr *err);

#endif
