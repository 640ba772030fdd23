"""CLI behaviour of kesu: help and exit codes, API keys, migrate, import, export, demo.

The CLI commands open the SQLite store in --data directly; each test uses its own temp
data dir. Some tests run `kesu serve` on the same dir at the same time.
"""

import csv
import io
import json
import os
import re
import shutil
import tempfile
import threading
import time
import unittest

from kesu_server import SLOW, ServerTestCase, describe_proc, kesu_bin, run_cli

API = "/api/v1/feedback"
COMMANDS = ["serve", "import", "export", "demo", "apikey", "qr", "quality", "reveal", "audit",
            "seg", "train", "eval", "classify", "migrate",
            "version",
            "help"]
SUMMARY = re.compile(r"(\d+) rows: (\d+) stored, (\d+) already present, (\d+) rejected")


class CliCase(ServerTestCase):
    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="kesu-cli-")
        self.data = os.path.join(self.tmp, "data")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def kesu(self, *args, code=0, data=True, input=None):
        p = run_cli(self.data if data else None, *args, input=input)
        if code is not None and p.returncode != code:
            self.fail("expected exit status %d\n%s" % (code, describe_proc(p)))
        return p

    def write(self, name, text, encoding="utf-8"):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding=encoding, newline="") as f:
            f.write(text)
        return path

    def summary(self, p, path=None):
        """(rows, stored, existing, rejected) from an import's output."""
        for line in p.stdout.splitlines():
            if path is None or line.startswith(path + ":"):
                m = SUMMARY.search(line)
                if m:
                    return tuple(int(x) for x in m.groups())
        self.fail("no import summary in the output\n" + describe_proc(p))

    def export_jsonl(self, *filters):
        p = self.kesu("export", "--format", "jsonl", *filters)
        return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


# ---------------------------------------------------------------------------------------------
class HelpTest(CliCase):
    def test_version(self):
        for args in (["version"], ["--version"]):
            p = self.kesu(*args, data=False)
            self.assertRegex(p.stdout, r"^kesu \d+\.\d+\.\d+", describe_proc(p))

    def test_help(self):
        for args in (["help"], ["--help"], ["-h"]):
            p = self.kesu(*args, data=False)
            for c in COMMANDS:
                self.assertIn(c, p.stdout, "command %s not in the help\n%s" %
                              (c, describe_proc(p)))

    def test_every_command_has_help(self):
        for c in COMMANDS:
            with self.subTest(command=c):
                p = self.kesu(c, "--help", data=False)
                self.assertIn("usage", p.stdout.lower(), describe_proc(p))
                if c != "help":
                    p = self.kesu("help", c, data=False)
                    self.assertIn("usage", p.stdout.lower(), describe_proc(p))

    def test_usage_errors_exit_2(self):
        for args in (["frobnicate"], [], ["--bogus", "version"], ["help", "frobnicate"],
                     ["import"], ["import", "--format", "xml", "x.jsonl"],
                     ["import", "--channel", "fax", "x.jsonl"], ["export", "--format", "xml"],
                     ["export", "extra-arg"], ["export", "--since", "yesterday"],
                     ["demo", "--count", "0"], ["demo", "--count", "x"], ["migrate", "x"],
                     ["apikey"], ["apikey", "frob"], ["apikey", "create"],
                     ["apikey", "revoke", "abc"], ["apikey", "list", "x"],
                     ["serve", "--listen", "nonsense"], ["serve", "--bogus"]):
            with self.subTest(args=args):
                p = self.kesu(*args, code=None)
                self.assertEqual(p.returncode, 2, describe_proc(p))
                self.assertTrue(p.stderr.strip(), "no message on stderr\n" + describe_proc(p))


