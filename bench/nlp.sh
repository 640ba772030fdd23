#!/bin/sh
# bench/nlp.sh: intake with every text-analysis stage (intake/nlp.h: taxonomy rules, sentiment,
# TF-IDF keywords, severity) against intake with cleaning only, and `kesu reclassify` over the
# stored records; written to bench/results-nlp.md.
#
#   import (nlp off)   kesu import of BENCH_COUNT demo records, cleaning pipeline only
#   import (nlp on)    the same with the analysis stages (the default)
#   reclassify         the analysis again over the stored records (one thread + the writer)
# Wall time, CPU time (user + sys) and peak memory from /usr/bin/time; the machine's load
# average before and after, as other work on it slows every figure. BENCH_COUNT defaults to
# 200000 (the rate does not depend on the count). Work files go to bench/work/.
set -eu
cd "$(dirname "$0")/.."
COUNT=${BENCH_COUNT:-200000}
[ "$COUNT" -le 1000000 ] || COUNT=1000000
WORK=bench/work
OUT=bench/results-nlp.md
DEMO=$WORK/nlp-demo-$COUNT.jsonl
KESU=build/kesu
mkdir -p "$WORK"
make -s -j2 all

note() { printf '%s\n' "$*" >&2; }
field() { awk -v k="$1" -F': ' '$1 ~ k {print $2}' "$2"; }
secs() { field "Elapsed \\(wall clock\\)" "$1" | awk -F: '{ if (NF == 3) print $1*3600+$2*60+$3; else print $1*60+$2 }'; }
cpu() { echo "$(field "User time" "$1") + $(field "System time" "$1")" | bc; }
rss() { field "Maximum resident" "$1" | awk '{printf "%.0f", $1/1024}'; }

if [ ! -s "$DEMO" ]; then
    note "generating $COUNT demo records"
    $KESU demo --count "$COUNT" --out "$DEMO" >/dev/null
fi
load0=$(cut -d' ' -f1-3 /proc/loadavg)

# the dictionary is compiled once into DATA/cache; both runs start from a compiled one
rm -rf "$WORK/nlp-off" "$WORK/nlp-on"
mkdir -p "$WORK/nlp-off" "$WORK/nlp-on"
echo '{"channel":"web","text":"预热"}' > "$WORK/nlp-warm.jsonl"
$KESU --data "$WORK/nlp-on" import "$WORK/nlp-warm.jsonl" >/dev/null 2>&1
cp -r "$WORK/nlp-on/cache" "$WORK/nlp-off/"
rm -rf "$WORK/nlp-on"
mkdir -p "$WORK/nlp-on"
cp -r "$WORK/nlp-off/cache" "$WORK/nlp-on/"

note "import, nlp off"
KESU_NLP=off /usr/bin/time -v -o "$WORK/nlp-off.time" $KESU --data "$WORK/nlp-off" import "$DEMO" >/dev/null 2>&1
note "import, nlp on"
/usr/bin/time -v -o "$WORK/nlp-on.time" $KESU --data "$WORK/nlp-on" import "$DEMO" >/dev/null 2>&1
note "reclassify"
/usr/bin/time -v -o "$WORK/nlp-re.time" $KESU --data "$WORK/nlp-on" reclassify >/dev/null 2>&1
load1=$(cut -d' ' -f1-3 /proc/loadavg)

rate() { echo "$COUNT / $(secs "$1")" | bc; }
us() { echo "scale=1; 1000000 * ($(cpu "$1")) / $COUNT" | bc; }
off_rate=$(rate "$WORK/nlp-off.time")
on_rate=$(rate "$WORK/nlp-on.time")
re_rate=$(rate "$WORK/nlp-re.time")
extra_us=$(echo "scale=1; 1000000 * (($(cpu "$WORK/nlp-on.time")) - ($(cpu "$WORK/nlp-off.time"))) / $COUNT" | bc)
sample=$($KESU --data "$WORK/nlp-on" export --format jsonl 2>/dev/null | head -n 1 |
    /usr/bin/python3 -c "import json,sys; r=json.loads(sys.stdin.readline()); print(json.dumps({k: r.get(k) for k in ('category_l1','category_l2','category_source','severity','severity_reasons','sentiment','sentiment_score','keywords')}, ensure_ascii=False))")

cat > "$OUT" <<MD
# Text analysis at intake (bench/nlp.sh)

$(date -u +%Y-%m-%d), $(nproc) cores, $COUNT demo records ($(du -m "$DEMO" | cut -f1) MB JSON Lines).
Load average before: $load0; after: $load1 (the machine is shared: with a load above the
core count every figure is low).

| run | wall s | records/s | CPU s (user+sys) | CPU µs / record | peak RSS MB |
|---|---|---|---|---|---|
| import, cleaning only (nlp = off) | $(secs "$WORK/nlp-off.time") | $off_rate | $(cpu "$WORK/nlp-off.time") | $(us "$WORK/nlp-off.time") | $(rss "$WORK/nlp-off.time") |
| import, cleaning + analysis (default) | $(secs "$WORK/nlp-on.time") | $on_rate | $(cpu "$WORK/nlp-on.time") | $(us "$WORK/nlp-on.time") | $(rss "$WORK/nlp-on.time") |
| kesu reclassify (analysis + update) | $(secs "$WORK/nlp-re.time") | $re_rate | $(cpu "$WORK/nlp-re.time") | $(us "$WORK/nlp-re.time") | $(rss "$WORK/nlp-re.time") |

The analysis stages add $extra_us µs of CPU per record. Target (issue 4): import with every NLP
stage >= 20,000 records/s on 2 cores.

One record as stored: \`$sample\`

\`\`\`
kesu demo --count $COUNT --out $DEMO
KESU_NLP=off kesu --data bench/work/nlp-off import $DEMO
kesu --data bench/work/nlp-on import $DEMO
kesu --data bench/work/nlp-on reclassify
\`\`\`
MD
cat "$OUT"
