#!/bin/sh
# bench/loop.sh: case handling at scale. Writes bench/results-loop.md.
#
#   1. N demo records imported into a fresh store without routing rules (not timed here)
#   2. routing of all N records: `kesu sla route` with the demo rules (rule match, assignment
#      within the team, timeline events, tags, SLA clock; durable, 2,000 records a transaction)
#   3. the SLA scheduler pass over the N open cases: `kesu sla check` now (the steady state:
#      only cases whose next check has come are read), then as if years later (every case
#      breaches its targets and is escalated: the worst case), then that again (nothing left)
#
#   BENCH_COUNT  records (default 1000000)
set -eu
cd "$(dirname "$0")/.."
COUNT=${BENCH_COUNT:-1000000}
WORK=bench/work/loop
OUT=bench/results-loop.md
KESU=build/kesu
mkdir -p "$WORK"
make -s -j2 all

note() { printf '%s\n' "$*" >&2; }
now() { date +%s.%N; }

if [ ! -s "$WORK/demo-$COUNT.jsonl" ]; then
    note "generating $COUNT demo records"
    $KESU demo --count "$COUNT" --out "$WORK/demo-$COUNT.jsonl" >/dev/null
fi
rm -rf "$WORK/data"
mkdir -p "$WORK/data"
note "importing $COUNT records (no rules yet)"
$KESU --data "$WORK/data" import --no-clean "$WORK/demo-$COUNT.jsonl" >"$WORK/import.txt" 2>&1
$KESU --data "$WORK/data" sla seed >/dev/null

# timed NAME CMD...: runs CMD, keeps its output in $WORK/NAME.txt, prints seconds
timed() {
    name=$1
    shift
    t0=$(now)
    "$@" >"$WORK/$name.txt" 2>&1
    t1=$(now)
    echo "$t1 - $t0" | bc -l | xargs printf '%.2f'
}

note "routing"
s_route=$(timed route $KESU --data "$WORK/data" sla route)
routed=$(sed -n 's/sla route: \([0-9]*\) records routed/\1/p' "$WORK/route.txt")
note "SLA pass, steady state"
s_now=$(timed check-now $KESU --data "$WORK/data" sla check)
note "SLA pass, everything due"
s_due=$(timed check-due $KESU --data "$WORK/data" sla check --at 2099-01-01T00:00:00+08:00)
note "SLA pass, again"
s_again=$(timed check-again $KESU --data "$WORK/data" sla check --at 2099-01-01T00:00:00+08:00)
summary() { tail -1 "$WORK/$1.txt"; }
rate() { echo "$1 / $2" | bc; }
load=$(uptime | sed 's/.*load average: //')
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
examined=$(summary check-due | sed -n 's/sla check: \([0-9]*\) cases.*/\1/p')

cat >"$OUT" <<MD
# Case handling: routing and the SLA scheduler (bench/loop.sh)

$(date -u +%Y-%m-%d), $(nproc) cores ($cpu), load average before the runs: $load
(a machine shared with other builds: figures are low and noisy). $COUNT demo records
imported without rules, then:

| step | seconds | rate | what it printed |
|---|---|---|---|
| routing (\`kesu sla route\`) | $s_route | $(rate "$routed" "$s_route") records/s | $(summary route) |
| SLA pass now (steady state) | $s_now | | $(summary check-now) |
| SLA pass, every case due | $s_due | $(rate "$examined" "$s_due") cases/s | $(summary check-due) |
| SLA pass again (nothing due) | $s_again | | $(summary check-again) |

Routing covers, per record: the rule match (6 demo rules, first match), assignment within
the team (round robin over the members on duty), the timeline events, tags and the SLA
clock (policy, calendar cn-2026 or 24x7, due times), committed durably in transactions of
10,000 records (the scheduler inside \`kesu serve\` takes 2,000 a transaction, so intake
never waits long behind it). The worst-case pass writes, per case, an sla_breach event per target, two
escalation events (one escalation for the targets that breached together), an internal note mentioning the supervisor, an audit entry (hash chain)
and the new clock state.
MD
note "wrote $OUT"
