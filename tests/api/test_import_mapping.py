"""`kesu import` with column mappings, encodings and Excel workbooks, end to end.

Each test imports into a fresh data dir with the real binary and reads the stored records
back with `kesu export`. Fixtures: tests/fixtures/import (made by make_fixtures.py there);
mappings: the examples shipped in docs/mappings. Run from the repository root.
"""

import datetime
import os
import re
import shutil
import tempfile
import unittest

from kesu_server import describe_proc
from test_cli import CliCase

FIX = os.path.join("tests", "fixtures", "import")
MAPS = os.path.join("docs", "mappings")

try:
    import openpyxl
except ImportError:  # Debian's python3-openpyxl, for /usr/bin/python3 (scripts/deps.sh)
    openpyxl = None


class ImportMappingTest(CliCase):
    def by_external_id(self):
        return {r.get("external_id"): r for r in self.export_jsonl()}

    def test_gbk_csv_with_mapping(self):
        path = os.path.join(FIX, "reviews_gbk.csv")
        mapping = os.path.join(MAPS, "ecommerce-reviews.json")
        p = self.kesu("import", "--mapping", mapping, path, code=3)
        self.assertEqual(self.summary(p), (5, 3, 0, 2))
        # bad rows: FILE:LINE: field: reason, with the source column
        self.assertRegex(p.stderr, re.escape(path) + r":5: received_at: .*\(column 评价时间\)")
        self.assertRegex(p.stderr, re.escape(path) + r":6: rating: ")
        recs = self.by_external_id()
        self.assertEqual(len(recs), 3, recs)
        r = recs["TB1002@2025年6月26日 14:05"]
        self.assertEqual(r["channel"], "ecommerce")
        self.assertEqual(r["order_no"], "TB1002")
        self.assertEqual(r["customer_name"], "阿*")  # personal data is masked at intake
        self.assertEqual(r["received_at"], "2025-06-26T14:05:00+08:00")
        self.assertEqual((r["rating"], r["rating_scale"]), (1, 5))
        self.assertEqual(r["text"], "收到就是坏的，客服不理人")
        self.assertEqual(r["product"], "电热水壶")
        # re-import: nothing new
        p = self.kesu("import", "--mapping", mapping, path, code=3)
        self.assertEqual(self.summary(p), (5, 0, 3, 2))
        self.assertEqual(len(self.export_jsonl()), 3)

    def test_wrong_encoding_is_visible(self):
        path = os.path.join(FIX, "reviews_gbk.csv")
        mapping = os.path.join(MAPS, "ecommerce-reviews.json")
        # read as Big5, the GBK header names do not match the mapping
        p = self.kesu("import", "--encoding", "big5", "--mapping", mapping, path, code=1)
        self.assertIn("no column", p.stderr, describe_proc(p))
        p = self.kesu("import", "--encoding", "latin1", path, code=2)

    def test_big5_hotline_with_categories(self):
        path = os.path.join(FIX, "hotline_big5.csv")
        p = self.kesu("import", "--mapping", os.path.join(MAPS, "hotline-big5.json"), path)
        self.assertEqual(self.summary(p), (2, 2, 0, 0))
        r = self.by_external_id()["C-1"]
        self.assertEqual(r["channel"], "hotline")
        self.assertEqual(r["phone"], "091***5678")  # masked; kesu reveal opens it
        self.assertEqual((r["category_l1"], r["category_l2"]), ("產品質量", "漏水"))
        self.assertEqual(r["received_at"], "2025-06-25T09:33:00+08:00")

    def test_stdin_with_mapping_is_csv(self):
        text = ("来电号码,通话ID,来电时间,工单内容,一级分类,二级分类\n"
                "13800000000,H-1,2025/6/25 09:33:19,空调不制冷,产品质量,制冷\n")
        p = self.kesu("import", "--mapping", os.path.join(MAPS, "hotline.json"), "-", input=text)
        self.assertEqual(self.summary(p), (1, 1, 0, 0))
        r = self.by_external_id()["H-1"]
        self.assertEqual((r["category_l1"], r["category_l2"]), ("产品质量", "制冷"))
        self.assertEqual(r["received_at"], "2025-06-25T09:33:19+08:00")

    def test_xlsx_with_mapping(self):
        path = os.path.join(FIX, "reviews.xlsx")
        mapping = os.path.join(MAPS, "ecommerce-reviews-xlsx.json")
        p = self.kesu("import", "--mapping", mapping, path)
        self.assertEqual(self.summary(p), (3, 3, 0, 0))
        recs = self.by_external_id()
        r = recs["TB2001@2025-06-25T09:33:19+08:00"]
        self.assertEqual(r["text"], "质量很好，推荐")  # rich-text shared string
        self.assertEqual(r["received_at"], "2025-06-25T09:33:19+08:00")
        self.assertEqual((r["rating"], r["rating_scale"]), (5, 5))  # 非常满意
        self.assertEqual(r["title"], "保温杯")
        r = recs["TB2003@2025-06-27T00:00:00+08:00"]
        self.assertEqual(r["rating"], 3)  # 一般
        p = self.kesu("import", "--mapping", mapping, path)
        self.assertEqual(self.summary(p), (3, 0, 3, 0))
        # the second sheet has none of the mapped columns
        p = self.kesu("import", "--sheet", "说明", "--mapping", mapping, path, code=1)
        self.assertIn("no column", p.stderr)
        p = self.kesu("import", "--sheet", "9", "--mapping", mapping, path, code=1)
        self.assertIn("no sheet", p.stderr)

    @unittest.skipIf(openpyxl is None, "python3-openpyxl is missing (scripts/deps.sh)")
    def test_xlsx_generated_here(self):
        """Field-name header without a mapping; bad rows by sheet row; renamed extension."""
        wb = openpyxl.Workbook()
        ws = wb.active
        rows = {1: ["channel", "received_at", "rating", "text"],
                2: ["web", datetime.datetime(2025, 6, 25, 9, 0), 4, "第一条"],
                3: ["nosuch", datetime.datetime(2025, 6, 25, 9, 0), 4, "坏渠道"],
                # row 4 is empty: not in the file at all
                5: ["web", None, 7, "分数超过五分"],
                6: ["app", "2025-06-26 10:00", None, "字符串时间"]}
        for r, values in rows.items():
            for c, v in enumerate(values, 1):
                if v is not None:
                    ws.cell(row=r, column=c, value=v)
        path = os.path.join(self.tmp, "export.dat")  # no .xlsx: found by its content
        wb.save(path)
        p = self.kesu("import", path, code=3)
        self.assertEqual(self.summary(p), (4, 2, 0, 2))
        self.assertRegex(p.stderr, re.escape(path) + r":3: channel: ")
        self.assertRegex(p.stderr, re.escape(path) + r":5: rating: ")
        texts = sorted(r["text"] for r in self.export_jsonl())
        self.assertEqual(texts, ["字符串时间", "第一条"])

    def test_survey_nps_csv(self):
        """header_row, skip_rows, epoch ms, joined text columns, split categories."""
        path = self.write("nps.csv",
                          "问卷导出\n导出时间 2025-07-01\n"
                          "答卷编号,提交时间,会员号,推荐意愿(0-10),不推荐的原因,其他建议,问题类型\n"
                          "(说明行),毫秒,,0-10,,,\n"
                          "S1,1750815199000,M9,3,等太久,希望加快,服务/等待时间\n"
                          "S2,1750815199000,M10,11,超出范围,,\n"
                          "S3,1750815199000,,10,,非常好,\n", encoding="gbk")
        p = self.kesu("import", "--mapping", os.path.join(MAPS, "survey-nps.json"), path, code=3)
        self.assertEqual(self.summary(p), (3, 2, 0, 1))
        self.assertRegex(p.stderr, re.escape(path) + r":6: rating: ")
        recs = self.by_external_id()
        r = recs["S1"]
        self.assertEqual(r["channel"], "survey")
        self.assertEqual((r["rating"], r["rating_scale"]), (3, 10))
        self.assertEqual(r["text"], "等太久\n希望加快")
        self.assertEqual((r["category_l1"], r["category_l2"]), ("服务", "等待时间"))
        self.assertEqual(r["received_at"], "2025-06-25T09:33:19+08:00")
        self.assertEqual(recs["S3"]["rating"], 10)

    def test_store_cards_by_letter(self):
        path = self.write("cards.csv",
                          "门店,日期,姓名,满意度,意见,补充\n"
                          "南京西路店,25-06-2025 09:33:19,,不满意,排队太久,\n"
                          "人民广场店,45833,王女士,满意,,\n", encoding="utf-8-sig")
        p = self.kesu("import", "--mapping", os.path.join(MAPS, "store-comment-cards.json"),
                      path)
        self.assertEqual(self.summary(p), (2, 2, 0, 0))
        recs = sorted(self.export_jsonl(), key=lambda r: r["store"])
        a, b = recs
        self.assertEqual(a["store"], "人民广场店")
        self.assertEqual(a["received_at"], "2025-06-25T00:00:00+08:00")
        self.assertEqual(a["text"], "（卡片未填写意见）")
        self.assertEqual((a["rating"], a["rating_scale"]), (3, 3))
        self.assertEqual(b["customer_name"], "匿名")
        self.assertEqual(b["text"], "排队太久")
        self.assertEqual(b["received_at"], "2025-06-25T09:33:19+08:00")
        # content-derived keys: a second import adds nothing
        p = self.kesu("import", "--mapping", os.path.join(MAPS, "store-comment-cards.json"),
                      path)
        self.assertEqual(self.summary(p), (2, 0, 2, 0))

    def test_bad_mapping_file(self):
        m = self.write("bad.json", '{"fields": {"status": "状态"}}')
        p = self.kesu("import", "--mapping", m, os.path.join(FIX, "reviews_gbk.csv"), code=2)
        self.assertIn("status", p.stderr)
        p = self.kesu("import", "--mapping", os.path.join(self.tmp, "none.json"),
                      os.path.join(FIX, "reviews_gbk.csv"), code=2)


if __name__ == "__main__":
    unittest.main()
