-- ---------------------------------------------------------------------------------------
-- Globals
-- ---------------------------------------------------------------------------------------
G.Instance = {
  new = function(className, parent)
    if type(className) == "string" then ensureClass(className) end
    local inst = newInstance(className)
    if parent ~= nil then inst.Parent = parent end
    return inst
  end,
}

G.task = {
  wait = H.task_wait, spawn = H.task_spawn, defer = H.task_defer, delay = H.task_delay,
  cancel = H.task_cancel,
  synchronize = function() end, desynchronize = function() end,
}
G.wait = H.wait
G.delay = H.task_delay
G.spawn = H.legacy_spawn
G.time = H.clock
G.elapsedTime = H.clock
G.shared = {}
G.warn = H.warn
G.print = H.print

