-- wrk script for bench/serve.sh: POST /validate with AdmissionReviews of realistic objects,
-- allowed and rejected in turn; prints a JSON summary (latency percentiles in microseconds).
-- SERVE_BODIES: the review files (comma-separated); SERVE_DELAY_MS: pause between a
-- connection's requests (the soak's fixed rate).
local bodies = {}
local i = 0
local delay_ms = tonumber(os.getenv("SERVE_DELAY_MS") or "0")

function init(args)
  for path in string.gmatch(os.getenv("SERVE_BODIES"), "[^,]+") do
    local f = assert(io.open(path, "rb"))
    bodies[#bodies + 1] = f:read("*a")
    f:close()
  end
end

function request()
  i = i + 1
  local body = bodies[(i % #bodies) + 1]
  return wrk.format("POST", "/validate", {["Content-Type"] = "application/json"}, body)
end

if delay_ms > 0 then
  function delay()
    return delay_ms
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_s":%.3f,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"p999_ms":%.3f,"max_ms":%.3f,"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d}}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1e3, latency:percentile(99) / 1e3, latency:percentile(99.9) / 1e3,
    latency.max / 1e3, e.connect, e.read, e.write, e.timeout, e.status))
end
