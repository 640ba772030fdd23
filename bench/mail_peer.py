#!/usr/bin/python3
"""bench/mail_peer.py MAILDIR: the peer for bench/mail.sh. Parses every message of the
Maildir with Python's email package (policy.default) the way kesu does: decoded From name
and address, Subject, Date, the text/plain body or else the HTML body, attachment names and
sizes. Stores nothing. Prints "N messages in S s"."""
import email
import email.policy
import os
import sys
import time


def parse(path):
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    frm = msg["From"]
    name = frm.addresses[0].display_name if frm and frm.addresses else None
    subject = str(msg["Subject"] or "")
    date = msg["Date"].datetime if msg["Date"] else None
    body = msg.get_body(preferencelist=("plain", "html"))
    text = body.get_content() if body else ""
    atts = [(a.get_filename(), a.get_content_type(), len(a.get_payload(decode=True) or b""))
            for a in msg.iter_attachments()]
    return name, subject, date, text, atts


def main():
    root = sys.argv[1]
    files = [os.path.join(root, sub, n) for sub in ("new", "cur")
             for n in sorted(os.listdir(os.path.join(root, sub)))]
    t0 = time.monotonic()
    for p in files:
        parse(p)
    print("%d messages in %.2f s" % (len(files), time.monotonic() - t0))


main()
