#!/bin/sh
# bench/web_list.sh: the web UI's complaint list on a store of 1,000,000 demo records, in
# Debian's chromium driven by Playwright (bench/web_list.mjs): time from navigation to the
# first page of rows visible and to its total, for the whole list, filtered pages and
# full-text search pages, and to the next page; with where the first page's time goes.
# Writes bench/results-web.md. A benchmark, not a test: the figures depend on the machine
# and what else runs on it.
#
#   BENCH_COUNT  demo records in the store (default 1000000)
#   BENCH_RUNS   measurements of each path (default 5; the median is reported)
#   BENCH_REUSE  1: keep the store of an earlier run in bench/work/web_list/data (same count)
#   BENCH_KESU   the binary to measure (default build/kesu; its embedded UI is the one measured)
#   BENCH_OUT    where to write the results (default bench/results-web.md)
set -eu
cd "$(dirname "$0")/.."
COUNT=${BENCH_COUNT:-1000000}
WORK=bench/work/web_list
OUT=${BENCH_OUT:-bench/results-web.md}
KESU=${BENCH_KESU:-build/kesu}
mkdir -p "$WORK"
make -s -j2 all
make -s web-deps

note() { printf '%s\n' "$*" >&2; }

if [ "${BENCH_REUSE:-0}" = 1 ] && [ -s "$WORK/data/kesu.db" ] && [ "$(cat "$WORK/count" 2>/dev/null)" = "$COUNT" ]; then
    note "reusing the store of $COUNT records in $WORK/data"
    import_s=$(cat "$WORK/import_s")
else
    rm -rf "$WORK/data" "$WORK/count"
    note "generating and importing $COUNT demo records"
    $KESU demo --count "$COUNT" --out "$WORK/demo.jsonl" >/dev/null
    t0=$(date +%s.%N)
    $KESU --data "$WORK/data" import "$WORK/demo.jsonl" >/dev/null
    t1=$(date +%s.%N)
    import_s=$(echo "$t1 - $t0" | bc)
    echo "$import_s" > "$WORK/import_s"
    echo 'bench-password-1' | $KESU --data "$WORK/data" user add bench --role analyst >/dev/null
    echo "$COUNT" > "$WORK/count"
fi
rm -f "$WORK/port"
$KESU --data "$WORK/data" serve --listen 127.0.0.1:0 --port-file "$WORK/port" >"$WORK/serve.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 400); do [ -s "$WORK/port" ] && break; sleep 0.05; done
PORT=$(cat "$WORK/port")
# The search index must have caught up before the search is timed: `kesu import` leaves the
# records to serve's indexer (about a minute and a half for a million records on an idle
# machine, more under load: it runs at idle priority). The lag metric, three times in a row,
# and where sqlite3 is there the index's own mark against the highest record id.
indexed() {
    [ -x /usr/bin/sqlite3 ] || return 0
    to=$(/usr/bin/sqlite3 "file:$WORK/data/search.db?mode=ro" "SELECT v FROM search_state WHERE k='indexed_to'" 2>/dev/null)
    max=$(/usr/bin/sqlite3 "file:$WORK/data/kesu.db?mode=ro" "SELECT coalesce(max(id),0) FROM feedback" 2>/dev/null)
    [ -n "$to" ] && [ "$to" = "$max" ]
}
zeros=0
while [ $zeros -lt 3 ]; do
    lag=$(curl -s "http://127.0.0.1:$PORT/metrics" | awk '$1 == "kesu_search_lag_records" {print $2}')
    if [ "${lag:-1}" = "0" ] && indexed; then zeros=$((zeros + 1)); else zeros=0; fi
    [ $zeros -lt 3 ] && sleep 1
done
note "measuring in chromium"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
KESU_URL="http://127.0.0.1:$PORT" BENCH_USER=bench BENCH_PASSWORD=bench-password-1 \
    node bench/web_list.mjs > "$WORK/result.json"
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
kill $PID
wait $PID 2>/dev/null || true
trap - EXIT

