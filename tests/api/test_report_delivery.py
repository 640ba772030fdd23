"""API tests of report delivery: a schedule with an e-mail recipient, an e-mail receiver and a
signed webhook, run now; the loopback SMTP receiver gets the report attached (the same bytes as
the file in DATA/reports, its Chinese file name RFC 2231-encoded) and the webhook the download
link, which works with an API key; a receiver that fails at first is retried with backoff,
every attempt recorded, after a schedule fires by itself; bad recipients are refused naming
the field, through the API and the CLI, and the CLI sends a report on demand.

    KESU_BIN=build/kesu /usr/bin/python3 -m unittest tests/api/test_report_delivery.py -v
"""

import email
import email.policy
import hashlib
import hmac
import json
import os
import sqlite3
import sys
import time
import unittest
import urllib.parse
from datetime import date, datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(__file__))
from kesu_server import ServerTestCase, describe_proc, run_cli  # noqa: E402
from test_alerts import HOOK_SECRET, Receiver, SMTPReceiver, wait_for  # noqa: E402

CST = timezone(timedelta(hours=8))


def last_week_day(weekday):
    """A time on the given weekday (0 = Monday) of last week, Asia/Shanghai."""
    today = datetime.now(CST).date()
    monday = today - timedelta(days=today.weekday() + 7)
    d = monday + timedelta(days=weekday)
    return datetime(d.year, d.month, d.day, 10, 0, tzinfo=CST).isoformat(), monday


