/* test_lua_stdlib.c - Luau's standard library on the Lua host: each test runs a script of
 * assertions (Luau's documented results) and checks it ran clean; buffers from C too. */
#define _POSIX_C_SOURCE 200809L

#include "test_lua_util.h"

typedef lua_fixture fixture;

/* Runs the script, which ends with print("done"): no error, and it got to the end. */
static void run_ok(fixture *f, const char *src) {
  run_lua(f->host, &f->cap, src);
  if (f->cap.errors) fprintf(stderr, "%s", f->cap.text);
  assert_int_equal(f->cap.errors, 0);
  assert_true(has_line(&f->cap, "P done"));
}

/* err(f, ...): the message of the error f raises, without the "file:line: " prefix. */
#define ERR_HELPER                                                                 \
  "local function err(f, ...)\n"                                                   \
  "  local ok, e = pcall(f, ...)\n"                                                \
  "  assert(not ok, 'expected an error')\n"                                        \
  "  return (tostring(e):gsub('^[^:]*:%d+: ', ''))\n"                              \
  "end\n"

static void test_number_text(void **state) {
  fixture *f = *state;
  run_ok(f, "assert(tostring(0.1 + 0.2) == '0.30000000000000004')\n"
            "assert(tostring(1/3) == '0.3333333333333333')\n"
            "assert(tostring(2^53) == '9007199254740992')\n"
            "assert(tostring(1e20) == '100000000000000000000')\n"
            "assert(tostring(1e21) == '1e+21')\n"
            "assert(tostring(1e-5) == '0.00001' and tostring(1e-7) == '1e-07')\n"
            "assert(tostring(-0) == '-0' and tostring(0) == '0')\n"
            "assert(tostring(1/0) == 'inf' and tostring(-1/0) == '-inf' and tostring(0/0) == 'nan')\n"
            "assert(tostring(5e-324) == '5e-324' and tostring(123.5) == '123.5')\n"
            "print(0.1 + 0.2, 7)\n"
            "print('done')\n");
  assert_true(has_line(&f->cap, "P 0.30000000000000004 7"));
}

static void test_buffer(void **state) {
  fixture *f = *state;
  run_ok(f, ERR_HELPER
            "local b = buffer.create(16)\n"
            "assert(type(b) == 'buffer' and typeof(b) == 'buffer' and buffer.len(b) == 16)\n"
            "assert(tostring(b):match('^buffer: '))\n"
            "assert(buffer.readu32(b, 12) == 0)\n"
            "buffer.writei8(b, 0, -1) assert(buffer.readu8(b, 0) == 255 and buffer.readi8(b, 0) == -1)\n"
            "buffer.writeu16(b, 1, 0xBEEF) assert(buffer.readu8(b, 1) == 0xEF)\n"
            "assert(buffer.readi16(b, 1) == 0xBEEF - 65536)\n"
            "buffer.writeu32(b, 4, 2^32 + 5) assert(buffer.readu32(b, 4) == 5)\n"
            "buffer.writei32(b, 4, -2) assert(buffer.readi32(b, 4) == -2 and buffer.readu32(b, 4) == 2^32 - 2)\n"
            "buffer.writef32(b, 8, 0.5) assert(buffer.readf32(b, 8) == 0.5)\n"
            "buffer.writef64(b, 8, 0.1) assert(buffer.readf64(b, 8) == 0.1)\n"
            "buffer.writestring(b, 0, 'hello', 4)\n"
            "assert(buffer.readstring(b, 0, 4) == 'hell')\n"
            "local c = buffer.fromstring('abcdef')\n"
            "buffer.copy(c, 2, c, 0, 3) assert(buffer.tostring(c) == 'ababcf')\n"
            "buffer.fill(c, 4, 0x7A) assert(buffer.tostring(c) == 'ababzz')\n"
            "buffer.copy(b, 10, c) assert(buffer.readstring(b, 10, 6) == 'ababzz')\n"
            "local bits = buffer.create(4)\n"
            "buffer.writebits(bits, 3, 7, 0x5F) assert(buffer.readbits(bits, 3, 7) == 0x5F)\n"
            "assert(buffer.readu16(bits, 0) == 0x5F * 8)\n"
            "buffer.writebits(bits, 0, 32, 0xFFFFFFFF) assert(buffer.readbits(bits, 0, 32) == 2^32 - 1)\n"
            "assert(err(buffer.readu8, b, 16) == 'buffer access out of bounds')\n"
            "assert(err(buffer.readi32, b, 13) == 'buffer access out of bounds')\n"
            "assert(err(buffer.writeu8, b, -1, 0) == 'buffer access out of bounds')\n"
            "assert(err(buffer.readstring, b, 0, -1) == \"invalid argument #3 to 'readstring' (size)\")\n"
            "assert(err(buffer.writestring, b, 0, 'ab', 3) == 'string length overflow')\n"
            "assert(err(buffer.create, -1) == \"invalid argument #1 to 'create' (size)\")\n"
            "assert(err(buffer.readbits, bits, 0, 33) == 'bit count is out of range of [0; 32]')\n"
            "assert(err(buffer.readbits, bits, 1, 32) == 'buffer access out of bounds')\n"
            "assert(err(buffer.len, {}) == \"invalid argument #1 to 'len' (buffer expected, got table)\")\n"
            "assert(err(buffer.copy, b, 0, c, 4, 3) == 'buffer access out of bounds')\n"
            "_G.shared_buffer = b\n"
            "print('done')\n");
}

