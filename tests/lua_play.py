#!/usr/bin/env python3
"""lua_play.py - runs every examples/lua place (and CLI edge cases) through `remotes play` as
separate processes over loopback and checks the exact output lines and exit status.

Env: REMOTES_BIN (build dir holding `remotes`), REMOTES_SOURCE_DIR (source tree).
Lines from different processes interleave in any order, so each check compares the lines of
each origin ([Server], [Player1], ...): in order for a player, as a multiset for the server.
"""
import functools
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no tests/__pycache__ in the source tree
from harness import SRC, by_origin, check, finish, players, run, write  # noqa: E402

EX = os.path.join(SRC, "examples", "lua")


def play(args, timeout=60, cwd=None):
    """`remotes play ARGS...`, or the command given when ARGS starts with one."""
    if not args or args[0] not in ("play", "serve", "join", "--help", "launch"):
        args = ["play"] + args
    start = time.monotonic()
    rc, out, err = run(args, timeout, cwd)
    return rc, out, err, time.monotonic() - start


def expect_play(name, args, stdout, stderr=(), code=0, timeout=60):
    """stdout/stderr: expected lines; per origin the order must match."""
    rc, out, err, secs = play(args, timeout=timeout)
    detail = "exit %d\n--- stdout\n%s\n--- stderr\n%s" % (rc, "\n".join(out), "\n".join(err))
    check(name + " exit status", rc == code, detail)
    got, want = by_origin(out), by_origin(stdout)
    check(name + " stdout", got == want, detail)
    got, want = by_origin(err), by_origin(stderr)
    check(name + " stderr", got == want, detail)
    return rc, out, err, secs


def ex(name):
    return os.path.join(EX, name)


# ---- the seed's examples, verbatim ----
expect_play("player-action", [ex("player-action"), "--clients", "2"],
            players(2, "[Server] Player{i} performed jump with value 150"))

expect_play("server-notification", [ex("server-notification"), "--clients", "2"],
            players(2, "[Player{i}] Server notification: You earned a badge!"))

expect_play("broadcast", [ex("broadcast"), "--clients", "3", "--idle", "2"],
            ["[Server] round announced to 3 players"]
            + players(3, "[Player{i}] Announcement: A new round is starting!"))

expect_play("get-player-data", [ex("get-player-data"), "--clients", "2"],
            players(2, "[Player{i}] Player gold: 100"))

expect_play("safe-reward", [ex("safe-reward"), "--clients", "2"],
            players(2, "[Server] Player{i} now has 50 gold"))

expect_play("dangerous-reward", [ex("dangerous-reward")],
            ["[Server] Player1 now has 999999 gold"])

expect_play("bindable-event", [ex("bindable-event"), "--clients", "2"],
            players(2, "[Server] Player{i} has died"))

vote = []
for i in range(1, 4):
    vote += ["[Server] Player%d voted yes" % i,
             "[Player%d] Purchase result: success" % i,
             "[Player%d] Purchase result: insufficient_funds" % i]
expect_play("vote-purchase (3 players)", [ex("vote-purchase"), "--clients", "3"], vote)

rc, out, err, secs = play([ex("throttle"), "--duration", "2"])
updates = [l for l in out if l == "[Server] Player1 camera at 0, 20, 20"]
check("throttle exit status", rc == 0, "\n".join(err))
check("throttle sends about 2 updates per second", 2 <= len(updates) <= 5,
      "%d updates: %s" % (len(updates), out))
check("throttle runs until --duration", 1.8 <= secs < 8, "%.2f s" % secs)

# ---- the follow-ups ----
chat_out = []
for i in range(1, 4):
    chat_out += ["[Server] Player%d: Hello from Player%d!" % (i, i),
                 "[Server] Player%d left the chat" % i]
rc, out, err, _ = play([ex("chat"), "--clients", "3"])
got = by_origin(out)
check("chat exit status", rc == 0, "\n".join(err))
check("chat server lines", sorted(got.get("Server", [])) == sorted(chat_out), "\n".join(out))
for i in range(1, 4):
    mine = got.get("Player%d" % i, [])
    check("chat Player%d hears itself" % i, "[Player%d] (me) Hello from Player%d!" % (i, i) in mine,
          "\n".join(out))
    check("chat Player%d hears only real messages" % i,
          all(l.startswith("[Player%d] (me) " % i) or " Hello from Player" in l for l in mine),
          "\n".join(mine))
check("chat rejects a table with a warning",
      sorted(err) == sorted("[Server] WARNING: Player%d sent a table instead of a message" % i
                            for i in range(1, 4)), "\n".join(err))

stat = []
for i in (1, 2):
    stat += ["[Player%d] Gold = 250" % i, "[Player%d] Level = 7" % i, "[Player%d] Wins = 3" % i,
             "[Player%d] Speed: no stat named Speed" % i,
             "[Player%d] invalid request rejected: true ServerScriptService.Stats:22: "
             "stat name must be a string, got number" % i]
