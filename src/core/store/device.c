/*
 * device.c: device fault events and the rule that folds repeated faults of
 * one device into one complaint; public form receipts.
 *
 * On each event, in the writer's transaction: a re-delivered event (same
 * device and event id) returns its first outcome; otherwise the event is
 * stored and, when the device already has an open complaint, attached to it
 * (with a timeline entry); else when the device's unattached faults within
 * the window reach the threshold, a complaint (channel iot) is opened and
 * they are all attached to it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/strbuf.h"
#include "base/xmalloc.h"
#include "store/sqlite_int.h"
#include "base/banned.h"

static int step_done(struct conn *c, sqlite3_stmt *st, const char *what, struct kerr *err)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : db_error(c->db, err, what);
}

static int add_timeline(struct conn *c, int64_t feedback_id, int64_t at, const char *actor,
                        const struct store_device_event *ev, struct kerr *err)
{
    sqlite3_stmt *st = conn_stmt(c, ST_EVENT);
    char note[512];
    if (!st)
        return db_error(c->db, err, "prepare event");
    snprintf(note, sizeof note, "%s %s%s%s", ev->device_id, ev->fault_code, ev->message ? ": " : "",
             ev->message ? ev->message : "");
    sqlite3_bind_int64(st, 1, feedback_id);
    sqlite3_bind_int64(st, 2, at);
    sqlite3_bind_text(st, 3, actor ? actor : "system", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, "device_event", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, note, -1, SQLITE_TRANSIENT);
    return step_done(c, st, "insert device timeline event", err);
}

/* Opens the complaint for the device's faults in (from, to]. */
static int open_case(struct conn *c, const struct store_device_event *ev,
                     const struct store_device_rule *rule, const char *actor, int count,
                     const char *codes, int64_t event_id, struct store_device_result *res,
                     struct kerr *err)
{
    struct record r;
    struct store_insert_result ins = {0};
    struct strbuf sb = STRBUF_INIT;
    sqlite3_stmt *st;
    int rc;

    record_init(&r);
    r.channel = xstrdup("iot");
    strbuf_addf(&sb, "device:%s:%" PRId64, ev->device_id, event_id);
    r.external_id = strbuf_detach(&sb, NULL);
    strbuf_addf(&sb, "设备 %s%s%s%s 在 %" PRId64 " 分钟内上报故障 %d 次（故障码：%s）",
                ev->device_id, ev->model ? "（型号 " : "", ev->model ? ev->model : "",
                ev->model ? "）" : "", rule->window_ms / 60000, count,
                codes ? codes : ev->fault_code);
    if (ev->message)
        strbuf_addf(&sb, "。最近一次：%s", ev->message);
    r.text = strbuf_detach(&sb, NULL);
    strbuf_addf(&sb, "设备故障：%s", ev->device_id);
    r.title = strbuf_detach(&sb, NULL);
    if (ev->model)
        r.product = xstrdup(ev->model);
    strbuf_addf(&sb, "{\"device_id\":");
    json_escape(&sb, ev->device_id, strlen(ev->device_id));
    strbuf_addf(&sb, ",\"fault_count\":%d}", count);
    r.extra = strbuf_detach(&sb, NULL);
    r.received_at = ev->at;
    r.recorded_at = clock_now_ms();
    r.updated_at = r.recorded_at;
    r.status = xstrdup("received");
    rc = feedback_insert_one(c, &r, actor, &ins, err);
    if (rc == 0 && ins.created)
        rc = loop_on_insert(c, &r, actor, clock_now_ms(), err); /* routed like any new case */
    record_release(&r);
    if (rc < 0)
        return rc;
    res->feedback_id = ins.id;
    res->opened = ins.created;
    if (!(st = conn_stmt(c, ST_DEV_ATTACH_WINDOW)))
        return db_error(c->db, err, "prepare attach");
    sqlite3_bind_int64(st, 1, ins.id);
    sqlite3_bind_text(st, 2, ev->device_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, ev->at - rule->window_ms);
    sqlite3_bind_int64(st, 4, ev->at);
    if ((rc = step_done(c, st, "attach device events", err)) < 0)
        return rc;
    if (!(st = conn_stmt(c, ST_COUNT_ADD)))
        return db_error(c->db, err, "prepare counts");
    sqlite3_bind_text(st, 1, "iot", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, 1);
    return step_done(c, st, "update counts", err);
}

int device_event_apply(struct conn *c, const struct store_device_event *ev,
                       const struct store_device_rule *rule, const char *actor, int64_t now,
                       struct store_device_result *res, struct kerr *err)
{
    sqlite3_stmt *st;
    char key[600];
    int rc;

