-- Not in the seed: gives every player the leaderstats the seed's handler reads.
local Players = game:GetService("Players")
Players.PlayerAdded:Connect(function(player)
	local leaderstats = Instance.new("Folder")
	leaderstats.Name = "leaderstats"
	leaderstats.Parent = player
	local gold = Instance.new("IntValue")
	gold.Name = "Gold"
	gold.Value = 100
	gold.Parent = leaderstats
end)
