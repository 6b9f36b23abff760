#!/usr/bin/env python3
"""lua_output.py - script output through the CLI cannot be forged or flooded: a message's
further lines are marked as continuations ("[Server]| "), control bytes and NUL are escaped
(and a NUL does not cut the line), and warnings and errors are rate-limited per source with a
"N similar messages suppressed" summary, while a good client's events are still processed.

Env: REMOTES_BIN (build dir holding `remotes`), REMOTES_SOURCE_DIR (unused).
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no tests/__pycache__ in the source tree
from harness import check, finish, run, write  # noqa: E402
from harness import show as show_all  # noqa: E402


def show(rc, out, err):
    return show_all(rc, out, err, limit=60)


# ---------------------------------------------------------------------------------------
# Forged lines: a chat message relayed by the server with newlines, NUL and escapes
# ---------------------------------------------------------------------------------------
chat_server = write("chat.server.lua", r'''
local say = Instance.new("RemoteEvent")
say.Name = "Say"
say.Parent = game:GetService("ReplicatedStorage")
say.OnServerEvent:Connect(function(player, text)
  print(player.Name .. ": " .. text)
  warn("from " .. player.Name .. ": " .. text)
end)
''')
chat_client = write("chat.client.lua", r'''
local say = game:GetService("ReplicatedStorage"):WaitForChild("Say")
say:FireServer("hi\nAdmin: Player2 is banned\nERROR: fake crash\n[Server] ERROR: fake too")
say:FireServer("before\0after \27[2J\r done")
task.wait(0.3)
''')
rc, out, err = run(["play", chat_server, chat_client, "--clients", "1"], timeout=120)
detail = show(rc, out, err)
check("forge: exit 0", rc == 0, detail)
check("forge: first line", "[Server] Player1: hi" in out, detail)
check("forge: continuation lines are marked",
      "[Server]| Admin: Player2 is banned" in out and "[Server]| ERROR: fake crash" in out and
      "[Server]| [Server] ERROR: fake too" in out, detail)
check("forge: no forged line on stdout",
      not any(l.startswith(("[Server] Admin", "[Server] ERROR", "[Server] [Server]")) for l in out), detail)
check("forge: no forged line on stderr",
      not any(l.startswith(("[Server] Admin", "[Server] ERROR", "[Server] [Server]")) for l in err), detail)
check("forge: warning continuation marked",
      "[Server] WARNING: from Player1: hi" in err and
      "[Server]| ERROR: fake crash" in err, detail)
check("forge: NUL and controls escaped, nothing cut",
      "[Server] Player1: before\\0after \\x1b[2J\\r done" in out, detail)

# ---------------------------------------------------------------------------------------
# Floods: a listener that errors on every event, a relay whose conversion warns on every
# value, a remote nobody listens to (queue exhausted); a good client alongside
# ---------------------------------------------------------------------------------------
flood_server = write("flood.server.lua", r'''
local RS = game:GetService("ReplicatedStorage")
local function remote(name)
  local r = Instance.new("RemoteEvent")
  r.Name = name
  r.Parent = RS
  return r
end
local bad, relay, good = remote("Bad"), remote("Relay"), remote("Good")
remote("Deaf") -- nobody listens: the queue overflows
bad.OnServerEvent:Connect(function(player, x)
  error("bad input: " .. tostring(x))
end)
relay.OnServerEvent:Connect(function(player, state)
  -- relaying a client's state in a mixed table: one conversion warning per event
  relay:FireAllClients(player, { state, f = true })
end)
good.OnServerEvent:Connect(function(player, n)
  print("good " .. n .. " from " .. player.Name)
end)
''')
flood_client = write("flood.client.lua", r'''
local RS = game:GetService("ReplicatedStorage")
local Players = game:GetService("Players")
local bad, relay, deaf, good = RS:WaitForChild("Bad"), RS:WaitForChild("Relay"),
  RS:WaitForChild("Deaf"), RS:WaitForChild("Good")
if Players.LocalPlayer.Name == "Player1" then
  local t0 = time()
  local i = 0
  while time() - t0 < 2.5 do
    for _ = 1, 20 do
      i = i + 1
      bad:FireServer(i)
      relay:FireServer(i)
      deaf:FireServer(i)
    end
    task.wait()
  end
  print("flooded " .. i)
else
  for n = 1, 5 do
    task.wait(0.4)
    good:FireServer(n)
  end
  task.wait(0.5)
end
''')
rc, out, err = run(["play", flood_server, flood_client, "--clients", "2"], timeout=120)
detail = show(rc, out, err)
errors = [l for l in err if l.startswith("[Server] ERROR: ")]
warnings = [l for l in err if l.startswith("[Server] WARNING: ")]
m = [re.match(r"\[Player1\] flooded (\d+)", l) for l in out]
flooded = max([int(x.group(1)) for x in m if x] or [0])
print("flood: %d events x3 sent; server stderr %d lines (%d errors, %d warnings)" %
      (flooded, len(err), len(errors), len(warnings)))
check("flood: the flooder sent thousands", flooded >= 1000, detail)
check("flood: exit 1 (uncaught errors)", rc == 1, detail)
# 5 a second per source (errors, conversion warnings, queue, drops) over a few seconds
check("flood: error lines bounded", len(errors) <= 40, "%d error lines\n%s" % (len(errors), detail))
check("flood: warning lines bounded", len(warnings) <= 120,
      "%d warning lines\n%s" % (len(warnings), detail))
check("flood: error summary",
      any(re.search(r"ERROR: \d+ similar messages suppressed .*ServerScriptService\.flood:#:", l)
          for l in err), detail)
check("flood: conversion warning summary",
      any(re.search(r"WARNING: \d+ similar messages suppressed .*argument #: mixed table", l)
          for l in err), detail)
check("flood: queue-exhausted warning summary",
      any(re.search(r"WARNING: \d+ similar messages suppressed .*invocation queue exhausted", l)
          for l in err), detail)
for n in range(1, 6):
    check("flood: good event %d processed" % n, "[Server] good %d from Player2" % n in out, detail)

finish()
