#!/usr/bin/env python3
"""gen_roblox_facts.py - Roblox's enums, services, classes, property defaults and BrickColor
palette as a compact table for the Lua host.

Reads three public sources and writes src/lua/facts_enums.c (enums, BrickColors),
src/lua/facts_classes.c (classes) and src/lua/facts_defaults.c (property defaults):
line-oriented texts the prelude parses lazily. Only names, values, superclasses, creatability, property types, default values and
colours are kept; no documentation is copied.

  * the type definitions roblox-ts generates from Roblox's public API dump (npm package
    @rbxts/types, pinned by tests/compat/package-lock.json; `npm ci` there first): enums,
    classes, services, creatable classes, property types, BrickColor names and palette order;
  * Roblox's BrickColor reference page in Roblox/creator-docs (BRICKCOLOR_SOURCE below):
    number, name, palette index and 0-255 RGB of every BrickColor;
  * rbx-dom's reflection database (DEFAULTS_SOURCE below), whose DefaultProperties are what
    Roblox Studio gives a freshly created instance of each class, inherited properties
    included (Roblox's own Full-API-Dump.json carries defaults only for properties a creatable
    class declares itself, so it has no Part.Size or Frame.BackgroundColor3).

The last two are not vendored: download each at the pinned commit (URLs below) and pass them;
the generator checks their SHA-256, so a run reproduces the facts files byte for byte.

  python3 scripts/gen_roblox_facts.py [path/to/@rbxts/types] --brickcolors=BrickColor.yaml
          --defaults=database.json [--check]

Line formats (one record per line, fields separated by TAB):
  enums:    EnumName  Item=Value,Item=Value,...
  classes:  ClassName  SuperClass  flags  Prop:type,...
            flags: c creatable, s service; type: n number, s string, b boolean, V3 Vector3,
            V2 Vector2, CF CFrame, C3 Color3, U UDim, U2 UDim2, I Instance, E.Name enum;
            BC BrickColor; a leading - marks a read-only property.
  brickcolors: Number  Name  R,G,B  PaletteIndex   (R,G,B 0-255; index empty when none)
  defaults: ClassName  flags  Parent  Prop=code:value  Prop=code:value ...
            a line per creatable class (flags c) and per class stating a value all the
            creatable classes below it share; Parent is the nearest superclass with a line,
            whose values this line's override. Only values that differ from the type's zero
            (0, "", false, zero vectors, identity CFrame, black, the enum's 0 or first item,
            BrickColor 194); code as for classes (E for any enum: the value is its number,
            C8 a Color3 as 0-255 bytes); in s values \\, \\t and \\n are escaped.
"""
import hashlib
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_TYPES = os.path.join(ROOT, "tests", "compat", "node_modules", "@rbxts", "types")
DST_DIR = os.path.join(ROOT, "src", "lua")

TYPE_CODES = {"number": "n", "string": "s", "boolean": "b", "Vector3": "V3", "Vector2": "V2",
              "CFrame": "CF", "Color3": "C3", "UDim": "U", "UDim2": "U2", "ContentId": "s",
              "BrickColor": "BC"}

# (url at a pinned commit, sha256 of that file)
BRICKCOLOR_SOURCE = (
    "https://raw.githubusercontent.com/Roblox/creator-docs/"
    "4c8f4030d48546d1e92a0c37f186cb91885e1ebf/content/en-us/reference/engine/datatypes/BrickColor.yaml",
    "484973eaf9b9f51b9854d94c03db0185a6fd4e884ceecc60a89d5e7b579e9d8c")
# Roblox's Full-API-Dump.json as MaximumADHD/Roblox-Client-Tracker publishes it (this copy: a
# mirror of that tracker, version 0.735.0.7351131).
DUMP_SOURCE = (
    "https://raw.githubusercontent.com/apiRBX/RCT/"
    "b4b86013dbcf9178172a756c8cf2c056aad0ec81/Full-API-Dump.json",
    "5326249fd655beef7d50b51e1f97874365b5c965d057deb42939ee9dd99354d9")
DEFAULTS_SOURCE = (
    "https://raw.githubusercontent.com/rojo-rbx/rbx-dom/"
    "bc75fd68cbf5403910e94627492a883701e259d8/rbx_dom_lua/src/database.json",
    "414ccdf98df9b31334138a94774aacb47b9f558746d391fad2f701589d3b8779")


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


