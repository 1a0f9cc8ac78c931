-- bench/absolute.lua: wrk script used by bench/bench.sh.
--
-- wrk connects to the host:port of its URL: bench.sh points that at the
-- proxy under test, and this script makes every request absolute-form
-- (GET http://ORIGIN/PATH HTTP/1.1, Host: ORIGIN), as a client configured
-- with a proxy sends it. Environment:
--   BENCH_ORIGIN  host:port of the origin (nginx)
--   BENCH_PATH    path on the origin (default /1k)
--   BENCH_DIRECT  1: no proxy, origin-form requests straight to the origin
--   BENCH_CLOSE   1: "Connection: close", so every request is a new
--                 connection (wrk reconnects after each response)

local origin = os.getenv("BENCH_ORIGIN") or "127.0.0.1:80"
local path = os.getenv("BENCH_PATH") or "/1k"

if os.getenv("BENCH_DIRECT") == "1" then
   wrk.path = path
else
   wrk.path = "http://" .. origin .. path
end
wrk.headers["Host"] = origin
wrk.headers["User-Agent"] = "wrk-bench"
if os.getenv("BENCH_CLOSE") == "1" then
   wrk.headers["Connection"] = "close"
end
