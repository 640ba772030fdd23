#!/bin/sh
# bench/sec.sh: what access control costs. Sign-in latency (Argon2id, libsodium interactive
# limits: 2 passes over 64 MiB), and the same list request authenticated by API key and by
# session cookie (the session costs three indexed reads: session, user, teams), with wrk.
# Writes bench/results-sec.md.
set -eu
cd "$(dirname "$0")/.."
WORK=bench/work/sec
OUT=bench/results-sec.md
KESU=build/kesu
mkdir -p "$WORK"
make -s -j2 all

note() { printf '%s\n' "$*" >&2; }
json() { /usr/bin/python3 -c "import json,sys; print(json.loads(sys.stdin.readline())[sys.argv[1]])" "$1"; }

rm -rf "$WORK/data"
$KESU --data "$WORK/data" serve --listen 127.0.0.1:0 --port-file "$WORK/port" \
    --demo-if-empty 5000 --threads 2 >"$WORK/serve.out" 2>"$WORK/serve.err" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do [ -s "$WORK/port" ] && break; sleep 0.1; done
port=$(cat "$WORK/port")
base="http://127.0.0.1:$port"
key=$(cat "$WORK/data/demo-api-key")

note "sign-in latency"
: > "$WORK/login.ms"
for _ in $(seq 1 20); do
    curl -s -o /dev/null -w '%{time_total}\n' -H 'Content-Type: application/json' \
        -d '{"username":"analyst","password":"kesu-demo"}' "$base/api/v1/auth/login" >> "$WORK/login.ms"
done
login_p50=$(sort -n "$WORK/login.ms" | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]*1000}')

cookie=$(curl -s -i -H 'Content-Type: application/json' \
    -d '{"username":"analyst","password":"kesu-demo"}' "$base/api/v1/auth/login" |
    sed -n 's/^Set-Cookie: \(kesu_session=[0-9a-f]*\).*/\1/p')

path='/api/v1/feedback?limit=20'
note "list with an API key"
key_res=$(KESU_PATH="$path" KESU_HNAME=Authorization KESU_HVALUE="Bearer $key" \
    wrk -t1 -c4 -d10s -s bench/auth.lua "$base" | tail -n 1)
note "list with a session cookie"
ses_res=$(KESU_PATH="$path" KESU_HNAME=Cookie KESU_HVALUE="$cookie" \
    wrk -t1 -c4 -d10s -s bench/auth.lua "$base" | tail -n 1)
load=$(uptime | sed 's/.*load average: //')

cat > "$OUT" <<MD
# Access control (bench/sec.sh)

$(date -u +%Y-%m-%d), $(nproc) cores, load average $load (machine shared with other builds).

| what | figure |
|---|---|
| sign-in (Argon2id verify + session write), median of 20 | $login_p50 ms |
| GET $path, API key: req/s, p50, p99 | $(echo "$key_res" | json rps) · $(echo "$key_res" | json p50_ms) ms · $(echo "$key_res" | json p99_ms) ms |
| same, session cookie (analyst): req/s, p50, p99 | $(echo "$ses_res" | json rps) · $(echo "$ses_res" | json p50_ms) ms · $(echo "$ses_res" | json p99_ms) ms |

Non-2xx answers: key $(echo "$key_res" | json non2xx), session $(echo "$ses_res" | json non2xx).
MD
cat "$OUT"
