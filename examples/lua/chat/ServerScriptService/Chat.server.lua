-- A simple chat (the seed's first follow-up): clients send text through a RemoteEvent, the
-- server validates it (type, length, rate) and relays it to everyone with the sender's name.
local ReplicatedStorage = game:GetService("ReplicatedStorage")
local chatMessage = ReplicatedStorage:WaitForChild("Remotes"):WaitForChild("ChatMessage")

local MAX_LENGTH = 200
local MIN_INTERVAL = 0.25 -- seconds between two messages of one player
local lastMessageAt = {}

-- Client text is checked by length before any pattern touches it (a pattern like "%s+$" on a
-- long run of spaces is quadratic), and trimmed in linear time.
local function trim(text)
	local first = text:find("%S")
	if not first then
		return ""
	end
	local last = #text
	while text:find("^%s", last) do
		last = last - 1
	end
	return text:sub(first, last)
end

chatMessage.OnServerEvent:Connect(function(player, text)
	if typeof(text) ~= "string" then
		warn(player.Name .. " sent a " .. typeof(text) .. " instead of a message")
		return
	end
	if #text > MAX_LENGTH * 2 then
		warn(player.Name .. " sent a message of " .. #text .. " bytes (at most " .. MAX_LENGTH .. ")")
		return
	end
	text = trim(text)
	if text == "" or #text > MAX_LENGTH or text:find("[%z\1-\31\127]") then
		return -- empty, too long, or with control characters (a newline would fake a line)
	end
	local now = time()
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
