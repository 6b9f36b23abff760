#!/usr/bin/env python3
"""compat.py - the compatibility suite: real Roblox libraries from npm, run on the Lua host.

tests/compat/package.json pins roblox-ts (RuntimeLib, evaera's Promise, the rbxtsc compiler)
and @rbxts libraries; package-lock.json pins every version. This script

  1. installs them with `npm ci` into tests/compat/node_modules, unless that install is of the
     current lock already (a stamp holds the lock's hash). No npm, or a registry that cannot be
     reached, FAILS the suite: it never passes without the libraries;
  2. runs tests/compat/place (a place laid out as roblox-ts projects are: rbxts_include is
     roblox-ts's include/, rbxts_include.node_modules.@rbxts the packages) through
     `remotes play --clients 2`: Luau scripts of ours that use each library through RuntimeLib
     as compiled roblox-ts code does, on the server and on both clients;
  3. compiles tests/compat/game (TypeScript) with the pinned rbxtsc in a scratch copy and runs
     it straight from its default.project.json;
  4. checks the output lines exactly. A library that does not work on the host yet is an
     expected failure with its reason printed; if it starts passing, the suite fails until
     the expectation is removed (an expected failure cannot go stale).

Env: REMOTES_BIN (build dir holding `remotes`), REMOTES_SOURCE_DIR (source tree).
"""
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no tests/__pycache__ in the source tree
from harness import SRC, check, failures, players, run  # noqa: E402

COMPAT = os.path.join(SRC, "tests", "compat")
NODE_MODULES = os.path.join(COMPAT, "node_modules")
STAMP = os.path.join(NODE_MODULES, ".remotes-lock-sha256")

started = time.monotonic()


def fatal(message):
    print("FAIL " + message)
    print("compat: FAILED (%.1f s)" % (time.monotonic() - started))
    sys.exit(1)


