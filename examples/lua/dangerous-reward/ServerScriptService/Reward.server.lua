local ReplicatedStorage = game:GetService("ReplicatedStorage") -- context
local remoteEvent = ReplicatedStorage:WaitForChild("PlayerAction") -- context
-- DANGEROUS: trusting the client directly
remoteEvent.OnServerEvent:Connect(function(player, goldAmount)
player.leaderstats.Gold.Value = goldAmount
end)
