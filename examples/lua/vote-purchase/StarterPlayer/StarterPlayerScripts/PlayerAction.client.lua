-- In a LocalScript (StarterPlayerScripts)
local ReplicatedStorage = game:GetService("ReplicatedStorage")
local playerAction = ReplicatedStorage:WaitForChild("PlayerAction")
-- Send a vote to the server
playerAction:FireServer("vote", "yes")
-- Listen for purchase result
playerAction.OnClientEvent:Connect(function(resultType, result)
if resultType == "purchaseResult" then
print("Purchase result: " .. result)
end
end)
