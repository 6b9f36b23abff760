-- The place tests/cli_hostile.py serves and attacks: what real places have. Remote events
-- with listeners, yielding invoke handlers, replicated values (about 1 MB in
-- ReplicatedStorage, leaderstats under every Player), a relay, a chat-like listener doing
-- string work, InvokeClient on every player, and a few remotes that exist to be abused
-- (Late, Spin, Hog). Stats returns the counters as "key=value" lines.
local Players = game:GetService("Players")
local ReplicatedStorage = game:GetService("ReplicatedStorage")

local function remote(class, name)
	local r = Instance.new(class)
	r.Name = name
	r.Parent = ReplicatedStorage
	return r
end

local stats = {
	actions = 0, fetches = 0, relays = 0, states = 0, chats = 0,
	pingAnswers = 0, pingErrors = 0, unreliable = 0, bigUnreliable = 0,
	spins = 0, hogs = 0,
}
local lateCount = {}

-- About 1 MB of replicated state: every joining player is sent all of it.
local world = Instance.new("Folder")
world.Name = "World"
local chunk = string.rep("x", 4000)
for i = 1, 256 do
	local v = Instance.new("StringValue")
	v.Name = "Chunk" .. i
	v.Value = chunk
	v.Parent = world
end
world.Parent = ReplicatedStorage
local tick = Instance.new("IntValue")
tick.Name = "Tick"
tick.Parent = ReplicatedStorage

Players.PlayerAdded:Connect(function(player)
	local leaderstats = Instance.new("Folder")
	leaderstats.Name = "leaderstats"
	local score = Instance.new("IntValue")
	score.Name = "Score"
	score.Parent = leaderstats
	leaderstats.Parent = player
end)

local action = remote("RemoteEvent", "Action")
action.OnServerEvent:Connect(function(player, n)
	stats.actions += 1
	local leaderstats = player:FindFirstChild("leaderstats")
	if leaderstats then
		leaderstats.Score.Value += 1
	end
end)

local echo = remote("RemoteFunction", "Echo")
echo.OnServerInvoke = function(player, x)
	return x
end

local fetch = remote("RemoteFunction", "Fetch")
fetch.OnServerInvoke = function(player, x)
	task.wait(0.05) -- a handler that yields, as data-store lookups do
	stats.fetches += 1
	return x
end

-- The relay: everyone hears who said what.
local relay = remote("RemoteEvent", "Relay")
relay.OnServerEvent:Connect(function(player, ...)
	stats.relays += 1
	relay:FireAllClients(player.Name, player.UserId, ...)
end)

local state = remote("RemoteEvent", "State")
state.OnServerEvent:Connect(function(player, s)
	stats.states += 1
	state:FireAllClients(player, s)
end)

-- Chat-like: string work on what the client sent (errors when it is not a string).
local chat = remote("RemoteEvent", "Chat")
local lastChat = ""
chat.OnServerEvent:Connect(function(player, text)
	local clean = text:upper():gsub("%s+", " ")
	lastChat = clean:sub(1, 40)
	stats.chats += 1
end)

local move = remote("UnreliableRemoteEvent", "Move")
move.OnServerEvent:Connect(function(player, data)
	stats.unreliable += 1
	if type(data) == "string" and #data > 1000 then
		stats.bigUnreliable += 1
	end
end)

remote("RemoteEvent", "Unheard") -- nobody ever listens: its queue overflows

-- Late: nothing listens until OpenLate is invoked; then events are counted per sender.
local late = remote("RemoteEvent", "Late")
local openLate = remote("RemoteFunction", "OpenLate")
local lateConnection
openLate.OnServerInvoke = function()
	if not lateConnection then
		lateConnection = late.OnServerEvent:Connect(function(player)
			lateCount[player.Name] = (lateCount[player.Name] or 0) + 1
		end)
	end
	return true
end

-- A listener that spins (run with --script-timeout) and one that allocates without bound
-- (run with --memory-limit).
local spin = remote("RemoteEvent", "Spin")
spin.OnServerEvent:Connect(function()
	stats.spins += 1
	while true do
	end
end)

local hog = remote("RemoteEvent", "Hog")
hog.OnServerEvent:Connect(function()
	stats.hogs += 1
	-- 100 KB a step, so the 64 MB cap comes well before the 1 s script timeout
	local t = {}
	local i = 0
	while true do
		i += 1
		t[i] = string.rep("y", 100000) .. i
	end
end)

-- The same with many small objects (1 KB strings): the cap or the script timeout comes
-- first, either way the state must recover.
local hogSmall = remote("RemoteEvent", "HogSmall")
hogSmall.OnServerEvent:Connect(function()
	stats.hogs += 1
	local t = {}
	local i = 0
	while true do
		i += 1
		t[i] = string.rep("y", 1000) .. i
	end
end)

-- InvokeClient on every player each second (one call in flight per player).
local ping = remote("RemoteFunction", "Ping")
local pinging = {}
task.spawn(function()
	local n = 0
	while true do
		task.wait(1)
		tick.Value += 1
		for _, player in ipairs(Players:GetPlayers()) do
			if not pinging[player] then
				pinging[player] = true
				n += 1
				task.spawn(function()
					local ok, err = pcall(ping.InvokeClient, ping, player, n)
					if ok then
						stats.pingAnswers += 1
					else
						stats.pingErrors += 1
						stats.lastPingError = tostring(err):sub(1, 120):gsub("\n", " ")
					end
					pinging[player] = nil
				end)
			end
		end
	end
end)

local statsFn = remote("RemoteFunction", "Stats")
statsFn.OnServerInvoke = function()
	local lines = {}
	for k, v in pairs(stats) do
		table.insert(lines, k .. "=" .. tostring(v))
	end
	for name, count in pairs(lateCount) do
		table.insert(lines, "late." .. name .. "=" .. count)
	end
	table.insert(lines, "players=" .. #Players:GetPlayers())
	table.sort(lines)
	return table.concat(lines, "\n")
end

print("hostile place ready")
