/*
 * test_nlp: taxonomy rules (categories and severity), keyword extraction
 * (TF-IDF checked by hand against jieba.analyse.extract_tags on the same
 * dictionary and idf.txt; TextRank), keyword trends.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "base/embedded.h"
#include "base/strbuf.h"
#include "text/keywords.h"
#include "text/kwtrend.h"
#include "text/features.h"
#include "text/seg.h"
#include "text/segdict.h"
#include "text/taxonomy.h"

#define JIEBA_IDF "/usr/lib/python3/dist-packages/jieba/analyse/idf.txt"

static struct segdict *dict;
static struct kw_idf *idf;

static const char doc[] =
    "{\"version\":1,\"categories\":["
    " {\"name\":\"物流\",\"rules\":[{\"id\":\"wl\",\"any\":[\"快递\"],\"priority\":-10}],"
    "  "
    "\"children\":[{\"name\":\"配送延迟\",\"rules\":[{\"id\":\"late\",\"any\":[\"还没到\",\"延迟\"]"
    ","
    "   \"none\":[\"没到期\"],\"priority\":5},{\"id\":\"days\",\"regex\":\"等了[0-9]+天\"}]}]},"
    " {\"name\":\"产品\",\"children\":[{\"name\":\"故障\",\"rules\":[{\"any\":[\"坏了\"]}],"
    "  \"children\":[{\"name\":\"无法开机\",\"rules\":[{\"id\":\"nopower\",\"any\":[\"开不了机\"],"
    "   \"confidence\":0.8}]}]}]},"
    " {\"name\":\"账户\",\"rules\":[{\"id\":\"acct\",\"all\":[\"账号\",\"登录\"],\"priority\":5}]},"
    " {\"name\":\"English\",\"rules\":[{\"id\":\"en\",\"any\":[\"REFUND\"]}]}],"
    "\"severity\":{\"rules\":["
    " {\"id\":\"fire\",\"level\":\"critical\",\"any\":[\"爆炸\"],\"none\":[\"爆炸款\"]},"
    " {\"id\":\"regulator\",\"level\":\"high\",\"any\":[\"12315\",\"消协\"]},"
    " {\"id\":\"media\",\"level\":\"high\",\"any\":[\"曝光\"]},"
    " {\"id\":\"again\",\"level\":\"medium\",\"any\":[\"又一次\"]}],"
    " \"amounts\":[{\"min\":1000,\"level\":\"medium\"},{\"min\":10000,\"level\":\"high\"}],"
    " \"repeats\":[{\"min\":2,\"level\":\"medium\"},{\"min\":5,\"level\":\"high\"}],"
    " \"negative_sentiment\":{\"min_score\":0.9,\"level\":\"medium\"},"
    " \"escalate\":{\"high_rules\":2,\"level\":\"critical\"}}}";

static struct taxonomy *parse_ok(const char *json)
{
    struct taxonomy *t = NULL;
    struct kerr e;
    kerr_clear(&e);
    if (taxonomy_parse(json, strlen(json), &t, &e) < 0)
        fail_msg("parse: %s (%s)", e.message, e.field);
    return t;
}

static void cat(const struct taxonomy *t, const char *text, struct tax_category *c)
{
    taxonomy_categorize(t, text, strlen(text), c);
}

static void test_taxonomy_rules(void **state)
{
    struct taxonomy *t = parse_ok(doc);
    struct tax_category c;
    (void)state;
    assert_int_equal(taxonomy_nodes(t), 7);

    cat(t, "快递还没到，急", &c);
    assert_int_equal(c.depth, 2);
    assert_string_equal(c.level[0], "物流");
    assert_string_equal(c.level[1], "配送延迟");
    assert_null(c.level[2]);
    assert_int_equal(c.nfired, 2);
    assert_string_equal(c.fired[0], "wl");
    assert_string_equal(c.fired[1], "late");
    assert_true(fabs(c.confidence - 0.9) < 1e-9);

    /* negative keyword: "没到期" blocks the late rule; the parent's rule remains */
    cat(t, "快递还没到期", &c);
    assert_string_equal(c.level[0], "物流");
    assert_null(c.level[1]);
    assert_int_equal(c.nfired, 1);

    /* regex, and a rule without id gets "path#n" */
    cat(t, "已经等了12天", &c);
    assert_string_equal(c.level[1], "配送延迟");
    assert_string_equal(c.fired[0], "days");
    cat(t, "手机坏了", &c);
    assert_string_equal(c.fired[0], "产品/故障#1");
    assert_string_equal(c.level[1], "故障");

    /* equal priority: the deeper node wins; three levels */
    cat(t, "坏了，开不了机", &c);
    assert_int_equal(c.depth, 3);
    assert_string_equal(c.level[2], "无法开机");
    assert_true(fabs(c.confidence - 0.8) < 1e-9);

    /* priority beats depth: acct (5) over the depth-3 rule (0) */
    cat(t, "账号登录后开不了机", &c);
    assert_string_equal(c.level[0], "账户");
    /* all: both terms needed */
    cat(t, "账号被盗", &c);
    assert_int_equal(c.depth, 0);
    assert_int_equal(c.nfired, 0);
    /* ASCII case-insensitive */
    cat(t, "I want a Refund now", &c);
    assert_string_equal(c.level[0], "English");

    /* model labels to nodes */
    assert_true(taxonomy_find(t, "物流/配送延迟", &c));
    assert_int_equal(c.depth, 2);
    assert_true(taxonomy_find(t, "产品 › 故障 › 无法开机", &c));
    assert_int_equal(c.depth, 3);
    assert_true(taxonomy_find(t, "无法开机", &c));
    assert_string_equal(c.level[0], "产品");
    assert_false(taxonomy_find(t, "物流/故障", &c));
    assert_false(taxonomy_find(t, "nothing", &c));
    taxonomy_free(t);
}

