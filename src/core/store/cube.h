/*
 * cube.h: the stats cube, an in-memory coded column store of every record's
 * stats dimensions (store_stats_dims), for the stats queries the rollups do
 * not pre-aggregate (the cross-tab of any two dimensions) and the ones they
 * answer slowly over long periods (volume by a dimension with many values).
 *
 * Internal to the store: sqlite.c owns one per store, the writer feeds it
 * (rollup_add_record notes each record's old and new values in the running
 * job; the batch hands its notes over after its commit), stats.c reads it
 * for store_cube_rollup and store_cube_crosstab (db.h). See cube.c's DESIGN.
 */
#ifndef KESU_STORE_CUBE_H
#define KESU_STORE_CUBE_H

#include <stdbool.h>
#include <stdint.h>

struct store;
struct cube;

/* A new cube in mode "off" (it never loads and notes nothing). Freed by cube_free. */
struct cube *cube_new(struct store *s);
/* Stops and joins a running load, frees everything. NULL is allowed. */
void cube_free(struct cube *cb);

/* Writer side, all under the store's writer lock. */
/* Notes one record's values (NDIMS strings in store_stats_dims order, "" = none): sign 1
 * adds or replaces the record as given, -1 takes it away. Nothing while the cube is idle. */
void cube_note(struct cube *cb, int64_t id, int64_t received_at, const char *const *v, int sign);
/* The running job ends: keep its notes for the batch (ok) or drop them (rolled back). */
void cube_job_end(struct cube *cb, bool ok);
/* The batch committed (ok) or rolled back: its notes go to the cube or are dropped. */
void cube_batch_end(struct cube *cb, bool ok);

#endif
