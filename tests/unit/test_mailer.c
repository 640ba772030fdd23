/* Unit tests of kesu's outbox sender (loop/mailer.h, store/outbox.h): backoff, recipients,
 * address and phone checks, scrubbing addresses out of errors, the message's text and HTML,
 * the RFC 2047 subject it is sent with (notify_mail), its settings check, and the claims in
 * the store: each row claimed once, a claim left by a dead sender marked interrupted and
 * never claimed again, failures retried only when due. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/clock.h"
#include "insight/notify.h"
#include "loop/mailer.h"
#include "store/capa.h"
#include "store/db.h"
#include "store/outbox.h"

static void backoff_doubles_up_to_the_cap(void **state)
{
    (void)state;
    assert_int_equal(mailer_backoff(1000, 3600000, 1), 1000);
    assert_int_equal(mailer_backoff(1000, 3600000, 2), 2000);
    assert_int_equal(mailer_backoff(1000, 3600000, 5), 16000);
    assert_int_equal(mailer_backoff(60000, 3600000, 7), 3600000); /* 64 min capped at 60 */
    assert_int_equal(mailer_backoff(60000, 3600000, 1000), 3600000);
    assert_int_equal(mailer_backoff(60000, 3600000, 0), 60000);
}

static void recipients_are_told_apart(void **state)
{
    int64_t id;
    (void)state;
    assert_int_equal(mailer_recipient("feedback:42", &id), MAILER_TO_CASE);
    assert_int_equal(id, 42);
    assert_int_equal(mailer_recipient("feedback:", &id), MAILER_TO_NONE);
    assert_int_equal(mailer_recipient("feedback:4x", &id), MAILER_TO_NONE);
    assert_int_equal(mailer_recipient("feedback:-3", &id), MAILER_TO_NONE);
    assert_int_equal(mailer_recipient("feedback:0", &id), MAILER_TO_NONE);
    assert_int_equal(id, 0);
    assert_int_equal(mailer_recipient("quality1", &id), MAILER_TO_USER);
    assert_int_equal(mailer_recipient("boss@example.com", &id), MAILER_TO_ADDRESS);
    assert_int_equal(mailer_recipient("", &id), MAILER_TO_NONE);
    assert_int_equal(mailer_recipient(NULL, &id), MAILER_TO_NONE);
}

static void addresses_and_phones(void **state)
{
    (void)state;
    assert_true(mailer_address_ok("li.lei+kesu@example.com.cn"));
    assert_true(mailer_address_ok("a@b.cn"));
    assert_false(mailer_address_ok("l***@example.com")); /* a masked value */
    assert_false(mailer_address_ok("a@b"));
    assert_false(mailer_address_ok("@b.cn"));
    assert_false(mailer_address_ok("a@@b.cn"));
    assert_false(mailer_address_ok("a@b.cn\r\nBcc: c@d.cn"));
    assert_false(mailer_address_ok("<a@b.cn>"));
    assert_false(mailer_address_ok("a b@c.cn"));
    assert_false(mailer_address_ok("a@b.cn."));
    assert_false(mailer_address_ok(NULL));
    assert_true(mailer_phone_ok("13912345678"));
    assert_true(mailer_phone_ok("+86 139-1234-5678"));
    assert_false(mailer_phone_ok("139****5678"));
    assert_false(mailer_phone_ok("1234"));
    assert_false(mailer_phone_ok("call me"));
    assert_false(mailer_phone_ok(""));
}

static void scrub_cuts_the_address_out(void **state)
{
    char err[128];
    (void)state;
    snprintf(err, sizeof err, "RCPT to <li@x.cn> failed: li@x.cn unknown");
    mailer_scrub(err, "li@x.cn");
    assert_string_equal(err, "RCPT to <***> failed: *** unknown");
    snprintf(err, sizeof err, "unchanged");
    mailer_scrub(err, "");
    mailer_scrub(err, NULL);
    assert_string_equal(err, "unchanged");
    snprintf(err, sizeof err, "aaaa");
    mailer_scrub(err, "a");
    assert_string_equal(err, "****"); /* a one-byte secret becomes one star each */
    snprintf(err, sizeof err, "x12y12");
    mailer_scrub(err, "12");
    assert_string_equal(err, "x**y**");
}