expect_play("stat-fetching", [ex("stat-fetching"), "--clients", "2"], stat)

expect_play("luau-syntax (typed Signal module, Luau scripts)", [ex("luau-syntax")],
            ["[Player1] go: sent 3 scores, 5 = 5, 333",
             "[Server] Player1 sends 4 amounts, 1 player(s) online",
             "[Server] Player1 has 2 points (bronze)",
             "[Server] first to score: Player1",
             "[Server] Player1 has 9 points (silver)",
             "[Server] Player1 has 19 points (gold)",
             "[Server] Player1 left with 19 points, streak 3, once-connection still connected: false"])

expect_play("rojo-project", [ex("rojo-project")],
            ["[Server] gravity 100, spawn height 12.5",
             "[Player1] hello Player1, from the client",
             "[Player1] hello Player1, from the server welcome to a Rojo project",
             "[Player1] script is Players.Player1.PlayerScripts.Client.Hello"])

# ---- single files placed by suffix ----
pa = ex("player-action")
expect_play("single files by suffix",
            [os.path.join(pa, "ServerScriptService", "PlayerActionServer.server.lua"),
             os.path.join(pa, "StarterPlayer", "StarterPlayerScripts", "PlayerActionClient.client.lua"),
             os.path.join(pa, "ReplicatedStorage", "PlayerAction.model.json")],
            ["[Server] Player1 performed jump with value 150"])

