-- wrk script: replay prepared requests for the run's duration, each at most once, split across threads.
-- wrk's own histogram then holds only these requests. Arguments: the request file and the thread count.
-- The file has one request per line: METHOD \t PATH \t AUTHORIZATION \t BODY (the last two may be empty).
-- A thread that runs out of requests before the duration ends says so ("exhausted"): the caller must
-- prepare more, since repeating a sign-in would measure a different (cheaper) path.

local threads = {}
local counter = 0

function setup(thread)
   thread:set("thread_index", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

function init(args)
   local path, count = args[1], tonumber(args[2])
   queue = {}
   local index = 0
   for line in io.lines(path) do
      if index % count == thread_index then
         local method, target, auth, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
         local headers = {}
         if auth ~= "" then headers["Authorization"] = auth end
         if body ~= "" then headers["Content-Type"] = "application/json" else body = nil end
         table.insert(queue, wrk.format(method, target, headers, body))
      end
      index = index + 1
   end
   sent = 0
   exhausted = 0
   statuses = {}
end

function request()
   sent = sent + 1
   if sent > #queue then
      exhausted = 1
      return queue[#queue]
   end
   return queue[sent]
end

function response(status, headers, body)
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
   local totals, parts, exhausted_threads = {}, {}, 0
   for _, thread in ipairs(threads) do
      for key, value in pairs(thread:get("statuses")) do totals[key] = (totals[key] or 0) + value end
      exhausted_threads = exhausted_threads + thread:get("exhausted")
   end
   for key, value in pairs(totals) do table.insert(parts, string.format('"%s": %d', key, value)) end
   io.write(string.format(
      '{"duration_us": %d, "requests": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, "errors": %d, ' ..
      '"exhausted_threads": %d, "statuses": {%s}}\n',
      summary.duration, summary.requests, latency:percentile(50), latency:percentile(99), latency.max,
      summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
      exhausted_threads, table.concat(parts, ", ")))
end
