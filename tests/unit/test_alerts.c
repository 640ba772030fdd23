/* Unit tests of alerts: the spike detectors (known Poisson tails, seasonal baselines, alarms),
 * the platforms' signatures (vectors computed with Python's hmac), message formats, and the
 * checks rules and receivers pass. */
#include "unit.h"

#include <math.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "insight/alerts.h"
#include "insight/notify.h"
#include "insight/spike.h"

static void poisson_tail_matches_known_values(void **state)
{
    (void)state;
    assert_true(fabs(spike_poisson_sf(1, 1) - 0.6321205588285577) < 1e-12);
    assert_true(fabs(spike_poisson_sf(5, 2) - 0.052653017343711084) < 1e-12);
    assert_true(fabs(spike_poisson_sf(30, 10) / 2.509951200213578e-07 - 1) < 1e-6);
    assert_true(fabs(spike_poisson_sf(150, 100) / 1.8842104662075698e-06 - 1) < 1e-6);
    assert_true(spike_poisson_sf(0, 5) == 1);
    /* continued to real counts: monotone between the integers */
    assert_true(spike_poisson_sf(5.5, 2) < spike_poisson_sf(5, 2));
    assert_true(spike_poisson_sf(5.5, 2) > spike_poisson_sf(6, 2));
}

static void flat_series_baseline(void **state)
{
    struct spike_params p;
    struct spike_point pt;
    double x[60];
    (void)state;
    spike_params_default(&p);
    for (int i = 0; i < 60; i++)
        x[i] = 20;
    assert_int_equal(spike_baseline(x, 56, 0, &p, &pt), 0);
    assert_true(fabs(pt.expected - 20) < 1e-9);
    assert_true(pt.disp >= 1 && pt.disp < 1.2);
    assert_true(pt.ucl > 28 && pt.ucl < 40);
    /* the limit is the smallest count whose scaled tail is at most alpha */
    assert_true(spike_poisson_sf(pt.ucl / pt.disp, 20 / pt.disp) <= p.alpha);
    assert_true(spike_poisson_sf((pt.ucl - 1) / pt.disp, 20 / pt.disp) > p.alpha);
    /* not enough history */
    assert_int_equal(spike_baseline(x, 55, 0, &p, &pt), -1);
}

static void weekday_season_is_learned(void **state)
{
    struct spike_params p;
    struct spike_point sat, tue;
    double x[70];
    (void)state;
    spike_params_default(&p);
    /* position 0 is a Sunday: weekends 10, weekdays 30 */
    for (int i = 0; i < 70; i++)
        x[i] = (i % 7 == 0 || i % 7 == 6) ? 10 : 30;
    assert_int_equal(spike_baseline(x, 62, 0, &p, &sat), 0); /* 62 % 7 == 6: Saturday */
    assert_int_equal(spike_baseline(x, 65, 0, &p, &tue), 0);
    assert_true(sat.expected > 9 && sat.expected < 14);
    assert_true(tue.expected > 27 && tue.expected < 31);
    /* 30 complaints: ordinary on a Tuesday, a spike on a Saturday */
    assert_true(30 < tue.ucl);
    assert_true(30 >= sat.ucl);
}

static void spike_and_sustained_rise_alarm(void **state)
{
    struct spike_params p;
    struct spike_point pts[20];
    double x[76];
    (void)state;
    spike_params_default(&p);
    for (int i = 0; i < 76; i++)
        x[i] = 50 + (i * 7) % 5 - 2; /* 48..52 */
    x[60] = 100;                     /* a one-day 2x spike */
    for (int i = 66; i < 76; i++)    /* then a rise by 45 % that lasts */
        x[i] = 72;
    assert_int_equal(spike_scan(x, 76, 0, 56, &p, pts), 20);
    for (int k = 0; k < 4; k++)
        assert_false(pts[k].alarm);
    assert_true(pts[4].alarm && pts[4].poisson);
    assert_true(pts[4].count == 100 && fabs(pts[4].expected - 50) < 2);
    for (int k = 5; k < 10; k++)
        assert_false(pts[k].alarm);
    /* no single day of the rise crosses the Poisson limit; the CUSUM sees it */
    bool cusum = false;
    for (int k = 10; k < 20; k++) {
        assert_false(pts[k].poisson);
        cusum |= pts[k].cusum_hit && pts[k].alarm;
    }
    assert_true(cusum);
    /* small counts never alarm */
    double few[60] = {0};
    few[59] = 4;
    assert_int_equal(spike_scan(few, 60, 0, 56, &p, pts), 4);
    assert_false(pts[3].alarm);
}

