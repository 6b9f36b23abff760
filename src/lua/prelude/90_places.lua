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

