#!/usr/bin/env python3
"""lua_replication.py - replication of the server's state to clients through `remotes play` /
`serve` + `join` as separate processes over loopback: what a client sees at join and as it
changes (.Changed, ChildAdded, ChildRemoved, attributes, DescendantAdded, WaitForChild), one
Instance per folder whether it came from a remote's path or from replication, ServerStorage
never leaving the server, ordering against remote events, the read-only rule, a late joiner,
and the leaderboard example.

Env: REMOTES_BIN (build dir holding `remotes`), REMOTES_SOURCE_DIR (source tree).
Each player's lines must come in the given order; the server's are compared as a multiset.
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no tests/__pycache__ in the source tree
from harness import BIN, SRC, by_origin, check, finish, run, show, write  # noqa: E402


def write_place(root, files):
    for rel, text in files.items():
        write(rel, text, root)


def expect(name, rc, out, err, stdout, stderr=()):
    detail = show(rc, out, err)
    check(name + " exit status", rc == 0, detail)
    check(name + " stdout", by_origin(out) == by_origin(stdout), detail)
    check(name + " stderr", by_origin(err) == by_origin(stderr), detail)


def play(args, timeout=60):
    return run(["play"] + args, timeout)


def both(lines):
    return ["[Player%d] %s" % (i, line) for i in (1, 2) for line in lines]


# ---- 1. what a client sees at join, then as it changes ----
TREE = {
    "ReplicatedStorage/Remotes/Ready.model.json": '{"ClassName": "RemoteEvent"}',
    "ReplicatedStorage/Remotes/Motd.txt": "hello",
    "ReplicatedStorage/Shared.lua": 'return { greeting = "hi from a module" }\n',
    "Workspace/Spawn.model.json": '{"ClassName": "Part", "Properties": {"Anchored": true}}',
    "ServerStorage/Loot.model.json":
        '{"ClassName": "Folder", "Children": [{"ClassName": "IntValue", "Name": "Coins",'
        ' "Properties": {"Value": 5}}]}',
    "ServerScriptService/Main.server.lua": r'''
local Players = game:GetService("Players")
local RS = game:GetService("ReplicatedStorage")
local SS = game:GetService("ServerStorage")
local state = Instance.new("Folder")
state.Name = "State"
local round = Instance.new("IntValue", state)
round.Name = "Round"
local target = Instance.new("ObjectValue", state)
target.Name = "Target"
target.Value = workspace.Spawn
local hidden = Instance.new("ObjectValue", state)
hidden.Name = "Hidden"
hidden.Value = SS.Loot
state:SetAttribute("Phase", "lobby")
state.Parent = RS
Instance.new("Folder", game:GetService("ServerScriptService")).Name = "NeverSeen"
Players.PlayerAdded:Connect(function(p)
  local ls = Instance.new("Folder")
  ls.Name = "leaderstats"
  local gold = Instance.new("IntValue", ls)
  gold.Name = "Gold"
  ls.Parent = p
end)
local ready = 0
RS.Remotes.Ready.OnServerEvent:Connect(function(p)
  ready = ready + 1
  if ready < 2 then return end
  for i = 1, 10 do round.Value = i end -- one tick: the clients get the last one only
  state:SetAttribute("Phase", "playing")
  state:SetAttribute("Seed", 7)
  local best = Instance.new("ObjectValue")
  best.Name = "Best"
  best.Value = p
  best.Parent = state
  SS.Loot.Parent = RS -- into a replicated container: with its subtree
  for _, pl in ipairs(Players:GetPlayers()) do pl.leaderstats.Gold.Value = 100 end
  task.wait(0.2)
  RS.Loot.Coins.Value = 8
  task.wait(0.2)
  RS.Loot.Parent = SS -- out again: gone on the clients
  round.Name = "Level"
  state:SetAttribute("Seed", nil)
  task.wait(0.2)
  state:Destroy()
end)
''',
    "StarterPlayer/StarterPlayerScripts/Main.client.lua": r'''
local RS = game:GetService("ReplicatedStorage")
local Players = game:GetService("Players")
local me = Players.LocalPlayer
local state = RS:WaitForChild("State")
local round = state:WaitForChild("Round")
print("module", require(RS:WaitForChild("Shared")).greeting)
print("remotes folder", RS.Remotes.Motd.Value, #RS.Remotes:GetChildren(), #RS:GetChildren())
print("round", round.Value, state:GetAttribute("Phase"))
print("target", state.Target.Value == workspace.Spawn, state.Target.Value.Anchored)
print("hidden", state.Hidden.Value)
print("server only", RS:FindFirstChild("Loot"),
  game:GetService("ServerStorage"):FindFirstChild("Loot"),
  game:GetService("ServerScriptService"):FindFirstChild("NeverSeen"))
local gold = me:WaitForChild("leaderstats"):WaitForChild("Gold")
print("gold", gold.Value)
round.Changed:Connect(function(v) print("round changed", v) end)
round:GetPropertyChangedSignal("Name"):Connect(function() print("renamed", round.Name) end)
state:GetAttributeChangedSignal("Phase"):Connect(function()
  print("phase", state:GetAttribute("Phase"))
end)
state.AttributeChanged:Connect(function(n) print("attribute changed", n, state:GetAttribute(n)) end)
state.ChildAdded:Connect(function(c)
  print("state child", c.Name, typeof(c.Value), c.Value.Parent == Players)
end)
state.Destroying:Connect(function() print("state destroying") end)
RS.ChildAdded:Connect(function(c) print("added", c.Name, c.ClassName) end)
RS.ChildRemoved:Connect(function(c) print("removed", c.Name) end)
RS.DescendantAdded:Connect(function(c)
  if c.Name == "Coins" then print("descendant", c:GetFullName(), c.Value) end
end)
gold.Changed:Connect(function(v) print("gold changed", v) end)
RS.Remotes.Ready:FireServer()
local loot = RS:WaitForChild("Loot")
loot:WaitForChild("Coins").Changed:Connect(function(v) print("coins", v) end)
''',
}

with tempfile.TemporaryDirectory() as tmp:
    write_place(tmp, TREE)
    rc, out, err = play([tmp, "--clients", "2", "--idle", "1.5"])
    expect("join state and changes", rc, out, err, both([
        "module hi from a module",
        "remotes folder hello 2 3",
        "round 0 lobby",
        "target true true",
        "hidden nil",
        "server only nil nil nil",
        "gold 0",
        "round changed 10",
        "attribute changed Phase playing",
        "phase playing",
        "attribute changed Seed 7",
        "state child Best Instance true",
        "added Loot Folder",
        "descendant ReplicatedStorage.Loot.Coins 5",
        "gold changed 100",
        "coins 8",
        "removed Loot",
        "renamed Level",
        "attribute changed Seed nil",
        "state destroying",
        "removed State",
    ]))

# ---- 2. ordering against remote events, and the read-only rule ----
ORDER = {
    "ServerScriptService/Rounds.server.lua": r'''
local Players = game:GetService("Players")
local RS = game:GetService("ReplicatedStorage")
local ready = Instance.new("RemoteEvent")
ready.Name = "Ready"
ready.Parent = RS
local award = Instance.new("RemoteEvent")
award.Name = "Award"
award.Parent = RS
Players.PlayerAdded:Connect(function(p)
  local ls = Instance.new("Folder")
  ls.Name = "leaderstats"
  ls.Parent = p
  local gold = Instance.new("IntValue")
  gold.Name = "Gold"
  gold.Parent = ls
end)
local n = 0
ready.OnServerEvent:Connect(function()
  n = n + 1
  if n < 2 then return end
  for _, p in ipairs(Players:GetPlayers()) do
    print("server sees", p.Name, p.leaderstats.Gold.Value)
  end
  award:FireAllClients(0)
  for r = 1, 5 do
    -- set, then fire at once: each client's listener must read these values
    Players.Player1.leaderstats.Gold.Value = r * 10
    Players.Player2.leaderstats.Gold.Value = r * 10 + 1
    award:FireAllClients(r)
    task.wait(0.05)
  end
end)
''',
    "StarterPlayer/StarterPlayerScripts/Standings.client.lua": r'''
local Players = game:GetService("Players")
local RS = game:GetService("ReplicatedStorage")
local me = Players.LocalPlayer
for _, name in ipairs({ "Player1", "Player2" }) do
  Players:WaitForChild(name):WaitForChild("leaderstats"):WaitForChild("Gold")
end
print("players", #Players:GetPlayers())
if me.Name == "Player1" then
  -- an exploiter's edit: allowed locally, never sent
  me.leaderstats.Gold.Value = 1e9
  print("local gold", me.leaderstats.Gold.Value)
end
RS:WaitForChild("Award").OnClientEvent:Connect(function(r)
  print("round", r, "Player1=" .. Players.Player1.leaderstats.Gold.Value,
    "Player2=" .. Players.Player2.leaderstats.Gold.Value)
end)
RS:WaitForChild("Ready"):FireServer()
''',
}

with tempfile.TemporaryDirectory() as tmp:
    write_place(tmp, ORDER)
    rc, out, err = play([tmp, "--clients", "2"])
    rounds = ["round %d Player1=%d Player2=%d" % (r, r * 10, r * 10 + 1) for r in range(1, 6)]
    expect("ordering and read-only", rc, out, err,
           ["[Server] server sees Player1 0", "[Server] server sees Player2 0",
            "[Player1] players 2", "[Player1] local gold 1000000000",
            "[Player1] round 0 Player1=1000000000 Player2=0"] +
           ["[Player1] " + x for x in rounds] +
           ["[Player2] players 2", "[Player2] round 0 Player1=0 Player2=0"] +
           ["[Player2] " + x for x in rounds])

# ---- 3. a late joiner: the current state first, then changes ----
LATE = {
    "ServerScriptService/Late.server.lua": r'''
local Players = game:GetService("Players")
local RS = game:GetService("ReplicatedStorage")
local advance = Instance.new("RemoteEvent", RS)
advance.Name = "Advance"
local bye = Instance.new("RemoteEvent", RS)
bye.Name = "Bye"
local stage = Instance.new("StringValue")
stage.Name = "Stage"
stage.Value = "start"
stage.Parent = RS
Players.PlayerAdded:Connect(function(p)
  local ls = Instance.new("Folder", p)
  ls.Name = "leaderstats"
  local gold = Instance.new("IntValue", ls)
  gold.Name = "Gold"
end)
local steps = 0
advance.OnServerEvent:Connect(function(p)
  steps = steps + 1
  stage.Value = "step" .. steps
  p.leaderstats.Gold.Value = p.leaderstats.Gold.Value + 10
  local marker = Instance.new("BoolValue", RS)
  marker.Name = "Marker" .. steps
  marker.Value = true
  if steps == 4 then bye:FireAllClients() end
end)
''',
    "StarterPlayer/StarterPlayerScripts/Late.client.lua": r'''
local Players = game:GetService("Players")
local RS = game:GetService("ReplicatedStorage")
local me = Players.LocalPlayer
local stage = RS:WaitForChild("Stage")
RS:WaitForChild("Bye").OnClientEvent:Connect(function()
  local names = {}
  for _, p in ipairs(Players:GetPlayers()) do names[#names + 1] = p.Name end
  table.sort(names)
  print("bye", stage.Value, table.concat(names, " "))
end)
if me.Name == "Player1" then
  Players.PlayerAdded:Connect(function(p) print("player added", p.Name) end)
  stage.Changed:Connect(function(v) print("stage", v) end)
  for i = 1, 3 do
    RS.Advance:FireServer()
    task.wait(0.1) -- one step per server tick: three changes, not one coalesced
  end
else
  -- joined late: everything so far is here before any script runs
  print("stage", stage.Value)
  local other = Players:WaitForChild("Player1")
  print("Player1 gold", other:WaitForChild("leaderstats"):WaitForChild("Gold").Value)
  local markers = 0
  for _, c in ipairs(RS:GetChildren()) do
    if c.Name:sub(1, 6) == "Marker" then markers = markers + 1 end
  end
  print("markers", markers)
  stage.Changed:Connect(function(v) print("stage", v) end)
  RS.ChildAdded:Connect(function(c) print("added", c.Name, c.Value) end)
  RS.Advance:FireServer()
end
''',
}


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


with tempfile.TemporaryDirectory() as tmp:
    write_place(tmp, LATE)
    port = str(free_port())
    server = subprocess.Popen([BIN, "serve", tmp, "--port", port, "--duration", "20"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    first = subprocess.Popen([BIN, "join", tmp, "--port", port, "--name", "Player1",
                              "--idle", "0", "--duration", "15"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)  # Player1's three steps are done long before
    late = subprocess.run([BIN, "join", tmp, "--port", port, "--name", "Player2", "--idle", "1"],
                          capture_output=True, text=True, timeout=30)
    # Player1 has no end of its own (--idle 0): it has seen everything once Player2 is done
    time.sleep(0.5)
    first.terminate()
    out1, err1 = first.communicate(timeout=10)
    server.terminate()
    server.communicate(timeout=10)
    out = out1.splitlines() + late.stdout.splitlines()
    err = err1.splitlines() + late.stderr.splitlines()
    expect("late joiner", late.returncode, out, err, [
        "[Player1] stage step1", "[Player1] stage step2", "[Player1] stage step3",
        "[Player1] player added Player2", "[Player1] stage step4",
        "[Player1] bye step4 Player1 Player2",
        "[Player2] stage step3", "[Player2] Player1 gold 30", "[Player2] markers 3",
        "[Player2] stage step4", "[Player2] added Marker4 true",
        "[Player2] bye step4 Player1 Player2",
    ])

# ---- 4. the leaderboard example ----
rc, out, err = play([os.path.join(SRC, "examples", "lua", "leaderboard"), "--clients", "3"])
standings = ["Player3 %d, Player2 %d, Player1 %d" % (30 * r, 20 * r, 10 * r) for r in (1, 2, 3)]
want = []
for i in (1, 2, 3):
    want += ["[Player%d] round %d: %s" % (i, r + 1, s) for r, s in enumerate(standings)]
    want += ["[Player%d] final leader: Player3 with 90 Gold" % i]
want += ["[Server] round %d awarded" % r for r in (1, 2, 3)]
expect("leaderboard example", rc, out, err, want)

finish()