/* The C accessors other modules (remotes) use: a Lua buffer read from C, a C buffer in Lua. */
static void test_buffer_from_c(void **state) {
  fixture *f = *state;
  lua_State *L = f->host->L;
  size_t len = 0;
  unsigned char *p;
  run_ok(f, "_G.from_lua = buffer.fromstring('xyz') print('done')\n");
  lua_getglobal(L, "_G");
  lua_getfield(L, -1, "from_lua");
  p = lh_to_buffer(L, -1, &len);
  assert_non_null(p);
  assert_int_equal(len, 3);
  assert_memory_equal(p, "xyz", 3);
  lua_pop(L, 1);
  lua_pushstring(L, "xyz");
  assert_null(lh_to_buffer(L, -1, NULL)); /* a string is not a buffer */
  lua_pop(L, 1);
  p = lh_push_buffer(L, 2);
  p[0] = 'o';
  p[1] = 'k';
  lua_setfield(L, -2, "from_c");
  lua_pop(L, 1);
  run_ok(f, "assert(buffer.tostring(_G.from_c) == 'ok') print('done')\n");
}

static void test_string_pack(void **state) {
  fixture *f = *state;
  run_ok(f, ERR_HELPER
            "assert(string.pack('<i4', 1) == '\\1\\0\\0\\0' and string.pack('>i2', -2) == '\\255\\254')\n"
            "assert(string.packsize('i4i8d') == 20 and string.packsize('!8 i1 i8') == 16)\n"
            "local s = string.pack('<i3 z s1 B d', -5, 'ab', 'xyz', 200, 0.25)\n"
            "local a, b, c, d, e, nxt = string.unpack('<i3 z s1 B d', s)\n"
            "assert(a == -5 and b == 'ab' and c == 'xyz' and d == 200 and e == 0.25 and nxt == #s + 1)\n"
            "assert(string.unpack('<I2', '\\0\\1\\2', 2) == 0x0201)\n"
            "assert(err(string.pack, 'i1', 200):find('integer overflow'))\n"
            "assert(err(string.pack, 'i17', 0):find('out of limits'))\n"
            "assert(err(string.packsize, 's'):find('variable%-length format'))\n"
            "assert(err(string.unpack, 'i4', 'abc'):find('data string too short'))\n"
            "assert(err(string.pack, 'r', 0):find(\"invalid format option 'r'\"))\n"
            "print('done')\n");
}

static void test_math(void **state) {
  fixture *f = *state;
  run_ok(f, "assert(math.noise(0.5) == 0 and math.noise(0.5, 0.5) == -0.25)\n"
            "assert(math.noise(0.5, 0.5, -0.5) == 0.125)\n"
            "local n = math.noise(12.3, 4.56, 7.89) assert(n >= -1 and n <= 1 and n ~= 0)\n"
            "assert(math.noise(1000.3, 0, 0) == math.noise(1000.3 - 256, 0, 0))\n"
            "assert(math.clamp(5, 1, 3) == 3 and math.clamp(-5, 1, 3) == 1)\n"
            "assert(not pcall(math.clamp, 1, 3, 2))\n"
            "assert(math.sign(-2) == -1 and math.sign(0) == 0 and math.sign(3) == 1)\n"
            "assert(math.round(2.5) == 3 and math.round(-2.5) == -3 and math.round(-0.4) == 0)\n"
            "assert(math.lerp(1, 3, 0.5) == 2 and math.lerp(0.1, 0.7, 1) == 0.7)\n"
            "assert(math.map(5, 0, 10, 100, 200) == 150)\n"
            "assert(math.isnan(0/0) and math.isinf(1/0) and math.isfinite(1))\n"
            "print('done')\n");
}

