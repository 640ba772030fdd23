#!/bin/sh
# make bench: the benchmarks the issues name, on this machine, written to bench/results.md.
#
#   1. 1,000,000 demo records generated to JSON Lines (kesu demo --out)
#   2. batch import of them into a fresh store: records/s and peak memory (kesu import
#      --no-clean: the store alone), then again with the cleaning pipeline (kesu import)
#   3. the search index built behind intake: records/s (kesu serve's indexer)
#   4. list and full-text query latency on the 1,000,000-record store (wrk, 1 connection)
#   5. durable single-record POST with 64 connections (wrk): req/s and p99
#   6. the benchmarks of single modules (bench/<name>.sh, each writing bench/results-<name>.md),
#      appended to bench/results.md; the first, bench/ceiling.sh, is what SQLite alone costs per record
#
# BENCH_COUNT overrides the record count (default 1000000). Work files go to bench/work/.
set -eu
cd "$(dirname "$0")/.."
COUNT=${BENCH_COUNT:-1000000}
WORK=bench/work
OUT=bench/results.md
KESU=build/kesu
mkdir -p "$WORK"
make -s -j"$(nproc)" all

note() { printf '%s\n' "$*" >&2; }
json() { /usr/bin/python3 -c "import json,sys; print(json.loads(sys.stdin.readline())[sys.argv[1]])" "$1"; }

wait_port() {
    for _ in $(seq 1 200); do
        [ -s "$1" ] && return 0
        sleep 0.05
    done
    note "server did not start"; return 1
}

