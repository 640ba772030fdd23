/*
 * Unit tests for store/fts_cjk: the kesu_cjk FTS5 tokenizer and the MATCH
 * expression builder, against an in-memory SQLite database. The last test
 * proves on 20,000 generated rows that a CJK phrase search returns exactly
 * the rows a substring scan (instr) returns.
 */
#include "unit.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "base/strbuf.h"
#include "base/utf8.h"
#include "store/fts_cjk.h"

#include "base/banned.h"

#define ROW(n) (1u << (n))

static const char *const complaints[][2] = {
    {"物流投诉", "快递三天了还没到，客服态度很差"},
    {"屏幕问题", "iPhone15屏幕有划痕"},
    {"退款", "退款申请提交一周仍未处理"},
    {"ＡＰＰ闪退", "打开就闪退，ＡＰＰ版本１２３"},
    {"訂單退款", "訂單退款三週未到賬"},
    {"发货慢", "发货太慢了，等了很久"},
    {"退款速度", "退款很慢，服务态度也很差"},
    {"Refund request", "Order #A12: refund not received; IPHONE case broken. Café staff rude"},
    {"催单", "客服一直说等等等等，华为P40屏幕"},
};

static sqlite3 *open_db(void)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(fts_cjk_register(db), SQLITE_OK);
    return db;
}

static void exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
}

