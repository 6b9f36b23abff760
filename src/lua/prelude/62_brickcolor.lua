-- ---------------------------------------------------------------------------------------
-- BrickColor: Roblox's named colours (number, name, RGB and the 128-colour palette are facts
-- in src/lua/facts_enums.c, generated from Roblox's reference page and @rbxts/types). One value per
-- number, made on first use, so == and table keys behave as the number does.
-- ---------------------------------------------------------------------------------------
do
  local DEFAULT = 194 -- "Medium stone grey": what an unknown number or name gives
  local byNumber, byName, order, palette -- parsed on first use
  local made = {}
  local mkBrickColor

  local function load()
    if byNumber then return end
    byNumber, byName, order, palette = {}, {}, {}, {}
    for n, name, r, g, b, pal in H.facts("brickcolors"):gmatch("(%d+)\t([^\t]+)\t(%d+),(%d+),(%d+)\t(%d*)\n") do
      local rec = { n = tonumber(n), name = name, r = tonumber(r), g = tonumber(g), b = tonumber(b) }
      byNumber[rec.n] = rec
      if byName[name] == nil then byName[name] = rec end
      order[#order + 1] = rec
      if pal ~= "" then palette[tonumber(pal)] = rec end
    end
    -- nearest-colour ties go to the lowest number, whatever the text's order
    tsort(order, function(a, b) return a.n < b.n end)
  end

  local function get(rec)
    local v = made[rec.n]
    if not v then
      v = mkBrickColor({ Number = rec.n })
      made[rec.n] = v
    end
    return v
  end

  -- Roblox's documented match: the smallest sum of absolute channel differences (0..1) over
  -- every BrickColor.
  local function nearest(r, g, b)
    load()
    local best, bestD
    for _, rec in ipairs(order) do
      local d = math.abs(rec.r / 255 - r) + math.abs(rec.g / 255 - g) + math.abs(rec.b / 255 - b)
      if not bestD or d < bestD then best, bestD = rec, d end
    end
    return get(best)
  end

  mkBrickColor = datatype("BrickColor", {}, {
    get = function(f, k)
      local rec = byNumber[f.Number]
      if k == "Name" then return rec.name end
      if k == "Color" then return Color3.fromRGB(rec.r, rec.g, rec.b) end
      if k == "r" then return Color3.fromRGB(rec.r, rec.g, rec.b).R end
      if k == "g" then return Color3.fromRGB(rec.r, rec.g, rec.b).G end
      if k == "b" then return Color3.fromRGB(rec.r, rec.g, rec.b).B end
    end,
    __tostring = function(v) return byNumber[DTField[v].Number].name end,
  })

  local function named(n) return function() load() return get(byNumber[n]) end end

  G.BrickColor = {
    new = function(a, g, b)
      load()
      local t = typeof(a)
      if t == "number" and g == nil then
        return get(byNumber[a] or byNumber[DEFAULT])
      elseif t == "string" then
        return get(byName[a] or byNumber[DEFAULT])
      elseif t == "Color3" then
        return nearest(a.R, a.G, a.B)
      elseif t == "number" then
        return nearest(a, argNum(g, 2, "new"), argNum(b, 3, "new"))
      end
      error(sformat("invalid argument #1 to 'new' (number, string or Color3 expected, got %s)", t), 2)
    end,
    palette = function(i)
      load()
      local rec = palette[argNum(i, 1, "palette")]
      if not rec then error("invalid argument #1 to 'palette' (index out of range: 0 to 127)", 2) end
      return get(rec)
    end,
    random = function()
      load()
      return get(palette[math.random(0, 127)])
    end,
    White = named(1), Gray = named(194), DarkGray = named(199), Black = named(26),
    Red = named(21), Yellow = named(24), Green = named(28), Blue = named(23),
  }

  -- A part's BrickColor is its Color seen through the palette, as in Roblox: setting it sets
  -- Color, reading it gives the nearest BrickColor of whatever Color holds.
  classes.BasePart.props.BrickColor = {
    check = typedCheck("BrickColor"),
    get = function(self) return G.BrickColor.new(self.Color) end,
    set = function(self, _, v) self.Color = v.Color end,
  }
  classes.Team.props.TeamColor = { default = nil, check = typedCheck("BrickColor") }
end