metric() { curl -s "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m {print $2}'; }

# 1. generate
note "generating $COUNT demo records"
t0=$(date +%s.%N)
$KESU demo --count "$COUNT" --out "$WORK/demo.jsonl" >/dev/null
t1=$(date +%s.%N)
gen_s=$(echo "$t1 - $t0" | bc)
size_mb=$(du -m "$WORK/demo.jsonl" | cut -f1)

# 2. import
note "importing"
rm -rf "$WORK/data"
/usr/bin/time -v -o "$WORK/import.time" $KESU --data "$WORK/data" import --no-clean "$WORK/demo.jsonl" > "$WORK/import.out"
import_line=$(tail -n 1 "$WORK/import.out")
import_s=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$WORK/import.time" | awk -F: '{ if (NF == 3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
import_rss_mb=$(awk '/Maximum resident/ {printf "%.0f", $6/1024}' "$WORK/import.time")
import_rate=$(echo "$COUNT / $import_s" | bc)
db_mb=$(du -m "$WORK/data/kesu.db" | cut -f1)

note "importing with the cleaning pipeline"
rm -rf "$WORK/data-clean"
/usr/bin/time -v -o "$WORK/import-clean.time" $KESU --data "$WORK/data-clean" import "$WORK/demo.jsonl" > "$WORK/import-clean.out"
clean_line=$(tail -n 1 "$WORK/import-clean.out")
clean_s=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$WORK/import-clean.time" | awk -F: '{ if (NF == 3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
clean_rss_mb=$(awk '/Maximum resident/ {printf "%.0f", $6/1024}' "$WORK/import-clean.time")
clean_rate=$(echo "$COUNT / $clean_s" | bc)
rm -rf "$WORK/data-clean"

# 3. search index behind intake
note "building the search index (kesu serve's indexer)"
rm -f "$WORK/port"
$KESU --data "$WORK/data" serve --listen 127.0.0.1:0 --port-file "$WORK/port" > "$WORK/serve.out" 2> "$WORK/serve.err" &
pid=$!
wait_port "$WORK/port"
port=$(cat "$WORK/port")
t0=$(date +%s.%N)
while :; do
    lag=$(metric "$port" kesu_search_lag_records)
    [ -n "$lag" ] && [ "$lag" -eq 0 ] && [ "$(metric "$port" kesu_search_indexed_total)" -ge "$COUNT" ] && break
    sleep 0.5
done
t1=$(date +%s.%N)
index_s=$(echo "$t1 - $t0" | bc)
index_rate=$(echo "$COUNT / $index_s" | bc)
search_mb=$(du -m "$WORK/data/search.db" | cut -f1)
KEY=$($KESU --data "$WORK/data" apikey create bench | tail -n 1)
export KESU_KEY="$KEY"

# 4. list and search latency, one connection (sequential requests)
note "list and search latency"
since=$(date -d '-30 days' +%Y-%m-%dT00:00:00%:z | sed 's/+/%2B/')
cat > "$WORK/list.paths" <<PATHS
/api/v1/feedback
/api/v1/feedback?limit=50
/api/v1/feedback?channel=ecommerce
/api/v1/feedback?channel=hotline,email
/api/v1/feedback?since=$since
/api/v1/feedback?product=%E6%89%AB%E5%9C%B0%E6%9C%BA%E5%99%A8%E4%BA%BA
/api/v1/feedback?region=%E5%8D%8E%E4%B8%9C
PATHS
cat > "$WORK/search.paths" <<PATHS
/api/v1/feedback?q=%E9%80%80%E6%AC%BE
/api/v1/feedback?q=%E5%BF%AB%E9%80%92
/api/v1/feedback?q=%E6%80%81%E5%BA%A6%E5%BE%88%E5%B7%AE
/api/v1/feedback?q=%E5%B7%AE
/api/v1/feedback?q=%E5%AE%A2%E6%9C%8D%20%E9%80%80%E6%AC%BE
/api/v1/feedback?q=%E5%86%BB%E7%BB%93&channel=hotline
/api/v1/feedback?q=app
PATHS
for p in $(cat "$WORK/list.paths" "$WORK/search.paths"); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" "http://127.0.0.1:$port$p")
    [ "$code" = 200 ] || { note "GET $p -> $code"; exit 1; }
done
KESU_PATHS="$WORK/list.paths" wrk -t1 -c1 -d10s -s bench/query.lua "http://127.0.0.1:$port" | tail -n 1 > "$WORK/list.json"
KESU_PATHS="$WORK/search.paths" wrk -t1 -c1 -d10s -s bench/query.lua "http://127.0.0.1:$port" | tail -n 1 > "$WORK/search.json"
kill -TERM $pid; wait $pid || true

# 5. durable POST, 64 connections, on a fresh store
note "single-record POST, 64 connections"
rm -rf "$WORK/post"; rm -f "$WORK/port"
$KESU --data "$WORK/post" serve --listen 127.0.0.1:0 --port-file "$WORK/port" > "$WORK/post-serve.out" 2> "$WORK/post-serve.err" &
pid=$!
wait_port "$WORK/port"
port=$(cat "$WORK/port")
export KESU_KEY=$($KESU --data "$WORK/post" apikey create bench | tail -n 1)
wrk -t2 -c64 -d5s -s bench/post.lua "http://127.0.0.1:$port" > /dev/null  # warm-up
wrk -t2 -c64 -d20s -s bench/post.lua "http://127.0.0.1:$port" | tail -n 1 > "$WORK/post.json"
KESU_MINIMAL=1 wrk -t2 -c64 -d20s -s bench/post.lua "http://127.0.0.1:$port" | tail -n 1 > "$WORK/post-min.json"
commits=$(metric "$port" kesu_writer_commits_total)
jobs=$(metric "$port" kesu_writer_jobs_total)
kill -TERM $pid; wait $pid || true

cpu=$(lscpu | awk -F': *' '/Model name/ {print $2; exit}')
mem=$(free -g | awk '/Mem:/ {print $2}')
cat > "$OUT" <<MD
# kesu benchmark results

Written by \`make bench\` (bench/run.sh) on $(date -u +%Y-%m-%d). Machine: $(nproc) cores ($cpu), ${mem} GiB RAM,
Linux $(uname -r), SQLite $(sqlite3 --version | cut -d' ' -f1), $($KESU version). The load generator (wrk) shares
the machine's cores with the server. Records: \`kesu demo\` output, $COUNT records, ${size_mb} MB of JSON Lines.

| benchmark | result | target |
|---|---|---|
| generate demo records | $(echo "$COUNT / $gen_s" | bc) records/s | — |
| batch import (JSONL → store, durable commits, \`--no-clean\`) | **$import_rate records/s**, peak RSS $import_rss_mb MB | ≥ 200,000 records/s |
| batch import with the cleaning pipeline (mask PII, seal originals, clean, t2s, fingerprints, duplicates) | **$clean_rate records/s**, peak RSS $clean_rss_mb MB | ≥ 50,000 records/s |
| search index built behind intake | **$index_rate records/s** | — (lag exported in /metrics) |
| list, 1 connection, 1M records | p50 $(json p50_ms < "$WORK/list.json") ms, **p99 $(json p99_ms < "$WORK/list.json") ms** | p99 ≤ 50 ms |
| full-text search, 1 connection, 1M records | p50 $(json p50_ms < "$WORK/search.json") ms, **p99 $(json p99_ms < "$WORK/search.json") ms** | p99 ≤ 50 ms |
| single-record POST, 64 connections, fsync'd, cleaning pipeline on, reply = the record | **$(json rps < "$WORK/post.json") req/s**, p50 $(json p50_ms < "$WORK/post.json") ms, **p99 $(json p99_ms < "$WORK/post.json") ms** | ≥ 20,000 req/s, p99 ≤ 20 ms |
| the same with \`Prefer: return=minimal\` (reply = id only) | **$(json rps < "$WORK/post-min.json") req/s**, p50 $(json p50_ms < "$WORK/post-min.json") ms, **p99 $(json p99_ms < "$WORK/post-min.json") ms** | |

Details:
- import: \`$import_line\`; database file $db_mb MB, search index $search_mb MB.
- import with cleaning: \`$clean_line\`.
- POST: $(json requests < "$WORK/post.json") requests in 20 s, $(json non2xx < "$WORK/post.json") non-2xx, $(json errors < "$WORK/post.json") socket errors;
  $jobs write jobs in $commits commits (group commit: $(echo "scale=1; $jobs / $commits" | bc) requests share one fsync on average).
- list paths: $(tr '\n' ' ' < "$WORK/list.paths")
- search paths: $(tr '\n' ' ' < "$WORK/search.paths")

Fuzzing (\`make fuzz\`, run apart from \`make bench\`): targets, executions, coverage and findings in [results-fuzz.md](results-fuzz.md).

Commands:
\`\`\`
kesu demo --count $COUNT --out bench/work/demo.jsonl
/usr/bin/time -v kesu --data bench/work/data import --no-clean bench/work/demo.jsonl
/usr/bin/time -v kesu --data bench/work/data-clean import bench/work/demo.jsonl
kesu --data bench/work/data serve --listen 127.0.0.1:0     # indexer: poll kesu_search_lag_records until 0
KESU_PATHS=bench/work/list.paths   wrk -t1 -c1 -d10s -s bench/query.lua http://127.0.0.1:PORT
KESU_PATHS=bench/work/search.paths wrk -t1 -c1 -d10s -s bench/query.lua http://127.0.0.1:PORT
wrk -t2 -c64 -d20s -s bench/post.lua http://127.0.0.1:PORT   # fresh store, after a 5 s warm-up
KESU_MINIMAL=1 wrk -t2 -c64 -d20s -s bench/post.lua http://127.0.0.1:PORT
\`\`\`
MD
# 6. module benchmarks, each with its peer side by side
for b in ceiling clean seg classify xlsx mail sec loop instr nlp fts_seg stats alerts capa web_list; do
    [ -x "bench/$b.sh" ] || continue
    note "bench/$b.sh"
    res=bench/results-$b.md
    [ "$b" = web_list ] && res=bench/results-web.md
    if BENCH_FROM_RUN=1 BENCH_COUNT="$COUNT" "bench/$b.sh" > "$WORK/$b.log" 2>&1 && [ -s "$res" ]; then
        { echo; sed 's/^# /## /' "$res"; } >> "$OUT"
    else
        { echo; echo "## bench/$b.sh failed"; echo; echo '```'; tail -n 20 "$WORK/$b.log"; echo '```'; } >> "$OUT"
    fi
done
cat "$OUT"
