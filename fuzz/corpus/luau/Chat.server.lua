-- A simple chat (the seed's first follow-up): clients send text through a RemoteEvent, the
-- server validates it (type, length, rate) and relays it to everyone with the sender's name.
local ReplicatedStorage = game:GetService("ReplicatedStorage")
local chatMessage = ReplicatedStorage:WaitForChild("Remotes"):WaitForChild("ChatMessage")

local MAX_LENGTH = 200
local MIN_INTERVAL = 0.25 -- seconds between two messages of one player
local lastMessageAt = {}

chatMessage.OnServerEvent:Connect(function(player, text)
	if typeof(text) ~= "string" then
		warn(player.Name .. " sent a " .. typeof(text) .. " instead of a message")
		return
	end
	text = text:gsub("^%s+", ""):gsub("%s+$", "")
	if text == "" or #text > MAX_LENGTH then
		return
	end
	local now = os.clock()
	if lastMessageAt[player] and now - lastMessageAt[player] < MIN_INTERVAL then
		warn(player.Name .. " is sending messages too fast")
		return
	end
	lastMessageAt[player] = now
	print(player.Name .. ": " .. text)
	chatMessage:FireAllClients(player.Name, text)
end)

game:GetService("Players").PlayerRemoving:Connect(function(player)
	lastMessageAt[player] = nil
	print(player.Name .. " left the chat")
end)
