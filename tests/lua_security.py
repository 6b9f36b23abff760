#!/usr/bin/env python3
"""lua_security.py - "never trust the client" through the CLI, as separate processes over
loopback: remote:SetSchema in a Lua place run by `remotes play` (bad fires dropped with a
server warning, bad invokes raising at the client, good calls passing), and join tickets
(`remotes keygen`, `remotes ticket`, `serve --key`, `join --ticket`, `play --key`).

Env: REMOTES_BIN (build dir holding `remotes`), REMOTES_SOURCE_DIR (unused).
"""
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no tests/__pycache__ in the source tree
from harness import BIN, check, finish, run, show, start_ready, tmp_dir, write  # noqa: E402

tmp = tmp_dir()


# ---------------------------------------------------------------------------------------
# SetSchema from Lua
# ---------------------------------------------------------------------------------------
schema_server = write("schema.server.lua", r'''
local RS = game:GetService("ReplicatedStorage")
local vote = Instance.new("RemoteEvent")
vote.Name = "Vote"
vote:SetSchema("string, number(0..1000)") -- not bound yet: applied when it is parented
vote.Parent = RS
print(pcall(function() vote:SetSchema("strin, number") end))
print(pcall(function() vote:SetSchema(42) end))
vote.OnServerEvent:Connect(function(player, choice, amount)
  print(player.Name .. " voted " .. choice .. " " .. amount)
end)
local buy = Instance.new("RemoteFunction")
buy.Name = "Buy"
buy.Parent = RS
buy:SetSchema('"sword" | "shield", number(int, 1..5)?')
buy.OnServerInvoke = function(player, item, n)
  print("OnServerInvoke " .. item)
  return "bought " .. item .. " x" .. tostring(n or 1)
end
-- an unreliable remote re-created by a reparent keeps its schema
local shop = Instance.new("Folder")
shop.Name = "Shop"
shop.Parent = RS
local move = Instance.new("UnreliableRemoteEvent")
move.Name = "Move"
move.Parent = RS
move:SetSchema("Vector3")
move.Parent = shop
move.OnServerEvent:Connect(function(player, v) print(player.Name .. " moved " .. typeof(v)) end)
''')
schema_client = write("schema.client.lua", r'''
local RS = game:GetService("ReplicatedStorage")
local vote = RS:WaitForChild("Vote")
local buy = RS:WaitForChild("Buy")
local move = RS:WaitForChild("Shop"):WaitForChild("Move")
vote:FireServer("yes", 5000)
vote:FireServer("yes")
vote:FireServer("yes", 10)
move:FireServer("north")
move:FireServer(Vector3.new(1, 2, 3))
print(buy:InvokeServer("sword", 2))
print(buy:InvokeServer("shield"))
print(pcall(function() return buy:InvokeServer("axe") end))
print(pcall(function() return buy:InvokeServer("sword", 2.5) end))
print(pcall(function() vote:SetSchema("string") end))
''')
rc, out, err = run(["play", schema_server, schema_client, "--clients", "1"])
out = [l.replace(tmp + "/", "") for l in out]  # scripts given as files are named as given
detail = show(rc, out, err)
check("SetSchema play exit 0", rc == 0, detail)
want_out = [
    "[Server] false ServerScriptService.schema:7: SetSchema: column 1: unknown type 'strin'",
    "[Server] false ServerScriptService.schema:8: SetSchema: schema must be a string or nil, got number",
    "[Server] Player1 voted yes 10",
    "[Server] Player1 moved Vector3",
    "[Server] OnServerInvoke sword",
    "[Server] OnServerInvoke shield",
    "[Player1] bought sword x2",
    "[Player1] bought shield x1",
    "[Player1] false Players.Player1.PlayerScripts.schema:13: bad arguments: argument 1: expected \"sword\" | \"shield\", got \"axe\" (RMT_EBADARGS)",
    "[Player1] false Players.Player1.PlayerScripts.schema:14: bad arguments: argument 2: expected integer in 1..5, got 2.5 (RMT_EBADARGS)",
    "[Player1] false Players.Player1.PlayerScripts.schema:15: SetSchema is server-only",
]
server_out = sorted(l for l in out if l.startswith("[Server]"))
player_out = [l for l in out if l.startswith("[Player1]")]
check("SetSchema server stdout (nothing failing reached a script)",
      server_out == sorted(l for l in want_out if l.startswith("[Server]")), detail)