class ReportDeliveryTest(ServerTestCase):
    def setUp(self):
        super().setUp()
        self.rx = Receiver()
        self.smtp = SMTPReceiver()

    def tearDown(self):
        self.rx.close()
        self.smtp.close()
        super().tearDown()

    def start(self, smtp=True):
        srv = self.server(start=False)
        with open(os.path.join(srv.data, "kesu.conf"), "w") as f:
            f.write("alerts_interval = 3600\nreports_retry_base = 0.3\n")
            if smtp:
                f.write("smtp_url = smtp://127.0.0.1:%d\nsmtp_from = reports@example.com\n" %
                        self.smtp.port)
        srv.start()
        for i, wd in enumerate((0, 2, 2, 4)):
            at, self.monday = last_week_day(wd)
            r = srv.post("/api/v1/feedback", {"channel": "web", "received_at": at,
                                              "external_id": "rd-%d" % i,
                                              "text": "第%d单快递一直没到，客服也联系不上" % i})
            self.assertStatus(r, 201)
        return srv

    def post_ok(self, srv, path, body, status=201):
        r = srv.post(path, body)
        self.assertStatus(r, status)
        return r.json

    def report_file(self, srv, rep):
        with open(os.path.join(srv.data, "reports", rep["file"]), "rb") as f:
            return f.read()

    def check_attachment(self, data, want_from, want_to, file_bytes, rep):
        mail_from, rcpts, raw = data
        self.assertEqual(mail_from, "<%s>" % want_from)
        self.assertEqual(rcpts, ["<%s>" % want_to])
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual(msg.get_content_type(), "multipart/mixed")
        self.assertEqual(str(msg["Subject"]),
                         "【kesu 报表】客诉质量周报 %s 至 %s" % (rep["from"], rep["to"]))
        text = msg.get_body(("plain",)).get_content()
        self.assertIn("周期：%s 至 %s" % (rep["from"], rep["to"]), text)
        self.assertIn("投诉量：4", text)
        self.assertIn("/api/v1/reports/%d/file" % rep["id"], text)
        atts = list(msg.iter_attachments())
        self.assertEqual(len(atts), 1)
        self.assertEqual(atts[0].get_filename(), "客诉质量周报-%s.html" % rep["from"])
        self.assertEqual(atts[0].get_content_type(), "text/html")
        self.assertEqual(atts[0].get_payload(decode=True), file_bytes)

    def test_schedule_mails_the_file_and_links_it(self):
        srv = self.start()
        hook = self.post_ok(srv, "/api/v1/alerts/receivers",
                            {"name": "hook", "kind": "webhook", "url": self.rx.url("/hook"),
                             "secret": HOOK_SECRET})
        team = self.post_ok(srv, "/api/v1/alerts/receivers",
                            {"name": "team", "kind": "email",
                             "url": "smtp://127.0.0.1:%d" % self.smtp.port,
                             "config": {"from": "alerts@example.com",
                                        "to": ["team@example.com"]}})
        r = srv.post("/api/v1/reports/schedules",
                     {"name": "周报", "cron": "0 8 * * 1", "period": "week", "format": "html",
                      "emails": ["quality@example.com", "quality@example.com"],
                      "receivers": [hook["id"], team["id"]]})
        self.assertStatus(r, 200)
        sched = r.json["items"][0]
        self.assertEqual(sched["emails"], ["quality@example.com"])  # once
        self.assertEqual(sched["receivers"], [hook["id"], team["id"]])

        rep = self.post_ok(srv, "/api/v1/reports/schedules/%d/run" % sched["id"], None)
        self.assertEqual(rep["schedule_id"], sched["id"])
        self.assertEqual(rep["from"], self.monday.isoformat())
        wait_for(lambda: len(self.smtp.messages) == 2 and self.rx.on("/hook"), "the deliveries")
        file_bytes = self.report_file(srv, rep)
        by_rcpt = {m[1][0]: m for m in self.smtp.messages}
        self.check_attachment(by_rcpt["<quality@example.com>"], "reports@example.com",
                              "quality@example.com", file_bytes, rep)
        self.check_attachment(by_rcpt["<team@example.com>"], "alerts@example.com",
                              "team@example.com", file_bytes, rep)

        # the webhook: signed as alerts are, the link to the file and the headline figures
        req = self.rx.on("/hook")[0]
        h, raw = req["headers"], req["body"]
        self.assertEqual(h["X-Kesu-Event"], "report.ready")
        want = "sha256=" + hmac.new(HOOK_SECRET.encode(), h["X-Kesu-Timestamp"].encode() + b"." +
                                    raw, hashlib.sha256).hexdigest()
        self.assertEqual(h["X-Kesu-Signature"], want)
        body = json.loads(raw)
        self.assertEqual(body["event"], "report.ready")
        self.assertEqual(body["link"],
                         "http://127.0.0.1:%d/api/v1/reports/%d/file" % (srv.port, rep["id"]))
        self.assertEqual(body["report"]["id"], rep["id"])
        self.assertEqual(body["report"]["file"], rep["file"])
        self.assertEqual(body["report"]["headlines"][0]["name"], "投诉量")
        self.assertEqual(body["report"]["headlines"][0]["value"], 4)
        self.assertIn("客诉质量周报", body["title"])
        # the link downloads the same bytes with an API key, and nothing without one
        path = urllib.parse.urlsplit(body["link"]).path
        got = srv.get(path)
        self.assertStatus(got, 200)
        self.assertEqual(got.body, file_bytes)
        self.assertEqual(srv.get(path, auth=False).status, 401)

        # every delivery recorded: sent at the first attempt
        def all_sent():
            d = srv.get("/api/v1/reports/%d" % rep["id"]).json
            return d if all(x["state"] == "sent" for x in d["deliveries"]) else None
        full = wait_for(all_sent, "the deliveries recorded")
        self.assertEqual(full["summary"]["headlines"][0]["text"], "4")
        ds = full["deliveries"]
        self.assertEqual([d.get("email") or d.get("receiver_id") for d in ds],
                         ["quality@example.com", hook["id"], team["id"]])
        for d in ds:
            self.assertEqual(d["attempts"], 1)
            self.assertEqual(len(d["log"]), 1)
            self.assertTrue(d["log"][0]["ok"])
            self.assertIsNone(d["last_error"])

    def test_failing_receiver_is_retried_when_the_schedule_fires(self):
        srv = self.start()
        flaky = self.post_ok(srv, "/api/v1/alerts/receivers",
                             {"name": "flaky", "kind": "webhook", "url": self.rx.url("/flaky")})
        r = srv.post("/api/v1/reports/schedules",
                     {"name": "weekly", "cron": "0 8 * * 1", "period": "week", "format": "xlsx",
                      "receivers": [flaky["id"]]})
        self.assertStatus(r, 200)
        # the schedule's last occurrence is due: the scheduler writes it when the server starts
        srv.stop()
        db = sqlite3.connect(os.path.join(srv.data, "kesu.db"))
        db.execute("UPDATE report_schedules SET last_due=strftime('%s','now')-8*86400")
        db.commit()
        db.close()
        srv.start()
        reps = wait_for(lambda: [i for i in srv.get("/api/v1/reports").json["items"]
                                 if i.get("schedule_id")], "the scheduled report", timeout=30)
        self.assertEqual(len(reps), 1)

        def sent():
            d = srv.get("/api/v1/reports/%d" % reps[0]["id"]).json["deliveries"]
            return d if d and d[0]["state"] == "sent" else None
        d = wait_for(sent, "the third attempt", timeout=20)[0]
        self.assertEqual(d["receiver_id"], flaky["id"])
        self.assertEqual(d["attempts"], 3)
        self.assertEqual(d["last_error"], "HTTP 500")
        self.assertEqual([(x["ok"], x["error"]) for x in d["log"]],
                         [(False, "HTTP 500"), (False, "HTTP 500"), (True, None)])
        reqs = self.rx.on("/flaky")
        self.assertEqual(len(reqs), 3)
        gaps = [reqs[i + 1]["at"] - reqs[i]["at"] for i in range(2)]
        self.assertGreaterEqual(gaps[0], 0.25)   # retry base 0.3 s
        self.assertGreaterEqual(gaps[1], 0.55)   # then doubled
        body = json.loads(reqs[-1]["body"])
        self.assertTrue(body["link"].endswith("/api/v1/reports/%d/file" % reps[0]["id"]))

    def test_bad_recipients_are_refused_and_the_cli_sends_on_demand(self):
        srv = self.start()
        base = {"name": "x", "cron": "0 8 * * 1", "period": "week", "format": "html"}
        for extra, field in [
            ({"emails": ["not-an-address"]}, "emails[0]"),
            ({"emails": ["a@example.com", "b@localhost"]}, "emails[1]"),
            ({"emails": ["a b@example.com"]}, "emails[0]"),
            ({"emails": ["<a@example.com>"]}, "emails[0]"),
            ({"emails": "a@example.com"}, "emails"),
            ({"receivers": [999]}, "receivers[0]"),
            ({"receivers": ["1"]}, "receivers[0]"),
            ({"receivers": 1}, "receivers"),
        ]:
            with self.subTest(extra=extra):
                self.assertError(srv.post("/api/v1/reports/schedules", dict(base, **extra)), 400,
                                 "invalid_field", field)
        self.assertEqual(srv.get("/api/v1/reports/schedules").json["items"], [])
        self.assertError(srv.post("/api/v1/reports", {"period": "week", "format": "html",
                                                      "emails": ["nobody"]}),
                         400, "invalid_field", "emails[0]")
        self.assertError(srv.get("/api/v1/reports/999"), 404, "not_found", "id")
        self.assertError(srv.post("/api/v1/reports/schedules/999/run"), 404, "not_found", "id")

        # the CLI checks the same way, and sends a report made on demand at once
        p = run_cli(srv.data, "report", "schedule", "add", "cli", "--cron", "0 8 * * 1",
                    "--period", "week", "--format", "html", "--email", "bad@@example.com")
        self.assertEqual(p.returncode, 2, describe_proc(p))
        self.assertIn("emails[0]", p.stderr)
        p = run_cli(srv.data, "report", "schedule", "add", "cli", "--cron", "0 8 * * 1",
                    "--period", "week", "--format", "html", "--receiver", "42")
        self.assertEqual(p.returncode, 2, describe_proc(p))
        self.assertIn("receivers[0]", p.stderr)
        out = os.path.join(srv.tmp, "weekly.html")
        p = run_cli(srv.data, "report", "--period", "week", "--format", "html", "--out", out,
                    "--email", "boss@example.com")
        self.assertEqual(p.returncode, 0, describe_proc(p))
        self.assertIn("boss@example.com", p.stdout)
        self.assertIn("sent", p.stdout)
        self.assertEqual(len(self.smtp.messages), 1)
        msg = email.message_from_bytes(self.smtp.messages[0][2], policy=email.policy.default)
        att = list(msg.iter_attachments())[0]
        with open(out, "rb") as f:
            self.assertEqual(att.get_payload(decode=True), f.read())

    def test_addresses_need_an_smtp_server(self):
        srv = self.start(smtp=False)
        self.assertError(srv.post("/api/v1/reports/schedules",
                                  {"name": "x", "cron": "0 8 * * 1", "period": "week",
                                   "format": "html", "emails": ["a@example.com"]}),
                         400, "invalid_field", "emails")


if __name__ == "__main__":
    unittest.main()
