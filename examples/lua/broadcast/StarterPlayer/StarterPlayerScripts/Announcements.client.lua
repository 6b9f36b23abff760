-- Listens the same way as for FireClient, using OnClientEvent.
local ReplicatedStorage = game:GetService("ReplicatedStorage")
local remoteEvent = ReplicatedStorage:WaitForChild("PlayerAction")
remoteEvent.OnClientEvent:Connect(function(messageType, message)
if messageType == "event" then
print("Announcement: " .. message)
end
end)
