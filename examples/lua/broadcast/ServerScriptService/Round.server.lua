-- The seed's FireAllClients line. Context (marked): an intermission that lasts until players
-- stop joining for 0.3 s, so every player of `remotes play --clients N` hears it.
local Players = game:GetService("Players") -- context
local ReplicatedStorage = game:GetService("ReplicatedStorage") -- context
local remoteEvent = ReplicatedStorage:WaitForChild("PlayerAction") -- context
Players.PlayerAdded:Wait() -- context
local count -- context
repeat -- context
	count = #Players:GetPlayers() -- context
	task.wait(0.3) -- context
until #Players:GetPlayers() == count -- context
remoteEvent:FireAllClients("event", "A new round is starting!")
print("round announced to " .. #Players:GetPlayers() .. " players") -- context
