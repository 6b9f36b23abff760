-- prelude.lua - the Roblox object model of the Lua host (instances, signals, services, places,
-- require) over the C primitives in H. Compiled into prelude.c; must never touch sockets.
local H = ...
local G = _G
local SIDE = H.side -- "server" or "client"
local IS_SERVER = SIDE == "server"

local type, pairs, ipairs, tostring, error, select, setmetatable, rawget =
  type, pairs, ipairs, tostring, error, select, setmetatable, rawget
local sformat, tinsert, tremove, tsort = string.format, table.insert, table.remove, table.sort
local unpack = unpack
local loadstring = loadstring -- the raw one: scripts are translated before it (compile)

local function pack(...) return { n = select("#", ...), ... } end

-- Luau never runs __gc: a finalizer that raises would abort whichever crossing's allocation
-- happened to step the collector (src/lua/guard.c). A proxy's metatable ignores __gc.
do
  local rawnewproxy, rawsetmt, rawgetmt, rawset = newproxy, setmetatable, getmetatable, rawset
  local noGc = { __newindex = function(t, k, v) if k ~= "__gc" then rawset(t, k, v) end end }
  G.newproxy = function(arg)
    local p = rawnewproxy(arg)
    if arg == true then rawsetmt(rawgetmt(p), noGc) end
    return p
  end
end

-- The interrupt check the translator puts atop every loop and function body of a script
-- (src/lua/guard.c says why it is an FFI call and not a debug hook). Only every 64th check
-- calls into C; the host answers 0 (go on), 1 (script timeout), 2 (stop) or 3 (collect
-- garbage now: LuaJIT has no emergency collection before the memory cap). After an error
-- every check asks again, so a pcall that catches it cannot spin on.
do
  local ffi = require("ffi")
  -- the host pointer as cdata: a light userdata argument would keep the call out of traces
  local poll, hostp = ffi.cast("int (*)(void *)", H.poll_fn), ffi.cast("void *", H.host_ptr)
  local raise, collect = H.interrupt_error, H.collect_now
  local n = 0
  G.__rmt_chk = function()
    n = n + 1
    if n >= 64 then
      n = 0
      local r = poll(hostp)
      if r ~= 0 then
        if r == 3 then
          collect()
        else
          n = 64
          raise(r)
        end
      end
    end
  end
end

local hooks = {}

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

-- ---------------------------------------------------------------------------------------
-- Signals (RBXScriptSignal / RBXScriptConnection)
-- ---------------------------------------------------------------------------------------
local sigBase = newproxy(true)
sigMt = getmetatable(sigBase)
local connBase = newproxy(true)
connMt = getmetatable(connBase)

local function setActive(st)
  local n = #st.conns + #st.waiters
  local active = n > 0
  if active ~= st.active then
    st.active = active
    if st.onActive then st.onActive(active) end
  end
end