# ---------------------------------------------------------------------------------------------
class MigrateAndKeysTest(CliCase):
    def test_migrate(self):
        p = self.kesu("migrate")
        m = re.search(r"schema version (\d+)", p.stdout)
        self.assertTrue(m, describe_proc(p))
        self.assertGreaterEqual(int(m.group(1)), 1)
        p2 = self.kesu("migrate")
        self.assertEqual(re.search(r"schema version (\d+)", p2.stdout).group(1), m.group(1))

    def test_apikey_create_list_revoke(self):
        srv = self.server(data_dir=self.data)
        p = self.kesu("apikey", "create", "crm-sync")
        key = p.stdout.strip().splitlines()[-1]
        self.assertRegex(key, r"^ksk_[0-9a-f]{48}$", "the key alone on the last line\n" +
                         describe_proc(p))
        kid = int(re.search(r"\b(\d+)\b", p.stdout).group(1))
        r = srv.request("GET", API + "?limit=1", auth=key)
        self.assertStatus(r, 200, "the new key must work")
        r = srv.request("POST", API, {"channel": "web", "text": "by crm-sync"}, auth=key)
        self.assertStatus(r, 201)
        ev = srv.get(API + "/%d" % r.json["id"]).json["timeline"][0]
        self.assertEqual(ev["actor"], "apikey:%d:crm-sync" % kid)

        p = self.kesu("apikey", "list")
        line = [ln for ln in p.stdout.splitlines() if "crm-sync" in ln]
        self.assertEqual(len(line), 1, describe_proc(p))
        self.assertTrue(line[0].split()[0] == str(kid), line[0])
        self.assertIn(key[:12], line[0], "the list shows the key's prefix")
        self.assertNotIn(key, p.stdout, "the list must not show whole keys")
        self.assertNotIn("revoked", line[0])

        self.kesu("apikey", "revoke", str(kid))
        p = self.kesu("apikey", "list")
        self.assertIn("revoked", [ln for ln in p.stdout.splitlines() if "crm-sync" in ln][0])
        deadline = time.monotonic() + 6 + 4 * SLOW
        while True:
            r = srv.request("GET", API + "?limit=1", auth=key)
            if r.status == 401:
                self.assertError(r, 401, "unauthorized")
                break
            self.assertStatus(r, 200)
            if time.monotonic() > deadline:
                self.fail("a revoked key still works after 6 s")
            time.sleep(0.25)
        # the test's own key is unaffected
        self.assertStatus(srv.get(API + "?limit=1"), 200)
        # revoking again, or an unknown id, fails
        p = self.kesu("apikey", "revoke", str(kid), code=None)
        self.assertEqual(p.returncode, 1, describe_proc(p))
        p = self.kesu("apikey", "revoke", "9999", code=None)
        self.assertEqual(p.returncode, 1, describe_proc(p))

    def test_apikey_name_limits(self):
        p = self.kesu("apikey", "create", "x" * 64, code=None)
        self.assertNotEqual(p.returncode, 0, describe_proc(p))
        p = self.kesu("apikey", "create", "", code=None)
        self.assertNotEqual(p.returncode, 0, describe_proc(p))
        self.kesu("apikey", "create", "名字")


# ---------------------------------------------------------------------------------------------
JSONL_GOOD = [
    {"channel": "web", "external_id": "j1", "text": "第一条：客服不回复", "product": "手机",
     "received_at": "2026-11-01T10:00:00+08:00"},
    {"channel": "email", "text": "第二条：没有外部编号", "rating": 2,
     "received_at": "2026-11-02T10:00:00+08:00"},
    {"channel": "app", "external_id": "j3", "text": "Third: \"quoted\", comma",
     "attachments": ["a.png"], "extra": {"k": "v"}, "received_at": "2026-11-03 10:00:00"},
]

CSV_GOOD = ("channel,external_id,text,product,rating,received_at\r\n"
            'web,c1,"你好,世界\r\n第二行 ""引号""",手机,4,2026-11-05T10:00:00+08:00\r\n'
            "email,c2,简单文本,电脑,5,2026-11-04T10:00:00+08:00\r\n"
            "app,,没有外部编号的行,平板,3,2026-11-03 09:00:00\r\n")