static void test_tables(void **state) {
  fixture *f = *state;
  run_ok(f, ERR_HELPER
            "local t = table.freeze({ 1, 2, x = 3 })\n"
            "assert(table.isfrozen(t) and not table.isfrozen({}))\n"
            "assert(#t == 2 and t.x == 3 and getmetatable(t) == nil)\n"
            "local n = 0 for _ in pairs(t) do n = n + 1 end assert(n == 3)\n"
            "assert(err(function() t.y = 1 end) == 'attempt to modify a readonly table')\n"
            "assert(err(table.insert, t, 3) == 'attempt to modify a readonly table')\n"
            "assert(err(rawset, t, 'y', 1) == 'attempt to modify a readonly table')\n"
            "assert(err(setmetatable, t, {}) == 'attempt to modify a readonly table')\n"
            "assert(err(table.clear, t) == 'attempt to modify a readonly table')\n"
            "assert(err(table.freeze, t):find('already frozen'))\n"
            "local mt = { __index = function() return 'dflt' end }\n"
            "local u = table.freeze(setmetatable({}, mt))\n"
            "assert(u.anything == 'dflt' and getmetatable(u) == mt)\n"
            "local c = table.clone(t) assert(not table.isfrozen(c) and c[2] == 2 and c.x == 3)\n"
            "c.y = 1\n"
            "assert(table.find({ 'a', 'b', 'c' }, 'b') == 2 and table.find({ 'a' }, 'z') == nil)\n"
            "assert(#table.create(3, 'v') == 3 and table.create(3, 'v')[3] == 'v')\n"
            "local m = table.move({ 1, 2, 3 }, 1, 3, 2, {}) assert(m[2] == 1 and m[4] == 3)\n"
            "local cl = { 1, 2, k = 1 } table.clear(cl) assert(next(cl) == nil)\n"
            "assert(rawlen({ 1, 2 }) == 2 and rawlen('abc') == 3)\n"
            "assert(select(-1, 'a', 'b') == 'b')\n"
            "print('done')\n");
}

static void test_strings(void **state) {
  fixture *f = *state;
  run_ok(f, "local p = ('a,b,,c'):split(',') assert(#p == 4 and p[3] == '' and p[4] == 'c')\n"
            "assert(#('abc'):split('') == 3 and ('x'):split(',')[1] == 'x')\n"
            "assert(string.format('%* %s', 0.1 + 0.2, {} ~= nil) == '0.30000000000000004 true')\n"
            "assert(string.format('%d%% %5.1f %s', 5, 2.5, nil) == '5%   2.5 nil')\n"
            "assert('x\\}y' == 'x}y' and `a\\}{1 + 1}` == 'a}2' and `\\u{48}i` == 'Hi')\n"
            "assert(bit32.band() == 2^32 - 1 and bit32.bor() == 0 and bit32.byteswap(0x11223344) == 0x44332211)\n"
            "assert(bit32.countlz(1) == 31 and bit32.countrz(8) == 3 and bit32.lshift(1, -1) == 0)\n"
            "assert(bit32.arshift(0x80000000, 4) == 0xF8000000 and bit32.lrotate(1, -1) == 0x80000000)\n"
            "assert(bit32.extract(0xF0, 4, 4) == 15 and bit32.replace(0, 1, 31) == 0x80000000)\n"
            "assert(not pcall(bit32.extract, 0, 31, 2))\n"
            "assert(utf8.char(72, 228) == 'H\\195\\164' and utf8.len('H\\195\\164') == 2)\n"
            "local f = loadstring('local x: number = 2 // 1 return x + y') assert(f)\n"
            "y = 40 assert(f() == 42)\n" /* the script's globals, Luau syntax */
            "print('done')\n");
}