# ---- errors, warnings, exit status ----
with tempfile.TemporaryDirectory() as tmp:
    write = functools.partial(write, root=tmp)

    s = write("boom.server.lua", 'print("before")\nwarn("careful", 1)\nerror("boom")\n')
    c = write("ok.client.lua", 'print("client runs")\ntask.spawn(function() error("in a thread") end)\nprint("still runs")\n')
    expect_play("errors and warnings", [s, c],
                ["[Server] before", "[Player1] client runs", "[Player1] still runs"],
                ["[Server] WARNING: careful 1",
                 "[Server] ERROR: ServerScriptService.boom:3: boom",
                 "[Player1] ERROR: Players.Player1.PlayerScripts.ok:2: in a thread"], code=1)

    # Luau syntax is translated (src/lua/luau*.c); errors keep the user's line numbers
    lu = write("luau.server.lua", "local x = 1\nx += 1\nprint(x)\n")
    expect_play("Luau compound assignment runs", [lu, "--clients", "0", "--duration", "0.5"],
                ["[Server] 2"])
    lu = write("typed.server.luau", "type T = {\n  a: number,\n}\nlocal t: T = { a = 1 }\n"
               "print(`a is {t.a}`)\nerror(`bad {t.a}`)\n")
    expect_play("Luau runtime error names the Luau line", [lu, "--clients", "0", "--duration", "0.5"],
                ["[Server] a is 1"], ["[Server] ERROR: ServerScriptService.typed:6: bad 1"], code=1)
    lu = write("broken.server.luau", "local ok = 1\nlocal x: = 1\n")
    rc, out, err, _ = play([lu, "--clients", "0", "--duration", "0.5"])
    check("Luau syntax error: exit 1", rc == 1, "\n".join(err))
    check("Luau syntax error: file:line:column",
          err == ["[Server] ERROR: ServerScriptService.broken:2:10: type expected near '='"], "\n".join(err))

    # Roblox's identity of scripts: errors, pcall messages, tracebacks and debug.info name a
    # script by its full name, never cut (LuaJIT cuts chunk names at 59 bytes)
    deep = "ServerScriptService/AVeryLongFolderNameForTesting/AnotherLongFolderName/Deeper/"
    full = "ServerScriptService.AVeryLongFolderNameForTesting.AnotherLongFolderName.Deeper."
    write("named/" + deep + "TheMainScriptWithALongName.server.lua",
          'local ok, e = pcall(function() error("caught") end)\n'
          'print(ok, e)\n'
          'print((debug.traceback("tb"):gsub("\\n$", "")))\n'
          'print(debug.info(1, "s"), debug.info(1, "l"))\n'
          'xpcall(function() error("x") end, function(m) print("handler", m) end)\n'
          'require(script.Parent.ModuleWithAnotherLongishName).boom()\n')
    write("named/" + deep + "ModuleWithAnotherLongishName.lua",
          "return { boom = function() local x = nil; return x.y end }\n")
    write("named/ServerScriptService/Short.server.lua",
          'task.wait(0.1)\nprint(script:GetFullName(), debug.info(1, "s"))\n'
          'require(script.Parent.Broken)\n')
    write("named/ServerScriptService/Broken.lua", 'error("module failed")\n')
    main = full + "TheMainScriptWithALongName"
    expect_play("full names in errors, pcall, traceback, debug.info",
                [os.path.join(tmp, "named"), "--clients", "0", "--duration", "0.5"],
                ["[Server] false %s:1: caught" % main,
                 "[Server] tb", "[Server]| %s:3" % main,
                 "[Server] %s 4" % main,
                 "[Server] handler %s:5: x" % main,
                 "[Server] ServerScriptService.Short ServerScriptService.Short"],
                ["[Server] ERROR: %sModuleWithAnotherLongishName:1: attempt to index local 'x' (a nil value)" % full,
                 "[Server] ERROR: ServerScriptService.Broken:1: module failed",
                 "[Server] ERROR: ServerScriptService.Short:3: Requested module experienced an error while loading"],
                code=1)

    # LocalScripts run from the local player's copies, as in Roblox: StarterPlayerScripts into
    # PlayerScripts, StarterGui into PlayerGui, StarterPack into Backpack
    write("copies/StarterPlayer/StarterPlayerScripts/Boot/init.client.lua",
          'local lp = game:GetService("Players").LocalPlayer\n'
          'print(script:GetFullName(), script.Parent == lp.PlayerScripts)\n'
          'print(#game.StarterPlayer.StarterPlayerScripts:GetChildren(), require(script.Data).n)\n'
          'print(lp.PlayerGui.Hud.Frame.ClassName, lp.Backpack.Sword.ClassName)\n'
          'error("where")\n')
    write("copies/StarterPlayer/StarterPlayerScripts/Boot/Data.json", '{"n": 7}')
    write("copies/StarterGui/Hud/init.meta.json", '{"className": "ScreenGui"}')
    write("copies/StarterGui/Hud/Frame.model.json", '{"ClassName": "Frame"}')
    write("copies/StarterGui/Hud/Ui.client.lua",
          'print(script:GetFullName(), script:FindFirstAncestorOfClass("PlayerGui") ~= nil)\n')
    write("copies/StarterPack/Sword/init.meta.json", '{"className": "Tool"}')
    write("copies/StarterPack/Sword/Swing.client.lua", 'print(script:GetFullName())\n')
    write("copies/ServerScriptService/S.server.lua",
          'game:GetService("Players").PlayerAdded:Connect(function(p)\n'
          '  print(p.Name, p:FindFirstChild("PlayerScripts"))\nend)\n')
    expect_play("LocalScripts run from PlayerScripts, PlayerGui, Backpack",
                [os.path.join(tmp, "copies")],
                ["[Server] Player1 nil",
                 "[Player1] Players.Player1.PlayerScripts.Boot true",
                 "[Player1] 1 7",
                 "[Player1] Frame Tool",
                 "[Player1] Players.Player1.PlayerGui.Hud.Ui true",
                 "[Player1] Players.Player1.Backpack.Sword.Swing"],
                ["[Player1] ERROR: Players.Player1.PlayerScripts.Boot:5: where"], code=1)

    place = os.path.join(tmp, "waiter")
    write("waiter/StarterPlayer/StarterPlayerScripts/w.client.lua",
          'local x = game:GetService("ReplicatedStorage"):WaitForChild("Missing")\n')
    rc, out, err, secs = play([place, "--duration", "6"], timeout=30)
    check("infinite yield warning", err == [
        "[Player1] WARNING: Infinite yield possible on 'ReplicatedStorage:WaitForChild(\"Missing\")'"],
        "\n".join(err))
    check("WaitForChild keeps a client busy until --duration", 5.5 <= secs < 12, "%.2f s" % secs)

    idle = write("idle.client.lua", 'task.wait(1.5)\nprint("done waiting")\n')
    rc, out, err, secs = play([idle, "--idle", "0.5"])
    check("client stays while a timer waits, then leaves when idle",
          rc == 0 and out == ["[Player1] done waiting"] and 1.5 <= secs < 5,
          "%d %s %s %.2f" % (rc, out, err, secs))

    bad = write("bad/ReplicatedStorage/Broken.model.json", '{"ClassName": "RemoteEvent",}')
    rc, out, err, _ = play([os.path.join(tmp, "bad")])
    check("malformed model.json: clear error", rc == 1 and any(
        "ReplicatedStorage/Broken.model.json: line 1:" in l for l in err), "\n".join(err))

# ---- the command line ----
rc, out, err, _ = play(["--help"])
check("--help", rc == 0 and any("play PLACE" in l for l in out), "\n".join(out + err))
rc, out, err, _ = play(["play", ex("player-action"), "--frobnicate"])
check("bad option", rc == 2 and "unknown option '--frobnicate'" in "\n".join(err), "\n".join(err))
rc, out, err, _ = play(["play", "/nonexistent/place"])
check("missing place", rc == 2 and err and "/nonexistent/place: No such file or directory" in err[0],
      "\n".join(err))
rc, out, err, _ = play(["play", ex("player-action"), "--clients", "x"])
check("bad number", rc == 2 and "--clients expects a number" in "\n".join(err), "\n".join(err))
rc, out, err, _ = play(["launch", ex("player-action")])
check("unknown command", rc == 2 and "unknown command 'launch'" in "\n".join(err), "\n".join(err))

finish()