# ---- 1. the libraries, from the registry through npm ci ----
def lock_hash():
    with open(os.path.join(COMPAT, "package-lock.json"), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def install():
    npm = shutil.which("npm")
    if not npm:
        fatal("npm not found: the compatibility suite needs node and npm (the libraries come from npm)")
    # one install at a time (two build trees may run the suite at once)
    with open(os.path.join(COMPAT, ".install.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        want = lock_hash()
        try:
            with open(STAMP) as f:
                if f.read().strip() == want:
                    print("ok   npm ci (node_modules already holds package-lock.json's versions)")
                    return
        except OSError:
            pass
        t0 = time.monotonic()
        p = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=COMPAT,
                           capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            fatal("npm ci in tests/compat failed (exit %d): is the npm registry reachable?\n%s%s"
                  % (p.returncode, p.stdout, p.stderr))
        with open(STAMP, "w") as f:
            f.write(want + "\n")
        print("ok   npm ci (%.1f s)" % (time.monotonic() - t0))


# ---- running places ----
def play(args, timeout=120):
    t0 = time.monotonic()
    rc, out, err = run(["play"] + args, timeout, cwd=COMPAT)
    return rc, out, err, time.monotonic() - t0


def grouped(lines):
    """{(origin, tag): [text...]}: the lines of each process per library tag (the text up to
    the first ':'), in order for a player, sorted for the server (whose lines about different
    players come in whatever order the players' messages arrived)."""
    out = {}
    for line in lines:
        if not line.startswith("[") or "] " not in line:
            continue
        origin, text = line[1:line.index("] ")], line[line.index("] ") + 2:]
        tag = text.split(":", 1)[0] if ":" in text else text
        out.setdefault((origin, tag), []).append(text)
    for key in out:
        if key[0] == "Server":
            out[key].sort()
    return out


def expect(name, result, want, tags=None):
    """want: lines as `remotes play` prints them. Each (origin, tag) group must match exactly;
    `tags` limits the check to those libraries."""
    rc, out, err, secs = result
    detail = "exit %d after %.1f s\n--- stdout\n%s\n--- stderr\n%s" % (
        rc, secs, "\n".join(out), "\n".join(err))
    got, exp = grouped(out), grouped(want)
    keys = sorted(set(got) | set(exp))
    if tags is not None:
        keys = [k for k in keys if k[1] in tags]
    ok = True
    for key in keys:
        if got.get(key, []) != exp.get(key, []):
            ok = False
            detail = "%s: want %r\n     got  %r\n%s" % (key, exp.get(key), got.get(key), detail)
    return ok, detail


def each_side(lines):
    """The lines a shared case prints on the server ('server') and on both clients ('client')."""
    out = ["[Server] " + l.format(side="server") for l in lines]
    for i in (1, 2):
        out += ["[Player%d] " % i + l.format(side="client") for l in lines]
    return out


# ---- the expected output of tests/compat/place ----
PROMISE = [
    "promise: sync executor,then 21",
    "promise: caught nope finally",
    "promise: await error false true",
    "promise: async 41 true",
    "promise: all abc",
    "promise: race fast",
    "promise: allSettled Resolved Cancelled",
    "promise: cancel Cancelled Cancelled true false",
    "promise: timeout false true",
    "promise: try caught true",
    "promise: try finally",
    "promise: done {side} nil",
]
CLEANUP = [
    "janitor: {side} close,fn,indexed,replaced fired 1 folder parent nil promise Cancelled",
    "janitor: linked cleanup on Destroy true",
    "maid: {side} keyed-new,keyed-old,object,task hits 1 instance parent nil",
    "signal: {side} 1:true:nil:x 2:true:nil:y once waited true",
    "goodsignal: {side} a1 b'1 b'2 b'3 b1 b2 b3 waited 3",
    "goodsignal: after Destroy a new connection still fires 1",
]
JECS = [
    "jecs: {side} positions 3,0,9,0,15",
    "jecs: {side} movers left 3 has velocity false alive false health hook 5",
    "jecs: {side} children 1 parent ok true target ok true",
    "jecs: {side} child deleted with parent true",
]
STATE = (
    ["[Server] reflex: server round 1 Player1,Player2",
     "[Server] charm: server doubled total 28 updates true"]
    + players(2, "[Player{i}] reflex: in round true 1 true")
    + players(2, "[Player{i}] charm: synced true playing 7")
    + players(2, "[Server] t: Player{i} accepted 2 sword (rush), strict true")
    + players(2, "[Server] t: Player{i} refused 2 axe, strict true")
    + players(2, "[Server] t: Player{i} refused 99 shield, strict false")
)
LIBRARIES = each_side(PROMISE) + each_side(CLEANUP) + each_side(JECS) + STATE

# @rbxts/net (tests/compat/place/net.project.json): its client finds every remote with
# CollectionService:GetTagged, so this needs the server's tags on the clients' copies of the
# remotes, and remote names holding a '/' (a namespace's "Game/Score").
NET = (
    ["[Server] net: server ready true"]
    + players(2, "[Server] net: greet from Player{i}: hello 7")
    + players(2, "[Player{i}] net: welcomed true welcome Player{i} 7")
    + players(2, "[Player{i}] net: async sum 42")
    + players(2, "[Player{i}] net: echo Player{i} said ping")
)

# Libraries that do not work on the host yet: name -> (reason, expected lines, play args,
# a line that must appear even so). None at the moment.
EXPECTED_FAILURES = {}


def run_libraries():
    result = play(["place", "--clients", "2"])
    rc, out, err, secs = result
    print("     place: %d lines in %.1f s" % (len(out), secs))
    detail = "exit %d\n--- stderr\n%s" % (rc, "\n".join(err))
    check("place exit status 0", rc == 0, detail)
    check("place stderr empty (no error, no warning)", not err, detail)
    for name, tags in (("Promise (roblox-ts include/Promise.lua)", {"promise"}),
                       ("@rbxts/janitor", {"janitor"}), ("@rbxts/maid", {"maid"}),
                       ("@rbxts/signal", {"signal"}), ("@rbxts/goodsignal", {"goodsignal"}),
                       ("@rbxts/jecs", {"jecs"}), ("@rbxts/reflex (broadcaster to 2 clients)", {"reflex"}),
                       ("@rbxts/charm (atoms, CharmSync to 2 clients)", {"charm"}),
                       ("@rbxts/t (checks on remote arguments)", {"t"})):
        ok, d = expect(name, result, LIBRARIES, tags)
        check(name, ok, d)
    ok, d = expect("every line expected", result, LIBRARIES)
    check("place: no line beyond the expected ones", ok, d)


def run_net():
    result = play(["place/net.project.json", "--clients", "2"], timeout=60)
    rc, out, err, secs = result
    print("     net place: %d lines in %.1f s" % (len(out), secs))
    detail = "exit %d\n--- stdout\n%s\n--- stderr\n%s" % (rc, "\n".join(out), "\n".join(err))
    check("net place exit status 0, stderr empty", rc == 0 and not err, detail)
    ok, d = expect("@rbxts/net", result, NET)
    check("@rbxts/net (definitions, type-checking middleware, events both ways, an async "
          "function, a function, a namespace; remotes found by tag on 2 clients)", ok, d)


def run_expected_failures():
    for name, (reason, want, args, must) in EXPECTED_FAILURES.items():
        result = play(args)
        rc, out, err, secs = result
        ok, d = expect(name, result, want)
        if ok and rc == 0:
            check("%s passes now: remove its expected failure from tests/compat.py and docs/lua.md"
                  % name, False, d)
        else:
            # what still has to work (e.g. the server side loads)
            check("%s: %s" % (name, must), must in out, "\n".join(out + err))
            print("XFAIL %s: %s" % (name, reason))


# ---- 3. the roblox-ts game, compiled here ----
def run_game():
    rbxtsc = os.path.join(NODE_MODULES, ".bin", "rbxtsc")
    # a scratch copy next to game/ (same depth: its paths to ../node_modules hold)
    work = tempfile.mkdtemp(prefix=".game-", dir=COMPAT)
    try:
        for item in ("src", "tsconfig.json", "default.project.json"):
            s = os.path.join(COMPAT, "game", item)
            if os.path.isdir(s):
                shutil.copytree(s, os.path.join(work, item))
            else:
                shutil.copy(s, work)
        t0 = time.monotonic()
        p = subprocess.run([rbxtsc], cwd=work, capture_output=True, text=True, timeout=300)
        ok = check("rbxtsc compiles tests/compat/game (%.1f s)" % (time.monotonic() - t0),
                   p.returncode == 0 and os.path.isfile(os.path.join(work, "out", "server", "main.server.luau")),
                   "exit %d\n%s%s" % (p.returncode, p.stdout, p.stderr))
        if not ok:
            return
        result = play([work, "--clients", "2"])
        want = (["[Server] caught no reason", "[Server] server ready",
                 "[Server] final board: 1. Player2 {21}, 2. Player1 {11}"]
                + players(2, "[Player{i}] refused: true")
                + players(2, "[Player{i}] Player{i} total {i}1, seen Player{i}={i}1"))
        rc, out, err, secs = result
        d = "exit %d after %.1f s\n--- stdout\n%s\n--- stderr\n%s" % (rc, secs, "\n".join(out), "\n".join(err))
        check("game exit status 0, stderr empty", rc == 0 and not err, d)
        ok, d = expect("game", result, want)
        check("game output (async/await with Promise, a RemoteEvent and a RemoteFunction, "
              "@rbxts/services, a class with a Map)", ok, d)
    finally:
        shutil.rmtree(work, ignore_errors=True)


install()
run_libraries()
run_net()
run_expected_failures()
run_game()
elapsed = time.monotonic() - started
if failures:
    print("compat: %d FAILED (%.1f s): %s" % (len(failures), elapsed, ", ".join(failures)))
    sys.exit(1)
print("compat: all passed, %d expected failure(s) (%.1f s)" % (len(EXPECTED_FAILURES), elapsed))
