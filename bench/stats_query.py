"""bench/stats_query.py PORT KEY [ROUNDS] [sql|cube]: p50/p99 of each stats endpoint over loopback
(one keep-alive connection, after 2 warm-up requests). Prints a Markdown table. sql (default):
the endpoints as SQLite answers them (the server runs with stats_cube = off); cube: the ones the
stats cube answers (stats_cube = start, loaded)."""
import http.client
import sys
import time

port, key = int(sys.argv[1]), sys.argv[2]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 50
ENDPOINTS = [
    ("volume, by channel, 30 days by day", "/api/v1/stats/volume?by=channel&bucket=day"),
    ("volume, by category_l1, a year by month", "/api/v1/stats/volume?by=category_l1&bucket=month&from=Y"),
    ("volume, by store (200 values), a year by week", "/api/v1/stats/volume?by=store&bucket=week&from=Y"),
    ("pareto, category_l3, a year", "/api/v1/stats/pareto?by=category_l3&from=Y"),
    ("crosstab segment x category_l1 (rollup), a year", "/api/v1/stats/crosstab?rows=customer_segment&cols=category_l1&from=Y"),
    ("heatmap, a year", "/api/v1/stats/heatmap?from=Y"),
    ("crosstab assignee x severity (scan), 30 days", "/api/v1/stats/crosstab?rows=assignee&cols=severity"),
    ("satisfaction, 30 days", "/api/v1/stats/satisfaction"),
    ("sla (rollup), 30 days", "/api/v1/stats/sla"),
    ("handling (rollup), 30 days", "/api/v1/stats/handling"),
    ("staff (rollup), 30 days", "/api/v1/stats/staff"),
    ("sla (rollup), a year", "/api/v1/stats/sla?from=Y"),
    ("handling (rollup), a year", "/api/v1/stats/handling?from=Y"),
    ("staff (rollup), a year", "/api/v1/stats/staff?from=Y"),
    ("handling (scan, exact=true), 30 days", "/api/v1/stats/handling?exact=true"),
]
CUBE_ENDPOINTS = [
    ("crosstab assignee x severity, 30 days", "/api/v1/stats/crosstab?rows=assignee&cols=severity"),
    ("crosstab assignee x severity, a year", "/api/v1/stats/crosstab?rows=assignee&cols=severity&from=Y"),
    ("crosstab segment x category_l1, 30 days", "/api/v1/stats/crosstab?rows=customer_segment&cols=category_l1"),
    ("crosstab segment x category_l1, a year", "/api/v1/stats/crosstab?rows=customer_segment&cols=category_l1&from=Y"),
    ("crosstab store x category_l3 (200 x 80), a year", "/api/v1/stats/crosstab?rows=store&cols=category_l3&from=Y"),
    ("volume, by channel, 30 days by day", "/api/v1/stats/volume?by=channel&bucket=day"),
    ("volume, by category_l1, a year by month", "/api/v1/stats/volume?by=category_l1&bucket=month&from=Y"),
    ("volume, by store (200 values), a year by week", "/api/v1/stats/volume?by=store&bucket=week&from=Y"),
    ("pareto, category_l3, a year", "/api/v1/stats/pareto?by=category_l3&from=Y"),
]
if len(sys.argv) > 4 and sys.argv[4] == "cube":
    ENDPOINTS = CUBE_ENDPOINTS
year_ago = time.strftime("%Y-%m-%d", time.localtime(time.time() - 364 * 86400))
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
hdr = {"Authorization": "Bearer " + key}
print("| endpoint | requests | p50 ms | p99 ms |")
print("|---|---|---|---|")
for name, path in ENDPOINTS:
    path = path.replace("from=Y", "from=" + year_ago)
    slow = "scan" in name
    n = max(5, rounds // 5) if slow else rounds
    times = []
    for i in range(n + 2):
        t0 = time.perf_counter()
        conn.request("GET", path, headers=hdr)
        r = conn.getresponse()
        body = r.read()
        dt = (time.perf_counter() - t0) * 1000
        if r.status != 200:
            sys.exit("%s -> %d %s" % (path, r.status, body[:200]))
        if len(sys.argv) > 4 and sys.argv[4] == "cube" and b'"source":"' in body \
                and b'"source":"cube"' not in body:
            sys.exit("%s: not answered by the cube: %s" % (path, body[:200]))
        if i >= 2:
            times.append(dt)
    times.sort()
    p50 = times[len(times) // 2]
    p99 = times[min(len(times) - 1, int(0.99 * len(times)))]
    print("| %s | %d | %.1f | %.1f |" % (name, n, p50, p99))
    sys.stdout.flush()
