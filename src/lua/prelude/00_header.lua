-- 00_header.lua, first part of the prelude (src/lua/prelude/*.lua, one Lua chunk in the order
-- of the file names; a part sees the locals of the parts before it).
-- The prelude is the Roblox object model of the Lua host (instances, signals, services, places,
-- require) over the C primitives in H. Embedded into C at build time; must never touch sockets.
local H = ...
local G = _G
local SIDE = H.side -- "server" or "client"
local IS_SERVER = SIDE == "server"

local type, pairs, ipairs, tostring, error, select, setmetatable, rawget =
  type, pairs, ipairs, tostring, error, select, setmetatable, rawget
local sformat, tinsert, tremove, tsort = string.format, table.insert, table.remove, table.sort
local unpack = unpack
local loadstring = loadstring -- the raw one: scripts are translated before it (compile)

local function pack(...) return { n = select("#", ...), ... } end

-- Luau never runs __gc: a finalizer that raises would abort whichever crossing's allocation
-- happened to step the collector (src/lua/guard.c). A proxy's metatable ignores __gc.
do
  local rawnewproxy, rawsetmt, rawgetmt, rawset = newproxy, setmetatable, getmetatable, rawset
  local noGc = { __newindex = function(t, k, v) if k ~= "__gc" then rawset(t, k, v) end end }
  G.newproxy = function(arg)
    local p = rawnewproxy(arg)
    if arg == true then rawsetmt(rawgetmt(p), noGc) end
    return p
  end
end

-- The interrupt check the translator puts atop every loop and function body of a script
-- (src/lua/guard.c says why it is an FFI call and not a debug hook). Only every 64th check
-- calls into C; the host answers 0 (go on), 1 (script timeout), 2 (stop) or 3 (collect
-- garbage now: LuaJIT has no emergency collection before the memory cap). After an error
-- every check asks again, so a pcall that catches it cannot spin on.
do
  local ffi = require("ffi")
  -- the host pointer as cdata: a light userdata argument would keep the call out of traces
  local poll, hostp = ffi.cast("int (*)(void *)", H.poll_fn), ffi.cast("void *", H.host_ptr)
  local raise, collect = H.interrupt_error, H.collect_now
  local n = 0
  G.__rmt_chk = function()
    n = n + 1
    if n >= 64 then
      n = 0
      local r = poll(hostp)
      if r ~= 0 then
        if r == 3 then
          collect()
        else
          n = 64
          raise(r)
        end
      end
    end
  end
end

local hooks = {}

