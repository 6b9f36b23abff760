-- In a Script (server-side)
local ReplicatedStorage = game:GetService("ReplicatedStorage")
local remoteFunction = ReplicatedStorage:WaitForChild("GetPlayerData")
remoteFunction.OnServerInvoke = function(player, dataKey)
-- Validate the request on the server side
if typeof(dataKey) ~= "string" then
return nil
end
local leaderstats = player:FindFirstChild("leaderstats")
if leaderstats then
local stat = leaderstats:FindFirstChild(dataKey)
if stat then
return stat.Value
end
end
return nil
end
