/* Unit tests of alert evaluation against a real store: threshold rules (negative share, CSAT
 * drop, SLA compliance) on hand-computed data, episodes raised once, deliveries queued for
 * enabled receivers only. Surveys and SLA rows, which other modules write, are put in with
 * SQL here as their fixtures. */
#include "unit.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "base/clock.h"
#include "base/xmalloc.h"
#include "insight/alerts.h"
#include "intake/record.h"
#include "store/alertdb.h"

#define DAY (24 * 3600 * 1000LL)

static char dir[64];
static const int64_t NOW = 1795147200000LL; /* 2026-11-20T12:00:00+08:00 */

static int setup(void **state)
{
    struct store *s;
    struct kerr e;
    snprintf(dir, sizeof dir, "/tmp/kesu-alerts-XXXXXX");
    assert_non_null(mkdtemp(dir));
    assert_int_equal(store_open(dir, &s, &e), 0);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    store_close(*state);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd);
}

static int n_records;

/* Inserts one record; returns its id. */
static int64_t add(struct store *s, const char *channel, const char *sentiment, int64_t at)
{
    struct record r;
    struct store_insert_result res;
    struct store_job job = {0};
    struct kerr e;
    char buf[64];
    record_init(&r);
    r.channel = xstrdup(channel);
    snprintf(buf, sizeof buf, "c-%d", ++n_records);
    r.customer_id = xstrdup(buf);
    snprintf(buf, sizeof buf, "第%d件投诉，编号%d", n_records, n_records * 7919);
    r.text = xstrdup(buf);
    r.received_at = at;
    assert_int_equal(record_validate(&r, clock_now_ms(), &e), 0);
    r.sentiment = sentiment ? xstrdup(sentiment) : NULL;
    job.kind = STORE_JOB_INSERT;
    job.actor = "test";
    job.recs = &r;
    job.n = 1;
    job.results = &res;
    assert_int_equal(store_run(s, &job), 0);
    record_release(&r);
    return res.id;
}

/* Inserts n records of one product on one day (local noon, a second apart) in one job. */
static void add_day(struct store *s, int64_t noon, int n)
{
    struct record *r = xcalloc((size_t)n, sizeof *r);
    struct store_insert_result *res = xcalloc((size_t)n, sizeof *res);
    struct store_job job = {0};
    struct kerr e;
    char buf[64];
    for (int i = 0; i < n; i++) {
        record_init(&r[i]);
        r[i].channel = xstrdup("app");
        r[i].product = xstrdup("P1");
        snprintf(buf, sizeof buf, "d-%d", ++n_records);
        r[i].customer_id = xstrdup(buf);
        snprintf(buf, sizeof buf, "第%d件，编号%d", n_records, n_records * 7919);
        r[i].text = xstrdup(buf);
        r[i].received_at = noon + i * 1000;
        assert_int_equal(record_validate(&r[i], clock_now_ms(), &e), 0);
    }
    job.kind = STORE_JOB_INSERT;
    job.actor = "test";
    job.recs = r;
    job.n = (size_t)n;
    job.results = res;
    assert_int_equal(store_run(s, &job), 0);
    for (int i = 0; i < n; i++)
        record_release(&r[i]);
    free(r);
    free(res);
}

static void sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sql(const char *fmt, ...)
{
    char path[128], q[512];
    sqlite3 *db;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q, sizeof q, fmt, ap);
    va_end(ap);
    snprintf(path, sizeof path, "%s/kesu.db", dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    if (sqlite3_exec(db, q, NULL, NULL, NULL) != SQLITE_OK)
        fail_msg("%s: %s", q, sqlite3_errmsg(db));
    sqlite3_close(db);
}

static int64_t rule(struct store *s, const char *json)
{
    cJSON *in = cJSON_Parse(json);
    struct store_alert_rule r;
    struct strbuf sb = STRBUF_INIT;
    struct kerr e;
    assert_int_equal(alert_rule_check(in, NULL, &r, &sb, &e), 0);
    assert_int_equal(store_alert_rule_save(s, &r, "test", &e), 0);
    cJSON_Delete(in);
    strbuf_release(&sb);
    return r.id;
}

struct seen {
    int n;
    double value[8], baseline[8], threshold[8];
    char title[8][256];
};

