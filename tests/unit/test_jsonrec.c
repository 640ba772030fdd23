/*
 * Unit tests for intake/jsonrec: whatever the fast path accepts, the checked
 * path (json_parse_checked + record_from_json) accepts with the same record;
 * tried on demo records, hand-written edge cases and random mutations.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/clock.h"
#include "base/json.h"
#include "base/jsonw.h"
#include "base/strbuf.h"
#include "intake/demo.h"
#include "intake/jsonrec.h"

/* The record as JSON text, for comparing. */
static char *dump(const struct record *r)
{
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    jsonw_init(&w, &sb);
    record_to_json(r, &w);
    return strbuf_detach(&sb, NULL);
}

static long fast_ok, slow_only, both_bad;

/* Checks the promise on one input; returns 1 when the fast path took it. */
static int check(const char *text, size_t len)
{
    struct record a, b;
    struct kerr e;
    int fast, slow = -1;
    cJSON *j;

    record_init(&a);
    record_init(&b);
    kerr_clear(&e);
    fast = record_parse_json(&a, text, len, &e);
    kerr_clear(&e);
    if ((j = json_parse_checked(text, len, &e))) {
        slow = record_from_json(&b, j, &e);
        cJSON_Delete(j);
    }
    if (fast == 0) {
        if (slow != 0)
            fail_msg("fast path accepted what the checked path refuses (%s): %.*s", e.message,
                     (int)len, text);
        char *da = dump(&a), *db = dump(&b);
        if (strcmp(da, db) != 0)
            fail_msg("paths differ on %.*s\nfast:    %s\nchecked: %s", (int)len, text, da, db);
        free(da);
        free(db);
        fast_ok++;
    } else {
        assert_int_equal(fast, JSONREC_SLOW);
        if (slow == 0)
            slow_only++;
        else
            both_bad++;
    }
    record_release(&a);
    record_release(&b);
    return fast == 0;
}

static int check_str(const char *s)
{
    return check(s, strlen(s));
}

static void edge_cases(void **state)
{
    (void)state;
    /* taken by the fast path */
    assert_true(check_str("{\"channel\":\"web\",\"text\":\"投诉\"}"));
    assert_true(check_str(" { \"channel\" : \"web\" , \"text\" : \"a\\\"b\\\\c\\n\\u4e2d\" } \n"));
    assert_true(
        check_str("{\"channel\":\"app\",\"text\":\"x\",\"rating\":4.5,\"rating_scale\":5}"));
    assert_true(check_str("{\"channel\":\"app\",\"text\":\"x\",\"rating\":-0.0}"));
    assert_true(check_str("{\"channel\":\"app\",\"text\":\"\\ud83d\\ude00 emoji\"}"));
    assert_true(check_str("{\"channel\":\"web\",\"text\":\"x\",\"extra\":{\"a\":[1,2,{\"b\":null}],"
                          "\"c\":true}}"));
    assert_true(check_str("{\"channel\":\"web\",\"text\":\"x\",\"attachments\":[]}"));
    assert_true(check_str("{\"channel\":\"web\",\"text\":\"x\",\"title\":null}"));
    assert_true(check_str("{\"channel\":\"web\",\"text\":\"first\",\"text\":\"second\"}"));
    assert_true(check_str("{}"));
    /* left to the checked path: errors and shapes the fast path does not copy */
    const char *slow[] = {
        "{\"channel\":\"web\",\"text\":\"x\",\"extra\":{\"a\": 1}}",
        "{\"channel\":\"web\",\"text\":\"x\",\"extra\":{\"a\":1.5}}",
        "{\"channel\":\"web\",\"text\":\"x\",\"extra\":{\"a\":\"\\u00e9\"}}",
        "{\"channel\":\"web\",\"text\":\"a\\u0000b\"}",
        "{\"channel\":\"web\",\"text\":\"\\ud800\"}",
        "{\"channel\":\"fax\",\"text\":\"x\"}",
        "{\"channel\":\"web\",\"colour\":\"x\"}",
        "{\"channel\":\"web\",\"text\":1}",
        "{\"channel\":\"web\",\"text\":\"x\",}",
        "{\"channel\":\"web\",\"text\":\"x\"} trailing",
        "[1,2]",
        "{\"channel\":\"web\",\"text\":\"x\",\"rating\":01}",
        "{\"channel\":\"web\",\"text\":\"x\",\"rating\":true}",
        "{\"channel\":\"web\",\"text\":\"\xff\"}",
        "{\"channel\":\"web\",\"text\":\"tab\there\"}",
        "{\"channel\":\"web\",\"received_at\":\"yesterday\",\"text\":\"x\"}",
    };
    for (size_t i = 0; i < sizeof slow / sizeof slow[0]; i++)
        assert_false(check_str(slow[i]));
}

struct gen_state {
    struct strbuf lines;
    long n;
};

static int to_json(void *arg, const struct record *r)
{
    struct gen_state *g = arg;
    struct jsonw w;
    jsonw_init(&w, &g->lines);
    record_write_input(r, &w);
    strbuf_addch(&g->lines, '\n');
    g->n++;
    return 0;
}

static uint64_t rnd_state = 88172645463325252ULL;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

static void demo_records_and_mutations(void **state)
{
    struct gen_state g = {STRBUF_INIT, 0};
    struct demo_opts o = {.seed = 3, .count = 3000, .end_ms = 1763740800000LL, .days = 30};
    long taken = 0;
    (void)state;
    assert_int_equal(demo_generate(&o, to_json, &g), 0);
    static const char junk[] = "\"\\{}[],:0-9.eE nulltrue\xe4\xb8\xad\x01\xff";
    for (char *line = g.lines.buf, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
        size_t len = (size_t)(nl - line);
        taken += check(line, len);
        /* mutations: a byte replaced, deleted or inserted somewhere */
        for (int m = 0; m < 6; m++) {
            char buf[8192];
            size_t n = len < sizeof buf - 2 ? len : sizeof buf - 2, at = rnd() % (n ? n : 1);
            memcpy(buf, line, n);
            switch (m % 3) {
            case 0:
                buf[at] = junk[rnd() % (sizeof junk - 1)];
                break;
            case 1:
                memmove(buf + at, buf + at + 1, n - at - 1), n--;
                break;
            default:
                memmove(buf + at + 1, buf + at, n - at), n++;
                buf[at] = junk[rnd() % (sizeof junk - 1)];
            }
            check(buf, n);
        }
    }
    /* demo records are the bulk case: the fast path takes all of them */
    assert_int_equal(taken, g.n);
    print_message("fast path: %ld accepted, %ld left to the checked path that it accepted, "
                  "%ld refused by both\n",
                  fast_ok, slow_only, both_bad);
    strbuf_release(&g.lines);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(edge_cases),
        cmocka_unit_test(demo_records_and_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
