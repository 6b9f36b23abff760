-- ---------------------------------------------------------------------------------------
-- Roblox's facts (src/lua/facts_*.c, generated from the API dump by scripts/gen_roblox_facts.py):
-- Enum with every enum and item, GetService of every service, Instance.new of every
-- creatable class. A class this file does not define in full gets its properties from the
-- facts: present, inert, starting at Roblox's defaults (classDefaults, below) or else at the
-- type's zero (0, "", false, the enum's first item).
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
  elseif code == "BC" then p.default, p.check = G.BrickColor.new(194), typedCheck("BrickColor")
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

-- Roblox's defaults for a creatable class (facts "defaults": a line per creatable class and
-- per class stating a value every creatable class below it shares, each naming the nearest
-- superclass with a line; a class's line is laid over its superclasses'). Only that text is
-- indexed, not the class index, so a state whose scripts only set Values and read Part.Size
-- does not pay for the class index; a value is decoded when first read.
local defaultLines
-- the generator writes Python's text of a float: "inf" for MaxForce and the like
local function factNum(s)
  return tonumber(s) or (s == "inf" and math.huge) or (s == "-inf" and -math.huge) or nil
end
local function decodeDefault(cls, k, code, s)
  if code == "n" then return factNum(s) end
  if code == "b" then return s == "true" end
  if code == "s" then
    return (s:gsub("\\(.)", function(c) return c == "t" and "\t" or c == "n" and "\n" or c end))
  end
  local n = {}
  for x in s:gmatch("[^,]+") do n[#n + 1] = factNum(x) end
  if code == "V3" then return Vector3.new(n[1], n[2], n[3]) end
  if code == "V2" then return V2.new(n[1], n[2]) end
  if code == "CF" then return CFrame.new(unpack(n, 1, 12)) end
  if code == "C3" then return Color3.new(n[1], n[2], n[3]) end
  if code == "C8" then return Color3.fromRGB(n[1], n[2], n[3]) end
  if code == "U" then return G.UDim.new(n[1], n[2]) end
  if code == "U2" then return G.UDim2.new(n[1], n[2], n[3], n[4]) end
  if code == "BC" then return G.BrickColor.new(n[1]) end
  if code == "E" then
    local p = lookup(cls, "props", k)
    if p and p.check then
      local ok, item = p.check(n[1])
      if ok then return item end
    end
  end
  return nil
end

classDefaults = function(cls)
  defaultLines = defaultLines or factIndex("defaults")
  local raw = {} -- property -> { code, text }
  local line = defaultLines[cls.name]
  if line and line:sub(1, 1) == "c" then
    local chain = {}
    while line do
      chain[#chain + 1] = line
      local parent = line:match("^[^\t]*\t([^\t]*)")
      line = parent ~= "" and defaultLines[parent] or nil
    end
    for i = #chain, 1, -1 do
      for k, code, s in (chain[i] .. "\t"):gmatch("([^=\t]+)=(%w+):([^\t]*)\t") do
        raw[k] = { code, s }
      end
    end
  end
  local out = setmetatable({}, { __index = function(t, k)
    local r = raw[k]
    if not r then return nil end
    local v = decodeDefault(cls, k, r[1], r[2])
    rawset(t, k, v)
    return v
  end })
  cls.defaults = out
  return out
end
