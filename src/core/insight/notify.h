/*
 * notify.h: delivering an alert to a receiver: the platform's message
 * format and signature (DingTalk and Feishu custom bots, WeCom group
 * robot, a generic JSON webhook) over HTTP, or an e-mail over SMTP, both
 * with libcurl. Formats and signing follow each platform's documentation;
 * docs/alerts.md quotes them. notify_send blocks (network): it runs on the
 * delivery thread (insight/alerts.h), never on a request or intake thread.
 */
#ifndef KESU_NOTIFY_H
#define KESU_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/strbuf.h"

/* A file attached to an e-mail: name (UTF-8, any characters), MIME type, the bytes. */
struct notify_attachment {
    const char *name, *type;
    const void *data;
    size_t len;
};

/* What a notification says; every string UTF-8, NULL = absent. */
struct notify_msg {
    const char *event;     /* alerts: "opened" or "resolved" (X-Kesu-Event: alert.opened);
                              an event with a dot is sent as it is ("report.ready") */
    const char *title;     /* one line */
    const char *markdown;  /* the body in Markdown (DingTalk, WeCom) */
    const char *text;      /* the body as plain text (Feishu post, e-mail) */
    const char *html;      /* the body as HTML (e-mail) */
    const char *link;      /* where the alert can be seen, or NULL */
    const char *json;      /* the alert as a JSON object (generic webhook) */
    const char *link_text; /* the link's label in a Feishu post; NULL: 查看预警 */
    const struct notify_attachment *attach; /* e-mail only: a file attached, or NULL */
};

/* A receiver as stored (store/alertdb.h): kind webhook, dingtalk, wecom, feishu or email. */
struct notify_target {
    const char *kind, *url, *secret;
    const char *config; /* JSON object: e-mail from, to[], username, password; feishu msg_type */
};

/* Is kind a receiver kind notify knows? */
int notify_kind_ok(const char *kind);

/*
 * DingTalk custom-robot signature for timestamp ts_ms (milliseconds):
 * Base64(HMAC-SHA256(key = secret, message = ts_ms "\n" secret)), then
 * URL-encoded (out: at least 128 bytes). Returns 0 or -1.
 */
int notify_dingtalk_sign(const char *secret, int64_t ts_ms, char *out, size_t n);
/*
 * Feishu custom-bot signature for timestamp ts (seconds):
 * Base64(HMAC-SHA256(key = ts "\n" secret, message = empty)) (out: >= 64 bytes).
 */
int notify_feishu_sign(const char *secret, int64_t ts, char *out, size_t n);
/*
 * Generic webhook signature: "sha256=" hex(HMAC-SHA256(key = secret,
 * message = ts "." body)), sent with X-Kesu-Timestamp: ts (out: >= 72 bytes).
 */
int notify_webhook_sign(const char *secret, int64_t ts, const char *body, size_t len, char *out,
                        size_t n);

/*
 * The request a target gets for msg at now_ms: the final URL (signature
 * parameters added for DingTalk) and the JSON body. Returns 0, or -1 with
 * a reason in err for a target that cannot be used (bad config).
 */
int notify_build(const struct notify_target *t, const struct notify_msg *msg, int64_t now_ms,
                 struct strbuf *url, struct strbuf *body, char *err, size_t errlen);
/*
 * The e-mail for msg (headers and a multipart/alternative body with text
 * and HTML parts, UTF-8, base64; the subject RFC 2047-encoded). With
 * msg->attach, a multipart/mixed of that body and the file (base64, its
 * name in Content-Disposition's filename, RFC 2231-encoded when it is not
 * plain ASCII, and RFC 2047-encoded in Content-Type's name for older
 * readers).
 */
int notify_mail(const struct notify_target *t, const struct notify_msg *msg, int64_t now_ms,
                struct strbuf *out, char *err, size_t errlen);
/* RFC 2047: s as "=?UTF-8?B?...?=" words of whole characters, folded with CRLF SP. */
void notify_mime_encode_header(struct strbuf *out, const char *s);
/*
 * A MIME parameter carrying a file name: `; name="value"` when value is
 * printable ASCII without quotes or backslashes, else RFC 2231's
 * `; name*=UTF-8''percent-encoded` (rfc2047 true: `; name="=?UTF-8?B?...?="`).
 */
void notify_mime_param(struct strbuf *out, const char *name, const char *value, bool rfc2047);
/* Base64 of data in lines of 76 characters, each ended by CRLF (RFC 2045). */
void notify_mime_base64(struct strbuf *out, const void *data, size_t len);

/*
 * Sends msg to t now (timeout_ms per attempt). Returns 0 when the receiver
 * accepted it (HTTP 2xx and, for the robots, errcode/code 0; SMTP 250),
 * else -1 with the reason in err.
 */
int notify_send(const struct notify_target *t, const struct notify_msg *msg, int64_t now_ms,
                long timeout_ms, char *err, size_t errlen);

#endif
