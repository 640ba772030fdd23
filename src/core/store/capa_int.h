/*
 * capa_int.h: helpers shared by survey.c and capa.c (SQLite backend only):
 * one-off statements, timeline events, outbox rows, and rows written as JSON.
 */
#ifndef KESU_CAPA_INT_H
#define KESU_CAPA_INT_H

#include "base/jsonw.h"
#include "store/capa.h"
#include "store/sqlite_int.h"

/* Prepares sql on c (NULL and err filled on failure); finalize with sqlite3_finalize. */
sqlite3_stmt *capa_prepare(struct conn *c, const char *sql, struct kerr *err);
/* Binds text (NULL binds NULL) / an int64 (CAPA_ABSENT binds NULL). */
void capa_bind_text(sqlite3_stmt *st, int i, const char *v);
void capa_bind_int(sqlite3_stmt *st, int i, int64_t v);
/* Runs a statement that returns no rows; finalizes it. */
int capa_exec_stmt(struct conn *c, sqlite3_stmt *st, struct kerr *err, const char *what);
/* One int64 from a query with one int64 parameter (a 0 parameter is not bound); dflt if none. */
int capa_query_int(struct conn *c, const char *sql, int64_t p1, int64_t dflt, int64_t *out,
                   struct kerr *err);
/* A timeline event on a case. */
int capa_event(struct conn *c, int64_t feedback_id, int64_t at, const char *actor, const char *kind,
               const char *field, const char *before, const char *after, const char *note,
               struct kerr *err);
/* An outbox message; *id (may be NULL) gets its id. */
int capa_outbox(struct conn *c, const char *kind, int64_t feedback_id, int64_t action_id,
                const char *recipient, const char *subject, const char *body, int64_t now,
                int64_t *id, struct kerr *err);
int capa_outbox_link(struct conn *c, const char *kind, int64_t feedback_id, int64_t action_id,
                     const char *recipient, const char *subject, const char *body, const char *link,
                     int64_t now, int64_t *id, struct kerr *err);

/* survey.c: the survey ops of capa_apply. */
int survey_answer(struct conn *c, struct capa_op *op, const char *actor, int64_t now,
                  struct kerr *err);
int survey_record(struct conn *c, struct capa_op *op, const char *actor, int64_t now,
                  struct kerr *err);
int followup_update(struct conn *c, struct capa_op *op, const char *actor, int64_t now,
                    struct kerr *err);

/*
 * Writes every row of st as a JSON object (column name → value): columns
 * whose names end in "_at" as RFC 3339 times; whys, evidence, tags, answers
 * and result (JSON columns) as stored. Finalizes st.
 */
int capa_rows_json(struct conn *c, sqlite3_stmt *st, struct jsonw *w, struct kerr *err);
/* The same for a single row: KERR_NOTFOUND (naming what) when there is none. */
int capa_row_json(struct conn *c, sqlite3_stmt *st, struct jsonw *w, const char *what,
                  struct kerr *err);

#endif