static int setup_complaints(void **state)
{
    sqlite3 *db = open_db();
    sqlite3_stmt *st;

    exec(db, "CREATE VIRTUAL TABLE t USING fts5(title, text, tokenize='kesu_cjk')");
    assert_int_equal(
        sqlite3_prepare_v2(db, "INSERT INTO t(rowid, title, text) VALUES (?,?,?)", -1, &st, NULL),
        SQLITE_OK);
    for (size_t i = 0; i < sizeof(complaints) / sizeof(complaints[0]); i++) {
        sqlite3_bind_int64(st, 1, (sqlite3_int64)i + 1);
        sqlite3_bind_text(st, 2, complaints[i][0], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, complaints[i][1], -1, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    *state = db;
    return 0;
}

static int teardown_db(void **state)
{
    sqlite3_close(*state);
    return 0;
}

/* Runs "table MATCH expr" and returns the matching rowids as a bit set. */
static unsigned match_raw(sqlite3 *db, const char *table, const char *expr)
{
    struct strbuf sql = STRBUF_INIT;
    sqlite3_stmt *st;
    unsigned rows = 0;
    int rc;

    strbuf_addf(&sql, "SELECT rowid FROM %s WHERE %s MATCH ?1", table, table);
    assert_int_equal(sqlite3_prepare_v2(db, sql.buf, -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, expr, -1, SQLITE_TRANSIENT);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        sqlite3_int64 id = sqlite3_column_int64(st, 0);
        assert_true(id > 0 && id < 32);
        rows |= ROW(id);
    }
    if (rc != SQLITE_DONE)
        fail_msg("MATCH '%s': %s", expr, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    strbuf_release(&sql);
    return rows;
}

/* What a search box typing q finds: the rowid bit set, 0 for "no search". */
static unsigned search(sqlite3 *db, const char *q)
{
    struct strbuf expr = STRBUF_INIT;
    unsigned rows = 0;

    fts_cjk_match_expr(q, strlen(q), &expr);
    if (expr.len)
        rows = match_raw(db, "t", expr.buf);
    strbuf_release(&expr);
    return rows;
}

static void expr_is(const char *q, size_t len, const char *want)
{
    struct strbuf out = STRBUF_INIT;

    strbuf_addstr(&out, "left over");
    fts_cjk_match_expr(q, len, &out);
    assert_string_equal(out.buf, want);
    assert_int_equal(utf8_invalid_at(out.buf, out.len), -1);
    strbuf_release(&out);
}

static void match_expr_quotes_terms(void **state)
{
    (void)state;
    expr_is("iPhone 划痕", strlen("iPhone 划痕"), "\"iPhone\" AND \"划痕\"");
    expr_is("a\"b", 3, "\"a\"\"b\"");
    expr_is("iph*", 4, "\"iph\"*");
    expr_is("ｉｐｈ**", strlen("ｉｐｈ**"), "\"ｉｐｈ\"*");
    expr_is("退*", strlen("退*"), "\"退\"");
    expr_is("a*b", 3, "\"a*b\"");
    expr_is("　快递　\t客服\n", strlen("　快递　\t客服\n"), "\"快递\" AND \"客服\"");
    expr_is("", 0, "");
    expr_is("  \t ", 4, "");
    expr_is("，。！？*^()\"", strlen("，。！？*^()\""), "");
    expr_is("- 退款 +", strlen("- 退款 +"), "\"退款\"");
    expr_is("\" OR 1", 6, "\"OR\" AND \"1\"");
    expr_is("NEAR(a b)", 9, "\"NEAR(a\" AND \"b)\"");
    expr_is("title:x", 7, "\"title:x\"");
    expr_is("快递\0OR", strlen("快递") + 3, "\"快递\" AND \"OR\"");
    expr_is("退款\xff\xfe款", strlen("退款") + 2 + strlen("款"), "\"退款\" AND \"款\"");
    expr_is("\xe9\x80", 2, ""); /* truncated sequence */
}

static void finds_chinese_words(void **state)
{
    sqlite3 *db = *state;

    assert_int_equal(search(db, "慢"), ROW(6) | ROW(7));
    assert_int_equal(search(db, "差"), ROW(1) | ROW(7));
    assert_int_equal(search(db, "退款"), ROW(3) | ROW(5) | ROW(7));
    assert_int_equal(search(db, "客服"), ROW(1) | ROW(9));
    assert_int_equal(search(db, "快递"), ROW(1));
    assert_int_equal(search(db, "很差"), ROW(1) | ROW(7));
    assert_int_equal(search(db, "态度很差"), ROW(1)); /* 7 has 态度也很差 */
    assert_int_equal(search(db, "快递三天了还没到"), ROW(1));
    assert_int_equal(search(db, "退差"), 0);
    assert_int_equal(search(db, "款退"), 0);
    assert_int_equal(search(db, "订单"), 0); /* no simplified/traditional folding */
    assert_int_equal(search(db, "訂單"), ROW(5));
    assert_int_equal(search(db, "到，客服"), ROW(1));
    assert_int_equal(search(db, "没到。客服"), ROW(1)); /* punctuation ignored in a phrase */
    assert_int_equal(search(db, "没到客服"), 0);        /* but no bigram across it */
    assert_int_equal(search(db, "到客"), 0);
    assert_int_equal(search(db, "退款 很差"), ROW(7));
    assert_int_equal(search(db, "退款很慢。服务"), ROW(7));
    assert_int_equal(search(db, "等等"), ROW(9));
}

static void finds_latin_words(void **state)
{
    sqlite3 *db = *state;

    assert_int_equal(search(db, "iphone"), ROW(2) | ROW(8));
    assert_int_equal(search(db, "IPHONE15"), ROW(2));
    assert_int_equal(search(db, "15"), ROW(2));
    assert_int_equal(search(db, "iPhone15屏幕"), ROW(2));
    assert_int_equal(search(db, "15屏幕有"), ROW(2));
    assert_int_equal(search(db, "iPhone 划痕"), ROW(2));
    assert_int_equal(search(db, "华为P40屏幕"), ROW(9));
    assert_int_equal(search(db, "等等，华为p"), ROW(9));
    assert_int_equal(search(db, "iph*"), ROW(2) | ROW(8));
    assert_int_equal(search(db, "IPH*"), ROW(2) | ROW(8));
    assert_int_equal(search(db, "iph"), 0);
    assert_int_equal(search(db, "app"), ROW(4));
    assert_int_equal(search(db, "ＡＰＰ"), ROW(4));
    assert_int_equal(search(db, "App闪退"), ROW(4));
    assert_int_equal(search(db, "123"), ROW(4));
    assert_int_equal(search(db, "１２３"), ROW(4));
    assert_int_equal(search(db, "a12"), ROW(8));
    assert_int_equal(search(db, "cafe"), ROW(8));
    assert_int_equal(search(db, "CAFÉ"), ROW(8));
    assert_int_equal(search(db, "refund rude"), ROW(8));
    assert_int_equal(search(db, "refund polite"), 0);
}

static void user_text_cannot_inject(void **state)
{
    sqlite3 *db = *state;

    assert_int_equal(match_raw(db, "t", "快递 OR 退款"), ROW(1) | ROW(3) | ROW(5) | ROW(7));
    assert_int_equal(search(db, "快递 OR 退款"), 0);
    assert_int_equal(search(db, "\" OR 1"), 0);
    assert_int_equal(search(db, "\" OR \"退款"), 0);
    assert_int_equal(search(db, "NEAR(快递 客服)"), 0);
    assert_int_equal(search(db, "NEAR("), 0);
    assert_int_equal(search(db, "title:退款"), 0);
    assert_int_equal(search(db, "{title text}:退款"), 0);
    assert_int_equal(search(db, "text:x"), 0);
    assert_int_equal(search(db, "*"), 0);
    assert_int_equal(search(db, "^"), 0);
    assert_int_equal(search(db, "^快递"), ROW(1));
    assert_int_equal(search(db, "快递 NOT 客服"), 0);
    assert_int_equal(search(db, "退款 -很差"), ROW(7));
    assert_int_equal(search(db, "(退款) AND ("), 0);
    assert_int_equal(search(db, "\"\"\"\""), 0);
    assert_int_equal(search(db, "快递\")"), ROW(1));
}

static void highlight_is(sqlite3 *db, int64_t rowid, const char *q, const char *want)
{
    struct strbuf expr = STRBUF_INIT;
    sqlite3_stmt *st;

    fts_cjk_match_expr(q, strlen(q), &expr);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT highlight(t, 1, '[', ']') FROM t"
                                        " WHERE t MATCH ?1 AND rowid = ?2",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, expr.buf, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, rowid);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), want);
    sqlite3_finalize(st);
    strbuf_release(&expr);
}

