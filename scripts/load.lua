-- wrk script for scripts/load.sh: cycles through the dashboard, markets
-- and trend requests listed in a file; every request carries a unique _rid=<thread>.<n> (a client-reserved name: the API ignores names that begin with `_`), so the
-- access log can be reconciled request by request. Counts, per thread,
-- the requests issued and the responses by status; done() prints them.
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

-- Per-thread counters: globals, so that done() can read them with
-- thread:get.
paths = {}
issued = 0
completed = 0
non2xx = 0

-- args[1]: a file with one request target per line (load.sh writes it).
function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then
      table.insert(paths, line)
    end
  end
end

function request()
  issued = issued + 1
  local p = paths[(issued % #paths) + 1]
  return wrk.format("GET", p .. "&_rid=" .. tid .. "." .. issued)
end

function response(status, headers, body)
  completed = completed + 1
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local i, c, n = 0, 0, 0
  local per = {}
  for _, t in ipairs(threads) do
    i = i + t:get("issued")
    c = c + t:get("completed")
    n = n + t:get("non2xx")
    table.insert(per, t:get("tid") .. ":" .. t:get("issued"))
  end
  io.write(string.format("LOADSTATS requests=%d issued=%d completed=%d non2xx=%d connect=%d read=%d write=%d status=%d timeout=%d per_thread=%s p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
    summary.requests, i, c, n, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    table.concat(per, ","), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
