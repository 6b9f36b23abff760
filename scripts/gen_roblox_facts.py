#!/usr/bin/env python3
"""gen_roblox_facts.py - Roblox's enums, services and classes as a compact table for the Lua host.

Reads the type definitions roblox-ts generates from Roblox's public API dump (npm package
@rbxts/types, pinned by tests/compat/package-lock.json; `npm ci` there first) and writes
src/lua/facts.c: three line-oriented texts the prelude parses lazily. Only names, values,
superclasses, creatability and property types are kept; no documentation is copied.

  python3 scripts/gen_roblox_facts.py [path/to/@rbxts/types] [--check]

Line formats (one record per line, fields separated by TAB):
  enums:    EnumName  Item=Value,Item=Value,...
  classes:  ClassName  SuperClass  flags  Prop:type,...
            flags: c creatable, s service; type: n number, s string, b boolean, V3 Vector3,
            V2 Vector2, CF CFrame, C3 Color3, U UDim, U2 UDim2, I Instance, E.Name enum;
            a leading - marks a read-only property.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_TYPES = os.path.join(ROOT, "tests", "compat", "node_modules", "@rbxts", "types")
DST = os.path.join(ROOT, "src", "lua", "facts.c")

TYPE_CODES = {"number": "n", "string": "s", "boolean": "b", "Vector3": "V3", "Vector2": "V2",
              "CFrame": "CF", "Color3": "C3", "UDim": "U", "UDim2": "U2", "ContentId": "s"}


def parse_enums(text):
    enums, cur, item = {}, None, None
    for line in text.splitlines():
        m = re.match(r"^    export namespace (\w+) \{$", line)
        if m:
            cur = m.group(1)
            enums[cur] = []
            continue
        if cur is None:
            continue
        m = re.match(r"^        export interface (\w+) extends globalThis\.EnumItem \{$", line)
        if m:
            item = m.group(1)
            continue
        m = re.match(r"^            Value: (-?\d+);$", line)
        if m and item:
            enums[cur].append((item, int(m.group(1))))
            item = None
            continue
        if line == "    }":
            cur = None
    return enums


def list_block(text, name):
    m = re.search(r"^interface " + name + r" \{\n(.*?)^\}", text, re.S | re.M)
    return re.findall(r"^    (\w+): \w+;$", m.group(1), re.M) if m else []


def prop_type(t, class_names):
    t = t.strip()
    if t.endswith("| undefined"):
        t = t[: -len("| undefined")].strip()
    if t in TYPE_CODES:
        return TYPE_CODES[t]
    m = re.match(r"^Enum\.(\w+)$", t)
    if m:
        return "E." + m.group(1)
    if t in class_names:
        return "I"  # another class: an instance reference
    return None


def parse_classes(texts):
    classes = {}
    class_names = set()
    for text in texts:
        class_names.update(re.findall(r"^interface (\w+) extends \w+ \{$", text, re.M))
    class_names.add("Instance")
    for text in texts:
        for m in re.finditer(r"^interface (\w+) extends (\w+) \{\n(.*?)^\}", text, re.S | re.M):
            name, sup, body = m.groups()
            props = []
            for pm in re.finditer(r"^    (readonly )?([A-Z]\w*): ([^;(]+);$", body, re.M):
                ro, pname, ptype = pm.groups()
                if pname.startswith("_nominal"):
                    continue
                code = prop_type(ptype, class_names)
                if code is None or "RBXScriptSignal" in ptype:
                    continue
                props.append(("-" if ro else "") + pname + ":" + code)
            if name in classes:
                classes[name]["props"] += [p for p in props if p not in classes[name]["props"]]
            else:
                classes[name] = {"super": sup, "props": props}
    return classes


def c_chunks(name, text):
    lines = text.splitlines(True)
    chunks, cur = [], ""
    for line in lines:
        if len(cur) + len(line) > 3500 and cur:
            chunks.append(cur)
            cur = ""
        cur += line
    if cur:
        chunks.append(cur)
    out = ["const char *const %s[] = {" % name]
    for c in chunks:
        out.append("\n".join('    "' + l.replace("\\", "\\\\").replace('"', '\\"')
                             .replace("\t", "\\t").replace("\n", "\\n") + '"'
                             for l in c.splitlines(True)) + ",")
    out.append("    NULL};\n")
    return "\n".join(out)


def generate(types_dir):
    gen = os.path.join(types_dir, "include", "generated")
    with open(os.path.join(gen, "enums.d.ts"), encoding="utf-8") as f:
        enums = parse_enums(f.read())
    texts = []
    for fn in ("None.d.ts", "PluginSecurity.d.ts"):
        p = os.path.join(gen, fn)
        if os.path.exists(p):
            with open(p, encoding="utf-8") as f:
                texts.append(f.read())
    services = set(list_block(texts[0], "Services"))
    creatable = set(list_block(texts[0], "CreatableInstances"))
    classes = parse_classes(texts)
    with open(os.path.join(types_dir, "package.json"), encoding="utf-8") as f:
        version = re.search(r'"version"\s*:\s*"([^"]+)"', f.read()).group(1)

    enum_text = "".join("%s\t%s\n" % (n, ",".join("%s=%d" % iv for iv in items))
                        for n, items in sorted(enums.items()) if items)
    class_lines = []
    for name in sorted(classes):
        c = classes[name]
        flags = ("c" if name in creatable else "") + ("s" if name in services else "")
        class_lines.append("%s\t%s\t%s\t%s\n" % (name, c["super"], flags, ",".join(c["props"])))
    class_text = "".join(class_lines)
    return (
        "/*\n"
        " * facts.c - GENERATED by scripts/gen_roblox_facts.py from @rbxts/types %s (Roblox's\n"
        " * public API dump as roblox-ts publishes it); edit the generator, not this file.\n"
        " * Facts only: enum names and values, classes, superclasses, services, creatable\n"
        " * classes and property types. It must never hold logic. Formats: the generator's header.\n"
        " */\n#include <stddef.h>\n\n#include \"host.h\"\n\n" % version
        + c_chunks("rmt_facts_enums", enum_text) + "\n"
        + c_chunks("rmt_facts_classes", class_text)
    ), len(enums), len(classes), len(services), len(creatable)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    types_dir = args[0] if args else DEFAULT_TYPES
    if not os.path.isdir(types_dir):
        sys.exit("gen_roblox_facts: %s missing (run `npm ci` in tests/compat)" % types_dir)
    text, ne, nc, ns, ncr = generate(types_dir)
    if "--check" in sys.argv:
        with open(DST, encoding="utf-8") as f:
            if f.read() != text:
                sys.exit("facts.c is out of date: run python3 scripts/gen_roblox_facts.py")
        print("facts.c is up to date")
        return
    with open(DST, "w", encoding="utf-8") as f:
        f.write(text)
    print("wrote %s: %d enums, %d classes (%d services, %d creatable)" % (DST, ne, nc, ns, ncr))


if __name__ == "__main__":
    main()
