-- Not in the seed: shows the throttled updates arriving (about two per second).
local ReplicatedStorage = game:GetService("ReplicatedStorage")
local remoteEvent = ReplicatedStorage:WaitForChild("PlayerAction")
remoteEvent.OnServerEvent:Connect(function(player, action, cframe)
	if action == "positionUpdate" and typeof(cframe) == "CFrame" then
		print(player.Name .. " camera at " .. tostring(cframe.Position))
	end
end)
