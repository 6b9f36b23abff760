-- A ModuleScript shared by both sides (ReplicatedStorage.Shared.Greeting).
local Greeting = {}

function Greeting.format(name, side)
	return string.format("hello %s, from the %s", name, side)
end

return Greeting