static void test_coroutines_and_debug(void **state) {
  fixture *f = *state;
  run_ok(f, "local co = coroutine.create(function() coroutine.yield(1) end)\n"
            "coroutine.resume(co)\n"
            "assert(coroutine.close(co) == true and coroutine.status(co) == 'dead')\n"
            "local ok, e = coroutine.resume(co) assert(not ok and e == 'cannot resume dead coroutine')\n"
            "local bad = coroutine.create(function() error('boom', 0) end)\n"
            "coroutine.resume(bad)\n"
            "local cok, cerr = coroutine.close(bad) assert(cok == false and cerr == 'boom')\n"
            "assert(not pcall(coroutine.close, coroutine.running()))\n"
            "local tb = debug.traceback(nil, 2) assert(type(tb) == 'string')\n"
            "assert(debug.traceback('msg'):match('^msg\\n'))\n"
            "local function here() local s, l = debug.info(1, 'sl') return s, l end\n"
            "local src, line = here() assert(src == 'test.lua' and line == 11)\n"
            "local function named(a, b, ...) local n = debug.info(1, 'n') return n end\n"
            "assert(named() == 'named')\n"
            "local np, va = debug.info(named, 'a') assert(np == 2 and va == true)\n"
            "assert(debug.info(named, 'f') == named and debug.info(100, 'l') == nil)\n"
            "assert(not pcall(debug.info, 1, 'll'))\n"
            "debug.setmemorycategory('x') debug.resetmemorycategory()\n"
            "print('done')\n");
}

/* A closed coroutine leaves the scheduler: a thread parked in task.wait or on a signal is
 * never resumed, and its timer does not keep the host busy (Promise cancellation closes its
 * executor thread, which may be waiting). */
static void test_close_parked(void **state) {
  fixture *f = *state;
  double start = lh_now(f->host); /* this test's host runs on a test clock */
  run_ok(f, "local sleeper = coroutine.create(function() task.wait(3) print('woke') end)\n"
            "coroutine.resume(sleeper)\n"
            "local be = Instance.new('BindableEvent')\n"
            "local waiter = coroutine.create(function() be.Event:Wait() print('signalled') end)\n"
            "coroutine.resume(waiter)\n"
            "assert(coroutine.close(sleeper) and coroutine.close(waiter))\n"
            "be:Fire()\n"
            "local spawned = task.spawn(function() task.wait(3) print('woke too') end)\n"
            "task.defer(coroutine.close, spawned)\n"
            "print('done')\n");
  /* idle before the 3 s timers were due: a timer left behind would have kept it busy (and
   * the run loop moving the clock) until then */
  assert_true(lh_now(f->host) - start < 3.0);
  assert_false(has_line(&f->cap, "P woke"));
  assert_false(has_line(&f->cap, "P signalled"));
  assert_false(has_line(&f->cap, "P woke too"));
}

static void test_clocks_and_vector(void **state) {
  fixture *f = *state;
  run_ok(f, "local c0, t0 = os.clock(), tick()\n"
            "local last = t0\n"
            "for _ = 1, 10000 do local t = tick() assert(t >= last) last = t end\n"
            "_G.c0 = c0\n"
            "assert(math.abs(tick() - os.time()) < 2)\n"
            "local v = vector.create(1, 2, 3)\n"
            "assert(vector.dot(v, vector.one) == 6 and vector.magnitude(vector.create(3, 4, 0)) == 5)\n"
            "assert(vector.floor(vector.create(1.5, -1.5, 0)) == vector.create(1, -2, 0))\n"
            "assert(vector.max(v, vector.create(5, 0, 0)).X == 5)\n"
            "print('done')\n");
  sleep_ms(30); /* os.clock is wall time: it moves while the script does nothing */
  run_ok(f, "assert(os.clock() - _G.c0 >= 0.02) print('done')\n");
}

static void test_dates(void **state) {
  fixture *f = *state;
  run_ok(f, ERR_HELPER
            "assert(os.time({year = 2000, month = 6, day = 10, hour = 0}) == 960595200)\n"
            "assert(os.time({year = 2000, month = 6, day = 10}) == 960595200 + 12 * 3600)\n"
            "assert(os.time({year = 2000, month = 18, day = 10, hour = 0}) ==\n"
            "       os.time({year = 2001, month = 6, day = 10, hour = 0}))\n"
            "assert(os.time({year = 2000, month = 3, day = 0, hour = 0}) == 951782400)\n"
            "assert(os.time({year = 1970, month = 1, day = 1, hour = 0, sec = -1}) == nil)\n"
            "assert(os.time({year = 1969, month = 12, day = 31, hour = 23}) == nil)\n"
            "assert(err(os.time, {hour = 1}) == \"field 'day' missing in date table\")\n"
            "assert(os.date('!%Y-%m-%d %H:%M:%S', 951782400) == '2000-02-29 00:00:00')\n"
            "assert(os.date('', -1) == nil and os.date('!%Y', -1) == '1969')\n"
            "assert(os.date('%%%') == '%%')\n"
            "assert(err(os.date, '%E'):find('invalid conversion specifier', 1, true))\n"
            "local d = os.date('!*t', 0)\n"
            "assert(d.year == 1970 and d.yday == 1 and d.wday == 5 and d.hour == 0)\n"
            "print('done')\n");
}

