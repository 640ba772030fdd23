-- wrk script: GET KESU_PATH with one header KESU_HNAME: KESU_HVALUE (an API key or a session
-- cookie). Prints one JSON line of results at the end.
local path = os.getenv("KESU_PATH")
local headers = {[os.getenv("KESU_HNAME")] = os.getenv("KESU_HVALUE")}

function request()
   return wrk.format("GET", path, headers)
end

function done(summary, latency, requests)
   io.write(string.format(
      '{"requests":%d,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"non2xx":%d}\n',
      summary.requests, summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status))
end
