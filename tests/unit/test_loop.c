/*
 * Unit tests for case handling (src/core/loop and its store side): every
 * pair of statuses against an independent list of the legal transitions,
 * the transition commit in the store (stamps, timeline, audit, hooks),
 * routing rules (each condition, first and all modes, bad rules), business
 * calendars (nights, weekends, public holidays, adjusted working days),
 * the SLA clock with pause and resume, and the scheduler across a restart.
 */
#include "unit.h"

#include <sqlite3.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/embedded.h"
#include "base/xmalloc.h"
#include "intake/record.h"
#include "loop/calendar.h"
#include "loop/lifecycle.h"
#include "loop/routing.h"
#include "loop/sla.h"
#include "store/db.h"
#include "store/loop.h"

/* ---- the lifecycle ------------------------------------------------------------------ */

/* The legal transitions, written out apart from lifecycle.c: ISO 10002 / GB/T 19012 steps. */
static const char *const legal[][2] = {
    {"received", "acknowledged"},
    {"acknowledged", "assessed"},
    {"assessed", "assigned"},
    {"assessed", "investigating"},
    {"assigned", "investigating"},
    {"assigned", "assessed"},
    {"investigating", "pending_customer"},
    {"investigating", "pending_third_party"},
    {"investigating", "responded"},
    {"investigating", "assigned"},
    {"pending_customer", "investigating"},
    {"pending_customer", "responded"},
    {"pending_third_party", "investigating"},
    {"pending_third_party", "responded"},
    {"responded", "closed"},
    {"responded", "closed_unaccepted"},
    {"responded", "investigating"},
    {"responded", "pending_customer"},
    {"closed", "reopened"},
    {"closed_unaccepted", "reopened"},
    {"reopened", "assessed"},
    {"reopened", "assigned"},
    {"reopened", "investigating"},
};

static bool in_legal(const char *from, const char *to)
{
    for (size_t i = 0; i < sizeof legal / sizeof legal[0]; i++)
        if (strcmp(legal[i][0], from) == 0 && strcmp(legal[i][1], to) == 0)
            return true;
    return false;
}

static void every_pair_of_statuses(void **state)
{
    size_t nlegal = 0;
    (void)state;
    for (const char *const *f = record_statuses; *f; f++) {
        const char *next[16];
        size_t n = lifecycle_next(*f, next, 16), expect = 0;
        for (const char *const *t = record_statuses; *t; t++) {
            bool want = in_legal(*f, *t);
            if (lifecycle_allowed(*f, *t) != want)
                fail_msg("%s -> %s: the table says %s", *f, *t, want ? "no" : "yes");
            expect += want;
            nlegal += want;
        }
        assert_int_equal(n, expect);
        for (size_t i = 0; i < n; i++)
            assert_true(in_legal(*f, next[i]));
    }
    assert_int_equal(nlegal, sizeof legal / sizeof legal[0]);
    assert_int_equal(lifecycle_nsteps, nlegal);
    assert_false(lifecycle_allowed("received", "no_such_status"));
    assert_false(lifecycle_allowed(NULL, "closed"));
    assert_false(lifecycle_known("open"));
    assert_true(lifecycle_pauses("pending_customer") && lifecycle_pauses("pending_third_party"));
    assert_false(lifecycle_pauses("investigating"));
    assert_true(lifecycle_needs_recourse("closed_unaccepted"));
    assert_false(lifecycle_needs_recourse("closed"));
    /* every status is reachable from received */
    for (const char *const *t = record_statuses; *t; t++) {
        bool reach = strcmp(*t, "received") == 0;
        for (size_t i = 0; i < lifecycle_nsteps; i++)
            reach |= strcmp(lifecycle_table[i].to, *t) == 0;
        if (!reach)
            fail_msg("%s cannot be reached", *t);
    }
}

static void stamps_per_status(void **state)
{
    static const struct {
        const char *to, *first, *again, *again2;
    } cases[] = {
        {"acknowledged", "acknowledged_at", NULL, NULL},
        {"assigned", "assigned_at", NULL, NULL},
        {"responded", "responded_at", NULL, NULL},
        {"closed", NULL, "closed_at", "resolved_at"},
        {"closed_unaccepted", NULL, "closed_at", "resolved_at"},
        {"reopened", NULL, "reopened_at", NULL},
        {"investigating", NULL, NULL, NULL},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct lifecycle_stamps s = lifecycle_stamps_of(cases[i].to);
#define SAME(a, b) ((a) == NULL ? (b) == NULL : ((b) != NULL && strcmp((a), (b)) == 0))
        assert_true(SAME(cases[i].first, s.first));
        assert_true(SAME(cases[i].again, s.again));
        assert_true(SAME(cases[i].again2, s.again2));
    }
}

/* ---- business calendars --------------------------------------------------------------- */

static struct calendar *cn2026(void)
{
    const struct embedded_file *f = embedded_find("docs/calendars/cn-2026.json");
    struct calendar *cal;
    struct kerr e;
    assert_non_null(f);
    assert_int_equal(calendar_parse(f->data, f->len, &cal, &e), 0);
    return cal;
}

static int64_t at(const char *rfc3339)
{
    int64_t ms;
    assert_int_equal(clock_parse(rfc3339, strlen(rfc3339), &ms), 0);
    return ms / 1000;
}

