"""Text analysis through the real server: every record gets categories (taxonomy rules, then
the taxonomy's model), sentiment, keywords and severity at intake; the taxonomy is read and
replaced through the API; keyword statistics over a period with emerging words; `kesu
reclassify` recomputes history but keeps what a person set."""
import copy
import json
import os
import shutil
import tempfile
import time
import unittest
import urllib.parse

from kesu_server import ServerTestCase, run_cli, describe_proc

API = "/api/v1/feedback"


def post(srv, test, **kw):
    body = {"channel": "web", "text": "测试"}
    body.update(kw)
    r = srv.post(API, body)
    test.assertStatus(r, 201)
    return r.json


class IntakeAnalysisTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.start_class_server()

    @classmethod
    def tearDownClass(cls):
        cls.stop_class_server()

    def test_complaint_gets_every_field(self):
        rec = post(self.srv, self, text="快递等了5天还没到，客服电话打不通，太差了！我要投诉到12315")
        got = self.srv.get(API + "/%d" % rec["id"]).json
        self.assertEqual(got["category_l1"], "物流")
        self.assertEqual(got["category_l2"], "配送延迟")
        self.assertEqual(got["category_source"], "rule")
        self.assertGreater(got["category_confidence"], 0.5)
        self.assertIn("logistics-late", got["category_rules"])
        self.assertIn("service-slow", got["category_rules"])  # fired, but lower priority
        self.assertEqual(got["severity"], "high")
        self.assertEqual(got["severity_source"], "rule")
        self.assertIn("regulator: 12315", got["severity_reasons"])
        self.assertEqual(got["sentiment"], "negative")
        self.assertLess(got["sentiment_score"], -0.5)
        self.assertIn("快递", got["keywords"])
        self.assertNotIn("12315", got["keywords"])  # numbers are no keywords

    def test_three_levels_and_amounts(self):
        rec = post(self.srv, self, text="退款3000元一个月了还没到账，客服一直推诿")
        self.assertEqual([rec["category_l1"], rec["category_l2"], rec["category_l3"]],
                         ["价格与退款", "退款问题", "退款未到账"])
        self.assertIn("amount: 3000", rec["severity_reasons"])
        self.assertIn(rec["severity"], ("medium", "high"))

    def test_safety_is_critical(self):
        rec = post(self.srv, self, text="热水器漏电，我被电了一下差点触电，孩子也烫伤了")
        self.assertEqual(rec["severity"], "critical")
        self.assertTrue(any(x.startswith("safety-fire") for x in rec["severity_reasons"]),
                        rec["severity_reasons"])

    def test_negative_keyword_blocks_rule(self):
        rec = post(self.srv, self, text="这款手机壳不过敏，材质很好，很满意")
        self.assertFalse(any(x.startswith("safety-injury") for x in
                             rec.get("severity_reasons") or []))
        self.assertEqual(rec["severity"], "low")
        self.assertEqual(rec["sentiment"], "positive")

    def test_english_sentiment(self):
        rec = post(self.srv, self, text="The delivery was late again and support never answered. "
                   "Worst service ever.")
        self.assertEqual(rec["sentiment"], "negative")

    def test_batch_and_import_doors_analyse_too(self):
        r = self.srv.post(API + "/batch", [{"channel": "app", "text": "收到的牛奶已经变质发霉了"}])
        self.assertStatus(r, 201)
        item = r.json["items"][0]
        got = self.srv.get(API + "/%d" % item["id"]).json
        self.assertEqual(got["category_l2"], "食品安全")

    def test_patch_category_is_manual(self):
        rec = post(self.srv, self, text="快递太慢了")
        r = self.srv.patch(API + "/%d" % rec["id"], {"category_l1": "服务态度",
                                                     "category_l2": "态度恶劣"})
        self.assertStatus(r, 200)
        got = self.srv.get(API + "/%d" % rec["id"]).json
        self.assertEqual(got["category_source"], "manual")
        self.assertEqual(got["category_confidence"], 1)

    def test_keywords_bad_input(self):
        r = self.srv.get("/api/v1/keywords?from=yesterday")
        self.assertError(r, 400, "invalid_time", "from")
        r = self.srv.get("/api/v1/keywords?from=2026-11-10&to=2026-11-01")
        self.assertError(r, 400, "invalid_time", "from")
        r = self.srv.get("/api/v1/keywords?limit=0")
        self.assertError(r, 400, "invalid_field", "limit")


