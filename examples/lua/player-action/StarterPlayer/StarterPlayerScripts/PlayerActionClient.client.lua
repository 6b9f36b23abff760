-- In a LocalScript (client-side)
local ReplicatedStorage = game:GetService("ReplicatedStorage")
local remoteEvent = ReplicatedStorage:WaitForChild("PlayerAction")
-- Fire the event to the server with some data
remoteEvent:FireServer("jump", 150)
