-- In a Script (server-side)
local ReplicatedStorage = game:GetService("ReplicatedStorage")
local remoteEvent = ReplicatedStorage:WaitForChild("PlayerAction")
remoteEvent.OnServerEvent:Connect(function(player, action, value)
-- player is the Roblox Player object who sent this
print(player.Name .. " performed " .. action .. " with value " .. value)
end)