class ImportTest(CliCase):
    def test_import_jsonl(self):
        path = self.write("good.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n"
                                                for r in JSONL_GOOD))
        p = self.kesu("import", path)
        self.assertEqual(self.summary(p, path), (3, 3, 0, 0))
        recs = self.export_jsonl()
        self.assertEqual(len(recs), 3)
        by_text = {r["text"]: r for r in recs}
        for src in JSONL_GOOD:
            got = by_text[src["text"]]
            for k, v in src.items():
                if k == "received_at":
                    continue
                self.assertEqual(got[k], v, k)
        self.assertEqual(by_text[JSONL_GOOD[2]["text"]]["received_at"],
                         "2026-11-03T10:00:00+08:00")
        # re-import: nothing new, including the row without external_id
        p = self.kesu("import", path)
        self.assertEqual(self.summary(p, path), (3, 0, 3, 0))
        self.assertEqual(len(self.export_jsonl()), 3)

    def test_import_csv(self):
        path = self.write("good.csv", CSV_GOOD)
        p = self.kesu("import", path)
        self.assertEqual(self.summary(p, path), (3, 3, 0, 0))
        recs = self.export_jsonl()
        self.assertEqual([r["text"] for r in recs],
                         ['你好,世界\r\n第二行 "引号"', "简单文本", "没有外部编号的行"])
        self.assertEqual(recs[0]["rating"], 4)
        self.assertEqual(recs[0]["product"], "手机")
        self.assertEqual(recs[2]["received_at"], "2026-11-03T09:00:00+08:00")
        self.assertNotIn("external_id", recs[2])
        p = self.kesu("import", path)
        self.assertEqual(self.summary(p, path), (3, 0, 3, 0))
        self.assertEqual(len(self.export_jsonl()), 3)

    def test_import_csv_with_bom_and_lf(self):
        path = self.write("bom.csv", "\ufeffchannel,text\nweb,带BOM的文件\nsms,第二行\n")
        p = self.kesu("import", path)
        self.assertEqual(self.summary(p, path), (2, 2, 0, 0))
        self.assertEqual({r["channel"] for r in self.export_jsonl()}, {"web", "sms"})

    def test_import_from_stdin_and_format_and_default_channel(self):
        lines = "".join(json.dumps({"text": "来自标准输入 %d" % i}, ensure_ascii=False) + "\n"
                        for i in range(4))
        p = self.kesu("import", "--format", "jsonl", "--channel", "hotline", "-", input=lines)
        self.assertEqual(self.summary(p), (4, 4, 0, 0))
        self.assertEqual({r["channel"] for r in self.export_jsonl()}, {"hotline"})
        path = self.write("csv-data.txt", "channel,text\nweb,csv in a .txt file\n")
        p = self.kesu("import", "--format", "csv", path)
        self.assertEqual(self.summary(p, path), (1, 1, 0, 0))

    def test_import_jsonl_bad_rows(self):
        lines = [
            json.dumps({"channel": "web", "external_id": "b1", "text": "好的一行"}),
            json.dumps({"channel": "web", "text": "没有外部编号"}),
            '{"channel": "web", "text": "broken JSON"',
            json.dumps({"channel": "app", "external_id": "b4", "text": "第四行"}),
            json.dumps({"channel": "fax", "external_id": "b5", "text": "unknown channel"}),
            json.dumps({"channel": "sms", "external_id": "b6", "text": "第六行"}),
            "",
            json.dumps({"channel": "web", "external_id": "b8", "text": "x", "phone": "abc"}),
            json.dumps({"channel": "web", "external_id": "b9", "text": "ok", "colour": 1}),
        ]
        path = self.write("bad.jsonl", "\n".join(lines) + "\n")
        p = self.kesu("import", path, code=3)
        self.assertEqual(self.summary(p, path), (8, 4, 0, 4), describe_proc(p))
        err = p.stderr
        self.assertRegex(err, re.escape(path) + r":3: ", describe_proc(p))
        self.assertRegex(err, re.escape(path) + r":5: channel: ", describe_proc(p))
        self.assertRegex(err, re.escape(path) + r":8: phone: ", describe_proc(p))
        self.assertRegex(err, re.escape(path) + r":9: colour: ", describe_proc(p))
        for n in (1, 2, 4, 6, 7):
            self.assertNotRegex(err, re.escape(path) + ":%d:" % n)
        self.assertEqual(sorted(r["text"] for r in self.export_jsonl()),
                         sorted(["好的一行", "没有外部编号", "第四行", "第六行"]))
        p = self.kesu("import", path, code=3)
        self.assertEqual(self.summary(p, path), (8, 0, 4, 4), describe_proc(p))
        self.assertEqual(len(self.export_jsonl()), 4)

    def test_import_csv_bad_rows(self):
        text = ("channel,external_id,text,product,rating\n"
                'web,c1,"你好,世界\n第二行",手机,4\n'     # lines 2-3
                "email,c2,简单文本,电脑,5\n"               # line 4
                "web,c3,too,few\n"                         # line 5: 4 columns
                "app,,没有外部编号,平板,3\n"               # line 6
                "fax,c7,bad channel,x,1\n"                 # line 7
                "web,c8,bad rating,x,9\n"                  # line 8
                "web,c9,a,b,1,extra\n")                    # line 9: 6 columns
        path = self.write("bad.csv", text)
        p = self.kesu("import", path, code=3)
        self.assertEqual(self.summary(p, path), (7, 3, 0, 4), describe_proc(p))
        for n, field in ((5, ""), (7, "channel: "), (8, "rating: "), (9, "")):
            self.assertRegex(p.stderr, re.escape("%s:%d: %s" % (path, n, field)),
                             describe_proc(p))
        self.assertEqual(sorted(r["text"] for r in self.export_jsonl()),
                         sorted(["你好,世界\n第二行", "简单文本", "没有外部编号"]))
        p = self.kesu("import", path, code=3)
        self.assertEqual(self.summary(p, path), (7, 0, 3, 4), describe_proc(p))

    def test_import_csv_unknown_column(self):
        path = self.write("cols.csv", "channel,text,colour\nweb,x,red\n")
        p = self.kesu("import", path, code=None)
        self.assertNotEqual(p.returncode, 0, describe_proc(p))
        self.assertIn("colour", p.stderr)
        self.assertEqual(self.export_jsonl(), [])

    def test_strict_imports_nothing_when_a_row_is_bad(self):
        lines = [json.dumps({"channel": "web", "external_id": "s%d" % i, "text": "行%d" % i})
                 for i in range(5)]
        lines[3] = json.dumps({"channel": "fax", "text": "bad"})
        path = self.write("strict.jsonl", "\n".join(lines) + "\n")
        p = self.kesu("import", "--strict", path, code=3)
        self.assertRegex(p.stderr, re.escape(path) + r":4: channel: ", describe_proc(p))
        self.assertEqual(self.export_jsonl(), [], "--strict imported rows of a bad file")
        csvp = self.write("strict.csv", "channel,text\nweb,ok\nweb\n")
        self.kesu("import", "--strict", csvp, code=3)
        self.assertEqual(self.export_jsonl(), [])
        good = self.write("strict-good.jsonl", "\n".join(lines[:3]) + "\n")
        p = self.kesu("import", "--strict", good)
        self.assertEqual(self.summary(p, good), (3, 3, 0, 0))

    def test_several_files(self):
        a = self.write("a.jsonl", json.dumps({"channel": "web", "text": "a"}) + "\n")
        b = self.write("b.csv", "channel,text\nweb,b\nfax,bad\n")
        p = self.kesu("import", a, b, code=3)
        self.assertEqual(self.summary(p, a), (1, 1, 0, 0))
        self.assertEqual(self.summary(p, b), (2, 1, 0, 1))
        self.assertRegex(p.stdout, r"total: 3 rows: 2 stored, 0 already present, 1 rejected")

    def test_missing_file(self):
        p = self.kesu("import", os.path.join(self.tmp, "nope.jsonl"), code=1)
        self.assertIn("nope.jsonl", p.stderr)

    def test_import_while_serving(self):
        srv = self.server(data_dir=self.data)
        n = 2000
        path = self.write("many.jsonl", "".join(
            json.dumps({"channel": "survey", "external_id": "m%d" % i,
                        "text": "并行导入 importword 第%d条" % i}, ensure_ascii=False) + "\n"
            for i in range(n)))
        posted = []
        errors = []

        def poster():
            c = srv.client()
            try:
                for i in range(200):
                    r = c.request("POST", API, {"channel": "web", "external_id": "p%d" % i,
                                                "text": "same time %d" % i})
                    posted.append(r.status)
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))
            finally:
                c.close()

        th = threading.Thread(target=poster)
        th.start()
        p = self.kesu("import", path)
        th.join(60 * SLOW)
        self.assertEqual(errors, [])
        self.assertEqual(self.summary(p, path), (n, n, 0, 0))
        self.assertEqual(posted, [201] * 200)
        items = srv.list_all()
        self.assertEqual(len(items), n + 200)
        r = srv.get(API + "?channel=survey&limit=1&total=true")
        self.assertEqual(r.json["total"], n)
        self.assertEqual(srv.metric('kesu_feedback_records{channel="survey"}'), n)
        # imported records become searchable through the server's indexer
        deadline = time.monotonic() + 15 * SLOW
        while srv.get(API + "?q=importword&limit=1&total=true").json["total"] != n:
            if time.monotonic() > deadline:
                self.fail("imported records not searchable: %r" %
                          srv.get(API + "?q=importword&limit=1&total=true").json["total"])
            time.sleep(0.1)
        # the import's actor is on the timeline
        rid = [it for it in items if it["channel"] == "survey"][0]["id"]
        ev = srv.get(API + "/%d" % rid).json["timeline"][0]
        self.assertEqual(ev["actor"], "import:many.jsonl")


