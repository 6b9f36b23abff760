-- ---------------------------------------------------------------------------------------
-- Luau's standard library where LuaJIT's differs (the C half: src/lua/stdlib.c, buffer.c;
-- what is missing and why: docs/lua.md)
-- ---------------------------------------------------------------------------------------
do
  local rawtype, rawget, rawset, next, getinfo = type, rawget, rawset, next, debug.getinfo
  local ogetmetatable, osetmetatable = getmetatable, setmetatable
  local isbuffer = debug.getregistry()["rmt.isbuffer"]

  G.type = function(v)
    local t = rawtype(v)
    if t == "userdata" and isbuffer(v) then return "buffer" end
    return t
  end
  local otypeof = G.typeof
  G.typeof = function(v)
    if rawtype(v) == "userdata" and isbuffer(v) then return "buffer" end
    return otypeof(v)
  end
  G.rawlen = function(v)
    local t = rawtype(v)
    if t ~= "table" and t ~= "string" then error("table or string expected", 2) end
    return #v
  end
  G.ypcall = pcall

  -- assert: Luau's raises through luaL_error, so the message gets the caller's position
  -- (LuaJIT's raises the bare message), and assert() with nothing is "missing argument #1".
  -- The failing branch is a separate function so the passing call stays small for the JIT.
  local function assertfail(n, _, msg)
    if n == 0 then error("missing argument #1", 3) end
    if msg == nil then error("assertion failed!", 3) end
    local t = rawtype(msg)
    if t ~= "string" and t ~= "number" then
      error("invalid argument #2 to 'assert' (string expected, got " .. G.typeof(msg) .. ")", 3)
    end
    error(msg, 3)
  end
  G.assert = function(...)
    local v = ...
    if not v then assertfail(select("#", ...), ...) end
    return ...
  end

  -- math.min/max: Luau keeps the first argument unless a later one compares below (above)
  -- it, so a NaN first stays and a NaN later is skipped; LuaJIT's answer differs only when
  -- it is NaN or the first argument is, so only then is it worked out again (the JIT inlines the wrapper: no cost).
  do
    local omin, omax, tonum = math.min, math.max, tonumber
    local function slowmin(...)
      local r = tonum((...))
      for i = 2, select("#", ...) do
        local v = tonum((select(i, ...)))
        if v < r then r = v end
      end
      return r
    end
    local function slowmax(...)
      local r = tonum((...))
      for i = 2, select("#", ...) do
        local v = tonum((select(i, ...)))
        if v > r then r = v end
      end
      return r
    end
    math.min = function(...)
      local a = ...
      local r = omin(...)
      if r ~= r or a ~= a then return slowmin(...) end
      return r
    end
    math.max = function(...)
      local a = ...
      local r = omax(...)
      if r ~= r or a ~= a then return slowmax(...) end
      return r
    end
  end

  -- Luau's strings hold at most 2^30 bytes; LuaJIT would try to build (and fill) 2 GB
  local orep = string.rep
  string.rep = function(s, n, ...)
    if rawtype(s) == "string" and rawtype(n) == "number" and #s * n > 1073741824 then
      error("string length overflow", 2)
    end
    return orep(s, n, ...)
  end

  -- Luau takes at most two arguments (m, n)
  local orandom = math.random
  math.random = function(...)
    if select("#", ...) > 2 then error("wrong number of arguments", 2) end
    return orandom(...)
  end

  -- loadstring: Luau source, and the chunk sees the caller's environment (as in Luau, where
  -- a script's loadstring'd code reads the script's globals).
  local rawloadstring = loadstring
  G.loadstring = function(src, chunkname)
    if rawtype(src) ~= "string" then error("bad argument #1 to 'loadstring' (string expected)", 2) end
    local lua, terr = H.luau_translate(src, true) -- with the interrupt checks, as scripts
    local fn, err
    if lua then fn, err = rawloadstring(lua, chunkname or src) end
    if not fn then
      fn, err = rawloadstring(src, chunkname or src)
      if not fn then return nil, err or terr end
    end
    setfenv(fn, getfenv(2))
    return fn
  end
  -- make bench scenario 9 measures the checks against this: the same code without them
  if os.getenv("REMOTES_BENCH_UNCHECKED") == "1" then G.loadstring_unchecked = rawloadstring end

  -- string
  function string.split(s, sep)
    if rawtype(s) ~= "string" then error("invalid argument #1 to 'split' (string expected)", 2) end
    sep = sep or ","
    local out = {}
    if sep == "" then
      for i = 1, #s do out[i] = s:sub(i, i) end
      return out
    end
    local start = 1
    while true do
      local i, j = s:find(sep, start, true)
      if not i then break end
      out[#out + 1] = s:sub(start, i - 1)
      start = j + 1
    end
    out[#out + 1] = s:sub(start)
    return out
  end
  do
    -- %s takes any value through tostring (numbers as Luau prints them); %* likewise.
    local ofmt, tostr, sfind, ssub, sgsub = string.format, G.tostring, string.find, string.sub, string.gsub
    local qesc = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\\n", ["\r"] = "\\r", ["\0"] = "\\000" }
    string.format = function(fmt, ...)
      if rawtype(fmt) ~= "string" and rawtype(fmt) ~= "number" then
        error("invalid argument #1 to 'format' (string expected, got " .. rawtype(fmt) .. ")", 2)
      end
      fmt = "" .. fmt
      local n = select("#", ...)
      if n == 0 and not sfind(fmt, "%", 1, true) then return fmt end
      local args = { ... }
      local pos, argi, cut, parts = 1, 0, 1, nil
      while true do
        local s, e, flags, width, prec, spec = sfind(fmt, "%%([-+ #0]*)(%d*)%.?(%d*)(.)", pos)
        if not s then break end
        -- Lua 5.1's limits, which Luau keeps and LuaJIT dropped
        if #flags > 5 then error("invalid format (repeated flags)", 2) end
        if #width > 2 or #prec > 2 then error("invalid format (width or precision too long)", 2) end
        if spec ~= "%" then
          argi = argi + 1
          if spec == "*" and e - s > 1 then error("invalid format string to 'format'", 2) end
          if spec == "q" then
            if argi > n then
              error("invalid argument #" .. (argi + 1) .. " to 'format' (string expected, got no value)", 2)
            end
            -- Luau's %q: only ", \, newline, CR and NUL are escaped (LuaJIT writes \0, \13)
            args[argi] = '"' .. sgsub(tostr(args[argi]), '[%z"\\\n\r]', qesc) .. '"'
            parts = parts or {}
            parts[#parts + 1] = ssub(fmt, cut, s - 1) .. "%s"
            cut = e + 1
          elseif spec == "s" or spec == "*" then
            if argi > n then
              error("invalid argument #" .. (argi + 1) .. " to 'format' (missing argument)", 2)
            end
            local v = args[argi]
            if rawtype(v) ~= "string" then args[argi] = tostr(v) end
            if spec == "*" then
              parts = parts or {}
              parts[#parts + 1] = ssub(fmt, cut, s - 1) .. "%s"
              cut = e + 1
            end
          end
        end
        pos = e + 1
      end
      if parts then
        parts[#parts + 1] = ssub(fmt, cut)
        fmt = table.concat(parts)
      end
      return ofmt(fmt, unpack(args, 1, n))
    end
  end

  -- table: freeze refuses new keys (a metatable) and every library/raw write; a write to an
  -- existing key of a frozen table is not caught (LuaJIT has no read-only tables).
  local frozen = osetmetatable({}, { __mode = "k" }) -- table -> its own metatable or false
  local function readonly() error("attempt to modify a readonly table", 2) end
  local frozenMt = { __newindex = readonly }
  local function checkwrite(t, level)
    if frozen[t] ~= nil then error("attempt to modify a readonly table", level + 1) end
  end
  local function checktable(t, fname, arg)
    if rawtype(t) ~= "table" then
      error(("invalid argument #%d to '%s' (table expected, got %s)"):format(arg or 1, fname, G.typeof(t)), 3)
    end
  end
  function table.freeze(t)
    checktable(t, "freeze")
    if frozen[t] ~= nil then error("invalid argument #1 to 'freeze' (table is already frozen)", 2) end
    local mt = ogetmetatable(t)
    if mt ~= nil and rawtype(mt) ~= "table" then
      error("invalid argument #1 to 'freeze' (table has a protected metatable)", 2)
    end
    if mt and rawget(mt, "__metatable") ~= nil then
      error("invalid argument #1 to 'freeze' (table has a protected metatable)", 2)
    end
    local fmt = frozenMt
    if mt then
      fmt = {}
      for k, v in next, mt do fmt[k] = v end
      fmt.__newindex = readonly
    end
    frozen[t] = mt or false
    osetmetatable(t, fmt)
    return t
  end
  function table.isfrozen(t)
    checktable(t, "isfrozen")
    return frozen[t] ~= nil
  end
  G.getmetatable = function(...)
    if select("#", ...) == 0 then error("missing argument #1 to 'getmetatable' (value expected)", 2) end
    local v = ...
    local mt = frozen[v]
    if mt ~= nil then
      if not mt then return nil end
      local p = rawget(mt, "__metatable")
      if p ~= nil then return p end
      return mt
    end
    return ogetmetatable(v)
  end
  G.setmetatable = function(t, mt)
    if frozen[t] ~= nil then error("attempt to modify a readonly table", 2) end
    return osetmetatable(t, mt)
  end
  G.rawset = function(t, k, v)
    if frozen[t] ~= nil then error("attempt to modify a readonly table", 2) end
    return rawset(t, k, v)
  end
  do
    local tinsert_, tremove_, tsort_, tmove_ = table.insert, table.remove, table.sort, table.move
    local floor = math.floor
    function table.insert(t, ...)
      checkwrite(t, 2)
      local n = select("#", ...)
      if n ~= 1 and n ~= 2 then error("wrong number of arguments to 'insert'", 2) end
      if n == 2 then
        -- Luau shifts only for a position inside 1..#t; elsewhere it is a plain raw set
        local pos, v = ...
        if rawtype(pos) ~= "number" then pos = tonumber(pos) or pos end
        if rawtype(pos) == "number" and rawtype(t) == "table" and not (pos >= 1 and pos <= #t) then
          if pos ~= pos then pos = -2147483648 else pos = pos >= 0 and floor(pos) or -floor(-pos) end
          rawset(t, pos, v)
          return
        end
      end
      return tinsert_(t, ...)
    end
    function table.remove(t, ...)
      checkwrite(t, 2)
      return tremove_(t, ...)
    end
    function table.sort(t, ...)
      checkwrite(t, 2)
      return tsort_(t, ...)
    end
    function table.move(a1, f, e, t, a2)
      checkwrite(a2 == nil and a1 or a2, 2)
      return tmove_(a1, f, e, t, a2)
    end
  end
  function table.find(t, v, init)
    checktable(t, "find")
    init = init or 1
    if init < 1 then error("invalid argument #3 to 'find' (index out of range)", 2) end
    -- Luau walks from init until the first nil (so keys held in the hash part count) and
    -- compares with == (so __eq counts)
    local i = init
    while true do
      local x = rawget(t, i)
      if x == nil then return nil end
      if x == v then return i end
      i = i + 1
    end
  end
  function table.clear(t)
    checktable(t, "clear")
    checkwrite(t, 2)
    for k in next, t do rawset(t, k, nil) end
  end
  -- LuaJIT's table.new sizes the array part as Luau's table.create does, so a border (#t)
  -- of a table.create(n) table comes out as Luau's (a plain {} keeps later keys in the hash)
  local tnew = require("table.new")
  function table.create(n, v)
    if rawtype(n) ~= "number" or n < 0 then error("invalid argument #1 to 'create' (size out of range)", 2) end
    local t = tnew(n, 0)
    if v ~= nil then for i = 1, n do t[i] = v end end
    return t
  end
  function table.clone(t)
    checktable(t, "clone")
    local mt = frozen[t]
    if mt == nil then mt = ogetmetatable(t) end
    if mt and rawget(mt, "__metatable") ~= nil then
      error("invalid argument #1 to 'clone' (table has a protected metatable)", 2)
    end
    local c = {}
    for k, v in next, t do c[k] = v end
    return osetmetatable(c, mt or nil)
  end
  table.pack = function(...) return { n = select("#", ...), ... } end
  table.unpack = unpack

  -- coroutine.close, and the statuses and resumes it changes
  local closed = osetmetatable({}, { __mode = "k" })
  local failed = osetmetatable({}, { __mode = "k" }) -- coroutine -> its error
  local costatus, coresume = coroutine.status, coroutine.resume
  function coroutine.status(co)
    if closed[co] then return "dead" end
    return costatus(co)
  end
  local function resumed(co, ok, ...)
    if not ok then failed[co] = (...) end
    return ok, ...
  end
  function coroutine.resume(co, ...)
    if closed[co] then return false, "cannot resume dead coroutine" end
    return resumed(co, coresume(co, ...))
  end
  function coroutine.close(co)
    if rawtype(co) ~= "thread" then error("invalid argument #1 to 'close' (thread expected)", 2) end
    local st = coroutine.status(co)
    if st == "running" then error("cannot close running coroutine", 2) end
    if st == "normal" then error("cannot close normal coroutine", 2) end
    closed[co] = true
    H.task_cancel(co) -- a thread parked in task.wait, a signal or an invoke is never resumed
    local err = failed[co]
    if err ~= nil then
      failed[co] = nil
      return false, err
    end
    return true
  end

  -- debug: Luau's traceback text and debug.info
  local expand = H.chunk_expand
  local function frameline(ar)
    local s = expand(ar.short_src)
    if ar.currentline and ar.currentline > 0 then s = s .. ":" .. ar.currentline end
    if ar.name then s = s .. " function " .. ar.name end
    return s .. "\n"
  end
  local function traceback(co, msg, level)
    if msg ~= nil and rawtype(msg) ~= "string" and rawtype(msg) ~= "number" then return msg end
    local out = {}
    if msg ~= nil then out[1] = msg .. "\n" end
    while true do
      local ar
      if co then ar = getinfo(co, level, "Sln") else ar = getinfo(level, "Sln") end
      if not ar then break end
      out[#out + 1] = frameline(ar)
      level = level + 1
    end
    return table.concat(out)
  end
  function debug.traceback(a, b, c)
    local r -- not a tail call: levels count from this frame
    if rawtype(a) == "thread" then r = traceback(a, b, c or 0) else r = traceback(nil, a, (b or 1) + 2) end
    return r
  end
  local function info(a, b, c)
    local co, what, opts = nil, a, b
    if rawtype(a) == "thread" then co, what, opts = a, b, c end
    if rawtype(what) ~= "number" and rawtype(what) ~= "function" then
      error("invalid argument #" .. (co and 2 or 1) .. " to 'info' (function or level expected)", 3)
    end
    if rawtype(opts) ~= "string" then
      error("invalid argument #" .. (co and 3 or 2) .. " to 'info' (string expected)", 3)
    end
    local ar
    if rawtype(what) == "number" then
      if what < 0 then error("invalid argument #" .. (co and 2 or 1) .. " to 'info' (level can't be negative)", 3) end
      if co then ar = getinfo(co, what, "Slnfu")
      elseif what == 0 then ar = { short_src = "[C]", currentline = -1, name = "info", func = debug.info, nparams = 0, isvararg = true }
      else ar = getinfo(what + 2, "Slnfu") end
      if not ar then return end
      ar.name = ar.name or ""
    else
      ar = getinfo(what, "Slnfu")
      ar.currentline = ar.linedefined
    end
    local out, k, seen = {}, 0, {}
    for i = 1, #opts do
      local o = opts:sub(i, i)
      if seen[o] then error("invalid argument #" .. (co and 3 or 2) .. " to 'info' (duplicate option)", 3) end
      seen[o] = true
      k = k + 1
      if o == "s" then out[k] = expand(ar.short_src)
      elseif o == "l" then out[k] = ar.what == "C" and -1 or ar.currentline
      elseif o == "n" then out[k] = ar.name
      elseif o == "f" then out[k] = ar.func
      elseif o == "a" then out[k] = ar.nparams or 0; k = k + 1; out[k] = ar.isvararg and true or false
      else error("invalid argument #" .. (co and 3 or 2) .. " to 'info' (invalid option)", 3) end
    end
    return unpack(out, 1, k)
  end
  local function pass(...) return ... end
  debug.info = function(...) return pass(info(...)) end -- info's frame counts the levels
  debug.setmemorycategory = function() end
  debug.resetmemorycategory = function() end
  debug.profilebegin = function() end
  debug.profileend = function() end

  -- vector: Luau's library over Vector3 (float32 components, like Luau's vectors)
  local V3 = G.Vector3
  if V3 then
    local vnew = V3.new
    local floor, ceil, abs, max, min = math.floor, math.ceil, math.abs, math.max, math.min
    local function each(f) return function(v) return vnew(f(v.X), f(v.Y), f(v.Z)) end end
    local function sign(x) return x > 0 and 1 or x < 0 and -1 or 0 end
    G.vector = {
      create = function(x, y, z) return vnew(x, y, z) end,
      zero = vnew(0, 0, 0), one = vnew(1, 1, 1),
      magnitude = function(v) return v.Magnitude end,
      normalize = function(v) return v.Unit end,
      dot = function(a, b) return a:Dot(b) end,
      cross = function(a, b) return a:Cross(b) end,
      angle = function(a, b, axis)
        local c = a:Cross(b)
        local ang = math.atan2(c.Magnitude, a:Dot(b))
        if axis and c:Dot(axis) < 0 then ang = -ang end
        return ang
      end,
      floor = each(floor), ceil = each(ceil), abs = each(abs), sign = each(sign),
      clamp = function(v, lo, hi)
        return vnew(max(lo.X, min(hi.X, v.X)), max(lo.Y, min(hi.Y, v.Y)), max(lo.Z, min(hi.Z, v.Z)))
      end,
      max = function(a, ...)
        local x, y, z = a.X, a.Y, a.Z
        for i = 1, select("#", ...) do local b = select(i, ...); x, y, z = max(x, b.X), max(y, b.Y), max(z, b.Z) end
        return vnew(x, y, z)
      end,
      min = function(a, ...)
        local x, y, z = a.X, a.Y, a.Z
        for i = 1, select("#", ...) do local b = select(i, ...); x, y, z = min(x, b.X), min(y, b.Y), min(z, b.Z) end
        return vnew(x, y, z)
      end,
    }
  end
end

