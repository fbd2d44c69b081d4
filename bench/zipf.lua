-- bench/zipf.lua -- wrk script for scenario (b), mass hosting: every
-- request goes to GET /hello.php on a new connection (Connection: close)
-- with its Host drawn from s000.bench .. s<N-1>.bench by a Zipf law
-- (P(rank k) ~ 1/k^s; s000 is rank 1, the most visited site).
--
--   wrk -t2 -c16 -d5s --latency -s bench/zipf.lua http://127.0.0.1:PORT/
--
-- Environment: ZIPF_HOSTS (default 200), ZIPF_S (default 1),
-- ZIPF_PATH (default /hello.php), ZIPF_SEED (default 1).

local n_hosts = tonumber(os.getenv("ZIPF_HOSTS") or "200")
local s       = tonumber(os.getenv("ZIPF_S") or "1")
local path    = os.getenv("ZIPF_PATH") or "/hello.php"
local seed    = tonumber(os.getenv("ZIPF_SEED") or "1")

-- setup runs once per wrk thread, in the main Lua state: number the threads
-- so that each draws its own random sequence
local threads = 0
function setup(thread)
   threads = threads + 1
   thread:set("thread_no", threads)
end

local cdf = {}       -- cdf[k] = P(rank <= k)
local requests = {}  -- requests[k] = the request for rank k, preformatted

-- init runs in each thread's own Lua state before the first request
function init(args)
   local sum = 0
   for k = 1, n_hosts do
      sum = sum + 1 / k ^ s
      cdf[k] = sum
   end
   for k = 1, n_hosts do
      cdf[k] = cdf[k] / sum
      requests[k] = wrk.format("GET", path, {
         ["Host"] = string.format("s%03d.bench", k - 1),
         ["Connection"] = "close",
      })
   end
   cdf[n_hosts] = 1.0
   math.randomseed(seed * 7919 + (thread_no or 0))
end

-- smallest k with cdf[k] >= u (binary search)
local function pick(u)
   local lo, hi = 1, n_hosts
   while lo < hi do
      local mid = math.floor((lo + hi) / 2)
      if cdf[mid] >= u then hi = mid else lo = mid + 1 end
   end
   return lo
end

function request()
   return requests[pick(math.random())]
end
