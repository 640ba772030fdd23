"""CLI behaviour of `kesu seg`: JSON lines out, HMM on and off, compiled and cached
dictionaries, user dictionaries, invalid UTF-8, usage errors. The tokens themselves are
checked against python3-jieba by the unit test's golden files and bench/seg_agree.py."""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

from kesu_server import SLOW, child_env, describe_proc, kesu_bin


class SegTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kesu-seg-")
        self.data = os.path.join(self.tmp, "data")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def seg(self, *args, input=b"", code=0):
        p = subprocess.run([kesu_bin(), "--data", self.data, "seg", *args], input=input,
                           capture_output=True, timeout=60 * SLOW, env=child_env(None))
        if code is not None and p.returncode != code:
            self.fail("exit status %d, expected %d\n%s" % (p.returncode, code, p.stderr.decode()))
        return p

    def lines(self, p):
        return [json.loads(l) for l in p.stdout.decode("utf-8").splitlines()]

    def test_lines_hmm_and_no_hmm(self):
        inp = "他来到了网易杭研大厦\n\niPhone15 2999.5元\r\n".encode()
        self.assertEqual(self.lines(self.seg(input=inp)),
                         [["他", "来到", "了", "网易", "杭研", "大厦"], [],
                          ["iPhone15", " ", "2999.5", "元"]])
        self.assertEqual(self.lines(self.seg("--no-hmm", input=inp)),
                         [["他", "来到", "了", "网易", "杭", "研", "大厦"], [],
                          ["iPhone15", " ", "2999", ".", "5", "元"]])

    def test_cache_is_written_and_used(self):
        self.seg(input="北京\n".encode())
        cache = os.path.join(self.data, "cache")
        files = os.listdir(cache)
        self.assertEqual(len(files), 1, files)
        self.assertTrue(files[0].startswith("segdict-"))
        mtime = os.path.getmtime(os.path.join(cache, files[0]))
        self.assertEqual(self.lines(self.seg(input="北京\n".encode())), [["北京"]])
        self.assertEqual(os.path.getmtime(os.path.join(cache, files[0])), mtime)

    def test_build_dict_and_user_dict(self):
        out = os.path.join(self.tmp, "seg.dict")
        self.seg("--build-dict", out)
        with open(out, "rb") as f:
            self.assertEqual(f.read(7), b"KESUSEG")
        text = "李小福是创新办主任\n".encode()
        self.assertEqual(self.lines(self.seg("--dict", out, input=text)),
                         [["李小福", "是", "创新", "办", "主任"]])
        user = os.path.join(self.tmp, "user.txt")
        with open(user, "w", encoding="utf-8") as f:
            f.write("创新办 3 i\n")
        self.assertEqual(self.lines(self.seg("--user-dict", user, input=text)),
                         [["李小福", "是", "创新办", "主任"]])
        p = self.seg("--dict", out, "--user-dict", user, code=2)
        self.assertIn(b"text dictionary", p.stderr)

    def test_invalid_utf8_becomes_replacement_characters(self):
        p = self.seg(input=b"\xff\xe4\xb8\xad\xe5\n")
        self.assertEqual(self.lines(p), [["\ufffd", "中", "\ufffd"]])

    def test_errors(self):
        p = self.seg("--dict", os.path.join(self.tmp, "missing.txt"), code=1)
        self.assertIn(b"missing.txt", p.stderr)
        self.seg("--bogus", code=2)
        self.seg("extra", code=2)
        p = self.seg("--help")
        self.assertIn(b"usage: kesu seg", p.stdout)


if __name__ == "__main__":
    unittest.main()
