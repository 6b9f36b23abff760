-- Not in the seed: leaderstats with Gold, and a line each time Gold changes.
local Players = game:GetService("Players")
Players.PlayerAdded:Connect(function(player)
	local leaderstats = Instance.new("Folder")
	leaderstats.Name = "leaderstats"
	leaderstats.Parent = player
	local gold = Instance.new("IntValue")
	gold.Name = "Gold"
	gold.Parent = leaderstats
	gold.Changed:Connect(function(value)
		print(player.Name .. " now has " .. value .. " gold")
	end)
end)
