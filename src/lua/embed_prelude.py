#!/usr/bin/env python3
"""Embeds the Lua half of the host (src/lua/prelude/*.lua) into a C file of string chunks.

Run by CMake at build time (a custom command); the generated prelude.c lives in the build
tree and is never committed.

  python3 src/lua/embed_prelude.py --out BUILD/generated/prelude.c [PART.lua ...]

The parts (default: src/lua/prelude/*.lua by name) are concatenated in the order given (one
Lua chunk: later parts see the locals of earlier ones) and split into literals under 4000 bytes (C11 guarantees only 4095 per
literal).
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def c_literal(text):
    out = []
    for line in text.splitlines(True):
        esc = line.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
        esc = esc.replace("\n", "\\n")
        out.append('    "' + esc + '"')
    return "\n".join(out)


def generate(sources):
    lines = []
    for src in sources:
        with open(src, encoding="utf-8") as f:
            lines += f.read().splitlines(True)
    chunks, cur = [], ""
    for line in lines:
        if len(cur.encode()) + len(line.encode()) > 3500 and cur:
            chunks.append(cur)
            cur = ""
        cur += line
    if cur:
        chunks.append(cur)
    body = ",\n".join(c_literal(c) for c in chunks)
    return (
        "/*\n"
        " * prelude.c - GENERATED at build time from the parts in src/lua/prelude by embed_prelude.py.\n"
        " * Holds the Lua half of the host as string chunks; it must never hold logic of its own.\n"
        " */\n"
        '#include "host.h"\n\n'
        "const char *const lh_prelude_chunks[] = {\n" + body + ",\n    NULL};\n"
    )


def main():
    args = sys.argv[1:]
    if "--out" not in args or args.index("--out") + 1 >= len(args):
        print(__doc__, file=sys.stderr)
        return 2
    i = args.index("--out")
    out = args[i + 1]
    sources = args[:i] + args[i + 2:]
    if not sources:
        d = os.path.join(HERE, "prelude")
        sources = [os.path.join(d, n) for n in sorted(os.listdir(d)) if n.endswith(".lua")]
    text = generate(sources)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    try:
        with open(out, encoding="utf-8") as f:
            if f.read() == text:
                return 0  # unchanged: keep the timestamp, nothing to rebuild
    except OSError:
        pass
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
