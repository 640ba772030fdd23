"""Case handling against the real server: a complaint walks the whole loop (intake, routed,
acknowledged, transferred, SLA breached and escalated by the scheduler, responded, closed,
reopened), and the collaboration, team, routing and SLA endpoints check their input."""

import time
import unittest

from kesu_server import SLOW, ServerTestCase

API = "/api/v1"
FB = API + "/feedback"


class LoopWalkTest(ServerTestCase):
    def setUp(self):
        super().setUp()
        # one demo record seeds the demo organisation, rules and policies
        self.s = self.server(extra_args=["--demo-if-empty", "1", "--sla-interval", "0.2"])

    def ok(self, r, status=200):
        self.assertStatus(r, status)
        return r.json

    def timeline(self, fid):
        return self.ok(self.s.get(FB + "/%d" % fid))["timeline"]

    def go(self, fid, to, status=200, **extra):
        body = {"to": to}
        body.update(extra)
        return self.s.post(FB + "/%d/transitions" % fid, body)

    def wait_for(self, what, fn, seconds=15):
        deadline = time.monotonic() + seconds * SLOW
        while time.monotonic() < deadline:
            v = fn()
            if v:
                return v
            time.sleep(0.1)
        self.fail("timed out waiting for " + what)

    def test_a_complaint_walks_the_loop(self):
        s = self.s
        # a policy with targets in seconds, and a rule that routes to it
        self.ok(s.post(API + "/sla/policies", {
            "name": "fast", "position": 1, "calendar": "24x7", "ack": 60, "response": 2,
            "resolve": 3600, "warn_share": 0.5}))
        rule = self.ok(s.post(API + "/routing/rules", {
            "name": "冰箱 → 产品部", "position": 1, "when": {"keywords": ["冰箱"]},
            "then": {"team": "product", "priority": "p3", "sla_policy": "fast",
                     "tags": ["冰箱"]}}), 201)
        rules = self.ok(s.get(API + "/routing/rules"))
        self.assertEqual(rules["items"][0]["id"], rule["id"])
        self.assertEqual(rules["mode"], "first")

        # intake → routed: team, assignee within the team, priority, tags, SLA clock
        rec = self.ok(s.post(FB, {"channel": "hotline", "external_id": "LOOP-1",
                                  "text": "新买的冰箱不制冷，三天了没人管"}), 201)
        fid = rec["id"]
        self.assertEqual((rec["team"], rec["assignee"], rec["priority"]),
                         ("product", "product1", "p3"))
        case = self.ok(s.get(FB + "/%d/case" % fid))
        self.assertEqual(case["tags"], ["冰箱"])
        self.assertEqual(case["sla"]["policy"], "fast")
        ev = self.timeline(fid)
        self.assertEqual([(e["kind"], e.get("field")) for e in ev[1:]],
                         [("assign", "team"), ("assign", "assignee"), ("field", "priority")])

        # an illegal step is a 409 that lists the allowed ones
        r = self.go(fid, "closed")
        self.assertError(r, 409, "illegal_transition", "to")
        self.assertEqual(r.json["error"]["allowed"], ["acknowledged"])
        self.assertEqual(r.json["error"]["from"], "received")
        nxt = self.ok(s.get(FB + "/%d/transitions" % fid))
        self.assertEqual([a["to"] for a in nxt["allowed"]], ["acknowledged"])

        # acknowledged
        j = self.ok(self.go(fid, "acknowledged", note="已致电客户"))
        self.assertEqual(j["status"], "acknowledged")
        self.assertIn("acknowledged_at", j)

        # transferred to quality with a reason
        r = s.post(FB + "/%d/transfer" % fid, {"team": "quality"})
        self.assertError(r, 400, "missing_field", "reason")
        j = self.ok(s.post(FB + "/%d/transfer" % fid, {"team": "quality",
                                                       "reason": "疑似压缩机批次问题"}))
        self.assertEqual((j["team"], j["assignee"]), ("quality", "quality1"))
        tr = [e for e in self.timeline(fid) if e["kind"] == "transfer"]
        self.assertEqual((tr[0]["before"], tr[0]["after"], tr[0]["note"]),
                         ("product", "quality", "疑似压缩机批次问题"))

        # the first response is 2 s due: the scheduler warns, then breaches and escalates
        def breached():
            sla = self.ok(s.get(FB + "/%d/sla" % fid))
            t = sla["targets"]["response"]
            return t["breached"] and t["escalated"] and sla
        sla = self.wait_for("the response breach", breached)
        self.assertTrue(sla["targets"]["acknowledgement"]["met"])
        self.assertFalse(sla["targets"]["acknowledgement"]["breached"])
        j = self.ok(s.get(FB + "/%d" % fid))
        self.assertEqual((j["assignee"], j["priority"]), ("supervisor", "p2"))
        kinds = [e["kind"] for e in j["timeline"]]
        self.assertEqual(kinds.count("sla_warning"), 1, kinds)
        self.assertEqual(kinds.count("sla_breach"), 1, kinds)
        esc = {e["field"]: e for e in j["timeline"] if e["kind"] == "escalation"}
        self.assertEqual((esc["assignee"]["before"], esc["assignee"]["after"]),
                         ("quality1", "supervisor"))
        self.assertEqual((esc["priority"]["before"], esc["priority"]["after"]), ("p3", "p2"))
        m = self.ok(s.get(API + "/mentions?user=supervisor"))
        self.assertIn(fid, [c["feedback_id"] for c in m["items"]])

        # a restart neither warns nor escalates again
        s.stop()
        s.start()
        time.sleep(1.0 * SLOW)
        kinds2 = [e["kind"] for e in self.timeline(fid)]
        self.assertEqual(kinds2.count("sla_breach"), 1, kinds2)
        self.assertEqual(kinds2.count("escalation"), 2, kinds2)

        # responded → closed → reopened
        for st in ("assessed", "assigned", "investigating", "responded"):
            self.ok(self.go(fid, st))
        j = self.ok(self.go(fid, "closed", note="客户接受更换"))
        self.assertIn("closed_at", j)
        self.assertIn("responded_at", j)
        j = self.ok(self.go(fid, "reopened", note="换货后仍不制冷"))
        self.assertEqual(j["status"], "reopened")
        self.assertIn("reopened_at", j)
        tl = [(e["before"], e["after"]) for e in self.timeline(fid) if e["kind"] == "transition"]
        self.assertEqual(tl, [("received", "acknowledged"), ("acknowledged", "assessed"),
                              ("assessed", "assigned"), ("assigned", "investigating"),
                              ("investigating", "responded"), ("responded", "closed"),
                              ("closed", "reopened")])
        self.assertTrue(self.ok(s.get(FB + "/%d/sla" % fid))["targets"]["response"]["met"])

    def test_closing_unaccepted_needs_the_recourse(self):
        fid = self.ok(self.s.post(FB, {"channel": "web", "text": "退款一直不到账"}), 201)["id"]
        for st in ("acknowledged", "assessed", "investigating", "responded"):
            self.ok(self.go(fid, st))
        self.assertError(self.go(fid, "closed_unaccepted"), 400, "missing_field", "recourse")
        self.assertError(self.go(fid, "finished"), 400, "invalid_value", "to")
        j = self.ok(self.go(fid, "closed_unaccepted", recourse="可向12315投诉"))
        self.assertEqual(j["status"], "closed_unaccepted")
        last = [e for e in self.timeline(fid) if e["kind"] == "transition"][-1]
        self.assertIn("12315", last["note"])

    def test_pending_stops_the_clock_and_subtasks_wait(self):
        s = self.s
        fid = self.ok(s.post(FB, {"channel": "web", "text": "快递包裹破损"}), 201)["id"]
        for st in ("acknowledged", "assessed", "investigating"):
            self.ok(self.go(fid, st))
        sub = self.ok(s.post(FB + "/%d/subtasks" % fid, {
            "team": "quality", "title": "检查包装批次", "due_at": "2026-12-31T18:00:00+08:00",
            "wait": True}), 201)
        self.assertEqual(self.ok(s.get(FB + "/%d" % fid))["status"], "pending_third_party")
        self.assertTrue(self.ok(s.get(FB + "/%d/sla" % fid))["paused"])
        self.assertError(s.post(FB + "/%d/subtasks" % fid, {"team": "nobody", "title": "x"}),
                         400, "unknown_team", "team")
        self.assertError(s.post(FB + "/%d/subtasks" % fid, {"team": "quality", "title": "x",
                                                             "due_at": "tomorrow"}),
                         400, "invalid_time", "due_at")
        self.ok(s.post(FB + "/%d/subtasks/%d/done" % (fid, sub["id"]), {"result": "包装合格"}))
        self.assertError(s.post(FB + "/%d/subtasks/%d/done" % (fid, sub["id"]), {}),
                         409, "already_done")
        j = self.ok(s.get(FB + "/%d" % fid))
        self.assertEqual(j["status"], "investigating")
        sla = self.ok(s.get(FB + "/%d/sla" % fid))
        self.assertFalse(sla["paused"])
        case = self.ok(s.get(FB + "/%d/case" % fid))
        self.assertEqual(case["subtasks"][0]["status"], "done")
        self.assertEqual(case["subtasks"][0]["due_at"], "2026-12-31T18:00:00+08:00")

    def test_comments_mentions_merge_and_links(self):
        s = self.s
        a = self.ok(s.post(FB, {"channel": "app", "text": "会员积分被清零"}), 201)["id"]
        b = self.ok(s.post(FB, {"channel": "email", "text": "积分清零了，第二次投诉"}), 201)["id"]
        self.assertError(s.post(FB + "/%d/comments" % a, {"body": ""}), 400, "invalid_value",
                         "body")
        self.ok(s.post(FB + "/%d/comments" % a, {"body": "@agent2 请核对积分流水", "internal": True}),
                201)
        m = self.ok(s.get(API + "/mentions?user=agent2"))
        self.assertEqual(m["items"][0]["body"], "@agent2 请核对积分流水")
        self.assertTrue(m["items"][0]["internal"])
        self.assertError(s.get(API + "/mentions"), 400, "missing_field", "user")
        self.assertIn("note", [e["kind"] for e in self.timeline(a)])
        self.assertError(s.post(FB + "/%d/merge" % a, {"duplicate": a}), 400, "invalid_value")
        self.assertError(s.post(FB + "/%d/merge" % a, {"duplicate": "x"}), 400, "invalid_value",
                         "duplicate")
        self.ok(s.post(FB + "/%d/merge" % a, {"duplicate": b, "note": "同一会员"}))
        jb = self.ok(s.get(FB + "/%d" % b))
        self.assertEqual((jb["status"], jb["duplicate_of"]), ("closed", a))
        self.assertEqual([e["kind"] for e in jb["timeline"]][-2:], ["merge", "transition"])
        self.assertIn("merge", [e["kind"] for e in self.timeline(a)])
        c = self.ok(s.post(FB, {"channel": "web", "text": "积分兑换失败"}), 201)["id"]
        self.ok(s.post(FB + "/%d/links" % a, {"related": c}))
        self.assertEqual([x["id"] for x in self.ok(s.get(FB + "/%d/case" % c))["links"]], [a])
        self.assertError(s.post(FB + "/%d/links" % a, {"related": 999999}), 404, "not_found")

    def test_teams_duty_and_config_errors(self):
        s = self.s
        teams = {t["name"]: t for t in self.ok(s.get(API + "/teams"))["items"]}
        self.assertEqual(set(teams), {"kefu", "quality", "product", "logistics", "store_ops"})
        self.assertEqual(teams["kefu"]["display_name"], "客服部")
        self.assertEqual(teams["kefu"]["supervisor"], "supervisor")
        mem = self.ok(s.get(API + "/teams/kefu/members"))["items"]
        self.assertEqual([m["username"] for m in mem], ["agent", "agent2"])
        self.assertError(s.get(API + "/teams/nowhere/members"), 404, "not_found")
        self.ok(s.post(API + "/teams", {"name": "vip_care", "display_name": "大客户组",
                                        "supervisor": "supervisor",
                                        "assign_mode": "least_open"}))
        self.assertError(s.post(API + "/teams", {"name": "x", "assign_mode": "random"}), 400,
                         "invalid_value", "assign_mode")
        self.assertError(s.post(API + "/teams", {"name": "有空格 的"}), 400, "invalid_value",
                         "name")
        for u in ("agent", "agent2"):
            self.ok(s.post(API + "/teams/vip_care/members", {"username": u}))
        self.ok(s.post(API + "/routing/rules", {
            "name": "钻石 → 大客户组", "position": 0, "when": {"customer_segment": ["钻石会员"]},
            "then": {"team": "vip_care"}}), 201)
        got = [self.ok(s.post(FB, {"channel": "web", "text": "服务太差 %d" % i,
                                   "customer_segment": "钻石会员"}), 201)["assignee"]
               for i in range(4)]
        self.assertEqual(sorted(got), ["agent", "agent", "agent2", "agent2"], got)
        self.ok(s.request("DELETE", API + "/teams/vip_care/members/agent"))
        rec = self.ok(s.post(FB, {"channel": "web", "text": "服务太差",
                                  "customer_segment": "钻石会员"}), 201)
        self.assertEqual(rec["assignee"], "agent2")
        self.assertError(s.post(API + "/users/nobody/duty", {"on_duty": False}), 404,
                         "not_found")
        self.assertError(s.post(API + "/users/agent/duty", {"on_duty": "no"}), 400, "invalid_type",
                         "on_duty")
        # configuration errors name the field
        self.assertError(s.post(API + "/routing/rules", {"name": "x", "when": {"colour": ["红"]},
                                                         "then": {"team": "kefu"}}),
                         400, "unknown_field", "when.colour")
        self.assertError(s.post(API + "/routing/rules", {"name": "x", "then": {"priority": "P0"}}),
                         400, "invalid_value", "then.priority")
        self.assertError(s.request("PUT", API + "/routing/rules/99999",
                                   {"name": "x", "then": {"team": "kefu"}}), 404, "not_found")
        self.assertError(s.request("PUT", API + "/routing/mode", {"mode": "some"}), 400,
                         "invalid_value", "mode")
        self.ok(s.request("PUT", API + "/routing/mode", {"mode": "all"}))
        self.assertEqual(self.ok(s.get(API + "/routing/rules"))["mode"], "all")
        self.assertError(s.post(API + "/sla/policies", {"name": "x", "ack": "2 hours"}), 400,
                         "invalid_value", "ack")
        self.assertError(s.post(API + "/sla/policies", {"name": "x", "ack": 60,
                                                        "calendar": "mars"}),
                         400, "unknown_calendar", "calendar")
        self.assertError(s.post(API + "/sla/calendars", {"name": "x", "utc_offset": "+08:00",
                                                         "weekdays": [1], "hours": [["9", "x"]]}),
                         400, "invalid_value", "hours")
        self.ok(s.post(API + "/sla/calendars", {"name": "shop", "utc_offset": "+08:00",
                                                "weekdays": [1, 2, 3, 4, 5, 6, 7],
                                                "hours": [["10:00", "22:00"]],
                                                "holidays": ["2026-02-17"]}))
        self.ok(s.post(API + "/sla/policies", {"name": "shop", "calendar": "shop",
                                               "ack": "1h"}))
        names = [p["name"] for p in self.ok(s.get(API + "/sla/policies"))["items"]]
        self.assertIn("shop", names)
        self.assertEqual(self.ok(s.get(API + "/sla/calendars"))["items"][0]["name"], "shop")


    def test_device_faults_open_a_routed_case(self):
        s = self.s
        self.ok(s.post(API + "/routing/rules", {
            "name": "设备故障 → 产品部", "position": 0, "when": {"channel": ["iot"]},
            "then": {"team": "product", "tags": ["设备"]}}), 201)
        t0 = int(time.time()) - 600
        fid = None
        for i in range(3):
            r = self.ok(s.post(API + "/devices/events", {
                "device_id": "SN-LOOP", "model": "X5", "fault_code": "E21", "at": t0 + 60 * i}),
                201)
            fid = r["items"][0]["feedback_id"] or fid
        self.assertIsNotNone(fid, "three faults open a complaint")
        j = self.ok(s.get(FB + "/%d" % fid))
        self.assertEqual((j["channel"], j["team"], j["assignee"]), ("iot", "product", "product1"))
        self.assertEqual(self.ok(s.get(FB + "/%d/case" % fid))["tags"], ["设备"])


class SlaCliTest(ServerTestCase):
    def test_sla_check_prints_what_it_did(self):
        from kesu_server import run_cli
        s = self.server(extra_args=["--demo-if-empty", "5", "--sla-interval", "0"])
        fid = s.post(FB, {"channel": "web", "text": "客服电话打不通"}).json["id"]
        s.stop()
        p = run_cli(s.data, "sla", "policies")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("standard", p.stdout)
        p = run_cli(s.data, "sla", "check", "--at", "2099-01-01T00:00:00+08:00")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("feedback %d: acknowledgement breached" % fid, p.stdout)
        self.assertIn("feedback %d: escalated" % fid, p.stdout)
        self.assertRegex(p.stdout, r"sla check: \d+ cases looked at, 0 warnings, \d+ breaches")
        p = run_cli(s.data, "sla", "check", "--at", "2099-01-01T00:00:00+08:00")
        self.assertIn("0 breaches, 0 escalations", p.stdout)
        p = run_cli(s.data, "sla", "check", "--at", "yesterday")
        self.assertEqual(p.returncode, 2)


if __name__ == "__main__":
    unittest.main()