static void expect_error(const char *json, const char *field)
{
    struct taxonomy *t = NULL;
    struct kerr e;
    kerr_clear(&e);
    assert_int_equal(taxonomy_parse(json, strlen(json), &t, &e), KERR_INVALID);
    assert_null(t);
    if (strcmp(e.field, field) != 0)
        fail_msg("%s: field %s, want %s (%s)", json, e.field, field, e.message);
}

static void test_taxonomy_errors(void **state)
{
    (void)state;
    expect_error("[]", "taxonomy");
    expect_error("{\"version\":2,\"categories\":[]}", "version");
    expect_error("{}", "categories");
    expect_error("{\"categories\":[{\"name\":\"\"}]}", "categories[0].name");
    expect_error("{\"categories\":[{\"name\":\"a/b\"}]}", "categories[0].name");
    expect_error("{\"categories\":[{\"name\":\"a\"},{\"name\":\"a\"}]}", "categories[1].name");
    expect_error("{\"categories\":[{\"name\":\"a\",\"rules\":[{\"priority\":1}]}]}",
                 "categories[0].rules[0]");
    expect_error("{\"categories\":[{\"name\":\"a\",\"rules\":[{\"any\":[1]}]}]}",
                 "categories[0].rules[0].any");
    expect_error("{\"categories\":[{\"name\":\"a\",\"children\":[{\"name\":\"b\",\"rules\":"
                 "[{\"regex\":\"(\"}]}]}]}",
                 "categories[0].children[0].rules[0].regex");
    expect_error("{\"categories\":[{\"name\":\"a\",\"children\":[{\"name\":\"b\",\"children\":"
                 "[{\"name\":\"c\",\"children\":[{\"name\":\"d\"}]}]}]}]}",
                 "categories[0].children[0].children[0].children");
    expect_error("{\"categories\":[],\"severity\":{\"rules\":[{\"any\":[\"x\"]}]}}",
                 "severity.rules[0].level");
    expect_error("{\"categories\":[],\"severity\":{\"amounts\":[{\"min\":-1,\"level\":\"high\"}]}}",
                 "severity.amounts[0]");
    expect_error("{\"categories\":[],\"model_min_confidence\":2}", "model_min_confidence");
}

static void sev(const struct taxonomy *t, const char *text, double neg, long repeats,
                struct tax_severity *s)
{
    struct tax_severity_in in = {neg, repeats};
    taxonomy_severity(t, text, strlen(text), &in, s);
}