static void highlight_marks_exact_bytes(void **state)
{
    sqlite3 *db = *state;

    highlight_is(db, 3, "退款", "[退款]申请提交一周仍未处理");
    highlight_is(db, 1, "差", "快递三天了还没到，客服态度很[差]");
    highlight_is(db, 1, "态度很差", "快递三天了还没到，客服[态度很差]");
    highlight_is(db, 1, "快递 客服", "[快递]三天了还没到，[客服]态度很差");
    highlight_is(db, 1, "没到。客服", "快递三天了还[没到，客服]态度很差");
    highlight_is(db, 7, "很差", "退款很慢，服务态度也[很差]");
    highlight_is(db, 2, "iPhone15屏幕", "[iPhone15屏幕]有划痕");
    highlight_is(db, 2, "划痕", "iPhone15屏幕有[划痕]");
    highlight_is(db, 9, "等等", "客服一直说[等等等等]，华为P40屏幕");
    highlight_is(db, 9, "华为P40", "客服一直说等等等等，[华为P40]屏幕");
    highlight_is(db, 4, "app", "打开就闪退，[ＡＰＰ]版本１２３");
    highlight_is(db, 8, "cafe",
                 "Order #A12: refund not received; IPHONE case broken. [Café] staff rude");
}

/* The tokens of one document, as "term@position" in position order. */
static void tokens_are(const char *text, const char *want)
{
    sqlite3 *db = open_db();
    struct strbuf got = STRBUF_INIT;
    sqlite3_stmt *st;

    exec(db, "CREATE VIRTUAL TABLE d USING fts5(x, tokenize='kesu_cjk');"
             "CREATE VIRTUAL TABLE v USING fts5vocab(d, 'instance')");
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO d(x) VALUES (?1)", -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT term, offset FROM v ORDER BY offset, term", -1, &st, NULL),
        SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW)
        strbuf_addf(&got, "%s%s@%d", got.len ? " " : "", sqlite3_column_text(st, 0),
                    sqlite3_column_int(st, 1));
    sqlite3_finalize(st);
    assert_string_equal(got.buf, want);
    strbuf_release(&got);
    sqlite3_close(db);
}

static void tokenizes_documents(void **state)
{
    (void)state;
    tokens_are("退款ab12，Ｃ好", "退@0 退款@0 款@1 ab@2 12@3 c@4 好@5");
    tokens_are("很差。", "很@0 很差@0 差@1");
    tokens_are("Ｘ-ray Straße ŒUVRE", "x@0 ray@1 strasse@2 oeuvre@3");
    tokens_are("ひらがなカタカナ・한국",
               "ひ@0 ひら@0 ら@1 らが@1 が@2 がな@2 な@3 なカ@3 "
               "カ@4 カタ@4 タ@5 タカ@5 カ@6 カナ@6 ナ@7 한@8 한국@8 국@9");
    tokens_are("😀 ♥ ① ℃ ——", "");
    tokens_are("a\xff\xfe b", "a@0 b@1");
    tokens_are("𠀀𠀁", "𠀀@0 𠀀𠀁@0 𠀁@1");
}

struct thread_arg {
    int rows_found;
};

