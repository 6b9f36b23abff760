local path = { to = script.Parent } -- context: see ScriptA
-- In Script B (handling death effects)
local PlayerDied = require(path.to.ModuleScript)
PlayerDied.Event:Connect(function(player)
print(player.Name .. " has died")
-- spawn death screen, respawn timer, etc.
end)