def read_source(path, source, what):
    if not path:
        sys.exit("gen_roblox_facts: pass --%s=FILE, the file at %s" % (what, source[0]))
    with open(path, "rb") as f:
        data = f.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != source[1]:
        sys.exit("gen_roblox_facts: %s is not the pinned %s (sha256 %s, want %s; update the pin "
                 "in the generator with its commit to move on)" % (path, source[0], digest, source[1]))
    return data.decode("utf-8")


def parse_brickcolors(yaml_text, types_text):
    """The reference page's table, checked against @rbxts/types' names and palette."""
    rows = re.findall(r"<tr>\s*<td><ColorSwatch[^>]*/></td>\s*<td>([^<]+)</td>\s*"
                      r"<td><code>(\d+)</code></td>\s*<td>(?:<code>(\d+)</code>)?</td>\s*"
                      r"<td><code>(\d+), (\d+), (\d+)</code></td>", yaml_text)
    colors = [(int(n), name.strip(), (int(r), int(g), int(b)), None if pal == "" else int(pal))
              for name, n, pal, r, g, b in rows]
    by_number = dict(re.findall(r"^\t(\d+): \"([^\"]+)\";$",
                                re.search(r"^interface BrickColorsByNumber \{\n(.*?)^\}", types_text,
                                          re.S | re.M).group(1), re.M))
    palette = dict(re.findall(r"^\t(\d+): (\d+);$",
                              re.search(r"^interface BrickColorsByPalette \{\n(.*?)^\}", types_text,
                                        re.S | re.M).group(1), re.M))
    # Names come from @rbxts/types (the engine's, as roblox-ts lists them): the reference page
    # has at least one wrong (361 is "Dirt brown" there and in rbx-dom's rbx_types, "Medium
    # brown" on the page). The numbers must be the same set.
    mine = {str(n): name for n, name, _, _ in colors}
    if set(mine) != set(by_number):
        sys.exit("gen_roblox_facts: BrickColor numbers differ from @rbxts/types: %s"
                 % sorted(set(mine) ^ set(by_number)))
    for n in sorted(mine, key=int):
        if mine[n] != by_number[n]:
            print("gen_roblox_facts: BrickColor %s: the reference page says %r, @rbxts/types %r; "
                  "using the latter" % (n, mine[n], by_number[n]), file=sys.stderr)
    colors = [(n, by_number[str(n)], rgb, pal) for n, _, rgb, pal in colors]
    mine_pal = {str(p): str(n) for n, _, _, p in colors if p is not None}
    if mine_pal != palette or len(palette) != 128:
        sys.exit("gen_roblox_facts: BrickColor palette differs from @rbxts/types")
    return colors


def num(x):
    if isinstance(x, float) and x.is_integer():
        x = int(x)
    return str(x) if isinstance(x, int) else repr(x)


def all_numbers(v):
    if isinstance(v, dict):
        return all(all_numbers(x) for x in v.values())
    if isinstance(v, list):
        return all(all_numbers(x) for x in v)
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def enum_zero(enums, ename):
    items = enums.get(ename) or []
    values = [v for _, v in items]
    return 0 if 0 in values or not values else values[0]


IDENTITY = [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]


def encode_default(code, kind, v, enums):
    """code:value for a default of rbx-dom kind `kind`, "" when it is the type's zero, None
    when the kinds do not match (the property is left at its zero)."""
    if code not in ("s", "b") and not code.startswith("E.") and not all_numbers(v):
        return None  # a non-finite float is null in rbx-dom: not a value to state
    if code == "n" and kind in ("Float32", "Float64", "Int32", "Int64"):
        return "" if v == 0 else "n:" + num(v)
    if code == "s" and kind in ("String", "ContentId"):
        if not isinstance(v, str):
            return None
        return "" if v == "" else "s:" + v.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    if code == "b" and kind == "Bool":
        return "b:true" if v else ""
    if code in ("V3", "V2") and kind == {"V3": "Vector3", "V2": "Vector2"}[code]:
        return "" if not any(v) else code + ":" + ",".join(num(x) for x in v)
    if code == "CF" and kind == "CFrame":
        flat = list(v["position"]) + [x for row in v["orientation"] for x in row]
        return "" if flat == IDENTITY else "CF:" + ",".join(num(x) for x in flat)
    if code == "C3" and kind == "Color3":
        return "" if not any(v) else "C3:" + ",".join(num(x) for x in v)
    if code == "C3" and kind == "Color3uint8":
        return "" if not any(v) else "C8:" + ",".join(num(x) for x in v)
    if code == "U" and kind == "UDim":
        return "" if not any(v) else "U:" + ",".join(num(x) for x in v)
    if code == "U2" and kind == "UDim2":
        flat = list(v[0]) + list(v[1])
        return "" if not any(flat) else "U2:" + ",".join(num(x) for x in flat)
    if code.startswith("E.") and kind == "Enum":
        return "" if v == enum_zero(enums, code[2:]) else "E:" + num(v)
    if code == "BC" and kind == "BrickColor":
        return "" if v == 194 else "BC:" + num(v)
    return None


