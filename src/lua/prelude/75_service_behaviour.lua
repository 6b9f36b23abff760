-- ---------------------------------------------------------------------------------------
-- Services with behaviour: HttpService (JSON, GUIDs; no network), CollectionService (tags;
-- the server's replicate with their instance), Debris, TweenService (server and client, property changes over
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

  -- CollectionService and the Instance tag methods. A tag on a replicated instance is sent
  -- by the server (rep.tag); a client's own AddTag/RemoveTag stay on that client, and the
  -- server's changes arrive through tagApi (95_replication).
  local tagged = {} -- tag -> { [inst] = true } (weak keys)
  local tagsOf = setmetatable({}, { __mode = "k" }) -- inst -> { tag = true }
  local tagSignals = {} -- "added:tag" / "removed:tag" -> signal
  local function tagSignal(kind, tag)
    local key = kind .. ":" .. tag
    tagSignals[key] = tagSignals[key] or newSignal(key)
    return tagSignals[key]
  end
  local function tagName(tag, level)
    if type(tag) == "number" then return tostring(tag) end
    if type(tag) ~= "string" then
      error(sformat("Unable to cast %s to string", typeof(tag)), level + 1)
    end
    return tag
  end
  local function addTag(inst, tag)
    local set = tagsOf[inst] or {}
    tagsOf[inst] = set
    if set[tag] then return end
    set[tag] = true
    tagged[tag] = tagged[tag] or setmetatable({}, { __mode = "k" })
    tagged[tag][inst] = true
    local d = Inst[inst]
    if rep and d.repId then rep.tag(inst, d, tag, true) end
    fireSignal(tagSignal("added", tag), inst)
  end
  local function removeTag(inst, tag)
    local set = tagsOf[inst]
    if not set or not set[tag] then return end
    set[tag] = nil
    if tagged[tag] then tagged[tag][inst] = nil end
    local d = Inst[inst]
    if rep and d.repId then rep.tag(inst, d, tag, false) end
    fireSignal(tagSignal("removed", tag), inst)
  end
  local function getTags(inst)
    local out = {}
    for tag in pairs(tagsOf[inst] or {}) do out[#out + 1] = tag end
    tsort(out)
    return out
  end
  local function hasTag(inst, tag) return (tagsOf[inst] or {})[tag] == true end
  local function checkInst(inst, fn)
    if not Inst[inst] then
      error(sformat("Argument 1 missing or nil for %s (Instance expected, got %s)", fn, typeof(inst)), 3)
    end
    return inst
  end
  local im = classes.Instance.methods
  im.AddTag = function(self, tag) addTag(self, tagName(tag, 2)) end
  im.RemoveTag = function(self, tag) removeTag(self, tagName(tag, 2)) end
  im.HasTag = function(self, tag) return hasTag(self, tagName(tag, 2)) end
  im.GetTags = function(self) return getTags(self) end
  defclass("CollectionService", "Instance", {
    methods = {
      AddTag = function(_, inst, tag) addTag(checkInst(inst, "AddTag"), tagName(tag, 2)) end,
      RemoveTag = function(_, inst, tag) removeTag(checkInst(inst, "RemoveTag"), tagName(tag, 2)) end,
      HasTag = function(_, inst, tag) return hasTag(checkInst(inst, "HasTag"), tagName(tag, 2)) end,
      GetTags = function(_, inst) return getTags(checkInst(inst, "GetTags")) end,
      GetTagged = function(_, tag)
        local out = {}
        for inst in pairs(tagged[tagName(tag, 2)] or {}) do
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
      GetInstanceAddedSignal = function(_, tag) return tagSignal("added", tagName(tag, 2)) end,
      GetInstanceRemovedSignal = function(_, tag) return tagSignal("removed", tagName(tag, 2)) end,
    },
  })
  -- What replication uses (95_replication); a field, not a chunk local: the prelude is one
  -- chunk and LuaJIT allows it 200 locals.
  -- A destroyed instance leaves GetTagged and fires the removed signal of each of its tags;
  -- it keeps the tags themselves (GetTags/HasTag still answer), as in Roblox.
  local function gone(inst)
    for _, tag in ipairs(getTags(inst)) do
      if tagged[tag] and tagged[tag][inst] then
        tagged[tag][inst] = nil
        fireSignal(tagSignal("removed", tag), inst)
      end
    end
  end
  classes.CollectionService.tagApi = { add = addTag, remove = removeTag, list = getTags, gone = gone }

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

