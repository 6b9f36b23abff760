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
    for i, seg in ipairs(segs) do -- names escaped by remotePath (40_remotes)
      segs[i] = seg:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)
    end
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
    local cls = KIND_CLASS[kind] or "RemoteEvent"
    -- the server's replicated copy of this remote, when it came first, is the one to bind
    local inst = findChild(Inst[parent], segs[#segs])
    local d = inst and Inst[inst]
    if d and d.repId and not d.rid and d.ClassName == cls then
      d.rid, d.rpath = rid, name
      RemotesById[rid] = inst
      if d.listening and not d.conn then d.conn = H.net_listen(rid) end
      return
    end
    inst, d = newInstance(cls, true)
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
      d.rid, d.rpath = nil, nil
      -- a replicated copy goes when the server's replication says so (it may only be renamed)
      if not d.repId then destroy(inst) end
    end
  end
end

-- For the C side: the instance metatable and the Player id table.
H.set_instance_meta(instMt, PlayerIds, Inst, PlayersById)

return hooks