class TaxonomyAndKeywordsTest(ServerTestCase):
    def test_taxonomy_get_put_persist(self):
        srv = self.server()
        r = srv.get("/api/v1/taxonomy")
        self.assertStatus(r, 200)
        doc = r.json
        self.assertIn("物流", [c["name"] for c in doc["categories"]])
        # a bad document is refused with the member named, nothing changes
        bad = copy.deepcopy(doc)
        bad["categories"][0]["rules"][0]["regex"] = "([unclosed"
        r = srv.request("PUT", "/api/v1/taxonomy", bad)
        self.assertError(r, 400, "invalid_field", "categories[0].rules[0].regex")
        r = srv.request("PUT", "/api/v1/taxonomy", raw=b"{not json")
        self.assertEqual(r.status, 400)
        four = copy.deepcopy(doc)
        four["categories"][1]["children"][0]["children"][0]["children"] = [{"name": "x"}]
        r = srv.request("PUT", "/api/v1/taxonomy", four)
        self.assertError(r, 400, "invalid_field")
        # a new node with its rule is in force at once
        new = copy.deepcopy(doc)
        new["categories"].append({"name": "会员", "children": [
            {"name": "积分过期", "rules": [{"id": "points-expired", "all": ["积分", "过期"],
                                          "none": ["没过期"], "priority": 50}]}]})
        r = srv.request("PUT", "/api/v1/taxonomy", new)
        self.assertStatus(r, 200)
        rec = post(srv, self, text="我的积分怎么就过期了，也没有提醒")
        self.assertEqual([rec["category_l1"], rec["category_l2"]], ["会员", "积分过期"])
        self.assertIn("points-expired", rec["category_rules"])
        rec = post(srv, self, text="积分没过期，但是兑换不了")
        self.assertNotEqual(rec.get("category_l1"), "会员")
        # kept across a restart, and the change is in the audit log
        srv.restart()
        r = srv.get("/api/v1/taxonomy")
        self.assertIn("会员", [c["name"] for c in r.json["categories"]])
        p = run_cli(srv.data, "audit", "list")
        self.assertIn("taxonomy.update", p.stdout, describe_proc(p))

    def test_model_decides_where_rules_do_not(self):
        srv = self.server()
        # a category model trained on a small labelled history
        rows = []
        for i in range(30):
            rows.append(("包装盒子里面的玻璃杯碎成好几块第%d次" % i, "物流/包装破损"))
            rows.append(("店里的小哥说话很冲很没礼貌第%d次" % i, "服务态度/态度恶劣"))
        csv = os.path.join(srv.tmp, "hist.csv")
        with open(csv, "w", encoding="utf-8") as f:
            f.write("text,label\n")
            for t, l in rows:
                f.write("%s,%s\n" % (t, l))
        model = os.path.join(srv.tmp, "cat.kmod")
        p = run_cli(srv.data, "train", "--input", csv, "--text-col", "text", "--label-col",
                    "label", "--out", model)
        self.assertEqual(p.returncode, 0, describe_proc(p))
        doc = srv.get("/api/v1/taxonomy").json
        doc["model"] = model
        doc["model_min_confidence"] = 0.5
        r = srv.request("PUT", "/api/v1/taxonomy", doc)
        self.assertStatus(r, 200)
        rec = post(srv, self, text="玻璃杯碎成好几块")
        self.assertEqual(rec["category_source"], "model", rec)
        self.assertEqual([rec["category_l1"], rec["category_l2"]], ["物流", "包装破损"])
        self.assertGreaterEqual(rec["category_confidence"], 0.5)
        # rules still come first
        rec = post(srv, self, text="玻璃杯碎了，而且是假货")
        self.assertEqual(rec["category_source"], "rule")
        # a model whose labels fit no node is refused
        doc2 = copy.deepcopy(doc)
        doc2["categories"] = [{"name": "其他"}]
        r = srv.request("PUT", "/api/v1/taxonomy", doc2)
        self.assertError(r, 400, "invalid_field", "model")

    def test_train_weighting_options(self):
        # --class-power, --tune-bias and --own-mix (with --also) train and cross-validate
        tmp = tempfile.mkdtemp(prefix="kesu-train-")
        self.addCleanup(shutil.rmtree, tmp, True)
        own = os.path.join(tmp, "own.csv")
        extra = os.path.join(tmp, "extra.csv")
        with open(own, "w", encoding="utf-8") as f:
            f.write("text,label\n")
            for i in range(24):
                f.write("送餐太慢了，饭都凉了%d,neg\n" % i)
                f.write("很好吃，送得也快%d,pos\n" % i)
            for i in range(6):
                f.write("骑手态度好，味道一般%d,mid\n" % i)
        with open(extra, "w", encoding="utf-8") as f:
            f.write("text,label\n")
            for i in range(40):
                f.write("物流太慢，包装破了%d,neg\n" % i)
                f.write("质量不错，很满意%d,pos\n" % i)
        model = os.path.join(tmp, "w.kmod")
        p = run_cli(tmp, "train", "--input", own, "--also", extra, "--text-col", "text",
                    "--label-col", "label", "--class-power", "0.75", "--tune-bias", "2",
                    "--own-mix", "0.6", "--cv", "3", "--out", model)
        self.assertEqual(p.returncode, 0, describe_proc(p))
        self.assertIn("cv: 3-fold over 54 texts", p.stdout, describe_proc(p))
        self.assertTrue(os.path.getsize(model) > 0)
        p = run_cli(tmp, "classify", "--model", model, input="送餐太慢了，饭都凉了\n")
        self.assertEqual(p.returncode, 0, describe_proc(p))
        self.assertEqual(json.loads(p.stdout)["label"], "neg")
        # --tune-for accuracy, and --cv-also: every file folded, a line per file
        p = run_cli(tmp, "train", "--input", own, "--also", extra, "--text-col", "text",
                    "--label-col", "label", "--tune-bias", "2", "--tune-for", "accuracy",
                    "--cv", "3", "--cv-also")
        self.assertEqual(p.returncode, 0, describe_proc(p))
        self.assertIn("cv: 3-fold over 134 texts", p.stdout, describe_proc(p))
        self.assertRegex(p.stdout, r"source .*own\.csv: 54 texts, accuracy [01]\.\d{4}")
        self.assertRegex(p.stdout, r"source .*extra\.csv: 80 texts, accuracy [01]\.\d{4}")
        base = ["train", "--input", own, "--text-col", "text", "--label-col", "label", "--cv", "3"]
        for bad, says in ((["--own-mix", "0.5"], "--also"),
                          (["--also", extra, "--own-mix", "1"], "--own-mix"),
                          (["--class-power", "9"], "--class-power"),
                          (["--tune-bias", "1"], "--tune-bias"),
                          (["--nb-alpha", "0"], "--nb-alpha"),
                          (["--tune-bias", "2", "--tune-for", "recall"], "--tune-for"),
                          (["--tune-for", "accuracy"], "--tune-bias"),
                          (["--cv-also"], "--also"),
                          (["--also", extra, "--cv-also", "--cv-folds", "f.csv"], "--cv-folds")):
            p = run_cli(tmp, *(base + bad))
            self.assertEqual(p.returncode, 2, describe_proc(p))
            self.assertIn(says, p.stderr, describe_proc(p))

    def test_keywords_top_and_emerging(self):
        srv = self.server()
        items = []
        # baseline week: delivery complaints; current week: leaking water heaters appear
        for i in range(12):
            items.append({"channel": "web", "external_id": "b%d" % i,
                          "received_at": "2026-11-0%dT10:00:00+08:00" % (1 + i % 6),
                          "text": "快递太慢了，物流一直不更新%d" % i})
        for i in range(12):
            items.append({"channel": "web", "external_id": "c%d" % i,
                          "received_at": "2026-11-1%dT10:00:00+08:00" % (i % 6),
                          "text": "热水器漏水，地板全泡了%d" % i})
        for i in range(4):
            items.append({"channel": "app", "external_id": "d%d" % i,
                          "received_at": "2026-11-12T11:00:00+08:00",
                          "text": "快递太慢了，物流一直不更新"})
        r = srv.post(API + "/batch", items)
        self.assertStatus(r, 201)
        r = srv.get("/api/v1/keywords?from=2026-11-08&to=2026-11-17&baseline=1&limit=10")
        self.assertStatus(r, 200)
        j = r.json
        self.assertEqual(j["records"], 16)
        self.assertEqual(j["baseline"]["records"], 12)
        top = {k["word"]: k for k in j["keywords"]}
        self.assertEqual(top["漏水"]["n"], 12)
        self.assertAlmostEqual(top["漏水"]["share"], 12 / 16)
        self.assertEqual(top["快递"]["n"], 4)
        em = [k["word"] for k in j["emerging"]]
        self.assertIn("漏水", em)
        self.assertNotIn("快递", em)  # its share fell
        e = [k for k in j["emerging"] if k["word"] == "漏水"][0]
        self.assertGreater(e["z"], 1.96)
        self.assertEqual(e["baseline_n"], 0)
        # filters
        r = srv.get("/api/v1/keywords?from=2026-11-08&to=2026-11-17&channel=app")
        self.assertEqual(r.json["records"], 4)
        r = srv.get("/api/v1/keywords?from=2026-11-08&to=2026-11-17&category=" +
                    urllib.parse.quote("物流"))
        self.assertEqual(r.json["records"], 4)
        self.assertEqual(r.json["keywords"][0]["n"], 4)

    def test_train_from_store_uses_corrections(self):
        srv = self.server()
        for i in range(8):
            a = post(srv, self, text="盒子里的玻璃杯碎成好几块了%d" % i)
            b = post(srv, self, text="那个小哥说话很冲很没礼貌%d" % i)
            post(srv, self, text="快递太慢了%d" % i)  # a rule's category: not a person's label
            self.assertStatus(srv.patch(API + "/%d" % a["id"], {"category_l1": "物流",
                                                                "category_l2": "包装破损"}), 200)
            self.assertStatus(srv.patch(API + "/%d" % b["id"], {"category_l1": "服务态度",
                                                                "category_l2": "态度恶劣"}), 200)
        srv.stop()
        model = os.path.join(srv.tmp, "corrections.kmod")
        p = run_cli(srv.data, "train", "--from-store", "category", "--out", model)
        self.assertEqual(p.returncode, 0, describe_proc(p))
        self.assertIn("16 stored records labelled by a person", p.stderr)
        self.assertIn("2 labels", p.stderr)
        p = run_cli(srv.data, "classify", "--model", model, input="杯子碎了\n说话很没礼貌\n")
        self.assertEqual(p.returncode, 0, describe_proc(p))
        labels = [json.loads(l)["label"] for l in p.stdout.splitlines()]
        self.assertEqual(labels, ["物流/包装破损", "服务态度/态度恶劣"])
        p = run_cli(srv.data, "train", "--from-store", "colour", "--out", model)
        self.assertEqual(p.returncode, 2, describe_proc(p))

    def test_idf_from_store(self):
        srv = self.server()
        for i in range(9):
            post(srv, self, text="快递太慢了，等了好久%d" % i)
        post(srv, self, text="热水器漏水")
        srv.stop()
        p = run_cli(srv.data, "idf", "--min-df", "1")
        self.assertEqual(p.returncode, 0, describe_proc(p))
        self.assertIn("from 10 records", p.stderr)
        idf = {}
        with open(os.path.join(srv.data, "idf.txt"), encoding="utf-8") as f:
            for line in f:
                w, v = line.split()
                idf[w] = float(v)
        import math
        self.assertAlmostEqual(idf["快递"], math.log(10 / 9), places=6)
        self.assertAlmostEqual(idf["漏水"], math.log(10 / 1), places=6)
        # keyword extraction now weighs by these records: the rare word comes first
        p = run_cli(srv.data, "analyze", input="快递漏水\n")
        self.assertEqual(json.loads(p.stdout)["keywords"][0], "漏水", describe_proc(p))
        p = run_cli(srv.data, "idf", "--min-df", "0")
        self.assertEqual(p.returncode, 2, describe_proc(p))

    def test_reclassify_keeps_manual(self):
        srv = self.server()
        a = post(srv, self, text="会员卡里的积分被清零了")
        b = post(srv, self, text="会员卡里的积分被清零了，客服也不管")
        c = post(srv, self, text="会员卡里的积分又被清零了，第三次投诉")
        r = srv.patch(API + "/%d" % b["id"], {"category_l1": "账户与支付", "category_l2": "账户登录",
                                              "severity": "critical"})
        self.assertStatus(r, 200)
        doc = srv.get("/api/v1/taxonomy").json
        doc["categories"].append({"name": "会员", "rules": [
            {"id": "membership", "any": ["会员卡"], "priority": 100}]})
        self.assertStatus(srv.request("PUT", "/api/v1/taxonomy", doc), 200)
        self.assertNotEqual(srv.get(API + "/%d" % a["id"]).json.get("category_l1"), "会员")
        srv.stop()
        p = run_cli(srv.data, "reclassify", "--where", "channel=web")
        self.assertEqual(p.returncode, 0, describe_proc(p))
        self.assertIn("reclassified 3 records", p.stderr)
        p = run_cli(srv.data, "reclassify", "--where", "colour=red")
        self.assertEqual(p.returncode, 2, describe_proc(p))
        srv.start(make_key=False)
        ga, gb, gc = (srv.get(API + "/%d" % x["id"]).json for x in (a, b, c))
        self.assertEqual(ga["category_l1"], "会员")
        self.assertEqual(ga["category_source"], "rule")
        self.assertEqual(gc["category_l1"], "会员")
        self.assertEqual([gb["category_l1"], gb["category_l2"]], ["账户与支付", "账户登录"])
        self.assertEqual(gb["category_source"], "manual")
        self.assertEqual(gb["severity"], "critical")
        self.assertEqual(gb["severity_source"], "manual")
        self.assertIn("membership", gb["category_rules"])  # which rules fire is still shown


GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "nlp",
                      "analyze.golden")


class GoldenTest(unittest.TestCase):
    def test_analyze_golden(self):
        with open(GOLDEN, encoding="utf-8") as f:
            text = f.read()
        cases, head = [], []
        for line in text.splitlines():
            if line.startswith("< "):
                cases.append([line[2:], None])
            elif line.startswith("> "):
                cases[-1][1] = json.loads(line[2:])
            elif not cases:
                head.append(line)
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            p = run_cli(d, "analyze", input="".join(c[0] + "\n" for c in cases))
        self.assertEqual(p.returncode, 0, describe_proc(p))
        got = [json.loads(l) for l in p.stdout.splitlines()]
        self.assertEqual(len(got), len(cases))
        if os.environ.get("KESU_GOLDEN_UPDATE") == "1":
            with open(GOLDEN, "w", encoding="utf-8") as f:
                f.write("\n".join(head).rstrip("\n") + "\n")
                for (inp, _), g in zip(cases, got):
                    f.write("\n< %s\n> %s\n" % (inp, json.dumps(g, ensure_ascii=False,
                                                               separators=(",", ":"))))
            return
        for (inp, want), g in zip(cases, got):
            with self.subTest(text=inp):
                self.assertAlmostEqual(g.pop("sentiment_score"), want.pop("sentiment_score"),
                                       delta=0.05)
                self.assertEqual(g, want)


    def test_analyze_scores_as_classify(self):
        # analyze reuses the keyword stage's cut for the sentiment model's words; its score must
        # be the one `kesu classify` gives the same text, cut afresh
        with open(GOLDEN, encoding="utf-8") as f:
            texts = [l[2:] for l in f.read().splitlines() if l.startswith("< ")]
        texts += ["送餐太慢了，饭都凉了，再也不点了", "味道不错，分量足，骑手也很客气",
                  "房间很干净，前台服务热情", "The delivery was late again"]
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            a = run_cli(d, "analyze", input="".join(t + "\n" for t in texts))
            c = run_cli(d, "classify", "--model", "sentiment-zh",
                        input="".join(t + "\n" for t in texts))
        self.assertEqual(a.returncode, 0, describe_proc(a))
        self.assertEqual(c.returncode, 0, describe_proc(c))
        checked = 0
        for t, la, lc in zip(texts, a.stdout.splitlines(), c.stdout.splitlines()):
            if not any("\u4e00" <= ch <= "\u9fff" for ch in t):
                continue  # sentiment-en
            got, want = json.loads(la), json.loads(lc)
            p = want["score"] if want["label"] == "positive" else 1 - want["score"]
            self.assertAlmostEqual(got["sentiment_score"], 2 * p - 1, delta=2e-4, msg=t)
            checked += 1
        self.assertGreater(checked, 10)


