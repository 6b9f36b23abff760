local ReplicatedStorage = game:GetService("ReplicatedStorage") -- context
local remoteEvent = ReplicatedStorage:WaitForChild("PlayerAction") -- context
-- Throttle events to at most once per half second
local lastFire = 0
local THROTTLE = 0.5
game:GetService("RunService").Heartbeat:Connect(function(deltaTime)
lastFire = lastFire + deltaTime
if lastFire >= THROTTLE then
lastFire = 0
remoteEvent:FireServer("positionUpdate", workspace.CurrentCamera.CFrame)
end
end)
