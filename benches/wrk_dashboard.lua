-- wrk script: GET /skill/dashboard?hsCode=... cycling through the codes in
-- the file named by the environment variable WRK_PATHS (one request path a
-- line). With WRK_DELAY_MS set, every connection waits that long before
-- each request (a fixed offered rate: Debian's wrk has no -R; see
-- docs/performance.md).

local paths = {}
local delay_ms = tonumber(os.getenv("WRK_DELAY_MS") or "0")
local counter = 0

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("offset", threads * 7919)
end

function init(args)
  local f = assert(io.open(os.getenv("WRK_PATHS"), "r"))
  for line in f:lines() do
    if #line > 0 then paths[#paths + 1] = line end
  end
  f:close()
  counter = tonumber(offset or 0)
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end

if delay_ms > 0 then
  function delay()
    return delay_ms
  end
end

function done(summary, latency, requests)
  io.write(string.format(
    "WRKJSON {\"requests\": %d, \"duration_us\": %d, \"errors_status\": %d, \"errors_connect\": %d, \"errors_read\": %d, \"errors_timeout\": %d, \"p50_us\": %d, \"p90_us\": %d, \"p99_us\": %d, \"p999_us\": %d, \"max_us\": %d, \"mean_us\": %.1f}\n",
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