class WordSearchTest(ServerTestCase):
    def test_words_against_substrings(self):
        srv = self.server()
        a = post(srv, self, text="申请退款三天了还没处理", external_id="w1")
        b = post(srv, self, text="撤退款项的事情以后再说", external_id="w2")
        c = post(srv, self, text="这个热水器漏水", external_id="w3")

        def ids(q, words):
            path = API + "?limit=100&q=" + urllib.parse.quote(q)
            if words:
                path += "&match=words"
            r = srv.get(path)
            self.assertStatus(r, 200)
            return sorted(it["id"] for it in r.json["items"])

        deadline = time.time() + 30
        while ids("漏水", True) != [c["id"]] or ids("漏水", False) != [c["id"]]:
            if time.time() > deadline:
                self.fail("records never became searchable by words and substrings")
            time.sleep(0.1)
        self.assertEqual(ids("退款", False), sorted([a["id"], b["id"]]))  # substring
        self.assertEqual(ids("退款", True), [a["id"]])  # the word only
        self.assertEqual(ids("热水器 漏水", True), [c["id"]])
        self.assertEqual(ids("热水", True), [])  # not a word of that text
        self.assertEqual(ids("热水", False), [c["id"]])
        r = srv.get(API + "?q=x&match=fuzzy")
        self.assertError(r, 400, "invalid_field", "match")