static int on_alert(void *arg, const struct store_alert *a)
{
    struct seen *v = arg;
    if (v->n < 8) {
        v->value[v->n] = a->value;
        v->baseline[v->n] = a->baseline;
        v->threshold[v->n] = a->threshold;
        snprintf(v->title[v->n], sizeof v->title[0], "%s", a->title);
        v->n++;
    }
    return 0;
}

static int count_delivery(void *arg, const struct store_alert_delivery *d)
{
    assert_string_equal(d->state, "pending");
    assert_string_equal(d->event, "opened");
    (*(int *)arg)++;
    return 0;
}

static void threshold_rules_on_hand_computed_data(void **state)
{
    struct store *s = *state;
    struct alerts_report rep;
    struct kerr e;
    int64_t ids[40];

    /* negative share today: app 12 of 20 negative (60 %), web 4 of 20 (20 %) */
    for (int i = 0; i < 20; i++) {
        add(s, "app", i < 12 ? "negative" : "neutral", NOW - 2 * 3600 * 1000LL - i * 1000);
        add(s, "web", i < 4 ? "negative" : "positive", NOW - 3 * 3600 * 1000LL - i * 1000);
    }
    /* CSAT: the week before 18 of 20 satisfied (90 %), this week 16 of 20 (80 %) */
    for (int i = 0; i < 40; i++)
        ids[i] = add(s, "hotline", NULL, NOW - 20 * DAY + i * 1000);
    for (int i = 0; i < 40; i++) {
        bool recent = i >= 20;
        int64_t at = NOW - (recent ? 3 : 10) * DAY;
        int csat = (recent ? (i - 20) < 16 : i < 18) ? 5 : 2;
        sql("INSERT INTO surveys(feedback_id,channel,sent_at,answered_at,csat) VALUES(%lld,'link',"
            "%lld,%lld,%d)",
            (long long)ids[i], (long long)at, (long long)at, csat);
    }
    /* SLA this week: 20 decided cases, 4 breached (80 %), plus 5 undecided that do not count */
    for (int i = 0; i < 25; i++) {
        int64_t id = add(s, "store", NULL, NOW - 2 * DAY - i * 1000);
        sql("INSERT INTO case_sla(feedback_id,policy,breached,updated_at) VALUES(%lld,'std',%d,0)",
            (long long)id, i < 4 ? 4 : 0);
        if (i >= 4 && i < 20)
            sql("UPDATE feedback SET resolved_at=%lld WHERE id=%lld", (long long)NOW,
                (long long)id);
    }
    rule(s, "{\"name\":\"neg\",\"kind\":\"negative_share\",\"dimensions\":[\"channel\"]}");
    rule(s, "{\"name\":\"csat\",\"kind\":\"csat_drop\"}");
    rule(s, "{\"name\":\"sla\",\"kind\":\"sla_compliance\"}");
    rule(s, "{\"name\":\"csat-10\",\"kind\":\"csat_drop\",\"params\":{\"points\":10.5}}");

    kerr_clear(&e);
    assert_int_equal(alerts_evaluate(s, NOW, &rep, &e), 0);
    assert_int_equal(rep.rules, 4);
    assert_int_equal(rep.opened, 3);
    struct seen v = {0};
    struct store_alert_query q = {0, 0, "open", 0, 0};
    assert_int_equal(store_alerts(s, &q, on_alert, &v, &e), 0);
    assert_int_equal(v.n, 3);
    /* newest first: sla, csat, negative share (app) */
    assert_true(fabs(v.value[0] - 0.8) < 1e-9 && fabs(v.threshold[0] - 0.9) < 1e-9);
    assert_true(fabs(v.value[1] - 0.8) < 1e-9 && fabs(v.baseline[1] - 0.9) < 1e-9);
    assert_true(fabs(v.threshold[1] - 0.85) < 1e-9);
    assert_true(fabs(v.value[2] - 0.6) < 1e-9 && fabs(v.threshold[2] - 0.4) < 1e-9);
    assert_non_null(strstr(v.title[2], "负面情绪占比过高：app"));

    /* again: the same episodes, nothing new; with no receivers nothing was queued */
    assert_int_equal(alerts_evaluate(s, NOW + 60000, &rep, &e), 0);
    assert_int_equal(rep.opened, 0);
    assert_int_equal(rep.fired, 3);
    int due = 0;
    assert_int_equal(store_alert_deliveries(s, 0, NOW + DAY, 0, count_delivery, &due, &e), 0);
    assert_int_equal(due, 0);
}

