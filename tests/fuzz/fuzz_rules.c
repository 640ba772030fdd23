/*
 * fuzz_rules.c: libFuzzer target for the rule and configuration JSON the API
 * accepts: routing rules (loop/routing), SLA policies and durations
 * (loop/sla), working-time calendars (loop/calendar) and alert rules and
 * receivers (insight/alertrule). The first byte picks the parser. What
 * parses is also used: a routing rule is written back, parsed again (it
 * must parse) and matched against a record; a policy is written and parsed
 * again and picked; a calendar adds working time and measures it between
 * instants (never going back in time); an alert rule's normalised JSON is
 * checked again as an update of itself. Errors must name their field.
 *
 *     build/fuzz/fuzz/fuzz_rules -max_total_time=60 tests/fuzz/corpus/rules
 */
#include <cjson/cJSON.h>

#include "base/json.h"
#include "base/jsonw.h"
#include "insight/alerts.h"
#include "loop/calendar.h"
#include "loop/routing.h"
#include "loop/sla.h"
#include "store/alertdb.h"

#include "fuzz.h"

#include "base/banned.h"

static void sample_record(struct record *r)
{
    record_init(r);
    r->channel = strdup("app");
    r->category_l1 = strdup("物流");
    r->category_l2 = strdup("配送延迟");
    r->product = strdup("X1");
    r->severity = strdup("high");
    r->priority = strdup("p2");
    r->text = strdup("快递三天没到，客服不回复");
}

static void do_routing(const char *s, size_t len)
{
    struct routing_rule rule, again;
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    struct kerr e;
    struct record rec;
    struct routing_outcome out;

    kerr_clear(&e);
    memset(&rule, 0, sizeof rule);
    if (routing_rule_parse(s, len, &rule, &e) < 0) {
        if (!e.message[0])
            abort();
        routing_rule_release(&rule);
        return;
    }
    jsonw_init(&w, &sb);
    routing_rule_write(&rule, &w);
    memset(&again, 0, sizeof again);
    if (routing_rule_parse(sb.buf, sb.len, &again, &e) < 0)
        abort(); /* what kesu writes, it must read */
    sample_record(&rec);
    (void)routing_rule_matches(&rule, &rec);
    routing_apply(&rule, 1, ROUTING_ALL, &rec, &out);
    record_release(&rec);
    routing_rule_release(&again);
    routing_rule_release(&rule);
    strbuf_release(&sb);
}

static void do_sla(const char *s, size_t len)
{
    struct sla_policy p, again;
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    struct kerr e;
    struct record rec;

    if (len < 64) {
        char *z = fuzz_strndup(s, len);
        (void)sla_parse_duration(z);
        free(z);
    }
    kerr_clear(&e);
    if (sla_policy_parse(s, len, &p, &e) < 0) {
        if (!e.message[0])
            abort();
        return;
    }
    jsonw_init(&w, &sb);
    sla_policy_write(&p, &w);
    if (sla_policy_parse(sb.buf, sb.len, &again, &e) < 0)
        abort();
    sample_record(&rec);
    (void)sla_policy_pick(&p, 1, &rec);
    {
        struct calendar *cal = calendar_24x7();
        struct sla_clock c = {0};
        struct sla_eval ev;
        int64_t met[SLA_TARGETS] = {0};
        c.start = FUZZ_NOW_MS / 1000;
        sla_compute_due(&p, cal, &c);
        for (int k = 0; k < SLA_TARGETS; k++)
            (void)sla_warn_at(&p, cal, &c, k);
        sla_evaluate(&p, cal, &c, met, c.start + 3600, &ev);
        calendar_free(cal);
    }
    record_release(&rec);
    strbuf_release(&sb);
}

static void do_calendar(const char *s, size_t len)
{
    struct calendar *cal = NULL;
    struct kerr e;
    static const int64_t starts[] = {1772323200, 1767196800, 1800000000, 946684800};
    static const int64_t spans[] = {0, 1, 3600, 8 * 3600, 30 * 86400};

    kerr_clear(&e);
    if (calendar_parse(s, len, &cal, &e) < 0) {
        if (!e.message[0] || cal)
            abort();
        return;
    }
    for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++)
        for (size_t k = 0; k < sizeof spans / sizeof spans[0]; k++) {
            int64_t t = calendar_add(cal, starts[i], spans[k]);
            if (t < starts[i])
                abort();
            if (t != CALENDAR_NEVER && spans[k] <= 86400 &&
                calendar_between(cal, starts[i], t) != spans[k])
                abort();
        }
    (void)calendar_is_workday(cal, calendar_day(cal, starts[0]));
    calendar_free(cal);
}

static void do_alert(const char *s, size_t len, int receiver)
{
    struct kerr e;
    cJSON *j;
    struct strbuf sb = STRBUF_INIT;

    kerr_clear(&e);
    if (!(j = json_parse_checked(s, len, &e)))
        return;
    if (receiver) {
        struct store_alert_receiver out;
        memset(&out, 0, sizeof out);
        if (alert_receiver_check(j, NULL, &out, &sb, &e) < 0 && !e.message[0])
            abort();
    } else {
        struct store_alert_rule out, again;
        struct strbuf sb2 = STRBUF_INIT;
        memset(&out, 0, sizeof out);
        if (alert_rule_check(j, NULL, &out, &sb, &e) == 0) {
            cJSON *empty = cJSON_CreateObject();
            memset(&again, 0, sizeof again);
            if (alert_rule_check(empty, &out, &again, &sb2, &e) < 0)
                abort(); /* an update that changes nothing keeps a valid rule valid */
            cJSON_Delete(empty);
        } else if (!e.message[0]) {
            abort();
        }
        strbuf_release(&sb2);
    }
    strbuf_release(&sb);
    cJSON_Delete(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data + 1;
    if (size < 1)
        return 0;
    switch (data[0] % 5) {
    case 0:
        do_routing(s, size - 1);
        break;
    case 1:
        do_sla(s, size - 1);
        break;
    case 2:
        do_calendar(s, size - 1);
        break;
    case 3:
        do_alert(s, size - 1, 0);
        break;
    default:
        do_alert(s, size - 1, 1);
    }
    return 0;
}