static void dingtalk_sign_vector(void **state)
{
    char out[128];
    (void)state;
    assert_int_equal(notify_dingtalk_sign("SEC000", 1577808000000LL, out, sizeof out), 0);
    assert_string_equal(out, "6YIPA8vnjVE6v3n%2BSaGrHWHTrxwX27WTNp2h8xVpOyg%3D");
    assert_int_equal(notify_dingtalk_sign("SEC000", 1577808000000LL, out, 10), -1);
}

static void feishu_sign_vector(void **state)
{
    char out[64];
    (void)state;
    assert_int_equal(notify_feishu_sign("demo", 1599360473, out, sizeof out), 0);
    assert_string_equal(out, "l1N0gAcBjdwBvGm1xMjOF0XSyaLRpR7tuO5dHfhAYc8=");
}

static void webhook_sign_vector(void **state)
{
    char out[80];
    (void)state;
    assert_int_equal(notify_webhook_sign("k", 1700000000, "{\"a\":1}", 7, out, sizeof out), 0);
    assert_string_equal(out,
                        "sha256=1b6ad1bc9bf48c52ce01939866d5877c6cc4e87ddad27e16673cb8c4964394a3");
}

static const struct notify_msg msg = {.event = "opened",
                                      .title = "【kesu 预警】投诉量突增",
                                      .markdown = "### 标题\n- 一\n",
                                      .text = "第一行\n第二行\n",
                                      .html = "<h3>标题</h3>",
                                      .link = "http://127.0.0.1:8080/api/v1/alerts/1",
                                      .json = "{\"x\":1}"};

static void robot_payloads(void **state)
{
    struct notify_target ding = {"dingtalk", "http://h/robot/send?access_token=t", "SEC000", NULL};
    struct notify_target feishu = {"feishu", "http://h/hook/x", "demo", "{}"};
    struct strbuf url = STRBUF_INIT, body = STRBUF_INIT;
    char err[128];
    cJSON *j;
    (void)state;
    assert_int_equal(notify_build(&ding, &msg, 1577808000000LL, &url, &body, err, sizeof err), 0);
    assert_string_equal(url.buf, "http://h/robot/send?access_token=t&timestamp=1577808000000"
                                 "&sign=6YIPA8vnjVE6v3n%2BSaGrHWHTrxwX27WTNp2h8xVpOyg%3D");
    j = cJSON_Parse(body.buf);
    assert_string_equal(cJSON_GetObjectItem(j, "msgtype")->valuestring, "markdown");
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(j, "markdown"), "text")->valuestring, msg.markdown);
    cJSON_Delete(j);
    strbuf_reset(&url);
    strbuf_reset(&body);
    assert_int_equal(notify_build(&feishu, &msg, 1599360473000LL, &url, &body, err, sizeof err), 0);
    j = cJSON_Parse(body.buf);
    assert_string_equal(cJSON_GetObjectItem(j, "timestamp")->valuestring, "1599360473");
    assert_string_equal(cJSON_GetObjectItem(j, "sign")->valuestring,
                        "l1N0gAcBjdwBvGm1xMjOF0XSyaLRpR7tuO5dHfhAYc8=");
    cJSON *content = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "content"), "post"),
                            "zh_cn"),
        "content");
    assert_int_equal(cJSON_GetArraySize(content), 3); /* two lines and the link */
    cJSON_Delete(j);
    /* the card form, and a form Feishu does not have */
    struct notify_target card = {"feishu", "http://h/hook/x", NULL,
                                 "{\"msg_type\":\"interactive\"}"};
    struct notify_target wrong = {"feishu", "http://h/hook/x", NULL, "{\"msg_type\":\"image\"}"};
    strbuf_reset(&body);
    assert_int_equal(notify_build(&card, &msg, 0, &url, &body, err, sizeof err), 0);
    j = cJSON_Parse(body.buf);
    assert_null(cJSON_GetObjectItem(j, "sign"));
    assert_string_equal(cJSON_GetObjectItem(j, "msg_type")->valuestring, "interactive");
    cJSON *card_j = cJSON_GetObjectItem(j, "card");
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(card_j, "header"), "title"),
                            "content")
            ->valuestring,
        msg.title);
    cJSON_Delete(j);
    strbuf_reset(&body);
    assert_int_equal(notify_build(&wrong, &msg, 0, &url, &body, err, sizeof err), -1);
    assert_non_null(strstr(err, "msg_type"));
    strbuf_release(&url);
    strbuf_release(&body);
}