    memset(res, 0, sizeof(*res));
    if (ev->event_id) {
        snprintf(key, sizeof key, "%s/%s", ev->device_id, ev->event_id);
        if (!(st = conn_stmt(c, ST_DEV_FIND)))
            return db_error(c->db, err, "prepare device find");
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            res->event_id = sqlite3_column_int64(st, 0);
            res->feedback_id = sqlite3_column_int64(st, 1);
            res->duplicate = true;
            sqlite3_reset(st);
            return 0;
        }
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return db_error(c->db, err, "find device event");
    }
    if (!(st = conn_stmt(c, ST_DEV_INSERT)))
        return db_error(c->db, err, "prepare device insert");
    if (ev->event_id)
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, ev->device_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, ev->model, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, ev->fault_code, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, ev->message, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, ev->at);
    sqlite3_bind_int64(st, 7, now);
    if ((rc = step_done(c, st, "insert device event", err)) < 0)
        return rc;
    res->event_id = sqlite3_last_insert_rowid(c->db);

    /* an open complaint for this device takes the event */
    if (!(st = conn_stmt(c, ST_DEV_OPEN_CASE)))
        return db_error(c->db, err, "prepare open case");
    sqlite3_bind_text(st, 1, ev->device_id, -1, SQLITE_STATIC);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW)
        res->feedback_id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_error(c->db, err, "find open case");
    if (res->feedback_id) {
        if (!(st = conn_stmt(c, ST_DEV_ATTACH)))
            return db_error(c->db, err, "prepare attach");
        sqlite3_bind_int64(st, 1, res->feedback_id);
        sqlite3_bind_int64(st, 2, res->event_id);
        if ((rc = step_done(c, st, "attach device event", err)) < 0)
            return rc;
        return add_timeline(c, res->feedback_id, now, actor, ev, err);
    }

    /* else count the unattached faults within the window */
    if (!(st = conn_stmt(c, ST_DEV_WINDOW)))
        return db_error(c->db, err, "prepare window");
    sqlite3_bind_text(st, 1, ev->device_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, ev->at - rule->window_ms);
    sqlite3_bind_int64(st, 3, ev->at);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return db_error(c->db, err, "count device events");
    }
    res->in_window = sqlite3_column_int(st, 0);
    char *codes =
        sqlite3_column_text(st, 1) ? xstrdup((const char *)sqlite3_column_text(st, 1)) : NULL;
    sqlite3_reset(st);
    rc = 0;
    if (res->in_window >= rule->threshold)
        rc = open_case(c, ev, rule, actor, res->in_window, codes, res->event_id, res, err);
    free(codes);
    return rc;
}

int receipt_insert(struct conn *c, const char *receipt, const char *form, int64_t feedback_id,
                   struct kerr *err)
{
    sqlite3_stmt *st = conn_stmt(c, ST_RECEIPT_INSERT);
    if (!st)
        return db_error(c->db, err, "prepare receipt");
    sqlite3_bind_text(st, 1, receipt, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, feedback_id);
    sqlite3_bind_text(st, 3, form, -1, SQLITE_STATIC);
    return step_done(c, st, "insert receipt", err);
}

int store_receipt_status(struct store *s, const char *receipt, struct store_receipt_status *out,
                         struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    sqlite3_stmt *st;
    int rc;
    if (!c)
        return KERR_IO;
    if (!(st = conn_stmt(c, ST_RECEIPT_GET))) {
        rc = db_error(c->db, err, "prepare receipt");
        goto out;
    }
    sqlite3_bind_text(st, 1, receipt, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof(*out));
        out->feedback_id = sqlite3_column_int64(st, 0);
        snprintf(out->status, sizeof out->status, "%s", (const char *)sqlite3_column_text(st, 1));
        out->received_at = sqlite3_column_int64(st, 2);
        out->updated_at = sqlite3_column_int64(st, 3);
        out->resolved_at = sqlite3_column_int64(st, 4);
        out->closed_at = sqlite3_column_int64(st, 5);
        snprintf(out->form, sizeof out->form, "%s", (const char *)sqlite3_column_text(st, 6));
        rc = 0;
    } else if (rc == SQLITE_DONE) {
        rc = kerr_set(err, KERR_NOTFOUND, "not_found", "receipt", "no such receipt");
    } else {
        rc = db_error(c->db, err, "read receipt");
    }
    sqlite3_reset(st);
out:
    store_reader_put(s, c);
    return rc;
}

int store_device_events(struct store *s, const char *device_id, int limit, store_device_event_cb cb,
                        void *arg, struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    sqlite3_stmt *st;
    int rc;
    if (!c)
        return KERR_IO;
    if (!(st = conn_stmt(c, ST_DEV_LIST))) {
        rc = db_error(c->db, err, "prepare device events");
        goto out;
    }
    sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_device_event ev = {0};
        const char *key = (const char *)sqlite3_column_text(st, 1);
        ev.device_id = (const char *)sqlite3_column_text(st, 2);
        ev.event_id = key ? key + strlen(ev.device_id) + 1 : NULL;
        ev.model = (const char *)sqlite3_column_text(st, 3);
        ev.fault_code = (const char *)sqlite3_column_text(st, 4);
        ev.message = (const char *)sqlite3_column_text(st, 5);
        ev.at = sqlite3_column_int64(st, 6);
        if (cb(arg, sqlite3_column_int64(st, 0), &ev, sqlite3_column_int64(st, 7)))
            break;
    }
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(c->db, err, "list device events");
    sqlite3_reset(st);
out:
    store_reader_put(s, c);
    return rc;
}

int store_receipt_of(struct store *s, int64_t feedback_id, char *out, size_t n, struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    sqlite3_stmt *st;
    int rc;
    if (!c)
        return KERR_IO;
    if (!(st = conn_stmt(c, ST_RECEIPT_OF))) {
        rc = db_error(c->db, err, "prepare receipt");
        goto out;
    }
    sqlite3_bind_int64(st, 1, feedback_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
        rc = 0;
    } else if (rc == SQLITE_DONE) {
        rc = kerr_set(err, KERR_NOTFOUND, "not_found", "receipt", "no receipt for this record");
    } else {
        rc = db_error(c->db, err, "read receipt");
    }
    sqlite3_reset(st);
out:
    store_reader_put(s, c);
    return rc;
}