static void test_severity(void **state)
{
    struct taxonomy *t = parse_ok(doc);
    struct tax_severity s;
    (void)state;
    sev(t, "东西还行", -1, 0, &s);
    assert_int_equal(s.level, TAX_LOW);
    assert_int_equal(s.nreasons, 0);
    sev(t, "再不处理我就打12315", -1, 0, &s);
    assert_int_equal(s.level, TAX_HIGH);
    assert_string_equal(s.reasons[0], "regulator: 12315");
    sev(t, "这是爆炸款，卖得好", -1, 0, &s); /* negative keyword */
    assert_int_equal(s.level, TAX_LOW);
    sev(t, "充电宝爆炸了", -1, 0, &s);
    assert_int_equal(s.level, TAX_CRITICAL);
    /* two high rules escalate */
    sev(t, "找消协，还要曝光你们", -1, 0, &s);
    assert_int_equal(s.level, TAX_CRITICAL);
    assert_int_equal(s.nreasons, 3);
    assert_string_equal(s.reasons[2], "escalated: 2 high rules");
    /* amounts */
    sev(t, "多扣了1,500元", -1, 0, &s);
    assert_int_equal(s.level, TAX_MEDIUM);
    assert_string_equal(s.reasons[0], "amount: 1500");
    sev(t, "损失¥12000.50", -1, 0, &s);
    assert_int_equal(s.level, TAX_HIGH);
    sev(t, "订单号12000000，等了3天", -1, 0, &s); /* not money */
    assert_int_equal(s.level, TAX_LOW);
    /* repeats and sentiment */
    sev(t, "又一次", -1, 1, &s);
    assert_int_equal(s.level, TAX_MEDIUM);
    sev(t, "还是不行", -1, 5, &s);
    assert_int_equal(s.level, TAX_HIGH);
    assert_string_equal(s.reasons[0], "repeats: 5");
    sev(t, "太差了", 0.95, 0, &s);
    assert_int_equal(s.level, TAX_MEDIUM);
    assert_string_equal(s.reasons[0], "negative sentiment: 0.95");
    sev(t, "一般", 0.6, 0, &s);
    assert_int_equal(s.level, TAX_LOW);
    taxonomy_free(t);

    assert_true(taxonomy_amount("退款3000元", strlen("退款3000元")) == 3000);
    assert_true(taxonomy_amount("2万元", strlen("2万元")) == 20000);
    assert_true(taxonomy_amount("RMB 88.5 and 99块", strlen("RMB 88.5 and 99块")) == 99);
    assert_true(taxonomy_amount("3000", 4) == 0);
    assert_string_equal(tax_level_name(TAX_CRITICAL), "critical");
    assert_int_equal(tax_level_parse("medium"), TAX_MEDIUM);
    assert_int_equal(tax_level_parse("urgent"), -1);
}

static void test_default_taxonomy(void **state)
{
    const struct embedded_file *f = embedded_find("config/taxonomy.json");
    struct taxonomy *t = NULL;
    struct tax_category c;
    struct kerr e;
    (void)state;
    assert_non_null(f);
    kerr_clear(&e);
    assert_int_equal(taxonomy_parse(f->data, f->len, &t, &e), 0);
    assert_true(taxonomy_nodes(t) > 25);
    cat(t, "退款一个月了还没到账", &c);
    assert_int_equal(c.depth, 3);
    assert_string_equal(c.level[2], "退款未到账");
    cat(t, "买到假货了", &c);
    assert_string_equal(c.level[1], "假冒伪劣");
    taxonomy_free(t);
}

/* ---- keywords ---------------------------------------------------------------- */

struct kw_case {
    const char *text;
    const char *words[5];
    double weights[5];
};

/* jieba.analyse.extract_tags(text, topK=5, withWeight=True), python3-jieba 0.42.1, over the
 * same dictionary and idf.txt */
