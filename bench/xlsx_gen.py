#!/usr/bin/python3
"""Writes N review rows as an .xlsx (openpyxl, write-only), a UTF-8 CSV and a GBK CSV.

usage: xlsx_gen.py N OUT_PREFIX   -> OUT_PREFIX.xlsx, OUT_PREFIX.sst.xlsx, OUT_PREFIX.csv,
                                     OUT_PREFIX.gbk.csv
OUT_PREFIX.xlsx has inline strings (as openpyxl writes them); OUT_PREFIX.sst.xlsx is the same
workbook with every string moved into a shared strings part, as Excel writes it.
The rows look like an e-commerce review export (docs/mappings/ecommerce-reviews-xlsx.json);
dates are real Excel dates with a number format, texts 20-80 characters.
"""
import csv
import datetime
import random
import re
import sys
import zipfile

import openpyxl

HEADER = ["订单号", "买家昵称", "评价时间", "评分", "评价内容", "商品名称", "满意度", "回访"]
WORDS = ["物流很快", "包装破损", "客服态度很好", "质量一般", "和图片不一样", "退款太慢",
         "师傅上门及时", "漏水", "发错货了", "性价比高", "颜色偏暗", "味道很大", "已经第二次购买",
         "说明书看不懂", "配件缺少", "推荐购买"]
SAT = ["非常满意", "满意", "一般", "不满意", "非常不满意"]
PRODUCTS = ["保温杯", "电热水壶", "空气炸锅", "扫地机器人", "电饭煲", "净水器"]


def rows(n):
    rnd = random.Random(42)
    t0 = datetime.datetime(2025, 1, 1, 8, 0, 0)
    for i in range(n):
        text = "，".join(rnd.choice(WORDS) for _ in range(rnd.randint(2, 8)))
        yield ["TB%08d" % i, "用户%d" % rnd.randint(1, 50000),
               t0 + datetime.timedelta(seconds=i * 97), rnd.randint(1, 5), text,
               rnd.choice(PRODUCTS), rnd.choice(SAT), rnd.random() < 0.3]


def to_shared(src, dst):
    """Moves the inline strings of every sheet into xl/sharedStrings.xml (deduplicated)."""
    index, strings = {}, []

    def repl(m):
        text = m.group(2)
        if text not in index:
            index[text] = len(strings)
            strings.append(text)
        return '<c r="%s" t="s"><v>%d</v></c>' % (m.group(1), index[text])

    pat = re.compile(r'<c r="([A-Z]+\d+)" t="inlineStr"><is><t>([^<]*)</t></is></c>')
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for n in zin.namelist():
            data = zin.read(n)
            if n.startswith("xl/worksheets/"):
                data = pat.sub(repl, data.decode()).encode()
            elif n == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" '
                                    b'ContentType="application/vnd.openxmlformats-officedocument.'
                                    b'spreadsheetml.sharedStrings+xml"/></Types>')
            elif n == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdSst" Type="http:'
                                    b'//schemas.openxmlformats.org/officeDocument/2006/'
                                    b'relationships/sharedStrings" Target="sharedStrings.xml"/>'
                                    b'</Relationships>')
            zout.writestr(n, data)
        sst = "".join("<si><t>%s</t></si>" % t for t in strings)  # already XML-escaped
        zout.writestr("xl/sharedStrings.xml",
                      '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                      'uniqueCount="%d">%s</sst>' % (len(strings), sst))


def main():
    n, prefix = int(sys.argv[1]), sys.argv[2]
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("评价")
    ws.append(HEADER)
    from openpyxl.cell import WriteOnlyCell
    for r in rows(n):
        c = WriteOnlyCell(ws, value=r[2])
        c.number_format = "yyyy-mm-dd hh:mm:ss"
        ws.append(r[:2] + [c] + r[3:])
    wb.save(prefix + ".xlsx")
    to_shared(prefix + ".xlsx", prefix + ".sst.xlsx")
    for name, enc in ((prefix + ".csv", "utf-8"), (prefix + ".gbk.csv", "gbk")):
        with open(name, "w", encoding=enc, newline="") as f:
            w = csv.writer(f)
            w.writerow(HEADER)
            for r in rows(n):
                r[2] = r[2].strftime("%Y-%m-%d %H:%M:%S")
                w.writerow(r)


if __name__ == "__main__":
    main()
