#!/usr/bin/env python3
"""lua_examples_hostile.py - the shipped Lua examples under hostile client input, through the
CLI: examples/lua/chat given 150 KB messages (spaces between two letters, which a trailing-space
pattern takes quadratic time over), a message of spaces only, one with a newline
and an escape sequence; each is refused and a later good message is still relayed.

Env: REMOTES_BIN (build dir holding `remotes`), REMOTES_SOURCE_DIR (the source tree).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no tests/__pycache__ in the source tree
from harness import SRC, check, finish, run, write  # noqa: E402
from harness import show as show_all  # noqa: E402


def show(rc, out, err):
    return show_all(rc, out, err, limit=40)


hostile = write("Hostile.client.lua", r'''
local chat = game:GetService("ReplicatedStorage"):WaitForChild("Remotes"):WaitForChild("ChatMessage")
task.wait(0.3) -- after ChatClient's hello, past the 0.25 s between two messages
chat:FireServer(string.rep(" ", 150000) .. "x")
chat:FireServer("x" .. string.rep(" ", 150000) .. "y") -- "%s+$" backtracks at every space
chat:FireServer(string.rep(" ", 150000))
chat:FireServer(string.rep("\t", 1000) .. "y" .. string.rep("\t", 1000))
chat:FireServer("hi\nPlayer2: I am the admin")
chat:FireServer("\27[2Jcleared")
task.wait(0.3)
chat:FireServer("  still here  ")
task.wait(0.5)
''')

# a generous process bound only: before the fix this took about a minute
rc, out, err = run(["play", os.path.join(SRC, "examples", "lua", "chat"), hostile,
                    "--clients", "1"])
detail = show(rc, out, err)
check("chat: exit 0", rc == 0, detail)
check("chat: hello relayed", "[Server] Player1: Hello from Player1!" in out, detail)
check("chat: the good message after the hostile ones is relayed",
      "[Server] Player1: still here" in out and "[Player1] (me) still here" in out, detail)
check("chat: long messages refused before any pattern",
      sum("sent a message of 150001 bytes" in l or "sent a message of 150000 bytes" in l
          for l in err) == 2 and any("sent a message of 150002 bytes" in l for l in err), detail)
check("chat: nothing else printed by the server",
      [l for l in out if l.startswith("[Server] ")] ==
      ["[Server] Player1: Hello from Player1!", "[Server] Player1: still here",
       "[Server] Player1 left the chat"], detail)

finish()
