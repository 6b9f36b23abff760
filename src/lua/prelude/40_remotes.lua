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
    -- '/' separates the path's segments, so a name holding one (@rbxts/net's "Game/Score")
    -- is escaped, and '%' with it; the client's registry hook undoes this.
    tinsert(parts, 1, (d.Name:gsub("[%%/]", function(c) return sformat("%%%02X", c:byte()) end)))
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

