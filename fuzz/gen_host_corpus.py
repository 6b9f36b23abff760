#!/usr/bin/env python3
"""gen_host_corpus.py - writes the seed corpus of fuzz_host (fuzz/fuzz_host.c describes the
input format): for each side, events, invokes and answers to the host's own invokes on each
of the place's remotes with MessagePack payloads of every value kind, trees, and the client's
player and remote ops. Usage: python3 fuzz/gen_host_corpus.py [dir] (default
fuzz/corpus/host). What is checked in there is the set-cover minimised corpus of a campaign
that started from these seeds (docs/robustness.md, "Fuzzing the host")."""
import os
import struct
import sys

EV, UN, FN, NOW, ERR, NONE, QUIET = range(7)  # sel: the place's remotes, in fuzz_host.c order


# ---- MessagePack, as the engine encodes (src/codec.c) ----
def pstr(s):
    b = s.encode() if isinstance(s, str) else s
    if len(b) < 32:
        return bytes([0xa0 | len(b)]) + b
    if len(b) < 256:
        return b"\xd9" + bytes([len(b)]) + b
    return b"\xda" + struct.pack(">H", len(b)) + b


def pint(n):
    if 0 <= n < 128:
        return bytes([n])
    if -32 <= n < 0:
        return struct.pack("b", n)
    return b"\xd2" + struct.pack(">i", n)


def pdouble(x):
    return b"\xcb" + struct.pack(">d", x)


def parr(items):
    assert len(items) < 16
    return bytes([0x90 | len(items)]) + b"".join(items)


def pmap(pairs):
    assert len(pairs) < 16
    return bytes([0x80 | len(pairs)]) + b"".join(k + v for k, v in pairs)


def pext(t, body):
    if len(body) == 4:
        return b"\xd6" + bytes([t]) + body
    return b"\xc7" + bytes([len(body), t]) + body


def vec3(x, y, z):
    return pext(1, struct.pack("<3f", x, y, z))


def cframe(*f):
    return pext(2, struct.pack("<%df" % len(f), *f))


def color3(r, g, b):
    return pext(3, struct.pack("<3f", r, g, b))


def player(pid):
    return pext(4, struct.pack("<I", pid))


def pnum(x):  # as pack_number: small ints as ints, else float64 (exact either way)
    return pint(x) if x == int(x) and -2**31 <= x < 2**31 else pdouble(x)


def datatype(kind, *nums):  # ext 5: kind byte + numbers (docs/values.md)
    return pext(5, bytes([kind]) + b"".join(pnum(x) for x in nums))


def enumitem(name, value):  # ext 6: Value + enum name
    return pext(6, pint(value) + name.encode())


def tweeninfo(time, style, direction, repeat, reverses, delay):
    return pext(5, bytes([13]) + pnum(time) + pint(style) + pint(direction) + pnum(repeat) +
                (b"\xc3" if reverses else b"\xc2") + pnum(delay))


def datatypes_payload():  # every datatype kind, EnumItems, and two this host cannot build
    return args(datatype(1, 1.5, -2), datatype(3, 0.5, 10, 1, -20), datatype(5, 1, 2),
                datatype(10, 0, 1, 0, 0.5, 2, 0, 1, 0, 0), datatype(11, 0, 1, 0, 0, 1, 0, 0, 1),
                datatype(12, 1, 2, 3, 0, -1, 0), datatype(8, 194), tweeninfo(1, 1, 2, 0, True, 0),
                enumitem("Material", 256),
                pmap([(pstr("k"), enumitem("KeyCode", 69)), (pstr("t"), datatype(9, 5000))]),
                enumitem("NoSuchEnum", 1), enumitem("Material", 123456))


def args(*vals):  # a top-level argument list is one MessagePack array
    return parr(list(vals))


# ---- ops ----
def op(code, sel=0, arg=0, payload=b""):
    return bytes([code, sel, arg]) + struct.pack("<H", len(payload)) + payload


