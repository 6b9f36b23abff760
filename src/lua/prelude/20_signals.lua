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

