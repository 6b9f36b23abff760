#!/usr/bin/env python3
"""Regenerates prelude.c from prelude.lua (the Lua half of the host, embedded as C strings).

Usage: python3 src/lua/embed_prelude.py [--check]
The source is split into literals under 4000 bytes (C11 guarantees only 4095 per literal).
With --check, exits 1 when prelude.c is out of date instead of writing it.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "prelude.lua")
DST = os.path.join(HERE, "prelude.c")


def c_literal(text):
    out = []
    for line in text.splitlines(True):
        esc = line.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
        esc = esc.replace("\n", "\\n")
        out.append('    "' + esc + '"')
    return "\n".join(out)


def generate():
    with open(SRC, encoding="utf-8") as f:
        lines = f.read().splitlines(True)
    chunks, cur = [], ""
    for line in lines:
        if len(cur) + len(line) > 3500 and cur:
            chunks.append(cur)
            cur = ""
        cur += line
    if cur:
        chunks.append(cur)
    body = ",\n".join(c_literal(c) for c in chunks)
    return (
        "/*\n"
        " * prelude.c - GENERATED from prelude.lua by embed_prelude.py; edit prelude.lua instead.\n"
        " * Holds the Lua half of the host as string chunks; it must never hold logic of its own.\n"
        " */\n"
        '#include "host.h"\n\n'
        "const char *const rmt_prelude_chunks[] = {\n" + body + ",\n    NULL};\n"
    )


def main():
    text = generate()
    if "--check" in sys.argv:
        with open(DST, encoding="utf-8") as f:
            if f.read() != text:
                print("prelude.c is out of date: run python3 src/lua/embed_prelude.py", file=sys.stderr)
                return 1
        return 0
    with open(DST, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
