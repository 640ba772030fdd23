"""kesu's own outbox sender (loop/mailer.c): with smtp_url set, a closed case's survey link is
mailed to the customer's e-mail original (opened from the sealed vault, never logged), and the
link answers the survey; SMTP failures are retried with backoff and recorded; a message is
sent at most once, even when kesu is killed during the SMTP conversation; a customer with a
phone only gets an SMS through the signed gateway webhook, one with neither is marked
"no address"; staff reminders go to the user's e-mail or are left for an external mailer;
nothing is sent when kesu's sender is not configured; `kesu capa outbox --send` runs a pass.

    KESU_BIN=build/kesu /usr/bin/python3 -m unittest tests/api/test_outbox_send.py -v
"""

import base64
import email
import email.policy
import hashlib
import hmac
import json
import os
import socket
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from kesu_server import SLOW, ServerTestCase, describe_proc, run_cli  # noqa: E402
from test_alerts import Receiver, SMTPReceiver, wait_for  # noqa: E402

API = "/api/v1"
CUSTOMER = "li.lei.kesu@example.com"
PHONE = "13912345678"
SMS_SECRET = "sms-secret-42"


class FlakySMTP(SMTPReceiver):
    """The loopback SMTP receiver of test_alerts.py with two faults: refuse (every RCPT gets
    451, so nothing is accepted) and hang (after the message's final dot, no answer until
    released: the sender is inside the SMTP conversation)."""

    def __init__(self):
        self.refuse = False
        self.hang = threading.Event()
        self.release = threading.Event()
        self.sessions = 0
        super().__init__()

    def session(self, conn):
        self.sessions += 1
        if self.refuse:
            return self.refusing(conn)
        if self.hang.is_set():
            return self.hanging(conn)
        return super().session(conn)

    def refusing(self, conn):
        conn.settimeout(10)
        f = conn.makefile("rb")
        conn.sendall(b"220 localhost test ESMTP\r\n")
        while True:
            line = f.readline()
            if not line:
                return
            cmd = line[:4].upper()
            if cmd == b"EHLO":
                conn.sendall(b"250-localhost\r\n250 8BITMIME\r\n")
            elif cmd == b"RCPT":
                conn.sendall(b"451 4.3.0 mailbox busy, try later\r\n")
            elif cmd == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            else:
                conn.sendall(b"250 OK\r\n")

    def hanging(self, conn):
        conn.settimeout(30)
        f = conn.makefile("rb")
        conn.sendall(b"220 localhost test ESMTP\r\n")
        rcpts = []
        while True:
            line = f.readline()
            if not line:
                return
            cmd = line[:4].upper()
            if cmd == b"EHLO":
                conn.sendall(b"250-localhost\r\n250 8BITMIME\r\n")
            elif cmd == b"RCPT":
                rcpts.append(line[8:].strip().decode())
                conn.sendall(b"250 OK\r\n")
            elif cmd == b"DATA":
                conn.sendall(b"354 go ahead\r\n")
                data = []
                while True:
                    ln = f.readline()
                    if ln in (b".\r\n", b".\n", b""):
                        break
                    data.append(ln)
                self.messages.append((None, rcpts, b"".join(data)))
                self.release.wait(30)  # never answers 250 while the test kills kesu
                return
            else:
                conn.sendall(b"250 OK\r\n")


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class OutboxSendTest(ServerTestCase):
    def setUp(self):
        super().setUp()
        self.smtp = FlakySMTP()
        self.rx = None

    def tearDown(self):
        self.smtp.release.set()
        self.smtp.close()
        if self.rx:
            self.rx.close()
        super().tearDown()

    def make_server(self, smtp=True, **settings):
        srv = self.server(start=False)
        conf = {"outbox_interval": "0.2", "outbox_retry_base": "0.3"}
        if smtp:
            conf.update(smtp_url="smtp://127.0.0.1:%d" % self.smtp.port,
                        smtp_from="huifang@kesu.example")
        conf.update(settings)
        with open(os.path.join(srv.data, "kesu.conf"), "w") as f:
            for k, v in conf.items():
                f.write("%s = %s\n" % (k, v))
        srv.start()
        return srv

    def new_case(self, srv, **fields):
        body = {"channel": "web", "text": "净水器漏水，师傅上门两次都没修好", "customer_id": "C-%d"
                % time.monotonic_ns()}
        body.update(fields)
        r = srv.post(API + "/feedback", body)
        self.assertStatus(r, 201)
        return r.json["id"]

    def close_case(self, srv, fid):
        for st in ("acknowledged", "assessed", "investigating", "responded", "closed"):
            r = srv.post(API + "/feedback/%d/transitions" % fid, {"to": st, "note": "处理 " + st})
            self.assertStatus(r, 200, st)

    def outbox_row(self, srv, fid):
        rows = [m for m in srv.get(API + "/outbox?limit=1000").json["items"]
                if m["feedback_id"] == fid]
        self.assertEqual(len(rows), 1, rows)
        return rows[0]

    def wait_row(self, srv, fid, pred, what):
        return wait_for(lambda: (lambda m: m if pred(m) else None)(self.outbox_row(srv, fid)),
                        what)

    def logs(self, srv):
        out = srv.stderr_text(limit=10 ** 9)
        try:
            with open(os.path.join(srv.data, "kesu.log"), encoding="utf-8",
                      errors="replace") as f:
                out += f.read()
        except OSError:
            pass
        return out

    # ---- the survey by e-mail ------------------------------------------------------------

    def test_closed_case_survey_is_mailed_and_the_link_answers(self):
        srv = self.make_server()
        fid = self.new_case(srv, email=CUSTOMER, phone=PHONE, customer_name="李雷")
        # what the API shows is masked: the address comes from the sealed original
        self.assertNotIn(CUSTOMER, srv.get(API + "/feedback/%d" % fid).body.decode())
        self.close_case(srv, fid)
        wait_for(lambda: self.smtp.messages, "the survey e-mail")
        mail_from, rcpts, data = self.smtp.messages[0]
        self.assertEqual(mail_from, "<huifang@kesu.example>")
        self.assertEqual(rcpts, ["<%s>" % CUSTOMER])
        msg = email.message_from_bytes(data, policy=email.policy.default)
        self.assertEqual(str(msg["Subject"]), "服务回访 / How did we do?")
        self.assertIn("=?UTF-8?B?", data.decode("ascii"))  # RFC 2047 on the wire
        self.assertIn(CUSTOMER, str(msg["To"]))
        text = msg.get_body(("plain",)).get_content()
        row = self.wait_row(srv, fid, lambda m: m["sent_at"], "sent_at")
        self.assertIn(row["link"], text)
        self.assertIn("已处理完毕", text)
        html = msg.get_body(("html",)).get_content()
        self.assertIn('<a href="%s">' % row["link"], html)
        self.assertEqual((row["send_state"], row["channel"], row["attempts"]),
                         ("sent", "email", 1))
        self.assertEqual(srv.get(API + "/outbox?unsent=true").json["items"], [])
        # the link from the e-mail answers the survey, once
        path = urllib.parse.urlparse([w for w in text.split() if "/s/" in w][0]).path
        r = srv.request("POST", path, {"csat": 5, "nps": 9, "handling": 5}, auth=False)
        self.assertEqual(r.status // 100, 2, r.describe())
        self.assertEqual(srv.request("POST", path, {"csat": 5}, auth=False).status, 410)
        # the case's timeline says it was sent, not to whom
        events = srv.get(API + "/feedback/%d" % fid).json["timeline"]
        sent = [e for e in events if e["kind"] == "survey" and e.get("after") == "sent"]
        self.assertEqual(len(sent), 1, events)
        self.assertNotIn(CUSTOMER, json.dumps(events, ensure_ascii=False))
        # one message, and the address is in no log
        time.sleep(0.6)
        self.assertEqual(len(self.smtp.messages), 1)
        srv.stop()
        self.assertNotIn(CUSTOMER, self.logs(srv))
        self.assertNotIn(PHONE, self.logs(srv))

    def test_smtp_failure_is_retried_with_backoff_then_sent(self):
        self.smtp.refuse = True
        srv = self.make_server(outbox_retry_base="0.4")
        fid = self.new_case(srv, email=CUSTOMER)
        self.close_case(srv, fid)
        row = self.wait_row(srv, fid, lambda m: m["attempts"] >= 2, "two failed attempts")
        self.assertIsNone(row["sent_at"])
        self.assertEqual(row["send_state"], "retry")
        self.assertIn("451", row["last_error"])
        self.assertNotIn(CUSTOMER, row["last_error"])
        self.assertIsNotNone(row["next_at"])
        self.assertEqual(self.smtp.messages, [])
        # the mail server is back: a later attempt succeeds
        self.smtp.refuse = False
        row = self.wait_row(srv, fid, lambda m: m["sent_at"], "the delivery after the failures")
        self.assertEqual(row["send_state"], "sent")
        self.assertGreaterEqual(row["attempts"], 3)
        self.assertIn("451", row["last_error"])  # why it was late
        self.assertEqual([m[1] for m in self.smtp.messages], [["<%s>" % CUSTOMER]])
        srv.stop()
        self.assertNotIn(CUSTOMER, self.logs(srv))

    def test_gives_up_after_max_attempts(self):
        srv = self.make_server(smtp_url="smtp://127.0.0.1:%d" % closed_port(),
                               outbox_retry_base="0.05", outbox_max_attempts="3")
        fid = self.new_case(srv, email=CUSTOMER)
        self.close_case(srv, fid)
        row = self.wait_row(srv, fid, lambda m: m["send_state"] == "failed", "giving up")
        self.assertEqual(row["attempts"], 3)
        self.assertIsNone(row["sent_at"])
        self.assertTrue(row["last_error"])
        time.sleep(0.5)
        self.assertEqual(self.outbox_row(srv, fid)["attempts"], 3)

    # ---- at most once --------------------------------------------------------------------

    def test_killed_during_smtp_is_not_sent_again_after_restart(self):
        self.smtp.hang.set()
        srv = self.make_server(outbox_timeout="2")
        fid = self.new_case(srv, email=CUSTOMER)
        self.close_case(srv, fid)
        wait_for(lambda: self.smtp.messages, "the message to reach the mail server")
        srv.kill()  # inside the SMTP conversation: the server has the message, kesu no answer
        self.smtp.hang.clear()
        self.smtp.release.set()
        srv.start()
        # the claim outlives the attempt's limit (2 x outbox_timeout): marked interrupted
        row = self.wait_row(srv, fid, lambda m: m["send_state"] == "interrupted",
                            "the interrupted claim")
        self.assertIsNone(row["sent_at"])
        self.assertEqual(row["attempts"], 1)
        self.assertIn("at most once", row["last_error"])
        # the sender works after the restart, and never re-sends the first message
        other = self.new_case(srv, email="han.meimei@example.com")
        self.close_case(srv, other)
        self.wait_row(srv, other, lambda m: m["sent_at"], "the next case's survey")
        time.sleep(0.6)
        rcpts = [m[1] for m in self.smtp.messages]
        self.assertEqual(rcpts, [["<%s>" % CUSTOMER], ["<han.meimei@example.com>"]])
        self.assertIsNone(self.outbox_row(srv, fid)["sent_at"])

    # ---- SMS, no address, staff ----------------------------------------------------------

    def test_phone_only_gets_a_signed_sms_and_no_contact_is_no_address(self):
        self.rx = Receiver()
        srv = self.make_server(sms_webhook_url=self.rx.url("/sms"),
                               sms_webhook_secret=SMS_SECRET)
        by_phone = self.new_case(srv, phone=PHONE)
        nobody = self.new_case(srv)
        self.close_case(srv, by_phone)
        self.close_case(srv, nobody)
        wait_for(lambda: self.rx.on("/sms"), "the SMS webhook")
        req = self.rx.on("/sms")[0]
        body = json.loads(req["body"])
        self.assertEqual((body["event"], body["kind"], body["to"]),
                         ("outbox.sms", "survey_link", PHONE))
        self.assertIn(body["link"], body["text"])
        ts = req["headers"]["X-Kesu-Timestamp"]
        want = "sha256=" + hmac.new(SMS_SECRET.encode(), ts.encode() + b"." + req["body"],
                                    hashlib.sha256).hexdigest()
        self.assertEqual(req["headers"]["X-Kesu-Signature"], want)
        row = self.wait_row(srv, by_phone, lambda m: m["sent_at"], "sent_at")
        self.assertEqual(row["channel"], "sms")
        row = self.wait_row(srv, nobody, lambda m: m["send_state"] == "no_address", "no address")
        self.assertEqual((row["last_error"], row["attempts"], row["sent_at"]),
                         ("no address", 0, None))
        time.sleep(0.6)
        self.assertEqual(self.outbox_row(srv, nobody)["attempts"], 0)  # not retried
        self.assertEqual(len(self.rx.on("/sms")), 1)
        self.assertEqual(self.smtp.messages, [])
        srv.stop()
        self.assertNotIn(PHONE, self.logs(srv))

    def test_staff_reminders_go_to_the_users_email_or_to_an_external_mailer(self):
        srv = self.make_server(capa_interval="0.2")
        p = run_cli(srv.data, "user", "add", "quality9", "--role", "agent", "--email",
                    "quality9@kesu.example", input="a-long-password-9\n")
        self.assertEqual(p.returncode, 0, describe_proc(p))
        due = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
        ids = {}
        for owner in ("quality9", "nomail"):
            r = srv.post(API + "/actions", {"title": "培训 " + owner, "type": "preventive",
                                            "term": "short", "owner": owner, "category": "服务",
                                            "due_at": due})
            self.assertStatus(r, 201)
            ids[owner] = r.json["id"]

        def rows():
            items = srv.get(API + "/outbox").json["items"]
            got = {m["action_id"]: m for m in items if m["kind"] == "action_reminder"}
            return got if len(got) == 2 and all(m["send_state"] in ("sent", "external")
                                                for m in got.values()) else None
        got = wait_for(rows, "both reminders handled")
        self.assertEqual(got[ids["quality9"]]["send_state"], "sent")
        self.assertEqual(got[ids["nomail"]]["send_state"], "external")
        self.assertIsNone(got[ids["nomail"]]["sent_at"])
        self.assertIn("external mailer", got[ids["nomail"]]["last_error"])
        self.assertEqual([m[1] for m in self.smtp.messages], [["<quality9@kesu.example>"]])
        # an external mailer still reports the one kesu left
        mid = got[ids["nomail"]]["id"]
        self.assertEqual(srv.post(API + "/outbox/%d/sent" % mid, {}).json["sent"], True)

    # ---- off, and the CLI ------------------------------------------------------------------

    def test_nothing_is_sent_when_not_configured(self):
        srv = self.make_server(smtp=False)
        fid = self.new_case(srv, email=CUSTOMER)
        self.close_case(srv, fid)
        time.sleep(1.5 * SLOW)
        self.assertEqual(self.smtp.messages, [])
        self.assertEqual(self.smtp.sessions, 0)
        row = self.outbox_row(srv, fid)
        self.assertEqual((row["send_state"], row["attempts"], row["sent_at"]), (None, 0, None))
        p = run_cli(srv.data, "capa", "outbox", "--send")
        self.assertEqual(p.returncode, 2, describe_proc(p))
        self.assertIn("off", p.stderr)
        self.assertEqual(self.outbox_row(srv, fid)["send_state"], None)

    def test_cli_pass_retries_then_sends(self):
        srv = self.make_server(smtp=False)
        fid = self.new_case(srv, email=CUSTOMER)
        self.close_case(srv, fid)
        srv.stop()
        down = {"KESU_SMTP_URL": "smtp://127.0.0.1:%d" % closed_port(),
                "KESU_SMTP_FROM": "huifang@kesu.example", "KESU_OUTBOX_RETRY_BASE": "0.05"}
        p = run_cli(srv.data, "capa", "outbox", "--send", env=down)
        self.assertEqual(p.returncode, 1, describe_proc(p))
        self.assertIn("1 message(s): 0 sent by e-mail", p.stdout)
        self.assertIn("1 to retry", p.stdout)
        self.assertNotIn(CUSTOMER, p.stdout + p.stderr)
        time.sleep(0.1)
        up = dict(down, KESU_SMTP_URL="smtp://127.0.0.1:%d" % self.smtp.port)
        p = run_cli(srv.data, "capa", "outbox", "--send", env=up)
        self.assertEqual(p.returncode, 0, describe_proc(p))
        self.assertIn("1 message(s): 1 sent by e-mail", p.stdout)
        self.assertNotIn(CUSTOMER, p.stdout + p.stderr)
        self.assertEqual([m[1] for m in self.smtp.messages], [["<%s>" % CUSTOMER]])
        p = run_cli(srv.data, "capa", "outbox", "--send", env=up)
        self.assertIn("0 message(s)", p.stdout)
        p = run_cli(srv.data, "capa", "outbox", "--json")
        row = [m for m in json.loads(p.stdout)["items"] if m["feedback_id"] == fid][0]
        self.assertEqual((row["send_state"], row["attempts"]), ("sent", 2))
        self.assertIsNotNone(row["sent_at"])

    def test_unreadable_original_counts_as_a_failed_attempt(self):
        srv = self.make_server(smtp=False)
        fid = self.new_case(srv, email=CUSTOMER)
        self.close_case(srv, fid)
        srv.stop()
        # another key under the same id: the sealed original no longer opens
        path = os.path.join(srv.data, "keys", "field.key")
        os.unlink(path)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, b"k1 " + base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=") + b"\n")
        os.close(fd)
        env = {"KESU_SMTP_URL": "smtp://127.0.0.1:%d" % self.smtp.port,
               "KESU_SMTP_FROM": "huifang@kesu.example", "KESU_OUTBOX_RETRY_BASE": "0.01",
               "KESU_OUTBOX_MAX_ATTEMPTS": "2"}
        for want in ("1 to retry", "1 failed"):
            time.sleep(0.1)
            p = run_cli(srv.data, "capa", "outbox", "--send", env=env)
            self.assertEqual(p.returncode, 1, want + "\n" + describe_proc(p) +
                             run_cli(srv.data, "capa", "outbox", "--json").stdout)
            self.assertIn(want, p.stdout, describe_proc(p))
        p = run_cli(srv.data, "capa", "outbox", "--json")
        row = [m for m in json.loads(p.stdout)["items"] if m["feedback_id"] == fid][0]
        self.assertEqual((row["send_state"], row["attempts"]), ("failed", 2))
        self.assertIn("cannot read the recipient", row["last_error"])
        self.assertEqual(self.smtp.messages, [])
