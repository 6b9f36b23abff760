-- init.server.lua makes the folder src/server itself a Script named "Server".
local ReplicatedStorage = game:GetService("ReplicatedStorage")
local Greeting = require(ReplicatedStorage.Shared.Greeting)
local Config = require(script.Config)

print("gravity " .. workspace.Gravity .. ", spawn height " .. workspace.SpawnHeight.Value)
ReplicatedStorage.Remotes.Greet.OnServerInvoke = function(player)
	return Greeting.format(player.Name, "server"), Config.motd
end