static void compose_text_and_html(void **state)
{
    struct strbuf text = STRBUF_INIT, html = STRBUF_INIT;
    const char *link = "https://kesu.example/s/abc";
    (void)state;
    /* the body has the link: kept as it is, the link an anchor in the HTML */
    mailer_compose("请评价：\nhttps://kesu.example/s/abc\n谢谢 <3 & bye", link, &text, &html);
    assert_string_equal(text.buf, "请评价：\nhttps://kesu.example/s/abc\n谢谢 <3 & bye\n");
    assert_non_null(strstr(html.buf, "<p>请评价：<br><a href=\"https://kesu.example/s/abc\">"
                                     "https://kesu.example/s/abc</a><br>谢谢 &lt;3 &amp; bye"
                                     "</p>"));
    /* no link in the body: appended */
    strbuf_reset(&text);
    strbuf_reset(&html);
    mailer_compose("Action #3 is due.", link, &text, &html);
    assert_string_equal(text.buf, "Action #3 is due.\n\nhttps://kesu.example/s/abc\n");
    /* no link at all */
    strbuf_reset(&text);
    strbuf_reset(&html);
    mailer_compose("<b>x</b>", NULL, &text, &html);
    assert_string_equal(text.buf, "<b>x</b>\n");
    assert_non_null(strstr(html.buf, "<p>&lt;b&gt;x&lt;/b&gt;</p>"));
    strbuf_release(&text);
    strbuf_release(&html);
}

/* The Subject: header of notify_mail: encoded words of whole UTF-8 characters, each at most
 * 75 characters (RFC 2047 section 2), that decode to the subject. */
static void subject_is_rfc2047_encoded(void **state)
{
    const char *subject = "服务回访 / How did we do? 您的投诉（编号 12345）已处理完毕，请为我们的"
                          "服务打分，感谢您的耐心与支持";
    struct notify_target t = {"email", "smtp://127.0.0.1:25", NULL,
                              "{\"from\":\"k@x.cn\",\"to\":[\"a@x.cn\"]}"};
    struct notify_msg m = {
        .event = "outbox", .title = subject, .text = "text", .html = "<p>text</p>"};
    struct strbuf out = STRBUF_INIT, decoded = STRBUF_INIT;
    char err[128];
    int words = 0;
    (void)state;
    assert_int_equal(notify_mail(&t, &m, 1700000000000LL, &out, err, sizeof err), 0);
    const char *p = strstr(out.buf, "\r\nSubject: ") + 11;
    const char *end = strstr(p, "\r\nMessage-ID:");
    assert_non_null(end);
    while (p < end) {
        const char *w = strstr(p, "=?UTF-8?B?"), *q;
        unsigned char bin[128];
        size_t n;
        if (!w || w >= end)
            break;
        q = strstr(w + 10, "?=");
        assert_true(q - w + 2 <= 75);
        assert_int_equal(sodium_base642bin(bin, sizeof bin, w + 10, (size_t)(q - w - 10), NULL, &n,
                                           NULL, sodium_base64_VARIANT_ORIGINAL),
                         0);
        /* no word ends inside a character */
        assert_true(n == 0 || (bin[n - 1] & 0xC0) != 0xC0);
        strbuf_add(&decoded, bin, n);
        words++;
        p = q + 2;
        if (p < end)
            assert_memory_equal(p, "\r\n ", 3); /* folded between words */
    }
    assert_true(words >= 3);
    assert_string_equal(decoded.buf, subject);
    strbuf_release(&out);
    strbuf_release(&decoded);
}

static void settings_are_checked(void **state)
{
    struct mailer_conf c;
    struct kerr e;
    (void)state;
    mailer_conf_init(&c);
    assert_false(mailer_on(&c));
    assert_int_equal(mailer_conf_check(&c, &e), 0);
    c.smtp_url = strdup("http://mail.example");
    c.from = strdup("kesu@example.com");
    assert_true(mailer_on(&c));
    assert_int_equal(mailer_conf_check(&c, &e), KERR_INVALID);
    assert_string_equal(e.field, "smtp_url");
    free(c.smtp_url);
    c.smtp_url = strdup("smtps://mail.example:465");
    assert_int_equal(mailer_conf_check(&c, &e), 0);
    free(c.from);
    c.from = strdup("Kesu <kesu@example.com>");
    assert_int_equal(mailer_conf_check(&c, &e), KERR_INVALID);
    assert_string_equal(e.field, "smtp_from");
    free(c.from);
    c.from = strdup("kesu@example.com");
    c.sms_url = strdup("ftp://sms");
    assert_int_equal(mailer_conf_check(&c, &e), KERR_INVALID);
    assert_string_equal(e.field, "sms_webhook_url");
    c.password = strdup("secret");
    mailer_conf_release(&c);
    assert_null(c.password);
}

/* ---- claims in the store -------------------------------------------------------------- */

static char dir[64];

