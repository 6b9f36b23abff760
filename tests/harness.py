"""harness.py - what every tests/*.py script shares: where the built `remotes` and the source
tree are, `check` and the failures it collects, running `remotes` to completion (or until a
server reports its port), a scratch directory with `write`, and `finish`, the summary line
and the exit status CTest reads (0 passed, 1 failed, 77 skipped: SKIP_RETURN_CODE in
CMakeLists.txt).

It is a module, not a test: CMakeLists.txt leaves it out of the tests/*.py it registers.
A script imports it after putting its own directory first on sys.path (so any cwd works).

It must never pass a check silently: a check passes only on a true condition and is printed
either way ("ok   NAME" / "FAIL NAME: detail"); a `remotes` that times out is itself a
failure, whatever the caller then asserts about its exit code; a script that ran no check
does not pass; a skip (77) is never reported while something failed.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.stdout.reconfigure(line_buffering=True)

HERE = os.path.dirname(os.path.abspath(__file__))
BIN_DIR = os.environ.get("REMOTES_BIN", "build")
BIN = os.path.abspath(os.path.join(BIN_DIR, "remotes"))
SRC = os.environ.get("REMOTES_SOURCE_DIR", os.path.dirname(HERE))
NAME = os.path.splitext(os.path.basename(sys.argv[0]))[0] or "test"

failures = []
checks_run = 0
_tmp = None


def check(name, cond, detail=""):
    """Prints and records one verdict; returns cond."""
    global checks_run
    checks_run += 1
    if cond:
        print("ok   " + name)
    else:
        print("FAIL " + name + (": " + detail if detail else ""))
        failures.append(name)
    return cond


def run_text(args, timeout=60, cwd=None):
    """`remotes ARGS...` to completion: (exit code, stdout, stderr) as text (UTF-8, invalid
    bytes replaced). A timeout is recorded as a failed check and returns exit code -1."""
    try:
        p = subprocess.run([BIN] + list(args), capture_output=True, timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired as e:
        check("remotes %s finishes within %s s" % (" ".join(map(str, args))[:200], timeout), False)
        return -1, (e.stdout or b"").decode("utf-8", "replace"), "timed out after %d s" % timeout
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def run(args, timeout=60, cwd=None):
    """run_text, with stdout and stderr as lists of lines."""
    rc, out, err = run_text(args, timeout, cwd)
    return rc, out.splitlines(), err.splitlines()


def show(rc, out, err, limit=None):
    """A failure's detail: the exit code and (the first `limit`) lines of stdout and stderr."""
    return "exit %d\n--- stdout\n%s\n--- stderr\n%s" % (
        rc, "\n".join(out[:limit]), "\n".join(err[:limit]))


def start_ready(argv, seconds=20, **popen):
    """Starts ARGV (a `remotes serve` command line) with --ready-fd and waits up to `seconds`
    for the port it reports: (the Popen, the port as a string, "" if none came)."""
    rfd, wfd = os.pipe()
    p = subprocess.Popen(list(argv) + ["--ready-fd", str(wfd)], pass_fds=(wfd,), **popen)
    os.close(wfd)
    buf = b""
    deadline = time.monotonic() + seconds
    while not buf.endswith(b"\n") and time.monotonic() < deadline:
        chunk = os.read(rfd, 16)
        if not chunk:
            break
        buf += chunk
    os.close(rfd)
    return p, buf.decode().strip()


def by_origin(lines):
    """Lines per origin ([Server], [Player1], ...): in order for one player; sorted for the
    server, whose lines about different players come in whatever order their messages arrived."""
    out = {}
    for line in lines:
        if line.startswith("["):
            out.setdefault(line[1:line.index("]")], []).append(line)
    if "Server" in out:
        out["Server"] = sorted(out["Server"])
    return out


def players(n, fmt):
    return [fmt.format(i=i) for i in range(1, n + 1)]


def tmp_dir():
    """This run's scratch directory: removed when every check passed, kept otherwise."""
    global _tmp
    if _tmp is None:
        _tmp = tempfile.mkdtemp(prefix="remotes-%s-" % NAME)
    return _tmp


def write(name, text, root=None):
    """Writes `text` to NAME under root (default: tmp_dir()), making its directories."""
    path = os.path.join(root or tmp_dir(), name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return path


def finish(skipped=()):
    """The summary line and the exit status: 1 if any check failed (or none ran), else 77 if
    something named in `skipped` did not run, else 0."""
    if checks_run == 0:
        failures.append("no check ran")
    if failures:
        print("%d failed: %s" % (len(failures), "; ".join(failures)))
        if _tmp:
            print("(outputs kept in %s)" % _tmp)
        sys.exit(1)
    if _tmp:
        shutil.rmtree(_tmp, ignore_errors=True)
    if skipped:
        print("passed, but %d skipped: %s" % (len(skipped), "; ".join(skipped)))
        sys.exit(77)
    print("all passed")
    sys.exit(0)
