#!/usr/bin/env python3
"""aggregate.py - turns the programs' JSON lines into bench/results/latest.json (the issue's
shape), latest.md (the table and where the goals stand) and the gnuplot PNGs. Computes
medians and ratios only: it never invents or adjusts a figure; a missing run is null."""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess

PEERS = ("remotes", "enet", "enet-batched", "socketio")


def load(raw_path):
    groups = {}
    with open(raw_path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            rec = json.loads(line)
            if "error" in rec:
                continue
            key = (rec["peer"], rec["scenario"], rec.get("clients", 1), rec.get("payload", "jump"))
            g = groups.setdefault(key, {"runs": [], "payload_bytes": rec.get("payload_bytes")})
            g["runs"].extend(rec["runs"])
    return groups


def median(groups, peer, scenario, field, clients=1, payload="jump"):
    g = groups.get((peer, scenario, clients, payload))
    if not g:
        return None
    values = [r[field] for r in g["runs"] if r.get(field) is not None]
    return statistics.median(values) if values else None


def payload_bytes(groups, peer, payload):
    for (p, _s, _c, pl), g in groups.items():
        if p == peer and pl == payload and g.get("payload_bytes"):
            return g["payload_bytes"]
    return None


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_kib = 0
    try:
        with open("/proc/meminfo") as f:
            mem_kib = int(f.readline().split()[1])
    except (OSError, ValueError, IndexError):
        pass

    def version(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None

    def npm_version(pkg):
        try:
            with open(os.path.join(os.path.dirname(__file__), "node_modules", pkg, "package.json")) as f:
                return json.load(f)["version"]
        except (OSError, ValueError, KeyError):
            return None

    return {
        "hostname": platform.node(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1048576, 1),
        "kernel": platform.release(),
        "node": version(["node", "--version"]),
        "socket.io": npm_version("socket.io"),
        "enet": version(["dpkg-query", "-W", "-f=${Version}", "libenet7"]),
        "commit": version(["git", "describe", "--always", "--dirty", "--abbrev=12"]),
        "load_average_at_end": os.getloadavg()[0],
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def cl(c):
    return f"{c} client" if c == 1 else f"{c} clients"


def ratio(ours, peer):
    if ours is None or peer is None or peer == 0:
        return None
    return round(ours / peer, 4)


def entry(name, metric, unit, higher, remotes, enet, socketio):
    rnd = lambda v: None if v is None else round(v, 3)
    return {
        "name": name,
        "metric": metric,
        "unit": unit,
        "higher_is_better": higher,
        "remotes": rnd(remotes),
        "enet": rnd(enet),
        "socketio": rnd(socketio),
        "ratio_vs_enet": ratio(remotes, enet),
        "ratio_vs_socketio": ratio(remotes, socketio),
    }


def build(groups):
    S = []
    m = lambda *a, **k: median(groups, *a, **k)
    for c in (1, 10, 100):
        f = lambda p: m(p, "fire", "events_per_s", clients=c)
        S.append(entry(f"1. fire to server, {cl(c)}", "events/s handled by the server listener",
                       "events/s", True, f("remotes"), f("enet"), f("socketio")))
        S.append(entry(f"1. fire to server, {cl(c)} (vs raw ENet with naive batching)",
                       "events/s handled by the server listener", "events/s", True,
                       f("remotes"), f("enet-batched"), None))
        g = lambda p: m(p, "fire", "server_cpu_ns_per_event", clients=c)
        S.append(entry(f"1. server CPU per event, {cl(c)}",
                       "server process CPU time / events handled (enet column: unbatched; "
                       "naive batching in the next row)", "ns", False, g("remotes"), g("enet"), g("socketio")))
        S.append(entry(f"1. server CPU per event, {cl(c)} (vs raw ENet with naive batching)",
                       "server process CPU time / events handled", "ns", False, g("remotes"),
                       g("enet-batched"), None))
    for c in (10, 100, 1000):
        f = lambda p: m(p, "broadcast", "deliveries_per_s", clients=c)
        S.append(entry(f"2. broadcast to {cl(c)}", "deliveries/s across all clients",
                       "deliveries/s", True, f("remotes"), f("enet"), f("socketio")))
        S.append(entry(f"2. broadcast to {cl(c)} (vs raw ENet with naive batching)",
                       "deliveries/s across all clients", "deliveries/s", True,
                       f("remotes"), f("enet-batched"), None))
        g = lambda p: m(p, "broadcast", "server_cpu_ns_per_delivery", clients=c)
        S.append(entry(f"2. server CPU per delivery, {cl(c)}",
                       "server process CPU time / deliveries", "ns", False, g("remotes"), g("enet"),
                       g("socketio")))
    f = lambda p, k: m(p, "invoke", k)
    S.append(entry("3. invoke round trip p50, sequential", "round-trip latency p50", "us", False,
                   f("remotes", "rtt_p50_us"), f("enet", "rtt_p50_us"), f("socketio", "rtt_p50_us")))
    S.append(entry("3. invoke round trip p99, sequential", "round-trip latency p99", "us", False,
                   f("remotes", "rtt_p99_us"), f("enet", "rtt_p99_us"), f("socketio", "rtt_p99_us")))
    S.append(entry("3. invoke throughput, 64 in flight", "completed invocations/s", "invokes/s", True,
                   f("remotes", "inflight64_per_s"), f("enet", "inflight64_per_s"),
                   f("socketio", "inflight64_per_s")))
    for payload, label in (("jump", '("jump", 150)'), ("table", "a 3-field table")):
        f = lambda p: m(p, "fire", "bytes_per_event", clients=1, payload=payload)
        S.append(entry(f"4. wire bytes per event, {label}",
                       "socket bytes per event, both directions, acks included (UDP payload; "
                       "socket.io: TCP payload)", "bytes", False, f("remotes"), f("enet"), f("socketio")))
        S.append(entry(f"4. wire bytes per event, {label} (vs raw ENet with naive batching)",
                       "socket bytes per event, both directions, acks included", "bytes", False,
                       f("remotes"), f("enet-batched"), None))
        over = lambda p: None if f(p) is None or payload_bytes(groups, p, payload) is None \
            else f(p) - payload_bytes(groups, p, payload)
        S.append(entry(f"4. overhead beyond the encoded arguments, {label}",
                       "socket bytes per event minus encoded argument bytes (enet column: naive batching)",
                       "bytes", False, over("remotes"), over("enet-batched"), None))
    f = lambda p, k: m(p, "burst", k)
    S.append(entry("7. burst 1000 fires/frame at 60 Hz: server CPU", "server CPU time / wall time",
                   "% of one core", False, f("remotes", "server_cpu_pct"), f("enet", "server_cpu_pct"),
                   f("socketio", "server_cpu_pct")))
    S.append(entry("7. burst 1000 fires/frame at 60 Hz: server CPU (vs raw ENet with naive batching)",
                   "server CPU time / wall time", "% of one core", False, f("remotes", "server_cpu_pct"),
                   f("enet-batched", "server_cpu_pct"), None))
    S.append(entry("7. burst 1000 fires/frame at 60 Hz: bytes/s", "socket bytes/s, both directions",
                   "bytes/s", False, f("remotes", "bytes_per_s"), f("enet", "bytes_per_s"),
                   f("socketio", "bytes_per_s")))
    S.append(entry("7. burst 1000 fires/frame at 60 Hz: bytes/s (vs raw ENet with naive batching)",
                   "socket bytes/s, both directions", "bytes/s", False, f("remotes", "bytes_per_s"),
                   f("enet-batched", "bytes_per_s"), None))
    f = lambda p, k: m(p, "scale", k, clients=1000)
    S.append(entry("5. server memory per idle player, 1000 players", "RSS delta / players", "bytes",
                   False, f("remotes", "rss_per_player"), f("enet", "rss_per_player"),
                   f("socketio", "rss_per_player")))
    S.append(entry("5. server CPU per idle player, 1000 players", "server CPU time per second per player",
                   "us/s", False, f("remotes", "cpu_us_per_s_per_player"),
                   f("enet", "cpu_us_per_s_per_player"), f("socketio", "cpu_us_per_s_per_player")))
    S.append(entry("5. time to connect 1000 players", "first connect to last join", "s", False,
                   f("remotes", "connect_s"), f("enet", "connect_s"), f("socketio", "connect_s")))
    for key, label in (("jump_150", '("jump", 150)'), ("table_3_fields", "3-field table"),
                       ("vector3_cframe", "Vector3 + CFrame")):
        for op in ("encode", "decode"):
            f = lambda p: m(p, "codec", f"{key}_{op}_ns")
            S.append(entry(f"6. codec {op} {label}", f"ns per {op} of the argument list "
                           "(socket.io: socket.io-parser packet)", "ns", False, f("remotes"), None,
                           f("socketio")))
        f = lambda p: m(p, "codec", f"{key}_bytes")
        S.append(entry(f"6. codec encoded size {label}", "bytes of the encoded argument list", "bytes",
                       False, f("remotes"), None, f("socketio")))
    for field, label, unit in (("join_bytes", "bytes to a client joining a server with 1,000 IntValues", "bytes"),
                               ("bytes_per_change", "bytes per Value change", "bytes"),
                               ("ten_sets_one_tick_bytes", "bytes for ten sets of one Value in one tick", "bytes")):
        S.append(entry(f"8. replication: {label}", "engine bytes handed to ENet (UDP/IP headers not included)",
                       unit, False, median(groups, "remotes", "replication", field), None, None))
    return S


def fmt(v):
    if v is None:
        return "—"
    if abs(v) >= 1e6:
        return f"{v / 1e6:.2f} M"
    if abs(v) >= 1e4:
        return f"{v / 1e3:.1f} k"
    if abs(v) >= 100:
        return f"{v:.0f}"
    return f"{v:.3g}" if abs(v) < 10 else f"{v:.1f}"


def fmt_ratio(r):
    return "—" if r is None else f"{r:.2f}x"


def goals(S):
    by = {s["name"]: s for s in S}
    out = []

    def add(text, ok):
        status = {None: "unknown (missing figure)", True: "met", False: "NOT met", "info": "information"}[ok]
        out.append(f"| {text} | {status} |")

    for c in (1, 10, 100):
        e = by[f"1. fire to server, {cl(c)}"]
        r = e["ratio_vs_socketio"]
        add(f"1: {cl(c)} >= 10x socket.io ({fmt_ratio(r)})", None if r is None else r >= 10)
        r = e["ratio_vs_enet"]
        add(f"1: {cl(c)} >= 0.8x raw ENet unbatched ({fmt_ratio(r)})", None if r is None else r >= 0.8)
        r = by[f"1. fire to server, {cl(c)} (vs raw ENet with naive batching)"]["ratio_vs_enet"]
        add(f"1: {cl(c)} vs raw ENet naive batching ({fmt_ratio(r)})", None if r is None else "info")
    for c in (10, 100, 1000):
        e = by[f"2. broadcast to {cl(c)}"]
        r = e["ratio_vs_socketio"]
        add(f"2: {cl(c)} >= 10x socket.io ({fmt_ratio(r)})", None if r is None else r >= 10)
        r = e["ratio_vs_enet"]
        add(f"2: {cl(c)} >= 0.8x raw ENet unbatched ({fmt_ratio(r)})", None if r is None else r >= 0.8)
    r = by["3. invoke round trip p50, sequential"]["ratio_vs_enet"]
    add(f"3: p50 within 1.5x of raw ENet echo ({fmt_ratio(r)})", None if r is None else r <= 1.5)
    for label in ('("jump", 150)', "a 3-field table"):
        v = by[f"4. overhead beyond the encoded arguments, {label}"]["remotes"]
        add(f"4: <= 4 bytes overhead per event when batched, {label} ({fmt(v)} bytes)", None if v is None else v <= 4)
    v = by["5. server memory per idle player, 1000 players"]["remotes"]
    add(f"5: <= 32 KiB server memory per idle player ({fmt(v)} bytes)", None if v is None else v <= 32768)
    return out


def markdown(doc, quick):
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {doc['machine']['cpu']}, {doc['machine']['cores']} cores, "
        f"{doc['machine']['memory_gib']} GiB, Linux {doc['machine']['kernel']}; node {doc['machine']['node']}, "
        f"socket.io {doc['machine']['socket.io']}, ENet {doc['machine']['enet']}; {doc['machine']['date']}; "
        f"commit {doc['machine']['commit']}; 1-minute load average at the end "
        f"{doc['machine']['load_average_at_end']:.1f} (the machine is shared).",
        f"Median of {doc['runs']} runs per figure ({'QUICK mode: short runs, noisy' if quick else 'full mode'}). "
        "Ratios are ours / peer (for lower-is-better rows, below 1 means remotes is better).",
        "",
        "| scenario | unit | remotes | raw ENet | socket.io | remotes / ENet | remotes / socket.io |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for s in doc["scenarios"]:
        better = "higher is better" if s["higher_is_better"] else "lower is better"
        lines.append(f"| {s['name']} | {s['unit']} ({better}) | {fmt(s['remotes'])} | {fmt(s['enet'])} | "
                     f"{fmt(s['socketio'])} | {fmt_ratio(s['ratio_vs_enet'])} | {fmt_ratio(s['ratio_vs_socketio'])} |")
    lines += ["", "## Goals", "", "| goal | status |", "|---|---|"] + goals(doc["scenarios"]) + [""]
    if doc.get("notes"):
        lines += ["## Notes from this run", ""] + [f"- {n}" for n in doc["notes"]] + [""]
    return "\n".join(lines)


def failures(raw_path):
    out = []
    with open(raw_path) as f:
        for line in f:
            if line.startswith("{"):
                rec = json.loads(line)
                if "error" in rec:
                    out.append(f"FAILED: {rec['peer']} {rec['scenario']} {rec.get('args', '')}: the program "
                               "exited with an error (its stderr is in the run's log); its runs are "
                               "missing from the medians, which then rest on fewer runs.")
    return out


def notes(groups):
    out = []
    for (peer, scenario, clients, _payload), g in sorted(groups.items()):
        lost = max((r.get("clients_lost", 0) for r in g["runs"]), default=0)
        if lost:
            out.append(f"{peer} {scenario} to {clients} clients: up to {lost} clients lost their "
                       "connection (ENet timeout) during a run; deliveries are counted at the "
                       "clients, so the figure includes only what was really delivered.")
    return out


def plot(groups, out_dir):
    series = {}
    for scenario, field, counts, png, ylabel in (
            ("fire", "events_per_s", (1, 10, 100), "fire.png", "events/s handled by the server"),
            ("broadcast", "deliveries_per_s", (10, 100, 1000), "broadcast.png", "deliveries/s across clients")):
        dat = os.path.join(out_dir, f"{scenario}.dat.tmp")
        with open(dat, "w") as f:
            f.write("# clients " + " ".join(PEERS) + "\n")
            for c in counts:
                vals = [median(groups, p, scenario, field, clients=c) for p in PEERS]
                f.write(f"{c} " + " ".join("NaN" if v is None else f"{v:.1f}" for v in vals) + "\n")
        title = {"fire": "Scenario 1: clients fire (\\\"jump\\\", 150) at the server",
                 "broadcast": "Scenario 2: server broadcasts to every client"}[scenario]
        names = {"remotes": "remotes", "enet": "raw ENet (1 packet/event)",
                 "enet-batched": "raw ENet (naive batching)", "socketio": "socket.io 4 (websocket)"}
        plots = ", ".join(f"'{dat}' using 1:{i + 2} with linespoints lw 2 pt 7 title '{names[p]}'"
                          for i, p in enumerate(PEERS))
        script = f"""
set terminal pngcairo size 900,560 noenhanced
set output '{os.path.join(out_dir, png)}'
set title "{title}"
set xlabel 'clients'
set ylabel '{ylabel} (log scale)'
set logscale xy
set xrange [{counts[0] / 1.4}:{counts[-1] * 1.4}]
set xtics ({", ".join(str(c) for c in counts)})
set grid
set key outside bottom center horizontal
plot {plots}
"""
        try:
            r = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True, timeout=60)
            if r.returncode != 0:
                print(f"aggregate: gnuplot failed: {r.stderr.strip()}")
        except OSError as e:
            print(f"aggregate: gnuplot not available ({e}); no plot")
        os.remove(dat)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--quick", type=int, default=0)
    ap.add_argument("--keep-machine", help="reuse the machine block of this latest.json")
    a = ap.parse_args()
    groups = load(a.raw)
    mach = machine()
    if a.keep_machine:  # re-aggregating an earlier run: keep the machine block it recorded
        with open(a.keep_machine) as f:
            mach = json.load(f)["machine"]
    doc = {"machine": mach, "runs": a.runs, "quick": bool(a.quick), "scenarios": build(groups),
           "notes": failures(a.raw) + notes(groups)}
    with open(os.path.join(a.out, "latest.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    md = markdown(doc, a.quick)
    with open(os.path.join(a.out, "latest.md"), "w") as f:
        f.write(md)
    raw_copy = os.path.join(a.out, "raw.jsonl")
    if os.path.abspath(raw_copy) != os.path.abspath(a.raw):
        with open(raw_copy, "w") as f, open(a.raw) as r:
            f.write(r.read())
    plot(groups, a.out)
    print(md)


if __name__ == "__main__":
    main()