static void *thread_main(void *p)
{
    struct thread_arg *arg = p;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;

    arg->rows_found = -1;
    if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) ||
        fts_cjk_register(db) ||
        sqlite3_exec(db,
                     "CREATE VIRTUAL TABLE t USING fts5(x, tokenize='kesu_cjk');"
                     "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i<500)"
                     " INSERT INTO t SELECT CASE WHEN i%5=0 THEN '申请退款' ELSE '催促发货' END"
                     " FROM n",
                     NULL, NULL, NULL) ||
        sqlite3_prepare_v2(db, "SELECT count(*) FROM t WHERE t MATCH '\"退款\"'", -1, &st, NULL) ||
        sqlite3_step(st) != SQLITE_ROW)
        goto out;
    arg->rows_found = sqlite3_column_int(st, 0);
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return NULL;
}

static void registers_on_many_threads(void **state)
{
    pthread_t th[8];
    struct thread_arg args[8];

    (void)state;
    for (int i = 0; i < 8; i++)
        assert_int_equal(pthread_create(&th[i], NULL, thread_main, &args[i]), 0);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(args[i].rows_found, 100);
    }
}

static const char *const words[200] = {
    "快递",   "物流", "客服",   "退款", "退货", "发货", "订单", "质量",   "问题",     "态度",
    "服务",   "商品", "包装",   "破损", "售后", "维修", "换货", "投诉",   "处理",     "赔偿",
    "价格",   "优惠", "活动",   "会员", "积分", "账户", "密码", "登录",   "支付",     "付款",
    "扣费",   "发票", "地址",   "电话", "短信", "通知", "延迟", "超时",   "配送",     "签收",
    "快递员", "网点", "仓库",   "库存", "缺货", "预售", "尺码", "颜色",   "型号",     "规格",
    "说明",   "安装", "使用",   "故障", "屏幕", "电池", "充电", "耳机",   "手机",     "电脑",
    "冰箱",   "空调", "洗衣机", "电视", "外卖", "餐厅", "骑手", "送餐",   "口味",     "分量",
    "卫生",   "异物", "过期",   "变质", "假货", "正品", "虚假", "宣传",   "广告",     "承诺",
    "客户",   "用户", "消费者", "商家", "平台", "店铺", "经理", "主管",   "工作人员", "回复",
    "联系",   "沟通", "解决",   "答复", "拖延", "推诿", "敷衍", "不满",   "失望",     "生气",
    "一周",   "三天", "半个月", "今天", "昨天", "上午", "下午", "晚上",   "马上",     "立即",
    "已经",   "仍然", "还是",   "没有", "不能", "无法", "需要", "希望",   "要求",     "申请",
    "提交",   "审核", "通过",   "拒绝", "取消", "修改", "确认", "核实",   "查询",     "记录",
    "凭证",   "截图", "照片",   "视频", "证据", "合同", "协议", "条款",   "规定",     "政策",
    "保修",   "质保", "维权",   "举报", "差评", "好评", "评价", "满意",   "体验",     "效率",
    "速度",   "流程", "系统",   "软件", "应用", "更新", "版本", "闪退",   "卡顿",     "崩溃",
    "网络",   "信号", "流量",   "套餐", "话费", "宽带", "银行", "信用卡", "贷款",     "利息",
    "手续费", "保险", "理赔",   "医院", "学校", "酒店", "机票", "航班",   "行李",     "火车",
    "退票",   "改签", "座位",   "房间", "预订", "押金", "租金", "物业",   "售前",     "快件",
    "包裹",   "丢失", "损坏",   "划痕", "漏发", "错发", "少件", "多收",   "乱收费",   "霸王条款",
};

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A generated complaint: 3..14 words, now and then a comma or a Latin word. */
static void gen_row(uint64_t *rng, struct strbuf *sb)
{
    int n = 3 + (int)(rng_next(rng) % 12);

    strbuf_reset(sb);
    for (int i = 0; i < n; i++) {
        strbuf_addstr(sb, words[rng_next(rng) % 200]);
        uint64_t r = rng_next(rng) % 16;
        if (r == 0)
            strbuf_addstr(sb, "，");
        else if (r == 1)
            strbuf_addstr(sb, " ok ");
    }
}

/* Picks a random run of nchars CJK characters from text into out; false if none. */
static bool pick_substring(uint64_t *rng, const char *text, int nchars, struct strbuf *out)
{
    size_t off[64], len = strlen(text);
    int n = 0;
    int32_t cp;

    for (size_t i = 0; i < len && n < 63; n++) {
        off[n] = i;
        i += (size_t)utf8_decode((const unsigned char *)text + i, len - i, &cp);
    }
    off[n] = len;
    for (int tries = 0; tries < 8 && n >= nchars; tries++) {
        int k = (int)(rng_next(rng) % (uint64_t)(n - nchars + 1));
        bool ok = true;
        for (int j = k; j < k + nchars; j++)
            ok &= off[j + 1] - off[j] == 3 && memcmp(text + off[j], "，", 3) != 0;
        if (ok) {
            strbuf_reset(out);
            strbuf_add(out, text + off[k], off[k + nchars] - off[k]);
            return true;
        }
    }
    return false;
}

