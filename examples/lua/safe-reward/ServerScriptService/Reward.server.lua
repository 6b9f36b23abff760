local ReplicatedStorage = game:GetService("ReplicatedStorage") -- context
local remoteEvent = ReplicatedStorage:WaitForChild("PlayerAction") -- context
-- SAFE: server decides the reward based on its own game rules
remoteEvent.OnServerEvent:Connect(function(player, action)
if action == "defeatEnemy" then
local currentGold = player.leaderstats.Gold.Value
player.leaderstats.Gold.Value = currentGold + 50
end
end)
