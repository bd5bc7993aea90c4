-- One fixed POST, repeated; counts response statuses per thread and prints them at the end.
--
--   wrk ... -s bench/lua/post.lua <url> -- <body-file> ["Header-Name: value" ...]
--
-- The body is read from a file (no quoting trouble with JSON); each further argument is one
-- request header. wrk adds Host and Content-Length itself. done() prints one line per status:
--   BENCH-STATUS <code> <count>
-- which bench/wrk.py parses to count unexpected statuses exactly (wrk's own summary only
-- says "Non-2xx or 3xx responses").

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   local file = assert(io.open(args[1], "rb"))
   wrk.method = "POST"
   wrk.body = file:read("*a")
   file:close()
   for i = 2, #args do
      local name, value = string.match(args[i], "^([^:]+):%s*(.*)$")
      wrk.headers[name] = value
   end
   statuses = {}
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local totals = {}
   for _, thread in ipairs(threads) do
      local counts = thread:get("statuses")
      for status, n in pairs(counts) do
         totals[status] = (totals[status] or 0) + n
      end
   end
   for status, n in pairs(totals) do
      io.write(string.format("BENCH-STATUS %d %d\n", status, n))
   end
end
