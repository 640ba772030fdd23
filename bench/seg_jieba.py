#!/usr/bin/python3
"""seg_jieba.py: the python3-jieba side of bench/seg.sh.

Times jieba's dictionary load (Tokenizer.initialize, with jieba's own marshal
cache in the temp directory, as users normally run it, and without it), then
jieba.lcut with HMM on and off over the texts in TEXTS (one per line), and
prints one JSON object: load seconds, MB/s, peak resident memory.

usage: /usr/bin/python3 bench/seg_jieba.py TEXTS
"""
import json
import logging
import os
import resource
import sys
import tempfile
import time

import jieba


def main(path):
    jieba.setLogLevel(logging.ERROR)
    with open(path, encoding="utf-8") as f:
        texts = f.read().split("\n")
    if texts and texts[-1] == "":
        texts.pop()
    nbytes = sum(len(t.encode("utf-8")) + 1 for t in texts)

    cold_dir = tempfile.mkdtemp(prefix="kesu-jieba-")
    tk = jieba.Tokenizer()
    tk.tmp_dir = cold_dir
    t0 = time.perf_counter()
    tk.initialize()
    cold = time.perf_counter() - t0
    tk = jieba.Tokenizer()
    tk.tmp_dir = cold_dir
    t0 = time.perf_counter()
    tk.initialize()  # from the cache the first one wrote
    warm = time.perf_counter() - t0
    for name in os.listdir(cold_dir):
        os.unlink(os.path.join(cold_dir, name))
    os.rmdir(cold_dir)

    res = {"texts": len(texts), "bytes": nbytes, "load_s": warm, "load_nocache_s": cold}
    for hmm in (True, False):
        t0 = time.perf_counter()
        for t in texts:
            tk.lcut(t, HMM=hmm)
        res["hmm_mbs" if hmm else "nohmm_mbs"] = nbytes / (time.perf_counter() - t0) / 1e6
    res["rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(res))


if __name__ == "__main__":
    main(sys.argv[1])
