/*
 * capa_eval.c: measured effect evaluation of an improvement action.
 *
 * Windows: the baseline is the window_days before the action's start_at,
 * the after window the window_days from it (or explicit windows). In each
 * window the store counts the complaints in the action's scope (category at
 * any level and/or product, else the problem's category/product, else the
 * problem's own cases), all complaints, repeats, reopened cases and answered
 * surveys. Metrics and tests (loop/effect.h):
 *   complaint_rate  scope / configured denominator: Poisson rate ratio with the
 *                   exact conditional test; without a denominator scope / all
 *                   complaints: risk ratio (Katz interval, pooled z test)
 *   repeat_rate     repeats / scope             risk ratio
 *   reopen_rate     reopened / scope            risk ratio
 *   csat            CSAT >= 4 / answered        risk ratio (higher is better)
 * The action's metric decides the verdict (effect_judge). A verdict that
 * falls from "effective" is a recurrence.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "loop/capa.h"
#include "loop/effect.h"
#include "base/banned.h"

#define DAY_MS (24 * 3600 * 1000LL)

static void jsonw_knull(struct jsonw *w, const char *key)
{
    jsonw_key(w, key);
    jsonw_null(w);
}

static void write_window(struct jsonw *w, const char *key, int64_t from, int64_t to,
                         const struct store_window_counts *c)
{
    char ts[CLOCK_FMT_MAX];
    double days = (double)(to - from) / DAY_MS;
    jsonw_key(w, key);
    jsonw_obj(w);
    jsonw_kstr(w, "from", clock_format(from, ts));
    jsonw_kstr(w, "to", clock_format(to, ts));
    jsonw_kdouble(w, "days", days);
    jsonw_kint(w, "complaints", c->scope);
    jsonw_kint(w, "total", c->total);
    if (c->denominator > 0)
        jsonw_kdouble(w, "denominator", c->denominator);
    else
        jsonw_knull(w, "denominator");
    jsonw_kdouble(w, "per_day", days > 0 ? (double)c->scope / days : NAN);
    jsonw_kdouble(w, "rate",
                  c->denominator > 0 ? (double)c->scope / c->denominator
                  : c->total > 0     ? (double)c->scope / (double)c->total
                                     : NAN);
    jsonw_kint(w, "repeats", c->repeats);
    jsonw_kdouble(w, "repeat_rate", c->scope ? (double)c->repeats / (double)c->scope : NAN);
    jsonw_kint(w, "reopened", c->reopened);
    jsonw_kdouble(w, "reopen_rate", c->scope ? (double)c->reopened / (double)c->scope : NAN);
    jsonw_kint(w, "csat_responses", c->csat_n);
    jsonw_kdouble(w, "csat", c->csat_n ? (double)c->csat_satisfied / (double)c->csat_n : NAN);
    jsonw_end(w);
}

static void write_test(struct jsonw *w, const char *key, const char *method,
                       const struct effect_test *t, double before, double after)
{
    jsonw_key(w, key);
    jsonw_obj(w);
    jsonw_kstr(w, "method", method);
    jsonw_kdouble(w, "before", before);
    jsonw_kdouble(w, "after", after);
    jsonw_kdouble(w, "ratio", t->valid ? t->estimate : NAN);
    jsonw_kdouble(w, "change", t->valid ? t->estimate - 1 : NAN);
    jsonw_key(w, "ci");
    jsonw_arr(w);
    jsonw_double(w, t->valid ? t->lo : NAN);
    jsonw_double(w, t->valid ? t->hi : NAN);
    jsonw_end(w);
    jsonw_kdouble(w, "p", t->valid ? t->p : NAN);
    jsonw_kbool(w, "significant", t->valid && t->p < 0.05);
    jsonw_end(w);
}

static double ratio(int64_t a, double b)
{
    return b > 0 ? (double)a / b : NAN;
}

/* Windows from the options and the action's start. */
static void windows(const struct capa_eval_opts *o, const struct store_action_scope *sc,
                    int64_t now, int64_t win[4])
{
    int64_t w = (int64_t)(o->window_days > 0 ? o->window_days : 28) * DAY_MS;
    if (o->base_from && o->base_to && o->after_from && o->after_to) {
        win[0] = o->base_from;
        win[1] = o->base_to;
        win[2] = o->after_from;
        win[3] = o->after_to;
    } else if (o->recheck) {
        win[0] = sc->start_at - w;
        win[1] = sc->start_at;
        win[2] = now - w;
        win[3] = now;
    } else {
        win[0] = sc->start_at - w;
        win[1] = sc->start_at;
        win[2] = sc->start_at;
        win[3] = sc->start_at + w;
    }
}