/usr/bin/python3 - "$WORK/result.json" "$COUNT" "$import_s" "$OUT" "$load_start" "$load_end" <<'PY'
import json, sys, platform, os
r = json.load(open(sys.argv[1]))
count, import_s, out = int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
load_start, load_end = sys.argv[5], sys.argv[6]
cpu = ''
try:
    cpu = [l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')][0]
except Exception:
    pass
ms = lambda x: '—' if x is None else '%.0f' % x
# notes written by hand below this line in the results file are kept
MARK = '<!-- notes below: kept by bench/web_list.sh -->'
kept = ''
try:
    old = open(out).read()
    if MARK in old:
        kept = old[old.index(MARK):]
except OSError:
    pass
with open(out, 'w') as f:
    f.write('# Web UI: the complaint list on %s records\n\n' % format(count, ','))
    f.write('`bench/web_list.sh` (BENCH_COUNT=%d): `kesu demo --count %d`, `kesu import` (%.0f s), `kesu serve` '
            '(the search index caught up first), then Debian\'s chromium (headless, Playwright) signed in as an '
            'analyst (every case) opens the inbox. Times from navigation start (by the page\'s clock, checked at every animation frame; the next page: from the click) to the first row on screen '
            'and to the total on screen (the UI asks for the count after the rows), median of %d runs (min–max). '
            'Machine: %s, %d cores, shared with other builds: the figures are noisy.\n\n'
            % (count, count, import_s, r['runs'], cpu or platform.machine(), os.cpu_count()))
    f.write('| path | query | rows | total | rows on screen, median ms | min–max ms | total on screen, median ms | min–max ms | list API call, median ms |\n|---|---|---|---|---|---|---|---|---|\n')
    for m in r['results']:
        f.write('| %s | `%s` | %d | %s | %.0f | %.0f–%.0f | %s | %s | %.0f |\n' % (m['name'], m['query'], m['rows'],
                format(m['total'], ',') if m['total'] is not None else '—', m['median'], m['min'], m['max'],
                ms(m.get('totalMedian')), '%s–%s' % (ms(m.get('totalMin')), ms(m.get('totalMax'))) if m.get('totalMin') is not None else '—',
                m['api']))
    f.write('\n"On screen" includes loading the page and its scripts from the browser cache (warmed by one visit); '
            '"list API call" is the request for the rows alone (request sent to response read, from the browser).\n')
    b = r.get('breakdown') or {}
    if b:
        f.write('\nWhere the first page\'s time goes (unfiltered list, medians of the page\'s own performance entries, '
                'ms from navigation start; Chrome\'s metrics summed over the load):\n\n')
        f.write('| step | ms |\n|---|---|\n')
        for k, what in [('html', 'index.html received'), ('assets', 'last script/style of the page received (%d files, %d KB)' % (b.get('assetCount') or 0, (b.get('assetBytes') or 0) / 1024)),
                        ('main', 'app modules evaluated (`kesu:main`)'), ('meStart', 'session check sent (`/auth/me`)'), ('meEnd', 'session check answered'),
                        ('listStart', 'rows requested'), ('listEnd', 'rows received'), ('rows', 'rows rendered (`kesu:rows`)'), ('countEnd', 'total received')]:
            f.write('| %s | %s |\n' % (what, ms(b.get(k))))
        f.write('| script execution (all tasks) | %s |\n| style recalculation | %s |\n| layout | %s |\n| main-thread tasks in all | %s |\n'
                % (ms(b.get('script')), ms(b.get('style')), ms(b.get('layout')), ms(b.get('task'))))
    f.write('\nLoad average (1, 5, 15 min) on %d cores: %s at the start of the measurement, %s at its end: above the '
            'core count, the browser\'s share of the CPU, not kesu, sets the "on screen" times.\n' % (os.cpu_count(), load_start, load_end))
    f.write('\nThe list is paged by the server (cursor pages of 20 by default, up to 100), filters and search run in '
            'SQLite (indexes on the filter columns, the FTS5 index for text); the browser never holds more than one page.\n')
    if kept:
        f.write('\n' + kept)
print(open(out).read())
PY