static int setup(void **state)
{
    struct store *s;
    struct kerr e;
    snprintf(dir, sizeof dir, "/tmp/kesu-mailer-XXXXXX");
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

/* Two reminders in the outbox: actions due within the reminder window, then a tick. */
static void two_reminders(struct store *s)
{
    struct capa_op op;
    struct kerr e;
    for (int i = 0; i < 2; i++) {
        memset(&op, 0, sizeof op);
        op.kind = CAPA_ACTION_CREATE;
        op.action.title = i ? "培训" : "抽检";
        op.action.type = "corrective";
        op.action.term = "short";
        op.action.owner = i ? "nobody" : "quality1";
        op.action.category = "质量";
        op.action.due_at = clock_now_ms() + 3600 * 1000;
        op.action.start_at = op.action.problem_id = op.action.feedback_id = CAPA_ABSENT;
        assert_int_equal(store_capa(s, &op, "test", &e), 0);
    }
    memset(&op, 0, sizeof op);
    op.kind = CAPA_TICK;
    op.remind_before_ms = 48 * 3600 * 1000LL;
    assert_int_equal(store_capa(s, &op, "test", &e), 0);
    assert_int_equal(op.tick.reminders, 2);
}

static void claims_are_at_most_once(void **state)
{
    struct store *s = *state;
    struct store_outbox_msg a, b, c;
    struct kerr e;
    bool found;
    int interrupted;
    int64_t now = clock_now_ms();
    two_reminders(s);

    assert_int_equal(store_outbox_claim(s, now, 10000, 0, &a, &found, &interrupted, &e), 0);
    assert_true(found);
    assert_string_equal(a.kind, "action_reminder");
    assert_string_equal(a.recipient, "quality1");
    assert_int_equal(a.attempts, 0);
    assert_int_equal(store_outbox_claim(s, now, 10000, 0, &b, &found, &interrupted, &e), 0);
    assert_true(found);
    assert_true(b.id > a.id); /* id order, and a is not claimed again */
    assert_int_equal(store_outbox_claim(s, now, 10000, 0, &c, &found, &interrupted, &e), 0);
    assert_false(found);
    assert_int_equal(interrupted, 0);

    /* b fails and is retried, but not before its time */
    struct store_outbox_outcome o = {b.id, "retry", NULL, "451 busy", true, now + 5000};
    assert_int_equal(store_outbox_finish(s, &o, now, &e), 0);
    assert_int_equal(store_outbox_claim(s, now + 4000, 10000, 0, &c, &found, &interrupted, &e), 0);
    assert_false(found);
    /* due at +6 s, but a pass that has passed b's id does not come back to it */
    assert_int_equal(store_outbox_claim(s, now + 6000, 10000, b.id, &c, &found, &interrupted, &e),
                     0);
    assert_false(found);
    assert_int_equal(interrupted, 0);
    /* later: a's sender died (its claim is older than the lease), b is due again */
    assert_int_equal(store_outbox_claim(s, now + 11000, 10000, 0, &c, &found, &interrupted, &e), 0);
    assert_int_equal(interrupted, 1);
    assert_true(found);
    assert_int_equal(c.id, b.id);
    assert_int_equal(c.attempts, 1);
    /* a, interrupted, is never claimed again; a late outcome of its sender still counts */
    struct store_outbox_outcome late = {a.id, "sent", "email", NULL, true, 0};
    assert_int_equal(store_outbox_finish(s, &late, now + 12000, &e), 0);
    store_outbox_msg_release(&c);
    assert_int_equal(store_outbox_claim(s, now + 99000, 10000, 0, &c, &found, &interrupted, &e), 0);
    assert_false(found);
    assert_int_equal(interrupted, 1); /* b, claimed at +11 s and never finished */

    struct strbuf json = STRBUF_INIT;
    assert_int_equal(store_outbox_json(s, false, 10, &json, &e), 0);
    assert_non_null(strstr(json.buf, "\"send_state\":\"sent\",\"channel\":\"email\""));
    assert_non_null(strstr(json.buf, "\"send_state\":\"interrupted\""));
    strbuf_release(&json);
    store_outbox_msg_release(&a);
    store_outbox_msg_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(backoff_doubles_up_to_the_cap),
        cmocka_unit_test(recipients_are_told_apart),
        cmocka_unit_test(addresses_and_phones),
        cmocka_unit_test(scrub_cuts_the_address_out),
        cmocka_unit_test(compose_text_and_html),
        cmocka_unit_test(subject_is_rfc2047_encoded),
        cmocka_unit_test(settings_are_checked),
        cmocka_unit_test_setup_teardown(claims_are_at_most_once, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
