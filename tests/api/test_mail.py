"""E-mail intake end to end: `kesu import --mail` on a Maildir, an mbox and .eml files
(idempotent re-import, rejections named by file and message number), and
`kesu serve --watch-maildir` taking mail delivered the way an MTA delivers it.

Fixtures: tests/fixtures/mail/ (see make_fixtures.py there).
"""

import os
import re
import shutil
import tempfile
import time
import unittest

from kesu_server import ROOT, SLOW, ServerTestCase, describe_proc, run_cli

FIX = os.path.join(ROOT, "tests", "fixtures", "mail")
EMLS = sorted(f for f in os.listdir(FIX) if f.endswith(".eml"))
SUMMARY = re.compile(r"(\d+) messages: (\d+) stored, (\d+) already present, (\d+) rejected")

EXPECTED_TEXT = {
    "gbk-qp-001@mail.example.cn": "客服王喆和李堃都没有回复",
    "big5-b64-002@example.tw": "請問如何退貨",
    "gb2312-subject-003@example.cn": "快递三天没有更新物流信息",
    "html-only-004@example.cn": "漏水 & 噪音很大",
    "alt-005@example.cn": "纯文本版本",
    "attach-006@example.cn": "发票和损坏照片见附件",
}


def make_maildir(root):
    for sub in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    return root


def deliver(maildir, name, data):
    """As an MTA: write into tmp/, then rename into new/."""
    tmp = os.path.join(maildir, "tmp", name)
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, os.path.join(maildir, "new", name))


def fixture(name):
    with open(os.path.join(FIX, name), "rb") as f:
        return f.read()


class MailCase(ServerTestCase):
    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="kesu-mail-")
        self.data = os.path.join(self.tmp, "data")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def kesu(self, *args, code=0):
        p = run_cli(self.data, *args)
        if code is not None and p.returncode != code:
            self.fail("expected exit status %d\n%s" % (code, describe_proc(p)))
        return p

    def summary(self, p, path):
        for line in p.stdout.splitlines():
            if line.startswith(path + ":"):
                m = SUMMARY.search(line)
                if m:
                    return tuple(int(x) for x in m.groups())
        self.fail("no summary for %s in the output\n%s" % (path, describe_proc(p)))

    def exported(self):
        import json
        p = self.kesu("export", "--format", "jsonl", "--channel", "email")
        return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


