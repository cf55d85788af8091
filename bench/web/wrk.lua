-- wrk script for bench/web/run.sh: the request comes from the environment
-- so one script serves every endpoint, and the result is one machine-readable
-- line (µs precision, unlike wrk's rounded human summary).
--
--   BW_METHOD  request method (default GET)
--   BW_BODY    request body, sent as application/json
--   BW_AUTH    an Authorization header value (e.g. "Basic ...") when the
--              service wants credentials
--
-- No response() callback on purpose: defining one makes wrk hand every
-- response to Lua, which would slow the client and skew the comparison.
-- wrk already counts non-2xx/3xx answers in summary.errors.status.

local method = os.getenv("BW_METHOD")
if method and method ~= "" then wrk.method = method end

local body = os.getenv("BW_BODY")
if body and body ~= "" then
    wrk.body = body
    wrk.headers["Content-Type"] = "application/json"
end

local auth = os.getenv("BW_AUTH")
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end

function done(summary, latency, requests)
    local e = summary.errors
    local secs = summary.duration / 1e6
    io.write(string.format(
        "BW_RESULT requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f " ..
        "p90_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d sock_errors=%d " ..
        "bytes=%d\n",
        summary.requests, secs, summary.requests / secs,
        latency:percentile(50) / 1000, latency:percentile(90) / 1000,
        latency:percentile(99) / 1000, latency.max / 1000, e.status,
        e.connect + e.read + e.write + e.timeout, summary.bytes))
end
