#!/usr/bin/env python3
"""cli_hostile.py - the hostile-client suite against the CLI: `remotes serve` (a separate
process) runs tests/cli_hostile_place (listeners, yielding invoke handlers, ~1 MB of
replicated state, leaderstats, a relay, a chat-like listener, InvokeClient on every player)
and is attacked from separate `rmt_attacker` processes (tests/tools/attacker.c): every
attack of tests/test_hostile.c plus the findings of issue 10. Meanwhile one good client
(rmt_attacker good, public API) keeps invoking and measures its latency, and one
`remotes join` bystander hears every relay.

Asserted: the server process never exits during the attacks; after every case the good
client's invokes answer again and none ever failed or timed out (15 s timeout); the
bystander is still running; server RSS (/proc/PID/status VmRSS) stays under RSS_BOUND_MB;
stderr stays bounded (log floods are rate-limited); plus each case's own check. Figures
(p50/p99, peak RSS, stderr lines) are printed at the end for docs/robustness.md.

Env: REMOTES_BIN (build dir with `remotes` and `rmt_attacker`), REMOTES_SOURCE_DIR,
REMOTES_SANITIZE=1 for an ASan build (memory bound relaxed, timeouts stretched).
"""
import os
import re
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no tests/__pycache__ in the source tree
import harness  # noqa: E402
from harness import BIN_DIR, SRC, check, failures, start_ready, tmp_dir  # noqa: E402

REMOTES = harness.BIN
ATTACKER = os.path.join(BIN_DIR, "rmt_attacker")
PLACE = os.path.join(SRC, "tests", "cli_hostile_place")
CHAT = os.path.join(SRC, "examples", "lua", "chat")
ASAN = os.environ.get("REMOTES_SANITIZE", "").upper() in ("1", "ON", "TRUE", "YES")
SLOW = 3 if ASAN else 1  # ASan: everything is slower; stretch the generous timeouts further

# Server RSS bound. Measured without ASan: about 25 MB idle (LuaJIT, the place's 1 MB of
# state, the engine), peak 60-110 MB during the attacks (48 deaf joins each holding a ~1 MB
# snapshot in ENet until they time out; unfinished 4 MiB packets held by ENet per peer).
# 200 MB leaves room for a loaded machine while still catching an unbounded growth (the deaf
# joins alone would need 4 MB per peer to cross it). ASan's quarantine and shadow memory
# multiply everything; there the bound only catches runaway growth.
RSS_BOUND_MB = 1500 if ASAN else 200
# stderr: every warning/error source is rate-limited to a few lines a second, so the whole
# run may print at most this many lines per second of its length.
STDERR_LINES_PER_SECOND = 10

known = []  # (case, reason) for failures expected on this branch
results = []


def note(msg):
    print(msg, flush=True)


tmp = tmp_dir()


