local Players = game:GetService("Players")
local ReplicatedStorage = game:GetService("ReplicatedStorage")
local chatMessage = ReplicatedStorage:WaitForChild("Remotes"):WaitForChild("ChatMessage")

chatMessage.OnClientEvent:Connect(function(senderName, text)
	if senderName == Players.LocalPlayer.Name then
		print("(me) " .. text)
	else
		print(senderName .. ": " .. text)
	end
end)

chatMessage:FireServer("Hello from " .. Players.LocalPlayer.Name .. "!")
chatMessage:FireServer({ "not", "a", "message" }) -- rejected by the server