def write(d, name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else "fuzz/corpus/host"
    os.makedirs(d, exist_ok=True)
    scalars = args(b"\xc0", b"\xc3", pint(42), pint(-7), pdouble(0.5), pdouble(float("nan")),
                   pdouble(float("inf")), pstr("hello"))
    roblox = args(vec3(1, 2, 3), cframe(1, 2, 3), cframe(*range(12)), color3(1, 0.5, 0),
                  player(1), player(2), player(99))
    nested = args(pmap([(pstr("items"), parr([pint(1), pstr("two"), vec3(3, 3, 3)])),
                        (pstr("inner"), pmap([(pstr("x"), pint(1)), (pstr("Name"), pstr("y"))]))]),
                  pstr("tail"))
    deep = parr([])
    for _ in range(30):
        deep = parr([deep])
    deep = args(deep)
    many = b"\xdc" + struct.pack(">H", 300) + b"\x01" * 300  # 300 arguments
    dtypes = datatypes_payload()
    payloads = {"scalars": scalars, "roblox": roblox, "nested": nested, "deep": deep,
                "many": many, "empty": args(), "datatypes": dtypes}
    # a tree: 3 args; an array of 2 (string, vector3), a dict, a player ref
    tree = bytes([3, 0xc0, 2, 4, 1, 6]) + struct.pack("<3f", 1, 2, 3) + \
        bytes([0xe0, 2, 1, 0xc0 | 0, 1, 2, 0x41, 10, 0])
    big_tree = bytes([0x80, 0x10, 0x10, 0xc8, 0x00, 0x02, 4, 1])  # 4112 args, an array of 512
    deep_tree = bytes([1, 0xd8, 0xe8, 0x03, 4, 5])                 # 1000-deep chain

    for side, base in (("server", 0), ("client", 1)):
        b = bytes([base])
        for name, p in payloads.items():
            write(d, "%s_event_%s" % (side, name), b + op(0, EV, 0, p))
        write(d, "%s_unreliable" % side, b + op(1, UN, 0, scalars))
        write(d, "%s_invoke_yield" % side, b + op(2, FN, 5, nested))
        write(d, "%s_invoke_now" % side, b + op(2, NOW, 6, roblox))
        write(d, "%s_invoke_error" % side, b + op(2, ERR, 7, scalars) + op(2, ERR, 8, nested))
        write(d, "%s_invoke_nohandler" % side, b + op(2, NONE, 9, scalars))
        write(d, "%s_queued" % side, b + op(0, QUIET, 0, scalars) * 3)
        write(d, "%s_result" % side, b + op(3, FN, 0, roblox) + op(3, FN, 1, nested))
        write(d, "%s_result_many" % side, b + op(3, FN, 0, many))
        write(d, "%s_error" % side, b + op(4, 7, 0, b"handler failed") + op(4, 2, 1, b"x"))
        write(d, "%s_wrong_channel" % side, b + op(1, EV, 0, scalars) + op(0, UN, 0, scalars))
        write(d, "%s_unknown_remote" % side, b + op(0, 0xfe, 0, scalars) + op(2, 0xff, 1, b""))
        write(d, "%s_tree_signal" % side, b + op(6, EV, 0, tree) + op(6, UN, 0, tree))
        write(d, "%s_tree_big" % side, b + op(6, EV, 0, big_tree) + op(6, EV, 0, deep_tree))
        write(d, "%s_tree_encoded" % side,
              b + op(7, EV, 0, tree) + op(8, FN, 3, tree) + op(9, FN, 0, tree))
        write(d, "%s_mixed" % side,
              b + op(0, EV, 0, nested) + op(2, FN, 1, roblox) + op(3, FN, 0, scalars) +
              op(0, UN, 0, roblox) + op(2, NOW, 2, deep))
    c = bytes([1])
    write(d, "client_players", c + op(10, 0, 0, b"Other") + op(0, EV, 0, args(player(2))) +
          op(6, EV, 0, bytes([2, 10, 0, 10, 1])) + op(10, 0, 1))
    write(d, "client_remotes", c + op(11, 0, 0, b"Remotes/Extra") + op(11, 1, 4, b"A/B/C") +
          op(0, 0xe8, 0, scalars) + op(11, 0, 1))
    write(d, "server_bye", bytes([0]) + op(0, EV, 0, scalars) + op(10, 0, 0))


if __name__ == "__main__":
    main()
