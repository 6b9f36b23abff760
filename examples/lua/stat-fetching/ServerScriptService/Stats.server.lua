-- Stat fetching over a RemoteFunction (the seed's second follow-up): the client asks for any
-- stat by name; the server validates the request, may yield (a pretend data store read) and
-- answers, or raises an error that reaches the client's InvokeServer.
local Players = game:GetService("Players")
local ReplicatedStorage = game:GetService("ReplicatedStorage")
local getStat = ReplicatedStorage:WaitForChild("GetStat")

Players.PlayerAdded:Connect(function(player)
	local leaderstats = Instance.new("Folder")
	leaderstats.Name = "leaderstats"
	leaderstats.Parent = player
	for name, value in pairs({ Gold = 250, Level = 7, Wins = 3 }) do
		local stat = Instance.new("IntValue")
		stat.Name = name
		stat.Value = value
		stat.Parent = leaderstats
	end
end)

getStat.OnServerInvoke = function(player, statName)
	if typeof(statName) ~= "string" then
		error("stat name must be a string, got " .. typeof(statName))
	end
	task.wait(0.05) -- a data store read would yield here; other requests keep being served
	local stat = player.leaderstats:FindFirstChild(statName)
	if not stat then
		return nil, "no stat named " .. statName
	end
	return stat.Value
end
