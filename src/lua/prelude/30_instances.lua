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
  -- replication first: the engine sends a remote's new copy before its registry entry, so
  -- a client binds the instance it has instead of making a second one for a moment
  if rep then rep.parent(self, d) end
  if rebind then rebind(self) end
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
  if rep and d.repId then rep.name(self, d) end -- before rebind, as in setParent
  if rebind then rebind(self) end
  propChanged(self, d, "Name", v)
  if d.Parent then wakeChildWaiters(Inst[d.Parent], v, self) end
end

-- Set by the facts section: gives a class this file defines the properties Roblox's facts
-- have for it (SoundService.RespectFilteringEnabled), on the first miss, so a state pays for
-- reading the facts only when a script reaches for one.
local lateFacts
-- Set by the facts section: a creatable class's Roblox defaults by property (Part.Size,
-- Humanoid.WalkSpeed), read when an instance of it first shows a default; they win over the
-- type-zero (or hand-written) default of the property's record, which the property's
-- declaring class shares with every subclass.
local classDefaults

local function propDefault(cls, k, p)
  local dd = cls.defaults
  if dd == nil and classDefaults then dd = classDefaults(cls) end
  if dd then
    local v = dd[k]
    if v ~= nil then return v end
  end
  return p.default
end

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
    if v == nil then return propDefault(cls, k, p) end
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
  if old == nil then old = propDefault(d.class, k, p) end
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
  -- CollectionService's removed signals fire for a destroyed instance's tags (75_service_behaviour)
  local cs = classes.CollectionService
  if cs and cs.tagApi then cs.tagApi.gone(self) end
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

