-- The seed's "Sending from Server to Client". Context lines (marked) supply what the
-- snippet assumes: the remote, and a player (the seed's "get a player somehow").
local ReplicatedStorage = game:GetService("ReplicatedStorage") -- context
local remoteEvent = ReplicatedStorage:WaitForChild("PlayerAction") -- context
game:GetService("Players").PlayerAdded:Connect(function(player) -- context: the player
-- In a Script (server-side)
remoteEvent:FireClient(player, "notification", "You earned a badge!")
end) -- context