check("SetSchema client stdout", player_out == [l for l in want_out if l.startswith("[Player1]")],
      detail)
want_err = sorted([
    "[Server] WARNING: dropped a message from Player1 on ReplicatedStorage.Vote: bad arguments: argument 2: expected number in 0..1000, got 5000",
    "[Server] WARNING: dropped a message from Player1 on ReplicatedStorage.Vote: bad arguments: argument 2: expected number in 0..1000, got nil (missing)",
    "[Server] WARNING: dropped a message from Player1 on ReplicatedStorage.Shop.Move: bad arguments: argument 1: expected Vector3, got string",
    "[Server] WARNING: dropped a message from Player1 on ReplicatedStorage.Buy: bad arguments: argument 1: expected \"sword\" | \"shield\", got \"axe\"",
    "[Server] WARNING: dropped a message from Player1 on ReplicatedStorage.Buy: bad arguments: argument 2: expected integer in 1..5, got 2.5",
])
check("SetSchema server warnings", sorted(err) == want_err, detail)

# A flood of bad fires: warnings are rate-limited and the rest summarised.
flood_client = write("flood.client.lua", r'''
local vote = game:GetService("ReplicatedStorage"):WaitForChild("Vote")
for i = 1, 50 do vote:FireServer(i) end
vote:FireServer("ok", 1)
''')
rc, out, err = run(["play", schema_server, flood_client, "--clients", "1"])
detail = show(rc, out, err)
warned = [l for l in err if "dropped a message" in l]
summary = [l for l in err if "more dropped messages not shown" in l]
check("flood exit 0", rc == 0, detail)
check("flood: the good fire still arrives", "[Server] Player1 voted ok 1" in out, detail)
check("flood: at most 5 warnings a second", 1 <= len(warned) <= 10, detail)
hidden = [re.fullmatch(r"\[Server\] WARNING: (\d+) more dropped messages not shown \(at most 5 warnings a second\)", l)
          for l in summary]
check("flood: the rest are counted",
      summary and all(hidden) and len(warned) + sum(int(m.group(1)) for m in hidden) == 50, detail)

# ---------------------------------------------------------------------------------------
# Join tickets through the CLI
# ---------------------------------------------------------------------------------------
rc, out, err = run(["keygen"])
check("keygen prints 64 hex digits", rc == 0 and len(out) == 1 and re.fullmatch(r"[0-9a-f]{64}", out[0]),
      show(rc, out, err))
keyhex = out[0] if out else "00" * 32
keyfile = write("server.key", keyhex + "\n")
rc, out, err = run(["keygen"])
otherkey = out[0] if out else "11" * 32


def mint(key, user, name, ttl=None):
    args = ["ticket", "--key", key, "--user", str(user), "--name", name]
    if ttl is not None:
        args += ["--ttl", str(ttl)]
    rc, out, err = run(args)
    check("ticket %s %s" % (user, name), rc == 0 and len(out) == 1 and out[0].startswith("rmt1."),
          show(rc, out, err))
    return out[0] if out else ""


good = mint(keyfile, 42, "Alice")          # key from a file
good_hex = mint(keyhex, 7, "Bob")         # key as hex
forged = mint(otherkey, 42, "Alice")      # another key
short_lived = mint(keyfile, 9, "Carol", ttl=1)

for args, msg in [
    (["ticket", "--key", "abcd", "--user", "1", "--name", "A"], "neither 64 hex digits nor a readable file"),
    (["ticket", "--key", keyfile, "--name", "A"], "--user is required"),
    (["ticket", "--key", keyfile, "--user", "1", "--name", "no spaces"], "ticket name must be"),
    (["ticket", "--key", keyfile, "--user", "1", "--name", "A", "--ttl", "0"], "--ttl expects"),
]:
    rc, out, err = run(args)
    check("ticket usage error: " + msg, rc == 2 and any(msg in l for l in err), show(rc, out, err))

ticket_server = write("tickets.server.lua", r'''
local Players = game:GetService("Players")
Players.PlayerAdded:Connect(function(p) print("joined " .. p.Name .. " " .. p.UserId) end)
''')
ticket_client = write("tickets.client.lua", r'''
local me = game:GetService("Players").LocalPlayer
print("I am " .. me.Name .. " " .. me.UserId)
''')

