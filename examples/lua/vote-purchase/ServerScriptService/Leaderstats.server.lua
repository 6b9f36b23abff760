-- Not in the seed: the leaderstats.Coins the purchase logic reads (150: enough for one).
local Players = game:GetService("Players")
Players.PlayerAdded:Connect(function(player)
	local leaderstats = Instance.new("Folder")
	leaderstats.Name = "leaderstats"
	leaderstats.Parent = player
	local coins = Instance.new("IntValue")
	coins.Name = "Coins"
	coins.Value = 150
	coins.Parent = leaderstats
end)