def declaring_class(classes, name, pname):
    while name in classes:
        if any(item.lstrip("-").split(":", 1)[0] == pname for item in classes[name]["props"]):
            return name
        name = classes[name]["super"]
    return None


# The dump's text of a datatype default is its numbers ("0, 8", "{1, 0}, {1, 0}"): how many.
DUMP_SHAPES = {"Vector3": 3, "Vector2": 2, "Color3": 3, "UDim": 2, "UDim2": 4, "CFrame": 12}


def shape_value(vt, n):
    """The dump's numbers as rbx-dom writes a value of that type."""
    if vt == "UDim2":
        return [[n[0], n[1]], [n[2], n[3]]]
    if vt == "CFrame":
        return {"position": n[0:3], "orientation": [n[3:6], n[6:9], n[9:12]]}
    return n


def dump_defaults(dump, enums):
    """Roblox's own defaults: Full-API-Dump.json states one for a property a creatable class
    declares itself (Humanoid.Health, which rbx-dom only has under its saved name Health_XML;
    UICorner.CornerRadius, which is not saved). Numbers, booleans, strings, enums and the
    numeric datatypes: class -> prop -> (rbx-dom kind, value)."""
    enum_values = {n: dict(items) for n, items in enums.items()}
    out = {}
    for c in dump["Classes"]:
        mine = {}
        for m in c["Members"]:
            d = m.get("Default")
            if m["MemberType"] != "Property" or not isinstance(d, str) or d.startswith("__api_dump"):
                continue
            cat, vt = m["ValueType"]["Category"], m["ValueType"]["Name"]
            if cat == "Primitive" and vt in ("float", "double", "int", "int64"):
                try:
                    mine[m["Name"]] = ("Float64", float(d))
                except ValueError:
                    pass
            elif cat == "Primitive" and vt == "bool" and d in ("true", "false"):
                mine[m["Name"]] = ("Bool", d == "true")
            elif (cat, vt) in (("Primitive", "string"), ("DataType", "ContentId")):
                mine[m["Name"]] = ("String", d)
            elif cat == "Enum" and d in enum_values.get(vt, {}):
                mine[m["Name"]] = ("Enum", enum_values[vt][d])
            elif cat == "DataType" and vt in DUMP_SHAPES:
                try:
                    nums = [float(x) for x in re.findall(r"[^\s,{}]+", d)]
                except ValueError:
                    continue
                if len(nums) == DUMP_SHAPES[vt]:
                    mine[m["Name"]] = (vt, shape_value(vt, nums))
        out[c["Name"]] = mine
    return out


