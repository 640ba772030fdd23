"""`kesu clean`: the text-cleaning stages over standard input, one JSON object per line."""

import json
import unittest

from kesu_server import describe_proc, run_cli


class CleanTest(unittest.TestCase):
    def clean(self, text, *args, code=0):
        p = run_cli(None, "clean", *args, input=text)
        self.assertEqual(p.returncode, code, describe_proc(p))
        return [json.loads(line) for line in p.stdout.splitlines()], p

    def test_plain_lines(self):
        out, _ = self.clean("這個問題很嚴重！！！電話１３８１２３４５６７８\n"
                            "<p>客户&amp;留言</p>\n"
                            "\n"
                            "我是张三，邮箱zhangsan@qq.com，卡号6228480402564890018\n",
                            "--name", "张三")
        self.assertEqual(len(out), 4)
        a, b, c, d = out
        self.assertEqual(a["clean"], "这个问题很严重！电话13812345678")
        self.assertEqual(a["masked"], "这个问题很严重！电话138****5678")
        self.assertEqual(a["pii"], [{"type": "mobile", "masked": "138****5678"}])
        self.assertTrue(a["t2s"])
        self.assertEqual(a["fixed"], ["width", "punct"])
        self.assertRegex(a["simhash"], r"^[0-9a-f]{16}$")
        self.assertEqual(b["clean"], "客户&留言")
        self.assertFalse(b["t2s"])
        self.assertEqual(b["fixed"], ["html", "entities"])
        self.assertEqual(c["clean"], "")
        self.assertEqual(c["simhash"], "0" * 16)
        self.assertEqual(d["masked"], "我是张*，邮箱z***@qq.com，卡号6228********0018")
        self.assertEqual([f["type"] for f in d["pii"]], ["name", "email", "bank_card"])

    def test_jsonl_and_duplicates(self):
        rec = {"text": "王伟投诉：快递三天没动静，电话13912345678。", "customer_name": "王伟"}
        near = dict(rec, text="再次反映：" + rec["text"] + "请尽快！")
        lines = "\n".join(json.dumps(r, ensure_ascii=False) for r in (rec, rec, near))
        out, _ = self.clean(lines + "\nnot json\n", "--jsonl", code=3)
        self.assertEqual(out[0]["masked"], "王*投诉：快递三天没动静，电话139****5678。")
        self.assertEqual(out[0]["simhash"], out[1]["simhash"])
        self.assertEqual(out[0]["exact_key"], out[1]["exact_key"])
        self.assertNotEqual(out[0]["exact_key"], out[2]["exact_key"])
        dist = bin(int(out[0]["simhash"], 16) ^ int(out[2]["simhash"], 16)).count("1")
        self.assertLessEqual(dist, 12)
        self.assertIn("error", out[3])

    def test_demo_records(self):
        demo = run_cli(None, "demo", "--count", "300", "--out", "-")
        self.assertEqual(demo.returncode, 0, describe_proc(demo))
        out, _ = self.clean(demo.stdout, "--jsonl")
        self.assertEqual(len(out), 300)
        for o in out:
            self.assertNotIn("<p>", o["clean"])
            self.assertNotIn("&amp;", o["clean"])
            for f in o["pii"]:
                self.assertIn("*", f["masked"])
        self.assertTrue(any(o["pii"] for o in out))
        self.assertTrue(any(o["t2s"] for o in out))

    def test_stats(self):
        _, p = self.clean("<p>a</p>\n電話13812345678\nok\n", "--stats")
        self.assertIn("3 texts (0 rejected lines), 1 converted", p.stderr)
        self.assertIn("html 1", p.stderr)
        self.assertIn("mobile 1", p.stderr)

    def test_usage(self):
        p = run_cli(None, "clean", "--bogus")
        self.assertEqual(p.returncode, 2, describe_proc(p))
        p = run_cli(None, "clean", "--help")
        self.assertIn("usage", p.stdout)


if __name__ == "__main__":
    unittest.main()