int capa_evaluation_prepare(struct store *s, int64_t action_id, const struct capa_eval_opts *o,
                            struct capa_evaluation *ev, struct kerr *err)
{
    struct store_action_scope sc;
    struct store_window_counts b, a;
    struct effect_test tc, tr, to, ts;
    struct effect_rule rule = {0};
    enum effect_verdict v;
    const char *reason, *method;
    int64_t now = o->now ? o->now : clock_now_ms(), win[4], events;
    double conf = o->conf > 0 && o->conf < 1 ? o->conf : 0.95;
    const struct effect_test *primary;
    struct strbuf res = STRBUF_INIT;
    struct jsonw w;
    struct capa_op *op = &ev->op;
    bool use_den;
    int rc;

    if ((rc = store_action_scope(s, action_id, &sc, err)) < 0)
        return rc;
    windows(o, &sc, now, win);
    if (win[0] >= win[1] || win[2] >= win[3])
        return kerr_set(err, KERR_INVALID, "invalid_window", "window",
                        "each window must end after it starts");
    if ((rc = store_window_counts(s, &sc, win[0], win[1], &b, err)) < 0 ||
        (rc = store_window_counts(s, &sc, win[2], win[3], &a, err)) < 0)
        return rc;

    use_den = b.denominator > 0 && a.denominator > 0;
    if (use_den) {
        effect_rate_ratio(b.scope, b.denominator, a.scope, a.denominator, conf, &tc);
        method = "poisson_rate_ratio_exact";
    } else {
        effect_risk_ratio(b.scope, b.total, a.scope, a.total, conf, &tc);
        method = "share_of_volume_risk_ratio";
    }
    effect_risk_ratio(b.repeats, b.scope, a.repeats, a.scope, conf, &tr);
    effect_risk_ratio(b.reopened, b.scope, a.reopened, a.scope, conf, &to);
    effect_risk_ratio(b.csat_satisfied, b.csat_n, a.csat_satisfied, a.csat_n, conf, &ts);

    rule.alpha = 1 - conf;
    rule.window_complete = win[3] <= now;
    rule.has_target = sc.has_target;
    rule.target = sc.target;
    if (strcmp(sc.metric, "repeat_rate") == 0) {
        primary = &tr;
        events = b.repeats + a.repeats;
    } else if (strcmp(sc.metric, "reopen_rate") == 0) {
        primary = &to;
        events = b.reopened + a.reopened;
    } else if (strcmp(sc.metric, "csat") == 0) {
        primary = &ts;
        events = b.csat_n + a.csat_n;
        rule.higher_is_better = true;
    } else {
        primary = &tc;
        events = b.scope + a.scope;
    }
    rule.min_events = 10;
    v = effect_judge(primary, events, &rule, &reason);