def build_defaults(db, dump, classes, creatable, enums):
    """Defaults per creatable class, stated once on the class that declares the property when
    every creatable class below it that the database knows has the same value (Archivable,
    GuiObject.BackgroundColor3): the Lua side overlays a class's line on its superclasses'."""
    stats = {"classes": 0, "values": 0, "zero": 0, "mismatch": 0, "missing": [],
             "dump_agree": 0, "dump_differ": [], "dump_only": 0}
    own = dump_defaults(dump, enums)
    values = {}  # creatable class -> prop -> encoded value ("" for the type's zero)
    for name in sorted(creatable):
        entry = db["Classes"].get(name)
        if entry is None:
            stats["missing"].append(name)
            continue
        mine = values[name] = {}
        canonical = serialized_names(db, name)
        for sname, tagged in entry.get("DefaultProperties", {}).items():
            pname = canonical.get(sname, sname)
            if declaring_class(classes, name, pname) is None:
                continue
            code = None
            for item in classes_props_chain(classes, name):
                if item[0] == pname:
                    code = item[1]
                    break
            if code == "I":
                continue
            kind, v = next(iter(tagged.items()))
            enc = encode_default(code, kind, v, enums)
            if enc is None:
                stats["mismatch"] += 1
            else:
                mine[pname] = enc
        # Roblox's own word wins where it has one; how often the two agree is reported.
        for pname, (kind, v) in own.get(name, {}).items():
            code = dict(classes_props_chain(classes, name)).get(pname)
            if code is None or code == "I":
                continue
            enc = encode_default(code, kind, v, enums)
            if enc is None:
                continue
            if pname not in mine:
                stats["dump_only"] += 1
            elif same_default(mine[pname], enc):
                stats["dump_agree"] += 1
                continue  # rbx-dom's float32 text is the shorter one
            else:
                stats["dump_differ"].append("%s.%s" % (name, pname))
            mine[pname] = enc
        stats["zero"] += sum(1 for enc in mine.values() if enc == "")
    by_decl = {}  # (declaring class, prop) -> {creatable class: value}
    for name, mine in values.items():
        for pname, enc in mine.items():
            by_decl.setdefault((declaring_class(classes, name, pname), pname), {})[name] = enc
    lines = {}
    for (decl, pname), per in by_decl.items():
        below = [c for c in values if declaring_class(classes, c, pname) == decl]
        same = set(per.values())
        if len(per) == len(below) and len(same) == 1:
            if "" not in same:
                lines.setdefault(decl, {})[pname] = same.pop()
        else:
            for c, enc in per.items():
                if enc != "":
                    lines.setdefault(c, {})[pname] = enc
    # Every creatable class has a line, so the Lua side needs no other index: it names the
    # nearest superclass with a line of its own, whose values lie under this line's.
    for name in creatable:
        lines.setdefault(name, {})

    def parent_with_line(name):
        name = classes[name]["super"] if name in classes else ""
        while name in classes and name not in lines:
            name = classes[name]["super"]
        return name if name in lines else ""

    out = []
    for name in sorted(lines):
        items = sorted(lines[name].items())
        stats["values"] += len(items)
        stats["classes"] += 1 if items else 0
        out.append("\t".join([name, "c" if name in creatable else "", parent_with_line(name)]
                             + [k + "=" + v for k, v in items]) + "\n")
    return "".join(out), stats


def same_default(a, b):
    """Equal encoded defaults, numbers compared at float32 precision (rbx-dom keeps float32
    values, the dump prints them rounded). Either may be "" (the type's zero)."""
    if a == b:
        return True
    ca, _, va = a.partition(":")
    cb, _, vb = b.partition(":")
    if ca != cb or ca in ("s", "b", "E", "BC") or va.count(",") != vb.count(","):
        return False
    return all(abs(float(x) - float(y)) <= 1e-6 * max(1.0, abs(float(x)))
               for x, y in zip(va.split(","), vb.split(",")))


def serialized_names(db, name):
    """The database keys defaults by the name a property is saved under (Humanoid's Health is
    saved as Health_XML): saved name -> property name, over the class and its superclasses."""
    out = {}
    while name in db["Classes"]:
        for pname, prop in db["Classes"][name].get("Properties", {}).items():
            ser = prop.get("Kind", {}).get("Canonical", {}).get("Serialization")
            if isinstance(ser, dict) and "SerializesAs" in ser:
                out.setdefault(ser["SerializesAs"], pname)
        name = db["Classes"][name].get("Superclass")
    return out


def classes_props_chain(classes, name):
    while name in classes:
        for item in classes[name]["props"]:
            yield tuple(item.lstrip("-").split(":", 1))
        name = classes[name]["super"]


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


# Which tables go in which file: three files, so none is over the 1,200 lines a source file
# may have (docs/architecture.md); each file's header says what it holds.
FACTS_FILES = (
    ("facts_enums.c", "enum names and values, BrickColors", ("lh_facts_enums", "lh_facts_brickcolors")),
    ("facts_classes.c", "classes, superclasses, services, creatable classes, property types",
     ("lh_facts_classes",)),
    ("facts_defaults.c", "property defaults", ("lh_facts_defaults",)),
)


