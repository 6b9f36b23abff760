#!/usr/bin/env python3
"""host_graph.py [BUILD_DIR] - prints which Lua host file calls functions of which other one
(from the built objects' symbol tables: `nm`) and which host header each file includes, and
exits 1 if either graph has a cycle. The layering in docs/architecture.md is what it checks.
It only reads: it never builds or edits anything.
"""
import os
import re
import subprocess
import sys

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "lua")
OBJ = os.path.join(BUILD, "CMakeFiles", "remotes_lua.dir", "src", "lua")


def cycles(graph):
    """The strongly connected groups of more than one node (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def show(title, graph):
    print(title)
    for v in sorted(graph):
        print("  %-10s -> %s" % (v, " ".join(sorted(graph[v])) or "-"))
    found = cycles(graph)
    print("  cycles: %s" % (found if found else "none"))
    return found


# who calls whom: a symbol one object leaves undefined and another defines
defined, used = {}, {}
objects = sorted(f for f in os.listdir(OBJ) if f.endswith(".c.o")) if os.path.isdir(OBJ) else []
if not objects:
    sys.exit("host_graph.py: no objects in %s (build first)" % OBJ)
for f in objects:
    name = f[:-4]
    for line in subprocess.run(["nm", os.path.join(OBJ, f)], capture_output=True, text=True,
                               check=True).stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TDBR":
            defined[parts[2]] = name
        elif len(parts) == 2 and parts[0] == "U":
            used.setdefault(name, set()).add(parts[1])
calls = {f[:-4]: set() for f in objects}
for name, syms in used.items():
    calls[name] |= {defined[s] for s in syms if s in defined and defined[s] != name}

# who includes whom: host headers by the lines that name them
includes = {}
for f in sorted(os.listdir(SRC)):
    if f.endswith((".c", ".h")):
        with open(os.path.join(SRC, f)) as fh:
            includes[f] = set(re.findall(r'^#include "([a-z_]+\.h)"', fh.read(), re.M)) & set(
                x for x in os.listdir(SRC) if x.endswith(".h"))

bad = show("calls (file -> files whose functions it calls):", calls)
bad += show("includes (file -> host headers it includes):", includes)
sys.exit(1 if bad else 0)