# ---------------------------------------------------------------------------------------------
class ExportTest(CliCase):
    def setUp(self):
        super().setUp()
        src = [dict(r) for r in JSONL_GOOD] + [
            {"channel": "web", "external_id": "x4", "text": "=cmd|' /C calc'!A0",
             "phone": "+86 138 0013 8000", "received_at": "2026-10-01T08:00:00+08:00"}]
        path = self.write("src.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n"
                                               for r in src))
        self.kesu("import", path)
        self.src = src

    def test_export_jsonl(self):
        recs = self.export_jsonl()
        self.assertEqual(len(recs), 4)
        times = [r["received_at"] for r in recs]
        self.assertEqual(times, sorted(times, reverse=True), "newest received first")
        for r in recs:
            self.assertIsInstance(r["id"], int)
            self.assertEqual(r["status"], "received")
        out = os.path.join(self.tmp, "out.jsonl")
        self.kesu("export", "--output", out)
        with open(out, encoding="utf-8") as f:
            self.assertEqual([json.loads(x) for x in f], recs)

    def test_export_csv(self):
        p = run_cli(self.data, "export", "--format", "csv")
        self.assertEqual(p.returncode, 0, describe_proc(p))
        out = os.path.join(self.tmp, "out.csv")
        self.kesu("export", "--format", "csv", "--output", out)
        with open(out, "rb") as f:
            raw = f.read()
        self.assertTrue(raw.startswith(b"\xef\xbb\xbf"), "no UTF-8 BOM: %r" % raw[:20])
        rows = list(csv.DictReader(io.StringIO(raw[3:].decode("utf-8"), newline="")))
        header = raw[3:].split(b"\r\n", 1)[0].decode()
        self.assertTrue(header.startswith("id,channel,"), header)
        self.assertIn("text", header.split(","))
        self.assertEqual(len(rows), 4)
        texts = {r["text"] for r in rows}
        for src in self.src[:3]:
            self.assertIn(src["text"], texts)
        # a formula-like cell is defused for spreadsheets
        self.assertNotIn("=cmd|' /C calc'!A0", texts)
        self.assertIn("'=cmd|' /C calc'!A0", texts)
        # the exported CSV can be imported again into another store (id/status columns
        # are not input fields, so strip them first)
        keep = ["channel", "external_id", "text", "product", "received_at"]
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(keep)
        for r in rows:
            w.writerow([r[k] for k in keep])
        path = self.write("again.csv", buf.getvalue())
        other = os.path.join(self.tmp, "other")
        p = run_cli(other, "import", path)
        self.assertEqual(p.returncode, 0, describe_proc(p))
        self.assertEqual(self.summary(p, path), (4, 4, 0, 0))

    def test_export_filters(self):
        recs = self.export_jsonl("--channel", "web")
        self.assertEqual(sorted(r["external_id"] for r in recs), ["j1", "x4"])
        recs = self.export_jsonl("--channel", "web,app")
        self.assertEqual(len(recs), 3)
        recs = self.export_jsonl("--since", "2026-11-02T00:00:00+08:00")
        self.assertEqual(len(recs), 2)
        recs = self.export_jsonl("--until", "2026-11-01T10:00:00+08:00")
        self.assertEqual([r["external_id"] for r in recs], ["x4"])
        p = self.kesu("export", "--format", "csv", "--channel", "email")
        rows = list(csv.DictReader(io.StringIO(p.stdout.lstrip("\ufeff"), newline="")))
        self.assertEqual([r["channel"] for r in rows], ["email"])
        self.assertEqual(self.export_jsonl("--channel", "sms"), [])

    def test_export_empty_store(self):
        other = os.path.join(self.tmp, "empty")
        p = run_cli(other, "export", "--format", "csv")
        self.assertEqual(p.returncode, 0, describe_proc(p))
        self.assertEqual(p.stdout.lstrip("\ufeff").count("\n"), 1, "header only")


