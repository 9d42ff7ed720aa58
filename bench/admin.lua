-- wrk script for bench/admin: one signed-in request, repeated, and the latency percentiles
-- wrk's --latency does not print (p95). Configured through the environment:
--   BENCH_METHOD  GET or POST (default GET)
--   BENCH_BODY    the form-encoded body of a POST
--   BENCH_COOKIE  the session cookie, "xc_session=…"
--   BENCH_ORIGIN  the site's origin, sent as Origin (the CSRF check wants it on POST)
-- Prints one line: "bench rps=… p50_us=… p95_us=… p99_us=… non2xx=… errors=…".

wrk.method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end
local cookie = os.getenv("BENCH_COOKIE")
if cookie and cookie ~= "" then
  wrk.headers["Cookie"] = cookie
end
local origin = os.getenv("BENCH_ORIGIN")
if origin and origin ~= "" then
  wrk.headers["Origin"] = origin
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1000000
  local e = summary.errors
  io.write(string.format(
    "bench rps=%.1f p50_us=%d p95_us=%d p99_us=%d non2xx=%d errors=%d\n",
    summary.requests / seconds,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