static void test_base_and_math_wording(void **state) {
  fixture *f = *state;
  run_ok(f, "local ok, e = pcall(function() assert() end)\n"
            "assert(not ok and e:find(': missing argument #1$'))\n"
            "ok, e = pcall(function() assert(false, 'epic') end)\n"
            "assert(e:match('^[^:]+:%d+: epic$'), e)\n"
            "ok, e = pcall(function() assert(nil) end)\n"
            "assert(e:match('^[^:]+:%d+: assertion failed!$'), e)\n"
            "ok, e = pcall(assert, false, {})\n"
            "assert(e:find(\"(string expected, got table)\", 1, true), e)\n"
            "assert(select('#', assert(1, nil, 3)) == 3)\n"
            "assert(pcall(getmetatable) == false and getmetatable(nil) == nil)\n"
            "assert(select(2, pcall(math.random, 1, 2, 3)):find('wrong number of arguments'))\n"
            "local nan = 0 / 0\n"
            "local a = math.min(nan, 2) assert(a ~= a)\n"
            "assert(math.min(1, nan) == 1 and math.max(1, nan) == 1)\n"
            "local b = math.max(nan, 2) assert(b ~= b)\n"
            "assert(math.min(3, '2') == 2 and math.max(1, 5, 2) == 5)\n"
            "assert(math.pi * 2 == math.tau and math.sqrt(2) == math.sqrt2 and math.exp(1) == math.e)\n"
            "assert((1 + math.sqrt(5)) / 2 == math.phi and math.nan ~= math.nan)\n"
            "print('done')\n");
}

static void test_utf8(void **state) {
  fixture *f = *state;
  run_ok(f, ERR_HELPER
            "assert(utf8.char(72, 0x20AC, 0x10FFFF) == 'H\\xE2\\x82\\xAC\\xF4\\x8F\\xBF\\xBF')\n"
            "assert(err(utf8.char, 0x110000) == \"invalid argument #1 to 'char' (value out of range)\")\n"
            "assert(err(utf8.char, -1):find('value out of range', 1, true))\n"
            "assert(utf8.codepoint('\\u{D7FF}') == 0xD7FF)\n"
            "assert(err(utf8.codepoint, '\\u{D800}') == 'invalid UTF-8 code')\n"
            "assert(#'\\u{DFFF}' == 3 and '\\u{D800}' == '\\xED\\xA0\\x80')\n"
            "assert(err(utf8.codepoint, '\\xC0\\x80') == 'invalid UTF-8 code')\n"
            "assert(err(utf8.codepoint, 'abc', 4):find('out of range', 1, true))\n"
            "local a, b = utf8.len('ab\\xE3cd') assert(a == nil and b == 3)\n"
            "assert(utf8.len('\\u{20AC}x', -1) == 1)\n"
            "assert(err(utf8.len, 'abc', 5):find('initial position out of string', 1, true))\n"
            "assert(utf8.offset('a\\u{20AC}b', 3) == 5 and utf8.offset('a\\u{20AC}b', -1) == 5)\n"
            "assert(utf8.offset('a\\u{20AC}b', 0, 3) == 2 and utf8.offset('ab', 5) == nil)\n"
            "assert(err(utf8.offset, '\\u{20AC}', 1, 2) == 'initial position is a continuation byte')\n"
            "local s = '' for p, c in utf8.codes('a\\u{20AC}') do s = s .. p .. ':' .. c .. ' ' end\n"
            "assert(s == '1:97 2:8364 ')\n"
            "assert(err(function() for _ in utf8.codes('a\\x80') do end end) == 'invalid UTF-8 code')\n"
            "assert(('\\0x\\u{20AC}'):gsub(utf8.charpattern, '.') == '...')\n"
            "print('done')\n");
}

