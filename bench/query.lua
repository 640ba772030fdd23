-- wrk script: GET one of the paths in the file named by KESU_PATHS (one per line), in turn.
-- Prints one JSON line of latency results at the end.
local key = os.getenv("KESU_KEY")
local paths = {}
for line in io.lines(os.getenv("KESU_PATHS")) do
   if #line > 0 then table.insert(paths, line) end
end
local i = 0

function request()
   i = i + 1
   return wrk.format("GET", paths[(i % #paths) + 1], {["Authorization"] = "Bearer " .. key})
end

function done(summary, latency, requests)
   io.write(string.format(
      '{"requests":%d,"rps":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,' ..
      '"non2xx":%d}\n',
      summary.requests, summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000, summary.errors.status))
end