/* The rowids a statement with one text parameter returns, ascending. */
static int query_ids(sqlite3_stmt *st, const char *param, int64_t *ids, int max)
{
    int n = 0;

    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, param, -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW) {
        assert_true(n < max);
        ids[n++] = sqlite3_column_int64(st, 0);
    }
    return n;
}

#define BIG_ROWS 20000

static void phrase_search_equals_substring_scan(void **state)
{
    sqlite3 *db = open_db();
    struct strbuf row = STRBUF_INIT, sub = STRBUF_INIT, expr = STRBUF_INIT;
    char **texts = calloc(BIG_ROWS, sizeof(*texts));
    int64_t *fts_ids = calloc(BIG_ROWS, sizeof(*fts_ids));
    int64_t *scan_ids = calloc(BIG_ROWS, sizeof(*scan_ids));
    sqlite3_stmt *ins, *fts, *scan;
    uint64_t rng = 0x9E3779B97F4A7C15u;
    int checked = 0, nonempty = 0;

    (void)state;
    assert_non_null(texts);
    assert_non_null(fts_ids);
    assert_non_null(scan_ids);
    exec(db, "CREATE VIRTUAL TABLE big USING fts5(body, tokenize='kesu_cjk'); BEGIN");
    assert_int_equal(
        sqlite3_prepare_v2(db, "INSERT INTO big(rowid, body) VALUES (?1, ?2)", -1, &ins, NULL),
        SQLITE_OK);
    for (int i = 0; i < BIG_ROWS; i++) {
        gen_row(&rng, &row);
        texts[i] = strbuf_detach(&row, NULL);
        sqlite3_bind_int(ins, 1, i + 1);
        sqlite3_bind_text(ins, 2, texts[i], -1, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(ins), SQLITE_DONE);
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    exec(db, "COMMIT");
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT rowid FROM big WHERE big MATCH ?1 ORDER BY rowid",
                                        -1, &fts, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT rowid FROM big WHERE instr(body, ?1) > 0"
                                        " ORDER BY rowid",
                                        -1, &scan, NULL),
                     SQLITE_OK);

    /* 25 two- and 25 three-character substrings of random rows, then 10 random pairs. */
    while (checked < 60) {
        int nchars = checked < 25 ? 2 : 3;
        if (checked < 50) {
            if (!pick_substring(&rng, texts[rng_next(&rng) % BIG_ROWS], nchars, &sub))
                continue;
        } else {
            strbuf_reset(&sub);
            strbuf_add(&sub, words[rng_next(&rng) % 200], 3);
            strbuf_add(&sub, words[rng_next(&rng) % 200] + 3, 3);
        }
        fts_cjk_match_expr(sub.buf, sub.len, &expr);
        int nf = query_ids(fts, expr.buf, fts_ids, BIG_ROWS);
        int ns = query_ids(scan, sub.buf, scan_ids, BIG_ROWS);
        if (nf != ns || memcmp(fts_ids, scan_ids, (size_t)nf * sizeof(*fts_ids)) != 0)
            fail_msg("%s: FTS found %d rows, instr() %d", sub.buf, nf, ns);
        nonempty += nf > 0;
        checked++;
    }
    assert_true(nonempty >= 50); /* the picked substrings all occur */

    sqlite3_finalize(fts);
    sqlite3_finalize(scan);
    for (int i = 0; i < BIG_ROWS; i++)
        free(texts[i]);
    free(texts);
    free(fts_ids);
    free(scan_ids);
    strbuf_release(&row);
    strbuf_release(&sub);
    strbuf_release(&expr);
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(match_expr_quotes_terms),
        cmocka_unit_test_setup_teardown(finds_chinese_words, setup_complaints, teardown_db),
        cmocka_unit_test_setup_teardown(finds_latin_words, setup_complaints, teardown_db),
        cmocka_unit_test_setup_teardown(user_text_cannot_inject, setup_complaints, teardown_db),
        cmocka_unit_test_setup_teardown(highlight_marks_exact_bytes, setup_complaints, teardown_db),
        cmocka_unit_test(tokenizes_documents),
        cmocka_unit_test(registers_on_many_threads),
        cmocka_unit_test(phrase_search_equals_substring_scan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
