-- wrk script: replay prepared requests for the run's duration, each at most once, split across threads.
-- wrk's own histogram then holds only these requests. Arguments: the request file and the thread count.
-- The file has one request per line: METHOD \t PATH \t AUTHORIZATION \t BODY (the last two may be empty).
-- A thread that runs out of requests before the duration ends says so ("exhausted"): the caller must
-- prepare more, since repeating a sign-in would measure a different (cheaper) path.
-- An optional third argument "answers" also counts what the answers say: the error code of every
-- refusal with its status (``409 wish_already_claimed``) and, per ``"title": "…"``, the successes (status 200) naming it, so a
-- caller can find two winners of one wish from the answers alone.

local threads = {}
local counter = 0

function setup(thread)
   thread:set("thread_index", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

function init(args)
   local path, count = args[1], tonumber(args[2])
   answers = args[3] == "answers"
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
   codes = {}
   titles = {}
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
   if answers and body then
      if status == 200 then
         local title = body:match('"title":%s*"([^"]*)"')
         if title then titles[title] = (titles[title] or 0) + 1 end
      else
         local code = key .. " " .. (body:match('"code":%s*"([^"]*)"') or "?")
         codes[code] = (codes[code] or 0) + 1
      end
   end
end

local function encode(map)
   local parts = {}
   for key, value in pairs(map) do table.insert(parts, string.format('"%s": %d', key, value)) end
   return "{" .. table.concat(parts, ", ") .. "}"
end

function done(summary, latency, requests)
   local totals, all_codes, all_titles, exhausted_threads = {}, {}, {}, 0
   for _, thread in ipairs(threads) do
      for key, value in pairs(thread:get("statuses")) do totals[key] = (totals[key] or 0) + value end
      for key, value in pairs(thread:get("codes")) do all_codes[key] = (all_codes[key] or 0) + value end
      for key, value in pairs(thread:get("titles")) do all_titles[key] = (all_titles[key] or 0) + value end
      exhausted_threads = exhausted_threads + thread:get("exhausted")
   end
   io.write(string.format(
      '{"duration_us": %d, "requests": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, "errors": %d, ' ..
      '"exhausted_threads": %d, "statuses": %s, "codes": %s, "winners": %s}\n',
      summary.duration, summary.requests, latency:percentile(50), latency:percentile(99), latency.max,
      summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
      exhausted_threads, encode(totals), encode(all_codes), encode(all_titles)))
end
