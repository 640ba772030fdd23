"""The tamper-evident audit log: record changes, key changes and PII reveals are entries in a
hash chain, and `kesu audit verify` finds an edited, deleted, inserted or reordered entry (and,
given the head hash kept elsewhere, entries cut from the end)."""
import json
import shutil
import sqlite3
import subprocess
import tempfile
import os

from kesu_server import ServerTestCase, kesu_bin

API = "/api/v1/feedback"


class AuditTest(ServerTestCase):
    def kesu(self, data, *args):
        return subprocess.run([kesu_bin(), "--data", data] + list(args), capture_output=True,
                              text=True, timeout=60)

    def make_log(self):
        srv = self.server()
        rec = srv.post(API, {"channel": "web", "text": "电话13912345678，快递丢了",
                             "customer_name": "韩梅梅"}).json
        for body in ({"status": "acknowledged"}, {"assignee": "li.lei", "note": "分派"},
                     {"severity": "high"}):
            self.assertEqual(srv.patch(API + "/%d" % rec["id"], body).status, 200)
        p = self.kesu(srv.data, "apikey", "create", "crm")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.kesu(srv.data, "reveal", "--reason", "回访", str(rec["id"]))
        self.assertEqual(p.returncode, 0, p.stderr)
        srv.stop()
        return srv.data, rec["id"]

    def verify(self, data, *extra):
        return self.kesu(data, "audit", "verify", *extra)

    def test_entries_and_an_intact_chain(self):
        data, fid = self.make_log()
        p = self.kesu(data, "audit", "export")
        entries = [json.loads(x) for x in p.stdout.splitlines()]
        actions = [e["action"] for e in entries]
        self.assertEqual(actions.count("feedback.update"), 3, actions)
        self.assertIn("apikey.create", actions)
        self.assertIn("pii.reveal", actions)
        upd = [e for e in entries if e["action"] == "feedback.update"]
        self.assertEqual(upd[0]["object"], "feedback:%d" % fid)
        self.assertEqual(upd[0]["detail"]["status"], ["received", "acknowledged"])
        self.assertEqual(upd[1]["detail"]["note"], "分派")
        rev = [e for e in entries if e["action"] == "pii.reveal"][0]
        self.assertEqual(rev["detail"]["reason"], "回访")
        self.assertNotIn("13912345678", p.stdout, "the audit log must not hold the values")
        p = self.verify(data)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("%d entries, chain intact" % len(entries), p.stdout)
        head = p.stdout.split("head ")[1].strip()
        self.assertEqual(head, entries[-1]["hash"])
        self.assertEqual(self.verify(data, "--expect-head", head).returncode, 0)

    def tamper(self, sql, *params):
        data, _ = self.make_log()
        head = self.verify(data).stdout.split("head ")[1].strip()
        db = sqlite3.connect(os.path.join(data, "kesu.db"))
        db.execute(sql, params)
        db.commit()
        db.close()
        return data, head

    def assertTampered(self, p, words):
        self.assertEqual(p.returncode, 4, p.stdout + p.stderr)
        self.assertIn("TAMPERED", p.stdout)
        self.assertIn(words, p.stdout)

    def test_edited_entry(self):
        data, _ = self.tamper("UPDATE audit_log SET detail='{\"status\":[\"x\",\"y\"]}' WHERE id=2")
        self.assertTampered(self.verify(data), "entry 2 was altered")

    def test_edited_actor_with_recomputed_looking_hash(self):
        data, _ = self.tamper("UPDATE audit_log SET actor='someone-else' WHERE id=3")
        self.assertTampered(self.verify(data), "entry 3 was altered")

    def test_deleted_entry(self):
        data, _ = self.tamper("DELETE FROM audit_log WHERE id=2")
        self.assertTampered(self.verify(data), "entry 3 follows entry 1")

    def test_deleted_and_renumbered(self):
        data, _ = self.make_log()
        db = sqlite3.connect(os.path.join(data, "kesu.db"))
        db.execute("DELETE FROM audit_log WHERE id=2")
        db.execute("UPDATE audit_log SET id=id-1 WHERE id>2")
        db.commit()
        db.close()
        self.assertTampered(self.verify(data), "entry 2 does not chain to entry 1")

    def test_inserted_entry(self):
        data, _ = self.make_log()
        db = sqlite3.connect(os.path.join(data, "kesu.db"))
        db.execute("UPDATE audit_log SET id=-id WHERE id>=3")
        db.execute("UPDATE audit_log SET id=1-id WHERE id<0")
        row = db.execute("SELECT prev,hash FROM audit_log WHERE id=2").fetchone()
        db.execute("INSERT INTO audit_log(id,at,actor,action,object,prev,hash) "
                   "VALUES(3,0,'x','feedback.update','feedback:1',?,?)", (row[1], "0" * 64))
        db.commit()
        db.close()
        self.assertTampered(self.verify(data), "entry 3 was altered")

    def test_reordered_entries(self):
        data, _ = self.make_log()
        db = sqlite3.connect(os.path.join(data, "kesu.db"))
        db.execute("UPDATE audit_log SET id=-2 WHERE id=2")
        db.execute("UPDATE audit_log SET id=2 WHERE id=3")
        db.execute("UPDATE audit_log SET id=3 WHERE id=-2")
        db.commit()
        db.close()
        self.assertTampered(self.verify(data), "entry 2")

    def test_cut_from_the_end(self):
        data, head = self.tamper("DELETE FROM audit_log WHERE id=(SELECT max(id) FROM audit_log)")
        self.assertEqual(self.verify(data).returncode, 0, "a shorter chain is still a chain")
        self.assertTampered(self.verify(data, "--expect-head", head), "removed from the end")

    def test_usage(self):
        data, _ = self.make_log()
        self.assertEqual(self.kesu(data, "audit").returncode, 2)
        self.assertEqual(self.kesu(data, "audit", "frob").returncode, 2)
        self.assertEqual(self.kesu(data, "reveal", "1").returncode, 2, "a reason is required")


