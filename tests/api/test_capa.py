"""Return visits and improvement (CAPA): a closed case gets a survey link; the customer
answers once (a detractor opens a recovery follow-up); links expire; the fatigue rule holds
back surveys; problems, root causes and actions with their gates; effect evaluation on
generated complaint data with a known effect and with none; reminders that survive a
restart; knowledge-base articles and similar cases."""
import datetime
import json
import os
import sqlite3
import time
import urllib.parse

from kesu_server import ServerTestCase, SLOW, run_cli

API = "/api/v1"
DAY = 86400


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def write_conf(srv, **settings):
    with open(os.path.join(srv.data, "kesu.conf"), "w") as f:
        for k, v in settings.items():
            f.write("%s = %s\n" % (k, v))


class CapaTest(ServerTestCase):
    def make_server(self, **settings):
        srv = self.server(start=False)
        write_conf(srv, **settings)
        srv.start()
        return srv

    def new_case(self, srv, text="扫地机器人充电座坏了，客服一直没有回复", **fields):
        body = {"channel": "web", "text": text}
        body.update(fields)
        r = srv.post(API + "/feedback", body)
        self.assertEqual(r.status, 201, r.describe())
        return r.json["id"]

    def close(self, srv, fid, status="closed"):
        for st in ("acknowledged", "assessed", "investigating", "responded", status):
            r = srv.patch(API + "/feedback/%d" % fid, {"status": st, "note": "处理中 " + st})
            self.assertEqual(r.status, 200, r.describe())

    def surveys(self, srv, fid):
        r = srv.get(API + "/feedback/%d/surveys" % fid)
        self.assertEqual(r.status, 200, r.describe())
        return r.json

    def link_path(self, srv, fid):
        items = self.surveys(srv, fid)["items"]
        self.assertEqual(len(items), 1, items)
        link = items[0]["link"]
        self.assertTrue(link.startswith("http://127.0.0.1:%d/s/" % srv.port), link)
        return urllib.parse.urlparse(link).path

    def timeline_kinds(self, srv, fid):
        return [e["kind"] for e in srv.get(API + "/feedback/%d" % fid).json["timeline"]]

    # ---- surveys ---------------------------------------------------------------------

    def test_closure_issues_a_link_and_a_detractor_opens_a_recovery_follow_up(self):
        srv = self.make_server()
        fid = self.new_case(srv, customer_id="C-1001")
        self.assertEqual(self.surveys(srv, fid)["items"], [])
        self.close(srv, fid)
        path = self.link_path(srv, fid)
        self.assertIn("survey", self.timeline_kinds(srv, fid))
        # the page: Chinese, no login, the questions
        page = srv.request("GET", path, auth=False)
        self.assertEqual(page.status, 200, page.describe())
        html = page.body.decode("utf-8")
        self.assertIn("服务回访", html)
        self.assertIn('name="nps"', html)
        self.assertIn('lang="zh-CN"', html)
        self.assertIn("default-src 'none'", page.header("Content-Security-Policy"))
        # a bad answer names the question
        bad = srv.request("POST", path, {"csat": 9}, auth=False)
        self.assertEqual(bad.status, 400)
        self.assertEqual(bad.error()["field"], "csat")
        # the answer: a detractor
        r = srv.request("POST", path, {"csat": 2, "nps": 3, "handling": 2,
                                       "comment": "<script>alert(1)</script>态度差"}, auth=False)
        self.assertEqual(r.status, 200, r.describe())
        self.assertTrue(r.json["detractor"])
        self.assertIsNotNone(r.json["followup_id"])
        s = self.surveys(srv, fid)
        self.assertEqual(s["items"][0]["answers"]["comment"], "<script>alert(1)</script>态度差")
        self.assertEqual(s["items"][0]["state"], "answered")
        self.assertEqual((s["items"][0]["csat"], s["items"][0]["nps"]), (2, 3))
        self.assertEqual(len(s["followups"]), 1)
        fu = s["followups"][0]
        self.assertEqual((fu["kind"], fu["status"]), ("recovery", "open"))
        self.assertIsNotNone(fu["due_at"])
        self.assertIn("followup", self.timeline_kinds(srv, fid))
        # one answer per token: the second is refused, and the page says so
        again = srv.request("POST", path, {"csat": 5}, auth=False)
        self.assertEqual(again.status, 410, again.describe())
        self.assertEqual(again.error()["code"], "survey_answered")
        self.assertEqual(srv.request("GET", path, auth=False).status, 410)
        # the follow-up is done
        r = srv.patch(API + "/followups/%d" % fu["id"], {"status": "done"})
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual(self.surveys(srv, fid)["followups"][0]["status"], "done")
        # unknown and malformed tokens
        self.assertEqual(srv.request("GET", "/s/AAAAAAAAAAAAAAAAAAAAAAAA", auth=False).status, 404)
        self.assertEqual(srv.request("GET", "/s/x<y", auth=False).status, 404)

    def test_form_answer_from_the_page_and_a_promoter_opens_nothing(self):
        srv = self.make_server()
        fid = self.new_case(srv, customer_id="C-2002")
        self.close(srv, fid)
        path = self.link_path(srv, fid)
        body = "csat=5&nps=10&handling=5&comment=" + urllib.parse.quote("很好，<b>谢谢</b>")
        r = srv.request("POST", path, raw=body.encode(), auth=False,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 200, r.describe())
        self.assertIn("感谢", r.body.decode())
        s = self.surveys(srv, fid)
        self.assertEqual(s["followups"], [])
        # the outbox holds the link for a mailer, which reports back
        out = srv.get(API + "/outbox?unsent=true").json["items"]
        self.assertEqual([(m["kind"], m["feedback_id"], m["recipient"]) for m in out],
                         [("survey_link", fid, "feedback:%d" % fid)])
        self.assertIn(urllib.parse.urlparse(out[0]["link"]).path, path)
        self.assertIn(out[0]["link"], out[0]["body"])
        mid = out[0]["id"]
        r = srv.post(API + "/outbox/%d/sent" % mid, {"error": "SMTP 451 try later"})
        self.assertEqual((r.status, r.json["sent"]), (200, False), r.describe())
        self.assertEqual(srv.post(API + "/outbox/%d/sent" % mid, {}).json["sent"], True)
        self.assertEqual(srv.post(API + "/outbox/%d/sent" % mid, {}).status, 409)
        self.assertEqual(srv.post(API + "/outbox/999/sent", {}).status, 404)
        self.assertEqual(srv.get(API + "/outbox?unsent=true").json["items"], [])
        m = srv.get(API + "/outbox").json["items"][0]
        self.assertEqual((m["attempts"], m["last_error"]), (2, None))
        self.assertIsNotNone(m["sent_at"])
        # the lifecycle has no step from one closed state to the other; no new survey either
        self.assertEqual(srv.patch(API + "/feedback/%d" % fid,
                                   {"status": "closed_unaccepted"}).status, 409)
        self.assertEqual(len(self.surveys(srv, fid)["items"]), 1)
        self.assertEqual(json.loads(json.dumps(s["items"][0]["answers"]))["comment"],
                         "很好，<b>谢谢</b>")

    def test_links_expire(self):
        srv = self.make_server(survey_expiry_hours="0.0004")  # about 1.4 s
        fid = self.new_case(srv, customer_id="C-3003")
        self.close(srv, fid)
        path = self.link_path(srv, fid)
        time.sleep(2)
        r = srv.request("POST", path, {"csat": 4}, auth=False)
        self.assertEqual(r.status, 410, r.describe())
        self.assertEqual(r.error()["code"], "survey_expired")
        self.assertEqual(srv.request("GET", path, auth=False).status, 410)
        self.assertEqual(self.surveys(srv, fid)["items"][0]["state"], "expired")

    def test_fatigue_rule_holds_back_surveys(self):
        srv = self.make_server(survey_max_per_30d="2")
        ids = [self.new_case(srv, text="第%d次投诉：外卖送错了地址" % i, customer_id="C-TIRED")
               for i in range(3)]
        for fid in ids:
            self.close(srv, fid)
        self.assertEqual(len(self.surveys(srv, ids[0])["items"]), 1)
        self.assertEqual(len(self.surveys(srv, ids[1])["items"]), 1)
        self.assertEqual(self.surveys(srv, ids[2])["items"], [])
        notes = [e for e in srv.get(API + "/feedback/%d" % ids[2]).json["timeline"]
                 if e["kind"] == "survey"]
        self.assertEqual(len(notes), 1)
        self.assertIn("fatigue", notes[0]["note"])
        # another customer is not held back
        other = self.new_case(srv, customer_id="C-FRESH")
        self.close(srv, other, status="closed_unaccepted")
        self.assertEqual(len(self.surveys(srv, other)["items"]), 1)

    def test_hotline_return_visit(self):
        srv = self.make_server()
        fid = self.new_case(srv, customer_id="C-4004")
        r = srv.post(API + "/feedback/%d/surveys" % fid, {"csat": 4, "nps": 6})
        self.assertEqual(r.status, 201, r.describe())
        self.assertTrue(r.json["detractor"])  # NPS 6 is a detractor
        s = self.surveys(srv, fid)
        self.assertEqual(s["items"][0]["channel"], "hotline")
        self.assertIsNone(s["items"][0]["link"])
        self.assertEqual(len(s["followups"]), 1)
        for body, field in (({"csat": 3, "nps": 11}, "nps"), ({"mood": 3}, "mood"),
                            ({"nps": 3}, "csat"), ({}, "csat")):
            r = srv.post(API + "/feedback/%d/surveys" % fid, body)
            self.assertEqual(r.status, 400, r.describe())
            self.assertEqual(r.error()["field"], field)
        self.assertEqual(srv.post(API + "/feedback/999999/surveys", {"csat": 3}).status, 404)
        q = srv.get(API + "/surveys/questions").json
        self.assertEqual([i["key"] for i in q["items"]], ["csat", "nps", "handling", "comment"])
        # questions are configurable: add one, drop one
        r = srv.request("PUT", API + "/surveys/questions/speed",
                        {"kind": "scale", "min": 1, "max": 5, "label_zh": "处理速度",
                         "low_zh": "很慢", "high_zh": "很快", "position": 3})
        self.assertEqual(r.status, 200, r.describe())
        r = srv.request("PUT", API + "/surveys/questions/handling",
                        {"kind": "scale", "min": 1, "max": 5, "label_zh": "处理过程",
                         "enabled": False})
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual([i["key"] for i in r.json["items"]], ["csat", "nps", "speed", "comment"])
        for key, body, field in (("nps", {"kind": "scale", "min": 1, "max": 5, "label_zh": "x"},
                                  "kind"),
                                 ("x-y", {"kind": "text", "label_zh": "x"}, "key"),
                                 ("q2", {"kind": "scale", "min": 3, "max": 3, "label_zh": "x"},
                                  "max"),
                                 ("q3", {"kind": "text"}, "label_zh")):
            r = srv.request("PUT", API + "/surveys/questions/" + key, body)
            self.assertEqual((r.status, r.error()["field"]), (400, field), r.describe())
        r = srv.post(API + "/feedback/%d/surveys" % fid, {"csat": 5, "speed": 2})
        self.assertEqual(r.status, 201, r.describe())
        r = srv.post(API + "/feedback/%d/surveys" % fid, {"csat": 5, "handling": 2})
        self.assertEqual((r.status, r.error()["field"]), (400, "handling"))
        fid2 = self.new_case(srv, customer_id="C-4005")
        self.close(srv, fid2)
        html = srv.request("GET", self.link_path(srv, fid2), auth=False).body.decode()
        self.assertIn("处理速度", html)
        self.assertNotIn('name="handling"', html)

    # ---- problems, root causes, actions, gates ---------------------------------------------

    def test_problem_root_cause_action_and_gates(self):
        srv = self.make_server()
        ids = [self.new_case(srv, text="X100 扫地机充电座第%d次接触不良" % i, product="X100")
               for i in range(3)]
        r = srv.post(API + "/problems", {"title": "X100 充电座接触不良", "product": "X100"})
        self.assertEqual(r.status, 201, r.describe())
        pid = r.json["id"]
        r = srv.post(API + "/problems/%d/cases" % pid, {"add": ids})
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual(len(r.json["cases"]), 3)
        r = srv.post(API + "/problems/%d/cases" % pid, {"remove": [ids[2]]})
        self.assertEqual(len(r.json["cases"]), 2)
        self.assertIn("link", self.timeline_kinds(srv, ids[0]))
        self.assertEqual(srv.post(API + "/problems/%d/cases" % pid, {"add": [999999]}).status, 404)
        # the gate: no action plan, no closing
        r = srv.patch(API + "/problems/%d" % pid, {"status": "closed"})
        self.assertEqual(r.status, 409, r.describe())
        self.assertEqual(r.error()["code"], "gate_action_plan")
        # root cause: 5-Why and fishbone
        rc = {"whys": ["充电座接触不良", "弹片变形", "弹片材料偏软", "供应商换料未通知",
                       "来料检验未覆盖弹片硬度"],
              "fishbone": "料", "summary": "弹片来料硬度不足", "verified_by": "quality1",
              "evidence": ["硬度测试报告 QR-2026-118"]}
        r = srv.post(API + "/problems/%d/root-causes" % pid, rc)
        self.assertEqual(r.status, 201, r.describe())
        r = srv.post(API + "/feedback/%d/root-causes" % ids[0], dict(rc, fishbone="method"))
        self.assertEqual(r.status, 201, r.describe())
        got = srv.get(API + "/problems/%d/root-causes" % pid).json["items"][0]
        self.assertEqual(got["whys"], rc["whys"])
        self.assertEqual(got["fishbone"], "material")
        self.assertEqual(got["verified_by"], "quality1")
        r = srv.post(API + "/problems/%d/root-causes" % pid, dict(rc, fishbone="天"))
        self.assertEqual((r.status, r.error()["field"]), (400, "fishbone"))
        r = srv.post(API + "/problems/%d/root-causes" % pid, dict(rc, whys=[]))
        self.assertEqual((r.status, r.error()["field"]), (400, "whys"))
        # an action on the problem
        act = {"title": "弹片来料增加硬度抽检", "type": "corrective", "term": "short",
               "owner": "quality1", "due_at": iso(time.time() + 10 * DAY),
               "expected_effect": {"metric": "complaint_rate", "target": -0.3},
               "problem_id": pid}
        r = srv.post(API + "/actions", act)
        self.assertEqual(r.status, 201, r.describe())
        aid = r.json["id"]
        self.assertEqual((r.json["type"], r.json["term"], r.json["metric"], r.json["target"]),
                         ("corrective", "short", "complaint_rate", -0.3))
        for bad, field in ((dict(act, type="urgent"), "type"), (dict(act, due_at="tomorrow"),
                           "due_at"), ({"title": "x", "type": "corrective", "term": "short"},
                                       "category")):
            r = srv.post(API + "/actions", bad)
            self.assertEqual((r.status, r.error()["field"]), (400, field), r.describe())
        # the gate: no evaluation, no closing
        r = srv.patch(API + "/actions/%d" % aid, {"status": "closed"})
        self.assertEqual(r.status, 409, r.describe())
        self.assertEqual(r.error()["code"], "gate_effect_evaluation")
        # with an action plan the problem may close
        r = srv.patch(API + "/problems/%d" % pid, {"status": "closed"})
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual(r.json["status"], "closed")
        self.assertIsNotNone(r.json["closed_at"])
        # an evaluation (too little data: not yet) opens the action's gate
        r = srv.post(API + "/actions/%d/evaluate" % aid, {})
        self.assertEqual(r.status, 201, r.describe())
        self.assertEqual(r.json["verdict"], "not_yet")
        r = srv.patch(API + "/actions/%d" % aid, {"status": "closed"})
        self.assertEqual(r.status, 200, r.describe())
        lst = srv.get(API + "/actions?status=closed").json["items"]
        self.assertEqual([a["id"] for a in lst], [aid])
        self.assertEqual(srv.get(API + "/problems?status=closed").json["items"][0]["action_count"], 1)
        # every change is in the audit chain
        srv.stop()
        p = run_cli(srv.data, "audit", "list")
        self.assertEqual(p.returncode, 0, p.stderr)
        for action in ("problem.create", "problem.cases", "root_cause.create", "action.create",
                       "action.evaluate", "action.update", "problem.update"):
            self.assertIn(action, p.stdout)
        self.assertEqual(run_cli(srv.data, "audit", "verify").returncode, 0)
        srv.start(make_key=False)

    def test_problems_and_actions_of_one_case(self):
        srv = self.make_server()
        a, b, c = (self.new_case(srv, text="X200 扫地机第%d台不充电" % i, product="X200")
                   for i in range(3))
        pid = srv.post(API + "/problems", {"title": "X200 不充电", "product": "X200"}).json["id"]
        other = srv.post(API + "/problems", {"title": "另一个问题"}).json["id"]
        srv.post(API + "/problems/%d/cases" % pid, {"add": [a, b]})
        base = {"type": "corrective", "term": "short", "owner": "quality1"}
        on_problem = srv.post(API + "/actions", dict(base, title="换充电座", problem_id=pid))
        self.assertEqual(on_problem.status, 201, on_problem.describe())
        on_case = srv.post(API + "/actions", dict(base, title="回访客户", feedback_id=c))
        self.assertEqual(on_case.status, 201, on_case.describe())
        srv.post(API + "/actions", dict(base, title="无关", problem_id=other))

        def ids(path):
            r = srv.get(API + path)
            self.assertEqual(r.status, 200, r.describe())
            return sorted(x["id"] for x in r.json["items"])

        self.assertEqual(ids("/problems?feedback_id=%d" % a), [pid])
        self.assertEqual(ids("/problems?feedback_id=%d" % c), [])
        self.assertEqual(ids("/actions?feedback_id=%d" % b), [on_problem.json["id"]])
        self.assertEqual(ids("/actions?feedback_id=%d" % c), [on_case.json["id"]])
        self.assertEqual(len(ids("/actions")), 3)
        for bad in ("0", "x", "-3"):
            r = srv.get(API + "/actions?feedback_id=" + bad)
            self.assertEqual((r.status, r.error()["field"]), (400, "feedback_id"))
            r = srv.get(API + "/problems?feedback_id=" + bad)
            self.assertEqual((r.status, r.error()["field"]), (400, "feedback_id"))

    def test_problem_suggestions_from_clusters(self):
        srv = self.make_server()
        for i in range(4):
            self.new_case(srv, text="耳机左耳没有声音，第%d台" % i, product="Q3耳机")
        r = srv.patch(API + "/feedback/1", {"category_l1": "质量"})
        for i in (2, 3, 4):
            srv.patch(API + "/feedback/%d" % i, {"category_l1": "质量"})
        self.assertEqual(r.status, 200)
        r = srv.get(API + "/problems/suggestions?min_cases=3")
        self.assertEqual(r.status, 200, r.describe())
        cp = r.json["category_product"]
        self.assertEqual((cp[0]["category"], cp[0]["product"], cp[0]["n"]), ("质量", "Q3耳机", 4))
        self.assertEqual(sorted(cp[0]["cases"]), [1, 2, 3, 4])
        self.assertEqual(srv.get(API + "/problems/suggestions?min_cases=1").status, 400)
        # the same complaint from five customers (not duplicates of each other at intake) and
        # a near copy: one SimHash cluster
        same = "空调外机噪音很大，晚上根本睡不着，已经报修两次没人来"
        ids = [self.new_case(srv, text=same, customer_id="N-%d" % i) for i in range(5)]
        ids.append(self.new_case(srv, text=same + "！", customer_id="N-9"))
        self.new_case(srv, text="冰箱不制冷，里面的东西全坏了", customer_id="N-10")
        r = srv.get(API + "/problems/suggestions?min_cases=3")
        st = r.json["similar_text"]
        self.assertEqual(len(st), 1, st)
        self.assertEqual(sorted(st[0]["cases"]), ids)
        self.assertEqual(st[0]["n"], 6)
        # once they are in a problem they are no longer suggested
        pid = srv.post(API + "/problems", {"title": "空调外机噪音"}).json["id"]
        srv.post(API + "/problems/%d/cases" % pid, {"add": ids})
        self.assertEqual(srv.get(API + "/problems/suggestions?min_cases=3").json["similar_text"],
                         [])

    # ---- effect evaluation on generated data -------------------------------------------------

    def generate(self, srv, now):
        """Two windows of 28 days around now - 28 days: product X100 falls from 40 to 8
        complaints, Y200 stays at 30, other complaints stay at 60."""
        items = []
        n = 0

        def add(product, count, t0):
            nonlocal n
            for i in range(count):
                n += 1
                t = t0 + (i + 0.5) * (28 * DAY) / count
                items.append({"channel": "web", "external_id": "gen-%d" % n,
                              "received_at": iso(t), "product": product,
                              "customer_id": "G-%d" % n,
                              "text": "%s 第%d号投诉：%s" % (product or "其他", n,
                                                          "机器故障" if product else "物流慢")})
        base0, after0 = now - 56 * DAY, now - 28 * DAY
        add("X100", 40, base0)
        add("Y200", 30, base0)
        add(None, 60, base0)
        add("X100", 8, after0)
        add("Y200", 30, after0)
        add(None, 60, after0)
        for it in items:
            if it["product"] is None:
                del it["product"]
        r = srv.post(API + "/feedback/batch", items)
        self.assertEqual(r.status, 201, r.describe())

    def test_effect_evaluation_with_a_known_effect_and_with_none(self):
        srv = self.make_server()
        now = time.time()
        self.generate(srv, now)
        start = iso(now - 28 * DAY)
        common = {"type": "corrective", "term": "long", "start_at": start,
                  "expected_effect": {"metric": "complaint_rate", "target": -0.3}}
        ax = srv.post(API + "/actions", dict(common, title="X100 充电座改版",
                                             product="X100")).json["id"]
        ay = srv.post(API + "/actions", dict(common, title="Y200 说明书更新",
                                             product="Y200")).json["id"]
        az = srv.post(API + "/actions", dict(common, title="刚开始的措施", product="X100",
                                             start_at=iso(now - 5 * DAY))).json["id"]
        # known effect: 40 of 130 complaints before, 8 of 98 after
        r = srv.post(API + "/actions/%d/evaluate" % ax, {"window_days": 28})
        self.assertEqual(r.status, 201, r.describe())
        res = r.json["result"]
        self.assertEqual(r.json["verdict"], "effective", json.dumps(res, ensure_ascii=False))
        self.assertEqual((res["baseline"]["complaints"], res["baseline"]["total"]), (40, 130))
        self.assertEqual((res["after"]["complaints"], res["after"]["total"]), (8, 98))
        t = res["tests"]["complaint_rate"]
        self.assertAlmostEqual(t["ratio"], (8 / 98) / (40 / 130), places=4)
        self.assertLess(t["ci"][1], 1)
        self.assertLess(t["p"], 0.001)
        self.assertEqual(res["normalised_by"], "total_volume")
        for k in ("repeat_rate", "reopen_rate", "csat"):
            self.assertIn(k, res["tests"])
        # no effect: Y200 30 of 130 before, 30 of 98 after
        r = srv.post(API + "/actions/%d/evaluate" % ay, {"window_days": 28})
        self.assertEqual(r.json["verdict"], "not_effective", r.describe())
        self.assertGreater(r.json["result"]["tests"]["complaint_rate"]["ratio"], 1)
        # an after window that has not ended: not yet
        r = srv.post(API + "/actions/%d/evaluate" % az, {"window_days": 28})
        self.assertEqual(r.json["verdict"], "not_yet", r.describe())
        # the evaluation is kept
        g = srv.get(API + "/actions/%d/evaluation" % ax).json
        self.assertEqual(g["latest"]["verdict"], "effective")
        self.assertEqual(g["action"]["verdict"], "effective")
        self.assertFalse(g["action"]["recurrence"])
        # complaints come back: the same comparison on a window without the effect is a
        # recurrence after an effective verdict
        r = srv.post(API + "/actions/%d/evaluate" % ax, {
            "baseline_from": iso(now - 56 * DAY), "baseline_to": iso(now - 28 * DAY),
            "after_from": iso(now - 56 * DAY), "after_to": iso(now - 28 * DAY)})
        self.assertEqual(r.json["verdict"], "not_effective", r.describe())
        self.assertTrue(r.json["recurrence"])
        a = srv.get(API + "/actions/%d" % ax).json
        self.assertTrue(a["recurrence"])
        self.assertEqual(len(srv.get(API + "/actions/%d/evaluation" % ax).json["items"]), 2)
        r = srv.post(API + "/actions/%d/evaluate" % ax, {"baseline_from": iso(now)})
        self.assertEqual((r.status, r.error()["field"]), (400, "baseline_from"))

    def test_configured_denominator_and_the_cli(self):
        srv = self.make_server()
        now = time.time()
        self.generate(srv, now)
        aid = srv.post(API + "/actions", {
            "title": "X100 充电座改版", "type": "corrective", "term": "long", "product": "X100",
            "owner": "quality1", "start_at": iso(now - 28 * DAY)}).json["id"]
        srv.stop()
        # 1000 units shipped a day: the rate is per unit shipped, not per complaint
        for d in range(-60, 2):
            day = datetime.date.fromtimestamp(now + d * DAY).isoformat()
            p = run_cli(srv.data, "capa", "denominator", day, "1000", "--product", "X100")
            self.assertEqual(p.returncode, 0, p.stderr)
        p = run_cli(srv.data, "capa", "denominator", "2026-13-01", "5")
        self.assertEqual(p.returncode, 2, p.stderr)
        p = run_cli(srv.data, "capa", "evaluate", str(aid), "--window-days", "28", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        ev = json.loads(p.stdout)
        self.assertEqual(ev["verdict"], "effective", p.stdout)
        res = ev["result"]
        self.assertEqual(res["normalised_by"], "denominator")
        t = res["tests"]["complaint_rate"]
        self.assertEqual(t["method"], "poisson_rate_ratio_exact")
        self.assertAlmostEqual(t["ratio"], 8 / 40, places=2)
        p = run_cli(srv.data, "capa", "list")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("X100 充电座改版", p.stdout)
        self.assertIn("effective", p.stdout)
        p = run_cli(srv.data, "capa", "evaluate", "999")
        self.assertEqual(p.returncode, 3)
        srv.start(make_key=False)

    def test_the_loop_from_complaint_to_measured_improvement(self):
        """A complaint is closed, the customer answers as a detractor, a recovery follow-up
        opens, the cause is found and grouped into a problem, an action is taken and its
        effect measured on the complaints before and after it."""
        srv = self.make_server()
        now = time.time()
        self.generate(srv, now)
        fid = self.new_case(srv, text="X100 充电座又接触不良，第三次了", product="X100",
                            customer_id="C-LOOP")
        self.close(srv, fid)
        path = self.link_path(srv, fid)
        r = srv.request("POST", path, {"csat": 1, "nps": 0, "comment": "再也不买了"}, auth=False)
        self.assertTrue(r.json["detractor"], r.describe())
        self.assertEqual(self.surveys(srv, fid)["followups"][0]["kind"], "recovery")
        r = srv.post(API + "/feedback/%d/root-causes" % fid,
                     {"whys": ["接触不良", "弹片变形", "来料偏软"], "fishbone": "material",
                      "summary": "弹片来料硬度不足", "verified_by": "quality1"})
        self.assertEqual(r.status, 201, r.describe())
        pid = srv.post(API + "/problems", {"title": "X100 充电座", "product": "X100"}).json["id"]
        srv.post(API + "/problems/%d/cases" % pid, {"add": [fid]})
        aid = srv.post(API + "/actions", {
            "title": "弹片换料并加抽检", "type": "corrective", "term": "long",
            "problem_id": pid, "owner": "quality1", "start_at": iso(now - 28 * DAY),
            "expected_effect": {"metric": "complaint_rate", "target": -0.5}}).json["id"]
        # the scope comes from the problem (product X100)
        r = srv.post(API + "/actions/%d/evaluate" % aid, {"window_days": 28})
        self.assertEqual(r.status, 201, r.describe())
        self.assertEqual(r.json["verdict"], "effective", r.describe())
        self.assertEqual(r.json["result"]["scope"]["product"], "X100")
        self.assertEqual(srv.patch(API + "/actions/%d" % aid, {"status": "closed"}).status, 200)
        self.assertEqual(srv.patch(API + "/problems/%d" % pid, {"status": "closed"}).status, 200)
        kinds = self.timeline_kinds(srv, fid)
        for k in ("survey", "followup", "note", "link"):
            self.assertIn(k, kinds)

    def test_daily_recurrence_check(self):
        srv = self.make_server()
        now = time.time()
        self.generate(srv, now)
        aid = srv.post(API + "/actions", {
            "title": "X100 充电座改版", "type": "corrective", "term": "long", "product": "X100",
            "start_at": iso(now - 28 * DAY)}).json["id"]
        self.assertEqual(srv.post(API + "/actions/%d/evaluate" % aid, {}).json["verdict"],
                         "effective")
        srv.stop()

        def age_check():  # as if the last check were two days old
            db = sqlite3.connect(os.path.join(srv.data, "kesu.db"))
            db.execute("UPDATE actions SET recurrence_checked_at = recurrence_checked_at - ?",
                       (2 * DAY * 1000,))
            db.commit()
            db.close()

        # still effective: the check only notes its time
        age_check()
        p = run_cli(srv.data, "capa", "remind")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("1 rechecked, 0 recurrences", p.stdout)
        p = run_cli(srv.data, "capa", "remind")
        self.assertIn("0 rechecked", p.stdout)  # once a day
        # the complaints come back in the last four weeks
        srv.start(make_key=False)
        items = [{"channel": "web", "external_id": "back-%d" % i, "product": "X100",
                  "customer_id": "B-%d" % i, "received_at": iso(now - (i + 1) * 20000),
                  "text": "X100 又坏了 %d" % i} for i in range(45)]
        self.assertEqual(srv.post(API + "/feedback/batch", items).status, 201)
        srv.stop()
        age_check()
        p = run_cli(srv.data, "capa", "remind")
        self.assertIn("1 rechecked, 1 recurrences", p.stdout)
        srv.start(make_key=False)
        a = srv.get(API + "/actions/%d" % aid).json
        self.assertTrue(a["recurrence"])
        self.assertEqual(a["verdict"], "not_effective")
        self.assertIn("[recurrence]", run_cli(srv.data, "capa", "list").stdout)

    # ---- reminders --------------------------------------------------------------------------

    def test_reminders_and_escalation_once_across_restarts(self):
        srv = self.make_server(capa_interval="0.2", action_remind_hours="48")
        now = time.time()
        soon = srv.post(API + "/actions", {"title": "门店培训", "type": "preventive",
                                          "term": "short", "owner": "agent", "category": "服务",
                                          "due_at": iso(now + DAY)}).json["id"]
        late = srv.post(API + "/actions", {"title": "更换快递商", "type": "corrective",
                                          "term": "long", "owner": "store1", "category": "物流",
                                          "due_at": iso(now - DAY)}).json["id"]
        far = srv.post(API + "/actions", {"title": "年度复盘", "type": "improvement",
                                         "term": "long", "owner": "agent", "category": "物流",
                                         "due_at": iso(now + 30 * DAY)}).json["id"]
        deadline = time.time() + 10 * SLOW
        while time.time() < deadline:
            a = srv.get(API + "/actions/%d" % late).json
            if a["escalated_at"] and srv.get(API + "/actions/%d" % soon).json["reminded_at"]:
                break
            time.sleep(0.1)
        self.assertTrue(srv.get(API + "/actions?overdue=true").json["items"][0]["id"] == late)
        srv.restart()
        time.sleep(1)
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(srv.data, "kesu.db"), uri=True)
        rows = db.execute("SELECT kind, action_id FROM outbox ORDER BY id").fetchall()
        db.close()
        self.assertEqual(sorted(rows), sorted([("action_reminder", soon),
                                               ("action_overdue", late)]), rows)
        self.assertIsNone(srv.get(API + "/actions/%d" % far).json["reminded_at"])

    # ---- knowledge base and similar cases -----------------------------------------------------

    def test_knowledge_base_and_similar_cases(self):
        srv = self.make_server()
        r = srv.post(API + "/kb", {"title": "快递延误处理模板", "category": "物流",
                                   "body": "致歉，查询物流轨迹，超过 72 小时补发或退款。",
                                   "tags": ["快递", "延误"]})
        self.assertEqual(r.status, 201, r.describe())
        kid = r.json["id"]
        self.assertEqual(r.json["tags"], ["快递", "延误"])
        self.assertEqual(srv.post(API + "/kb", {"title": "x"}).error()["field"], "body")
        old = self.new_case(srv, text="快递三天都没有送到，物流信息一直不更新")
        other = self.new_case(srv, text="手机屏幕出现绿线，开机就闪烁")
        for fid in (old, other):
            srv.patch(API + "/feedback/%d" % fid, {"category_l1": "物流" if fid == old else "质量"})
            self.close(srv, fid)
        srv.post(API + "/feedback/%d/root-causes" % old,
                 {"whys": ["快递延误"], "fishbone": "环", "summary": "区域暴雨，改走陆运并补发"})
        new = self.new_case(srv, text="快递五天了还没送到，物流信息不更新")
        srv.patch(API + "/feedback/%d" % new, {"category_l1": "物流"})
        r = srv.get(API + "/feedback/%d/similar" % new)
        self.assertEqual(r.status, 200, r.describe())
        items = r.json["items"]
        self.assertEqual(items[0]["id"], old, items)
        self.assertEqual(items[0]["resolution"], "区域暴雨，改走陆运并补发")
        self.assertNotIn(other, [i["id"] for i in items[:1]])
        self.assertEqual([a["id"] for a in r.json["articles"]], [kid])
        r = srv.patch(API + "/kb/%d" % kid, {"status": "archived"})
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual(srv.get(API + "/kb?category=" + urllib.parse.quote("物流")).json["items"], [])
