-- The seed's FireAllClients line. Context (marked): start the round half a second after the
-- first player joined, so every player of `remotes play --clients N` is there to hear it.
local ReplicatedStorage = game:GetService("ReplicatedStorage") -- context
local remoteEvent = ReplicatedStorage:WaitForChild("PlayerAction") -- context
game:GetService("Players").PlayerAdded:Wait() -- context
task.wait(0.5) -- context
remoteEvent:FireAllClients("event", "A new round is starting!")
print("round announced to " .. #game:GetService("Players"):GetPlayers() .. " players") -- context
