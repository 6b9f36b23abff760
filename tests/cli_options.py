#!/usr/bin/env python3
"""cli_options.py - the `remotes` option table from the outside: unknown options, options
given to a command that does not take them, values where none belong, and the help text and
docs/cli.md agreeing on which command takes which option. No sockets: every case stops at
argument parsing (or is `keygen`/`ticket`, which never touch the network).

Env: REMOTES_BIN (build dir holding `remotes`), REMOTES_SOURCE_DIR (source tree).
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no tests/__pycache__ in the source tree
from harness import SRC, check, finish, run_text  # noqa: E402

PLACE = os.path.join(SRC, "examples", "lua", "player-action")
COMMANDS = ["serve", "join", "play", "ticket", "keygen"]


def run(args):
    return run_text(args, timeout=30)


def usage_error(name, args, message):
    """Exit status 2, nothing on stdout, `message` on stderr with the --help hint."""
    rc, out, err = run(args)
    check(name, rc == 2 and out == "" and message in err and "Try 'remotes --help'" in err,
          "rc=%d out=%r err=%r" % (rc, out, err))


# -- unknown options: every command, both spellings --
for cmd in COMMANDS:
    args = [cmd] + ([PLACE] if cmd in ("serve", "join", "play") else [])
    usage_error("%s: unknown option" % cmd, args + ["--frobnicate"],
                "remotes: unknown option '--frobnicate'")
    usage_error("%s: unknown option=value" % cmd, args + ["--frobnicate=3"],
                "remotes: unknown option '--frobnicate=3'")

# -- options a command does not take: named, with the commands that do --
usage_error("join --clients", ["join", PLACE, "--clients", "2"],
            "remotes: join: --clients is for play")
usage_error("serve --idle", ["serve", PLACE, "--idle", "1"],
            "remotes: serve: --idle is for join/play")
usage_error("play --bind", ["play", PLACE, "--bind", "0.0.0.0"],
            "remotes: play: --bind is for serve")
usage_error("keygen --port", ["keygen", "--port", "1"],
            "remotes: keygen: --port is for serve/join/play")
usage_error("ticket --duration=5", ["ticket", "--duration=5"],
            "remotes: ticket: --duration is for serve/join/play")
usage_error("join --key (its own hint)", ["join", PLACE, "--key", "x"],
            "remotes: join: --key is for serve/play/ticket; join takes --ticket")
usage_error("serve --ticket (its own hint)", ["serve", PLACE, "--ticket", "x"],
            "remotes: serve: --ticket is for join (play mints tickets itself with --key)")
# checked before the value, so a bad value to the wrong command names the command problem
usage_error("join --clients x", ["join", PLACE, "--clients", "x"],
            "remotes: join: --clients is for play")

# -- values --
usage_error("a flag with a value", ["play", PLACE, "--verbose=1"],
            "remotes: option '--verbose' takes no value")
usage_error("a value missing at the end", ["serve", PLACE, "--port"],
            "remotes: option '--port' needs a value")
usage_error("a whole number", ["serve", PLACE, "--port", "7.5"],
            "remotes: --port expects a whole number, got '7.5'")
rc, out, err = run(["serve", PLACE, "--port", "70000"])
check("out of range", rc == 2 and "--port expects a number between 0 and 65535, got '70000'" in err,
      err)
usage_error("required options", ["ticket", "--user", "1", "--name", "A"],
            "remotes: ticket: --key is required")

# -- both spellings of a value reach the same field --
rc, key, err = run(["keygen"])
key = key.strip()
check("keygen", rc == 0 and re.fullmatch(r"[0-9a-f]{64}", key) is not None, err)
rc1, t1, err1 = run(["ticket", "--key", key, "--user", "5", "--name", "Ann", "--ttl", "60"])
rc2, t2, err2 = run(["ticket", "--key=" + key, "--user=5", "--name=Ann", "--ttl=60"])
check("--opt value and --opt=value", rc1 == 0 and rc2 == 0 and t1.startswith("rmt1.")
      and t2.startswith("rmt1."), err1 + err2)

# -- help and docs/cli.md list the same options for the same commands --
rc, help_text, err = run(["--help"])
check("--help", rc == 0, err)
in_help = {}
for m in re.finditer(r"^  (--[a-z-]+)(?: [A-Z]+)?  \(([a-z, ]+)\)$", help_text, re.M):
    cmds = COMMANDS if m.group(2) == "all commands" else m.group(2).split(", ")
    in_help[m.group(1)] = sorted(cmds)
check("help lists options with their commands", len(in_help) >= 15, help_text)

in_docs = {}
with open(os.path.join(SRC, "docs", "cli.md")) as f:
    for line in f:
        m = re.match(r"^\| `(--[a-z-]+)[^`]*` \| ([^|]+) \|", line)
        if m:
            cells = m.group(2).strip()
            cmds = COMMANDS if cells == "all" else re.findall(r"`([a-z]+)`", cells)
            in_docs[m.group(1)] = sorted(cmds)
check("docs/cli.md's option table and --help agree", in_docs == in_help,
      "only in help: %s\nonly in docs: %s\ndiffering: %s" % (
          sorted(set(in_help) - set(in_docs)), sorted(set(in_docs) - set(in_help)),
          sorted(k for k in in_help if k in in_docs and in_help[k] != in_docs[k])))

# every command's synopsis in the help shows each option the table gives it
for cmd in ("serve", "join", "play", "ticket"):
    m = re.search(r"^  %s\b(.*?)\n      [a-z]" % cmd, help_text, re.M | re.S)
    synopsis = m.group(1) if m else ""
    missing = [o for o, cmds in in_help.items() if cmd in cmds and len(cmds) < len(COMMANDS)
               and o not in synopsis]
    check("%s synopsis names its options" % cmd, m is not None and not missing,
          "missing %s in %r" % (missing, synopsis))

finish()