# ---------------------------------------------------------------------------------------------
class DemoTest(CliCase):
    def test_demo_to_file_imports_in_full(self):
        out = os.path.join(self.tmp, "demo.jsonl")
        self.kesu("demo", "--count", "500", "--out", out)
        with open(out, encoding="utf-8") as f:
            lines = [ln for ln in f.read().split("\n") if ln]
        self.assertEqual(len(lines), 500)
        for ln in lines:
            rec = json.loads(ln)
            self.assertIn("channel", rec)
            self.assertTrue(rec.get("text"))
        p = self.kesu("import", out)
        self.assertEqual(self.summary(p, out), (500, 500, 0, 0), describe_proc(p))
        p = self.kesu("import", out)
        self.assertEqual(self.summary(p, out), (500, 0, 500, 0), describe_proc(p))
        # the same seed and count give the same file
        out2 = os.path.join(self.tmp, "demo2.jsonl")
        self.kesu("demo", "--count", "500", "--out", out2)
        with open(out2, encoding="utf-8") as f:
            lines2 = [ln for ln in f.read().split("\n") if ln]
        self.assertEqual(len(lines2), 500)
        strip = [{k: v for k, v in json.loads(x).items() if k != "received_at"} for x in lines]
        strip2 = [{k: v for k, v in json.loads(x).items() if k != "received_at"}
                  for x in lines2]
        self.assertEqual(strip, strip2)

    def test_demo_into_store_twice(self):
        p = self.kesu("demo", "--count", "300")
        self.assertRegex(p.stdout, r"stored 300 demo records", describe_proc(p))
        self.assertEqual(len(self.export_jsonl()), 300)
        p = self.kesu("demo", "--count", "300")
        self.assertRegex(p.stdout, r"stored 0 demo records", describe_proc(p))
        self.assertEqual(len(self.export_jsonl()), 300)

    def test_serve_creates_a_missing_data_dir(self):
        # tried as a new user would: `kesu --data somewhere-new serve`
        import subprocess
        data = os.path.join(self.tmp, "fresh", "data")
        port_file = os.path.join(self.tmp, "port")
        proc = subprocess.Popen([kesu_bin(), "--data", data, "serve", "--listen", "127.0.0.1:0",
                                 "--port-file", port_file], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        try:
            for _ in range(200):
                if os.path.exists(port_file) and open(port_file).read().strip():
                    break
                if proc.poll() is not None:
                    break
                time.sleep(0.05)
            self.assertIsNone(proc.poll(), proc.stderr.read().decode() if proc.poll() is not None
                              else "")
            self.assertTrue(os.path.exists(os.path.join(data, "kesu.db")))
            key = os.path.join(data, "keys", "form.key")
            self.assertEqual(os.stat(key).st_mode & 0o777, 0o600)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        self.assertEqual(proc.returncode, 0)

    def test_demo_stdout(self):
        p = self.kesu("demo", "--count", "5", "--out", "-")
        self.assertEqual(len([ln for ln in p.stdout.splitlines() if ln.strip()]), 5)


if __name__ == "__main__":
    unittest.main()
