#!/bin/sh
# bench/stats.sh: stats queries over a large store (p50/p99 of each /api/v1/stats endpoint
# over loopback) and the time to build a monthly report. Writes bench/results-stats.md.
#
#   BENCH_STATS_COUNT  records in the store (default 10000000)
# The store is built by bench/stats_gen.sql (synthetic records in time order, a year, the
# cardinalities of a large deployment) straight into SQLite, because intake at this machine's
# speed would take most of an hour for 10M; the rollups are then built by `kesu stats
# rebuild`, the same code that keeps them at intake. Work files in bench/work/stats.
set -eu
cd "$(dirname "$0")/.."
N=${BENCH_STATS_COUNT:-10000000}
WORK=bench/work/stats
OUT=bench/results-stats.md
KESU=build/kesu
mkdir -p "$WORK"
make -s -j2 all

note() { printf '%s\n' "$*" >&2; }
secs() { /usr/bin/python3 -c "import time; print('%.1f' % (time.time() - $1))"; }
now() { /usr/bin/python3 -c "import time; print(time.time())"; }

DATA=$WORK/data-$N
# two steps, each kept once done: the generated records (.generated) and the rollups (.built;
# delete it to rebuild the rollups of the same records with a new binary)
if [ ! -s "$DATA/.generated" ]; then
    rm -rf "$DATA"
    $KESU --data "$DATA" migrate > /dev/null 2>&1
    note "generating $N records"
    t0=$(now)
    sqlite3 "$DATA/kesu.db" -cmd ".parameter set :N $N" \
        -cmd ".parameter set :T1 $(( $(date +%s) * 1000 ))" < bench/stats_gen.sql > /dev/null
    secs "$t0" > "$DATA/.generated"
fi
if [ ! -s "$DATA/.built" ]; then
    gen_s=$(cat "$DATA/.generated")
    note "kesu stats rebuild"
    t0=$(now)
    /usr/bin/time -v -o "$WORK/rebuild.time" $KESU --data "$DATA" stats rebuild > /dev/null
    rebuild_s=$(secs "$t0")
    rebuild_rss=$(awk '/Maximum resident/ {printf "%.0f", $6/1024}' "$WORK/rebuild.time")
    echo "$gen_s $rebuild_s $rebuild_rss" > "$DATA/.built"
fi
read gen_s rebuild_s rebuild_rss < "$DATA/.built"
db_mb=$(du -m "$DATA/kesu.db" | cut -f1)
rows=$(sqlite3 "$DATA/kesu.db" "SELECT count(*) FROM stats_daily")
case_rows=$(sqlite3 "$DATA/kesu.db" "SELECT count(*) FROM stats_cases")

KEY=$($KESU --data "$DATA" apikey create bench 2>/dev/null | tail -n 1)
SRV=
trap '[ -n "$SRV" ] && kill $SRV 2>/dev/null || true' EXIT
serve() { # serve MODE: kesu serve on the store with stats_cube=MODE; sets SRV and PORT
    rm -f "$WORK/port"
    KESU_STATS_CUBE=$1 $KESU --data "$DATA" serve --listen 127.0.0.1:0 --port-file "$WORK/port" \
        > "$WORK/serve-$1.log" 2>&1 &
    SRV=$!
    for _ in $(seq 1 600); do [ -s "$WORK/port" ] && break; sleep 0.1; done
    PORT=$(cat "$WORK/port")
}
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$SRV/status"; }
stop() { kill $SRV; wait $SRV 2>/dev/null || true; SRV=; }

# 1. SQLite: the rollups and scans (stats_cube = off)
serve off
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
note "querying (SQLite)"
/usr/bin/python3 bench/stats_query.py "$PORT" "$KEY" 50 > "$WORK/query.md"
rss_off=$(rss_mb)
stop

# 2. the stats cube (stats_cube = start): loaded at start, then the same kind of queries
serve start
for _ in $(seq 1 3000); do grep -q "stats cube: .* loaded in" "$WORK/serve-start.log" && break; sleep 0.2; done
cube_load=$(sed -n 's/.*stats cube: [0-9]* records loaded in \([0-9]*\) ms.*/\1/p' "$WORK/serve-start.log" | head -n 1)
rss_loaded=$(rss_mb)
note "querying (cube)"
/usr/bin/python3 bench/stats_query.py "$PORT" "$KEY" 50 cube > "$WORK/query-cube.md"
rss_cube=$(rss_mb)
stop
trap - EXIT
# what the cube holds (its own load, the same code as the server's)
cube_line=$($KESU --data "$DATA" stats cube 2>/dev/null)

note "monthly report"
t0=$(now)
$KESU --data "$DATA" report --period month --format html --out "$WORK/month.html" > /dev/null
html_s=$(secs "$t0")
t0=$(now)
$KESU --data "$DATA" report --period month --format xlsx --out "$WORK/month.xlsx" > /dev/null
xlsx_s=$(secs "$t0")
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

cat > "$OUT" <<MD
# Stats and reports: measured figures

Produced by \`bench/stats.sh\` (BENCH_STATS_COUNT=$N) on $(date -u +%Y-%m-%d), $(nproc) cores,
shared with other builds (load average $load_before before the queries, $load_after after).
Build: \`make\` (-O2). Store: $N synthetic records over a year (bench/stats_gen.sql, written
straight into SQLite in $gen_s s; kesu.db $db_mb MB); rollups by \`kesu stats rebuild\` in
$rebuild_s s (peak RSS $rebuild_rss MB, $rows rollup rows).

Latency of each endpoint over loopback, one keep-alive connection, \`kesu serve\` on the store.
Rows marked "scan" scan the records received in the period (30 days = about
$(( N * 30 / 365 )) records) with their SLA rows and surveys; the others read rollups
(stats_daily, stats_cases: $case_rows case rollup rows; satisfaction reads the surveys
answered in the period).

$(cat "$WORK/query.md")

The same store through the stats cube (\`kesu serve\` with \`stats_cube = start\`; every reply
equal to SQLite's, which tests/unit/test_cube.c checks byte for byte). Load at start: one read
of the feedback table, $(awk "BEGIN {printf \"%.1f\", ${cube_load:-0} / 1000}") s; $cube_line. Server RSS: $rss_off MB without the
cube (after the queries above), $rss_loaded MB with it just loaded, $rss_cube MB after the queries.

$(cat "$WORK/query-cube.md")

Monthly report (the last complete month, about $(( N * 30 / 365 )) records): HTML $html_s s,
xlsx $xlsx_s s (\`kesu report --period month\`, CLI, the same store).
MD
cat "$OUT"