server, port = start_ready([BIN, "serve", ticket_server, "--key", keyfile, "--port", "0", "--duration", "60"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
check("serve --key reports its port", port.isdigit(), port)


def join(*extra):
    return run(["join", ticket_client, "--port", port, "--idle", "0.5"] + list(extra), timeout=30)


rc, out, err = join("--ticket", good, "--name", "Mallory")
check("join with a ticket: identity from the ticket, not --name",
      rc == 0 and out == ["[Mallory] I am Alice 42"], show(rc, out, err))
rc, out, err = join("--ticket", good_hex)
check("join without --name shows the ticket's name", rc == 0 and out == ["[Bob] I am Bob 7"],
      show(rc, out, err))
refusals = [
    ((), "ticket required: this server admits players with a join ticket only"),
    (("--ticket", forged), "ticket forged: bad signature"),
    (("--ticket", good), "ticket already used (single use)"),
    (("--ticket", good[:-3]), "ticket malformed"),
]
time.sleep(2.1)  # let the one-second ticket expire
refusals.append((("--ticket", short_lived), "ticket expired"))
for extra, reason in refusals:
    rc, out, err = join(*extra)
    check("join refused: " + reason,
          rc == 1 and out == [] and any("cannot join" in l and reason in l for l in err),
          show(rc, out, err))
server.send_signal(signal.SIGTERM)
sout, serr = server.communicate(timeout=20)
sout = sout.splitlines()
check("serve --key: only ticket holders reached a script (PlayerAdded)",
      server.returncode == 0 and sorted(sout) == ["[Server] joined Alice 42", "[Server] joined Bob 7"],
      show(server.returncode, sout, serr.splitlines()))

# Without tickets, Studio's ids by name: Player1 -1, Player2 -2, other names a stable
# negative id from the name (FNV-1a), whatever the join order
def studio_id(name):
    if name.startswith("Player") and name[6:].isdigit() and name[6] != "0" and len(name) <= 18:
        return -int(name[6:])
    h = 14695981039346656037
    for c in name.encode():
        h = ((h ^ c) * 1099511628211) % (1 << 64)
    return -((1 << 40) + (h % (1 << 40)))


server, port = start_ready([BIN, "serve", ticket_server, "--port", "0", "--duration", "60"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
seen = []
for name in ("Alice", "Player2", "Player1", "Alice"):
    rc, out, err = join("--name", name)
    seen.append("[%s] I am %s %d" % (name, name, studio_id(name)))
    check("no ticket: %s's user id by name" % name, rc == 0 and out == [seen[-1]], show(rc, out, err))
server.send_signal(signal.SIGTERM)
sout, serr = server.communicate(timeout=20)
check("no ticket: the server sees the same ids",
      sorted(sout.splitlines()) == sorted("[Server] joined %s %d" % (n, studio_id(n))
                                          for n in ("Alice", "Player2", "Player1", "Alice")),
      show(server.returncode, sout.splitlines(), serr.splitlines()))
check("no ticket: Alice's id is stable and negative", -(1 << 41) < studio_id("Alice") < -(1 << 40))
rc, out, err = run(["play", ticket_server, ticket_client, "--clients", "3"])
check("play without --key: Studio's ids Player1 -1, Player2 -2, Player3 -3",
      rc == 0 and sorted(out) == sorted(["[Player%d] I am Player%d -%d" % (i, i, i) for i in (1, 2, 3)]
                                        + ["[Server] joined Player%d -%d" % (i, i) for i in (1, 2, 3)]),
      show(rc, out, err))

rc, out, err = run(["play", ticket_server, ticket_client, "--clients", "2", "--key", keyfile])
check("play --key mints one ticket per player",
      rc == 0 and sorted(out) == ["[Player1] I am Player1 1", "[Player2] I am Player2 2",
                                  "[Server] joined Player1 1", "[Server] joined Player2 2"],
      show(rc, out, err))
rc, out, err = run(["join", ticket_client, "--key", keyfile])
check("join --key is a usage error", rc == 2 and any("join takes --ticket" in l for l in err),
      show(rc, out, err))

finish()
