-- bench/seckill's wrk script: every request is a buy (POST …/orders) by the next buyer of the
-- pairs file ("<access token> <buy token>" per line; threads take disjoint buyers), and the
-- answers are counted by what they mean: 202 queued, 409 refused (sold out or the buyer's
-- limit), anything else an error.
--   BENCH_PAIRS    the pairs file
--   BENCH_EVENT    the event id
--   BENCH_THREADS  wrk's -t
-- Prints "seckill rps=… p50_us=… p99_us=… queued=… refused=… other=… errors=… requests=…".

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

local pairs_list, path, thread_count, next_pair
queued, refused, other = 0, 0, 0

function init(args)
  thread_count = tonumber(os.getenv("BENCH_THREADS") or "1")
  path = "/api/v1/seckill-events/" .. os.getenv("BENCH_EVENT") .. "/orders"
  pairs_list = {}
  local file = assert(io.open(os.getenv("BENCH_PAIRS"), "r"))
  for line in file:lines() do
    local bearer, token = line:match("^(%S+) (%S+)$")
    if bearer then table.insert(pairs_list, { bearer, token }) end
  end
  file:close()
  assert(#pairs_list > 0, "no buyers")
  next_pair = thread_index
end

function request()
  local pair = pairs_list[(next_pair % #pairs_list) + 1]
  next_pair = next_pair + thread_count
  return wrk.format("POST", path, {
    ["Authorization"] = "Bearer " .. pair[1],
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
  }, '{"token":"' .. pair[2] .. '"}')
end

function response(status, headers, body)
  if status == 202 then
    queued = queued + 1
  elseif status == 409 then
    refused = refused + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local q, r, o = 0, 0, 0
  for _, t in ipairs(threads) do
    q = q + t:get("queued")
    r = r + t:get("refused")
    o = o + t:get("other")
  end
  local e = summary.errors
  io.write(string.format(
    "seckill rps=%.1f p50_us=%d p99_us=%d queued=%d refused=%d other=%d errors=%d requests=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(99),
    q, r, o, e.connect + e.read + e.write + e.timeout, summary.requests))
end
