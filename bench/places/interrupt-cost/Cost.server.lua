-- The cost of the script-timeout checks (docs/robustness.md). Each workload runs twice: as
-- this script's own code, which the host translated with an interrupt check atop every loop
-- and function body, and as the same source through loadstring_unchecked (LuaJIT's own
-- loadstring, exposed only when REMOTES_BENCH_UNCHECKED=1), which has no checks. Best of 7
-- runs each, os.clock (wall time, as Luau's); one line per workload with the ratio
-- checked/plain. Run: REMOTES_BENCH_UNCHECKED=1 remotes serve bench/places/interrupt-cost
-- --duration 60 --script-timeout 0
local workloads = {
  { "tight loop (10M empty iterations)", [[ local n = 0 for i = 1, 1e7 do n = n + i end return n ]] },
  { "table loop (5M writes and reads)",
    [[ local t, s = {}, 0 for i = 1, 5e6 do t[i] = i * 2 s = s + t[i] % 7 end return s ]] },
  { "recursive calls (fib 27)",
    [[ local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end return fib(27) ]] },
  { "sort with a comparator (200k)",
    [[ local t = {} for i = 1, 2e5 do t[i] = (i * 7919) % 100003 end
       table.sort(t, function(a, b) return a < b end) return t[1] ]] },
  { "closures (1M created and called)",
    [[ local n = 0 for i = 1, 1e6 do local f = function(x) return x + i end n = n + f(1) end return n ]] },
  { "string building (200k concatenations in a table)",
    [[ local parts = {} for i = 1, 2e5 do parts[#parts + 1] = tostring(i) end return #table.concat(parts) ]] },
}

local function best(f)
  f()
  local b = math.huge
  for _ = 1, 7 do
    local t0 = os.clock()
    f()
    local dt = os.clock() - t0
    if dt < b then b = dt end
  end
  return b
end

-- the checked twin of each workload: the same text compiled by the host as part of a module
-- is not available at run time, so each is written out here once more as a real function
local checked = {
  function() local n = 0 for i = 1, 1e7 do n = n + i end return n end,
  function() local t, s = {}, 0 for i = 1, 5e6 do t[i] = i * 2 s = s + t[i] % 7 end return s end,
  function() local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end return fib(27) end,
  function() local t = {} for i = 1, 2e5 do t[i] = (i * 7919) % 100003 end
    table.sort(t, function(a, b) return a < b end) return t[1] end,
  function() local n = 0 for i = 1, 1e6 do local f = function(x) return x + i end n = n + f(1) end return n end,
  function() local parts = {} for i = 1, 2e5 do parts[#parts + 1] = tostring(i) end return #table.concat(parts) end,
}

for i, w in ipairs(workloads) do
  local plainFn = assert(loadstring_unchecked(w[2]))
  assert(plainFn() == checked[i](), "twins disagree: " .. w[1])
  local plain, chk = best(plainFn), best(checked[i])
  print(string.format("interrupt-cost %-48s plain %8.2f ms  checked %8.2f ms  ratio %.2f",
    w[1], plain * 1000, chk * 1000, chk / plain))
end