static void test_format_and_rep(void **state) {
  fixture *f = *state;
  run_ok(f, ERR_HELPER
            "assert(string.format('%q', 'a\\0b\\r\\n\"\\\\') == '\"a\\\\000b\\\\r\\\\\\n\\\\\"\\\\\\\\\"')\n"
            "assert(string.format('%q', '\\1') == '\"\\1\"')\n"
            "assert(string.format('<%q|%d>', 'x', 5) == '<\"x\"|5>')\n"
            "assert(err(string.format, '%######d', 1) == 'invalid format (repeated flags)')\n"
            "assert(err(string.format, '%123d', 1) == 'invalid format (width or precision too long)')\n"
            "assert(err(string.format, '%.123f', 1) == 'invalid format (width or precision too long)')\n"
            "assert(string.format('%-5d|%05.1f', 3, 2.25) == '3    |002.2' or string.format('%-5d|%05.1f', 3, 2.25) == '3    |002.3')\n"
            "assert(pcall(string.format, '%#*', 'x') == false)\n"
            "assert(err(string.rep, 'x', 2^31) == 'string length overflow')\n"
            "assert(string.rep('', 1e9) == '' and string.rep('ab', 3) == 'ababab')\n"
            "print('done')\n");
}

static void test_table_functions(void **state) {
  fixture *f = *state;
  run_ok(f, ERR_HELPER
            "local a = table.move({1, 2, 3}, 1, 3, 2) assert(a[1] == 1 and a[2] == 1 and a[4] == 3)\n"
            "a = table.move({1, 2, 3}, 2, 3, 1) assert(a[1] == 2 and a[2] == 3 and a[3] == 3)\n"
            "local d = table.move({7, 8}, 1, 2, 5, {}) assert(d[5] == 7 and d[6] == 8 and d[1] == nil)\n"
            "assert(err(table.move, {}, -1, 2^31 - 2, 1):find('too many elements to move', 1, true))\n"
            "assert(err(table.move, {}, 1, 2^31 - 1, 2):find('destination wrap around', 1, true))\n"
            "local t0 = os.clock()\n"
            "d = table.move({[-2^31] = 5, [-2^31 + 3] = 6, [3] = 7}, -2^31, -2^31 + 1e8, 10, {[11] = 'x', [20] = 'y'})\n"
            "assert(d[10] == 5 and d[11] == nil and d[20] == nil and d[13] == 6 and d[2^31 + 13] == nil)\n"
            "assert(os.clock() - t0 < 1, 'a sparse move walks keys, not the range')\n"
            "local log = {} local src = setmetatable({}, {__index = function(_, k) return k * 10 end})\n"
            "d = table.move(src, 1, 2, 1, {}) assert(d[1] == 10 and d[2] == 20)\n"
            "for i = 1, 16 do local t1, t2 = table.create(16, 0), table.create(16)\n"
            "  table.clear(t1) t1[i] = true t2[i] = true assert(#t1 == #t2) end\n"
            "assert(#table.create(3, 'v') == 3 and table.create(3, 'v')[3] == 'v')\n"
            "local t = {1, 2, 3} table.insert(t, 0, 0) table.insert(t, 10, 10)\n"
            "assert(t[0] == 0 and table.concat(t) == '123' and t[10] == 10)\n"
            "t = {1, 2, 3} table.insert(t, 2, 'x') assert(table.concat(t, ',') == '1,x,2,3')\n"
            "assert(table.find({[2] = true}, true, 2) == 2 and table.find({1, nil, 3}, 3) == nil)\n"
            "local mt = {__eq = function() return true end}\n"
            "assert(table.find({setmetatable({}, mt)}, setmetatable({}, mt)) == 1)\n"
            "print('done')\n");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_number_text, lua_fixture_setup, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_buffer, lua_fixture_setup, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_buffer_from_c, lua_fixture_setup, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_string_pack, lua_fixture_setup, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_math, lua_fixture_setup, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_tables, lua_fixture_setup, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_strings, lua_fixture_setup, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_coroutines_and_debug, lua_fixture_setup, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_close_parked, lua_fixture_setup_clocked,
                                      lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_clocks_and_vector, lua_fixture_setup, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_dates, lua_fixture_setup, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_base_and_math_wording, lua_fixture_setup, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_utf8, lua_fixture_setup, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_format_and_rep, lua_fixture_setup, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_table_functions, lua_fixture_setup, lua_fixture_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
