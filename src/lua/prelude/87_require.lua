-- ---------------------------------------------------------------------------------------
-- require (once per side per ModuleScript, same value to every caller)
-- ---------------------------------------------------------------------------------------
local makeEnv

G.require = function(m)
  local d = Inst[m]
  if not d or d.ClassName ~= "ModuleScript" then
    error("Attempted to call require with invalid argument(s).", 2)
  end
  if d.modState == "done" then return d.modValue end
  if d.modState == "error" then error("Requested module experienced an error while loading", 2) end
  if d.modState == "loading" then
    local co = coroutine.running()
    if co == d.modThread or not co then error("Requested module was required recursively", 2) end
    d.modWaiters = d.modWaiters or {}
    tinsert(d.modWaiters, { co, H.park(false) })
    coroutine.yield()
    if d.modState ~= "done" then error("Requested module experienced an error while loading", 2) end
    return d.modValue
  end
  d.modState = "loading"
  d.modThread = coroutine.running()
  local fn, err = compile(m, d)
  local r
  if fn then
    setfenv(fn, makeEnv(m))
    r = pack(pcall(fn))
    if not r[1] then err = r[2] end
  end
  local ws = d.modWaiters
  d.modWaiters = nil
  if err ~= nil then
    d.modState = "error"
    H.report_error(tostring(err))
    if ws then for _, w in ipairs(ws) do H.wake(w[1], w[2]) end end
    error("Requested module experienced an error while loading", 2)
  end
  if r.n ~= 2 then
    d.modState = "error"
    if ws then for _, w in ipairs(ws) do H.wake(w[1], w[2]) end end
    error("Module code did not return exactly one value", 2)
  end
  d.modState = "done"
  d.modValue = r[2]
  if ws then for _, w in ipairs(ws) do H.wake(w[1], w[2]) end end
  return d.modValue
end

makeEnv = function(scriptInst)
  return setmetatable({ script = scriptInst }, { __index = G })
end

local function runScript(inst)
  local d = Inst[inst]
  if d.props.Disabled then return end
  local fn, err = compile(inst, d)
  if not fn then
    H.report_error(err)
    return
  end
  setfenv(fn, makeEnv(inst))
  H.task_spawn(fn)
end

