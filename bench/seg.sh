#!/bin/sh
# bench/seg.sh: kesu's segmenter against python3-jieba on the same texts, in the same run.
# Writes bench/results-seg.md.
#
#   1. the review texts of ../shared/data/reviews/*.csv, one per line (line breaks -> spaces)
#   2. compiling jieba's dictionary (kesu seg --build-dict) and opening the compiled file
#   3. kesu: segmentation MB/s with HMM (1 and 2 threads) and without, peak RSS (bench/seg_bench.c)
#   4. kesu seg end to end (stdin -> JSON lines), MB/s
#   5. python3-jieba: dictionary load, jieba.lcut MB/s with and without HMM, peak RSS
#   6. agreement of the token lists (bench/seg_agree.py): the reviews, and random strings
#
# Needs ../shared/data; without it the benchmark is skipped (an error when CI=true).
set -eu
cd "$(dirname "$0")/.."
WORK=bench/work/seg
OUT=bench/results-seg.md
KESU=build/kesu
DATA=../shared/data/reviews
mkdir -p "$WORK"
note() { printf '%s\n' "$*" >&2; }
if ! ls "$DATA"/*.csv >/dev/null 2>&1; then
    if [ "${CI:-}" = true ]; then note "seg bench: $DATA is missing"; exit 1; fi
    note "seg bench: SKIPPED, $DATA is missing"; exit 0
fi
make -s -j2 all
json() { /usr/bin/python3 -c "import json,sys; print(round(json.loads(sys.stdin.readline())[sys.argv[1]], 2))" "$1"; }

# 1. texts
/usr/bin/python3 - "$DATA" "$WORK/texts.txt" <<'PY'
import csv, glob, sys
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for p in sorted(glob.glob(sys.argv[1] + "/*.csv")):
        with open(p, encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                t = (r.get("review") or "").replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
                if t:
                    out.write(t + "\n")
PY
mb=$(echo "scale=1; $(wc -c < "$WORK/texts.txt") / 1000000" | bc)
ntexts=$(wc -l < "$WORK/texts.txt")

# 2. compile
note "compiling the dictionary"
/usr/bin/time -f '%e %M' -o "$WORK/build.time" $KESU seg --build-dict "$WORK/seg.dict"
build_s=$(cut -d' ' -f1 "$WORK/build.time"); build_rss=$(( $(cut -d' ' -f2 "$WORK/build.time") / 1024 ))
dict_mb=$(du -m "$WORK/seg.dict" | cut -f1)

# 3. kesu in-process
note "kesu segmentation"
${CC:-cc} -std=c11 -O2 -D_GNU_SOURCE -Isrc -Isrc/core -pthread bench/seg_bench.c build/libkesu.a -lm -o "$WORK/seg_bench"
"$WORK/seg_bench" "$WORK/seg.dict" "$WORK/texts.txt" 3 > "$WORK/kesu.json"

# 4. end to end
/usr/bin/time -f '%e %M' -o "$WORK/cli.time" $KESU seg --dict "$WORK/seg.dict" < "$WORK/texts.txt" > "$WORK/cli.out"
cli_s=$(cut -d' ' -f1 "$WORK/cli.time"); cli_rss=$(( $(cut -d' ' -f2 "$WORK/cli.time") / 1024 ))
cli_mbs=$(echo "scale=1; $(wc -c < "$WORK/texts.txt") / $cli_s / 1000000" | bc)
/usr/bin/time -f '%e' -o "$WORK/empty.time" $KESU seg --dict "$WORK/seg.dict" < /dev/null > /dev/null
empty_s=$(cat "$WORK/empty.time")

# 5. jieba
note "python3-jieba (about a minute)"
/usr/bin/python3 bench/seg_jieba.py "$WORK/texts.txt" > "$WORK/jieba.json"

# 6. agreement
note "agreement"
/usr/bin/python3 bench/seg_agree.py --out "$WORK/agree.md" --show 0 > /dev/null || true
/usr/bin/python3 bench/seg_agree.py --random 20000 --out "$WORK/agree-random.md" --show 0 > /dev/null || true

k_hmm=$(json hmm_mbs < "$WORK/kesu.json"); j_hmm=$(json hmm_mbs < "$WORK/jieba.json")
k_no=$(json nohmm_mbs < "$WORK/kesu.json"); j_no=$(json nohmm_mbs < "$WORK/jieba.json")
cat > "$OUT" <<MD
# kesu segmentation benchmark

Written by \`bench/seg.sh\` on $(date -u +%Y-%m-%d). Machine: $(nproc) cores ($(lscpu | awk -F': *' '/Model name/ {print $2; exit}')),
python3-jieba $(/usr/bin/python3 -c 'import jieba; print(jieba.__version__)'), $($KESU version).
Texts: $ntexts reviews from ../shared/data/reviews/*.csv (review column), $mb MB of UTF-8, one per line.
Both sides cut the same texts in the same run; the machine is shared, so figures vary by ±20 %.

| figure | kesu | python3-jieba | ratio |
|---|---|---|---|
| segmentation, HMM on, 1 thread | **$k_hmm MB/s** | $j_hmm MB/s (\`jieba.lcut\`) | **$(echo "scale=1; $k_hmm / $j_hmm" | bc)×** |
| segmentation, HMM off, 1 thread | **$k_no MB/s** | $j_no MB/s (\`lcut(HMM=False)\`) | $(echo "scale=1; $k_no / $j_no" | bc)× |
| segmentation, HMM on, 2 threads sharing one dictionary | $(json hmm_mbs_2threads < "$WORK/kesu.json") MB/s | — | |
| \`kesu seg\` end to end (stdin → JSON lines), HMM on | $cli_mbs MB/s, peak RSS $cli_rss MB | | |
| dictionary load | **$(json load_ms < "$WORK/kesu.json") ms** (mmap of the compiled file, checked) | $(json load_s < "$WORK/jieba.json") s (marshal cache); $(json load_nocache_s < "$WORK/jieba.json") s without | |
| \`kesu seg\` start-up with no input (wall clock, 10 ms steps) | $empty_s s | | |
| compiling dict.txt + HMM tables | $build_s s, peak RSS $build_rss MB; file $dict_mb MB | (jieba builds its cache on first use) | |
| resident memory | peak $(( $(json rss_kb < "$WORK/kesu.json" | cut -d. -f1) / 1024 )) MB (benchmark process, texts loaded: $(( $(json rss_before_kb < "$WORK/kesu.json" | cut -d. -f1) / 1024 )) MB before the dictionary) | peak $(( $(json rss_kb < "$WORK/jieba.json" | cut -d. -f1) / 1024 )) MB | |

Agreement with jieba (same texts, token lists compared exactly, \`bench/seg_agree.py\`):

$(cat "$WORK/agree.md")

The same on 20,000 random strings (\`seg_agree.py --random 20000\`: han characters mixed with ASCII
symbols, whitespace, fullwidth forms, emoji and characters just outside jieba's han range):

$(sed 1,2d "$WORK/agree-random.md")

Commands:
\`\`\`
kesu seg --build-dict bench/work/seg/seg.dict
bench/work/seg/seg_bench bench/work/seg/seg.dict bench/work/seg/texts.txt 3   # bench/seg_bench.c
kesu seg --dict bench/work/seg/seg.dict < bench/work/seg/texts.txt > /dev/null
/usr/bin/python3 bench/seg_jieba.py bench/work/seg/texts.txt
/usr/bin/python3 bench/seg_agree.py; /usr/bin/python3 bench/seg_agree.py --random 20000
\`\`\`
MD
cat "$OUT"
