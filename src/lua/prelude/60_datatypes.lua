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
-- Datatypes across remotes and bindables (src/lua/convert.c calls these; docs/values.md has
-- the wire form). encode(v) -> the rmt_datatype_kind number of include/remotes.h and the
-- parts (numbers; values for list kinds), or "EnumItem", enum name, value, or false and its
-- typeof for a value that does not cross (Random, signals: nil, as functions; the name is for
-- the warning). decode(...) -> the value or
-- nil. BrickColor goes by its Number and comes back through BrickColor.new(number) once the
-- host defines BrickColor.
-- ---------------------------------------------------------------------------------------
do
  local enc = {
    Vector2 = { 1, function(v) return v.X, v.Y end },
    UDim = { 2, function(v) return v.Scale, v.Offset end },
    UDim2 = { 3, function(v) return v.X.Scale, v.X.Offset, v.Y.Scale, v.Y.Offset end },
    Rect = { 4, function(v) return v.Min.X, v.Min.Y, v.Max.X, v.Max.Y end },
    NumberRange = { 5, function(v) return v.Min, v.Max end },
    NumberSequenceKeypoint = { 6, function(v) return v.Time, v.Value, v.Envelope end },
    ColorSequenceKeypoint = { 7, function(v) return v.Time, v.Value.R, v.Value.G, v.Value.B end },
    BrickColor = { 8, function(v) return v.Number end },
    DateTime = { 9, function(v) return v.UnixTimestampMillis end },
    NumberSequence = { 10, function(v) return unpack(v.Keypoints) end },
    ColorSequence = { 11, function(v) return unpack(v.Keypoints) end },
    Ray = { 12, function(v) return v.Origin, v.Direction end },
    TweenInfo = { 13, function(v)
      return v.Time, v.EasingStyle, v.EasingDirection, v.RepeatCount, v.Reverses, v.DelayTime
    end },
  }
  local function encode(v)
    local t = typeof(v)
    if t == "EnumItem" then return "EnumItem", tostring(v.EnumType), v.Value end
    local e = enc[t]
    if e then return e[1], e[2](v) end
    return false, t
  end
  local dec = {
    function(x, y) return V2.new(x, y) end,
    function(s, o) return G.UDim.new(s, o) end,
    function(a, b, c, d) return G.UDim2.new(a, b, c, d) end,
    function(a, b, c, d) return G.Rect.new(a, b, c, d) end,
    function(a, b) return G.NumberRange.new(a, b) end,
    function(t, v, e) return G.NumberSequenceKeypoint.new(t, v, e) end,
    function(t, r, g, b) return G.ColorSequenceKeypoint.new(t, G.Color3.new(r, g, b)) end,
    function(n) return G.BrickColor and G.BrickColor.new(n) end,
    function(ms) return G.DateTime.fromUnixTimestampMillis(ms) end,
    function(...) return G.NumberSequence.new({ ... }) end,
    function(...) return G.ColorSequence.new({ ... }) end,
    function(o, d) return G.Ray.new(o, d) end,
    function(...) return G.TweenInfo.new(...) end,
  }
  local function enumItem(name, value)
    local e = G.Enum[name]
    if typeof(e) == "Enum" then return e:FromValue(value) end
  end
  local function decode(kind, ...)
    local f = kind == "EnumItem" and enumItem or dec[kind]
    if not f then return nil end
    local ok, v = pcall(f, ...)
    if ok then return v end
  end
  H.set_datatype_codec(encode, decode)
end