static void wecom_cuts_long_markdown_on_a_character(void **state)
{
    struct notify_target wecom = {"wecom", "http://h/send?key=k", NULL, NULL};
    struct notify_msg m = msg;
    struct strbuf url = STRBUF_INIT, body = STRBUF_INIT, big = STRBUF_INIT;
    char err[128];
    (void)state;
    for (int i = 0; i < 2000; i++)
        strbuf_addstr(&big, "投"); /* 3 bytes each: 6,000 bytes */
    m.markdown = big.buf;
    assert_int_equal(notify_build(&wecom, &m, 0, &url, &body, err, sizeof err), 0);
    cJSON *j = cJSON_Parse(body.buf);
    const char *c = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "markdown"), "content")->valuestring;
    assert_int_equal(strlen(c), 4095); /* 1,365 whole characters */
    cJSON_Delete(j);
    strbuf_release(&url);
    strbuf_release(&body);
    strbuf_release(&big);
}

static void mail_is_multipart_utf8(void **state)
{
    struct notify_target mail = {"email", "smtp://127.0.0.1:25", NULL,
                                 "{\"from\":\"k@x.cn\",\"to\":[\"a@x.cn\",\"b@x.cn\"]}"};
    struct notify_target bad = {"email", "smtp://127.0.0.1:25", NULL,
                                "{\"from\":\"k@x.cn\",\"to\":[\"a@x.cn\\r\\nBcc: c@x.cn\"]}"};
    struct strbuf out = STRBUF_INIT;
    char err[128];
    (void)state;
    assert_int_equal(notify_mail(&mail, &msg, 1700000000000LL, &out, err, sizeof err), 0);
    assert_non_null(strstr(out.buf, "Subject: =?UTF-8?B?"));
    assert_non_null(strstr(out.buf, "To: <a@x.cn>, <b@x.cn>\r\n"));
    assert_non_null(strstr(out.buf, "Content-Type: multipart/alternative; boundary="));
    assert_non_null(strstr(out.buf, "Content-Type: text/plain; charset=UTF-8"));
    assert_non_null(strstr(out.buf, "Content-Type: text/html; charset=UTF-8"));
    assert_non_null(strstr(out.buf, "Date: Tue, 14 Nov 2023 22:13:20 +0000"));
    strbuf_reset(&out);
    assert_int_equal(notify_mail(&bad, &msg, 0, &out, err, sizeof err), -1);
    strbuf_release(&out);
}

static void rule_check(const char *json, int want, const char *field)
{
    cJSON *in = cJSON_Parse(json);
    struct store_alert_rule r;
    struct strbuf sb = STRBUF_INIT;
    struct kerr e;
    kerr_clear(&e);
    int rc = alert_rule_check(in, NULL, &r, &sb, &e);
    if (rc != want || (field && strcmp(e.field, field)))
        fail_msg("%s: rc %d field %s (%s)", json, rc, e.field, e.message);
    cJSON_Delete(in);
    strbuf_release(&sb);
}

static void rules_are_checked_and_filled(void **state)
{
    cJSON *in = cJSON_Parse("{\"name\":\"n\",\"kind\":\"sla_compliance\"}");
    struct store_alert_rule r;
    struct strbuf sb = STRBUF_INIT;
    struct kerr e;
    (void)state;
    kerr_clear(&e);
    assert_int_equal(alert_rule_check(in, NULL, &r, &sb, &e), 0);
    assert_string_equal(r.params, "{\"window_days\":7,\"threshold\":0.9,\"min_count\":10}");
    assert_string_equal(r.dimensions, "[]");
    assert_true(r.enabled);
    cJSON_Delete(in);
    strbuf_release(&sb);
    rule_check("{\"name\":\"n\",\"kind\":\"spike\"}", 0, NULL);
    rule_check("{\"name\":\"n\",\"kind\":\"spike\",\"dimensions\":[\"channel\",\"channel\"]}",
               KERR_INVALID, "dimensions");
    rule_check("{\"name\":\"n\",\"kind\":\"spike\",\"params\":{\"min_count\":2.5}}", KERR_INVALID,
               "params.min_count");
    rule_check("{\"name\":\"n\",\"kind\":\"severe\",\"dimensions\":[\"channel\"]}", KERR_INVALID,
               "dimensions");
    rule_check("{\"name\":\"\",\"kind\":\"spike\"}", KERR_INVALID, "name");
    rule_check("[1]", KERR_INVALID, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(poisson_tail_matches_known_values),
        cmocka_unit_test(flat_series_baseline),
        cmocka_unit_test(weekday_season_is_learned),
        cmocka_unit_test(spike_and_sustained_rise_alarm),
        cmocka_unit_test(dingtalk_sign_vector),
        cmocka_unit_test(feishu_sign_vector),
        cmocka_unit_test(webhook_sign_vector),
        cmocka_unit_test(robot_payloads),
        cmocka_unit_test(wecom_cuts_long_markdown_on_a_character),
        cmocka_unit_test(mail_is_multipart_utf8),
        cmocka_unit_test(rules_are_checked_and_filled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