class AuditHttpTest(ServerTestCase):
    """GET /api/v1/audit and /api/v1/audit/verify: the same log and check over HTTP, for
    audit:read only."""

    def test_list_pages_and_verify(self):
        from kesu_server import UserSession
        srv = self.server(extra_args=["--demo-if-empty", "5"])
        rec = srv.post(API, {"channel": "web", "text": "<b>审计</b>页面测试"}).json
        self.assertEqual(srv.patch(API + "/%d" % rec["id"], {"severity": "high"}).status, 200)
        auditor = UserSession(srv, "auditor", "kesu-demo")
        r = auditor.get("/api/v1/audit?limit=2")
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual([e["id"] for e in r.json["items"]], [1, 2])
        self.assertEqual(r.json["next_after"], 2)
        seen = []
        after = 0
        while True:
            page = auditor.get("/api/v1/audit?limit=50&after=%d" % after).json
            seen += page["items"]
            if "next_after" not in page:
                break
            after = page["next_after"]
        self.assertEqual([e["id"] for e in seen], list(range(1, len(seen) + 1)))
        upd = [e for e in seen if e["action"] == "feedback.update"][-1]
        self.assertEqual(upd["object"], "feedback:%d" % rec["id"])
        self.assertEqual(json.loads(upd["detail"])["severity"][1], "high")
        v = auditor.get("/api/v1/audit/verify")
        self.assertEqual(v.status, 200, v.describe())
        self.assertEqual(v.json["intact"], True)
        self.assertGreaterEqual(v.json["entries"], len(seen))
        last = auditor.get("/api/v1/audit?after=%d" % (v.json["entries"] - 1)).json["items"]
        self.assertEqual(v.json["head"], last[-1]["hash"])
        for bad in ("limit=0", "limit=1001", "limit=x", "after=-1"):
            self.assertError(auditor.get("/api/v1/audit?" + bad), 400, "invalid_value", field=bad.split("=")[0])
        agent = UserSession(srv, "agent", "kesu-demo")
        self.assertEqual(agent.get("/api/v1/audit").status, 403)
        self.assertEqual(agent.get("/api/v1/audit/verify").status, 403)
        db = sqlite3.connect(os.path.join(srv.data, "kesu.db"), timeout=10)
        db.execute("UPDATE audit_log SET actor='someone-else' WHERE id=3")
        db.commit()
        db.close()
        v = auditor.get("/api/v1/audit/verify").json
        self.assertEqual(v["intact"], False)
        self.assertEqual(v["bad_id"], 3)
        self.assertIn("entry 3 was altered", v["problem"])
