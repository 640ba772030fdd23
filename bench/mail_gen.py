#!/usr/bin/python3
"""bench/mail_gen.py DIR COUNT: writes COUNT generated complaint mails into the Maildir DIR
(new/), a mix like a customer-service inbox: 55% UTF-8 text/plain (quoted-printable),
20% GBK text/plain (base64), 15% HTML-only (UTF-8, base64), 10% multipart/mixed with a
text part and a 20 KB PDF attachment. Deterministic (seeded)."""
import base64
import os
import quopri
import random
import sys

PRODUCTS = ["电饭煲", "洗衣机", "空调", "手机", "冰箱", "热水器", "吸尘器", "电视"]
PROBLEMS = ["用了三天就坏了", "送货延迟一周", "客服不回复", "与描述不符", "有严重异味",
            "漏水", "噪音很大", "退款一直没有到账"]
NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强"]


def ew(text, cs="UTF-8"):
    return "=?%s?B?%s?=" % (cs, base64.b64encode(text.encode(cs)).decode())


def body_text(rnd, i):
    p = rnd.choice(PRODUCTS)
    lines = ["您好：",
             "我在贵店购买的%s（订单号 A%06d）%s。" % (p, i, rnd.choice(PROBLEMS)),
             "已经联系过三次，%s。" % rnd.choice(PROBLEMS),
             "请尽快处理，谢谢！"]
    lines += ["补充说明第%d条：%s%s。" % (k, rnd.choice(PRODUCTS), rnd.choice(PROBLEMS))
              for k in range(rnd.randint(0, 12))]
    return p, "\n".join(lines) + "\n"


def message(rnd, i):
    p, text = body_text(rnd, i)
    name = rnd.choice(NAMES)
    kind = rnd.random()
    head = ("From: %s <user%d@example.cn>\nTo: kefu@example.com\nSubject: %s\n"
            "Date: Sat, %02d Nov 2026 %02d:%02d:00 +0800\nMessage-ID: <bench-%d@example.cn>\n"
            "MIME-Version: 1.0\n" % (ew(name, "GBK" if kind < 0.75 else "UTF-8"), i,
                                      ew("%s投诉 #%d" % (p, i)), 1 + i % 20, i % 24, i % 60, i))
    if kind < 0.55:
        return head + ("Content-Type: text/plain; charset=utf-8\n"
                       "Content-Transfer-Encoding: quoted-printable\n\n" +
                       quopri.encodestring(text.encode()).decode())
    if kind < 0.75:
        return head + ("Content-Type: text/plain; charset=gbk\n"
                       "Content-Transfer-Encoding: base64\n\n" +
                       base64.encodebytes(text.encode("gbk")).decode())
    if kind < 0.90:
        html = "<html><head><style>p{margin:0}</style></head><body>%s</body></html>" % "".join(
            "<p>%s</p>" % line for line in text.splitlines())
        return head + ("Content-Type: text/html; charset=utf-8\n"
                       "Content-Transfer-Encoding: base64\n\n" +
                       base64.encodebytes(html.encode()).decode())
    pdf = base64.encodebytes(b"%PDF-1.4\n" + bytes(rnd.getrandbits(8) for _ in range(20000)))
    return head + ("Content-Type: multipart/mixed; boundary=\"B%d\"\n\n--B%d\n"
                   "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
                   "%s\n--B%d\nContent-Type: application/pdf; name=\"invoice.pdf\"\n"
                   "Content-Disposition: attachment; filename=\"invoice.pdf\"\n"
                   "Content-Transfer-Encoding: base64\n\n%s\n--B%d--\n"
                   % (i, i, text, i, pdf.decode(), i))


def main():
    root, count = sys.argv[1], int(sys.argv[2])
    for sub in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    rnd = random.Random(20261122)
    for i in range(count):
        data = message(rnd, i).replace("\n", "\r\n").encode()
        with open(os.path.join(root, "new", "%d.%06d.bench" % (1700000000 + i, i)), "wb") as f:
            f.write(data)


main()