    jsonw_init(&w, &res);
    jsonw_obj(&w);
    jsonw_kint(&w, "action_id", action_id);
    jsonw_kstr(&w, "metric", sc.metric);
    if (sc.has_target)
        jsonw_kdouble(&w, "target", sc.target);
    else
        jsonw_knull(&w, "target");
    jsonw_key(&w, "scope");
    jsonw_obj(&w);
    jsonw_kstr(&w, "category", sc.category[0] ? sc.category : NULL);
    jsonw_kstr(&w, "product", sc.product[0] ? sc.product : NULL);
    if (sc.problem_id)
        jsonw_kint(&w, "problem_id", sc.problem_id);
    else
        jsonw_knull(&w, "problem_id");
    jsonw_end(&w);
    jsonw_kdouble(&w, "confidence", conf);
    jsonw_kstr(&w, "normalised_by", use_den ? "denominator" : "total_volume");
    write_window(&w, "baseline", win[0], win[1], &b);
    write_window(&w, "after", win[2], win[3], &a);
    jsonw_key(&w, "tests");
    jsonw_obj(&w);
    write_test(&w, "complaint_rate", method, &tc,
               ratio(b.scope, use_den ? b.denominator : (double)b.total),
               ratio(a.scope, use_den ? a.denominator : (double)a.total));
    write_test(&w, "repeat_rate", "risk_ratio_katz_z", &tr, ratio(b.repeats, (double)b.scope),
               ratio(a.repeats, (double)a.scope));
    write_test(&w, "reopen_rate", "risk_ratio_katz_z", &to, ratio(b.reopened, (double)b.scope),
               ratio(a.reopened, (double)a.scope));
    write_test(&w, "csat", "risk_ratio_katz_z", &ts, ratio(b.csat_satisfied, (double)b.csat_n),
               ratio(a.csat_satisfied, (double)a.csat_n));
    jsonw_end(&w);
    jsonw_kstr(&w, "verdict", effect_verdict_name(v));
    jsonw_kstr(&w, "reason", reason);
    jsonw_kbool(&w, "recheck", o->recheck);
    jsonw_end(&w);

    memset(ev, 0, sizeof *ev);
    op->kind = CAPA_EVAL_SAVE;
    op->id = action_id;
    op->eval.verdict = effect_verdict_name(v);
    /* complaints came back after an effective verdict: the after window is complete and the
     * reduction is gone (not "not yet": too few events proves nothing) */
    op->eval.recurrence = strcmp(sc.verdict, "effective") == 0 && v == EFFECT_NOT_EFFECTIVE;
    op->eval.check_only = o->recheck && !op->eval.recurrence;
    ev->result = res;
    op->eval.result_json = ev->result.buf;
    ev->now = now;
    return 0;
}

void capa_evaluation_json(const struct capa_evaluation *ev, struct strbuf *out)
{
    char tsb[CLOCK_FMT_MAX];
    struct jsonw w;
    jsonw_init(&w, out);
    jsonw_obj(&w);
    if (ev->op.eval.check_only)
        jsonw_knull(&w, "id");
    else
        jsonw_kint(&w, "id", ev->op.out_id);
    jsonw_kint(&w, "action_id", ev->op.id);
    jsonw_kstr(&w, "evaluated_at", clock_format(ev->now, tsb));
    jsonw_kstr(&w, "verdict", ev->op.eval.verdict);
    jsonw_kbool(&w, "recurrence", ev->op.eval.recurrence);
    jsonw_key(&w, "result");
    jsonw_raw(&w, ev->result.buf, ev->result.len);
    jsonw_end(&w);
}

void capa_evaluation_release(struct capa_evaluation *ev)
{
    strbuf_release(&ev->result);
}

int capa_evaluate(struct store *s, int64_t action_id, const struct capa_eval_opts *o,
                  const char *actor, struct strbuf *out, struct kerr *err)
{
    struct capa_evaluation ev;
    int rc = capa_evaluation_prepare(s, action_id, o, &ev, err);
    if (rc < 0)
        return rc;
    if ((rc = store_capa(s, &ev.op, actor, err)) == 0)
        capa_evaluation_json(&ev, out);
    capa_evaluation_release(&ev);
    return rc;
}