static const struct kw_case tfidf_cases[] = {
    /* jieba's candidates less the number 12315 (kesu leaves numbers out), weighed as jieba does */
    {"快递等了5天还没到，客服电话打不通，太差了！要投诉到12315",
     {"快递", "太差", "没到", "客服", "不通"},
     {1.4327823773000001, 1.3580326424714286, 1.2581324930242859, 1.2385098621600001,
      1.1705096267471429}},
    {"买的热水器用了一周就漏电，差点触电，要求退款，不然找媒体曝光",
     {"漏电", "退款", "触电", "热水器", "曝光"},
     {1.08096351986, 1.00940151622, 0.961021821083, 0.9446330355720001, 0.8045605729769999}},
    {"这家店的外卖送得很快，味道也不错，下次还会再点",
     {"外卖", "送得", "再点", "下次", "味道"},
     {1.3454353536333334, 1.3283075003222222, 1.3283075003222222, 0.93509785761,
      0.8150458535488889}},
};

static void test_tfidf_matches_jieba(void **state)
{
    struct kw_scratch sc = {0};
    struct kw_item top[5];
    (void)state;
    /* jieba: sorted(idf.values())[len // 2] */
    assert_true(fabs(kw_idf_median(idf) - 11.9547675029) < 1e-9);
    assert_int_equal(kw_idf_size(idf), 270132); /* lines of idf.txt, all distinct */
    for (size_t i = 0; i < sizeof tfidf_cases / sizeof tfidf_cases[0]; i++) {
        const struct kw_case *k = &tfidf_cases[i];
        int n = kw_tfidf(idf, dict, k->text, strlen(k->text), top, 5, &sc);
        assert_int_equal(n, 5);
        for (int j = 0; j < 5; j++) {
            if (top[j].len != strlen(k->words[j]) || memcmp(top[j].w, k->words[j], top[j].len))
                fail_msg("case %zu word %d: got %.*s, want %s", i, j, (int)top[j].len, top[j].w,
                         k->words[j]);
            assert_true(fabs(top[j].score - k->weights[j]) < 1e-6);
        }
    }
    /* nothing to say: punctuation, single characters */
    assert_int_equal(kw_tfidf(idf, dict, "好！", strlen("好！"), top, 5, &sc), 0);
    kw_scratch_release(&sc);
}

static void test_stopwords_and_table(void **state)
{
    struct kw_idf *t = kw_idf_new();
    struct kw_scratch sc = {0};
    struct kw_item top[4];
    struct kerr e;
    const char *text = "我们觉得这个快递真的太慢";
    (void)state;
    kw_idf_set(t, "快递", 4, 5.0);
    kw_idf_set(t, "太慢", 6, 3.0);
    kw_idf_set(t, "觉得", 6, 9.0);
    kw_idf_finish(t);
    assert_true(kw_idf_get(t, "快递", 6) == 5.0);
    assert_true(kw_idf_median(t) == 5.0); /* sorted [3, 5, 9][3 / 2] */
    assert_true(kw_idf_get(t, "没有的词", strlen("没有的词")) == 5.0);
    const char *stop = "# comment\n我们\n觉得\r\n这个\nTHE\n";
    kw_idf_stopwords(t, stop, strlen(stop));
    assert_true(kw_is_stopword(t, "the", 3));
    assert_true(kw_is_stopword(t, "觉得", 6));
    int n = kw_tfidf(t, dict, text, strlen(text), top, 4, &sc);
    assert_int_equal(n, 3); /* 快递, 太慢, 真的 (median) */
    assert_int_equal(top[0].len, 6);
    assert_memory_equal(top[0].w, "快递", 6);
    kw_scratch_release(&sc);
    kw_idf_free(t);

    kerr_clear(&e);
    assert_int_equal(kw_idf_parse("a 1\nb\n", 6, &t, &e), KERR_INVALID);
    assert_int_equal(e.line, 2);
    assert_int_equal(kw_idf_parse("a 1\nb x\n", 8, &t, &e), KERR_INVALID);
    assert_int_equal(kw_idf_parse("a 1.5\r\nb 2\n", 11, &t, &e), 0);
    assert_true(kw_idf_get(t, "a", 1) == 1.5);
    kw_idf_free(t);
}

