local ReplicatedStorage = game:GetService("ReplicatedStorage") -- context (from the first snippet)
-- In a LocalScript (client-side)
local remoteEvent = ReplicatedStorage:WaitForChild("PlayerAction")
remoteEvent.OnClientEvent:Connect(function(messageType, message)
if messageType == "notification" then
print("Server notification: " .. message)
end
end)
