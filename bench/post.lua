-- wrk script: durable single-record POST /api/v1/feedback, each with a fresh external_id.
-- KESU_KEY: the API key. Prints one JSON line of results at the end.
local key = os.getenv("KESU_KEY")
local minimal = os.getenv("KESU_MINIMAL") -- set: send Prefer: return=minimal
local threads = {}
local n = 0

function setup(thread)
   thread:set("tid", #threads + 1)
   table.insert(threads, thread)
end

local texts = {
   "物流太慢了，订单三天没有更新，客服电话也打不通，请尽快处理",
   "收到的手机屏幕有划痕，申请退货一周了还没人处理",
   "门店店员态度很差，排队半小时没人理，第三次投诉了",
   "信用卡年费被重复扣款两次，要求退还多扣的费用",
   "APP一直闪退，登录不上，影响正常使用",
}

-- Words mixed into each text so that records differ the way real complaints do (the intake
-- pipeline links exact and near duplicates; a benchmark of five repeated texts would measure
-- only that).
local words = {
   "快递", "客服", "退款", "质量", "屏幕", "电池", "发票", "售后", "门店", "价格",
   "包装", "破损", "延误", "态度", "维修", "换货", "赠品", "优惠", "积分", "会员",
   "短信", "电话", "地址", "尺码", "颜色", "说明", "安装", "噪音", "异味", "发热",
}

function request()
   n = n + 1
   local h = n * 2654435761 + tid * 40503
   local w = {}
   for i = 1, 4 do
      w[i] = words[(math.floor(h / (31 ^ i)) % #words) + 1]
   end
   local body = string.format(
      '{"channel":"app","external_id":"wrk-%d-%d-%d","customer_id":"C%d-%d","product":"手机",' ..
      '"region":"上海","text":"%s，还有%s和%s的问题，%s%s也不行，单号%d"}', tid, os.time(), n, tid,
      n, texts[n % #texts + 1], w[1], w[2], w[3], w[4], n)
   local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key}
   if minimal then
      headers["Prefer"] = "return=minimal"
   end
   return wrk.format("POST", "/api/v1/feedback", headers, body)
end

function done(summary, latency, requests)
   io.write(string.format(
      '{"requests":%d,"duration_s":%.3f,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,' ..
      '"non2xx":%d,"errors":%d}\n',
      summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
      summary.errors.status, summary.errors.connect + summary.errors.read +
      summary.errors.write + summary.errors.timeout))
end