static void test_textrank(void **state)
{
    struct kw_scratch sc = {0};
    struct kw_item top[5];
    const char *text = "快递太慢，快递员态度差，快递三天没到，客服也不管快递";
    (void)state;
    int n = kw_textrank(idf, dict, text, strlen(text), top, 5, &sc);
    assert_true(n >= 3);
    /* the word joined to most others ranks first with score 1 (scores are scaled by the top) */
    assert_int_equal(top[0].len, 6);
    assert_memory_equal(top[0].w, "快递", 6);
    assert_true(fabs(top[0].score - 1.0) < 1e-9);
    for (int i = 1; i < n; i++)
        assert_true(top[i].score <= top[i - 1].score);
    assert_int_equal(kw_textrank(idf, dict, "好", 3, top, 5, &sc), 0);
    /* invalid UTF-8 and long input do not break it */
    struct strbuf big = STRBUF_INIT;
    for (int i = 0; i < 3000; i++)
        strbuf_addstr(&big, i % 7 ? "质量问题退货\xff" : "物流");
    n = kw_textrank(idf, dict, big.buf, big.len, top, 5, &sc);
    assert_true(n > 0);
    n = kw_tfidf(idf, dict, big.buf, big.len, top, 5, &sc);
    assert_true(n > 0);
    strbuf_release(&big);
    kw_scratch_release(&sc);
}

static void test_trends(void **state)
{
    struct kw_counts c = {0};
    const struct kw_count *out[8];
    (void)state;
    kw_counts_add(&c, "漏水", 30);
    kw_counts_add(&c, "快递", 40);
    kw_counts_add(&c, "客服", 10);
    kw_counts_add_base(&c, "快递", 400);
    kw_counts_add_base(&c, "客服", 90);
    kw_counts_add_base(&c, "退款", 50); /* not in the window: ignored */
    c.records = 100;
    c.base_records = 1000;
    kw_counts_finish(&c);
    assert_int_equal(kw_counts_top(&c, out, 8), 3);
    assert_string_equal(out[0]->word, "快递");
    assert_string_equal(out[1]->word, "漏水");
    size_t n = kw_counts_emerging(&c, 3, out, 8);
    assert_int_equal(n, 2);
    assert_string_equal(out[0]->word, "漏水");
    /* p1 = .3, p0 = 0 -> growth = .3 / (.5 / 1000) = 600; z = .3 / sqrt(p(1-p)(1/100+1/1000)) */
    assert_true(fabs(out[0]->growth - 600) < 1e-9);
    double p = 30.0 / 1100;
    assert_true(fabs(out[0]->z - 0.3 / sqrt(p * (1 - p) * (0.01 + 0.001))) < 1e-9);
    assert_string_equal(out[1]->word, "客服"); /* .10 vs .09: up, barely */
    assert_true(out[1]->z < 1.96);
    assert_int_equal(kw_counts_emerging(&c, 31, out, 8), 0);
    kw_counts_release(&c);
}

/* kesu idf: document frequencies of one's own records */
static void test_document_frequencies(void **state)
{
    struct kw_idf *t = kw_idf_new();
    struct kw_scratch sc = {0};
    struct strbuf out = STRBUF_INIT;
    const char *a = "快递太慢，快递太慢", *b = "快递漏水";
    (void)state;
    for (int i = 0; i < 3; i++)
        kw_df_add(t, dict, a, strlen(a), &sc); /* counted once per text */
    kw_df_add(t, dict, b, strlen(b), &sc);
    kw_df_finish(t, 4, 1);
    assert_true(fabs(kw_idf_get(t, "快递", 6) - 0.0) < 1e-12);
    assert_true(fabs(kw_idf_get(t, "漏水", 6) - log(4.0)) < 1e-12);
    assert_true(fabs(kw_idf_get(t, "太慢", 6) - log(4.0 / 3)) < 1e-12);
    kw_idf_write(t, &out);
    assert_non_null(strstr(out.buf, "漏水 1.386294361\n"));
    kw_idf_free(t);
    t = kw_idf_new();
    kw_df_add(t, dict, b, strlen(b), &sc);
    kw_df_add(t, dict, a, strlen(a), &sc);
    kw_df_finish(t, 2, 2); /* only words in both texts stay */
    assert_int_equal(kw_idf_size(t), 1);
    kw_idf_free(t);
    kw_scratch_release(&sc);
    strbuf_release(&out);
}

