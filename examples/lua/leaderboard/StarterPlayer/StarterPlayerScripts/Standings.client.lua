-- Not in the seed: prints the standings this client sees after each round, reading every
-- player's leaderstats as replicated (the server never sends them in a remote).
local Players = game:GetService("Players")
local ReplicatedStorage = game:GetService("ReplicatedStorage")

local round = ReplicatedStorage:WaitForChild("Round")
local status = ReplicatedStorage:WaitForChild("Status")

local function standings()
	local rows = {}
	for _, player in ipairs(Players:GetPlayers()) do
		local leaderstats = player:FindFirstChild("leaderstats")
		if leaderstats then
			table.insert(rows, { name = player.Name, gold = leaderstats.Gold.Value })
		end
	end
	table.sort(rows, function(a, b)
		if a.gold ~= b.gold then
			return a.gold > b.gold
		end
		return a.name < b.name
	end)
	return rows
end

round.Changed:Connect(function(r)
	local parts = {}
	for _, row in ipairs(standings()) do
		table.insert(parts, row.name .. " " .. row.gold)
	end
	print("round " .. r .. ": " .. table.concat(parts, ", "))
end)

status.Changed:Connect(function(s)
	if s == "over" then
		local top = standings()[1]
		print("final leader: " .. top.name .. " with " .. top.gold .. " Gold")
	end
end)