def facts_files(sources, tables):
    """{file name: text} from the C arrays (c_chunks output) by table name."""
    files = {}
    for name, what, table_names in FACTS_FILES:
        files[name] = (
            "/*\n"
            " * %s - GENERATED by scripts/gen_roblox_facts.py from @rbxts/types %s (Roblox's\n"
            " * public API dump as roblox-ts publishes it), Roblox/creator-docs' BrickColor page and\n"
            " * rbx-dom's reflection database %s (defaults); edit the generator, not this file.\n"
            " * Facts only (%s). It must never hold logic.\n"
            " * Formats and sources: the generator's header.\n"
            " */\n#include <stddef.h>\n\n#include \"host.h\"\n\n" % ((name,) + sources + (what,))
            + "\n".join(tables[t] for t in table_names))
    return files


def generate(types_dir, brickcolor_path, defaults_path, dump_path):
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
    with open(os.path.join(types_dir, "include", "roblox.d.ts"), encoding="utf-8") as f:
        colors = parse_brickcolors(read_source(brickcolor_path, BRICKCOLOR_SOURCE, "brickcolors"),
                                   f.read())
    db = json.loads(read_source(defaults_path, DEFAULTS_SOURCE, "defaults"))
    dump = json.loads(read_source(dump_path, DUMP_SOURCE, "dump"))

    enum_text = "".join("%s\t%s\n" % (n, ",".join("%s=%d" % iv for iv in items))
                        for n, items in sorted(enums.items()) if items)
    class_lines = []
    for name in sorted(classes):
        c = classes[name]
        flags = ("c" if name in creatable else "") + ("s" if name in services else "")
        class_lines.append("%s\t%s\t%s\t%s\n" % (name, c["super"], flags, ",".join(c["props"])))
    class_text = "".join(class_lines)
    color_text = "".join("%d\t%s\t%d,%d,%d\t%s\n" % (n, name, rgb[0], rgb[1], rgb[2],
                                                   "" if pal is None else pal)
                         for n, name, rgb, pal in sorted(colors))
    defaults_text, dstats = build_defaults(db, dump, classes, creatable, enums)
    sources = (version, ".".join(str(x) for x in db["Version"]))
    files = facts_files(sources, {
        "lh_facts_enums": c_chunks("lh_facts_enums", enum_text),
        "lh_facts_classes": c_chunks("lh_facts_classes", class_text),
        "lh_facts_brickcolors": c_chunks("lh_facts_brickcolors", color_text),
        "lh_facts_defaults": c_chunks("lh_facts_defaults", defaults_text)})
    summary = ("%d enums, %d classes (%d services, %d creatable), %d BrickColors, defaults: %d values "
               "in %d classes (%d equal to the type's zero, %d of a type this host lacks; not in "
               "rbx-dom: %s)" % (len(enums), len(classes), len(services), len(creatable), len(colors),
                                 dstats["values"], dstats["classes"], dstats["zero"],
                                 dstats["mismatch"], ", ".join(dstats["missing"]) or "none")
               + "; Full-API-Dump: %d agree with rbx-dom, %d only in the dump, %d differ (the dump's "
               "taken: %s)" % (dstats["dump_agree"], dstats["dump_only"], len(dstats["dump_differ"]),
                               ", ".join(dstats["dump_differ"]) or "none"))
    return files, summary


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    opts = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--") and "=" in a)
    types_dir = args[0] if args else DEFAULT_TYPES
    if not os.path.isdir(types_dir):
        sys.exit("gen_roblox_facts: %s missing (run `npm ci` in tests/compat)" % types_dir)
    files, summary = generate(types_dir, opts.get("brickcolors"), opts.get("defaults"),
                              opts.get("dump"))
    if "--check" in sys.argv:
        for name, text in files.items():
            with open(os.path.join(DST_DIR, name), encoding="utf-8") as f:
                if f.read() != text:
                    sys.exit("%s is out of date: run python3 scripts/gen_roblox_facts.py" % name)
        print("the facts files are up to date")
        return
    for name, text in files.items():
        with open(os.path.join(DST_DIR, name), "w", encoding="utf-8") as f:
            f.write(text)
    print("wrote %s in %s: %s" % (", ".join(files), DST_DIR, summary))

if __name__ == "__main__":
    main()
