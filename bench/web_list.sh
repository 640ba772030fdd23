#!/bin/sh
# bench/web_list.sh: the web UI's complaint list on a store of 1,000,000 demo records, in
# Debian's chromium driven by Playwright (bench/web_list.mjs): time from navigation to the
# first page of rows visible (with its total), to a filtered page, to a full-text search
# page and to the next page. Writes bench/results-web.md. A benchmark, not a test: the
# figures depend on the machine and what else runs on it.
#
#   BENCH_COUNT  demo records in the store (default 1000000)
#   BENCH_RUNS   measurements of each path (default 5; the median is reported)
set -eu
cd "$(dirname "$0")/.."
COUNT=${BENCH_COUNT:-1000000}
WORK=bench/work/web_list
OUT=bench/results-web.md
KESU=build/kesu
mkdir -p "$WORK"
make -s -j2 all
make -s web-deps

note() { printf '%s\n' "$*" >&2; }

rm -rf "$WORK/data"
note "generating and importing $COUNT demo records"
$KESU demo --count "$COUNT" --out "$WORK/demo.jsonl" >/dev/null
t0=$(date +%s.%N)
$KESU --data "$WORK/data" import "$WORK/demo.jsonl" >/dev/null
t1=$(date +%s.%N)
import_s=$(echo "$t1 - $t0" | bc)
echo 'bench-password-1' | $KESU --data "$WORK/data" user add bench --role analyst >/dev/null
rm -f "$WORK/port"
$KESU --data "$WORK/data" serve --listen 127.0.0.1:0 --port-file "$WORK/port" >"$WORK/serve.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 400); do [ -s "$WORK/port" ] && break; sleep 0.05; done
PORT=$(cat "$WORK/port")
# the search index must have caught up before the search is timed
while :; do
    lag=$(curl -s "http://127.0.0.1:$PORT/metrics" | awk '$1 == "kesu_search_lag_records" {print $2}')
    [ "${lag:-1}" = "0" ] && break
    sleep 1
done
note "measuring in chromium"
KESU_URL="http://127.0.0.1:$PORT" BENCH_USER=bench BENCH_PASSWORD=bench-password-1 \
    node bench/web_list.mjs > "$WORK/result.json"
kill $PID
wait $PID 2>/dev/null || true
trap - EXIT

/usr/bin/python3 - "$WORK/result.json" "$COUNT" "$import_s" "$OUT" <<'PY'
import json, sys, platform, os
r = json.load(open(sys.argv[1]))
count, import_s, out = int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
cpu = ''
try:
    cpu = [l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')][0]
except Exception:
    pass
with open(out, 'w') as f:
    f.write('# Web UI: the complaint list on %s records\n\n' % format(count, ','))
    f.write('`bench/web_list.sh` (BENCH_COUNT=%d): `kesu demo --count %d`, `kesu import` (%.0f s), `kesu serve`, '
            'then Debian\'s chromium (headless, Playwright) signed in as an analyst (every case) opens the inbox. '
            'Times from navigation (or the click) to the rows on screen, median of %d runs (min–max); the first '
            'page also waits for the total (`total=true`, a count over the whole filtered set). '
            'Machine: %s, %d cores, shared with other builds: the figures are noisy.\n\n'
            % (count, count, import_s, r['runs'], cpu or platform.machine(), os.cpu_count()))
    f.write('| path | query | rows | total | on screen, median ms | min–max ms | list API call, median ms |\n|---|---|---|---|---|---|---|\n')
    for m in r['results']:
        f.write('| %s | `%s` | %d | %s | %.0f | %.0f–%.0f | %.0f |\n' % (m['name'], m['query'], m['rows'],
                format(m['total'], ',') if m['total'] is not None else '—', m['median'], m['min'], m['max'], m['api']))
    f.write('\n"On screen" includes loading the page and its scripts from the browser cache; "list API call" is the '
            'request to GET /api/v1/feedback alone (request sent to response read, from the browser).\n')
    f.write('\nLoad average when written: %.1f (1 min), %.1f (5 min) on %d cores: above the core count, the '
            'browser\'s share of the CPU, not kesu, sets the "on screen" times.\n' % (os.getloadavg()[0], os.getloadavg()[1], os.cpu_count()))
    f.write('\nThe list is paged by the server (cursor pages of 20 by default, up to 100), filters and search run in '
            'SQLite (indexes on the filter columns, the FTS5 index for text); the browser never holds more than one page.\n')
print(open(out).read())
PY
