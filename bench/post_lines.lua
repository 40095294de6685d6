-- wrk script: POST each line of a JSON-lines file exactly once, retrying a 409/404 answer like load.py.
--
--   wrk -t N -c N -d 600s --timeout 30s -s bench/post_lines.lua URL -- BODIES_FILE N [RETRIES]
--
-- One connection per thread (-t equal to -c), so each thread knows which body its response answers.
-- Thread k of N posts lines k+1, k+1+N, k+1+2N ... in file order, so a file written round by round
-- (event r of every case before event r+1 of any) keeps each case's events in order unless one overtakes
-- another; a 409 (gap) or 404 (case not there yet) is then resent after 50 ms, doubling, up to RETRIES
-- times. A thread stops after its last answer; done() prints one JSON line with the outcome of each body.

local ffi = require("ffi")
ffi.cdef[[
   struct timespec { long tv_sec; long tv_nsec; };
   int clock_gettime(int clock_id, struct timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local threads = {}

local function now()
   local ts = ffi.new("struct timespec")
   ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
   return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

function setup(thread)
   thread:set("id", #threads)  -- init() runs right after, before the next thread exists: N comes in args
   table.insert(threads, thread)
end

function init(args)
   local thread_count = tonumber(args[2])
   bodies = {}
   local index = 0
   for line in io.lines(args[1]) do
      if line:match("%S") then
         if index % thread_count == id then
            table.insert(bodies, line)
         end
         index = index + 1
      end
   end
   max_retries = tonumber(args[3] or "5")
   next_body, attempt, retries, pause = 1, 0, 0, 0
   statuses = {}
   wrk.headers["Content-Type"] = "application/json"
end

function request()
   started = started or now()
   return wrk.format("POST", nil, nil, bodies[next_body])
end

function delay()
   return pause
end

function response(status, headers, body)
   if (status == 409 or status == 404) and attempt < max_retries then
      pause = 50 * 2 ^ attempt
      attempt = attempt + 1
      retries = retries + 1
      return
   end
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
   next_body, attempt, pause = next_body + 1, 0, 0
   if next_body > #bodies then
      finished = now()
      io.stderr:write("finished\n")  -- wrk itself waits out -d; the caller interrupts it once all are
      io.stderr:flush()
      wrk.thread:stop()
   end
end

function done(summary, latency, requests)
   local total, parts = {}, {}
   local retried, first, last = 0, math.huge, 0
   for _, thread in ipairs(threads) do
      retried = retried + thread:get("retries")
      first = math.min(first, thread:get("started") or math.huge)
      last = math.max(last, thread:get("finished") or now())
      for status, count in pairs(thread:get("statuses")) do
         total[status] = (total[status] or 0) + count
      end
   end
   local ok = 0
   for status, count in pairs(total) do
      table.insert(parts, string.format('"%s": %d', status, count))
      if tonumber(status) >= 200 and tonumber(status) < 300 then
         ok = ok + count
      end
   end
   local seconds = last - first  -- first request sent to last answer read, not wrk's -d
   print(string.format(
      '{"ok": %d, "statuses": {%s}, "retries": %d, "requests": %d, "errors": %d, "seconds": %.3f, '
         .. '"rate": %.1f, "p50_ms": %.2f, "p95_ms": %.2f}',
      ok, table.concat(parts, ", "), retried, summary.requests,
      summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
      seconds, ok / seconds, latency:percentile(50) / 1000, latency:percentile(95) / 1000
   ))
end
