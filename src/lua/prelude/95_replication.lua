-- ---------------------------------------------------------------------------------------
-- Replication: the server mirrors ReplicatedStorage, Workspace and each Player's subtree into
-- the engine's instance tree; a client turns the engine's replica events into instances.
-- ---------------------------------------------------------------------------------------
local REP_CREATED, REP_VALUE, REP_NAME, REP_PARENT, REP_ATTRIBUTE, REP_DESTROYING = 1, 2, 3, 4, 5, 6
local REP_TAG_ADDED, REP_TAG_REMOVED = 7, 8
local REP_SERVICES = { "ReplicatedStorage", "Workspace" } -- one engine root each, in this order
local REP_SERVICE = { ReplicatedStorage = true, Workspace = true }
local ReplicaById = {} -- client: engine instance id -> instance

-- Some instances are per side (the camera). Remotes replicate as instances too (their name,
-- attributes and tags); what makes one usable on a client is the registry entry of its path,
-- which the client binds to that same instance.
local function repExcluded(d) return d.noReplicate end

local function valueDefault(d)
  local p = lookup(d.class, "props", "Value")
  return p and p.default
end

if IS_SERVER then
  local repWarned = {}
  local tagApi = classes.CollectionService.tagApi
  -- Engine refusals other than "already gone" (a value changed while its player leaves) are
  -- reported once per message: replication must never stop a script.
  local function check(inst, what, ok, msg, code)
    if ok == nil and code ~= "RMT_ENOTFOUND" then
      local text = sformat("%s of %s not replicated: %s", what, fullName(inst), tostring(msg))
      if what == "Name" or what == "creation" then text = text .. " (names are at most 100 bytes)" end
      if what:sub(1, 4) == "tag " then text = text .. " (tags are 1..100 bytes, at most 64 an instance)" end
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
    for _, tag in ipairs(tagApi.list(inst)) do check(inst, "tag " .. tag, H.rep_add_tag(id, tag)) end
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
    tag = function(inst, d, tag, added)
      check(inst, "tag " .. tag, (added and H.rep_add_tag or H.rep_remove_tag)(d.repId, tag))
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
          for _, tag in ipairs(tagApi.list(svc)) do check(svc, "tag " .. tag, H.rep_add_tag(id, tag)) end
          for _, c in ipairs(sd.children) do rep.parent(c, Inst[c]) end
        end
      end
    end
  end
end

local playerObject -- (id, name, userId) -> the side's Player object, made on first use

local materialize
if not IS_SERVER then
  local tagApi = classes.CollectionService.tagApi
  -- A Folder the registry made for a remote's path, with this name and no server copy yet.
  -- Or the remote the registry made for this path (bound, no server copy yet).
  local function adoptable(pd, name, class)
    if class ~= "Folder" and not REMOTE_KIND[class] then return nil end
    for _, c in ipairs(pd.children) do
      local cd = Inst[c]
      if not cd.repId and cd.Name == name and not cd.destroyed then
        if class == "Folder" and cd.pathFolder then return c end
        if REMOTE_KIND[class] and cd.rid and cd.ClassName == class then return c end
      end
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

  -- The server's tags arrive as additions; a tag this client added itself stays.
  local function applyTags(inst, tags)
    for _, tag in ipairs(tags) do tagApi.add(inst, tag) end
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
      applyTags(inst, info.tags)
      return inst
    end
    local parent = materialize(info.parent)
    if not parent then return nil end
    local pd = Inst[parent]
    inst = adoptable(pd, info.name, info.class)
    if inst then
      local d = Inst[inst]
      map(inst, d, id)
      if d.class.valueChanged then applyValue(inst, d, info) end
      applyAttrs(inst, d, info.attrs)
      applyTags(inst, info.tags)
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
    applyTags(inst, info.tags) -- after the parent: an added-signal listener sees it in place
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
    elseif event == REP_TAG_ADDED then
      tagApi.add(inst, attribute)
    elseif event == REP_TAG_REMOVED then
      tagApi.remove(inst, attribute)
    end
  end
end

