#!/usr/bin/env python3
"""lua_idle.py - the idle rule of `remotes join` at its boundary: a LocalScript that sleeps
exactly --idle seconds and then connects OnClientEvent gets the events the server queued for
it before; one that sleeps --idle seconds and then asks the server gets the answer. A client
whose thread just ran is never idle.

Env: REMOTES_BIN (build dir holding `remotes`), REMOTES_SOURCE_DIR (unused).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no tests/__pycache__ in the source tree
from harness import check, finish, run, show, write  # noqa: E402


server = write("news.server.lua", r'''
local RS = game:GetService("ReplicatedStorage")
local news = Instance.new("RemoteEvent")
news.Name = "News"
news.Parent = RS
local ask = Instance.new("RemoteEvent")
ask.Name = "Ask"
ask.Parent = RS
game:GetService("Players").PlayerAdded:Connect(function(p)
  for i = 1, 3 do news:FireClient(p, "news " .. i) end
end)
ask.OnServerEvent:Connect(function(p, q) ask:FireClient(p, "answer to " .. q) end)
''')

for idle in ("1", "0.5"):
    late = write("late%s.client.lua" % idle, r'''
local news = game:GetService("ReplicatedStorage"):WaitForChild("News")
task.wait(%s) -- exactly the idle window: the timer is due when the client could leave
news.OnClientEvent:Connect(function(s) print("got " .. s) end)
''' % idle)
    asker = write("asker%s.client.lua" % idle, r'''
local ask = game:GetService("ReplicatedStorage"):WaitForChild("Ask")
ask.OnClientEvent:Connect(function(s) print(s) end)
task.wait(%s)
ask:FireServer("question")
''' % idle)
    for attempt in range(3):
        rc, out, err = run(["play", server, late, "--clients", "1", "--idle", idle])
        detail = show(rc, out, err)
        check("idle %s, connect after the window (run %d): every queued event arrives" %
              (idle, attempt + 1),
              rc == 0 and all("[Player1] got news %d" % i in out for i in (1, 2, 3)), detail)
        rc, out, err = run(["play", server, asker, "--clients", "1", "--idle", idle])
        detail = show(rc, out, err)
        check("idle %s, ask after the window (run %d): the answer arrives" % (idle, attempt + 1),
              rc == 0 and "[Player1] answer to question" in out, detail)

finish()
