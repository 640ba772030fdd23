/*
 * Unit tests for the effect statistics (loop/effect.c) against cases worked
 * by hand (docs/capa.md shows the arithmetic), and for the CAPA gates and
 * the one-answer rule in the store (store/capa.c, store/survey.c).
 */
#include "unit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "base/clock.h"
#include "base/xmalloc.h"
#include "intake/record.h"
#include "loop/effect.h"
#include "store/capa.h"
#include "store/db.h"

#define Z975 1.959963984540054

static void normal_quantiles(void **state)
{
    (void)state;
    assert_true(fabs(effect_norm_quantile(0.975) - Z975) < 1e-9);
    assert_true(fabs(effect_norm_quantile(0.5)) < 1e-12);
    assert_true(fabs(effect_norm_quantile(0.005) + 2.5758293035489) < 1e-9);
    assert_true(fabs(effect_norm_cdf(-Z975) - 0.025) < 1e-12);
}

/* Exact binomial test, by hand: outcomes no more likely than the observed one. */
static void binomial_exact(void **state)
{
    (void)state;
    /* Bin(3, 1/2), k = 0: P(0) = P(3) = 1/8 → 1/4 */
    assert_true(fabs(effect_binom_two_sided(0, 3, 0.5) - 0.25) < 1e-12);
    /* Bin(6, 1/2), k = 1: P(0)+P(1)+P(5)+P(6) = (1+6+6+1)/64 */
    assert_true(fabs(effect_binom_two_sided(1, 6, 0.5) - 14.0 / 64) < 1e-12);
    /* Bin(2, 3/4), k = 0: P(0) = 1/16 is the only outcome that unlikely */
    assert_true(fabs(effect_binom_two_sided(0, 2, 0.75) - 0.0625) < 1e-12);
    /* the observed outcome being the most likely one: p = 1 */
    assert_true(fabs(effect_binom_two_sided(3, 6, 0.5) - 1) < 1e-12);
}

/* 50/100 before, 30/100 after: pooled p = 0.4, se0 = sqrt(0.4*0.6*0.02) = 0.0692820,
 * z = -0.2/0.0692820 = -2.886751, p = 2*Phi(-2.886751) = 0.0038924; Wald se =
 * sqrt(0.25/100 + 0.21/100) = 0.0678233, CI -0.2 ± 1.959964*0.0678233. */
static void two_proportions(void **state)
{
    struct effect_test t;
    double z;
    (void)state;
    effect_two_prop(50, 100, 30, 100, 0.95, &t, &z);
    assert_true(t.valid);
    assert_true(fabs(t.estimate + 0.2) < 1e-12);
    assert_true(fabs(z + 2.886751345948) < 1e-9);
    assert_true(fabs(t.p - 0.0038924171228) < 1e-9);
    assert_true(fabs(t.lo + 0.3329312249819) < 1e-9);
    assert_true(fabs(t.hi + 0.0670687750181) < 1e-9);
    effect_two_prop(0, 0, 3, 10, 0.95, &t, NULL);
    assert_false(t.valid);
}

/* 100 events over 1000 before, 50 over 1000 after: RR = 0.5, se(ln RR) = sqrt(1/100 + 1/50)
 * = 0.173205, CI exp(ln 0.5 ± 1.959964*0.173205) = (0.356072, 0.702106); exact test: given
 * 150 events, Bin(150, 1/2) at 50: 2*P(X <= 50) = 5.4475e-5. */
static void poisson_rate_ratio(void **state)
{
    struct effect_test t;
    (void)state;
    effect_rate_ratio(100, 1000, 50, 1000, 0.95, &t);
    assert_true(t.valid);
    assert_true(fabs(t.estimate - 0.5) < 1e-12);
    assert_true(fabs(t.lo - 0.356071793694) < 1e-9);
    assert_true(fabs(t.hi - 0.702105599004) < 1e-9);
    assert_true(fabs(t.p - 5.447533103e-5) / 5.447533103e-5 < 1e-6);
    /* unequal exposures: 2 events over 1 before, 0 over 3 after: p0 = 3/4, P(X=0) = 1/16 */
    effect_rate_ratio(2, 1, 0, 3, 0.95, &t);
    assert_true(fabs(t.p - 0.0625) < 1e-12);
    assert_true(t.estimate == 0);
    assert_true(t.hi > 0 && isfinite(t.hi)); /* Haldane: the interval stays finite */
    effect_rate_ratio(0, 10, 0, 10, 0.95, &t);
    assert_false(t.valid);
}

