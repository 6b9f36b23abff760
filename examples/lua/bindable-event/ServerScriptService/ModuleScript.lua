-- In a ModuleScript stored in ServerScriptService
local PlayerDied = Instance.new("BindableEvent")
return PlayerDied
