-- The one wrk script of every bench/ script. It cycles through a list of paths (so a run asks
-- for what a crawler or many students would ask for, not one cached URL), can send a session
-- cookie, an Origin, a form body, a fixed Authorization header or a different bearer token per
-- request, and counts the answers by class: wrk itself counts only 4xx/5xx as errors, and a
-- redirect or an error page served quickly would otherwise look like a fast page.
--
-- Configured through the environment (all optional):
--   BENCH_PATHS    a file with one path (and query) per line, cycled; default: the URL's path
--   BENCH_METHOD   GET or POST (default GET)
--   BENCH_BODY     a form-encoded body, sent with every request
--   BENCH_COOKIE   "xc_session=…"
--   BENCH_ORIGIN   the site's origin, sent as Origin (the CSRF check wants it on POST)
--   BENCH_AUTH     a whole Authorization header value, sent with every request
--   BENCH_TOKENS   a file with one bearer token per line: each request takes the next unused
--                  one (threads take disjoint ones); when the list runs out it starts over, and
--                  the result line says how many requests had a token not seen before
--   BENCH_THREADS  wrk's -t, so threads can split the paths and tokens between them
-- Prints one line that bench/lib.sh reads:
--   "bench rps=… p50_us=… p95_us=… p99_us=… ok=… redirects=… bad=… errors=… requests=… fresh=…"

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

local function read_lines(name)
  if not name or name == "" then return nil end
  local file = assert(io.open(name, "r"), "cannot open " .. name)
  local lines = {}
  for line in file:lines() do
    if line ~= "" then table.insert(lines, line) end
  end
  file:close()
  assert(#lines > 0, name .. " is empty")
  return lines
end

local paths, tokens, base_headers, method, body
local thread_count, next_path, next_token
ok, redirects, bad, fresh = 0, 0, 0, 0

function init(args)
  thread_count = tonumber(os.getenv("BENCH_THREADS") or "1")
  paths = read_lines(os.getenv("BENCH_PATHS")) or { wrk.path }
  tokens = read_lines(os.getenv("BENCH_TOKENS"))
  method = os.getenv("BENCH_METHOD") or "GET"
  body = os.getenv("BENCH_BODY")
  if body == "" then body = nil end

  base_headers = {}
  for k, v in pairs(wrk.headers) do base_headers[k] = v end
  if body then base_headers["Content-Type"] = "application/x-www-form-urlencoded" end
  local cookie, origin, auth = os.getenv("BENCH_COOKIE"), os.getenv("BENCH_ORIGIN"), os.getenv("BENCH_AUTH")
  if cookie and cookie ~= "" then base_headers["Cookie"] = cookie end
  if origin and origin ~= "" then base_headers["Origin"] = origin end
  if auth and auth ~= "" then base_headers["Authorization"] = auth end

  -- Threads start at different places in the path list, so they do not move in lockstep.
  next_path = math.floor(thread_index * #paths / thread_count)
  next_token = thread_index
end

function request()
  local path = paths[(next_path % #paths) + 1]
  next_path = next_path + 1
  if not tokens then
    return wrk.format(method, path, base_headers, body)
  end
  -- Thread k takes tokens k, k+T, k+2T…: no two threads send the same token in the first pass.
  if next_token < #tokens then fresh = fresh + 1 end
  local token = tokens[(next_token % #tokens) + 1]
  next_token = next_token + thread_count
  local headers = {}
  for k, v in pairs(base_headers) do headers[k] = v end
  headers["Authorization"] = "Bearer " .. token
  return wrk.format(method, path, headers, body)
end

function response(status, headers, response_body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  elseif status >= 300 and status < 400 then
    redirects = redirects + 1
  else
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local total_ok, total_redirects, total_bad, total_fresh = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    total_ok = total_ok + thread:get("ok")
    total_redirects = total_redirects + thread:get("redirects")
    total_bad = total_bad + thread:get("bad")
    total_fresh = total_fresh + thread:get("fresh")
  end
  local e = summary.errors
  io.write(string.format(
    "bench rps=%.1f p50_us=%d p95_us=%d p99_us=%d ok=%d redirects=%d bad=%d errors=%d requests=%d fresh=%d\n",
    summary.requests / (summary.duration / 1000000),
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    total_ok, total_redirects, total_bad,
    e.connect + e.read + e.write + e.timeout, summary.requests, total_fresh))
end
