-- ---------------------------------------------------------------------------------------
-- typeof and small helpers
-- ---------------------------------------------------------------------------------------
-- The state of an instance, signal or connection lives in its proxy's environment table, so
-- it is collected with the proxy. (A weak-keyed side table proxy -> state never lets go: LuaJIT
-- has no ephemerons, and the state refers back to its proxy through parents, children and
-- connected closures, so every instance ever made would stay.) Inst[p], SignalState[p] and
-- ConnState[p] read it (nil for anything else); Inst[p] = d sets it.
local dgetmt, dgetfenv, dsetfenv = debug.getmetatable, debug.getfenv, debug.setfenv
local instMt, sigMt, connMt -- the proxies' metatables (below)
local function setState(_, p, st) dsetfenv(p, st) end
local Inst = setmetatable({}, { __newindex = setState,         -- instance proxy -> data
  __index = function(_, p) if dgetmt(p) == instMt then return dgetfenv(p) end end })
local SignalState = setmetatable({}, { __newindex = setState,  -- signal proxy -> state
  __index = function(_, p) if dgetmt(p) == sigMt then return dgetfenv(p) end end })
local ConnState = setmetatable({}, { __newindex = setState,    -- connection proxy -> record
  __index = function(_, p) if dgetmt(p) == connMt then return dgetfenv(p) end end })
local PlayerIds = setmetatable({}, { __mode = "k" })   -- Player proxy -> engine player id

local function typeof(v)
  local t = type(v)
  if t == "userdata" then
    if Inst[v] then return "Instance" end
    if SignalState[v] then return "RBXScriptSignal" end
    if ConnState[v] then return "RBXScriptConnection" end
    local mt = getmetatable(v)
    if type(mt) == "string" and mt ~= "The metatable is locked" then return mt end
  end
  return t
end
G.typeof = typeof

-- Luau the translator (H.luau_translate, src/lua/luau.c) leaves to LuaJIT, which rejects it.
local function luauHint(src)
  local hints = {}
  if src:find("[%w_%]%)]%s*<<") then hints[#hints + 1] = "explicit type arguments f<<T>>()" end
  if #hints == 0 then return "" end
  return " (Luau syntax not supported by this host: " .. table.concat(hints, ", ") .. ")"
end

-- A script's chunk name is "=" and its full name, as in Roblox, so errors and tracebacks read
-- "ServerScriptService.Main:3: message". LuaJIT cuts chunk names to 59 bytes (LUA_IDSIZE), so
-- a longer name is registered and compiled under a short id ("\1<id>\2") that every line
-- of output, debug.traceback, debug.info and pcall's message show as the name again.
local chunkIds = {} -- full name -> chunk name
-- pcall and xpcall give a caught message naming such a script with its name; they are
-- replaced only once a long name exists (so `local pcall = pcall` taken before that, and
-- coroutine.resume's message, keep the id).
local function namedPcall()
  local rawpcall, rawxpcall, expand = G.pcall, G.xpcall, H.chunk_expand
  local function named(ok, ...)
    if ok or type((...)) ~= "string" then return ok, ... end
    return false, expand((...))
  end
  G.pcall = function(f, ...) return named(rawpcall(f, ...)) end
  G.xpcall = function(f, h, ...)
    return rawxpcall(f, function(e)
      if type(e) == "string" then e = expand(e) end
      return h(e)
    end, ...)
  end
  G.ypcall = G.pcall
end
local function chunkName(name)
  if #name <= 59 then return "=" .. name end
  local c = chunkIds[name]
  if c then return c end
  local id = H.chunk_id(name)
  if not id then return "=" .. name end -- the table is full: LuaJIT cuts this one
  if next(chunkIds) == nil then namedPcall() end
  c = "=\1" .. sformat("%d", id) .. "\2"
  chunkIds[name] = c
  return c
end

local fullName
-- Compiles a script instance's source, translated from Luau first (line numbers are kept);
-- nil, "file:line: message" on a syntax error.
local function compile(inst, d)
  local src = d.props.Source or ""
  local chunk = d.chunkname or chunkName(fullName(inst))
  local lua, terr = H.luau_translate(src, true)
  if not lua then
    local fn = loadstring(src, chunk) -- Lua the translator does not know still runs
    if fn then return fn end
    return nil, chunk:gsub("^[=@]", "") .. ":" .. terr .. luauHint(src)
  end
  local fn, err = loadstring(lua, chunk)
  if not fn then return nil, err .. luauHint(src) end
  return fn
end