/* kesu train --seg-words: the classifier's word features come from the segmenter */
static void test_seg_word_features(void **state)
{
    struct feat_extractor fx = {{0, 0, 1, 2, 16, 1, 0}, seg_feat_tok, NULL};
    struct feat_scratch sc = {0};
    struct feat_vec v = {0};
    const char *t = "热水器漏水";
    (void)state;
    fx.tok_ctx = dict;
    feat_extract(&fx, t, strlen(t), &sc, &v);
    assert_int_equal(v.n, 3); /* 热水器, 漏水, 热水器+漏水 */
    fx.tok = NULL;            /* the Latin splitter finds no word in Chinese */
    feat_extract(&fx, t, strlen(t), &sc, &v);
    assert_int_equal(v.n, 0);
    feat_vec_release(&v);
    feat_scratch_release(&sc);
}

struct toks {
    char buf[4096];
    size_t len;
    int n;
};

static void tok_join(void *arg, const char *tok, size_t len)
{
    struct toks *t = arg;
    if (t->len + len + 1 < sizeof t->buf) {
        memcpy(t->buf + t->len, tok, len);
        t->len += len;
        t->buf[t->len++] = '|';
    }
    t->n++;
}

/* kw_scratch_replay: the keyword stage's cut, given again, is the segmenter's (seg_feat_tok). */
static void test_keyword_cut_replayed(void **state)
{
    static const char *texts[] = {
        "热水器漏水，师傅上门三次都没修好，iPhone 15 也摔坏了！",
        "送餐太慢了  饭都凉了。。。",
        "好",
        "",
    };
    struct kw_scratch sc = {0};
    struct kw_item top[5];
    (void)state;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        struct toks a = {0}, b = {0};
        kw_tfidf(idf, dict, texts[i], strlen(texts[i]), top, 5, &sc);
        assert_int_equal(kw_scratch_replay(&sc, tok_join, &a), 0);
        seg_feat_tok(dict, texts[i], strlen(texts[i]), tok_join, &b);
        assert_int_equal(a.n, b.n);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.buf, b.buf, a.len);
        assert_true(i == 3 || a.n > 0);
    }
    /* More tokens than the keyword stage keeps: no replay, nothing emitted. */
    struct strbuf big = STRBUF_INIT;
    struct toks c = {0};
    for (int i = 0; i < KW_MAX_TOKENS; i++)
        strbuf_addstr(&big, "好 ");
    kw_tfidf(idf, dict, big.buf, big.len, top, 5, &sc);
    assert_int_equal(kw_scratch_replay(&sc, tok_join, &c), -1);
    assert_int_equal(c.n, 0);
    strbuf_release(&big);
    kw_scratch_release(&sc);
}

static int setup(void **state)
{
    struct segdict_src src = SEGDICT_SRC_DEFAULT;
    struct strbuf img = STRBUF_INIT, buf = STRBUF_INIT;
    struct kerr e;
    FILE *f;
    char chunk[65536];
    size_t n;
    (void)state;
    if (segdict_build(&src, &img, &e) < 0 || !(dict = segdict_from_image(&img, &e))) {
        fprintf(stderr, "cannot build the jieba dictionary: %s\n", e.message);
        return -1;
    }
    strbuf_release(&img);
    if (!(f = fopen(JIEBA_IDF, "rb"))) {
        fprintf(stderr, "cannot read %s (python3-jieba)\n", JIEBA_IDF);
        return -1;
    }
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        strbuf_add(&buf, chunk, n);
    fclose(f);
    if (kw_idf_parse(buf.buf, buf.len, &idf, &e) < 0) {
        fprintf(stderr, "idf.txt: %s\n", e.message);
        return -1;
    }
    strbuf_release(&buf);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    segdict_close(dict);
    kw_idf_free(idf);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_taxonomy_rules),
        cmocka_unit_test(test_taxonomy_errors),
        cmocka_unit_test(test_severity),
        cmocka_unit_test(test_default_taxonomy),
        cmocka_unit_test(test_tfidf_matches_jieba),
        cmocka_unit_test(test_stopwords_and_table),
        cmocka_unit_test(test_textrank),
        cmocka_unit_test(test_trends),
        cmocka_unit_test(test_seg_word_features),
        cmocka_unit_test(test_keyword_cut_replayed),
        cmocka_unit_test(test_document_frequencies),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