/* 40/130 before, 8/98 after: RR = (8/98)/(40/130) = 0.265306; Katz se = sqrt(1/40 - 1/130 +
 * 1/8 - 1/98) → CI (0.130127, 0.540911); pooled z test p = 3.399e-5. */
static void risk_ratio(void **state)
{
    struct effect_test t;
    (void)state;
    effect_risk_ratio(40, 130, 8, 98, 0.95, &t);
    assert_true(fabs(t.estimate - 0.265306122449) < 1e-9);
    assert_true(fabs(t.lo - 0.130127487717) < 1e-9);
    assert_true(fabs(t.hi - 0.540910608849) < 1e-9);
    assert_true(fabs(t.p - 3.399015984e-5) / 3.399015984e-5 < 1e-6);
}

static void verdicts(void **state)
{
    struct effect_test t;
    struct effect_rule rule = {.alpha = 0.05, .min_events = 10, .window_complete = true};
    const char *why;
    (void)state;
    effect_risk_ratio(40, 130, 8, 98, 0.95, &t);
    assert_int_equal(effect_judge(&t, 48, &rule, &why), EFFECT_EFFECTIVE);
    rule.has_target = true;
    rule.target = -0.3; /* a 73 % drop meets a 30 % target */
    assert_int_equal(effect_judge(&t, 48, &rule, &why), EFFECT_EFFECTIVE);
    rule.target = -0.8; /* but not an 80 % one: not yet */
    assert_int_equal(effect_judge(&t, 48, &rule, &why), EFFECT_NOT_YET);
    rule.has_target = false;
    rule.window_complete = false;
    assert_int_equal(effect_judge(&t, 48, &rule, &why), EFFECT_NOT_YET);
    rule.window_complete = true;
    assert_int_equal(effect_judge(&t, 9, &rule, &why), EFFECT_NOT_YET);
    /* no change, and a rise: not effective */
    effect_risk_ratio(30, 130, 30, 130, 0.95, &t);
    assert_int_equal(effect_judge(&t, 60, &rule, &why), EFFECT_NOT_EFFECTIVE);
    effect_risk_ratio(30, 130, 30, 98, 0.95, &t);
    assert_int_equal(effect_judge(&t, 60, &rule, &why), EFFECT_NOT_EFFECTIVE);
    /* a drop within chance: not effective */
    effect_risk_ratio(12, 100, 9, 100, 0.95, &t);
    assert_int_equal(effect_judge(&t, 21, &rule, &why), EFFECT_NOT_EFFECTIVE);
    /* CSAT: higher is better */
    rule.higher_is_better = true;
    effect_risk_ratio(50, 100, 80, 100, 0.95, &t);
    assert_int_equal(effect_judge(&t, 200, &rule, &why), EFFECT_EFFECTIVE);
    effect_risk_ratio(80, 100, 50, 100, 0.95, &t);
    assert_int_equal(effect_judge(&t, 200, &rule, &why), EFFECT_NOT_EFFECTIVE);
    assert_string_equal(effect_verdict_name(EFFECT_NOT_YET), "not_yet");
}

/* ---- gates in the store ------------------------------------------------------------- */

static char dir[64];

static struct store *open_store(void)
{
    struct store *s;
    struct kerr e;
    snprintf(dir, sizeof dir, "/tmp/kesu-capa-XXXXXX");
    assert_non_null(mkdtemp(dir));
    assert_int_equal(store_open(dir, &s, &e), 0);
    return s;
}

