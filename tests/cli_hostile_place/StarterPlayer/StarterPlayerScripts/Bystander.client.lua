-- A `remotes join` bystander in tests/cli_hostile.py: it hears every relay and answers the
-- server's InvokeClient while attackers do their worst. It prints only when something new
-- happens (the largest relay so far), so its output stays small.
local ReplicatedStorage = game:GetService("ReplicatedStorage")
local relay = ReplicatedStorage:WaitForChild("Relay")
local state = ReplicatedStorage:WaitForChild("State")
local ping = ReplicatedStorage:WaitForChild("Ping")
local world = ReplicatedStorage:WaitForChild("World")

local largest = 0
relay.OnClientEvent:Connect(function(...)
	local n = select("#", ...)
	if n > largest then
		largest = n
		print("relay with " .. n .. " arguments")
	end
end)

local states = 0
state.OnClientEvent:Connect(function(player, s)
	states += 1
	if states == 1 then
		print("first relayed state from " .. tostring(player) .. ": " .. typeof(s))
	end
end)

ping.OnClientInvoke = function(n)
	return "pong", n
end

print("bystander joined; World has " .. #world:GetChildren() .. " values")