static void deliveries_go_to_enabled_receivers(void **state)
{
    struct store *s = *state;
    struct store_alert_receiver on = {0,    "on", "webhook", "http://127.0.0.1:9/x", NULL, "{}",
                                      true, 0,    0};
    struct store_alert_receiver off = {0,     "off", "webhook", "http://127.0.0.1:9/y", NULL, "{}",
                                       false, 0,     0};
    struct alerts_report rep;
    struct kerr e;
    kerr_clear(&e);
    assert_int_equal(store_alert_receiver_save(s, &on, "test", &e), 0);
    assert_int_equal(store_alert_receiver_save(s, &off, "test", &e), 0);
    /* 15 negative SMS complaints received a day minus 5 minutes before NOW */
    for (int i = 0; i < 15; i++)
        add(s, "sms", "negative", NOW - DAY + 5 * 60000 - i * 1000);
    rule(s, "{\"name\":\"neg\",\"kind\":\"negative_share\",\"filter\":{\"channel\":\"sms\"}}");
    assert_int_equal(alerts_evaluate(s, NOW, &rep, &e), 0);
    assert_int_equal(rep.opened, 1);
    int due = 0;
    assert_int_equal(store_alert_deliveries(s, 0, NOW + DAY, 0, count_delivery, &due, &e), 0);
    assert_int_equal(due, 1);
    /* 10 minutes later they are out of the window, but an episode is held 15 minutes after
     * it last fired (no flapping); 20 minutes later it resolves, and says so */
    assert_int_equal(alerts_evaluate(s, NOW + 10 * 60000, &rep, &e), 0);
    assert_int_equal(rep.fired, 0);
    assert_int_equal(rep.resolved, 0);
    assert_int_equal(alerts_evaluate(s, NOW + 20 * 60000, &rep, &e), 0);
    assert_int_equal(rep.resolved, 1);
    struct store_alert_query q = {0, 0, "active", 0, 0};
    struct seen v = {0};
    assert_int_equal(store_alerts(s, &q, on_alert, &v, &e), 0);
    assert_int_equal(v.n, 0);
}

/* A spike episode stays open while the counts stay above half-way to the limit, and
 * resolves the day they are back: one episode for one rise. */
static void spike_episode_holds_while_the_rise_lasts(void **state)
{
    struct store *s = *state;
    struct alerts_report rep;
    struct kerr e;
    /* day d's noon is NOW - (84 - d) days; d = 84 is NOW's day */
    for (int d = 0; d < 84; d++)
        add_day(s, NOW - (84 - d) * DAY, 20);
    add_day(s, NOW, 45); /* the spike */
    add_day(s, NOW + DAY, 31);
    add_day(s, NOW + 2 * DAY, 31);
    add_day(s, NOW + 3 * DAY, 20);
    rule(s, "{\"name\":\"spike\",\"kind\":\"spike\",\"dimensions\":[\"product\"]}");
    kerr_clear(&e);
    const int64_t half_past_midnight = 12 * 3600 * 1000LL + 30 * 60000; /* after NOW's noon */
    int opened = 0, fired = 0, resolved = 0;
    for (int d = 1; d <= 4; d++) {
        assert_int_equal(alerts_evaluate(s, NOW + (d - 1) * DAY + half_past_midnight, &rep, &e), 0);
        opened += rep.opened;
        fired += rep.fired;
        resolved += rep.resolved;
        if (d < 4)
            assert_int_equal(rep.fired, 1); /* the spike, then two days held */
    }
    assert_int_equal(opened, 1);
    assert_int_equal(fired, 3);
    assert_int_equal(resolved, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(threshold_rules_on_hand_computed_data, setup, teardown),
        cmocka_unit_test_setup_teardown(deliveries_go_to_enabled_receivers, setup, teardown),
        cmocka_unit_test_setup_teardown(spike_episode_holds_while_the_rise_lasts, setup, teardown),
    };
    clock_set_zone("Asia/Shanghai");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