static void close_store(struct store *s)
{
    char cmd[128];
    store_close(s);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static int64_t add_case(struct store *s)
{
    struct record r;
    struct store_insert_result res;
    struct store_job job = {0};
    struct kerr e;
    record_init(&r);
    r.channel = xstrdup("web");
    r.text = xstrdup("充电座接触不良");
    r.customer_id = xstrdup("C-1");
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

static void gates(void **state)
{
    struct store *s = open_store();
    struct capa_op op;
    struct kerr e;
    int64_t pid, aid;
    (void)state;

    memset(&op, 0, sizeof op);
    op.kind = CAPA_PROBLEM_CREATE;
    op.problem.title = "充电座接触不良";
    assert_int_equal(store_capa(s, &op, "test", &e), 0);
    pid = op.out_id;

    memset(&op, 0, sizeof op);
    op.kind = CAPA_PROBLEM_UPDATE;
    op.id = pid;
    op.problem.status = "closed";
    assert_int_equal(store_capa(s, &op, "test", &e), KERR_CONFLICT);
    assert_string_equal(e.code, "gate_action_plan");

    memset(&op, 0, sizeof op);
    op.kind = CAPA_ACTION_CREATE;
    op.action.title = "来料抽检";
    op.action.type = "corrective";
    op.action.term = "short";
    op.action.due_at = op.action.start_at = CAPA_ABSENT;
    op.action.problem_id = pid;
    op.action.feedback_id = CAPA_ABSENT;
    assert_int_equal(store_capa(s, &op, "test", &e), 0);
    aid = op.out_id;

    memset(&op, 0, sizeof op);
    op.kind = CAPA_ACTION_UPDATE;
    op.id = aid;
    op.action.due_at = op.action.start_at = op.action.problem_id = CAPA_ABSENT;
    op.action.status = "closed";
    assert_int_equal(store_capa(s, &op, "test", &e), KERR_CONFLICT);
    assert_string_equal(e.code, "gate_effect_evaluation");

    memset(&op, 0, sizeof op);
    op.kind = CAPA_PROBLEM_UPDATE;
    op.id = pid;
    op.problem.status = "closed";
    assert_int_equal(store_capa(s, &op, "test", &e), 0); /* an action plan now */

    memset(&op, 0, sizeof op);
    op.kind = CAPA_EVAL_SAVE;
    op.id = aid;
    op.eval.verdict = "not_yet";
    op.eval.result_json = "{}";
    assert_int_equal(store_capa(s, &op, "test", &e), 0);

    memset(&op, 0, sizeof op);
    op.kind = CAPA_ACTION_UPDATE;
    op.id = aid;
    op.action.due_at = op.action.start_at = op.action.problem_id = CAPA_ABSENT;
    op.action.status = "closed";
    assert_int_equal(store_capa(s, &op, "test", &e), 0);
    close_store(s);
}

/* Closing a case issues one survey; its token answers once. */
static void one_answer_per_token(void **state)
{
    struct store *s = open_store();
    int64_t fid = add_case(s);
    struct store_patch p = {0};
    struct store_job job = {0};
    struct strbuf sb = STRBUF_INIT;
    struct capa_op op;
    struct kerr e;
    unsigned char h[32];
    const char *t;
    char token[64];
    size_t n = 0;
    (void)state;

    /* to closed through the lifecycle's legal steps */
    static const char *const walk[] = {"acknowledged", "assessed", "investigating", "responded",
                                       "closed"};
    p.fields[p.n++] = record_field_by_name("status");
    for (size_t i = 0; i < sizeof walk / sizeof walk[0]; i++) {
        memset(&job, 0, sizeof job);
        record_init(&p.values);
        p.values.status = xstrdup(walk[i]);
        job.kind = STORE_JOB_PATCH;
        job.actor = "test";
        job.id = fid;
        job.patch = &p;
        assert_int_equal(store_run(s, &job), 0);
        record_release(&p.values);
    }

    assert_int_equal(store_surveys_json(s, fid, &sb, &e), 0);
    assert_non_null(t = strstr(sb.buf, "/s/"));
    for (t += 3; *t && *t != '"' && n < sizeof token - 1; t++)
        token[n++] = *t;
    token[n] = 0;
    strbuf_release(&sb);
    assert_true(n >= 16);

    memset(&op, 0, sizeof op);
    op.kind = CAPA_SURVEY_ANSWER;
    crypto_generichash(h, sizeof h, (const unsigned char *)token, n, NULL, 0);
    sodium_bin2hex(op.token_hash, sizeof op.token_hash, h, sizeof h);
    op.answers.csat = 1;
    op.answers.nps = op.answers.handling = CAPA_ABSENT;
    op.answers.json = "{\"csat\":1}";
    assert_int_equal(store_capa(s, &op, "customer", &e), 0);
    assert_true(op.out_followup > 0); /* CSAT 1 is a detractor */
    op.out_followup = 0;
    assert_int_equal(store_capa(s, &op, "customer", &e), KERR_CONFLICT);
    assert_string_equal(e.code, "survey_answered");
    assert_int_equal(op.out_followup, 0);
    close_store(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(normal_quantiles),
        cmocka_unit_test(binomial_exact),
        cmocka_unit_test(two_proportions),
        cmocka_unit_test(poisson_rate_ratio),
        cmocka_unit_test(risk_ratio),
        cmocka_unit_test(verdicts),
        cmocka_unit_test(gates),
        cmocka_unit_test(one_answer_per_token),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
