-- In a LocalScript (client-side)
local ReplicatedStorage = game:GetService("ReplicatedStorage")
local remoteFunction = ReplicatedStorage:WaitForChild("GetPlayerData")
-- This line yields until the server responds
local goldValue = remoteFunction:InvokeServer("Gold")
print("Player gold:", goldValue)
