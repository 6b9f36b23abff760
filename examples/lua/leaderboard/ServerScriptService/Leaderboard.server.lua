-- Not in the seed: its leaderstats, replicated. The server awards Gold each round; clients
-- never ask for it, they read every player's leaderstats from their own copy of the game.
local Players = game:GetService("Players")
local ReplicatedStorage = game:GetService("ReplicatedStorage")

local round = Instance.new("IntValue")
round.Name = "Round"
round.Parent = ReplicatedStorage

local status = Instance.new("StringValue")
status.Name = "Status"
status.Value = "waiting"
status.Parent = ReplicatedStorage

Players.PlayerAdded:Connect(function(player)
	local leaderstats = Instance.new("Folder")
	leaderstats.Name = "leaderstats"
	leaderstats.Parent = player

	local gold = Instance.new("IntValue")
	gold.Name = "Gold"
	gold.Value = 0
	gold.Parent = leaderstats
end)

-- An intermission that lasts until players stop joining for 0.3 s.
Players.PlayerAdded:Wait()
local count
repeat
	count = #Players:GetPlayers()
	task.wait(0.3)
until #Players:GetPlayers() == count

status.Value = "playing"
for r = 1, 3 do
	-- 10 Gold per place in name order, so the standings are the same every run
	local players = Players:GetPlayers()
	table.sort(players, function(a, b) return a.Name < b.Name end)
	for i, player in ipairs(players) do
		local gold = player.leaderstats.Gold
		gold.Value = gold.Value + 10 * i
	end
	-- set after the awards: a client sees this round's Gold when Round changes
	round.Value = r
	print("round " .. r .. " awarded")
	task.wait(0.3)
end
status.Value = "over"