static void calendar_days(void **state)
{
    struct calendar *cal = cn2026();
    static const struct {
        const char *day;
        bool worked;
    } days[] = {
        {"2026-01-01T12:00:00+08:00", false}, /* 元旦, a Thursday */
        {"2026-01-04T12:00:00+08:00", true},  /* Sunday, adjusted working day */
        {"2026-01-05T12:00:00+08:00", true},  /* an ordinary Monday */
        {"2026-01-10T12:00:00+08:00", false}, /* an ordinary Saturday */
        {"2026-02-14T12:00:00+08:00", true},  /* Saturday before the Spring Festival, worked */
        {"2026-02-16T12:00:00+08:00", false}, /* Spring Festival, a Monday */
        {"2026-02-23T12:00:00+08:00", false}, /* last day of the Spring Festival */
        {"2026-02-24T12:00:00+08:00", true},
        {"2026-02-28T12:00:00+08:00", true},  /* Saturday, worked */
        {"2026-05-09T12:00:00+08:00", true},  /* Saturday, worked */
        {"2026-09-20T12:00:00+08:00", true},  /* Sunday, worked */
        {"2026-10-07T12:00:00+08:00", false}, /* National Day holidays */
        {"2026-10-10T12:00:00+08:00", true},  /* Saturday, worked */
        {"2026-12-05T12:00:00+08:00", false}, /* an ordinary Saturday */
    };
    (void)state;
    for (size_t i = 0; i < sizeof days / sizeof days[0]; i++)
        if (calendar_is_workday(cal, calendar_day(cal, at(days[i].day))) != days[i].worked)
            fail_msg("%s: expected %s", days[i].day, days[i].worked ? "worked" : "off");
    /* 16:00 UTC on a Sunday is already Monday in Beijing */
    assert_true(calendar_is_workday(cal, calendar_day(cal, at("2026-01-11T16:30:00Z"))));
    calendar_free(cal);
}