class ImportMailTest(MailCase):
    def test_maildir_import_and_reimport(self):
        md = make_maildir(os.path.join(self.tmp, "Maildir"))
        for i, name in enumerate(EMLS):
            sub = "new" if i % 2 else "cur"
            shutil.copy(os.path.join(FIX, name), os.path.join(md, sub, "%d.%s" % (i, name)))
        with open(os.path.join(md, "tmp", "half-delivered"), "wb") as f:
            f.write(fixture("gbk_qp.eml")[:100])
        with open(os.path.join(md, "new", "9.empty"), "wb") as f:
            f.write(b"\n")
        p = self.kesu("import", "--mail", md, code=3)
        self.assertEqual(self.summary(p, md), (len(EMLS) + 1, len(EMLS), 0, 1), describe_proc(p))
        self.assertIn(os.path.join(md, "new", "9.empty") + ": ", p.stderr)
        self.assertIn("neither body text nor a subject", p.stderr)
        recs = self.exported()
        self.assertEqual(len(recs), len(EMLS))
        by_id = {r["external_id"]: r for r in recs}
        for mid, text in EXPECTED_TEXT.items():
            self.assertIn(mid, by_id)
            self.assertIn(text, by_id[mid]["text"])
            self.assertEqual(by_id[mid]["channel"], "email")
        # the sender's name is personal data: masked like every door's (kesu reveal opens it)
        self.assertEqual(by_id["gbk-qp-001@mail.example.cn"]["customer_name"], "张*")
        self.assertEqual(by_id["gbk-qp-001@mail.example.cn"]["received_at"],
                         "2026-11-21T10:15:00+08:00")
        self.assertEqual(by_id["gb2312-subject-003@example.cn"]["title"], "关于王喆的服务投诉")
        att = by_id["attach-006@example.cn"]["attachments"]
        self.assertEqual([(a["name"], a["type"]) for a in att],
                         [("发票.pdf", "application/pdf"), ("photo.jpg", "image/jpeg")])
        self.assertTrue(any(r["external_id"].startswith("nomid:") for r in recs))
        # the source is left as it was
        self.assertEqual(len(os.listdir(os.path.join(md, "new"))), len(EMLS) // 2 + 1)

        # re-import: no duplicates
        p = self.kesu("import", "--mail", md, code=3)
        self.assertEqual(self.summary(p, md), (len(EMLS) + 1, 0, len(EMLS), 1), describe_proc(p))
        self.assertEqual(len(self.exported()), len(EMLS))

    def test_mbox_and_eml(self):
        mbox = os.path.join(FIX, "three.mbox")
        eml = os.path.join(FIX, "gbk_qp.eml")
        p = self.kesu("import", "--mail", mbox, eml)
        self.assertEqual(self.summary(p, mbox), (3, 3, 0, 0))
        self.assertEqual(self.summary(p, eml), (1, 1, 0, 0))
        self.assertIn("total: 4 messages: 4 stored", p.stdout)
        p = self.kesu("import", "--mail", mbox, eml)
        self.assertEqual(self.summary(p, mbox), (3, 0, 3, 0))
        self.assertEqual(self.summary(p, eml), (1, 0, 1, 0))
        self.assertEqual(len(self.exported()), 4)

    def test_standard_input(self):
        # one message piped in, as an MTA's pipe transport would
        p = run_cli(self.data, "import", "--mail", "-", input=fixture("gbk_qp.eml").decode())
        self.assertEqual(p.returncode, 0, describe_proc(p))
        self.assertEqual(self.summary(p, "-"), (1, 1, 0, 0))
        # an mbox on standard input
        p = run_cli(self.data, "import", "--mail", "-", input=fixture("three.mbox").decode())
        self.assertEqual(self.summary(p, "-"), (3, 3, 0, 0), describe_proc(p))
        p = run_cli(self.data, "import", "--mail", "-", input=fixture("gbk_qp.eml").decode())
        self.assertEqual(self.summary(p, "-"), (1, 0, 1, 0), describe_proc(p))
        p = run_cli(self.data, "import", "--mail", "-", input="")
        self.assertEqual(p.returncode, 3, describe_proc(p))
        self.assertIn("(stdin): the message is empty", p.stderr)
        self.assertEqual(len(self.exported()), 4)

    def test_mbox_rejection_names_the_message(self):
        path = os.path.join(self.tmp, "bad.mbox")
        with open(path, "wb") as f:
            f.write(b"From a@x Sat Nov 14 01:00:00 2026\nFrom: a@x.cn\nSubject: ok\n\nfine\n\n"
                    b"From b@x Sat Nov 14 02:00:00 2026\nFrom: b@x.cn\n\n\n\n"
                    b"From c@x Sat Nov 14 03:00:00 2026\nFrom: c@x.cn\nSubject: ok too\n\nyes\n")
        p = self.kesu("import", "--mail", path, code=3)
        self.assertEqual(self.summary(p, path), (3, 2, 0, 1))
        self.assertIn(path + " message 2: ", p.stderr)

    def test_not_a_maildir(self):
        d = os.path.join(self.tmp, "plain-dir")
        os.makedirs(d)
        p = self.kesu("import", "--mail", d, code=1)
        self.assertIn("not a Maildir", p.stderr)
        p = self.kesu("import", "--mail", "--format", "csv", d, code=2)


class WatchMaildirTest(MailCase):
    def wait_for(self, srv, pred, what, timeout=5.0):
        deadline = time.monotonic() + timeout * SLOW
        while time.monotonic() < deadline:
            items = srv.list_all("channel=email")
            if pred(items):
                return items
            time.sleep(0.05)
        self.fail("%s: not seen within %.0f s (have %r)" % (what, timeout * SLOW, items))

    def test_new_mail_is_stored_then_moved(self):
        md = make_maildir(os.path.join(self.tmp, "Maildir"))
        # a long scan interval: prompt pick-up must come from inotify
        srv = self.server(extra_args=["--watch-maildir", md, "--maildir-scan", "600"])
        deliver(md, "1700000000.1.host", fixture("big5_b64.eml"))
        items = self.wait_for(srv, lambda it: len(it) == 1, "the delivered message")
        self.assertEqual(items[0]["external_id"], "big5-b64-002@example.tw")
        self.assertIn("請問如何退貨", items[0]["text"])
        deadline = time.monotonic() + 5 * SLOW
        while os.listdir(os.path.join(md, "new")) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(os.listdir(os.path.join(md, "new")), [])
        self.assertEqual(os.listdir(os.path.join(md, "cur")), ["1700000000.1.host:2,S"])

        # a re-delivery of the same message: moved, not stored twice
        deliver(md, "1700000001.2.host", fixture("big5_b64.eml"))
        # a message that cannot be used: moved flagged
        deliver(md, "1700000002.3.host", b"X-Nothing: here\n\n\n")
        deliver(md, "1700000003.4.host", fixture("gbk_qp.eml"))
        self.wait_for(srv, lambda it: len(it) == 2, "the second message")
        deadline = time.monotonic() + 5 * SLOW
        while len(os.listdir(os.path.join(md, "cur"))) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(sorted(os.listdir(os.path.join(md, "cur"))),
                         ["1700000000.1.host:2,S", "1700000001.2.host:2,S",
                          "1700000002.3.host:2,F", "1700000003.4.host:2,S"])
        self.assertEqual(len(srv.list_all("channel=email")), 2)

    def test_mail_waiting_at_start_and_redelivery_after_a_crash(self):
        md = make_maildir(os.path.join(self.tmp, "Maildir"))
        srv = self.server(start=False, data_dir=self.data)
        # stored before, but still in new/: as if the server died between commit and rename
        deliver(md, "1.a.host", fixture("gbk_qp.eml"))
        self.kesu("import", "--mail", md)
        deliver(md, "2.b.host", fixture("html_only.eml"))
        srv.extra_args = ["--watch-maildir", md, "--maildir-scan", "600"]
        srv.start()
        items = self.wait_for(srv, lambda it: len(it) == 2, "the waiting messages")
        self.assertEqual(sorted(i["external_id"] for i in items),
                         ["gbk-qp-001@mail.example.cn", "html-only-004@example.cn"])
        deadline = time.monotonic() + 5 * SLOW
        while os.listdir(os.path.join(md, "new")) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(sorted(os.listdir(os.path.join(md, "cur"))),
                         ["1.a.host:2,S", "2.b.host:2,S"])
        # killed and restarted: nothing is taken twice
        srv.kill()
        deliver(md, "3.c.host", fixture("gbk_qp.eml"))
        srv.start()
        deadline = time.monotonic() + 5 * SLOW
        while os.listdir(os.path.join(md, "new")) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(os.listdir(os.path.join(md, "new")), [])
        self.assertEqual(len(srv.list_all("channel=email")), 2)

    def test_periodic_scan_without_events(self):
        md = make_maildir(os.path.join(self.tmp, "Maildir"))
        srv = self.server(extra_args=["--watch-maildir", md, "--maildir-scan", "0.3"])
        # written straight into cur/'s sibling and hard-linked into new/: no inotify event
        # for IN_MOVED_TO or IN_CLOSE_WRITE in new/, only the scan finds it
        src = os.path.join(self.tmp, "outside.eml")
        with open(src, "wb") as f:
            f.write(fixture("alternative.eml"))
        os.link(src, os.path.join(md, "new", "5.e.host"))
        items = self.wait_for(srv, lambda it: len(it) == 1, "the linked message")
        self.assertEqual(items[0]["external_id"], "alt-005@example.cn")

    def test_bad_directory(self):
        srv = self.server(start=False,
                          extra_args=["--watch-maildir", os.path.join(self.tmp, "missing")])
        with self.assertRaises(Exception):
            srv.start()


if __name__ == "__main__":
    unittest.main()