local function disconnect(rec)
  if not rec.connected then return end
  rec.connected = false
  local st = rec.st
  local list = {}
  for _, r in ipairs(st.conns) do if r ~= rec then list[#list + 1] = r end end
  st.conns = list
  setActive(st)
end

local function newSignal(name, opts)
  local s = newproxy(sigBase)
  SignalState[s] = { name = name, conns = {}, waiters = {}, active = false,
                     onActive = opts and opts.onActive, busy = opts and opts.busy }
  return s
end

local function connect(st, fn, once, what)
  if type(fn) ~= "function" then
    error(sformat("Attempt to connect failed: Passed value is not a function"), 3)
  end
  local rec = { st = st, fn = fn, connected = true, once = once }
  local c = newproxy(connBase)
  ConnState[c] = rec
  local list = {}
  for i, r in ipairs(st.conns) do list[i] = r end
  list[#list + 1] = rec
  st.conns = list
  setActive(st)
  return c
end

local function fireSignal(s, ...)
  local st = SignalState[s]
  if not st then return end
  local list = st.conns
  for i = 1, #list do
    local rec = list[i]
    if rec.connected then
      if rec.once then disconnect(rec) end
      H.task_spawn(rec.fn, ...)
    end
  end
  local ws = st.waiters
  if #ws > 0 then
    st.waiters = {}
    setActive(st)
    for i = 1, #ws do H.wake(ws[i][1], ws[i][2], ...) end
  end
end

local function disconnectAll(s)
  local st = SignalState[s]
  if not st then return end
  for _, rec in ipairs(st.conns) do rec.connected = false end
  st.conns = {}
  setActive(st)
end

local SignalMethods = {}
function SignalMethods.Connect(self, fn)
  local st = SignalState[self]
  if not st then error("Expected ':' not '.' calling member function Connect", 2) end
  return connect(st, fn, false)
end
function SignalMethods.Once(self, fn)
  local st = SignalState[self]
  if not st then error("Expected ':' not '.' calling member function Once", 2) end
  return connect(st, fn, true)
end
SignalMethods.ConnectParallel = SignalMethods.Connect
function SignalMethods.Wait(self)
  local st = SignalState[self]
  if not st then error("Expected ':' not '.' calling member function Wait", 2) end
  local co = coroutine.running()
  if not co then error("Wait cannot be called from the main thread", 2) end
  local token = H.park(st.busy)
  st.waiters[#st.waiters + 1] = { co, token }
  setActive(st)
  return coroutine.yield()
end
sigMt.__index = function(self, k)
  local m = SignalMethods[k]
  if m then return m end
  error(sformat("%s is not a valid member of RBXScriptSignal", tostring(k)), 2)
end
sigMt.__newindex = function(self, k) error(sformat("%s cannot be assigned to", tostring(k)), 2) end
sigMt.__tostring = function(self) return "Signal " .. SignalState[self].name end
sigMt.__metatable = "The metatable is locked"

connMt.__index = function(self, k)
  local rec = ConnState[self]
  if k == "Connected" then return rec.connected end
  if k == "Disconnect" then return function(c)
      local r = ConnState[c]
      if not r then error("Expected ':' not '.' calling member function Disconnect", 2) end
      disconnect(r)
    end
  end
  error(sformat("%s is not a valid member of RBXScriptConnection", tostring(k)), 2)
end
connMt.__newindex = function(self, k) error(sformat("%s cannot be assigned to", tostring(k)), 2) end
connMt.__tostring = function() return "Connection" end
connMt.__metatable = "The metatable is locked"

-- ---------------------------------------------------------------------------------------
-- Instances
-- ---------------------------------------------------------------------------------------
local classes = {}
local instBase = newproxy(true)
instMt = getmetatable(instBase)

local function defclass(name, super, def)
  def = def or {}
  def.name = name
  def.super = super and classes[super] or nil
  def.props = def.props or {}
  def.methods = def.methods or {}
  def.events = def.events or {}
  local wrapped = {}
  for mname, f in pairs(def.methods) do
    wrapped[mname] = function(self, ...)
      if Inst[self] == nil then
        error(sformat("Expected ':' not '.' calling member function %s", mname), 2)
      end
      return f(self, ...)
    end
  end
  def.methods = wrapped
  classes[name] = def
  return def
end

local function lookup(cls, field, key)
  while cls do
    local v = cls[field][key]
    if v ~= nil then return v end
    cls = cls.super
  end
  return nil
end

local function isA(cls, name)
  while cls do
    if cls.name == name then return true end
    cls = cls.super
  end
  return false
end

fullName = function(inst)
  local parts = {}
  local cur = inst
  while cur do
    local d = Inst[cur]
    if d.ClassName == "DataModel" then break end
    tinsert(parts, 1, d.Name)
    cur = d.Parent
  end
  return table.concat(parts, ".")
end

local function getSignal(d, name)
  local s = d.signals[name]
  if not s then
    local opts = d.class.signalOpts and d.class.signalOpts(d, name)
    s = newSignal(name, opts)
    d.signals[name] = s
  end
  return s
end

local function findChild(d, name)
  for _, c in ipairs(d.children) do
    if Inst[c].Name == name then return c end
  end
  return nil
end

local game -- the DataModel
local rebind -- remote binding (set below)
-- Server: mirrors instance changes into the engine's replicated tree (set below; nil on a
-- client, whose copy changes only locally).
local rep

local function propChanged(self, d, k, v)
  if d.class.valueChanged then
    -- Roblox: a Value object's Changed fires for Value only, with the new value
    if k == "Value" and d.signals.Changed then fireSignal(d.signals.Changed, v) end
  elseif d.signals.Changed then
    fireSignal(d.signals.Changed, k)
  end
  local ps = d.propSignals and d.propSignals[k]
  if ps then fireSignal(ps) end
  if rep and d.repId and k == "Value" and d.class.valueChanged then rep.value(self, d) end
end

local function isAncestor(a, b) -- a is an ancestor of b
  local cur = Inst[b].Parent
  while cur do
    if cur == a then return true end
    cur = Inst[cur].Parent
  end
  return false
end

local function fireDescendantAdded(node, inst)
  local cur = Inst[node] and node
  while cur do
    local d = Inst[cur]
    if d.signals.DescendantAdded then fireSignal(d.signals.DescendantAdded, inst) end
    cur = d.Parent
  end
end

local function wakeChildWaiters(pd, name, child)
  local ws = pd.childWaiters and pd.childWaiters[name]
  if ws then
    pd.childWaiters[name] = nil
    for _, w in ipairs(ws) do
      w.done = true
      if w.warnThread then H.task_cancel(w.warnThread) end
      if w.timeoutThread then H.task_cancel(w.timeoutThread) end
      H.wake(w.co, w.token, child)
    end
  end
end

local function setParent(self, d, newParent, force)
  if newParent ~= nil and not Inst[newParent] then
    error(sformat("Unable to assign property Parent. Instance expected, got %s", typeof(newParent)), 3)
  end
  if d.Parent == newParent then return end
  if not force then
    if d.locked then
      error(sformat("The Parent property of %s is locked, current parent: %s, new parent %s",
        d.Name, d.Parent and Inst[d.Parent].Name or "NULL",
        newParent and Inst[newParent].Name or "NULL"), 3)
    end
    if newParent == self or (newParent and isAncestor(self, newParent)) then
      error(sformat("Attempt to set %s as its own parent", fullName(self)), 3)
    end
  end
  local old = d.Parent
  if old then
    local od = Inst[old]
    local list = {}
    for _, c in ipairs(od.children) do if c ~= self then list[#list + 1] = c end end
    od.children = list
  end
  d.Parent = newParent
  if newParent then
    local nd = Inst[newParent]
    nd.children[#nd.children + 1] = self
  end
  if rebind then rebind(self) end
  if rep then rep.parent(self, d) end
  if old and Inst[old].signals.ChildRemoved then fireSignal(Inst[old].signals.ChildRemoved, self) end
  if newParent then
    local nd = Inst[newParent]
    if nd.signals.ChildAdded then fireSignal(nd.signals.ChildAdded, self) end
    fireDescendantAdded(newParent, self)
    wakeChildWaiters(nd, d.Name, self)
  end
  if d.signals.AncestryChanged then fireSignal(d.signals.AncestryChanged, self, newParent) end
  propChanged(self, d, "Parent", newParent)
end

local function setName(self, d, v)
  if type(v) == "number" then v = tostring(v) end
  if type(v) ~= "string" then
    error(sformat("Unable to assign property Name. string expected, got %s", typeof(v)), 3)
  end
  if d.Name == v then return end
  d.Name = v
  if rebind then rebind(self) end
  if rep and d.repId then rep.name(self, d) end
  propChanged(self, d, "Name", v)
  if d.Parent then wakeChildWaiters(Inst[d.Parent], v, self) end
end

-- Set by the facts section: gives a class this file defines the properties Roblox's facts
-- have for it (SoundService.RespectFilteringEnabled), on the first miss, so a state pays for
-- reading the facts only when a script reaches for one.
local lateFacts

instMt.__index = function(self, k)
  local d = Inst[self]
  if k == "Name" then return d.Name end
  if k == "Parent" then return d.Parent end
  if k == "ClassName" then return d.ClassName end
  local cls = d.class
  local p = lookup(cls, "props", k)
  if not p and not cls.factsMerged and lateFacts and not lookup(cls, "methods", k)
     and not lookup(cls, "events", k) and not findChild(d, k) then
    lateFacts(d.ClassName)
    p = lookup(cls, "props", k)
  end
  if p then
    if p.get then return p.get(self, d) end
    if p.callback then
      error(sformat("%s is a callback member of %s; you can only set the callback value, get is not available", k, d.ClassName), 2)
    end
    local v = d.props[k]
    if v == nil then return p.default end
    return v
  end
  local m = lookup(cls, "methods", k)
  if m then return m end
  if lookup(cls, "events", k) then return getSignal(d, k) end
  local child = findChild(d, k)
  if child then return child end
  error(sformat("%s is not a valid member of %s \"%s\"", tostring(k), d.ClassName, fullName(self)), 2)
end

instMt.__newindex = function(self, k, v)
  local d = Inst[self]
  if k == "Parent" then return setParent(self, d, v) end
  if k == "Name" then return setName(self, d, v) end
  local p = lookup(d.class, "props", k)
  if not p and not d.class.factsMerged and lateFacts then
    lateFacts(d.ClassName)
    p = lookup(d.class, "props", k)
  end
  if not p then
    error(sformat("%s is not a valid member of %s \"%s\"", tostring(k), d.ClassName, fullName(self)), 2)
  end
  if p.readonly then
    error(sformat("Unable to assign property %s. Property is read only", k), 2)
  end
  if p.check then
    local ok, cv = p.check(v)
    if not ok then
      error(sformat("Unable to assign property %s. %s expected, got %s", k, cv, typeof(v)), 2)
    end
    v = cv
  end
  if p.set then return p.set(self, d, v) end
  local old = d.props[k]
  if old == nil then old = p.default end
  d.props[k] = v
  if old ~= v then propChanged(self, d, k, v) end
end
instMt.__tostring = function(self) return Inst[self].Name end
instMt.__eq = function(a, b) return rawequal(a, b) end
instMt.__metatable = "The metatable is locked"

local function newInstance(className, internal)
  local cls = classes[className]
  if not cls or (not internal and not cls.creatable) then
    error(sformat("Unable to create an Instance of type \"%s\"", tostring(className)), 3)
  end
  local inst = newproxy(instBase)
  local d = { class = cls, ClassName = className, Name = className, children = {}, attrs = {},
              props = {}, signals = {} }
  Inst[inst] = d
  local c = cls
  local inits = {}
  while c do
    if c.init then tinsert(inits, 1, c.init) end
    c = c.super
  end
  for _, f in ipairs(inits) do f(inst, d) end
  return inst, d
end

-- value checks for properties
local function numCheck(v)
  if type(v) == "number" then return true, v end
  if type(v) == "string" and tonumber(v) then return true, tonumber(v) end
  return false, "number"
end
local function intCheck(v)
  local ok, n = numCheck(v)
  if not ok then return false, "number" end
  if n ~= n or n == math.huge or n == -math.huge then return true, 0 end
  return true, n >= 0 and math.floor(n) or math.ceil(n)
end
local function strCheck(v)
  if type(v) == "string" then return true, v end
  if type(v) == "number" then return true, tostring(v) end
  return false, "string"
end
local function boolCheck(v)
  if type(v) == "boolean" then return true, v end
  return false, "boolean"
end
local function typedCheck(tname)
  return function(v)
    if typeof(v) == tname then return true, v end
    return false, tname
  end
end
local function instCheck(v)
  if v == nil or Inst[v] then return true, v end
  return false, "Instance"
end

local attrTypes = { ["nil"] = true, boolean = true, number = true, string = true, Vector3 = true,
                    CFrame = true, Color3 = true }

local function setAttr(inst, d, name, value)
  local old = d.attrs[name]
  d.attrs[name] = value
  if old ~= value then
    if rep and d.repId then rep.attr(inst, d, name, value) end
    if d.signals.AttributeChanged then fireSignal(d.signals.AttributeChanged, name) end
    local s = d.attrSignals and d.attrSignals[name]
    if s then fireSignal(s) end
  end
end

local function destroy(self)
  local d = Inst[self]
  if d.destroyed then return end
  if d.signals.Destroying then fireSignal(d.signals.Destroying) end
  -- one engine destroy covers the subtree
  if rep and d.repId then rep.detach(self, d) end
  local kids = {}
  for i, c in ipairs(d.children) do kids[i] = c end
  for _, c in ipairs(kids) do destroy(c) end
  setParent(self, d, nil, true)
  d.destroyed = true
  d.locked = true
  for _, s in pairs(d.signals) do disconnectAll(s) end
  if d.propSignals then for _, s in pairs(d.propSignals) do disconnectAll(s) end end
  if d.attrSignals then for _, s in pairs(d.attrSignals) do disconnectAll(s) end end
end

local function descendants(inst, out)
  for _, c in ipairs(Inst[inst].children) do
    out[#out + 1] = c
    descendants(c, out)
  end
  return out
end

defclass("Instance", nil, {
  props = { Archivable = { default = true, check = boolCheck } },
  events = { ChildAdded = true, ChildRemoved = true, DescendantAdded = true, Changed = true,
             Destroying = true, AncestryChanged = true, AttributeChanged = true },
  methods = {
    FindFirstChild = function(self, name, recursive)
      local d = Inst[self]
      for _, c in ipairs(d.children) do
        if Inst[c].Name == name then return c end
      end
      if recursive then
        for _, c in ipairs(d.children) do
          local f = c:FindFirstChild(name, true)
          if f then return f end
        end
      end
      return nil
    end,
    FindFirstChildOfClass = function(self, cname)
      for _, c in ipairs(Inst[self].children) do
        if Inst[c].ClassName == cname then return c end
      end
      return nil
    end,
    FindFirstChildWhichIsA = function(self, cname, recursive)
      for _, c in ipairs(Inst[self].children) do
        if isA(Inst[c].class, cname) then return c end
      end
      if recursive then
        for _, c in ipairs(Inst[self].children) do
          local f = c:FindFirstChildWhichIsA(cname, true)
          if f then return f end
        end
      end
      return nil
    end,
    FindFirstAncestor = function(self, name)
      local cur = Inst[self].Parent
      while cur do
        if Inst[cur].Name == name then return cur end
        cur = Inst[cur].Parent
      end
      return nil
    end,
    FindFirstAncestorOfClass = function(self, cname)
      local cur = Inst[self].Parent
      while cur do
        if Inst[cur].ClassName == cname then return cur end
        cur = Inst[cur].Parent
      end
      return nil
    end,
    FindFirstAncestorWhichIsA = function(self, cname)
      local cur = Inst[self].Parent
      while cur do
        if isA(Inst[cur].class, cname) then return cur end
        cur = Inst[cur].Parent
      end
      return nil
    end,
    WaitForChild = function(self, name, timeout)
      local d = Inst[self]
      if type(name) ~= "string" then
        error(sformat("Argument 1 missing or nil"), 2)
      end
      local c = findChild(d, name)
      if c then return c end
      local co = coroutine.running()
      if not co then error("WaitForChild cannot be called from the main thread", 2) end
      local w = { co = co, token = H.park(true) }
      d.childWaiters = d.childWaiters or {}
      d.childWaiters[name] = d.childWaiters[name] or {}
      tinsert(d.childWaiters[name], w)
      local function drop()
        local ws = d.childWaiters and d.childWaiters[name]
        if ws then
          for i, x in ipairs(ws) do if x == w then tremove(ws, i) break end end
          if #ws == 0 then d.childWaiters[name] = nil end
        end
      end
      if type(timeout) == "number" then
        w.timeoutThread = H.task_delay(timeout, function()
          if w.done then return end
          w.done = true
          drop()
          H.wake(co, w.token, nil)
        end)
      else
        local where = fullName(self)
        w.warnThread = H.task_delay(5, function()
          if w.done then return end
          -- the warning must not keep the client busy on its own: the wait already does
          warn(sformat("Infinite yield possible on '%s:WaitForChild(\"%s\")'", where, name))
        end)
      end
      return coroutine.yield()
    end,
    GetChildren = function(self)
      local out = {}
      for i, c in ipairs(Inst[self].children) do out[i] = c end
      return out
    end,
    GetDescendants = function(self) return descendants(self, {}) end,
    IsA = function(self, cname) return isA(Inst[self].class, cname) end,
    IsDescendantOf = function(self, other) return other ~= nil and isAncestor(other, self) end,
    IsAncestorOf = function(self, other) return other ~= nil and isAncestor(self, other) end,
    GetFullName = function(self) return fullName(self) end,
    Destroy = function(self) destroy(self) end,
    Remove = function(self) setParent(self, Inst[self], nil) end,
    ClearAllChildren = function(self)
      local kids = {}
      for i, c in ipairs(Inst[self].children) do kids[i] = c end
      for _, c in ipairs(kids) do destroy(c) end
    end,
    Clone = function(self)
      local d = Inst[self]
      local copy, cd = newInstance(d.ClassName, true)
      cd.Name = d.Name
      for k, v in pairs(d.props) do cd.props[k] = v end
      for k, v in pairs(d.attrs) do cd.attrs[k] = v end
      cd.chunkname = d.chunkname
      for _, c in ipairs(d.children) do
        local cc = c:Clone()
        setParent(cc, Inst[cc], copy)
      end
      return copy
    end,
    GetAttribute = function(self, name) return Inst[self].attrs[name] end,
    GetAttributes = function(self)
      local out = {}
      for k, v in pairs(Inst[self].attrs) do out[k] = v end
      return out
    end,
    SetAttribute = function(self, name, value)
      local d = Inst[self]
      if type(name) ~= "string" then error("Attribute name must be a string", 2) end
      if not attrTypes[typeof(value)] then
        error(sformat("%s is not a supported attribute type", typeof(value)), 2)
      end
      setAttr(self, d, name, value)
    end,
    GetAttributeChangedSignal = function(self, name)
      local d = Inst[self]
      d.attrSignals = d.attrSignals or {}
      local s = d.attrSignals[name]
      if not s then
        s = newSignal("AttributeChanged")
        d.attrSignals[name] = s
      end
      return s
    end,
    GetPropertyChangedSignal = function(self, name)
      local d = Inst[self]
      if name ~= "Name" and name ~= "Parent" and not lookup(d.class, "props", name) then
        error(sformat("%s is not a valid property name.", tostring(name)), 2)
      end
      d.propSignals = d.propSignals or {}
      local s = d.propSignals[name]
      if not s then
        s = newSignal(name)
        d.propSignals[name] = s
      end
      return s
    end,
  },
})

defclass("Folder", "Instance", { creatable = true })
defclass("Model", "Instance", { creatable = true })
defclass("Configuration", "Instance", { creatable = true })

-- Scripts
defclass("LuaSourceContainer", "Instance", { props = { Source = { default = "", check = strCheck } } })
defclass("BaseScript", "LuaSourceContainer", {
  props = { Disabled = { default = false, check = boolCheck },
            Enabled = { get = function(_, d) return not d.props.Disabled end,
                        set = function(_, d, v) d.props.Disabled = not v end, check = boolCheck } },
})
defclass("Script", "BaseScript", { creatable = true })
defclass("LocalScript", "Script", { creatable = true })
defclass("ModuleScript", "LuaSourceContainer", { creatable = true })

-- Value objects: .Value and .Changed(newValue)
local function defvalue(name, check, default)
  defclass(name, "ValueBase", {
    creatable = true, valueChanged = true,
    props = { Value = { default = default, check = check } },
  })
end
defclass("ValueBase", "Instance", { valueChanged = true })
defvalue("IntValue", intCheck, 0)
defvalue("NumberValue", numCheck, 0)
defvalue("StringValue", strCheck, "")
defvalue("BoolValue", boolCheck, false)
defvalue("ObjectValue", instCheck, nil)
defvalue("Vector3Value", typedCheck("Vector3"), Vector3.new(0, 0, 0))
defvalue("CFrameValue", typedCheck("CFrame"), CFrame.new())
defvalue("Color3Value", typedCheck("Color3"), Color3.new(0, 0, 0))

-- Parts exist so scripts that make them do not fail; there is no physics.
defclass("BasePart", "Instance", {
  props = { Position = { default = Vector3.new(0, 0, 0), check = typedCheck("Vector3") },
            Size = { default = Vector3.new(4, 1, 2), check = typedCheck("Vector3") },
            CFrame = { default = CFrame.new(), check = typedCheck("CFrame") },
            Anchored = { default = false, check = boolCheck },
            CanCollide = { default = true, check = boolCheck },
            Transparency = { default = 0, check = numCheck },
            Color = { default = Color3.new(0.64, 0.64, 0.64), check = typedCheck("Color3") } },
  events = { Touched = true },
})
defclass("Part", "BasePart", { creatable = true })

defclass("Camera", "Instance", {
  creatable = true,
  props = { CFrame = { default = CFrame.new(0, 20, 20), check = typedCheck("CFrame") },
            Focus = { default = CFrame.new(), check = typedCheck("CFrame") },
            FieldOfView = { default = 70, check = numCheck } },
})

-- ---------------------------------------------------------------------------------------
-- Conversions across a boundary (C): H.copy_args deep-copies like a BindableEvent
-- ---------------------------------------------------------------------------------------
local copyArgs = H.copy_args

-- ---------------------------------------------------------------------------------------
-- Remotes
-- ---------------------------------------------------------------------------------------
local RemotesById = {}
local REMOTE_KIND = { RemoteEvent = 1, UnreliableRemoteEvent = 2, RemoteFunction = 3 }
local KIND_CLASS = { "RemoteEvent", "UnreliableRemoteEvent", "RemoteFunction" }

local function remoteSignalOpts(d, name)
  if name == "OnServerEvent" or name == "OnClientEvent" then
    return {
      busy = true,
      onActive = function(active)
        d.listening = active
        if d.rid then
          if active and not d.conn then
            d.conn = H.net_listen(d.rid)
          elseif not active and d.conn then
            H.net_unlisten(d.rid, d.conn)
            d.conn = nil
          end
        end
      end,
    }
  end
  return nil
end

local function requireBound(self, d, method)
  if not d.rid then
    if IS_SERVER then
      error(sformat("%s: %s must be a descendant of ReplicatedStorage to be used over the network", method, fullName(self)), 3)
    else
      error(sformat("%s: %s is not known to the server (remotes are created by the server under ReplicatedStorage)", method, fullName(self)), 3)
    end
  end
end

local function serverOnly(method)
  if not IS_SERVER then error(method .. " can only be called from the server", 3) end
end
local function clientOnly(method)
  if IS_SERVER then error(method .. " can only be called from the client", 3) end
end

local function checkPlayer(p, method)
  local id = PlayerIds[p]
  if not id then
    error(sformat("%s: player argument must be a Player object", method), 3)
  end
  return id
end

-- Server only: the schema text is kept on the instance, so a remote that is not bound yet
-- (or is re-created when reparented) gets it when it binds.
local function setSchema(self, schema)
  if not IS_SERVER then error("SetSchema is server-only", 2) end
  if schema ~= nil and type(schema) ~= "string" then
    error(sformat("SetSchema: schema must be a string or nil, got %s", typeof(schema)), 2)
  end
  local d = Inst[self]
  local err = H.net_set_schema(d.rid or 0, schema)
  if err then error("SetSchema: " .. err, 2) end
  d.schema = schema
end

local function finishInvoke(ok, ...)
  if ok then return ... end
  local msg, fromHandler = ...
  error(msg, fromHandler and 0 or 3)
end

local eventMethods = {
  SetSchema = setSchema,
  FireServer = function(self, ...)
    clientOnly("FireServer")
    local d = Inst[self]
    requireBound(self, d, "FireServer")
    H.net_fire(d.rid, 0, ...)
  end,
  FireClient = function(self, player, ...)
    serverOnly("FireClient")
    local d = Inst[self]
    requireBound(self, d, "FireClient")
    H.net_fire(d.rid, checkPlayer(player, "FireClient"), ...)
  end,
  FireAllClients = function(self, ...)
    serverOnly("FireAllClients")
    local d = Inst[self]
    requireBound(self, d, "FireAllClients")
    H.net_fire(d.rid, -1, ...)
  end,
}
local eventEvents = { OnServerEvent = true, OnClientEvent = true }
local function remoteEventSignalOpts(d, name)
  if (name == "OnServerEvent" and not IS_SERVER) or (name == "OnClientEvent" and IS_SERVER) then
    return nil
  end
  return remoteSignalOpts(d, name)
end
defclass("RemoteEvent", "Instance", { creatable = true, methods = eventMethods, events = eventEvents,
                                      signalOpts = remoteEventSignalOpts })
defclass("UnreliableRemoteEvent", "Instance", { creatable = true, methods = eventMethods,
                                                events = eventEvents, signalOpts = remoteEventSignalOpts })

local function setInvokeCallback(which)
  return function(self, d, fn)
    if fn ~= nil and type(fn) ~= "function" then
      error(sformat("Unable to assign property %s. function expected, got %s", which, typeof(fn)), 3)
    end
    d.props[which] = fn
    local mine = (which == "OnServerInvoke") == IS_SERVER
    if mine and d.rid then H.net_set_invoke(d.rid, fn ~= nil) end
  end
end

defclass("RemoteFunction", "Instance", {
  creatable = true,
  props = { OnServerInvoke = { callback = true, set = setInvokeCallback("OnServerInvoke") },
            OnClientInvoke = { callback = true, set = setInvokeCallback("OnClientInvoke") } },
  methods = {
    SetSchema = setSchema,
    InvokeServer = function(self, ...)
      clientOnly("InvokeServer")
      local d = Inst[self]
      requireBound(self, d, "InvokeServer")
      return finishInvoke(H.net_invoke(d.rid, 0, ...))
    end,
    InvokeClient = function(self, player, ...)
      serverOnly("InvokeClient")
      local d = Inst[self]
      requireBound(self, d, "InvokeClient")
      return finishInvoke(H.net_invoke(d.rid, checkPlayer(player, "InvokeClient"), ...))
    end,
  },
})

-- The path of a remote relative to ReplicatedStorage, or nil when it is not under it.
local function remotePath(inst)
  local parts = {}
  local cur = inst
  while cur do
    local d = Inst[cur]
    if d.ClassName == "ReplicatedStorage" then return table.concat(parts, "/") end
    tinsert(parts, 1, d.Name)
    cur = d.Parent
  end
  return nil
end

local function unbindRemote(d)
  if d.rid then
    if d.conn then H.net_unlisten(d.rid, d.conn) d.conn = nil end
    RemotesById[d.rid] = nil
    if IS_SERVER then H.net_unbind(d.rid) end
    d.rid, d.rpath = nil, nil
  end
end

local function bindRemote(inst, d, path)
  local rid, err = H.net_bind(path, REMOTE_KIND[d.ClassName])
  if not rid then
    if err then warn(sformat("%s could not be created on the network: %s", path, err)) end
    return
  end
  d.rid, d.rpath = rid, path
  RemotesById[rid] = inst
  if d.listening and not d.conn then d.conn = H.net_listen(rid) end
  local cb = d.props.OnServerInvoke
  if cb then H.net_set_invoke(rid, true) end
  if d.schema then
    local serr = H.net_set_schema(rid, d.schema)
    if serr then warn(sformat("%s: schema not applied: %s", path, serr)) end
  end
end

-- Server: every remote under ReplicatedStorage is the engine remote of its path.
if IS_SERVER then
  rebind = function(root)
    local function visit(inst)
      local d = Inst[inst]
      if REMOTE_KIND[d.ClassName] then
        local path = (not d.destroyed) and remotePath(inst) or nil
        if path ~= d.rpath then
          unbindRemote(d)
          if path and path ~= "" and H.net_enabled() then bindRemote(inst, d, path) end
        end
      end
      for _, c in ipairs(d.children) do visit(c) end
    end
    visit(root)
  end
end

-- Bindables
defclass("BindableEvent", "Instance", {
  creatable = true,
  events = { Event = true },
  methods = {
    Fire = function(self, ...)
      -- always copied: a cycle or an over-limit value is an error even with no listener
      fireSignal(Inst[self].signals.Event, copyArgs(...))
    end,
  },
})

local function finishBindable(ok, ...)
  if not ok then error((...), 0) end
  return copyArgs(...)
end
defclass("BindableFunction", "Instance", {
  creatable = true,
  props = { OnInvoke = { callback = true, set = function(self, d, fn)
    if fn ~= nil and type(fn) ~= "function" then
      error(sformat("Unable to assign property OnInvoke. function expected, got %s", typeof(fn)), 3)
    end
    d.props.OnInvoke = fn
    if fn and d.invokeWaiters then
      local ws = d.invokeWaiters
      d.invokeWaiters = nil
      for _, w in ipairs(ws) do H.wake(w[1], w[2]) end
    end
  end } },
  methods = {
    Invoke = function(self, ...)
      local d = Inst[self]
      while not d.props.OnInvoke do
        -- Roblox yields until a callback is set
        local co = coroutine.running()
        if not co then error("BindableFunction has no OnInvoke callback", 2) end
        d.invokeWaiters = d.invokeWaiters or {}
        tinsert(d.invokeWaiters, { co, H.park(false) })
        coroutine.yield()
      end
      return finishBindable(pcall(d.props.OnInvoke, copyArgs(...)))
    end,
  },
})

-- ---------------------------------------------------------------------------------------
-- Services
-- ---------------------------------------------------------------------------------------
local services = {}
local serviceClasses = { "Workspace", "Players", "ReplicatedStorage", "ReplicatedFirst",
  "ServerScriptService", "ServerStorage", "StarterPlayer", "StarterGui", "StarterPack",
  "Lighting", "RunService", "SoundService", "Teams", "Chat", "HttpService", "TextChatService" }

defclass("ServiceProvider", "Instance")
defclass("DataModel", "ServiceProvider", {
  props = { PlaceId = { default = 0, readonly = true }, GameId = { default = 0, readonly = true },
            JobId = { default = "", readonly = true } },
  methods = {
    GetService = function(self, name)
      local s = services[name]
      if s then return s end
      error(sformat("'%s' is not a valid Service name", tostring(name)), 2)
    end,
    FindService = function(self, name) return services[name] end,
    IsLoaded = function() return true end,
  },
  events = { Loaded = true },
})
for _, n in ipairs(serviceClasses) do defclass(n, "Instance") end
defclass("StarterPlayerScripts", "Instance")
defclass("StarterCharacterScripts", "Instance")
defclass("PlayerScripts", "Instance")

-- RunService
local runEvents = { Heartbeat = true, Stepped = true, RenderStepped = true, PreSimulation = true,
                    PostSimulation = true, PreRender = true }
classes.RunService.events = runEvents
classes.RunService.signalOpts = function() return { busy = true } end
classes.RunService.methods = {
  IsServer = function() return IS_SERVER end,
  IsClient = function() return not IS_SERVER end,
  IsStudio = function() return false end,
  IsRunning = function() return true end,
  IsRunMode = function() return false end,
  IsEdit = function() return false end,
}

-- Workspace
classes.Workspace.props = {
  CurrentCamera = { get = function(_, d) return d.camera end, readonly = true },
  Gravity = { default = 196.2, check = numCheck },
  -- always on here, as in Roblox today; not in the API dump, yet roblox-ts's project template sets it
  FilteringEnabled = { default = true, check = boolCheck },
}
classes.Workspace.methods = {
  GetServerTimeNow = function() return H.clock() end,
}

-- Players and Player
local PlayersById = {}
local localPlayer
classes.Players.props = {
  LocalPlayer = { get = function() return localPlayer end, readonly = true },
  MaxPlayers = { default = 256, readonly = true },
}
classes.Players.events = { PlayerAdded = true, PlayerRemoving = true }
classes.Players.methods = {
  GetPlayers = function(self)
    local out = {}
    for _, c in ipairs(Inst[self].children) do
      if PlayerIds[c] then out[#out + 1] = c end
    end
    return out
  end,
  GetPlayerByUserId = function(self, uid)
    for _, c in ipairs(Inst[self].children) do
      if PlayerIds[c] and Inst[c].props.UserId == uid then return c end
    end
    return nil
  end,
  GetPlayerFromCharacter = function() return nil end,
}
defclass("Player", "Instance", {
  props = { UserId = { default = 0, readonly = true },
            DisplayName = { get = function(_, d) return d.Name end, readonly = true },
            Character = { default = nil, check = instCheck },
            Team = { default = nil, check = instCheck },
            AccountAge = { default = 0, readonly = true } },
  events = { CharacterAdded = true, CharacterRemoving = true, Chatted = true },
  methods = {
    Kick = function(self, message)
      local id = PlayerIds[self]
      if id then H.net_kick(id, message ~= nil and tostring(message) or "") end
    end,
    GetNetworkPing = function() return 0 end,
  },
})
defclass("Team", "Instance", { creatable = true })
classes.Team.props = { TeamColor = { default = nil } }

-- the Roblox reflection for a "builtin" container: never replaced by place folders
local function makeService(name, parent)
  local s, d = newInstance(name, true)
  d.Name = name
  d.builtin = true
  d.locked = true
  setParent(s, d, parent, true)
  return s, d
end

do
  local d
  game, d = newInstance("DataModel", true)
  d.Name = "Game"
  for _, n in ipairs(serviceClasses) do
    services[n] = (makeService(n, game))
  end
  local sp = services.StarterPlayer
  makeService("StarterPlayerScripts", sp)
  makeService("StarterCharacterScripts", sp)
  local cam, cd = newInstance("Camera", true)
  cd.Name = "Camera"
  cd.noReplicate = true -- each side has its own camera, as in Roblox
  setParent(cam, cd, services.Workspace, true)
  Inst[services.Workspace].camera = cam
end

G.game = game
G.Game = game
G.workspace = services.Workspace
G.Workspace = services.Workspace

-- ---------------------------------------------------------------------------------------
-- Datatypes written in Lua: Vector2, UDim, UDim2, Rect, NumberRange, NumberSequence(Keypoint),
-- ColorSequence(Keypoint), TweenInfo, Ray, Random, DateTime. Each value is a userdata
-- (newproxy sharing its type's metatable, fields in a weak-keyed side table of plain numbers,
-- so nothing cycles back to the key); immutable, as in Roblox.
-- ---------------------------------------------------------------------------------------
local DTField = setmetatable({}, { __mode = "k" })
local function datatype(tname, methods, meta)
  local base = newproxy(true)
  local mt = getmetatable(base)
  mt.__metatable = tname
  mt.__index = function(v, k)
    local f = DTField[v]
    local x = f[k]
    if x ~= nil then return x end
    local m = methods[k]
    if m ~= nil then return m end
    if meta.get then
      x = meta.get(f, k)
      if x ~= nil then return x end
    end
    error(sformat("%s is not a valid member of %s", tostring(k), tname), 2)
  end
  mt.__newindex = function(_, k) error(sformat("%s cannot be assigned to", tostring(k)), 2) end
  for k, f in pairs(meta) do if k ~= "get" then mt[k] = f end end
  mt.__eq = mt.__eq or function(a, b)
    local fa, fb = DTField[a], DTField[b]
    if not fa or not fb then return false end
    for k, x in pairs(fa) do if fb[k] ~= x then return false end end
    return true
  end
  return function(fields)
    local v = newproxy(base)
    DTField[v] = fields
    return v
  end
end
local function isType(v, tname) return typeof(v) == tname end
local function fmtNum(n) return tostring(n) end
local function argNum(v, i, fname, default)
  if v == nil and default ~= nil then return default end
  if type(v) ~= "number" then
    error(sformat("invalid argument #%d to '%s' (number expected, got %s)", i, fname, typeof(v)), 3)
  end
  return v
end

-- Vector2
local mkV2
local function v2(x, y) return mkV2({ X = x, Y = y }) end
local V2 = {}
mkV2 = datatype("Vector2", {
  Dot = function(a, b) return a.X * b.X + a.Y * b.Y end,
  Cross = function(a, b) return a.X * b.Y - a.Y * b.X end,
  Lerp = function(a, b, t) return v2(a.X + (b.X - a.X) * t, a.Y + (b.Y - a.Y) * t) end,
  Min = function(a, b) return v2(math.min(a.X, b.X), math.min(a.Y, b.Y)) end,
  Max = function(a, b) return v2(math.max(a.X, b.X), math.max(a.Y, b.Y)) end,
  Abs = function(a) return v2(math.abs(a.X), math.abs(a.Y)) end,
  Floor = function(a) return v2(math.floor(a.X), math.floor(a.Y)) end,
  Ceil = function(a) return v2(math.ceil(a.X), math.ceil(a.Y)) end,
  Sign = function(a)
    local function sign(n) return n > 0 and 1 or n < 0 and -1 or 0 end
    return v2(sign(a.X), sign(a.Y))
  end,
  Angle = function(a, b, signed)
    local ang = math.atan2(a.X * b.Y - a.Y * b.X, a.X * b.X + a.Y * b.Y)
    if signed then return ang end
    return math.abs(ang)
  end,
  FuzzyEq = function(a, b, eps) eps = eps or 1e-5 return math.abs(a.X - b.X) <= eps and math.abs(a.Y - b.Y) <= eps end,
}, {
  get = function(f, k)
    if k == "Magnitude" then return math.sqrt(f.X * f.X + f.Y * f.Y) end
    if k == "Unit" then
      local m = math.sqrt(f.X * f.X + f.Y * f.Y)
      return v2(f.X / m, f.Y / m)
    end
    if k == "x" then return f.X end
    if k == "y" then return f.Y end
  end,
  __tostring = function(a) return fmtNum(a.X) .. ", " .. fmtNum(a.Y) end,
  __add = function(a, b) return v2(a.X + b.X, a.Y + b.Y) end,
  __sub = function(a, b) return v2(a.X - b.X, a.Y - b.Y) end,
  __mul = function(a, b)
    if type(a) == "number" then return v2(a * b.X, a * b.Y) end
    if type(b) == "number" then return v2(a.X * b, a.Y * b) end
    return v2(a.X * b.X, a.Y * b.Y)
  end,
  __div = function(a, b)
    if type(a) == "number" then return v2(a / b.X, a / b.Y) end
    if type(b) == "number" then return v2(a.X / b, a.Y / b) end
    return v2(a.X / b.X, a.Y / b.Y)
  end,
  __unm = function(a) return v2(-a.X, -a.Y) end,
})
V2.new = function(x, y) return v2(argNum(x, 1, "new", 0), argNum(y, 2, "new", 0)) end
V2.zero, V2.one, V2.xAxis, V2.yAxis = v2(0, 0), v2(1, 1), v2(1, 0), v2(0, 1)
G.Vector2 = V2

-- UDim, UDim2
local mkUDim
local function udim(s, o) return mkUDim({ Scale = s, Offset = o }) end
mkUDim = datatype("UDim", {}, {
  __tostring = function(a) return fmtNum(a.Scale) .. ", " .. fmtNum(a.Offset) end,
  __add = function(a, b) return udim(a.Scale + b.Scale, a.Offset + b.Offset) end,
  __sub = function(a, b) return udim(a.Scale - b.Scale, a.Offset - b.Offset) end,
  __unm = function(a) return udim(-a.Scale, -a.Offset) end,
})
G.UDim = { new = function(s, o) return udim(argNum(s, 1, "new", 0), math.floor(argNum(o, 2, "new", 0))) end }
local mkUDim2
local function udim2(x, y) return mkUDim2({ X = x, Y = y }) end
mkUDim2 = datatype("UDim2", {
  Lerp = function(a, b, t)
    return udim2(udim(a.X.Scale + (b.X.Scale - a.X.Scale) * t, a.X.Offset + (b.X.Offset - a.X.Offset) * t),
                 udim(a.Y.Scale + (b.Y.Scale - a.Y.Scale) * t, a.Y.Offset + (b.Y.Offset - a.Y.Offset) * t))
  end,
}, {
  get = function(f, k)
    if k == "Width" then return f.X end
    if k == "Height" then return f.Y end
  end,
  __tostring = function(a) return "{" .. tostring(a.X) .. "}, {" .. tostring(a.Y) .. "}" end,
  __add = function(a, b) return udim2(a.X + b.X, a.Y + b.Y) end,
  __sub = function(a, b) return udim2(a.X - b.X, a.Y - b.Y) end,
  __unm = function(a) return udim2(-a.X, -a.Y) end,
})
G.UDim2 = {
  new = function(xs, xo, ys, yo)
    if isType(xs, "UDim") then return udim2(xs, isType(xo, "UDim") and xo or udim(0, 0)) end
    return udim2(udim(argNum(xs, 1, "new", 0), math.floor(argNum(xo, 2, "new", 0))),
                 udim(argNum(ys, 3, "new", 0), math.floor(argNum(yo, 4, "new", 0))))
  end,
  fromScale = function(x, y) return udim2(udim(argNum(x, 1, "fromScale", 0), 0), udim(argNum(y, 2, "fromScale", 0), 0)) end,
  fromOffset = function(x, y) return udim2(udim(0, math.floor(argNum(x, 1, "fromOffset", 0))), udim(0, math.floor(argNum(y, 2, "fromOffset", 0)))) end,
}

-- Rect
local mkRect = datatype("Rect", {}, {
  get = function(f, k)
    if k == "Width" then return f.Max.X - f.Min.X end
    if k == "Height" then return f.Max.Y - f.Min.Y end
  end,
  __tostring = function(a) return tostring(a.Min) .. ", " .. tostring(a.Max) end,
})
G.Rect = { new = function(a, b, c, d)
  if isType(a, "Vector2") then return mkRect({ Min = a, Max = b or V2.zero }) end
  return mkRect({ Min = v2(a or 0, b or 0), Max = v2(c or 0, d or 0) })
end }

-- NumberRange
local mkRange = datatype("NumberRange", {}, {
  __tostring = function(a) return fmtNum(a.Min) .. " " .. fmtNum(a.Max) .. " " end,
})
G.NumberRange = { new = function(lo, hi)
  lo = argNum(lo, 1, "new")
  hi = argNum(hi, 2, "new", lo)
  if hi < lo then error("NumberRange: invalid range", 2) end
  return mkRange({ Min = lo, Max = hi })
end }

-- NumberSequence / ColorSequence and their keypoints
local mkNKey = datatype("NumberSequenceKeypoint", {}, {
  __tostring = function(a) return fmtNum(a.Time) .. " " .. fmtNum(a.Value) .. " " .. fmtNum(a.Envelope) .. " " end,
})
G.NumberSequenceKeypoint = { new = function(t, v, e)
  return mkNKey({ Time = argNum(t, 1, "new"), Value = argNum(v, 2, "new"), Envelope = argNum(e, 3, "new", 0) })
end }
local function seqCheck(kps, what)
  if #kps < 2 then error(what .. ": requires at least 2 keypoints", 3) end
  if kps[1].Time ~= 0 or kps[#kps].Time ~= 1 then
    error(what .. ": must start at time 0 and end at time 1", 3)
  end
  for i = 2, #kps do
    if kps[i].Time < kps[i - 1].Time then error(what .. ": keypoints must be ordered by time", 3) end
  end
end
local mkNSeq = datatype("NumberSequence", {}, {
  __tostring = function(a)
    local parts = {}
    for i, k in ipairs(a.Keypoints) do parts[i] = tostring(k) end
    return table.concat(parts)
  end,
})
G.NumberSequence = { new = function(a, b)
  local kps
  if type(a) == "number" then
    kps = { G.NumberSequenceKeypoint.new(0, a), G.NumberSequenceKeypoint.new(1, b or a) }
  elseif type(a) == "table" then
    kps = {}
    for i, k in ipairs(a) do kps[i] = k end
    seqCheck(kps, "NumberSequence.new")
  else
    error("NumberSequence.new: invalid arguments", 2)
  end
  return mkNSeq({ Keypoints = kps })
end }
local mkCKey = datatype("ColorSequenceKeypoint", {}, {
  __tostring = function(a) return fmtNum(a.Time) .. " " .. tostring(a.Value) .. " " end,
})
G.ColorSequenceKeypoint = { new = function(t, c)
  return mkCKey({ Time = argNum(t, 1, "new"), Value = c })
end }
local mkCSeq = datatype("ColorSequence", {}, {
  __tostring = function(a)
    local parts = {}
    for i, k in ipairs(a.Keypoints) do parts[i] = tostring(k) end
    return table.concat(parts)
  end,
})
G.ColorSequence = { new = function(a, b)
  local kps
  if type(a) == "table" and not isType(a, "Color3") then
    kps = {}
    for i, k in ipairs(a) do kps[i] = k end
    seqCheck(kps, "ColorSequence.new")
  else
    kps = { G.ColorSequenceKeypoint.new(0, a), G.ColorSequenceKeypoint.new(1, b or a) }
  end
  return mkCSeq({ Keypoints = kps })
end }

-- TweenInfo (the enums come from the facts, resolved on use)
local mkTween = datatype("TweenInfo", {}, {
  __tostring = function(a)
    return sformat("Time:%s DelayTime:%s RepeatCount:%s Reverses:%s EasingDirection:%s EasingStyle:%s",
      fmtNum(a.Time), fmtNum(a.DelayTime), fmtNum(a.RepeatCount), a.Reverses and "True" or "False",
      a.EasingDirection.Name, a.EasingStyle.Name)
  end,
})
G.TweenInfo = { new = function(time, style, dir, count, reverses, delay)
  return mkTween({ Time = argNum(time, 1, "new", 1), EasingStyle = style or G.Enum.EasingStyle.Quad,
                   EasingDirection = dir or G.Enum.EasingDirection.Out,
                   RepeatCount = argNum(count, 4, "new", 0), Reverses = reverses == true,
                   DelayTime = argNum(delay, 6, "new", 0) })
end }

-- Ray
local mkRay
mkRay = datatype("Ray", {
  ClosestPoint = function(r, p)
    local d = r.Direction.Unit
    local t = math.max(0, (p - r.Origin):Dot(d))
    return r.Origin + d * t
  end,
  Distance = function(r, p) return (p - r:ClosestPoint(p)).Magnitude end,
}, {
  get = function(f, k)
    if k == "Unit" then return mkRay({ Origin = f.Origin, Direction = f.Direction.Unit }) end
  end,
  __tostring = function(a) return "{" .. tostring(a.Origin) .. "}, {" .. tostring(a.Direction) .. "}" end,
})
G.Ray = { new = function(o, d)
  return mkRay({ Origin = o or Vector3.new(0, 0, 0), Direction = d or Vector3.new(0, 0, 0) })
end }

-- Random: deterministic per seed (not Roblox's PCG sequence: the same seed gives the same
-- numbers here, not the numbers Roblox gives).
do
  local bit = require("bit")
  local mkRandom
  -- xorshift on two 32-bit halves: exact integer arithmetic through LuaJIT's bit library
  local function mix(st)
    local a, b = st.a, st.b
    local t = bit.bxor(a, bit.lshift(a, 11))
    a = b
    b = bit.bxor(bit.bxor(b, bit.rshift(b, 19)), bit.bxor(t, bit.rshift(t, 8)))
    st.a, st.b = a, b
    return (b % 4294967296) / 4294967296
  end
  local function seeded(seed)
    local s = math.floor(seed) % 4294967296
    local st = { a = bit.bxor(s, 0x6b43a9b5), b = bit.bxor(math.floor(seed / 4294967296) % 4294967296, 0x2545f491) }
    if st.a == 0 and st.b == 0 then st.a = 1 end
    for _ = 1, 8 do mix(st) end
    return st
  end
  local methods = {
    NextNumber = function(r, lo, hi)
      local st = DTField[r].state
      local x = mix(st) + mix(st) / 4294967296
      lo, hi = lo or 0, hi or 1
      return lo + (hi - lo) * x
    end,
    NextInteger = function(r, lo, hi)
      lo, hi = argNum(lo, 1, "NextInteger"), argNum(hi, 2, "NextInteger")
      if hi < lo then error("invalid argument #2 to 'NextInteger' (interval is empty)", 2) end
      local st = DTField[r].state
      return lo + math.floor((mix(st) + mix(st) / 4294967296) * (hi - lo + 1))
    end,
    NextUnitVector = function(r)
      local st = DTField[r].state
      local z = 2 * mix(st) - 1
      local t = 2 * math.pi * mix(st)
      local s = math.sqrt(1 - z * z)
      return Vector3.new(s * math.cos(t), s * math.sin(t), z)
    end,
    Shuffle = function(r, t)
      for i = #t, 2, -1 do
        local j = r:NextInteger(1, i)
        t[i], t[j] = t[j], t[i]
      end
    end,
    Clone = function(r)
      local st = DTField[r].state
      return mkRandom({ state = { a = st.a, b = st.b } })
    end,
  }
  mkRandom = datatype("Random", methods, {
    __tostring = function() return "Random" end,
    __eq = function(a, b) return rawequal(a, b) end,
  })
  G.Random = { new = function(seed)
    if seed == nil then seed = os.time() * 1000 + math.floor((H.clock() % 1) * 1000) end
    return mkRandom({ state = seeded(argNum(seed, 1, "new")) })
  end }
end

-- DateTime (UTC; local time is the machine's)
do
  local mkDT
  local function fromMillis(ms) return mkDT({ UnixTimestampMillis = ms, UnixTimestamp = math.floor(ms / 1000) }) end
  local function parts(ms, utc)
    local t = os.date(utc and "!*t" or "*t", math.floor(ms / 1000))
    return { Year = t.year, Month = t.month, Day = t.day, Hour = t.hour, Minute = t.min,
             Second = t.sec, Millisecond = ms % 1000 }
  end
  mkDT = datatype("DateTime", {
    ToUniversalTime = function(d) return parts(d.UnixTimestampMillis, true) end,
    ToLocalTime = function(d) return parts(d.UnixTimestampMillis, false) end,
    ToIsoDate = function(d)
      local p = parts(d.UnixTimestampMillis, true)
      return sformat("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", p.Year, p.Month, p.Day, p.Hour,
                     p.Minute, p.Second, p.Millisecond)
    end,
  }, {
    __tostring = function(d) return d:ToIsoDate() end,
    __lt = function(a, b) return a.UnixTimestampMillis < b.UnixTimestampMillis end,
    __le = function(a, b) return a.UnixTimestampMillis <= b.UnixTimestampMillis end,
  })
  -- days from civil (Howard Hinnant's algorithm), so UTC needs no timegm
  local function daysFromCivil(y, m, d)
    y = m <= 2 and y - 1 or y
    local era = math.floor(y / 400)
    local yoe = y - era * 400
    local doy = math.floor((153 * (m + (m > 2 and -3 or 9)) + 2) / 5) + d - 1
    local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
    return era * 146097 + doe - 719468
  end
  G.DateTime = {
    now = function() return fromMillis(math.floor((os.time() + (H.clock() % 1)) * 1000)) end,
    fromUnixTimestamp = function(s) return fromMillis(math.floor(argNum(s, 1, "fromUnixTimestamp") * 1000)) end,
    fromUnixTimestampMillis = function(ms) return fromMillis(math.floor(argNum(ms, 1, "fromUnixTimestampMillis"))) end,
    fromUniversalTime = function(y, mo, d, h, mi, s, ms)
      local days = daysFromCivil(y or 1970, mo or 1, d or 1)
      return fromMillis((((days * 24 + (h or 0)) * 60 + (mi or 0)) * 60 + (s or 0)) * 1000 + (ms or 0))
    end,
    fromIsoDate = function(str)
      local y, mo, d, h, mi, s = tostring(str):match("^(%d+)-(%d+)-(%d+)T(%d+):(%d+):(%d+)")
      if not y then return nil end
      local ms = tonumber(tostring(str):match("%.(%d%d?%d?)")) or 0
      return G.DateTime.fromUniversalTime(tonumber(y), tonumber(mo), tonumber(d), tonumber(h),
                                          tonumber(mi), tonumber(s), ms)
    end,
  }
end

-- ---------------------------------------------------------------------------------------
-- Roblox's facts (src/lua/facts.c, generated from the API dump by scripts/gen_roblox_facts.py):
-- Enum with every enum and item, GetService of every service, Instance.new of every
-- creatable class. A class this file does not define in full gets its properties from the
-- facts with type-zero defaults (0, "", false, the enum's first item): present, inert.
-- ---------------------------------------------------------------------------------------
local enumLines, classLines -- name -> rest of its line, parsed on first use
local function factIndex(kind)
  local idx = {}
  for name, rest in H.facts(kind):gmatch("([^\t\n]+)\t([^\n]*)\n") do idx[name] = rest end
  return idx
end

local enumTypes = {}
local enumItemState, enumTypeState = {}, {} -- permanent: enums never go away
local EnumItemMt = { __metatable = "EnumItem" }
local EnumTypeMt = { __metatable = "Enum" }
local EnumsMt = { __metatable = "Enums" }

local function enumType(name)
  local e = enumTypes[name]
  if e then return e end
  enumLines = enumLines or factIndex("enums")
  local line = enumLines[name]
  if not line then return nil end
  e = newproxy(true)
  local mt = getmetatable(e)
  local st = { name = name, items = {}, byName = {}, byValue = {} }
  enumTypeState[e] = st
  for iname, v in line:gmatch("([^=,]+)=(%-?%d+)") do
    local item = newproxy(true)
    local imt = getmetatable(item)
    local ist = { Name = iname, Value = tonumber(v), EnumType = e }
    enumItemState[item] = ist
    imt.__index = function(_, k)
      if k == "Name" or k == "Value" or k == "EnumType" then return ist[k] end
      if k == "IsA" then return function(_, n) return n == name end end
      error(sformat("%s is not a valid member of \"Enum.%s.%s\"", tostring(k), name, iname), 2)
    end
    imt.__newindex = function(_, k) error(sformat("%s cannot be assigned to", tostring(k)), 2) end
    imt.__tostring = function() return "Enum." .. name .. "." .. iname end
    imt.__metatable = "EnumItem"
    st.items[#st.items + 1] = item
    st.byName[iname] = item
    if st.byValue[ist.Value] == nil then st.byValue[ist.Value] = item end
  end
  local methods = {
    GetEnumItems = function() local out = {} for i, it in ipairs(st.items) do out[i] = it end return out end,
    FromName = function(_, n) return st.byName[n] end,
    FromValue = function(_, v) return st.byValue[v] end,
  }
  mt.__index = function(_, k)
    local it = st.byName[k]
    if it then return it end
    if methods[k] then return methods[k] end
    error(sformat("%s is not a valid member of \"Enum.%s\"", tostring(k), name), 2)
  end
  mt.__newindex = function(_, k) error(sformat("%s cannot be assigned to", tostring(k)), 2) end
  mt.__tostring = function() return name end
  mt.__metatable = "Enum"
  enumTypes[name] = e
  return e
end

do
  local E = newproxy(true)
  local mt = getmetatable(E)
  mt.__index = function(_, k)
    if k == "GetEnums" then
      return function()
        enumLines = enumLines or factIndex("enums")
        local names = {}
        for n in pairs(enumLines) do names[#names + 1] = n end
        tsort(names)
        local out = {}
        for i, n in ipairs(names) do out[i] = enumType(n) end
        return out
      end
    end
    local e = enumType(k)
    if e then return e end
    error(sformat("%s is not a valid member of \"Enum\"", tostring(k)), 2)
  end
  mt.__newindex = function(_, k) error(sformat("%s cannot be assigned to", tostring(k)), 2) end
  mt.__tostring = function() return "Enum" end
  mt.__metatable = "Enums"
  G.Enum = E
end

local function enumCheck(ename)
  return function(v)
    local ist = enumItemState[v]
    if ist then
      if enumTypeState[ist.EnumType].name == ename then return true, v end
      return false, "Enum." .. ename
    end
    local e = enumType(ename)
    if type(v) == "number" and e then
      local it = enumTypeState[e].byValue[v]
      if it then return true, it end
    elseif type(v) == "string" and e then
      local it = enumTypeState[e].byName[v]
      if it then return true, it end
    end
    return false, "Enum." .. ename
  end
end

-- a property from its facts type code: check and type-zero default
local function factProp(code, readonly)
  local p = { readonly = readonly or nil }
  if code == "n" then p.default, p.check = 0, numCheck
  elseif code == "s" then p.default, p.check = "", strCheck
  elseif code == "b" then p.default, p.check = false, boolCheck
  elseif code == "V3" then p.default, p.check = Vector3.new(0, 0, 0), typedCheck("Vector3")
  elseif code == "CF" then p.default, p.check = CFrame.new(), typedCheck("CFrame")
  elseif code == "C3" then p.default, p.check = Color3.new(0, 0, 0), typedCheck("Color3")
  elseif code == "I" then p.default, p.check = nil, instCheck
  elseif code:sub(1, 2) == "E." then
    local ename = code:sub(3)
    local e = enumType(ename)
    p.default = e and (enumTypeState[e].byValue[0] or enumTypeState[e].items[1]) or nil
    p.check = enumCheck(ename)
  elseif code == "V2" then p.default, p.check = V2.zero, typedCheck("Vector2")
  elseif code == "U" then p.default, p.check = G.UDim.new(0, 0), typedCheck("UDim")
  elseif code == "U2" then p.default, p.check = G.UDim2.new(0, 0, 0, 0), typedCheck("UDim2")
  else
    return nil
  end
  return p
end

local classFacts = {} -- name -> { super, flags, props } once parsed
local function factsOf(name)
  local f = classFacts[name]
  if f ~= nil then return f or nil end
  classLines = classLines or factIndex("classes")
  local line = classLines[name]
  if not line then classFacts[name] = false return nil end
  local super, flags, props = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
  f = { super = super, creatable = flags:find("c", 1, true) ~= nil,
        service = flags:find("s", 1, true) ~= nil, props = props }
  classFacts[name] = f
  return f
end

-- Defines `name` (and its superclasses) from the facts when this file does not, and gives a
-- class this file defines the facts' properties it lacks. Returns the class or nil.
local function ensureClass(name)
  local cls = classes[name]
  if cls and cls.factsMerged then return cls end
  local f = factsOf(name)
  if not f then return cls end
  if f.super ~= "" and f.super ~= "RBXObject" and f.super ~= "Instance" then ensureClass(f.super) end
  if not cls then
    if not classes[f.super] then return nil end
    cls = defclass(name, f.super, { creatable = f.creatable })
  end
  cls.factsMerged = true
  for item in f.props:gmatch("[^,]+") do
    local ro, pname, code = item:match("^(%-?)([^:]+):(.+)$")
    if pname and lookup(cls, "props", pname) == nil and lookup(cls, "methods", pname) == nil then
      cls.props[pname] = factProp(code, ro == "-") -- nil for a type this host has not
    end
  end
  return cls
end

-- ---------------------------------------------------------------------------------------
-- Services with behaviour: HttpService (JSON, GUIDs; no network), CollectionService (tags;
-- they do not replicate), Debris, TweenService (server and client, property changes over
-- frames). Their other members come from the facts (inert).
-- ---------------------------------------------------------------------------------------
do
  -- HttpService: Roblox's JSON rules
  local function jsonString(str)
    return '"' .. str:gsub('[%c"\\]', function(c)
      local map = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
                    ["\b"] = "\\b", ["\f"] = "\\f" }
      return map[c] or sformat("\\u%04x", c:byte())
    end) .. '"'
  end
  local function encode(v, seen, out)
    local t = type(v)
    if v == nil then out[#out + 1] = "null"
    elseif t == "boolean" then out[#out + 1] = tostring(v)
    elseif t == "number" then
      if v ~= v then out[#out + 1] = "NaN"
      elseif v == math.huge then out[#out + 1] = "inf"
      elseif v == -math.huge then out[#out + 1] = "-inf"
      elseif v == math.floor(v) and math.abs(v) < 2 ^ 53 then out[#out + 1] = sformat("%d", v)
      else out[#out + 1] = sformat("%.17g", v) end
    elseif t == "string" then out[#out + 1] = jsonString(v)
    elseif t == "table" then
      if seen[v] then error("Tables with cycles cannot be converted to JSON", 0) end
      seen[v] = true
      local n = #v
      local count = 0
      for _ in pairs(v) do count = count + 1 end
      if count == n and (n > 0 or next(v) == nil) then
        out[#out + 1] = "["
        for i = 1, n do
          if i > 1 then out[#out + 1] = "," end
          encode(v[i], seen, out)
        end
        out[#out + 1] = "]"
      else
        out[#out + 1] = "{"
        local first = true
        for k, x in pairs(v) do
          if type(k) ~= "string" and type(k) ~= "number" then
            error("Cannot convert a table with " .. type(k) .. " keys to JSON", 0)
          end
          if not first then out[#out + 1] = "," end
          first = false
          out[#out + 1] = jsonString(tostring(k))
          out[#out + 1] = ":"
          encode(x, seen, out)
        end
        out[#out + 1] = "}"
      end
      seen[v] = nil
    else
      out[#out + 1] = "null" -- functions, userdata: as Roblox, they encode as null
    end
  end
  local function noHttp() error("Http requests are not enabled. Enable via game settings", 3) end
  -- HttpService is one of the services made at start: its class gets these members
  local function extend(name, def)
    local wrapped = defclass(name .. "$", "Instance", def)
    local cls = classes[name]
    classes[name .. "$"] = nil
    for k, v in pairs(wrapped.props) do cls.props[k] = v end
    for k, v in pairs(wrapped.methods) do cls.methods[k] = v end
  end
  extend("HttpService", {
    props = { HttpEnabled = { default = false, check = boolCheck } },
    methods = {
      JSONEncode = function(_, v)
        local out = {}
        local ok, err = pcall(encode, v, {}, out)
        if not ok then error("Can't convert to JSON: " .. tostring(err), 2) end
        return table.concat(out)
      end,
      JSONDecode = function(_, text)
        if type(text) ~= "string" then error("Can't parse JSON", 2) end
        local v, err = H.json_decode(text)
        if err then error("Can't parse JSON: " .. tostring(err), 2) end
        return v
      end,
      GenerateGUID = function(_, braces)
        local r = G.Random.new()
        local hex = {}
        for i = 1, 32 do hex[i] = sformat("%X", r:NextInteger(0, 15)) end
        hex[13] = "4"
        hex[17] = sformat("%X", 8 + r:NextInteger(0, 3))
        local g = table.concat(hex, "", 1, 8) .. "-" .. table.concat(hex, "", 9, 12) .. "-" ..
                  table.concat(hex, "", 13, 16) .. "-" .. table.concat(hex, "", 17, 20) .. "-" ..
                  table.concat(hex, "", 21, 32)
        if braces == false then return g end
        return "{" .. g .. "}"
      end,
      UrlEncode = function(_, str)
        return (tostring(str):gsub("[^%w%-_%.~]", function(c) return sformat("%%%02X", c:byte()) end))
      end,
      GetAsync = noHttp, PostAsync = noHttp, RequestAsync = noHttp,
    },
  })

  -- CollectionService and the Instance tag methods
  local tagged = {} -- tag -> { [inst] = true } (weak keys)
  local tagsOf = setmetatable({}, { __mode = "k" }) -- inst -> { tag = true }
  local tagSignals = {} -- "added:tag" / "removed:tag" -> signal
  local function tagSignal(kind, tag)
    local key = kind .. ":" .. tag
    tagSignals[key] = tagSignals[key] or newSignal(key)
    return tagSignals[key]
  end
  local function addTag(inst, tag)
    tag = tostring(tag)
    local set = tagsOf[inst] or {}
    tagsOf[inst] = set
    if set[tag] then return end
    set[tag] = true
    tagged[tag] = tagged[tag] or setmetatable({}, { __mode = "k" })
    tagged[tag][inst] = true
    fireSignal(tagSignal("added", tag), inst)
  end
  local function removeTag(inst, tag)
    tag = tostring(tag)
    local set = tagsOf[inst]
    if not set or not set[tag] then return end
    set[tag] = nil
    if tagged[tag] then tagged[tag][inst] = nil end
    fireSignal(tagSignal("removed", tag), inst)
  end
  local function getTags(inst)
    local out = {}
    for tag in pairs(tagsOf[inst] or {}) do out[#out + 1] = tag end
    tsort(out)
    return out
  end
  local im = classes.Instance.methods
  im.AddTag = function(self, tag) addTag(self, tag) end
  im.RemoveTag = function(self, tag) removeTag(self, tag) end
  im.HasTag = function(self, tag) return (tagsOf[self] or {})[tostring(tag)] == true end
  im.GetTags = function(self) return getTags(self) end
  defclass("CollectionService", "Instance", {
    methods = {
      AddTag = function(_, inst, tag) addTag(inst, tag) end,
      RemoveTag = function(_, inst, tag) removeTag(inst, tag) end,
      HasTag = function(_, inst, tag) return (tagsOf[inst] or {})[tostring(tag)] == true end,
      GetTags = function(_, inst) return getTags(inst) end,
      GetTagged = function(_, tag)
        local out = {}
        for inst in pairs(tagged[tostring(tag)] or {}) do
          local d = Inst[inst]
          if d and not d.destroyed then out[#out + 1] = inst end
        end
        return out
      end,
      GetAllTags = function()
        local out = {}
        for tag, set in pairs(tagged) do if next(set) then out[#out + 1] = tag end end
        tsort(out)
        return out
      end,
      GetInstanceAddedSignal = function(_, tag) return tagSignal("added", tostring(tag)) end,
      GetInstanceRemovedSignal = function(_, tag) return tagSignal("removed", tostring(tag)) end,
    },
  })

  -- Debris
  defclass("Debris", "Instance", {
    props = { MaxItems = { default = 1000, check = numCheck } },
    methods = {
      AddItem = function(_, inst, lifetime)
        H.task_delay(type(lifetime) == "number" and lifetime or 10, function()
          local d = Inst[inst]
          if d and not d.destroyed then inst:Destroy() end
        end)
      end,
    },
  })

  -- TweenService: Roblox's easing styles over frames; each step is a property set, so it
  -- replicates as any set does (a Value object's Value, say)
  local pi, sin, cos, sqrt = math.pi, math.sin, math.cos, math.sqrt
  local easeIn = {
    Linear = function(t) return t end,
    Sine = function(t) return 1 - cos(t * pi / 2) end,
    Quad = function(t) return t * t end,
    Cubic = function(t) return t * t * t end,
    Quart = function(t) return t ^ 4 end,
    Quint = function(t) return t ^ 5 end,
    Exponential = function(t) return t == 0 and 0 or 2 ^ (10 * t - 10) end,
    Circular = function(t) return 1 - sqrt(1 - t * t) end,
    Back = function(t) return 2.70158 * t ^ 3 - 1.70158 * t * t end,
    Elastic = function(t)
      if t == 0 or t == 1 then return t end
      return -(2 ^ (10 * t - 10)) * sin((t * 10 - 10.75) * (2 * pi) / 3)
    end,
    Bounce = function(t)
      local function out(x)
        if x < 1 / 2.75 then return 7.5625 * x * x end
        if x < 2 / 2.75 then x = x - 1.5 / 2.75 return 7.5625 * x * x + 0.75 end
        if x < 2.5 / 2.75 then x = x - 2.25 / 2.75 return 7.5625 * x * x + 0.9375 end
        x = x - 2.625 / 2.75
        return 7.5625 * x * x + 0.984375
      end
      return 1 - out(1 - t)
    end,
  }
  local function ease(style, dir, t)
    local f = easeIn[style] or easeIn.Quad
    if dir == "In" then return f(t) end
    if dir == "Out" then return 1 - f(1 - t) end
    if t < 0.5 then return f(2 * t) / 2 end
    return 1 - f(2 - 2 * t) / 2
  end
  local function lerp(a, b, t)
    local ta = typeof(a)
    if ta == "number" then return a + (b - a) * t end
    if ta == "Vector3" or ta == "Color3" or ta == "CFrame" or ta == "UDim2" or ta == "Vector2" then
      if a.Lerp then return a:Lerp(b, t) end
    end
    if ta == "UDim" then return G.UDim.new(a.Scale + (b.Scale - a.Scale) * t, a.Offset + (b.Offset - a.Offset) * t) end
    return t < 1 and a or b
  end
  local tweenState = setmetatable({}, { __mode = "k" })
  local function makeTween(inst, info, goals)
    local tw, d = newInstance("Tween", true)
    d.Name = "Tween"
    local st = { inst = inst, info = info, goals = goals, state = "Begin", gen = 0 }
    tweenState[tw] = st
    d.props.PlaybackState = G.Enum.PlaybackState.Begin
    return tw
  end
  local function setState(tw, name)
    tweenState[tw].state = name
    Inst[tw].props.PlaybackState = G.Enum.PlaybackState[name]
  end
  defclass("TweenBase", "Instance", {
    props = { PlaybackState = { default = nil, readonly = true } },
    events = { Completed = true },
  })
  defclass("Tween", "TweenBase", {
    methods = {
      Play = function(self)
        local st = tweenState[self]
        if st.state == "Playing" then return end
        st.gen = st.gen + 1
        local gen = st.gen
        setState(self, "Playing")
        local info = st.info
        local from = {}
        for prop in pairs(st.goals) do from[prop] = st.inst[prop] end
        H.task_spawn(function()
          if info.DelayTime > 0 then H.task_wait(info.DelayTime) end
          local rounds = info.RepeatCount < 0 and math.huge or info.RepeatCount + 1
          local round = 0
          while round < rounds do
            local forward = true
            for leg = 1, info.Reverses and 2 or 1 do
              local start = H.clock()
              repeat
                if st.gen ~= gen or st.state ~= "Playing" then return end
                local t = info.Time > 0 and math.min(1, (H.clock() - start) / info.Time) or 1
                local a = ease(info.EasingStyle.Name, info.EasingDirection.Name, forward and t or 1 - t)
                for prop, goal in pairs(st.goals) do st.inst[prop] = lerp(from[prop], goal, a) end
                if t < 1 then H.task_wait() end
              until t >= 1
              forward = not forward
            end
            round = round + 1
          end
          if st.gen == gen then
            setState(self, "Completed")
            fireSignal(getSignal(Inst[self], "Completed"), G.Enum.PlaybackState.Completed)
          end
        end)
      end,
      Pause = function(self) if tweenState[self].state == "Playing" then setState(self, "Paused") end end,
      Cancel = function(self)
        local st = tweenState[self]
        st.gen = st.gen + 1
        setState(self, "Cancelled")
        fireSignal(getSignal(Inst[self], "Completed"), G.Enum.PlaybackState.Cancelled)
      end,
    },
  })
  defclass("TweenService", "Instance", {
    methods = {
      Create = function(_, inst, info, goals)
        if not Inst[inst] then error("TweenService:Create: Instance expected", 2) end
        if typeof(info) ~= "TweenInfo" then error("TweenService:Create: TweenInfo expected", 2) end
        if type(goals) ~= "table" then error("TweenService:Create: table of goals expected", 2) end
        for prop in pairs(goals) do local _ = inst[prop] end -- unknown properties fail here
        return makeTween(inst, info, goals)
      end,
      GetValue = function(_, alpha, style, dir) return ease(style.Name, dir.Name, alpha) end,
    },
  })
end

do
  local getService = classes.DataModel.methods.GetService
  classes.DataModel.methods.GetService = function(self, name)
    if services[name] == nil and type(name) == "string" then
      local f = factsOf(name)
      if f and f.service and ensureClass(name) then
        services[name] = (makeService(name, game))
      end
    end
    return getService(self, name)
  end
end
-- the classes this file defines (the services made at start, Part...) get the facts'
-- properties they lack on first use of one, as facts-only classes have them from the start
lateFacts = ensureClass

-- ---------------------------------------------------------------------------------------
-- Globals
-- ---------------------------------------------------------------------------------------
G.Instance = {
  new = function(className, parent)
    if type(className) == "string" then ensureClass(className) end
    local inst = newInstance(className)
    if parent ~= nil then inst.Parent = parent end
    return inst
  end,
}

G.task = {
  wait = H.task_wait, spawn = H.task_spawn, defer = H.task_defer, delay = H.task_delay,
  cancel = H.task_cancel,
  synchronize = function() end, desynchronize = function() end,
}
G.wait = H.wait
G.delay = H.task_delay
G.spawn = H.legacy_spawn
G.time = H.clock
G.elapsedTime = H.clock
G.shared = {}
G.warn = H.warn
G.print = H.print

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
    local ofmt, tostr, sfind, ssub = string.format, G.tostring, string.find, string.sub
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
        local s, e, spec = sfind(fmt, "%%[-+ #0]*%d*%.?%d*(.)", pos)
        if not s then break end
        if spec ~= "%" then
          argi = argi + 1
          if spec == "s" or spec == "*" then
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
  G.getmetatable = function(v)
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
    function table.insert(t, ...)
      checkwrite(t, 2)
      local n = select("#", ...)
      if n ~= 1 and n ~= 2 then error("wrong number of arguments to 'insert'", 2) end
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
    for i = init, #t do if rawequal(rawget(t, i), v) then return i end end
    return nil
  end
  function table.clear(t)
    checktable(t, "clear")
    checkwrite(t, 2)
    for k in next, t do rawset(t, k, nil) end
  end
  function table.create(n, v)
    if rawtype(n) ~= "number" or n < 0 then error("invalid argument #1 to 'create' (size out of range)", 2) end
    local t = {}
    for i = 1, n do t[i] = v end
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

  do
    -- utf8 (Lua 5.3's, as Luau has it), for UTF-8 strings in a byte-string Lua.
    -- Lua 5.1 patterns cannot hold a NUL byte: %z stands for it.
    local u8 = { charpattern = "[%z\1-\x7F\xC2-\xFD][\x80-\xBF]*" }
    local function enc(c)
      if c < 0 or c > 0x10FFFF then error("value out of range", 3) end
      if c < 0x80 then return string.char(c) end
      if c < 0x800 then return string.char(0xC0 + math.floor(c / 64), 0x80 + c % 64) end
      if c < 0x10000 then
        return string.char(0xE0 + math.floor(c / 4096), 0x80 + math.floor(c / 64) % 64, 0x80 + c % 64)
      end
      return string.char(0xF0 + math.floor(c / 262144), 0x80 + math.floor(c / 4096) % 64,
        0x80 + math.floor(c / 64) % 64, 0x80 + c % 64)
    end
    function u8.char(...)
      local out = {}
      for i = 1, select("#", ...) do out[i] = enc(select(i, ...)) end
      return table.concat(out)
    end
    -- Decodes the character at byte i: code point and the byte after it, or nil if invalid.
    local function dec(s, i)
      local c = s:byte(i)
      if not c then return nil end
      if c < 0x80 then return c, i + 1 end
      local n, cp
      if c >= 0xF0 and c < 0xF8 then n, cp = 3, c - 0xF0
      elseif c >= 0xE0 then n, cp = 2, c - 0xE0
      elseif c >= 0xC2 and c < 0xE0 then n, cp = 1, c - 0xC0
      else return nil end
      for k = 1, n do
        local cc = s:byte(i + k)
        if not cc or cc < 0x80 or cc > 0xBF then return nil end
        cp = cp * 64 + (cc - 0x80)
      end
      return cp, i + n + 1
    end
    function u8.codepoint(s, i, j)
      i = i or 1
      j = j or i
      if i < 0 then i = #s + i + 1 end
      if j < 0 then j = #s + j + 1 end
      local out, p = {}, i
      while p <= j do
        local cp, nxt = dec(s, p)
        if not cp then error("invalid UTF-8 code", 2) end
        out[#out + 1] = cp
        p = nxt
      end
      return unpack(out)
    end
    function u8.len(s, i, j)
      i = i or 1
      j = j or #s
      if i < 0 then i = #s + i + 1 end
      if j < 0 then j = #s + j + 1 end
      local n, p = 0, i
      while p <= j do
        local cp, nxt = dec(s, p)
        if not cp then return nil, p end
        n = n + 1
        p = nxt
      end
      return n
    end
    function u8.codes(s)
      local p = 1
      return function()
        if p > #s then return nil end
        local cp, nxt = dec(s, p)
        if not cp then error("invalid UTF-8 code", 2) end
        local at = p
        p = nxt
        return at, cp
      end
    end
    function u8.offset(s, n, i)
      i = i or (n >= 0 and 1 or #s + 1)
      local function cont(p) local c = s:byte(p); return c and c >= 0x80 and c < 0xC0 end
      if n > 0 then
        local p = i
        for _ = 1, n - 1 do
          p = p + 1
          while cont(p) do p = p + 1 end
          if p > #s + 1 then return nil end
        end
        return p
      elseif n < 0 then
        local p = i
        for _ = 1, -n do
          p = p - 1
          while p > 0 and cont(p) do p = p - 1 end
          if p < 1 then return nil end
        end
        return p
      end
      local p = i
      while p > 1 and cont(p) do p = p - 1 end
      return p
    end
    G.utf8 = u8
  end
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

-- ---------------------------------------------------------------------------------------
-- require (once per side per ModuleScript, same value to every caller)
-- ---------------------------------------------------------------------------------------
local makeEnv

G.require = function(m)
  local d = Inst[m]
  if not d or d.ClassName ~= "ModuleScript" then
    error("Attempted to call require with invalid argument(s).", 2)
  end
  if d.modState == "done" then return d.modValue end
  if d.modState == "error" then error("Requested module experienced an error while loading", 2) end
  if d.modState == "loading" then
    local co = coroutine.running()
    if co == d.modThread or not co then error("Requested module was required recursively", 2) end
    d.modWaiters = d.modWaiters or {}
    tinsert(d.modWaiters, { co, H.park(false) })
    coroutine.yield()
    if d.modState ~= "done" then error("Requested module experienced an error while loading", 2) end
    return d.modValue
  end
  d.modState = "loading"
  d.modThread = coroutine.running()
  local fn, err = compile(m, d)
  local r
  if fn then
    setfenv(fn, makeEnv(m))
    r = pack(pcall(fn))
    if not r[1] then err = r[2] end
  end
  local ws = d.modWaiters
  d.modWaiters = nil
  if err ~= nil then
    d.modState = "error"
    H.report_error(tostring(err))
    if ws then for _, w in ipairs(ws) do H.wake(w[1], w[2]) end end
    error("Requested module experienced an error while loading", 2)
  end
  if r.n ~= 2 then
    d.modState = "error"
    if ws then for _, w in ipairs(ws) do H.wake(w[1], w[2]) end end
    error("Module code did not return exactly one value", 2)
  end
  d.modState = "done"
  d.modValue = r[2]
  if ws then for _, w in ipairs(ws) do H.wake(w[1], w[2]) end end
  return d.modValue
end

makeEnv = function(scriptInst)
  return setmetatable({ script = scriptInst }, { __index = G })
end

local function runScript(inst)
  local d = Inst[inst]
  if d.props.Disabled then return end
  local fn, err = compile(inst, d)
  if not fn then
    H.report_error(err)
    return
  end
  setfenv(fn, makeEnv(inst))
  H.task_spawn(fn)
end

-- ---------------------------------------------------------------------------------------
-- Places: Rojo's file conventions, project files, single files
-- ---------------------------------------------------------------------------------------
local function places() -- (a function: the main chunk holds at most 200 locals, this one too)
local function basename(p) return (p:match("([^/]+)/*$")) or p end
local function dirname(p) return p:match("^(.*)/[^/]*$") or "." end
local function joinPath(a, b) if a == "" then return b end return a .. "/" .. b end

local function classify(name)
  local stem
  stem = name:match("^(.+)%.server%.luau?$"); if stem then return "Script", stem end
  stem = name:match("^(.+)%.client%.luau?$"); if stem then return "LocalScript", stem end
  stem = name:match("^(.+)%.model%.json$"); if stem then return "model", stem end
  stem = name:match("^(.+)%.meta%.json$"); if stem then return "meta", stem end
  stem = name:match("^(.+)%.project%.json$"); if stem then return "project", stem end
  stem = name:match("^(.+)%.luau?$"); if stem then return "ModuleScript", stem end
  stem = name:match("^(.+)%.json$"); if stem then return "json", stem end
  stem = name:match("^(.+)%.txt$"); if stem then return "txt", stem end
  stem = name:match("^(.+)%.csv$"); if stem then return "csv", stem end
  stem = name:match("^(.+)%.rbxmx$"); if stem then return "rbxmx", stem end
  return nil, name
end

local LoadError = {}
local function loadFail(msg) error(setmetatable({ msg = msg }, LoadError), 0) end
-- Load warnings show once: on the server, which loads every part of a place.
local function loadWarn(msg) if IS_SERVER then warn(msg) end end

local function readFile(path)
  local s, err = H.read_file(path)
  if not s then loadFail(err) end
  return s
end

local function decodeJson(path, display)
  local v, err = H.json_decode(readFile(path))
  if err then loadFail(display .. ": " .. err) end
  return v
end

local function makeScript(class, name, path, display)
  local inst, d = newInstance(class, true)
  d.Name = name
  d.props.Source = readFile(path)
  return inst
end

-- A class by name for the loader: this file's, or one the facts define (made on first use).
local function loadClass(cls, display)
  if type(cls) ~= "string" or cls == "DataModel" or not ensureClass(cls) then
    loadFail(sformat("%s: unknown class \"%s\"", display, tostring(cls)))
  end
  return cls
end

-- Properties the facts' API dump leaves out (security-tagged or hidden) that Rojo projects set
-- (roblox-ts's template sets HttpEnabled and FilteringEnabled): present, inert.
classes.HttpService.props.HttpEnabled = { default = false, check = boolCheck }
classes.Workspace.props.FilteringEnabled = { default = true, check = boolCheck }

-- ---- Rojo's property values: the explicit form {"Vector3": [1, 2, 3]} (and the older
-- {"Type": "Vector3", "Value": [...]}) and the implicit one, resolved by the property's type
-- (from the facts, else from the host's own definition).
local function isNums(v, n)
  if type(v) ~= "table" or #v ~= n then return false end
  for i = 1, n do if type(v[i]) ~= "number" then return false end end
  return true
end
local function pairOfPairs(v) return type(v) == "table" and #v == 2 and isNums(v[1], 2) and isNums(v[2], 2) end

local function want(ok, what) if not ok then error(what, 0) end end
local function cframeOf(x)
  if isNums(x, 12) then return CFrame.new(unpack(x, 1, 12)) end
  want(type(x) == "table", "CFrame expects {\"position\": [x, y, z], \"orientation\": [[...], [...], [...]]}")
  local p, o = x.position or x.Position or { 0, 0, 0 }, x.orientation or x.Orientation
  want(isNums(p, 3), "CFrame position expects 3 numbers")
  if o == nil then return CFrame.new(p[1], p[2], p[3]) end
  want(type(o) == "table" and isNums(o[1], 3) and isNums(o[2], 3) and isNums(o[3], 3),
       "CFrame orientation expects 3 rows of 3 numbers")
  return CFrame.new(p[1], p[2], p[3], o[1][1], o[1][2], o[1][3], o[2][1], o[2][2], o[2][3],
                    o[3][1], o[3][2], o[3][3])
end
local function typed(tname) return function(x) want(type(x) == tname, tname .. " expected") return x end end
local function vec(n, make, what)
  return function(x) want(isNums(x, n), sformat("%s expects %d numbers", what, n)) return make(unpack(x, 1, n)) end
end
local EXPLICIT = {
  Bool = typed("boolean"), String = typed("string"), Content = typed("string"),
  ContentId = typed("string"), ProtectedString = typed("string"), BinaryString = typed("string"),
  Float32 = typed("number"), Float64 = typed("number"), Int32 = typed("number"), Int64 = typed("number"),
  Enum = typed("number"), -- the property's check turns the value into its EnumItem
  Vector2 = vec(2, function(...) return G.Vector2.new(...) end, "Vector2"),
  Vector2int16 = vec(2, function(...) return G.Vector2.new(...) end, "Vector2int16"),
  Vector3 = vec(3, function(...) return Vector3.new(...) end, "Vector3"),
  Vector3int16 = vec(3, function(...) return Vector3.new(...) end, "Vector3int16"),
  Color3 = vec(3, function(...) return Color3.new(...) end, "Color3"),
  Color3uint8 = vec(3, function(...) return Color3.fromRGB(...) end, "Color3uint8"),
  UDim = vec(2, function(...) return G.UDim.new(...) end, "UDim"),
  NumberRange = vec(2, function(...) return G.NumberRange.new(...) end, "NumberRange"),
  UDim2 = function(x)
    if isNums(x, 4) then return G.UDim2.new(unpack(x, 1, 4)) end
    want(pairOfPairs(x), "UDim2 expects [[xScale, xOffset], [yScale, yOffset]]")
    return G.UDim2.new(x[1][1], x[1][2], x[2][1], x[2][2])
  end,
  Rect = function(x)
    if isNums(x, 4) then return G.Rect.new(unpack(x, 1, 4)) end
    want(pairOfPairs(x), "Rect expects [[minX, minY], [maxX, maxY]]")
    return G.Rect.new(x[1][1], x[1][2], x[2][1], x[2][2])
  end,
  CFrame = cframeOf,
  NumberSequence = function(x)
    local kps = {}
    want(type(x) == "table" and type(x.keypoints) == "table", "NumberSequence expects {\"keypoints\": [...]}")
    for i, k in ipairs(x.keypoints) do
      want(type(k) == "table" and type(k.time) == "number" and type(k.value) == "number",
           "a NumberSequence keypoint expects time and value")
      kps[i] = G.NumberSequenceKeypoint.new(k.time, k.value, k.envelope or 0)
    end
    return G.NumberSequence.new(kps)
  end,
  ColorSequence = function(x)
    local kps = {}
    want(type(x) == "table" and type(x.keypoints) == "table", "ColorSequence expects {\"keypoints\": [...]}")
    for i, k in ipairs(x.keypoints) do
      want(type(k) == "table" and type(k.time) == "number" and isNums(k.color, 3),
           "a ColorSequence keypoint expects time and color")
      kps[i] = G.ColorSequenceKeypoint.new(k.time, Color3.new(k.color[1], k.color[2], k.color[3]))
    end
    return G.ColorSequence.new(kps)
  end,
}
local UNSUPPORTED = { Font = true, BrickColor = true, PhysicalProperties = true, Faces = true,
                      Axes = true, Ref = true, SharedString = true, MaterialColors = true,
                      OptionalCFrame = true, Region3 = true, Region3int16 = true, UniqueId = true,
                      SecurityCapabilities = true, Ray = true }

-- The implicit forms by the property's type: arrays of 2, 3, 4 or 12 numbers, [[s, o], [s, o]].
local IMPLICIT = {
  Vector2 = EXPLICIT.Vector2, Vector3 = EXPLICIT.Vector3, Color3 = EXPLICIT.Color3,
  UDim = EXPLICIT.UDim, UDim2 = EXPLICIT.UDim2, Rect = EXPLICIT.Rect, CFrame = EXPLICIT.CFrame,
  NumberRange = EXPLICIT.NumberRange,
}

-- The Lua value of a JSON property value for a property of type ptype (nil: not known).
-- Returns value, or nil and an error message; "unsupported" as a third value when this host
-- has no such type.
local function decodeValue(v, ptype)
  if type(v) ~= "table" then return v end
  local k, x = next(v)
  local tname
  if v[1] == nil and k ~= nil and next(v, k) == nil and type(k) == "string" and (EXPLICIT[k] or UNSUPPORTED[k]) then
    tname = k
  elseif type(v.Type) == "string" and v.Value ~= nil then -- Rojo 0.5's form
    tname, x = v.Type, v.Value
  end
  if tname then
    if UNSUPPORTED[tname] or not EXPLICIT[tname] then
      return nil, sformat("values of type %s are not supported by this host", tname), true
    end
    local ok, r = pcall(EXPLICIT[tname], x)
    if not ok then return nil, tostring(r) end
    return r
  end
  local f = ptype and IMPLICIT[ptype]
  if f then
    local ok, r = pcall(f, v)
    if ok then return r end
    return nil, tostring(r)
  end
  if ptype == nil then -- a property whose type is not known: by shape
    if isNums(v, 3) then return Vector3.new(v[1], v[2], v[3]) end
    if isNums(v, 2) then return G.Vector2.new(v[1], v[2]) end
    if isNums(v, 12) then return CFrame.new(unpack(v, 1, 12)) end
  end
  return v -- the property's check names the mismatch
end

local CODE_TYPE = { n = "number", s = "string", b = "boolean", V3 = "Vector3", V2 = "Vector2",
                    CF = "CFrame", C3 = "Color3", U = "UDim", U2 = "UDim2", I = "Instance" }

-- The type of property k of inst from the facts ("Enum.Material" for an enum), else the type
-- of its value where this file defines it; known is false when neither has it.
local function propType(inst, k)
  local d = Inst[inst]
  local pat = ",%-?" .. k:gsub("%W", "%%%0") .. ":([^,]+),"
  local cname = d.ClassName
  while cname and cname ~= "" do
    local f = factsOf(cname)
    if not f then break end
    local code = ("," .. f.props .. ","):match(pat)
    if code then
      if code:sub(1, 2) == "E." then return "Enum." .. code:sub(3), true end
      return CODE_TYPE[code], true
    end
    cname = f.super
  end
  if lookup(d.class, "props", k) then
    local ok, cur = pcall(function() return inst[k] end)
    return ok and cur ~= nil and typeof(cur) or nil, true
  end
  return nil, false
end

local function sortedKeys(t)
  local keys = {}
  for k in pairs(t) do if type(k) == "string" then keys[#keys + 1] = k end end
  tsort(keys)
  return keys
end

-- An error raised by a property's check, without the prelude's own location.
local function bare(err) return (tostring(err):gsub("^prelude:%d+: ", "")) end

local function applyAttrs(inst, attrs, display)
  if attrs == nil then return end
  if type(attrs) ~= "table" then loadFail(display .. ": attributes must be an object") end
  for _, an in ipairs(sortedKeys(attrs)) do
    local v, err, unsupported = decodeValue(attrs[an], nil)
    if err then
      if not unsupported then loadFail(sformat("%s: attribute %s: %s", display, an, err)) end
      loadWarn(sformat("%s: attribute %s: %s; ignored", display, an, err))
    elseif not attrTypes[typeof(v)] then
      loadWarn(sformat("%s: attribute %s: %s is not a supported attribute type; ignored", display, an, typeof(v)))
    else
      local ok, e = pcall(inst.SetAttribute, inst, an, v)
      if not ok then loadFail(sformat("%s: attribute %s: %s", display, an, bare(e))) end
    end
  end
end

-- Rojo's "$properties" / "properties" / "Properties": known properties are converted by their
-- type and set; an unknown one (or one of a type this host lacks) is a warning, not an error.
local function applyProps(inst, props, display)
  if props == nil then return end
  if type(props) ~= "table" then loadFail(display .. ": properties must be an object") end
  local d = Inst[inst]
  ensureClass(d.ClassName)
  for _, k in ipairs(sortedKeys(props)) do
    local v = props[k]
    if k == "Attributes" then
      applyAttrs(inst, type(v) == "table" and v.Attributes or v, display)
    elseif k == "Tags" then
      local tags = type(v) == "table" and v.Tags or v
      if type(tags) ~= "table" then loadFail(display .. ": Tags must be an array of strings") end
      for _, tag in ipairs(tags) do inst:AddTag(tostring(tag)) end
    elseif k == "Name" then
      local val, err = decodeValue(v, "string")
      if type(val) ~= "string" then loadFail(sformat("%s: property Name: %s", display, err or "string expected")) end
      d.Name = val
    else
      local ptype, known = propType(inst, k)
      local p = lookup(d.class, "props", k)
      local val, err, unsupported = decodeValue(v, ptype)
      if unsupported then
        loadWarn(sformat("%s: property %s.%s: %s; ignored", display, d.ClassName, k, err))
      elseif not known or not p then
        loadWarn(sformat("%s: unknown property %s.%s; ignored", display, d.ClassName, k))
      elseif err then
        loadFail(sformat("%s: property %s: %s", display, k, err))
      elseif p.readonly then
        loadWarn(sformat("%s: property %s.%s is read-only; ignored", display, d.ClassName, k))
      else
        local ok, e = pcall(function() inst[k] = val end)
        if not ok then loadFail(sformat("%s: property %s: %s", display, k, bare(e))) end
      end
    end
  end
end

-- Rojo's meta files: "properties", "attributes", "ignoreUnknownInstances" (accepted: nothing
-- here deletes instances), "className" (init.meta.json of a folder; read by dirInstance).
local function readMeta(path, display)
  local j = decodeJson(path, display)
  if type(j) ~= "table" then loadFail(display .. ": a meta file must be a JSON object") end
  return j
end
local function applyMeta(inst, j, display)
  applyProps(inst, j.properties or j.Properties, display)
  applyAttrs(inst, j.attributes or j.Attributes, display)
end

local function buildModel(j, defaultName, display, top)
  if type(j) ~= "table" then loadFail(display .. ": a model must be a JSON object") end
  local cls = j.ClassName or j.className
  if cls == nil then loadFail(display .. ": missing \"ClassName\"") end
  local inst, d = newInstance(loadClass(cls, display), true)
  -- a file's top instance is named after the file (Rojo ignores its "Name")
  d.Name = (not top and type(j.Name or j.name) == "string" and (j.Name or j.name)) or defaultName
  applyProps(inst, j.Properties or j.properties, display)
  applyAttrs(inst, j.Attributes or j.attributes, display)
  local kids = j.Children or j.children or {}
  if type(kids) ~= "table" then loadFail(display .. ": \"Children\" must be an array") end
  for i, c in ipairs(kids) do
    local child = buildModel(c, "Child" .. i, display, false)
    child.Parent = inst
  end
  return inst
end

-- ---- globIgnorePaths: globs relative to the project file's folder, matched as Rojo's
-- globset does: "*" any run of characters ("/" included), "?" one character, "**/" no
-- folder or any run of them; anything else literal.
local function globCompile(glob)
  local toks, i = {}, 1
  while i <= #glob do
    if glob:sub(i, i + 2) == "**/" then toks[#toks + 1] = "D"; i = i + 3
    elseif glob:sub(i, i + 1) == "**" then toks[#toks + 1] = "*"; i = i + 2
    else
      local c = glob:sub(i, i)
      toks[#toks + 1] = (c == "*" or c == "?") and c or ("=" .. c)
      i = i + 1
    end
  end
  return toks
end
local function globMatch(toks, s)
  local n = #s
  local pos = { [1] = true } -- the set of next character indices reached
  for _, t in ipairs(toks) do
    local nxt, lo = {}, nil
    for si in pairs(pos) do if not lo or si < lo then lo = si end end
    if not lo then return false end
    if t == "*" then
      for si = lo, n + 1 do nxt[si] = true end
    elseif t == "D" then
      for si in pairs(pos) do nxt[si] = true end
      for j = lo, n do if s:byte(j) == 47 then nxt[j + 1] = true end end
    elseif t == "?" then
      for si in pairs(pos) do if si <= n then nxt[si + 1] = true end end
    else
      local c = t:byte(2)
      for si in pairs(pos) do if s:byte(si) == c then nxt[si + 1] = true end end
    end
    pos = nxt
  end
  return pos[n + 1] == true
end

local ignore = nil -- { root = folder of the project file, globs = { compiled... } } while loading one
local function ignored(path)
  if not ignore then return false end
  local rel = path
  if ignore.root ~= "" and rel:sub(1, #ignore.root + 1) == ignore.root .. "/" then rel = rel:sub(#ignore.root + 2) end
  rel = rel:gsub("^%./", "")
  for _, g in ipairs(ignore.globs) do if globMatch(g, rel) then return true end end
  return false
end

local SERVER_ONLY = { ServerScriptService = true, ServerStorage = true }

-- Instances made on the client for a place must not include what it never sees.
local function skipOnClient(parent, cls)
  if IS_SERVER then return false end
  local cur = parent
  while cur do
    local d = Inst[cur]
    if SERVER_ONLY[d.ClassName] then return true end
    if d.ClassName == "ReplicatedStorage" and REMOTE_KIND[cls] then return true end
    cur = d.Parent
  end
  return false
end

local loadDir, loadProjectFile

local function reuseBuiltin(parent, name)
  local c = findChild(Inst[parent], name)
  if c and Inst[c].builtin then return c end
  return nil
end

-- A LocalizationTable from Roblox's CSV export: Key,Source,Context,Example,<locale>...
local function parseCsv(text, display)
  local rows, row, field, i, n = {}, {}, {}, 1, #text
  local quoted = false
  while i <= n do
    local c = text:sub(i, i)
    if quoted then
      if c == '"' then
        if text:sub(i + 1, i + 1) == '"' then field[#field + 1] = '"'; i = i + 1 else quoted = false end
      else
        field[#field + 1] = c
      end
    elseif c == '"' then quoted = true
    elseif c == "," then row[#row + 1] = table.concat(field); field = {}
    elseif c == "\n" or c == "\r" then
      if c == "\r" and text:sub(i + 1, i + 1) == "\n" then i = i + 1 end
      row[#row + 1] = table.concat(field); field = {}
      rows[#rows + 1] = row; row = {}
    else
      field[#field + 1] = c
    end
    i = i + 1
  end
  if quoted then loadFail(display .. ": unterminated quoted field") end
  if #field > 0 or #row > 0 then row[#row + 1] = table.concat(field); rows[#rows + 1] = row end
  return rows
end

-- LocalizationTable: its entries as Roblox's GetEntries gives them (no translation here).
local function copyEntries(list)
  local out = {}
  for i, e in ipairs(list) do
    local c = { Key = e.Key, Source = e.Source, Context = e.Context, Example = e.Example, Values = {} }
    for k, v in pairs(type(e.Values) == "table" and e.Values or {}) do c.Values[k] = v end
    out[i] = c
  end
  return out
end
defclass("LocalizationTable", "Instance", { creatable = true, methods = {
  GetEntries = function(self) return copyEntries(Inst[self].locEntries or {}) end,
  SetEntries = function(self, entries)
    if type(entries) ~= "table" then error("SetEntries: table expected", 2) end
    Inst[self].locEntries = copyEntries(entries)
  end,
} })

local function localizationTable(text, name, display)
  local inst, d = newInstance(loadClass("LocalizationTable", display), true)
  d.Name = name
  local rows = parseCsv(text, display)
  local head = rows[1] or {}
  local entries = {}
  for r = 2, #rows do
    local row = rows[r]
    if not (#row == 1 and row[1] == "") then
      local e = { Values = {} }
      for c, col in ipairs(head) do
        local v = row[c] or ""
        if col == "Key" or col == "Source" or col == "Context" or col == "Example" then e[col] = v
        elseif col ~= "" and v ~= "" then e.Values[col] = v end
      end
      e.Key, e.Source, e.Context, e.Example = e.Key or "", e.Source or "", e.Context or "", e.Example or ""
      entries[#entries + 1] = e
    end
  end
  d.locEntries = entries
  return inst
end

-- ---- Roblox's XML model format (*.rbxmx): a small XML reader (elements, attributes, text,
-- CDATA, comments, the five entities and character references; no DTDs), bounded in depth
-- and elements, then <Item class=...> elements become instances with the properties this
-- host has (a Studio export holds dozens it has not: those are skipped without a word).
local loadRbxmx = (function() -- its own function: the main chunk has a 200-local limit
local XML_ENT = { lt = "<", gt = ">", amp = "&", quot = '"', apos = "'" }
local function utf8char(c)
  if c < 0x80 then return string.char(c) end
  if c < 0x800 then return string.char(0xC0 + math.floor(c / 64), 0x80 + c % 64) end
  if c < 0x10000 then
    return string.char(0xE0 + math.floor(c / 4096), 0x80 + math.floor(c / 64) % 64, 0x80 + c % 64)
  end
  return string.char(0xF0 + math.floor(c / 262144), 0x80 + math.floor(c / 4096) % 64,
                     0x80 + math.floor(c / 64) % 64, 0x80 + c % 64)
end
local function xmlText(s)
  if not s:find("&", 1, true) then return s end
  return (s:gsub("&(#?)([xX]?)(%w+);", function(hash, x, v)
    if hash == "" then return x == "" and XML_ENT[v] or nil end
    local c = tonumber(v, x ~= "" and 16 or 10)
    if not c or c > 0x10FFFF then return nil end
    return utf8char(c)
  end))
end

local XML_MAX_DEPTH, XML_MAX_ELEMENTS = 200, 1000000
local function parseXml(text, display)
  local pos, n, count = 1, #text, 0
  local root = { children = {}, text = {} }
  local stack = { root }
  local function fail(msg)
    local line = 1
    for _ in text:sub(1, pos):gmatch("\n") do line = line + 1 end
    loadFail(sformat("%s: line %d: %s", display, line, msg))
  end
  local function skipTo(close, from, what)
    local e = text:find(close, from, true)
    if not e then fail("unterminated " .. what) end
    return e + #close
  end
  while pos <= n do
    local top = stack[#stack]
    local lt = text:find("<", pos, true) or n + 1
    if lt > pos then top.text[#top.text + 1] = xmlText(text:sub(pos, lt - 1)) end
    pos = lt
    if lt > n then break end
    if text:sub(lt, lt + 8) == "<![CDATA[" then
      local e = text:find("]]>", lt + 9, true)
      if not e then fail("unterminated CDATA section") end
      top.text[#top.text + 1] = text:sub(lt + 9, e - 1)
      pos = e + 3
    elseif text:sub(lt, lt + 3) == "<!--" then pos = skipTo("-->", lt + 4, "comment")
    elseif text:sub(lt, lt + 1) == "<?" then pos = skipTo("?>", lt + 2, "declaration")
    elseif text:sub(lt, lt + 1) == "<!" then fail("DTDs are not supported")
    elseif text:sub(lt, lt + 1) == "</" then
      local name, e = text:match("^</([%w_:%.%-]+)%s*>()", lt)
      if not name then fail("malformed closing tag") end
      if name ~= top.tag then fail(sformat("</%s> does not close <%s>", name, tostring(top.tag))) end
      stack[#stack] = nil
      pos = e
    else
      local name, p = text:match("^<([%a_][%w_:%.%-]*)()", lt)
      if not name then fail("malformed tag") end
      count = count + 1
      if count > XML_MAX_ELEMENTS then fail("more than " .. XML_MAX_ELEMENTS .. " elements") end
      local node = { tag = name, attrs = {}, children = {}, text = {} }
      while true do
        local a, q, after = text:match("^%s+([%a_][%w_:%.%-]*)%s*=%s*([\"'])()", p)
        if not a then break end
        local close = text:find(q, after, true)
        if not close then fail("unterminated attribute value") end
        node.attrs[a] = xmlText(text:sub(after, close - 1))
        p = close + 1
      end
      local slash, e = text:match("^%s*(/?)>()", p)
      if not e then fail("malformed tag <" .. name .. ">") end
      top.children[#top.children + 1] = node
      if slash == "" then
        if #stack > XML_MAX_DEPTH then fail("elements nested deeper than " .. XML_MAX_DEPTH) end
        stack[#stack + 1] = node
      end
      pos = e
    end
  end
  if #stack > 1 then fail("<" .. stack[#stack].tag .. "> is not closed") end
  return root
end

local function xtext(node) return table.concat(node.text) end
local function xnum(s)
  s = s:match("^%s*(.-)%s*$")
  if s == "INF" or s == "inf" then return math.huge end
  if s == "-INF" or s == "-inf" then return -math.huge end
  if s == "NAN" or s == "nan" then return 0 / 0 end
  return tonumber(s)
end
local function xfields(node) -- child tag -> number
  local t = {}
  for _, c in ipairs(node.children) do t[c.tag] = xnum(xtext(c)) end
  return t
end
local function need(...)
  for i = 1, select("#", ...) do if select(i, ...) == nil then error("incomplete value", 0) end end
  return ...
end
local function packedRGB(v) return Color3.fromRGB(math.floor(v / 65536) % 256, math.floor(v / 256) % 256, v % 256) end
local BASE64 = {}
for i = 1, 64 do BASE64[("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"):byte(i)] = i - 1 end
local function unbase64(s)
  local out, bits, nb = {}, 0, 0
  for i = 1, #s do
    local v = BASE64[s:byte(i)]
    if v then
      bits, nb = bits * 64 + v, nb + 6
      if nb >= 8 then
        nb = nb - 8
        local b = math.floor(bits / 2 ^ nb)
        out[#out + 1] = string.char(b)
        bits = bits - b * 2 ^ nb
      end
    end
  end
  return table.concat(out)
end
local RBXMX_VALUE = {
  string = xtext, ProtectedString = xtext,
  Content = function(n)
    for _, c in ipairs(n.children) do if c.tag == "url" then return xtext(c) end end
    return xtext(n):match("^%s*(.-)%s*$")
  end,
  bool = function(n) return xtext(n):match("^%s*(.-)%s*$") == "true" end,
  double = function(n) return need(xnum(xtext(n))) end,
  Vector3 = function(n) local f = xfields(n) return Vector3.new(need(f.X, f.Y, f.Z)) end,
  Vector2 = function(n) local f = xfields(n) return G.Vector2.new(need(f.X, f.Y)) end,
  Color3 = function(n)
    if #n.children == 0 then return packedRGB(need(xnum(xtext(n)))) end
    local f = xfields(n) return Color3.new(need(f.R, f.G, f.B))
  end,
  Color3uint8 = function(n) return packedRGB(need(xnum(xtext(n)))) end,
  CoordinateFrame = function(n)
    local f = xfields(n)
    return CFrame.new(need(f.X, f.Y, f.Z, f.R00, f.R01, f.R02, f.R10, f.R11, f.R12, f.R20, f.R21, f.R22))
  end,
  UDim = function(n) local f = xfields(n) return G.UDim.new(need(f.S, f.O)) end,
  UDim2 = function(n) local f = xfields(n) return G.UDim2.new(need(f.XS, f.XO, f.YS, f.YO)) end,
  NumberRange = function(n)
    local a, b = xtext(n):match("^%s*(%S+)%s+(%S+)")
    return G.NumberRange.new(need(tonumber(a), tonumber(b)))
  end,
}
RBXMX_VALUE.float, RBXMX_VALUE.int, RBXMX_VALUE.int64, RBXMX_VALUE.token =
  RBXMX_VALUE.double, RBXMX_VALUE.double, RBXMX_VALUE.double, RBXMX_VALUE.double
RBXMX_VALUE.CFrame = RBXMX_VALUE.CoordinateFrame

local function rbxmxItem(node, display, refs, links)
  local cls = node.attrs.class
  local inst, d = newInstance(loadClass(cls, display), true)
  d.Name = cls
  if node.attrs.referent then refs[node.attrs.referent] = inst end
  for _, c in ipairs(node.children) do
    if c.tag == "Properties" then
      for _, pn in ipairs(c.children) do
        local pname = pn.attrs.name
        if pname == "Name" then
          d.Name = xtext(pn)
        elseif pname == "Tags" and pn.tag == "BinaryString" then
          for tag in unbase64(xtext(pn)):gmatch("[^%z]+") do inst:AddTag(tag) end
        elseif pn.tag == "Ref" then
          local r = xtext(pn):match("^%s*(.-)%s*$")
          if r ~= "null" and r ~= "" then links[#links + 1] = { inst, pname, r } end
        elseif pname and RBXMX_VALUE[pn.tag] and lookup(d.class, "props", pname) then
          local ok, v = pcall(RBXMX_VALUE[pn.tag], pn)
          if ok then pcall(function() inst[pname] = v end) end
        end
      end
    elseif c.tag == "Item" then
      rbxmxItem(c, display, refs, links).Parent = inst
    end
  end
  return inst
end

return function(text, name, display)
  local doc = parseXml(text, display)
  local rootEl
  for _, c in ipairs(doc.children) do if c.tag == "roblox" then rootEl = c end end
  if not rootEl then loadFail(display .. ": not a Roblox model (no <roblox> element)") end
  local items = {}
  for _, c in ipairs(rootEl.children) do if c.tag == "Item" then items[#items + 1] = c end end
  if #items ~= 1 then
    loadFail(sformat("%s: a model file must hold exactly one top-level instance (it holds %d)", display, #items))
  end
  local refs, links = {}, {}
  local inst = rbxmxItem(items[1], display, refs, links)
  Inst[inst].Name = name -- named after the file, as Rojo does
  for _, l in ipairs(links) do
    local target = refs[l[3]]
    if target then pcall(function() l[1][l[2]] = target end) end
  end
  return inst
end
end)()

-- The instance for one file, or nil when the file is not part of the DataModel.
local function loadFileInstance(path, display, nameOverride)
  local kind, stem = classify(basename(path))
  local name = nameOverride or stem
  if kind == "Script" or kind == "LocalScript" or kind == "ModuleScript" then
    return makeScript(kind, name, path, display)
  elseif kind == "model" then
    return buildModel(decodeJson(path, display), name, display, true)
  elseif kind == "json" then
    local inst, d = newInstance("ModuleScript", true)
    d.Name = name
    local text = readFile(path)
    local value, err = H.json_decode(text)
    if err then loadFail(display .. ": " .. err) end
    -- required here it is the value decoded now; a clone decodes the same text
    d.props.Source = "return game:GetService('HttpService'):JSONDecode(" .. sformat("%q", text) .. ")"
    d.modState, d.modValue = "done", value
    return inst
  elseif kind == "txt" then
    local inst, d = newInstance("StringValue", true)
    d.Name = name
    d.props.Value = readFile(path)
    return inst
  elseif kind == "csv" then
    return localizationTable(readFile(path), name, display)
  elseif kind == "rbxmx" then
    return loadRbxmx(readFile(path), name, display)
  end
  return nil
end

local INIT_NAMES = { "init.server.lua", "init.server.luau", "init.client.lua", "init.client.luau",
                     "init.lua", "init.luau" }

-- A directory's own instance: its init script, or a Folder (or the init.meta.json class);
-- init.meta.json's properties and attributes apply to either.
local function dirInstance(path, display, name, className)
  local meta = joinPath(path, "init.meta.json")
  local metaDisp = joinPath(display, "init.meta.json")
  local j = H.is_file(meta) and readMeta(meta, metaDisp) or nil
  local inst, initName
  for _, n in ipairs(INIT_NAMES) do
    local p = joinPath(path, n)
    if H.is_file(p) then
      inst, initName = makeScript(classify(n), name, p, joinPath(display, n)), n
      break
    end
  end
  if not inst then
    local cls = (j and (j.className or j.ClassName)) or className or "Folder"
    local d
    inst, d = newInstance(loadClass(cls, display), true)
    d.Name = name
  end
  if j then applyMeta(inst, j, metaDisp) end
  return inst, initName
end

loadDir = function(path, display, parent, skipName)
  local entries, err = H.list_dir(path)
  if not entries then loadFail(err) end
  for _, e in ipairs(entries) do
    local p = joinPath(path, e.name)
    local disp = joinPath(display, e.name)
    if e.name:sub(1, 1) == "." or e.name == skipName or ignored(p) then
      -- hidden files, the folder's own init script, globIgnorePaths
    elseif e.dir then
      local existing = reuseBuiltin(parent, e.name)
      if existing then
        loadDir(p, disp, existing)
      elseif H.is_file(joinPath(p, "default.project.json")) then
        if not skipOnClient(parent, "Folder") then
          local inst = loadProjectFile(joinPath(p, "default.project.json"), joinPath(disp, "default.project.json"), parent, e.name)
          if inst and not skipOnClient(parent, Inst[inst].ClassName) then inst.Parent = parent end
        end
      elseif not skipOnClient(parent, "Folder") then
        local inst, initName = dirInstance(p, disp, e.name)
        if not skipOnClient(parent, Inst[inst].ClassName) then
          -- parented first: what its files become depends on where it is (client filter)
          inst.Parent = parent
          loadDir(p, disp, inst, initName)
        end
      end
    else
      local kind, stem = classify(e.name)
      if kind == "meta" or kind == "project" then
        -- meta files decorate their sibling; project files are read at the root only
      elseif kind and not skipOnClient(parent, "Folder") then
        local inst = loadFileInstance(p, disp)
        if inst and not skipOnClient(parent, Inst[inst].ClassName) then
          local meta = joinPath(path, stem .. ".meta.json")
          if H.is_file(meta) then
            local mdisp = joinPath(display, stem .. ".meta.json")
            applyMeta(inst, readMeta(meta, mdisp), mdisp)
          end
          inst.Parent = parent
        end
      end
    end
  end
end

local function starterPlayerScripts()
  return findChild(Inst[services.StarterPlayer], "StarterPlayerScripts")
end

-- Places a single file by its suffix.
local function placeFile(path, display)
  local kind = classify(basename(path))
  local parent
  if kind == "Script" then
    parent = services.ServerScriptService
  elseif kind == "LocalScript" then
    parent = starterPlayerScripts()
  elseif kind == "model" or kind == "ModuleScript" or kind == "json" or kind == "txt"
      or kind == "csv" or kind == "rbxmx" then
    parent = services.ReplicatedStorage
  else
    loadFail(sformat("%s: not a place, script or model file (expected a folder, *.server.lua, *.client.lua, *.lua, *.model.json, *.rbxmx or *.project.json)", display))
  end
  if skipOnClient(parent, "Folder") then return end
  local inst = loadFileInstance(path, display)
  if inst and not skipOnClient(parent, Inst[inst].ClassName) then inst.Parent = parent end
end

-- A service for a node right under the DataModel: the one made at start, or one of the
-- facts' services (made as GetService makes it).
local function serviceFor(name)
  if services[name] then return services[name] end
  local f = factsOf(name)
  if f and f.service then return game:GetService(name) end
  return nil
end

local function loadProjectNode(name, node, root, parent, display)
  if type(node) ~= "table" then loadFail(sformat("%s: node \"%s\" must be an object", display, name)) end
  local cls = node["$className"]
  local inst
  if parent == nil then
    inst = game
  elseif parent == game and serviceFor(cls or name) then
    inst = serviceFor(cls or name)
  else
    inst = reuseBuiltin(parent, name)
  end
  local p = node["$path"]
  if type(p) == "table" then p = p.optional end
  if p then
    local full = joinPath(root, p)
    local disp = p
    if H.is_dir(full) and not inst and H.is_file(joinPath(full, "default.project.json")) then
      if skipOnClient(parent, cls or "Folder") then return end
      inst = loadProjectFile(joinPath(full, "default.project.json"), joinPath(disp, "default.project.json"), parent, name)
      if not inst or skipOnClient(parent, Inst[inst].ClassName) then return end
    elseif H.is_dir(full) then
      if not inst then
        if skipOnClient(parent, cls or "Folder") then return end
        local initName
        inst, initName = dirInstance(full, disp, name, cls)
        if skipOnClient(parent, Inst[inst].ClassName) then return end
        inst.Parent = parent
        loadDir(full, disp, inst, initName)
      else
        if not (inst ~= game and skipOnClient(inst, "Folder")) then loadDir(full, disp, inst) end
      end
    elseif H.is_file(full) then
      if inst then loadFail(sformat("%s: $path of \"%s\" must be a folder", display, name)) end
      if skipOnClient(parent, "Folder") then return end
      if classify(basename(full)) == "project" then
        inst = loadProjectFile(full, disp, parent, name)
      else
        inst = loadFileInstance(full, disp, name)
      end
      if not inst then loadFail(sformat("%s: unsupported file %s", display, p)) end
      if skipOnClient(parent, Inst[inst].ClassName) then return end
    elseif type(node["$path"]) ~= "table" then
      loadFail(sformat("%s: $path \"%s\" does not exist", display, p))
    end
  end
  if not inst then
    if skipOnClient(parent, cls or "Folder") then return end
    local d
    inst, d = newInstance(loadClass(cls or "Folder", display), true)
    d.Name = name
    if parent ~= nil then inst.Parent = parent end
  end
  -- "$ignoreUnknownInstances" is accepted: nothing here removes instances
  applyProps(inst, node["$properties"], display)
  applyAttrs(inst, node["$attributes"], display)
  local keys = {}
  for k in pairs(node) do if k:sub(1, 1) ~= "$" then keys[#keys + 1] = k end end
  tsort(keys)
  for _, k in ipairs(keys) do loadProjectNode(k, node[k], root, inst, display) end
  if parent ~= nil and Inst[inst].Parent ~= parent and not Inst[inst].builtin then inst.Parent = parent end
  return inst
end

-- A project file: the place's root (parent nil) or, nested, the instance named `name` its
-- tree becomes (not yet parented unless its tree names builtin containers).
loadProjectFile = function(path, display, parent, name)
  local j = decodeJson(path, display)
  if type(j) ~= "table" or type(j.tree) ~= "table" then loadFail(display .. ": missing \"tree\"") end
  local outer = ignore
  local root = dirname(path)
  if j.globIgnorePaths ~= nil then
    if type(j.globIgnorePaths) ~= "table" then loadFail(display .. ": \"globIgnorePaths\" must be an array of strings") end
    local globs = {}
    for _, g in ipairs(j.globIgnorePaths) do
      if type(g) ~= "string" then loadFail(display .. ": \"globIgnorePaths\" must be an array of strings") end
      globs[#globs + 1] = globCompile(g)
    end
    ignore = { root = root, globs = globs }
  end
  local ok, r = pcall(loadProjectNode, parent == nil and "game" or name, j.tree, root, parent, display)
  ignore = outer
  if not ok then error(r, 0) end
  return r
end

local function loadPlaceDir(path)
  local entries, err = H.list_dir(path)
  if not entries then loadFail(err) end
  for _, e in ipairs(entries) do
    local p = joinPath(path, e.name)
    if e.name:sub(1, 1) == "." then
      -- hidden
    elseif e.dir then
      local svc = serviceFor(e.name)
      if svc then
        if not skipOnClient(svc, "Folder") then loadDir(p, e.name, svc) end
      elseif IS_SERVER then
        warn(sformat("%s: \"%s\" is not a service name; folder ignored", path, e.name))
      end
    else
      local kind = classify(e.name)
      if kind and kind ~= "meta" and kind ~= "project" then placeFile(p, e.name) end
    end
  end
end

hooks.load = function(path)
  local ok, err = pcall(function()
    if H.is_dir(path) then
      local proj = joinPath(path, "default.project.json")
      if H.is_file(proj) then loadProjectFile(proj, "default.project.json") else loadPlaceDir(path) end
    elseif H.is_file(path) then
      if classify(basename(path)) == "project" then loadProjectFile(path, path) else placeFile(path, path) end
    else
      loadFail(path .. ": no such file or directory")
    end
  end)
  ignore = nil
  if ok then return nil end
  if getmetatable(err) == LoadError then return err.msg end
  return tostring(err)
end

hooks.start_scripts = function()
  local list = {}
  if IS_SERVER then
    for _, svc in ipairs({ services.Workspace, services.ServerScriptService }) do
      for _, x in ipairs(descendants(svc, {})) do
        if Inst[x].ClassName == "Script" then list[#list + 1] = x end
      end
    end
  else
    local roots
    if localPlayer then
      -- As Roblox does for a joining player: StarterPlayerScripts' contents are copied into
      -- the Player's PlayerScripts, StarterGui's into PlayerGui, StarterPack's into Backpack,
      -- and the copies run (the originals never do). No character spawns, so the copies are
      -- made once, at join; StarterCharacterScripts' LocalScripts run in place.
      local function copyInto(from, className)
        local pd = Inst[localPlayer]
        local to = findChild(pd, className)
        if not to or Inst[to].ClassName ~= className then
          local td
          to, td = newInstance(className, true)
          td.Name = className
          td.noReplicate = true
          setParent(to, td, localPlayer, true)
        end
        for _, c in ipairs(Inst[from].children) do
          if Inst[c].props.Archivable ~= false then c:Clone().Parent = to end
        end
        return to
      end
      ensureClass("PlayerGui")
      ensureClass("Backpack")
      roots = { services.ReplicatedFirst, copyInto(starterPlayerScripts(), "PlayerScripts"),
                copyInto(services.StarterGui, "PlayerGui"), copyInto(services.StarterPack, "Backpack"),
                findChild(Inst[services.StarterPlayer], "StarterCharacterScripts") }
    else -- no player (a host without a client): the LocalScripts run in place
      roots = { services.ReplicatedFirst, starterPlayerScripts(),
                findChild(Inst[services.StarterPlayer], "StarterCharacterScripts"),
                services.StarterGui, services.StarterPack }
    end
    for _, r in ipairs(roots) do
      for _, x in ipairs(descendants(r, {})) do
        if Inst[x].ClassName == "LocalScript" then list[#list + 1] = x end
      end
    end
  end
  for _, s in ipairs(list) do runScript(s) end
end

hooks.run_string = function(src, name)
  local inst, d = newInstance(IS_SERVER and "Script" or "LocalScript", true)
  d.Name = name
  d.props.Source = src
  d.chunkname = "@" .. name
  runScript(inst)
end
end
places()

-- ---------------------------------------------------------------------------------------
-- Replication: the server mirrors ReplicatedStorage, Workspace and each Player's subtree into
-- the engine's instance tree; a client turns the engine's replica events into instances.
-- ---------------------------------------------------------------------------------------
local REP_CREATED, REP_VALUE, REP_NAME, REP_PARENT, REP_ATTRIBUTE, REP_DESTROYING = 1, 2, 3, 4, 5, 6
local REP_SERVICES = { "ReplicatedStorage", "Workspace" } -- one engine root each, in this order
local REP_SERVICE = { ReplicatedStorage = true, Workspace = true }
local ReplicaById = {} -- client: engine instance id -> instance

-- Remotes travel by path through the registry (a second copy would duplicate them), and some
-- instances are per side (the camera).
local function repExcluded(d) return REMOTE_KIND[d.ClassName] or d.noReplicate end

local function valueDefault(d)
  local p = lookup(d.class, "props", "Value")
  return p and p.default
end

if IS_SERVER then
  local repWarned = {}
  -- Engine refusals other than "already gone" (a value changed while its player leaves) are
  -- reported once per message: replication must never stop a script.
  local function check(inst, what, ok, msg, code)
    if ok == nil and code ~= "RMT_ENOTFOUND" then
      local text = sformat("%s of %s not replicated: %s", what, fullName(inst), tostring(msg))
      if what == "Name" or what == "creation" then text = text .. " (names are at most 100 bytes)" end
      if not repWarned[text] then
        repWarned[text] = true
        warn(text)
      end
    end
    return ok
  end

  -- ObjectValue crosses as the engine id of the instance it refers to (nil when that one does
  -- not replicate); every other Value as itself.
  local function wireValue(d)
    local v = d.props.Value
    if v == nil then v = valueDefault(d) end
    if d.ClassName == "ObjectValue" then
      local vd = v ~= nil and Inst[v]
      return vd and vd.repId or nil
    end
    return v
  end

  local function forget(inst)
    local d = Inst[inst]
    if not d.repId then return end
    d.repId = nil
    for _, c in ipairs(d.children) do forget(c) end
  end

  local function create(inst, d, parentId)
    local id = check(inst, "creation", H.rep_create(parentId, d.ClassName, d.Name))
    if not id then return end
    d.repId = id
    if d.class.valueChanged then check(inst, "Value", H.rep_set_value(id, wireValue(d))) end
    for k, v in pairs(d.attrs) do check(inst, "attribute " .. k, H.rep_set_attr(id, k, v)) end
    for _, c in ipairs(d.children) do
      local cd = Inst[c]
      if not repExcluded(cd) then create(c, cd, id) end
    end
  end

  rep = {
    value = function(inst, d) check(inst, "Value", H.rep_set_value(d.repId, wireValue(d))) end,
    name = function(inst, d) check(inst, "Name", H.rep_set_name(d.repId, d.Name)) end,
    attr = function(inst, d, name, v)
      check(inst, "attribute " .. name, H.rep_set_attr(d.repId, name, v))
    end,
    -- before a Destroy: the engine drops the whole subtree at once
    detach = function(inst, d)
      if d.repRoot then return end
      check(inst, "Destroy", H.rep_destroy(d.repId))
      forget(inst)
    end,
    -- after a Parent change: follow it, make the copy (with its subtree) or drop it
    parent = function(inst, d)
      if d.repRoot then return end
      local p = d.Parent
      local pid = p and not d.destroyed and Inst[p].repId
      if d.repId then
        if pid then
          check(inst, "Parent", H.rep_set_parent(d.repId, pid))
        else
          check(inst, "removal", H.rep_destroy(d.repId))
          forget(inst)
        end
      elseif pid and not repExcluded(d) then
        create(inst, d, pid)
      end
    end,
    forget = forget,
  }

  -- Called once the engine is attached: the service roots and what places already put there.
  hooks.rep_attach = function()
    for _, name in ipairs(REP_SERVICES) do
      local svc = services[name]
      local sd = Inst[svc]
      if not sd.repId then
        local id = check(svc, "creation", H.rep_create(0, name, name))
        if id then
          sd.repId, sd.repRoot = id, true
          for k, v in pairs(sd.attrs) do check(svc, "attribute " .. k, H.rep_set_attr(id, k, v)) end
          for _, c in ipairs(sd.children) do rep.parent(c, Inst[c]) end
        end
      end
    end
  end
end

local playerObject -- (id, name, userId) -> the side's Player object, made on first use

local materialize
if not IS_SERVER then
  -- A Folder the registry made for a remote's path, with this name and no server copy yet.
  local function adoptable(pd, name, class)
    if class ~= "Folder" then return nil end
    for _, c in ipairs(pd.children) do
      local cd = Inst[c]
      if not cd.repId and cd.pathFolder and cd.Name == name then return c end
    end
    return nil
  end

  -- The client's own copy of the place under ReplicatedStorage and Workspace, by full name and
  -- class: what the server's copy arrives without (script Source, properties that do not
  -- replicate) comes from here. The instances themselves are dropped at attach, so the client's
  -- tree is exactly what the server replicates (what it destroyed or renamed before this
  -- client joined is not resurrected).
  local placeCopies = {}
  local function poolKey(path, class) return path .. "\0" .. class end
  hooks.rep_attach = function()
    for _, name in ipairs(REP_SERVICES) do
      local sd = Inst[services[name]]
      local kids = {}
      for _, c in ipairs(sd.children) do
        if not Inst[c].noReplicate and not Inst[c].rid then kids[#kids + 1] = c end
      end
      for _, c in ipairs(kids) do
        local function visit(x)
          local xd = Inst[x]
          local key = poolKey(fullName(x), xd.ClassName)
          if not placeCopies[key] then placeCopies[key] = xd end
          for _, k in ipairs(xd.children) do visit(k) end
        end
        visit(c)
        destroy(c)
      end
    end
  end

  -- Registry folders named like `inst` beside it are the same folder seen first through a
  -- remote's path: their children move into `inst`.
  local function mergePathFolders(inst)
    local d = Inst[inst]
    if not d.Parent then return end
    local sibs = {}
    for i, c in ipairs(Inst[d.Parent].children) do sibs[i] = c end
    for _, c in ipairs(sibs) do
      local cd = Inst[c]
      if c ~= inst and cd.pathFolder and not cd.repId and cd.Name == d.Name then
        local kids = {}
        for i, k in ipairs(cd.children) do kids[i] = k end
        for _, k in ipairs(kids) do setParent(k, Inst[k], inst, true) end
        destroy(c)
      end
    end
  end

  -- ObjectValues naming an instance not here yet (the snapshot sends one root's subtree
  -- after another): engine id -> set of ObjectValues, filled in when it arrives.
  local pendingRefs = {}

  local function readValue(inst, d, info)
    local v = info.value
    if d.ClassName == "ObjectValue" then
      d.refPending = nil
      if type(v) ~= "number" then return nil end
      local target = materialize(v)
      if not target then
        d.refPending = v
        pendingRefs[v] = pendingRefs[v] or setmetatable({}, { __mode = "k" })
        pendingRefs[v][inst] = true
      end
      return target
    end
    return v
  end

  local function resolveRefs(id, target)
    local waiting = pendingRefs[id]
    if not waiting then return end
    pendingRefs[id] = nil
    for o in pairs(waiting) do
      local od = Inst[o]
      if od.refPending == id and not od.destroyed then
        od.refPending = nil
        local old = od.props.Value
        od.props.Value = target
        if old ~= target then propChanged(o, od, "Value", target) end
      end
    end
  end

  local function applyValue(inst, d, info)
    local v = readValue(inst, d, info)
    local old = d.props.Value
    if old == nil then old = valueDefault(d) end
    d.props.Value = v
    local new = v
    if new == nil then new = valueDefault(d) end
    if old ~= new then propChanged(inst, d, "Value", new) end
  end

  local function applyAttrs(inst, d, attrs)
    for k in pairs(d.attrs) do
      if attrs[k] == nil then setAttr(inst, d, k, nil) end
    end
    for k, v in pairs(attrs) do setAttr(inst, d, k, v) end
  end

  local function map(inst, d, id)
    d.repId = id
    d.pathFolder = nil
    ReplicaById[id] = inst
  end

  -- The instance for engine id `id`, made (with its ancestors) from the engine's copy when it
  -- is not there yet: events may name an instance whose creation we have not seen.
  local build
  materialize = function(id)
    local inst = ReplicaById[id]
    if inst then return inst end
    inst = build(id)
    if inst then resolveRefs(id, inst) end
    return inst
  end

  build = function(id)
    local info = H.rep_info(id)
    if not info then return nil end
    local inst
    if info.parent == 0 then
      if info.class == "Player" and info.player ~= 0 then
        inst = playerObject(info.player, info.name, info.userId)
      elseif REP_SERVICE[info.class] then
        inst = services[info.class]
      end
      if not inst then return nil end -- a root only a C server knows about
      local d = Inst[inst]
      map(inst, d, id)
      d.repKeep = true
      applyAttrs(inst, d, info.attrs)
      return inst
    end
    if REMOTE_KIND[info.class] then return nil end -- remotes come from the registry
    local parent = materialize(info.parent)
    if not parent then return nil end
    local pd = Inst[parent]
    inst = adoptable(pd, info.name, info.class)
    if inst then
      local d = Inst[inst]
      map(inst, d, id)
      if d.class.valueChanged then applyValue(inst, d, info) end
      applyAttrs(inst, d, info.attrs)
      mergePathFolders(inst)
      return inst
    end
    local d
    inst, d = newInstance(classes[info.class] and info.class or "Folder", true)
    d.ClassName = info.class
    d.Name = info.name
    local donor = placeCopies[poolKey(fullName(parent) .. "." .. info.name, info.class)]
    if donor then
      for k, v in pairs(donor.props) do d.props[k] = v end
      d.chunkname = donor.chunkname
      if donor.modState == "done" then d.modState, d.modValue = "done", donor.modValue end
    end
    map(inst, d, id)
    if d.class.valueChanged then d.props.Value = readValue(inst, d, info) end
    for k, v in pairs(info.attrs) do d.attrs[k] = v end
    if not pd.destroyed then setParent(inst, d, parent, true) end
    mergePathFolders(inst)
    return inst
  end

  hooks.replica = function(event, id, attribute)
    if event == REP_CREATED then
      materialize(id)
      return
    end
    local inst = ReplicaById[id]
    if event == REP_DESTROYING then
      if not inst then return end
      ReplicaById[id] = nil
      local d = Inst[inst]
      d.repId = nil
      if not d.repKeep then destroy(inst) end
      return
    end
    if not inst then
      materialize(id) -- made from the current state, which includes this change
      return
    end
    local d = Inst[inst]
    if d.destroyed then return end -- destroyed by a LocalScript: its copy is gone
    local info = H.rep_info(id)
    if not info then return end
    if event == REP_VALUE then
      if d.class.valueChanged then applyValue(inst, d, info) end
    elseif event == REP_NAME then
      setName(inst, d, info.name)
      mergePathFolders(inst)
    elseif event == REP_PARENT then
      local p = info.parent ~= 0 and materialize(info.parent) or nil
      if p and Inst[p].destroyed then p = nil end
      setParent(inst, d, p, true)
      mergePathFolders(inst)
    elseif event == REP_ATTRIBUTE then
      setAttr(inst, d, attribute, H.rep_attr(id, attribute))
    end
  end
end

-- ---------------------------------------------------------------------------------------
-- Engine hooks (called from C)
-- ---------------------------------------------------------------------------------------
local lastHeartbeat
hooks.frame = function(now, dt)
  local rs = Inst[services.RunService].signals
  if not IS_SERVER then
    if rs.RenderStepped then fireSignal(rs.RenderStepped, dt) end
    if rs.PreRender then fireSignal(rs.PreRender, dt) end
  end
  if rs.Stepped then fireSignal(rs.Stepped, now, dt) end
  if rs.PreSimulation then fireSignal(rs.PreSimulation, dt) end
  if rs.PostSimulation then fireSignal(rs.PostSimulation, dt) end
  if rs.Heartbeat then fireSignal(rs.Heartbeat, dt) end
  lastHeartbeat = now
end

hooks.frame_busy = function()
  for _, s in pairs(Inst[services.RunService].signals) do
    if SignalState[s].active then return true end
  end
  return false
end

playerObject = function(id, name, userId)
  local p = PlayersById[id]
  if p then return p end
  local d
  p, d = newInstance("Player", true)
  d.Name = name
  d.props.UserId = userId
  PlayerIds[p] = id
  PlayersById[id] = p
  return p
end

-- On a client the Player may exist already, made when its replicated copy arrived first.
hooks.player_added = function(id, name, userId, isLocal)
  local p = playerObject(id, name, userId)
  local d = Inst[p]
  if isLocal and not localPlayer then
    localPlayer = p
    local ps, psd = newInstance("PlayerScripts", true)
    psd.Name = "PlayerScripts"
    setParent(ps, psd, p, true)
  end
  if d.added then return end
  d.added = true
  if IS_SERVER and H.net_enabled() then
    local rid = H.rep_player_instance(id)
    if rid and rid ~= 0 then d.repId, d.repRoot = rid, true end
  end
  setParent(p, d, services.Players, true)
  local pd = Inst[services.Players]
  if pd.signals.PlayerAdded then fireSignal(pd.signals.PlayerAdded, p) end
end

hooks.player_removing = function(id)
  local p = PlayersById[id]
  if not p then return end
  local pd = Inst[services.Players]
  if pd.signals.PlayerRemoving then fireSignal(pd.signals.PlayerRemoving, p) end
  PlayersById[id] = nil
  -- the engine drops the player's copy itself; later changes stay on this side
  if rep then rep.forget(p) end
  -- As Roblox does once PlayerRemoving handlers ran (each up to its first yield): the Player
  -- and its descendants are destroyed, their connections cut, and the whole lot collected.
  if localPlayer ~= p then destroy(p) else setParent(p, Inst[p], nil, true) end
end

hooks.resolve_player = function(id) return PlayersById[id] end

-- Server: a message from a player was dropped before any script saw it (rate limit,
-- schema, unknown remote...). The host rate-limits these calls.
hooks.remote_dropped = function(pid, rid, reason, detail)
  local p = PlayersById[pid]
  local who = p and Inst[p].Name or (pid ~= 0 and ("player " .. pid) or "a connection")
  local inst = RemotesById[rid]
  local what = inst and (" on " .. fullName(inst)) or (rid ~= 0 and (" on remote #" .. rid) or "")
  if reason == "schema" then
    warn(sformat("dropped a message from %s%s: bad arguments: %s", who, what, detail or "?"))
  elseif detail then
    warn(sformat("dropped a message from %s%s: %s (%s)", who, what, reason, detail))
  else
    warn(sformat("dropped a message from %s%s: %s", who, what, reason))
  end
end

hooks.remote_event = function(rid, ...)
  local inst = RemotesById[rid]
  if not inst then return end
  local s = Inst[inst].signals[IS_SERVER and "OnServerEvent" or "OnClientEvent"]
  if s then fireSignal(s, ...) end
end

hooks.remote_invoke = function(rid, inv, ...)
  local inst = RemotesById[rid]
  local cb = inst and Inst[inst].props[IS_SERVER and "OnServerInvoke" or "OnClientInvoke"]
  if not cb then
    H.net_complete(inv, false, "no OnServerInvoke callback")
    return
  end
  H.task_spawn(function(...) H.net_complete(inv, pcall(cb, ...)) end, ...)
end

-- Client: the server's registry becomes instances under ReplicatedStorage (folders for the
-- path's segments), so WaitForChild finds them.
hooks.registry = function(added, rid, name, kind)
  if added then
    local parent = services.ReplicatedStorage
    local segs = string.split(name, "/")
    for i = 1, #segs - 1 do
      local c = findChild(Inst[parent], segs[i])
      if not c then
        local f, fd = newInstance("Folder", true)
        fd.Name = segs[i]
        fd.pathFolder = true -- until the server's copy of this folder arrives and adopts it
        setParent(f, fd, parent, true)
        c = f
      end
      parent = c
    end
    local inst, d = newInstance(KIND_CLASS[kind] or "RemoteEvent", true)
    d.Name = segs[#segs]
    d.rid, d.rpath = rid, name
    RemotesById[rid] = inst
    setParent(inst, d, parent, true)
  else
    local inst = RemotesById[rid]
    if inst then
      local d = Inst[inst]
      if d.conn then H.net_unlisten(rid, d.conn) d.conn = nil end
      RemotesById[rid] = nil
      d.rid = nil
      destroy(inst)
    end
  end
end

-- For the C side: the instance metatable and the Player id table.
H.set_instance_meta(instMt, PlayerIds, Inst, PlayersById)

return hooks
