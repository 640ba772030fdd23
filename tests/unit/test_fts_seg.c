/*
 * Unit tests for store/fts_seg: the kesu_seg FTS5 tokenizer over jieba's
 * dictionary, in an in-memory SQLite database: which terms a document gives
 * (fts5vocab), word queries, case folding, phrases, prefix queries, the
 * nohmm option and a bad option.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "base/strbuf.h"
#include "store/fts_seg.h"
#include "text/segdict.h"

#include "base/banned.h"

static struct segdict *dict;

static int setup(void **state)
{
    struct segdict_src src = SEGDICT_SRC_DEFAULT;
    struct strbuf img = STRBUF_INIT;
    struct kerr e;
    (void)state;
    if (segdict_build(&src, &img, &e) < 0 || !(dict = segdict_from_image(&img, &e))) {
        fprintf(stderr, "cannot build the jieba dictionary: %s\n", e.message);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    segdict_close(dict);
    return 0;
}

static void exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
}

static sqlite3 *open_db(const char *tokenize)
{
    sqlite3 *db = NULL;
    char sql[256];
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(fts_seg_register(db, dict), SQLITE_OK);
    snprintf(sql, sizeof(sql), "CREATE VIRTUAL TABLE t USING fts5(text, tokenize='%s')", tokenize);
    exec(db, sql);
    exec(db, "INSERT INTO t(rowid, text) VALUES"
             "(1, '快递三天了还没到，客服态度很差'),"
             "(2, 'iPhone15屏幕有划痕，苹果客服说不保修'),"
             "(3, '退款申请提交一周仍未处理'),"
             "(4, '他来到了网易杭研大厦'),"
             "(5, '价格2999.5元，100%满意')");
    return db;
}

/* The rowids matching q, as "1,3" ("" for none). */
static void match(sqlite3 *db, const char *q, const char *want)
{
    sqlite3_stmt *st;
    struct strbuf sb = STRBUF_INIT;
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT rowid FROM t WHERE t MATCH ? ORDER BY rowid", -1, &st, NULL),
        SQLITE_OK);
    sqlite3_bind_text(st, 1, q, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW)
        strbuf_addf(&sb, "%s%lld", sb.len ? "," : "", (long long)sqlite3_column_int64(st, 0));
    sqlite3_finalize(st);
    if (strcmp(sb.buf, want) != 0)
        fail_msg("MATCH %s: got [%s], want [%s]", q, sb.buf, want);
    strbuf_release(&sb);
}

/* The terms of row 1..5 in index order, space-separated. */
static void terms(sqlite3 *db, const char *want)
{
    sqlite3_stmt *st;
    struct strbuf sb = STRBUF_INIT;
    exec(db, "CREATE VIRTUAL TABLE IF NOT EXISTS v USING fts5vocab(t, 'instance')");
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT term FROM v WHERE doc = 4 ORDER BY offset", -1, &st, NULL),
        SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW)
        strbuf_addf(&sb, "%s%s", sb.len ? " " : "", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    assert_string_equal(sb.buf, want);
    strbuf_release(&sb);
}

static void test_words(void **state)
{
    sqlite3 *db = open_db("kesu_seg");
    (void)state;
    terms(db, "他 来到 了 网易 杭研 大厦");
    match(db, "客服", "1,2");
    match(db, "退款", "3");
    match(db, "IPHONE15", "2");
    match(db, "\"客服 态度\"", "1");
    match(db, "\"态度 客服\"", "");
    match(db, "态度很差", "1");   /* cut into 态度 很差: a phrase */
    match(db, "\"2999.5\"", "5"); /* FTS5 wants punctuation quoted */
    match(db, "\"100%\"", "5");
    match(db, "杭*", "4");
    match(db, "投诉", "");
    sqlite3_close(db);
}

static void test_nohmm(void **state)
{
    sqlite3 *db = open_db("kesu_seg nohmm");
    (void)state;
    terms(db, "他 来到 了 网易 杭 研 大厦");
    match(db, "杭研", "4"); /* the query is cut the same way: 杭 研, a phrase */
    sqlite3_close(db);
}

static void test_bad_option(void **state)
{
    sqlite3 *db = NULL;
    (void)state;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(fts_seg_register(db, dict), SQLITE_OK);
    assert_int_not_equal(
        sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(x, tokenize='kesu_seg bogus')", NULL,
                     NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words),
        cmocka_unit_test(test_nohmm),
        cmocka_unit_test(test_bad_option),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
