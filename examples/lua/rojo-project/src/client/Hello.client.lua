local Players = game:GetService("Players")
local ReplicatedStorage = game:GetService("ReplicatedStorage")
local Greeting = require(ReplicatedStorage:WaitForChild("Shared"):WaitForChild("Greeting"))
local greet = ReplicatedStorage:WaitForChild("Remotes"):WaitForChild("Greet")

print(Greeting.format(Players.LocalPlayer.Name, "client"))
print(greet:InvokeServer())
print("script is " .. script:GetFullName())
