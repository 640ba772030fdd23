#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets under tests/fuzz/corpus/NAME.

Small, real-shaped inputs made up here (no customer data). Run from the
repository root: python3 tests/fuzz/seeds.py. Seeds of the older targets
(seg, taxonomy) and crash reproducers added by hand are left alone.
"""
import io
import os
import zipfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


REC = ('{"channel":"app","external_id":"A-1001","received_at":"2026-02-27T09:15:00+08:00",'
       '"customer_id":"c-88","customer_name":"王小明","phone":"13812345678","email":"wxm@example.com",'
       '"product":"X1 空气炸锅","order_no":"2026022712345","store":"上海徐汇店","region":"华东",'
       '"rating":1,"rating_scale":5,"title":"快递太慢","text":"下单五天还没到，客服电话打不通！",'
       '"attachments":["https://img.example.com/a.jpg"],"extra":{"sku":"X1-B","vip":true}}')

# ---- jsonrec: one record, and batches -------------------------------------------------
put("jsonrec", "full.json", REC)
put("jsonrec", "min.json", '{"channel":"web","text":"页面打不开"}')
put("jsonrec", "escapes.json",
    '{"channel":"email","text":"line1\\nline2 \\u4e2d\\u6587 \\ud83d\\ude00 \\"q\\"","rating":4.5,'
    '"rating_scale":5,"received_at":"2026-01-02 03:04:05"}')
put("jsonrec", "batch.json", "[" + REC + ',{"channel":"hotline","text":"电话投诉","rating":null}]')
put("jsonrec", "items.json", '{"items":[{"channel":"web","text":"a"},{"channel":"bogus","text":"b"}]}')
put("jsonrec", "bad_type.json", '{"channel":"app","text":123,"rating":"five"}')

# ---- jsonl: the importer -----------------------------------------------------------------
put("jsonl", "two.jsonl", REC + "\n" + '{"channel":"web","text":"退款一直没到账"}\r\n\n')
put("jsonl", "bad_lines.jsonl", '{"channel":"app","text":"ok"}\n{not json}\n{"text":"no channel"}\n'
    '{"channel":"app","text":"last line without newline"}')

# ---- csv: first byte = mode (sep in bits 0-1, small caps bit 2, encoding bits 3-5, step bits 6-7)
CSV = ('channel,external_id,received_at,text,rating\r\n'
       'app,1,2026-02-01 10:00,"屏幕有""坏点""，要求换货",2\r\n'
       'web,2,2026-02-02T11:00:00+08:00,"多行\n文本",5\r\n'
       'hotline,3,,5" screen,\r\n')
put("csv", "utf8", bytes([0x00]) + CSV.encode())
put("csv", "utf8_bom_step1", bytes([0x08]) + b"\xef\xbb\xbf" + CSV.encode())
put("csv", "gbk", bytes([0x10 | 0x40]) + CSV.encode("gb18030"))
put("csv", "big5_auto", bytes([0x00 | 0x80]) + CSV.replace("坏点", "壞點").replace("要求换货", "要求換貨").replace("多行", "多行").replace("文本", "文字").encode("big5"))
put("csv", "utf16_tab", bytes([0x21]) + b"\xff\xfe" + CSV.replace(",", "\t").encode("utf-16-le"))
put("csv", "caps", bytes([0x04]) + b'a,b,c,d,e,f,g,h,i,j\n"' + b"x" * 100 + b'"\n"open quote\n1,2\n')

# ---- mapping: mapping JSON, NUL, CSV ----------------------------------------------------
M1 = ('{"fields":{"channel":{"column":"渠道","map":{"淘宝":"ecommerce","京东":"ecommerce"},"else":"other"},'
      '"external_id":{"columns":["订单号","评价时间"],"sep":"@"},"order_no":"订单号","customer_name":"买家昵称",'
      '"received_at":{"column":"评价时间","date":["%Y年%m月%d日 %H:%M","auto"]},'
      '"rating":{"column":"评分","scale":5},"text":"评价内容","product":"商品名称"}}')
D1 = ("渠道,订单号,买家昵称,评价时间,评分,评价内容,商品名称\n"
      "淘宝,T1001,小李,2026年2月3日 14:05,1,物流太慢了,X1\n"
      "京东,J2002,老王,2026-02-04 09:00,5,很好,X2\n"
      "抖音,D3,,bad date,9,评分超范围,X3\n")
put("mapping", "ecommerce", M1.encode() + b"\0" + D1.encode())
M2 = ('{"header_row":3,"skip_rows":1,"encoding":"gbk","fields":{"channel":{"const":"survey"},'
      '"external_id":"答卷编号","received_at":{"column":"提交时间","date":"epoch_ms"},'
      '"rating":{"column":"推荐意愿(0-10)","scale":10},"text":{"columns":["不推荐的原因","其他建议"],"sep":"\\n"},'
      '"category_l1":{"column":"问题类型","split":"/","part":1},'
      '"category_l2":{"column":"问题类型","split":"/","part":2}}}')
D2 = ("问卷导出\n2026-02\n答卷编号,提交时间,推荐意愿(0-10),不推荐的原因,其他建议,问题类型\n"
      "备注行,,,,,\nS1,1770000000000,3,太贵,无,价格/促销\nS2,1770000001000,10,,很好,\n")
put("mapping", "survey_gbk", M2.encode() + b"\0" + D2.encode("gb18030"))
M3 = ('{"fields":{"channel":{"const":"store"},"store":"$A","received_at":{"column":"$B","date":"excel"},'
      '"text":"$C","rating":{"column":"$D","map":{"满意":"3","一般":"2","不满意":"1"},"scale":3}}}')
put("mapping", "letters", M3.encode() + b"\0" + "店,日期,意见,满意度\n徐汇,46050.5,服务员态度差,不满意\n".encode())

# ---- xlsx: minimal workbooks -------------------------------------------------------------
def xlsx(sheets, shared, styles=None, date1904=False):
    b = io.BytesIO()
    z = zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED)
    z.writestr("[Content_Types].xml",
               '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
               '<Default Extension="xml" ContentType="application/xml"/></Types>')
    z.writestr("_rels/.rels",
               '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
               '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    wb = ('<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
          'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
          + ('<workbookPr date1904="1"/>' if date1904 else '') + '<sheets>')
    rels = '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    for i, (name, xml) in enumerate(sheets, 1):
        wb += '<sheet name="%s" sheetId="%d" r:id="rId%d"/>' % (name, i, i)
        rels += ('<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
                 'Target="worksheets/sheet%d.xml"/>' % (i, i))
        z.writestr("xl/worksheets/sheet%d.xml" % i,
                   '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                   + xml + '</sheetData></worksheet>')
    n = len(sheets)
    rels += ('<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>' % (n + 1))
    rels += ('<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>' % (n + 2))
    rels += '</Relationships>'
    z.writestr("xl/workbook.xml", wb + '</sheets></workbook>')
    z.writestr("xl/_rels/workbook.xml.rels", rels)
    z.writestr("xl/sharedStrings.xml",
               '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
               + "".join("<si><t>%s</t></si>" % s for s in shared)
               + '<si><r><t>富</t></r><r><t xml:space="preserve"> 文本</t></r></si></sst>')
    z.writestr("xl/styles.xml", styles or
               '<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
               '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy/mm/dd hh:mm"/></numFmts>'
               '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/></cellXfs></styleSheet>')
    z.close()
    return b.getvalue()

S1 = ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>'
      '<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" s="1"><v>46050</v></c><c r="C2" t="s"><v>4</v></c></row>'
      '<row r="4"><c r="A4" t="inlineStr"><is><t>web</t></is></c><c r="B4" s="2"><v>46051.75</v></c>'
      '<c r="D4"><v>3.5</v></c><c r="C4" t="b"><v>1</v></c></row>'
      '<row r="5"><c r="AA5" t="str"><f>A1</f><v>公式</v></c><c t="e"><v>#N/A</v></c></row>')
put("xlsx", "reviews.xlsx", xlsx([("评价", S1), ("Sheet2", '<row r="1"><c r="A1"><v>1</v></c></row>')],
                                 ["渠道", "日期", "内容", "app", "电池鼓包"]))
put("xlsx", "date1904.xlsx", xlsx([("S", '<row><c><v>1</v></c><c s="1"><v>0.5</v></c></row>')], ["x"], date1904=True))

# ---- mail --------------------------------------------------------------------------------
put("mail", "plain_gbk.eml",
    b"From: =?GBK?B?zfXQodP7?= <wxm@example.com>\r\nTo: kefu@example.com\r\n"
    b"Subject: =?GB2312?B?tqm1pbe0wKE=?=\r\nDate: Fri, 27 Feb 2026 09:15:00 +0800\r\n"
    b"Message-ID: <a1@example.com>\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=gbk\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    + "快递五天没到，请尽快处理。\r\n\r\n> 原邮件：您好\r\n-- \r\n王小明\r\n".encode("gbk"))
put("mail", "multipart.eml",
    "From: a@example.com\nSubject: =?UTF-8?Q?=E9=80=80=E6=AC=BE?= =?UTF-8?B?5oql6K2m?=\n"
    "Date: Mon, 2 Feb 2026 10:00:00 +0000\nMIME-Version: 1.0\n"
    'Content-Type: multipart/alternative; boundary="b1"\n\n--b1\n'
    "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
    "<html><head><meta charset=3D\"utf-8\"><style>p{}</style></head><body><p>=E9=80=80=E6=AC=BE&amp;<br>"
    "&#20013;&#x6587;</p><script>x</script></body></html>\n--b1\n"
    "Content-Type: application/pdf; name=a.pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--b1--\n")
put("mail", "big5_html_only.eml",
    b"From: b@example.com\nSubject: test\nContent-Type: text/html; charset=big5\n\n"
    + "<div>產品壞了</div><p>請退款</p>".encode("big5"))

# ---- hook: channels config, NUL, "<signature> <timestamp>\n<body>" ---------------------------
CONF = ('{"hooks":{"tmall":{"secret":"0123456789abcdef0123","signature_header":"X-Tmall-Signature",'
        '"channel":"ecommerce","items":"/data/reviews","fields":{"external_id":"/rid","text":"/content",'
        '"rating":"/score","received_at":"/time","product":"/item/title","customer_id":"/buyer/nick",'
        '"extra":"/extra"},"defaults":{"rating_scale":"5"}},'
        '"jd":{"secret":"fedcba9876543210fedc","timestamp_header":"X-Timestamp","channel":"ecommerce",'
        '"fields":{"text":"/c~1t","external_id":"/a~0b/0"}}},'
        '"devices":{"threshold":3,"window_minutes":60},'
        '"forms":{"hotel":{"title":"住客意见","intro":"…","channel":"qr","context":["store","room"]}},'
        '"rate_limit":{"form_per_minute":10},'
        '"rules":{"ecommerce":{"required":["order_no","product"],"defaults":{"category_l1":"电商"}}},'
        '"expected_channels":["web","hotline","ecommerce","email"]}')
BODY = ('{"data":{"reviews":[{"rid":"R1","content":"差评：发错货","score":1,"time":1772000000,'
        '"item":{"title":"X1"},"buyer":{"nick":"t**9"},"extra":{"k":1}},'
        '{"rid":2,"content":"ok","score":4.5,"time":1772000000123},{"rid":"R3","content":null,"time":-5}]}}')
put("hook", "tmall", CONF.encode() + b"\0" + b"sha256=00ff 1772323200\n" + BODY.encode())
put("hook", "jd_ts", CONF.encode() + b"\0" + b"AAAA 1772323100\n" + b'{"c/t":"text","a~b":["x"]}')

# ---- http: form bodies, route paths, time parameters, JSON answers ------------------------
put("http", "form", "text=%E5%BF%AB%E9%80%92%E5%A4%AA%E6%85%A2&phone=138+1234+5678&store=SH01&room=&t=1772323200.abcd&website=")
put("http", "survey", "csat=2&nps=9&handling=3&comment=%E8%BF%98%E8%A1%8C%00%zz%4")
put("http", "path_id", "/api/v1/feedback/123/comments")
put("http", "path_long", "/api/v1/feedback/999999999999999999999/surveys")
put("http", "time", "2026-02-27T09:15:00.123+08:00")
put("http", "time_loose", "2025年6月25日 09:33:19")
put("http", "answers_json", '{"csat":5,"nps":10,"comment":"很满意","skip":null}')

# ---- text: HTML, normalisation and PII ------------------------------------------------------
put("text", "html", '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>t</title></head>'
    '<body><!-- c --><p>您好&nbsp;&amp;&lt;&#20013;&#x1F600;&bogus;</p><br/><ul><li>一</li><li>二</li></ul>'
    '<script>alert(1)</script><table><tr><td>a</td></tr></table></body></html>')
put("text", "pii", "我叫张三，手机13812345678，座机010-62345678，身份证11010519491231002X，"
    "卡号6222 0212 3456 7890 128，邮箱zhang.san@example.com，+86 139-1234-5678")
put("text", "width", "ＡＢＣ１２３，，，！！！。。。\u200b\t\t  半角ｶﾀｶﾅ…… 😀👍🏻 \x01\x7f")
put("text", "bad_utf8", b"ok \xff\xfe \xe4\xb8 \xf0\x9f\x98 end")

# ---- rules: first byte picks the parser (0 routing, 1 SLA policy, 2 calendar, 3 alert rule, 4 receiver)
put("rules", "routing", b"\x00" + '{"name":"r","when":{"channel":["web","app"],"category":["物流"],"product":["X1"],'
    '"region":["华东"],"severity":["high"],"customer_segment":["vip"],"keywords":["快递","包裹"]},'
    '"then":{"team":"logistics","priority":"p2","sla_policy":"vip","tags":["物流","大客户"]}}'.encode())
put("rules", "routing_min", b"\x00" + b'{"name":"c","then":{"team":"kefu"},"enabled":false}')
put("rules", "sla", b"\x01" + b'{"name":"std","calendar":"cn-2026","ack":"4h","respond":"1d","resolve":"3d",'
    b'"priority":"p1","category":"x","segment":"vip","warn_share":0.75}')
put("rules", "sla_secs", b"\x01" + b'{"name":"urgent","ack":60,"resolve":"90s"}')
put("rules", "calendar", b"\x02" + '{"name":"cn","utc_offset":"+08:00","weekdays":[1,2,3,4,5],'
    '"hours":[["09:00","12:00"],["13:00","18:00"]],"holidays":["2026-01-01","2026-02-16"],'
    '"workdays":["2026-02-14"]}'.encode())
put("rules", "calendar_none", b"\x02" + b'{"name":"none","utc_offset":"Z","weekdays":[],"hours":[]}')
put("rules", "alert_rule", b"\x03" + b'{"name":"spike","kind":"spike","dimensions":["category_l1","channel"],'
    b'"filter":{"channel":["app"]},"params":{"min_count":5,"alpha":0.01},"receivers":[1],"enabled":true}')
put("rules", "alert_volume", b"\x03" + b'{"name":"v","kind":"volume_change","params":{"threshold":0.5,"min_count":10}}')
put("rules", "receiver", b"\x04" + b'{"name":"hook","kind":"webhook","url":"https://hooks.example.com/x",'
    b'"secret":"s3cret-s3cret","config":{"format":"wecom"},"enabled":true}')