class Proc:
    """A process with stdout/stderr in files (so a flood never blocks on a pipe)."""

    def __init__(self, name, argv, ready=False):
        self.name = name
        self.out_path = os.path.join(tmp, name + ".out")
        self.err_path = os.path.join(tmp, name + ".err")
        self.out = open(self.out_path, "w")
        self.err = open(self.err_path, "w")
        self.port = None
        if ready:
            self.p, self.port = start_ready(argv, 30 * SLOW, stdout=self.out, stderr=self.err)
        else:
            self.p = subprocess.Popen(argv, stdout=self.out, stderr=self.err)

    def alive(self):
        return self.p.poll() is None

    def text(self, which="out"):
        with open(self.out_path if which == "out" else self.err_path, errors="replace") as f:
            return f.read()

    def lines(self, which="out"):
        return self.text(which).splitlines()

    def rss_kib(self):
        try:
            with open("/proc/%d/status" % self.p.pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def stop(self, sig=signal.SIGTERM, wait=10):
        """Sends sig; returns (seconds to exit, exit code) or (None, None) if it did not."""
        if not self.alive():
            return 0.0, self.p.returncode
        start = time.monotonic()
        self.p.send_signal(sig)
        try:
            self.p.wait(timeout=wait)
            return time.monotonic() - start, self.p.returncode
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            return None, None


class RssSampler(threading.Thread):
    """Samples one process's VmRSS every 50 ms: overall peak and the peak since mark()."""

    def __init__(self, proc):
        super().__init__(daemon=True)
        self.proc = proc
        self.peak = self.window = self.first = 0
        self.running = True

    def run(self):
        while self.running and self.proc.alive():
            r = self.proc.rss_kib()
            if not self.first:
                self.first = r
            self.peak = max(self.peak, r)
            self.window = max(self.window, r)
            time.sleep(0.05)

    def mark(self):
        self.window = self.proc.rss_kib()


def attacker(args, timeout=60):
    """Runs one rmt_attacker command to completion: (exit code, its stdout)."""
    try:
        p = subprocess.run([ATTACKER] + args, capture_output=True, text=True, timeout=timeout * SLOW)
        return p.returncode, (p.stdout + p.stderr).strip()
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        return -1, "attacker timed out after %d s; output: %s" % (timeout * SLOW, out.strip())


# ---------------------------------------------------------------------------------------
# The server, the bystander, the good client
# ---------------------------------------------------------------------------------------
help_text = subprocess.run([REMOTES, "--help"], capture_output=True, text=True).stdout
HAS_MAX_PER_ADDRESS = "--max-per-address" in help_text
MAX_PER_ADDRESS = 16
# A `remotes` from before the Lua guards (e.g. 7c485fb, to check that the cases fail there)
# has neither option: the spin case then runs without a timeout (and must fail), the
# allocation case is skipped (it would take the machine's memory).
HAS_GUARDS = "--script-timeout" in help_text and "--memory-limit" in help_text

serve_args = [REMOTES, "serve", PLACE, "--port", "0"]
if HAS_GUARDS:
    serve_args += ["--script-timeout", "1", "--memory-limit", "64M"]
if HAS_MAX_PER_ADDRESS:
    # every attacker process connects from 127.0.0.1: the main server takes them all; case 5
    # tests the per-address cap against a server of its own
    serve_args += ["--max-per-address", "0"]
server = Proc("server", serve_args, ready=True)
if not server.port or not server.port.isdigit():
    note("FAIL the server did not start: %s %s" % (server.text("out"), server.text("err")))
    sys.exit(1)
PORT = server.port
note("remotes serve on port %s (pid %d)" % (PORT, server.p.pid))
sampler = RssSampler(server)
sampler.start()
run_start = time.monotonic()

bystander = Proc("bystander", [REMOTES, "join", PLACE, "--port", PORT, "--name", "Bystander", "--idle", "0"])
lat_path = os.path.join(tmp, "latency.txt")
good_start = time.monotonic()
good = Proc("good", [ATTACKER, "good", PORT, "600", lat_path])


def good_progress():
    """(answered, failed, wrong) from the good client's last progress line."""
    last = (0, 0, 0)
    for line in good.lines():
        m = re.search(r"answered=(\d+) failed=(\d+) wrong=(\d+)", line)
        if m:
            last = tuple(int(x) for x in m.groups())
    return last


def wait_for(cond, seconds):
    deadline = time.monotonic() + seconds * SLOW
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


ok = wait_for(lambda: "bystander joined" in bystander.text() and good_progress()[0] >= 20, 20)
if not ok:
    note("FAIL setup: bystander or good client did not start\n%s\n%s\n%s" % (
        bystander.text("out") + bystander.text("err"), good.text(), server.text("err")))
    sys.exit(1)
time.sleep(1.0)  # a quiet second: the good client's latency before any attack
quiet_until_ms = (time.monotonic() - good_start) * 1000  # on the good client's clock, near enough


def stats():
    rc, out = attacker(["stats", PORT], timeout=30)
    d = {}
    for line in out.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            d[k] = v
    return d


def stderr_count(pattern=None):
    lines = server.lines("err")
    if pattern is None:
        return len(lines)
    return sum(1 for l in lines if pattern in l)


# ---------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------
ONLY = [x.strip() for x in os.environ.get("REMOTES_HOSTILE_ONLY", "").split(",") if x.strip()]


server_gone = []  # the case during which the server exited, if it did


def selected(name):
    """REMOTES_HOSTILE_ONLY=1b,10a runs only the cases whose names start with those."""
    return not ONLY or any(name.startswith(x) for x in ONLY)


def case(name, fn, pending=None, proc=None):
    """Runs one named case against the main server. fn returns a list of (check, ok, detail).
    Common checks follow: the server and the bystander still run, the good client answers
    again (3 more invokes within 20 s) and has never failed. `pending` names the feature of
    another branch a failure is expected from on this branch (reported, still a failure)."""
    proc = proc or server
    if not selected(name):
        return
    if server_gone:
        note("---- case %s: not run (the server exited during %s)" % (name, server_gone[0]))
        results.append((name, False, "not run"))
        failures.append(name + " (not run)")
        return
    sampler.mark()
    rss_start = sampler.window
    err_before = stderr_count()
    answered_before = good_progress()[0]
    start = time.monotonic()
    checks = fn()
    secs = time.monotonic() - start
    answered_after_case = good_progress()[0]
    resumed = wait_for(lambda: good_progress()[0] >= answered_after_case + 3, 20)
    answered, failed, wrong = good_progress()
    checks = list(checks) + [
        ("server still running", server.alive(), "exit code %s" % server.p.poll()),
        ("bystander (remotes join) still running", bystander.alive(),
         "exit code %s; stderr: %s" % (bystander.p.poll(), bystander.text("err")[-500:])),
        ("good client answers again after the case", resumed and good.alive(),
         "answered %d before, %d after" % (answered_after_case, good_progress()[0])),
        ("good client: no invoke failed", failed == 0 and wrong == 0,
         "failed %d, wrong %d: %s" % (failed, wrong,
                                     [l for l in good.lines() if "failed after" in l][-3:])),
    ]
    bad = [(c, d) for c, okc, d in checks if not okc]
    rss_mb = sampler.window / 1024.0
    err_lines = stderr_count() - err_before
    summary = "%.1f s, good client +%d invokes, RSS %.0f MB at start, peak %.0f MB, +%d stderr lines" % (
        secs, answered - answered_before, rss_start / 1024.0, rss_mb, err_lines)
    if bad:
        failures.append(name)
        tag = "FAIL"
        if pending:
            known.append((name, pending))
            tag = "FAIL (pending: %s)" % pending
        note("%s case %s: %s" % (tag, name, summary))
        for c, d in bad:
            note("       - %s: %s" % (c, d))
    else:
        note("ok   case %s: %s" % (name, summary))
    results.append((name, not bad, summary))
    if not server.alive() and not server_gone:
        server_gone.append(name)
        note("the server exited (code %s); stderr tail:\n%s" % (server.p.returncode, server.text("err")[-3000:]))


def simple(attack, *args, timeout=60):
    """A case whose verdict is the attacker's own (exit 0: the attack ran and saw what it
    should, e.g. an error answer, the connection kept)."""
    def fn():
        rc, out = attacker([attack, PORT] + list(args), timeout=timeout)
        note("       " + out.replace("\n", "\n       "))
        return [("attacker " + attack + " exit 0", rc == 0, out)]
    return fn


def no_unprotected():
    text = server.text("err")
    return ("no unprotected Lua error", "unprotected" not in text and "PANIC" not in text,
            [l for l in text.splitlines() if "unprotected" in l or "PANIC" in l][:3])


# -- test_hostile's attacks, from separate processes --
case("noise: 2,000 random datagrams", simple("noise"))
case("random bytes before the handshake", simple("pre-garbage"))
case("random packets after joining", simple("post-garbage"))
case("truncated messages and lying lengths", simple("truncated"))
case("oversized string and 5 MiB event", simple("oversized"))
case("unknown ids, wrong kinds, server controls, stray replies, second HELLO", simple("confused"))
case("60,000-deep nesting", simple("deep"))
case("floods: invokes, events, unheard remote, unreliable", simple("flood"))
case("2 s storm of six peers", simple("storm"))
case("connect flood without HELLO", simple("connect-flood"))
case("callers that vanish mid-call", simple("vanish"))
case("deaf invoke flooder", simple("deaf-flood"))


# -- 1. 8,000 nil arguments --
def nil_event():
    rc, out = attacker(["nil-event", PORT])
    note("       " + out)
    return [("attacker ran", rc == 0, out), no_unprotected()]


case("1a 8,000 nil arguments in an event", nil_event)
case("1b 8,000 nil arguments through InvokeServer (answered, with an error)", lambda: [
    (lambda r: ("invoke answered, not timed out", r[0] == 0, r[1]))(attacker(["nil-invoke", PORT])),
    no_unprotected()])


def nil_answer():
    before = stats()
    rc, out = attacker(["nil-answer", PORT])
    note("       " + out)
    after = stats()
    note("       InvokeClient errors %s -> %s (last: %s)" % (
        before.get("pingErrors"), after.get("pingErrors"), after.get("lastPingError", "-")))
    return [("attacker answered an InvokeClient", rc == 0, out), no_unprotected()]


case("1c 8,000 nil values as the answer to InvokeClient", nil_answer)


def relay_args():
    rc, out = attacker(["relay-args", PORT])
    note("       " + out)
    heard = wait_for(lambda: "relay with 4002 arguments" in bystander.text(), 10)
    return [("attacker ran", rc == 0, out), no_unprotected(),
            ("bystander heard the 4,000-argument relay (4,002 with name and id)", heard,
             bystander.text()[-500:])]


case("1d large argument lists relayed by FireAllClients(p.Name, p.UserId, ...)", relay_args)


# -- 2. a flood of events whose listener errors --
def listener_errors():
    errors_before = stderr_count("ERROR")
    start = time.monotonic()
    rc, out = attacker(["listener-errors", PORT, "3"])
    note("       " + out)
    secs = time.monotonic() - start
    time.sleep(0.5)
    n = stderr_count("ERROR") - errors_before
    bound = int(STDERR_LINES_PER_SECOND * (secs + 0.5)) + 10
    return [("attacker ran", rc == 0, out),
            ("ERROR lines rate-limited (%d in %.1f s, bound %d)" % (n, secs, bound), n <= bound,
             "%d ERROR lines, e.g. %s" % (n, [l for l in server.lines("err") if "ERROR" in l][-1:]))]


case("2 flood of events whose listener errors (text:upper() on a number)", listener_errors)


# -- 3. relaying a client's lossy table --
def lossy_table():
    before = stderr_count("WARNING")
    start = time.monotonic()
    rc, out = attacker(["lossy-table", PORT])
    note("       " + out)
    time.sleep(0.5)
    secs = time.monotonic() - start
    n = stderr_count("WARNING") - before
    bound = int(STDERR_LINES_PER_SECOND * secs) + 10
    return [("attacker ran", rc == 0, out),
            ("conversion warnings bounded (%d in %.1f s, bound %d)" % (n, secs, bound), n <= bound,
             "%d WARNING lines, e.g. %s" % (n, [l for l in server.lines("err") if "WARNING" in l][-1:]))]


case("3 relaying a client's table of 2,000 sparse arrays (FireAllClients(p, state))", lossy_table)


# -- 4. one client fills a remote's queue --
def queue_fill():
    rc1, out1 = attacker(["queue-fill", PORT])
    rc2, out2 = attacker(["late-good", PORT])
    note("       " + out1 + "\n       " + out2)
    m = re.search(r"late_good=(-?\d+)", out2)
    got = int(m.group(1)) if m else -1
    return [("attackers ran", rc1 == 0 and rc2 == 0, out1 + " / " + out2),
            ("the good client's 20 events on the same remote delivered (%d)" % got, got == 20, out2)]


case("4 one client fills a remote's queue before its listener connects", queue_fill)


# -- 6. unreliable event of 60 KB --
def unreliable_big():
    rc, out = attacker(["unreliable-big", PORT])
    note("       " + out)
    st = stats()
    big = int(st.get("bigUnreliable", "-1"))
    return [("attacker ran", rc == 0, out),
            ("no unreliable event over 1,000 bytes reached a script (%d did)" % big, big == 0,
             "stats: unreliable=%s bigUnreliable=%s" % (st.get("unreliable"), st.get("bigUnreliable")))]


case("6 UnreliableRemoteEvent with a 60 KB payload from a raw peer", unreliable_big)


# -- 8. huge reliable packets one fragment short --
UNFINISHED_PEERS = 8


def unfinished():
    rc, out = attacker(["unfinished", PORT, str(UNFINISHED_PEERS), "5"], timeout=60)
    note("       " + out)
    time.sleep(0.5)
    return [("attacker ran", rc == 0, out),
            ("server RSS bounded (%.0f MB < %d MB)" % (sampler.window / 1024.0, RSS_BOUND_MB),
             sampler.window / 1024.0 < RSS_BOUND_MB, "peak %d KiB" % sampler.window)]


case("8 %d peers sending 4 MiB reliable packets one fragment short" % UNFINISHED_PEERS, unfinished)


# -- 7. deaf half-open joins --
DEAF = 48


def deaf_joins():
    rc, out = attacker(["deaf-joins", PORT, str(DEAF), "3"])
    note("       " + out)
    time.sleep(2)  # they hold their snapshots in ENet until the server times them out
    return [("attacker ran", rc == 0, out),
            ("server RSS bounded (%.0f MB < %d MB)" % (sampler.window / 1024.0, RSS_BOUND_MB),
             sampler.window / 1024.0 < RSS_BOUND_MB, "peak %d KiB" % sampler.window)]


case("7 %d deaf half-open joins against ~1 MB of replicated state" % DEAF, deaf_joins)


# -- 10. a listener that spins, with --script-timeout 1 --
def spin():
    before = stderr_count("Script timeout: exhausted allowed execution time")
    rc, out = attacker(["fire", PORT, "Spin"])
    note("       " + out)
    raised = wait_for(lambda: stderr_count("Script timeout: exhausted allowed execution time") > before, 15)
    return [("attacker ran", rc == 0, out),
            ("the spinning listener got 'Script timeout: exhausted allowed execution time'", raised,
             server.text("err")[-500:])]


case("10a a listener spinning (while true do end) with --script-timeout 1", spin)


# -- 11. a listener that allocates without bound, with --memory-limit 64M --
def hog():
    before = stderr_count("not enough memory")
    rc, out = attacker(["fire", PORT, "Hog"])
    note("       " + out)
    raised = wait_for(lambda: stderr_count("not enough memory") > before, 20)
    return [("attacker ran", rc == 0, out),
            ("the allocating listener got 'not enough memory'", raised, server.text("err")[-500:])]




def hog_small():
    mem, timeout = "not enough memory", "Script timeout: exhausted allowed execution time"
    before = stderr_count(mem) + stderr_count(timeout)
    rc, out = attacker(["fire", PORT, "HogSmall"])
    note("       " + out)
    raised = wait_for(lambda: stderr_count(mem) + stderr_count(timeout) > before, 20)
    time.sleep(1)
    return [("attacker ran", rc == 0, out),
            ("the listener got 'not enough memory' (or the script timeout)", raised,
             server.text("err")[-500:])]


if HAS_GUARDS:
    case("11a a listener allocating 100 KB strings without bound with --memory-limit 64M", hog)
    case("11b a listener allocating 1 KB strings without bound with --memory-limit 64M", hog_small)
else:
    note("SKIP case 11 a listener allocating without bound: this `remotes` has no --memory-limit")
    results.append(("11 a listener allocating without bound", None, "skipped: no --memory-limit"))


# -- 5. all player slots from one address (last: it may leave the server full) --
def slots():
    capped = Proc("capped server", [REMOTES, "serve", PLACE, "--port", "0",
                                    "--max-per-address", str(MAX_PER_ADDRESS)], ready=True)
    try:
        rc, out = attacker(["slots", capped.port, "127.0.0.3", "272"], timeout=60)
    finally:
        capped.stop()
    note("       " + out)
    m = re.search(r"slots_joined=(\d+) newcomer_joined=(\d)", out)
    joined, newcomer = (int(m.group(1)), int(m.group(2))) if m else (-1, 0)
    return [("attacker ran", rc == 0, out),
            ("at most --max-per-address %d joined from one address (%d did)" % (MAX_PER_ADDRESS, joined),
             0 <= joined <= MAX_PER_ADDRESS, out),
            ("a player from another address still joins", newcomer == 1, out)]


if HAS_MAX_PER_ADDRESS:
    case("5 all player slots from one address", slots)
else:
    note("SKIP case 5 all player slots from one address: `remotes serve --help` does not list "
         "--max-per-address (a per-address cap lands in another branch); without it one address "
         "takes every slot, so the case is not run")
    results.append(("5 all player slots from one address", None, "skipped: no --max-per-address"))


# ---------------------------------------------------------------------------------------
# Overall verdicts on the main server
# ---------------------------------------------------------------------------------------
def finish():
    elapsed = time.monotonic() - run_start
    good_alive = good.alive()
    good.stop(signal.SIGTERM, 10)
    summary = [l for l in good.lines() if "summary" in l]
    lats = []
    try:
        with open(lat_path) as f:
            for line in f:
                t, us = line.split()
                lats.append((int(t), int(us)))
    except (OSError, ValueError):
        pass
    quiet = sorted(us for t, us in lats if t < quiet_until_ms)
    attack = sorted(us for t, us in lats if t >= quiet_until_ms)

    def pct(v, p):
        return v[int(p * (len(v) - 1))] / 1000.0 if v else float("nan")

    answered, failed, wrong = good_progress()
    err_lines = stderr_count()
    err_bound = int(STDERR_LINES_PER_SECOND * elapsed)
    server_alive = server.alive()
    secs, code = server.stop(signal.SIGTERM, 10 * SLOW)
    bystander.stop(signal.SIGTERM, 10)
    sampler.running = False
    note("")
    note("figures: %d Echo invokes by the good client during %.0f s of attacks: p50 %.2f ms, p99 "
         "%.2f ms, max %.1f ms (quiet second before: %d invokes, p50 %.2f ms, p99 %.2f ms); "
         "%d answered in all (Echo and the yielding Fetch), %d failed" % (
             len(attack), elapsed, pct(attack, 0.5), pct(attack, 0.99), pct(attack, 1.0),
             len(quiet), pct(quiet, 0.5), pct(quiet, 0.99), answered, failed))
    note("figures: server RSS %.0f MB at start, peak %.0f MB (bound %d MB); stderr %d lines "
         "(bound %d: %d/s over %.0f s)" % (sampler.first / 1024.0, sampler.peak / 1024.0,
                                          RSS_BOUND_MB, err_lines, err_bound,
                                          STDERR_LINES_PER_SECOND, elapsed))
    checks = [
        ("server never exited during the attacks", server_alive, "exit code %s" % code),
        ("good client ran throughout", good_alive, good.text()[-500:]),
        ("every good invoke answered within its 15 s timeout", failed == 0 and wrong == 0 and answered > 20,
         "answered %d failed %d wrong %d" % (answered, failed, wrong)),
        ("server RSS bounded: peak %.0f MB < %d MB" % (sampler.peak / 1024.0, RSS_BOUND_MB),
         sampler.peak / 1024.0 < RSS_BOUND_MB, ""),
        ("server stops on SIGTERM", secs is not None, "did not exit within %d s" % (10 * SLOW)),
    ]
    for c, okc, d in checks:
        check(c, okc, d)
    c = "server stderr bounded: %d lines <= %d" % (err_lines, err_bound)
    if err_lines <= err_bound:
        note("ok   " + c)
    else:
        note("FAIL (pending: rate-limited log lines, another branch) " + c)
        failures.append(c)
        known.append((c, "rate-limited log lines (another branch)"))
        counts = {}
        for l in server.lines("err"):
            key = re.sub(r"\d+", "N", l)[:90]
            counts[key] = counts.get(key, 0) + 1
        for k, n in sorted(counts.items(), key=lambda kv: -kv[1])[:6]:
            note("       %6d x %s" % (n, k))
    separate_servers()
    note("")
    for name, why in known:
        note("  pending on this branch: %s -- %s" % (name, why))
    # what did not run is not a pass: 77 is CTest's SKIP_RETURN_CODE for this test
    harness.finish(skipped=[name for name, ok, _ in results if ok is None])


# ---------------------------------------------------------------------------------------
# Cases with a server of their own
# ---------------------------------------------------------------------------------------
def separate_servers():
    if selected("10b"):
        spin_sigterm()
    if selected("9 "):
        chat_spaces()


def spin_sigterm():
    """10b. SIGTERM to a server whose script spins, with no script timeout."""
    s = Proc("spin-server", [REMOTES, "serve", PLACE, "--port", "0"] +
             (["--script-timeout", "0"] if HAS_GUARDS else []), ready=True)
    rc, out = attacker(["fire", s.port, "Spin"])
    time.sleep(0.5)
    spinning = s.alive()
    secs, code = s.stop(signal.SIGTERM, 5 * SLOW)
    name = "10b SIGTERM to a server whose listener spins (--script-timeout 0)"
    okc = rc == 0 and spinning and secs is not None
    note("%s case %s: %s" % ("ok  " if okc else "FAIL", name,
                             "exited %.2f s after SIGTERM (code %s)" % (secs, code) if secs is not None
                             else "still running 5 s after SIGTERM (killed)"))
    if not okc:
        failures.append(name)
        note("       attacker: %s; stderr: %s" % (out, s.text("err")[-500:]))
    results.append((name, okc, ""))


def chat_spaces():
    """9. 150 KB of spaces (alone, and between two letters) against the shipped chat."""
    s = Proc("chat-server", [REMOTES, "serve", CHAT, "--port", "0"], ready=True)
    rc, out = attacker(["chat-big", s.port, "10", "both"], timeout=60)
    note("       " + out.replace("\n", "\n       "))
    relayed = "chat_relayed=1" in out
    alive = s.alive()
    secs, code = s.stop(signal.SIGTERM, 5 * SLOW)
    name = "9 150 KB chat messages of spaces against examples/lua/chat"
    okc = rc == 0 and relayed and alive
    why = "the example's quadratic gsub is fixed in another branch"
    if okc:
        note("ok   case %s: the next message was relayed; the server stopped %.2f s after SIGTERM" % (
            name, secs if secs is not None else -1))
    else:
        failures.append(name)
        known.append((name, why))
        note("FAIL (pending: %s) case %s: next message relayed: %s, server alive: %s, stopped after "
             "SIGTERM: %s" % (why, name, relayed, alive, "%.2f s" % secs if secs is not None else "no (killed)"))
    results.append((name, okc, ""))


finish()
