-- Context (marked): the seed writes `path.to.ModuleScript` for "wherever the module is";
-- here it is ServerScriptService.ModuleScript. A joining player plays the one who died.
local path = { to = script.Parent } -- context
game:GetService("Players").PlayerAdded:Connect(function(playerWhoDied) -- context
-- In Script A (dealing damage)
local PlayerDied = require(path.to.ModuleScript)
PlayerDied:Fire(playerWhoDied)
end) -- context
