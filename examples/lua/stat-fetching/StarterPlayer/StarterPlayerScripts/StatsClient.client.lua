local ReplicatedStorage = game:GetService("ReplicatedStorage")
local getStat = ReplicatedStorage:WaitForChild("GetStat")

for _, name in ipairs({ "Gold", "Level", "Wins", "Speed" }) do
	local value, problem = getStat:InvokeServer(name)
	if value ~= nil then
		print(name .. " = " .. value)
	else
		print(name .. ": " .. problem)
	end
end

local ok, err = pcall(function()
	return getStat:InvokeServer(42)
end)
print("invalid request rejected:", not ok, err)