if __name__ == "__main__":
    unittest.main()


class CategoriesTest(ServerTestCase):
    """GET /api/v1/categories: the taxonomy's tree without its rules, for case workers (the
    inbox's category filter and bulk change), who may not read the taxonomy itself."""

    def test_tree_without_rules_for_feedback_readers(self):
        from kesu_server import UserSession
        srv = self.server(extra_args=["--demo-if-empty", "3"])
        agent = UserSession(srv, "agent", "kesu-demo")
        r = agent.get("/api/v1/categories")
        self.assertEqual(r.status, 200, r.describe())
        top = r.json["categories"]
        logistics = [c for c in top if c["name"] == "物流"][0]
        self.assertIn({"name": "配送延迟"}, logistics["children"])
        self.assertNotIn("rules", json.dumps(r.json))
        quality = [c for c in top if c["name"] == "产品质量"][0]
        fault = [c for c in quality["children"] if c["name"] == "功能故障"][0]
        self.assertIn({"name": "无法开机"}, fault["children"])
        self.assertEqual(agent.get("/api/v1/taxonomy").status, 403)
        self.assertEqual(UserSession(srv, "auditor", "kesu-demo").get("/api/v1/categories").status, 403)
        # a taxonomy put in force is what the tree shows at once
        doc = srv.get("/api/v1/taxonomy").json
        doc["categories"].append({"name": "新类目", "rules": [{"any": ["新词"]}]})
        self.assertEqual(srv.request("PUT", "/api/v1/taxonomy", doc).status, 200)
        names = [c["name"] for c in agent.get("/api/v1/categories").json["categories"]]
        self.assertEqual(names[-1], "新类目")
