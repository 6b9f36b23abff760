-- Not in the seed: a shop button pressed twice, so the seed's purchase path runs
-- (150 coins: the first purchase succeeds, the second finds insufficient funds).
local ReplicatedStorage = game:GetService("ReplicatedStorage")
local playerAction = ReplicatedStorage:WaitForChild("PlayerAction")
playerAction:FireServer("purchase")
playerAction:FireServer("purchase")