static void calendar_arithmetic(void **state)
{
    struct calendar *cal = cn2026();
    static const struct {
        const char *start;
        int64_t secs;
        const char *due;
        const char *why;
    } cases[] = {
        {"2026-01-05T10:00:00+08:00", 3600, "2026-01-05T11:00:00+08:00", "within a morning"},
        {"2026-01-05T11:30:00+08:00", 3600, "2026-01-05T13:30:00+08:00", "over lunch"},
        {"2026-01-05T17:00:00+08:00", 2 * 3600, "2026-01-06T10:00:00+08:00", "over a night"},
        {"2026-01-05T20:00:00+08:00", 3600, "2026-01-06T10:00:00+08:00", "started at night"},
        {"2026-01-05T06:00:00+08:00", 3600, "2026-01-05T10:00:00+08:00", "started early"},
        {"2026-01-09T17:00:00+08:00", 2 * 3600, "2026-01-12T10:00:00+08:00", "over a weekend"},
        {"2026-01-10T15:00:00+08:00", 30 * 60, "2026-01-12T09:30:00+08:00", "started Saturday"},
        {"2025-12-31T17:00:00+08:00", 2 * 3600, "2026-01-04T10:00:00+08:00",
         "over 元旦 to the adjusted Sunday"},
        {"2026-02-13T17:00:00+08:00", 2 * 3600, "2026-02-14T10:00:00+08:00",
         "to the adjusted Saturday"},
        {"2026-02-14T17:00:00+08:00", 2 * 3600, "2026-02-24T10:00:00+08:00",
         "over the Spring Festival"},
        {"2026-01-05T09:00:00+08:00", 5 * 8 * 3600, "2026-01-09T18:00:00+08:00", "a working week"},
        {"2026-01-05T12:00:00+08:00", 0, "2026-01-05T12:00:00+08:00", "nothing to add"},
        {"2026-01-05T18:00:00+08:00", 1, "2026-01-06T09:00:01+08:00", "one second after"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t s = at(cases[i].start), d = calendar_add(cal, s, cases[i].secs);
        if (d != at(cases[i].due)) {
            char got[CLOCK_FMT_MAX];
            fail_msg("%s: %s + %llds = %s, expected %s", cases[i].why, cases[i].start,
                     (long long)cases[i].secs, clock_format(d * 1000, got), cases[i].due);
        }
        /* the inverse: the working time between start and due is what was added */
        if (cases[i].secs > 0)
            assert_int_equal(calendar_between(cal, s, d), cases[i].secs);
    }
    assert_int_equal(
        calendar_between(cal, at("2026-02-13T09:00:00+08:00"), at("2026-02-25T09:00:00+08:00")),
        3 * 8 * 3600); /* Fri 13, Sat 14 (worked), Tue 24 */
    assert_int_equal(calendar_between(cal, 100, 50), 0);
    calendar_free(cal);
}

static void calendar_errors(void **state)
{
    static const struct {
        const char *json, *field;
    } bad[] = {
        {"[]", ""},
        {"{\"utc_offset\":\"+08:00\",\"weekdays\":[1],\"hours\":[[\"09:00\",\"18:00\"]]}", "name"},
        {"{\"name\":\"x\",\"utc_offset\":\"Asia/Shanghai\",\"weekdays\":[1],"
         "\"hours\":[[\"09:00\",\"18:00\"]]}",
         "utc_offset"},
        {"{\"name\":\"x\",\"utc_offset\":\"+08:00\",\"weekdays\":[8],"
         "\"hours\":[[\"09:00\",\"18:00\"]]}",
         "weekdays"},
        {"{\"name\":\"x\",\"utc_offset\":\"+08:00\",\"weekdays\":[1],"
         "\"hours\":[[\"18:00\",\"09:00\"]]}",
         "hours"},
        {"{\"name\":\"x\",\"utc_offset\":\"+08:00\",\"weekdays\":[1],"
         "\"hours\":[[\"13:00\",\"18:00\"],[\"09:00\",\"12:00\"]]}",
         "hours"},
        {"{\"name\":\"x\",\"utc_offset\":\"+08:00\",\"weekdays\":[1],"
         "\"hours\":[[\"09:00\",\"18:00\"]],\"holidays\":[\"2026-02-30\"]}",
         "holidays"},
        {"{\"name\":\"x\",\"utc_offset\":\"+08:00\",\"weekdays\":[1],"
         "\"hours\":[[\"09:00\",\"18:00\"]],\"workdays\":\"2026-01-04\"}",
         "workdays"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct calendar *cal = (struct calendar *)1;
        struct kerr e;
        kerr_clear(&e);
        assert_int_equal(calendar_parse(bad[i].json, strlen(bad[i].json), &cal, &e), KERR_INVALID);
        assert_null(cal);
        if (strcmp(e.field, bad[i].field) != 0)
            fail_msg("case %zu: field \"%s\", expected \"%s\"", i, e.field, bad[i].field);
    }
    /* no working time at all: a due time that never comes */
    struct calendar *none;
    struct kerr e;
    const char *j = "{\"name\":\"none\",\"utc_offset\":\"Z\",\"weekdays\":[],"
                    "\"hours\":[[\"09:00\",\"10:00\"]]}";
    assert_int_equal(calendar_parse(j, strlen(j), &none, &e), 0);
    assert_true(calendar_add(none, 0, 60) == CALENDAR_NEVER);
    calendar_free(none);
}

/* ---- the SLA clock -------------------------------------------------------------------- */

static struct sla_policy policy(const char *json)
{
    struct sla_policy p;
    struct kerr e;
    if (sla_policy_parse(json, strlen(json), &p, &e) < 0)
        fail_msg("policy %s: %s (%s)", json, e.message, e.field);
    return p;
}

static void sla_clock_pause_resume(void **state)
{
    struct calendar *cal = cn2026();
    struct sla_policy p = policy("{\"name\":\"std\",\"calendar\":\"cn-2026\",\"ack\":\"4h\","
                                 "\"response\":\"1d\",\"resolve\":\"5d\",\"warn_share\":0.5}");
    struct sla_clock ck;
    struct sla_eval ev;
    int64_t met[3] = {0, 0, 0};
    (void)state;
    assert_int_equal(p.target[0], 4 * 3600);
    assert_int_equal(p.target[1], 8 * 3600);
    assert_int_equal(p.target[2], 40 * 3600);
    memset(&ck, 0, sizeof ck);
    ck.start = at("2026-01-09T16:00:00+08:00"); /* a Friday afternoon */
    sla_compute_due(&p, cal, &ck);
    assert_int_equal(ck.due[0], at("2026-01-12T11:00:00+08:00"));
    assert_int_equal(sla_warn_at(&p, cal, &ck, 0), at("2026-01-09T18:00:00+08:00"));
    /* Friday 17:00: nothing yet; next look at the warning */
    sla_evaluate(&p, cal, &ck, met, at("2026-01-09T17:00:00+08:00"), &ev);
    assert_int_equal(ev.warn | ev.breach, 0);
    assert_int_equal(ck.next_check, at("2026-01-09T18:00:00+08:00"));
    /* Saturday: the acknowledgement warning, once */
    sla_evaluate(&p, cal, &ck, met, at("2026-01-10T10:00:00+08:00"), &ev);
    assert_int_equal(ev.warn, SLA_ACK);
    sla_evaluate(&p, cal, &ck, met, at("2026-01-10T10:00:00+08:00"), &ev);
    assert_int_equal(ev.warn, 0);
    /* waiting for the customer from Monday 10:00 to Tuesday 10:00: 8 working hours paused */
    sla_pause(&ck, at("2026-01-12T10:00:00+08:00"));
    sla_evaluate(&p, cal, &ck, met, at("2026-01-12T12:00:00+08:00"), &ev);
    assert_int_equal(ev.breach, 0); /* paused: no breach although 11:00 has passed */
    assert_int_equal(ck.next_check, 0);
    sla_resume(&p, cal, &ck, at("2026-01-13T10:00:00+08:00"));
    assert_int_equal(ck.paused_secs, 8 * 3600);
    assert_int_equal(ck.due[0], at("2026-01-13T11:00:00+08:00"));
    /* acknowledged at 10:30: met; then the response target breaches and is reported once */
    met[0] = at("2026-01-13T10:30:00+08:00");
    sla_evaluate(&p, cal, &ck, met, at("2026-01-14T12:00:00+08:00"), &ev);
    assert_int_equal(ck.met, SLA_ACK);
    assert_int_equal(ev.breach, SLA_RESPONSE);
    assert_int_equal(ev.breach_met_late, 0);
    sla_evaluate(&p, cal, &ck, met, at("2026-01-14T12:00:00+08:00"), &ev);
    assert_int_equal(ev.breach, 0);
    /* met after its due time, seen only later: a breach, met late (no escalation) */
    met[2] = at("2026-03-02T10:00:00+08:00");
    sla_evaluate(&p, cal, &ck, met, at("2026-03-03T10:00:00+08:00"), &ev);
    assert_int_equal(ev.breach, SLA_RESOLVE);
    assert_int_equal(ev.breach_met_late, SLA_RESOLVE);
    assert_int_equal(ck.next_check, 0);
    calendar_free(cal);
}

static void sla_policies_pick_and_errors(void **state)
{
    struct sla_policy v[3] = {
        policy("{\"name\":\"urgent\",\"priority\":\"p1\",\"ack\":60}"),
        policy("{\"name\":\"vip\",\"segment\":\"vip\",\"ack\":\"1h\"}"),
        policy("{\"name\":\"std\",\"ack\":\"4h\"}"),
    };
    struct record r;
    struct kerr e;
    struct sla_policy p;
    static const char *const bad[][2] = {
        {"{\"ack\":60}", "name"},
        {"{\"name\":\"x\"}", "ack"},
        {"{\"name\":\"x\",\"ack\":\"4 hours\"}", "ack"},
        {"{\"name\":\"x\",\"resolve\":-5}", "resolve"},
        {"{\"name\":\"x\",\"ack\":60,\"warn_share\":1.5}", "warn_share"},
    };
    (void)state;
    record_init(&r);
    assert_string_equal(sla_policy_pick(v, 3, &r)->name, "std");
    r.customer_segment = xstrdup("vip");
    assert_string_equal(sla_policy_pick(v, 3, &r)->name, "vip");
    r.priority = xstrdup("p1");
    assert_string_equal(sla_policy_pick(v, 3, &r)->name, "urgent");
    assert_null(sla_policy_pick(v, 0, &r));
    record_release(&r);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kerr_clear(&e);
        assert_int_equal(sla_policy_parse(bad[i][0], strlen(bad[i][0]), &p, &e), KERR_INVALID);
        assert_string_equal(e.field, bad[i][1]);
    }
    assert_string_equal(sla_raise_priority("p4"), "p3");
    assert_string_equal(sla_raise_priority("p2"), "p1");
    assert_string_equal(sla_raise_priority("p1"), "p1");
    assert_string_equal(sla_raise_priority(NULL), "p2");
}

/* ---- routing rules -------------------------------------------------------------------- */

static struct routing_rule rule(int64_t id, const char *json)
{
    struct routing_rule r;
    struct kerr e;
    if (routing_rule_parse(json, strlen(json), &r, &e) < 0)
        fail_msg("rule %s: %s (%s)", json, e.message, e.field);
    r.id = id;
    return r;
}

static void routing_conditions(void **state)
{
    struct routing_rule r =
        rule(1, "{\"name\":\"r\",\"when\":{\"channel\":[\"web\",\"app\"],\"category\":[\"物流\"],"
                "\"product\":[\"P1\"],\"region\":[\"华东\"],\"severity\":[\"high\"],"
                "\"customer_segment\":[\"vip\"],\"keywords\":[\"快递\",\"包裹\"]},"
                "\"then\":{\"team\":\"logistics\"}}");
    struct record rec;
    static const char *const fields[] = {"channel",  "category_l2",      "product", "region",
                                         "severity", "customer_segment", "text"};
    static const char *const good[] = {"app", "物流", "P1", "华东", "high", "vip", "包裹丢了"};
    static const char *const badv[] = {"email", "质量", "P2", "华北", "low", "普通", "态度差"};
    (void)state;
    /* all conditions hold; then each one failing alone makes the rule not match */
    for (int miss = -1; miss < 7; miss++) {
        record_init(&rec);
        for (int k = 0; k < 7; k++)
            *record_str(&rec, record_field_by_name(fields[k])) =
                xstrdup(k == miss ? badv[k] : good[k]);
        if (routing_rule_matches(&r, &rec) != (miss < 0))
            fail_msg("with %s wrong the rule %s", miss < 0 ? "nothing" : fields[miss],
                     miss < 0 ? "does not match" : "still matches");
        record_release(&rec);
    }
    /* an absent attribute fails a condition on it; keywords also look at the title */
    record_init(&rec);
    rec.channel = xstrdup("web");
    rec.category_l1 = xstrdup("物流");
    rec.product = xstrdup("P1");
    rec.region = xstrdup("华东");
    rec.severity = xstrdup("high");
    rec.text = xstrdup("没到");
    rec.title = xstrdup("快递");
    assert_false(routing_rule_matches(&r, &rec));
    rec.customer_segment = xstrdup("vip");
    assert_true(routing_rule_matches(&r, &rec));
    r.enabled = false;
    assert_false(routing_rule_matches(&r, &rec));
    record_release(&rec);
    routing_rule_release(&r);
}

static void routing_modes(void **state)
{
    struct routing_rule rules[3] = {
        rule(10, "{\"name\":\"a\",\"when\":{\"keywords\":[\"快递\"]},"
                 "\"then\":{\"team\":\"logistics\",\"tags\":[\"物流\"]}}"),
        rule(20, "{\"name\":\"b\",\"when\":{\"customer_segment\":[\"vip\"]},"
                 "\"then\":{\"priority\":\"p2\",\"sla_policy\":\"vip\",\"tags\":[\"大客户\","
                 "\"物流\"]}}"),
        rule(30, "{\"name\":\"c\",\"then\":{\"team\":\"kefu\"}}"),
    };
    struct record rec;
    struct routing_outcome o;
    (void)state;
    record_init(&rec);
    rec.channel = xstrdup("web");
    rec.text = xstrdup("快递丢了");
    rec.customer_segment = xstrdup("vip");
    routing_apply(rules, 3, ROUTING_FIRST, &rec, &o);
    assert_string_equal(o.team, "logistics");
    assert_null(o.priority);
    assert_int_equal(o.ntags, 1);
    assert_int_equal(o.nmatched, 1);
    assert_int_equal(o.matched[0], 10);
    routing_apply(rules, 3, ROUTING_ALL, &rec, &o);
    assert_string_equal(o.team, "kefu"); /* the later rule overrides */
    assert_string_equal(o.priority, "p2");
    assert_string_equal(o.sla_policy, "vip");
    assert_int_equal(o.ntags, 2); /* 物流 once */
    assert_int_equal(o.nmatched, 3);
    free(rec.text);
    rec.text = xstrdup("态度差");
    free(rec.customer_segment);
    rec.customer_segment = NULL;
    routing_apply(rules, 3, ROUTING_FIRST, &rec, &o);
    assert_string_equal(o.team, "kefu");
    routing_apply(rules, 2, ROUTING_FIRST, &rec, &o);
    assert_null(o.team);
    assert_int_equal(o.nmatched, 0);
    record_release(&rec);
    for (int i = 0; i < 3; i++)
        routing_rule_release(&rules[i]);
}

static void routing_rule_errors(void **state)
{
    static const char *const bad[][2] = {
        {"[1]", ""},
        {"{\"then\":{\"team\":\"a\"}}", "name"},
        {"{\"name\":\"x\"}", "then"},
        {"{\"name\":\"x\",\"then\":{}}", "then"},
        {"{\"name\":\"x\",\"when\":{\"colour\":[\"red\"]},\"then\":{\"team\":\"a\"}}",
         "when.colour"},
        {"{\"name\":\"x\",\"when\":{\"channel\":\"web\"},\"then\":{\"team\":\"a\"}}",
         "when.channel"},
        {"{\"name\":\"x\",\"when\":{\"channel\":[\"\"]},\"then\":{\"team\":\"a\"}}",
         "when.channel"},
        {"{\"name\":\"x\",\"then\":{\"priority\":\"urgent\"}}", "then.priority"},
        {"{\"name\":\"x\",\"then\":{\"tags\":[1]}}", "then.tags"},
        {"{\"name\":\"x\",\"enabled\":\"yes\",\"then\":{\"team\":\"a\"}}", "enabled"},
        /* a condition given twice: refused, the first list not leaked (found by fuzz_rules) */
        {"{\"name\":\"x\",\"when\":{\"product\":[\"X1\"],\"product\":[\"X2\"]},"
         "\"then\":{\"team\":\"a\"}}",
         "when.product"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct routing_rule r;
        struct kerr e;
        kerr_clear(&e);
        assert_true(routing_rule_parse(bad[i][0], strlen(bad[i][0]), &r, &e) < 0);
        if (strcmp(e.field, bad[i][1]) != 0)
            fail_msg("%s: field \"%s\", expected \"%s\"", bad[i][0], e.field, bad[i][1]);
    }
}

/* ---- in the store ----------------------------------------------------------------------- */

static char dir[64];

static int setup(void **state)
{
    struct store *s;
    struct kerr e;
    snprintf(dir, sizeof dir, "/tmp/kesu-loop-XXXXXX");
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

static int64_t add_record(struct store *s, const char *text, const char *segment)
{
    struct record r;
    struct store_insert_result res;
    struct store_job job;
    struct kerr e;
    memset(&job, 0, sizeof job);
    record_init(&r);
    r.channel = xstrdup("web");
    r.text = xstrdup(text);
    r.customer_segment = segment ? xstrdup(segment) : NULL;
    assert_int_equal(record_validate(&r, clock_now_ms(), &e), 0);
    job.kind = STORE_JOB_INSERT;
    job.actor = "test";
    job.recs = &r;
    job.n = 1;
    job.results = &res;
    assert_int_equal(store_run(s, &job), 0);
    record_release(&r);
    return res.id;
}

static int op(struct store *s, struct store_case_op *o)
{
    struct kerr e;
    return store_case_run(s, o, "user:tester", &e);
}

static int go(struct store *s, int64_t id, const char *to, const char *note)
{
    struct store_case_op o = {.kind = CASE_OP_TRANSITION, .id = id, .to = to, .note = note};
    return op(s, &o);
}

struct kinds {
    char list[1024];
};

static int collect_kinds(void *arg, const struct store_event *ev)
{
    struct kinds *k = arg;
    size_t n = strlen(k->list);
    snprintf(k->list + n, sizeof k->list - n, "%s%s", n ? "," : "", ev->kind);
    return 0;
}

static void store_transitions(void **state)
{
    struct store *s = *state;
    int64_t id = add_record(s, "空调坏了", NULL);
    struct record r;
    struct kerr e;
    struct kinds k = {""};
    struct store_case_op o = {.kind = CASE_OP_TRANSITION, .to = "closed"};
    static const char *const walk[] = {"acknowledged",  "assessed",      "assigned",
                                       "investigating", "responded",     "closed",
                                       "reopened",      "investigating", "responded"};

    o.id = id;
    assert_int_equal(op(s, &o), KERR_CONFLICT);
    assert_string_equal(o.from, "received");
    for (size_t i = 0; i < sizeof walk / sizeof walk[0]; i++)
        assert_int_equal(go(s, id, walk[i], NULL), 0);
    /* closing unaccepted needs the recourse */
    assert_int_equal(go(s, id, "closed_unaccepted", NULL), KERR_INVALID);
    assert_int_equal(go(s, id, "closed_unaccepted", "recourse: 12315"), 0);
    assert_int_equal(go(s, id, "no_such", NULL), KERR_INVALID);
    assert_int_equal(go(s, 999999, "acknowledged", NULL), KERR_NOTFOUND);
    record_init(&r);
    assert_int_equal(store_feedback_get(s, id, &r, &e), 0);
    assert_string_equal(r.status, "closed_unaccepted");
    assert_true(r.acknowledged_at > 0 && r.assigned_at > 0 && r.responded_at > 0 &&
                r.closed_at > 0 && r.reopened_at > 0 && r.resolved_at > 0);
    assert_true(r.closed_at >= r.reopened_at);
    record_release(&r);
    assert_int_equal(store_feedback_events(s, id, collect_kinds, &k, &e), 0);
    /* each closing of an open case issued a return-visit survey (the transition hook) */
    assert_string_equal(k.list, "created,transition,transition,transition,transition,transition,"
                                "transition,survey,transition,transition,transition,transition,"
                                "survey");
}

static int count_rows(void *arg, int64_t id, const char *note)
{
    (void)id;
    (void)note;
    (*(int *)arg)++;
    return 0;
}

static void store_collaboration(void **state)
{
    struct store *s = *state;
    struct kerr e;
    int64_t a = add_record(s, "快递丢了", NULL), b = add_record(s, "快递丢了，第二次说", NULL);
    struct store_case_op o;
    struct record r;
    int n = 0;

    assert_int_equal(store_loop_seed_demo(s, &e), 0);
    memset(&o, 0, sizeof o);
    o.kind = CASE_OP_COMMENT;
    o.id = a;
    o.body = "请 @quality1 和 @agent2. 看一下 (mail@example.com 不是提及)";
    o.internal = true;
    assert_int_equal(op(s, &o), 0);
    memset(&o, 0, sizeof o);
    o.kind = CASE_OP_TRANSFER;
    o.id = a;
    o.team = "nowhere";
    o.note = "x";
    assert_int_equal(op(s, &o), KERR_INVALID);
    o.team = "logistics";
    assert_int_equal(op(s, &o), 0);
    assert_string_equal(o.assigned, "logistics1");
    /* a sub-task the case waits on: needs investigating first */
    assert_int_equal(go(s, a, "acknowledged", NULL), 0);
    assert_int_equal(go(s, a, "assessed", NULL), 0);
    assert_int_equal(go(s, a, "investigating", NULL), 0);
    memset(&o, 0, sizeof o);
    o.kind = CASE_OP_SUBTASK_ADD;
    o.id = a;
    o.team = "quality";
    o.title = "查验包装";
    o.wait = true;
    assert_int_equal(op(s, &o), 0);
    int64_t sub = o.new_id;
    record_init(&r);
    assert_int_equal(store_feedback_get(s, a, &r, &e), 0);
    assert_string_equal(r.status, "pending_third_party");
    record_release(&r);
    memset(&o, 0, sizeof o);
    o.kind = CASE_OP_SUBTASK_DONE;
    o.id = a;
    o.other = sub;
    o.note = "包装完好";
    assert_int_equal(op(s, &o), 0);
    assert_int_equal(op(s, &o), KERR_CONFLICT);
    record_init(&r);
    assert_int_equal(store_feedback_get(s, a, &r, &e), 0);
    assert_string_equal(r.status, "investigating");
    assert_string_equal(r.team, "logistics");
    record_release(&r);
    /* merge b into a: b closed, pointing at a */
    memset(&o, 0, sizeof o);
    o.kind = CASE_OP_MERGE;
    o.id = a;
    o.other = a;
    assert_int_equal(op(s, &o), KERR_INVALID);
    o.other = b;
    assert_int_equal(op(s, &o), 0);
    record_init(&r);
    assert_int_equal(store_feedback_get(s, b, &r, &e), 0);
    assert_string_equal(r.status, "closed");
    assert_int_equal(r.duplicate_of, a);
    record_release(&r);
    o.id = b;
    o.other = a;
    assert_int_equal(op(s, &o), KERR_CONFLICT); /* a cycle */
    /* links, once */
    memset(&o, 0, sizeof o);
    o.kind = CASE_OP_LINK;
    o.id = b;
    o.other = a;
    assert_int_equal(op(s, &o), 0);
    assert_int_equal(op(s, &o), 0);
    assert_int_equal(store_case_links(s, a, count_rows, &n, &e), 0);
    assert_int_equal(n, 1);
}

static int count_comments(void *arg, const struct store_comment *c)
{
    (void)c;
    (*(int *)arg)++;
    return 0;
}

static void store_mentions_parsed(void **state)
{
    struct store *s = *state;
    struct kerr e;
    int64_t a = add_record(s, "投诉", NULL);
    struct store_case_op o = {.kind = CASE_OP_COMMENT, .id = a};
    int n = 0;
    o.body = "@agent2 请处理; 抄送 @quality1. 邮件 x@agent2.com";
    assert_int_equal(op(s, &o), 0);
    assert_int_equal(store_mentions(s, "agent2", 10, count_comments, &n, &e), 0);
    assert_int_equal(n, 1);
    n = 0;
    assert_int_equal(store_mentions(s, "quality1", 10, count_comments, &n, &e), 0);
    assert_int_equal(n, 1);
    n = 0;
    assert_int_equal(store_mentions(s, "agent2.com", 10, count_comments, &n, &e), 0);
    assert_int_equal(n, 0);
}

static void store_routing_and_round_robin(void **state)
{
    struct store *s = *state;
    struct kerr e;
    struct record r;
    const char *who[4];
    assert_int_equal(store_loop_seed_demo(s, &e), 0);
    for (int i = 0; i < 4; i++) {
        int64_t id = add_record(s, "客服态度太差了", NULL);
        record_init(&r);
        assert_int_equal(store_feedback_get(s, id, &r, &e), 0);
        assert_string_equal(r.team, "kefu");
        who[i] = strcmp(r.assignee, "agent") == 0 ? "agent" : "agent2";
        assert_true(strcmp(r.assignee, "agent") == 0 || strcmp(r.assignee, "agent2") == 0);
        record_release(&r);
    }
    assert_string_not_equal(who[0], who[1]);
    assert_string_equal(who[0], who[2]);
    assert_string_equal(who[1], who[3]);
    int64_t id = add_record(s, "牛奶变质了，孩子喝了拉肚子", "钻石会员");
    record_init(&r);
    assert_int_equal(store_feedback_get(s, id, &r, &e), 0);
    assert_string_equal(r.team, "quality");
    assert_string_equal(r.assignee, "quality1");
    assert_string_equal(r.priority, "p1");
    record_release(&r);
    struct store_case_sla sla;
    assert_int_equal(store_case_sla(s, id, &sla, &e), 0);
    assert_string_equal(sla.policy, "urgent");
    assert_int_equal(sla.due[0] - sla.start, 30 * 60); /* 24x7, 30 minutes */
}

/* Assignment skips members off duty; least_open picks the member with the fewest open cases. */
static void store_duty_and_least_open(void **state)
{
    struct store *s = *state;
    struct kerr e;
    struct record r;
    struct store_case_op o;
    char path[128];
    sqlite3 *db;

    assert_int_equal(store_loop_seed_demo(s, &e), 0);
    snprintf(path, sizeof path, "%s/kesu.db", dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO users(username,display_name,role,created_at,"
                                  "updated_at) VALUES('agent','坐席一','agent',0,0),"
                                  "('agent2','坐席二','agent',0,0)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    memset(&o, 0, sizeof o);
    o.kind = CASE_OP_DUTY;
    o.assignee = "agent";
    o.wait = false;
    assert_int_equal(op(s, &o), 0);
    o.assignee = "nobody";
    assert_int_equal(op(s, &o), KERR_NOTFOUND);
    for (int i = 0; i < 3; i++) {
        int64_t id = add_record(s, "服务态度差", NULL);
        record_init(&r);
        assert_int_equal(store_feedback_get(s, id, &r, &e), 0);
        assert_string_equal(r.assignee, "agent2"); /* agent is off duty */
        record_release(&r);
    }
    /* least open: agent (back on duty) has none, agent2 has three */
    o.assignee = "agent";
    o.wait = true;
    assert_int_equal(op(s, &o), 0);
    memset(&o, 0, sizeof o);
    o.kind = CASE_OP_TEAM_PUT;
    o.team = "kefu";
    o.title = "客服部";
    o.assignee = "supervisor";
    o.to = "least_open";
    assert_int_equal(op(s, &o), 0);
    o.to = "random";
    assert_int_equal(op(s, &o), KERR_INVALID);
    for (int i = 0; i < 4; i++) {
        int64_t id = add_record(s, "服务态度差", NULL);
        record_init(&r);
        assert_int_equal(store_feedback_get(s, id, &r, &e), 0);
        /* agent takes the first three (0, 1, 2 open vs 3), then the tie goes to agent */
        assert_string_equal(r.assignee, "agent");
        record_release(&r);
    }
    int64_t id = add_record(s, "服务态度差", NULL);
    record_init(&r);
    assert_int_equal(store_feedback_get(s, id, &r, &e), 0);
    assert_string_equal(r.assignee, "agent2"); /* 4 open vs 3 */
    record_release(&r);
}

/* Reopening: the resolution clock goes on where the closing stopped it. */
static void sla_reopen_resumes_resolution(void **state)
{
    struct store *s = *state;
    struct kerr e;
    struct store_case_op o;
    struct store_case_sla before, after;
    char path[128], sql[200];
    sqlite3 *db;
    static const char *const walk[] = {"acknowledged", "assessed", "investigating", "responded",
                                       "closed"};

    memset(&o, 0, sizeof o);
    o.kind = CASE_OP_POLICY_PUT;
    o.body = "{\"name\":\"r\",\"calendar\":\"24x7\",\"ack\":100,\"resolve\":1000}";
    assert_int_equal(op(s, &o), 0);
    int64_t id = add_record(s, "又坏了", NULL);
    for (size_t i = 0; i < sizeof walk / sizeof walk[0]; i++)
        assert_int_equal(go(s, id, walk[i], NULL), 0);
    assert_int_equal(store_case_sla(s, id, &before, &e), 0);
    assert_true(before.met & SLA_RESOLVE);
    /* as if it was closed 5,000 s ago */
    snprintf(path, sizeof path, "%s/kesu.db", dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    snprintf(sql, sizeof sql, "UPDATE feedback SET closed_at=closed_at-5000000 WHERE id=%lld",
             (long long)id);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(go(s, id, "reopened", "换货后仍坏"), 0);
    assert_int_equal(store_case_sla(s, id, &after, &e), 0);
    assert_false(after.met & SLA_RESOLVE);
    assert_true(after.met & SLA_ACK);
    assert_in_range(after.paused_secs, 5000, 5002);
    assert_int_equal(after.due[2] - before.due[2], after.paused_secs);
}

/* The scheduler across a restart: state is all in the database, nothing twice. */
static void sla_scheduler_restart(void **state)
{
    struct store *s = *state;
    struct kerr e;
    struct store_sla_report rep;
    struct store_case_op o;
    struct record r;
    int64_t id, t0;
    const char *pol = "{\"name\":\"fast\",\"position\":1,\"calendar\":\"24x7\",\"ack\":100,"
                      "\"resolve\":1000,\"warn_share\":0.5}";

    assert_int_equal(store_loop_seed_demo(s, &e), 0);
    memset(&o, 0, sizeof o);
    o.kind = CASE_OP_POLICY_PUT;
    o.body = pol;
    assert_int_equal(op(s, &o), 0);
    id = add_record(s, "普通投诉", NULL);
    record_init(&r);
    assert_int_equal(store_feedback_get(s, id, &r, &e), 0);
    t0 = r.recorded_at / 1000;
    assert_string_equal(r.team, "kefu");
    record_release(&r);
    assert_int_equal(store_sla_pass(s, t0 + 10, 100, &rep, &e), 0);
    assert_int_equal(rep.warnings + rep.breaches, 0);
    store_sla_report_release(&rep);
    assert_int_equal(store_sla_pass(s, t0 + 60, 100, &rep, &e), 0);
    assert_int_equal(rep.warnings, 1);
    store_sla_report_release(&rep);
    assert_int_equal(store_sla_pass(s, t0 + 60, 100, &rep, &e), 0);
    assert_int_equal(rep.warnings, 0);
    store_sla_report_release(&rep);
    /* restart */
    store_close(s);
    assert_int_equal(store_open(dir, &s, &e), 0);
    *state = s;
    assert_int_equal(store_sla_pass(s, t0 + 70, 100, &rep, &e), 0);
    assert_int_equal(rep.warnings + rep.breaches, 0);
    store_sla_report_release(&rep);
    assert_int_equal(store_sla_pass(s, t0 + 120, 100, &rep, &e), 0);
    assert_int_equal(rep.breaches, 1);
    assert_int_equal(rep.escalations, 1);
    store_sla_report_release(&rep);
    record_init(&r);
    assert_int_equal(store_feedback_get(s, id, &r, &e), 0);
    assert_string_equal(r.assignee, "supervisor");
    assert_string_equal(r.priority, "p2");
    record_release(&r);
    store_close(s);
    assert_int_equal(store_open(dir, &s, &e), 0);
    *state = s;
    assert_int_equal(store_sla_pass(s, t0 + 130, 100, &rep, &e), 0);
    assert_int_equal(rep.breaches + rep.escalations + rep.warnings, 0);
    store_sla_report_release(&rep);
    /* waiting for the customer stops the clock: no resolution breach while paused */
    assert_int_equal(go(s, id, "acknowledged", NULL), 0);
    assert_int_equal(go(s, id, "assessed", NULL), 0);
    assert_int_equal(go(s, id, "investigating", NULL), 0);
    assert_int_equal(go(s, id, "pending_customer", NULL), 0);
    assert_int_equal(store_sla_pass(s, t0 + 5000, 100, &rep, &e), 0);
    assert_int_equal(rep.breaches, 0);
    store_sla_report_release(&rep);
    struct store_case_sla sla;
    assert_int_equal(store_case_sla(s, id, &sla, &e), 0);
    assert_true(sla.paused_since > 0);
    assert_true(sla.met & SLA_ACK);
    /* a sub-task past its due time is reported once, across a restart */
    memset(&o, 0, sizeof o);
    o.kind = CASE_OP_SUBTASK_ADD;
    o.id = id;
    o.team = "logistics";
    o.title = "追查包裹";
    o.due = (t0 + 200) * 1000;
    assert_int_equal(op(s, &o), 0);
    assert_int_equal(store_sla_pass(s, t0 + 150, 100, &rep, &e), 0);
    assert_int_equal(rep.subtasks_overdue, 0);
    store_sla_report_release(&rep);
    assert_int_equal(store_sla_pass(s, t0 + 250, 100, &rep, &e), 0);
    assert_int_equal(rep.subtasks_overdue, 1);
    assert_int_equal(rep.nlines, 1);
    assert_non_null(strstr(rep.lines[0], "追查包裹"));
    store_sla_report_release(&rep);
    store_close(s);
    assert_int_equal(store_open(dir, &s, &e), 0);
    *state = s;
    assert_int_equal(store_sla_pass(s, t0 + 300, 100, &rep, &e), 0);
    assert_int_equal(rep.subtasks_overdue, 0);
    store_sla_report_release(&rep);
    int n = 0;
    assert_int_equal(store_mentions(s, "supervisor", 100, count_comments, &n, &e), 0);
    assert_int_equal(n, 2); /* the escalation and the overdue sub-task */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_pair_of_statuses),
        cmocka_unit_test(stamps_per_status),
        cmocka_unit_test(calendar_days),
        cmocka_unit_test(calendar_arithmetic),
        cmocka_unit_test(calendar_errors),
        cmocka_unit_test(sla_clock_pause_resume),
        cmocka_unit_test(sla_policies_pick_and_errors),
        cmocka_unit_test(routing_conditions),
        cmocka_unit_test(routing_modes),
        cmocka_unit_test(routing_rule_errors),
        cmocka_unit_test_setup_teardown(store_transitions, setup, teardown),
        cmocka_unit_test_setup_teardown(store_collaboration, setup, teardown),
        cmocka_unit_test_setup_teardown(store_mentions_parsed, setup, teardown),
        cmocka_unit_test_setup_teardown(store_routing_and_round_robin, setup, teardown),
        cmocka_unit_test_setup_teardown(store_duty_and_least_open, setup, teardown),
        cmocka_unit_test_setup_teardown(sla_reopen_resumes_resolution, setup, teardown),
        cmocka_unit_test_setup_teardown(sla_scheduler_restart, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
