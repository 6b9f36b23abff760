-- In a Script (ServerScriptService)
local ReplicatedStorage = game:GetService("ReplicatedStorage")
local playerAction = Instance.new("RemoteEvent")
playerAction.Name = "PlayerAction"
playerAction.Parent = ReplicatedStorage
playerAction.OnServerEvent:Connect(function(player, action, value)
if action == "vote" then
-- Validate vote value
if value ~= "yes" and value ~= "no" then return end
print(player.Name .. " voted " .. value)
elseif action == "purchase" then
-- Server-side purchase logic
if player.leaderstats.Coins.Value >= 100 then
player.leaderstats.Coins.Value = player.leaderstats.Coins.Value - 100
playerAction:FireClient(player, "purchaseResult", "success")
else
playerAction:FireClient(player, "purchaseResult", "insufficient_funds")
end
end
end)
