/* test_lua_luau.c - the Luau -> LuaJIT translator: exact outputs for each construct, line
 * breaks kept, valid Lua untouched, translated code run on LuaJIT, errors, OOM, no leaks. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <lualib.h>

#include "lua/luau.h"
#include "test_lua_util.h"

#define IDIV                                                                                   \
  "local __luau_idiv do local floor, tonum, getmt = math.floor, tonumber, getmetatable "      \
  "__luau_idiv = function(a, b) local x, y = tonum(a), tonum(b) "                              \
  "if x and y then return floor(x / y) end local m = getmt(a) "                                \
  "local h = type(m) == \"table\" and m.__idiv if not h then m = getmt(b) "                    \
  "h = type(m) == \"table\" and m.__idiv end if h then return h(a, b) end "                    \
  "return floor(a / b) end end "
#define ITER                                                                            \
  "local function __luau_iter(o, ...) local t = type(o) if t == \"table\" or t == \"userdata\" then " \
  "local m = getmetatable(o) if type(m) == \"table\" and m.__iter then return m.__iter(o) end "   \
  "if t == \"table\" and not (type(m) == \"table\" and m.__call) then return next, o end "       \
  "elseif t ~= \"function\" then error(\"attempt to iterate over a \" .. t .. \" value\", 2) end "    \
  "return o, ... end "

typedef struct pair {
  const char *in, *out;
} pair;

static const pair pairs[] = {
    /* type annotations */
    {"local x: number = 1", "local x = 1"},
    {"local a: {string}, b: Map<string, number>? = {}, nil", "local a, b = {}, nil"},
    {"function f(a: number, b: string?): boolean return true end",
     "function f(a, b) return true end"},
    {"local function g<T, U...>(x: T, ...: U...): (T, U...) return x end",
     "local function g(x, ...) return x end"},
    {"local h = function<T>(x: T): T return x end", "local h = function(x) return x end"},
    {"function M:method(s: M, cb: (number) -> ()): () end", "function M:method(s, cb) end"},
    {"function M.new<T>(n: string?, ...: any): Sig<T> end", "function M.new(n, ...) end"},
    {"for i: number = 1, 2 do end", "for i = 1, 2 do end"},
    {"for k: string, v: any in pairs(t) do end", "for k, v in pairs(t) do end"},
    {"type Point = { x: number, y: number }", ""},
    {"export type Pair<A, B = A> = { first: A, second: B }", ""},
    {"type Multi = {\n  a: number,\n  b: string,\n}\nlocal y = 1", "\n\n\n\nlocal y = 1"},
    {"type U =\n  | \"a\"\n  | \"b\"\nlocal y = 1", "\n\n\nlocal y = 1"},
    {"type Cb<T...> = (T...) -> ()", ""},
    {"type function F(t: type)\n  local u = if t:is(\"nil\") then t else nil\n  return u\nend\nlocal y = 1",
     "\n\n\n\nlocal y = 1"},
    {"export type function G(a: type, b: type) for _ in a:components() do end return b end\nx=1",
     "\nx=1"},
    {"type A = {\r\n  a: number\r\n}\r\nlocal x: number = 1\r\nx += 1\r\n",
     "\n\n \r\nlocal x = 1\r\nx = x + (1)\r\n"},
    {"local v = x :: number", "local v = x "},
    {"local w = (x :: any).field", "local w = (x ).field"},
    {"local s: \"a\" | \"b\" = \"a\"", "local s = \"a\""},
    {"local o: (string | number)? & Foo = nil", "local o = nil"},
    {"local tf: typeof(setmetatable({}, mt)) = nil", "local tf = nil"},
    {"local fn: <T>(T, ...number) -> ...T = nil", "local fn = nil"},
    {"local tb: { [string]: { read x: number, write y: number }, [number]: string } = {}",
     "local tb = {}"},
    {"local nt: (a: number, b: string) -> boolean = f", "local nt = f"},
    {"local c = x :: typeof(y)", "local c = x "},
    {"return x :: any", "return x "},
    {"local e: Mod.Type<boolean, {true}> = nil", "local e = nil"},
    /* attributes */
    {"@native function f() end", " function f() end"},
    {"@native local function g() end", " local function g() end"},
    {"@checked\nfunction h() end", "\nfunction h() end"},
    /* compound assignment */
    {"x += 1", "x = x + (1)"},
    {"x -= f(2)", "x = x - (f(2))"},
    {"x *= 3", "x = x * (3)"},
    {"x /= 4", "x = x / (4)"},
    {"x %= 5", "x = x % (5)"},
    {"x ^= 2", "x = x ^ (2)"},
    {"x ..= \"s\"", "x = x .. (\"s\")"},
    {"x //= 2", IDIV "x = __luau_idiv(x, (2))"},
    {"self.count += 1", "self.count = self.count + (1)"},
    {"t[1] += 1", "t[1] = t[1] + (1)"},
    {"t[\"k\"] += 1", "t[\"k\"] = t[\"k\"] + (1)"},
    {"t[i] -= 1", "t[i] = t[i] - (1)"},
    {"t.a.b += 1", "do local __luau_t = t.a ; __luau_t.b = __luau_t.b + (1) end"},
    {"t[f()] += 1",
     "do local __luau_t, __luau_k = t, f() ; __luau_t[__luau_k] = __luau_t[__luau_k] + (1) end"},
    {"t[k].v ..= \"x\"", "do local __luau_t = t[k] ; __luau_t.v = __luau_t.v .. (\"x\") end"},
    {"t[\n  f()\n] += 1",
     "do local __luau_t, __luau_k = t, \n  f()\n ; __luau_t[__luau_k] = __luau_t[__luau_k] + (1) end"},
    {"x += -- why\n  2", "x = x + ( -- why\n  2)"},
    /* continue */
    {"while true do if a then continue end end",
     "while true do if a then goto __continue_1 end ::__continue_1:: end"},
    {"while c do\n  if a then continue end\n  local z = 1\nend",
     "while c do\n  if a then goto __continue_1 end\n  local z = 1\n::__continue_1:: end"},
    {"repeat if a then continue end until b",
     "repeat do if a then goto __continue_1 end ::__continue_1:: end until b"},
    {"repeat\n  local n = 1\n  if n then continue end\n  local m = 2\nuntil n",
     "repeat\n  local n = 1\n  do if n then goto __continue_1 end\n  local m = 2\n::__continue_1:: end until n"},
    {"for i = 1, 3 do if a then continue end return end",
     "for i = 1, 3 do if a then goto __continue_1 end do return end ::__continue_1:: end"},
    {"for i = 1, 2 do for j = 1, 2 do continue end continue end",
     "for i = 1, 2 do for j = 1, 2 do goto __continue_1 ::__continue_1:: end goto __continue_2 ::__continue_2:: end"},
    {"for i = 1, 2 do local f = function() for j = 1, 2 do continue end end end",
     "for i = 1, 2 do local f = function() for j = 1, 2 do goto __continue_1 ::__continue_1:: end end end"},
    {"local continue = 1", "local continue = 1"},
    {"continue = 2", "continue = 2"},
    {"t.continue = continue", "t.continue = continue"},
    {"continue(1)", "continue(1)"},
    {"local type = 1 type = type + 1 print(type(x))", "local type = 1 type = type + 1 print(type(x))"},
    /* if-expressions */
    {"local r = if a then b else c", "local r = (( a ) and { b } or { c})[1]"},
    {"local r = if a then b elseif c then d else e",
     "local r = (( a ) and { b } or ( c ) and { d } or { e})[1]"},
    {"local r = if a or b then nil else false", "local r = (( a or b ) and { nil } or { false})[1]"},
    {"local r = (if a then 1 else 2) + 3", "local r = ((( a ) and { 1 } or { 2})[1]) + 3"},
    {"local r = if a then if b then 1 else 2 else 3",
     "local r = (( a ) and { (( b ) and { 1 } or { 2})[1] } or { 3})[1]"},
    /* string interpolation */
    {"local s = `hello`", "local s = \"hello\""},
    {"local s = ``", "local s = \"\""},
    {"local s = `a {b} c`", "local s = (\"a \" .. tostring(b) .. \" c\")"},
    {"local s = `{x}{y}`", "local s = (tostring(x) .. tostring(y))"},
    {"local s = `brace \\{ tick \\` quote \" {f({1})}`",
     "local s = (\"brace { tick ` quote \\\" \" .. tostring(f({1})))"},
    {"local s = `outer {`inner {x}`}`", "local s = (\"outer \" .. tostring((\"inner \" .. tostring(x))))"},
    {"local s = `a\\\nb{x}`", "local s = (\"a\\\nb\" .. tostring(x))"},
    /* floor division and numbers */
    {"local q = a // b", IDIV "local q = __luau_idiv(a , b)"},
    {"local q = a * b // c + d", IDIV "local q = __luau_idiv(a * b , c) + d"},
    {"local q = -a // b ^ 2", IDIV "local q = __luau_idiv(-a , b ^ 2)"},
    {"local q = a .. b // c", IDIV "local q = a .. __luau_idiv(b , c)"},
    {"local q = a // b // c", IDIV "local q = __luau_idiv(__luau_idiv(a , b) , c)"},
    {"local n = 0b1010 + 0B11 + 1_000_000 + 0xFF_FF + 1_0.5",
     "local n = 0b1010 + 0B11 + 1000000 + 0xFFFF + 10.5"},
    {"local n = 0b1010_1010", "local n = 0b10101010"},
    /* generalized iteration */
    {"for k, v in t do end", ITER "for k, v in __luau_iter(t) do end"},
    {"for _, v: number in {1, 2} do end", ITER "for _, v in __luau_iter({1, 2}) do end"},
    {"for _, v in self.items do end", ITER "for _, v in __luau_iter(self.items) do end"},
    {"for k, v in pairs(t) do end", "for k, v in pairs(t) do end"},
    {"for i, v in ipairs(t) do end for w in s:gmatch('%a+') do end for l in io.lines() do end",
     "for i, v in ipairs(t) do end for w in s:gmatch('%a+') do end for l in io.lines() do end"},
    {"for _, p in Players:GetPlayers() do end", ITER "for _, p in __luau_iter(Players:GetPlayers()) do end"},
    {"for x in iter(t) do end", ITER "for x in __luau_iter(iter(t)) do end"},
    {"for k, v in next, t do end", "for k, v in next, t do end"},
    {"for k, v in a or b do end", "for k, v in a or b do end"},
    /* LuaJIT-only forms stay */
    {"#!/usr/bin/env luajit\nlocal x = 1 // 2", "#!/usr/bin/env luajit\n" IDIV "local x = __luau_idiv(1 , 2)"},
    {"goto = 1 goto continue ::continue::", "goto = 1 goto continue ::continue::"},
    {"local x = a ::done:: goto done", "local x = a ::done:: goto done"},
    {"local n = 1LL + 0x1p4 + 2ULL", "local n = 1LL + 0x1p4 + 2ULL"},
};

static size_t count_nl(const char *s, size_t n) {
  size_t k, c = 0;
  for (k = 0; k < n; k++) c += s[k] == '\n';
  return c;
}

/* Translates with a counting allocator; returns the result (malloc'd, NUL-terminated) or
 * NULL with *rc and err set. */
static char *translate(const char *src, size_t len, int *rc, char *err, size_t errlen) {
  alloc_counter ac;
  rmt_buf out = {0};
  char *s = NULL;
  alloc_counter_init(&ac);
  out.alloc = &ac.hook;
  *rc = rmt__luau_translate(src, len, &out, err, errlen);
  if (*rc == 0) {
    s = malloc(out.len + 1);
    assert_non_null(s);
    if (out.len) memcpy(s, out.data, out.len);
    s[out.len] = 0;
  } else {
    assert_int_equal(out.len, 0);
  }
  rmt_buf_free(&out);
  assert_int_equal(ac.live_blocks, 0);
  assert_false(ac.bad_osize);
  return s;
}

static void test_pairs(void **state) {
  size_t k;
  (void)state;
  for (k = 0; k < sizeof pairs / sizeof pairs[0]; k++) {
    int rc;
    char err[256];
    char *got = translate(pairs[k].in, strlen(pairs[k].in), &rc, err, sizeof err);
    if (!got) fail_msg("case %zu: %s -> error %s", k, pairs[k].in, err);
    if (strcmp(got, pairs[k].out) != 0)
      fail_msg("case %zu:\n  in:   %s\n  want: %s\n  got:  %s", k, pairs[k].in, pairs[k].out, got);
    /* every line break of the input is kept, none added */
    assert_int_equal(count_nl(got, strlen(got)), count_nl(pairs[k].in, strlen(pairs[k].in)));
    /* and LuaJIT compiles the result (goto/label scope rules are checked at compile time) */
    {
      lua_State *L = luaL_newstate();
      if (luaL_loadbuffer(L, got, strlen(got), "=pair") != 0)
        fail_msg("case %zu: LuaJIT rejects %s: %s", k, got, lua_tostring(L, -1));
      lua_close(L);
    }
    free(got);
  }
}

/* Each line of the output holds the same statement-starting tokens as the input: checked by
 * translating a multi-line Luau program and comparing where known markers land. */
static void test_lines_kept(void **state) {
  static const char *src =
      "--!strict\n"
      "type Big = {\n  a: number,\n  f: (x: number,\n    y: string) -> (),\n}\n"
      "local function f<T>(\n  a: T,\n  b: { number }\n): T\n  return a\nend\n"
      "local v = if a\n  then 1\n  else `x {\n  y\n}`\n"
      "t[\n  i()\n] += 1\n"
      "local s = [[\nlong\n]] .. `z`\n"
      "for i = 1, 3 do\n  if i then continue end\n  local q = 1\nend\n"
      "MARK()\n";
  int rc;
  char err[256];
  char *got = translate(src, strlen(src), &rc, err, sizeof err);
  const char *a, *b;
  assert_non_null(got);
  assert_int_equal(count_nl(got, strlen(got)), count_nl(src, strlen(src)));
  a = strstr(src, "MARK()");
  b = strstr(got, "MARK()");
  assert_non_null(b);
  assert_int_equal(count_nl(src, (size_t)(a - src)), count_nl(got, (size_t)(b - got)));
  a = strstr(src, "local q");
  b = strstr(got, "local q");
  assert_int_equal(count_nl(src, (size_t)(a - src)), count_nl(got, (size_t)(b - got)));
  free(got);
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  char *buf;
  long n;
  *len = 0;
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  buf = malloc((size_t)n + 1);
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (buf) buf[n] = 0;
  *len = (size_t)n;
  return buf;
}

static int is_lua_file(const char *name) {
  size_t n = strlen(name);
  return n > 4 && strcmp(name + n - 4, ".lua") == 0;
}

/* Valid Lua comes out byte for byte (and LuaJIT accepts it, so the case is meaningful). */
static int check_identity(const char *path) {
  size_t len = 0;
  int rc;
  char err[256];
  char *src = read_file(path, &len), *got;
  lua_State *L;
  assert_non_null(src);
  L = luaL_newstate();
  if (luaL_loadbuffer(L, src, len, path) != 0) fail_msg("%s: not valid Lua: %s", path, lua_tostring(L, -1));
  lua_close(L);
  got = translate(src, len, &rc, err, sizeof err);
  if (!got) fail_msg("%s: %s", path, err);
  if (strlen(got) != len || memcmp(got, src, len) != 0) fail_msg("%s changed", path);
  free(got);
  free(src);
  return 1;
}

static int walk(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  int files = 0;
  if (!d) return 0;
  while ((e = readdir(d)) != NULL) {
    char path[1024];
    struct stat st;
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (stat(path, &st) != 0) continue;
    if (S_ISDIR(st.st_mode) && strcmp(e->d_name, "luau-syntax") != 0) files += walk(path);
    else if (S_ISREG(st.st_mode) && is_lua_file(e->d_name)) files += check_identity(path);
  }
  closedir(d);
  return files;
}

/* REMOTES_SOURCE_DIR (set by CTest), else the tree this file was compiled from. */
static const char *source_dir(void) {
  static char dir[512];
  const char *s = getenv("REMOTES_SOURCE_DIR");
  const char *cut;
  if (s) return s;
  snprintf(dir, sizeof dir, "%s", __FILE__);
  cut = strstr(dir, "/tests/test_lua_luau.c");
  if (!cut) return ".";
  dir[cut - dir] = 0;
  return dir;
}

static void test_valid_lua_unchanged(void **state) {
  char path[1100];
  int files;
  (void)state;
  snprintf(path, sizeof path, "%s/examples/lua", source_dir());
  files = walk(path);
  snprintf(path, sizeof path, "%s/src/lua/prelude", source_dir());
  files += walk(path); /* each part is valid Lua by itself: they split at top-level sections */
  assert_true(files >= 20);
}

/* ---- execution: translate, run on LuaJIT, compare what the chunk returns ---- */

typedef struct run_case {
  const char *src, *want;
} run_case;

static const run_case runs[] = {
    /* if-expressions keep nil and false and run only the chosen branch */
    {"return tostring(if false then 1 else nil) .. tostring(if true then false else 1)", "nilfalse"},
    {"local n = 0 local function hit(v) n = n + 1 return v end\n"
     "local a = if hit(false) then hit('x') elseif hit(true) then hit(nil) else hit('z')\n"
     "return tostring(a) .. n", "nil3"},
    {"local function f(...) return if select('#', ...) > 0 then ... else 'none' end\n"
     "return f('a', 'b') .. f()", "anone"},
    {"local x = 5 return (if x > 3 then 'big' else 'small') .. (if x > 9 then 1 elseif x > 4 then 2 else 3)",
     "big2"},
    /* continue */
    {"local s = '' for i = 1, 6 do if i % 2 == 0 then continue end local v = i s ..= v end return s", "135"},
    {"local s, i = '', 0 while i < 6 do i += 1 if i == 3 then continue end local v = i s ..= v end return s",
     "12456"},
    {"local s, i = '', 0 repeat i += 1 local done = i >= 5 if i == 2 then continue end\n"
     "local v = i s ..= v until done return s", "1345"},
    {"local s = '' for _, v in ipairs({1, 2, 3}) do for j = 1, 3 do if j == v then continue end s ..= j end "
     "s ..= '|' end return s", "23|13|12|"},
    {"local s = '' for i = 1, 3 do if i == 2 then continue end s ..= i if i == 3 then break end end return s",
     "13"},
    {"local continue = 'ok' local t = {continue = 1} t.continue += 1 return continue .. t.continue", "ok2"},
    /* compound assignment evaluates the target's parts once */
    {"local n, t = 0, {1, 2} local function k() n += 1 return 2 end t[k()] += 10 t[k()] *= 2 "
     "return n .. ',' .. t[2]", "2,24"},
    {"local gets = 0 local inner = {v = 1}\n"
     "local o = setmetatable({}, {__index = function(_, key) gets += 1 return inner end})\n"
     "o.box.v += 5 return gets .. ',' .. inner.v", "1,6"},
    {"local x, s = 7, 'a' x //= 2 x ^= 2 x %= 5 x -= 1 s ..= x s ..= `!` return s", "a3!"},
    {"local t = {n = 1} t.n /= 4 return t.n", "0.25"},
    /* floor division */
    {"return 7 // 2 .. ',' .. -7 // 2 .. ',' .. 7.5 // 2 .. ',' .. 2 * 7 // 3 .. ',' .. 7 // 2 * 2 .. ',' .. "
     "1 + 7 // 2 .. ',' .. 2 ^ 3 // 3", "3,-4,3,4,6,4,2"},
    /* floor division reaches __idiv of either operand, and numeric strings */
    {"local mt = {__idiv = function(a, b) return 'q' end} local o = setmetatable({}, mt)\n"
     "local n = o // 2 .. (3 // o) .. ('7' // 2) o //= 1 return n .. o", "qq3q"},
    /* interpolation */
    {"local t = setmetatable({}, {__tostring = function() return 'T' end})\n"
     "return `a{1 + 1}b{nil}c{t}{`[{'x'}]`}\\{\\``", "a2bnilcT[x]{`"},
    {"local name = 'W' return `{name}` .. `` .. `\"q\"`", "W\"q\""},
    /* generalized iteration: tables, __iter, functions and pairs() alike */
    {"local s = '' local t = {10, 20, 30} for i, v in t do s ..= i .. '=' .. v .. ' ' end\n"
     "for _, v in {x = 1} do s ..= v end\n"
     "local o = setmetatable({}, {__iter = function() return ipairs({'a', 'b'}) end})\n"
     "for _, v in o do s ..= v end\n"
     "local f = function(_, c) if not c then return 'f' end end for v in f do s ..= v end\n"
     "for _, v in ipairs({'!'}) do s ..= v end\n"
     "local function list() return {'L'} end for _, v in list() do s ..= v end\n"
     "local function range(n) return function(_, i) if i < n then return i + 1 end end, nil, 0 end\n"
     "for i in range(2) do s ..= i end return s", "1=10 2=20 3=30 1abf!L12"},
    /* __iter on a userdata; a value that is neither iterable nor callable is Luau's error */
    {"local u = newproxy(true) getmetatable(u).__iter = function(o) return next, {5, 6} end\n"
     "local s = 0 for _, v in u do s += v end\n"
     "local ok, e = pcall(function() local n = true for _ in n do end end)\n"
     "return s .. ',' .. tostring(e:match('attempt to iterate over a boolean value') ~= nil)", "11,true"},
    /* numbers and types */
    {"local n: number = 0b1010 + 1_000 return n", "1010"},
    {"type T<X> = { x: X }\nlocal function id<X>(v: X): X return v end\n"
     "local t: T<number> = { x = id(3) :: number } return t.x", "3"},
    {"@native local function f(a: number, ...: number): (number, ...number) return a + select('#', ...) end "
     "return f(1, 2, 3)", "3"},
};

static void test_run(void **state) {
  size_t k;
  (void)state;
  for (k = 0; k < sizeof runs / sizeof runs[0]; k++) {
    int rc;
    char err[256];
    char *lua = translate(runs[k].src, strlen(runs[k].src), &rc, err, sizeof err);
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    if (!lua) fail_msg("run %zu: translate: %s", k, err);
    if (luaL_loadbuffer(L, lua, strlen(lua), "=t") != 0)
      fail_msg("run %zu: load: %s\n%s", k, lua_tostring(L, -1), lua);
    if (lua_pcall(L, 0, 1, 0) != 0) fail_msg("run %zu: run: %s\n%s", k, lua_tostring(L, -1), lua);
    lua_getglobal(L, "tostring");
    lua_insert(L, -2);
    lua_call(L, 1, 1);
    if (strcmp(lua_tostring(L, -1), runs[k].want) != 0)
      fail_msg("run %zu: want %s got %s\n%s", k, runs[k].want, lua_tostring(L, -1), lua);
    lua_close(L);
    free(lua);
  }
}

/* A runtime error names the line of the Luau source. */
static void test_runtime_error_line(void **state) {
  static const char *src = "type T = {\n  a: number,\n}\nlocal x: number = 1\n"
                           "x += `{x}` :: any\nlocal v = if x then\n  nil\nelse 1\nerror('boom')\n";
  int rc;
  char err[256];
  char *lua = translate(src, strlen(src), &rc, err, sizeof err);
  lua_State *L = luaL_newstate();
  (void)state;
  luaL_openlibs(L);
  assert_non_null(lua);
  assert_int_equal(luaL_loadbuffer(L, lua, strlen(lua), "=s"), 0);
  assert_int_not_equal(lua_pcall(L, 0, 0, 0), 0);
  assert_string_equal(lua_tostring(L, -1), "s:9: boom");
  lua_close(L);
  free(lua);
}

typedef struct bad_case {
  const char *src, *want;
} bad_case;

static const bad_case bads[] = {
    {"if a then continue end", "1:11: continue statement must be inside a loop near 'continue'"},
    {"x = {a = 1,, }", "1:12: unexpected symbol near ','"},
    {"x +=", "1:5: unexpected symbol near <eof>"},
    {"f() += 1", "1:5: syntax error near '+='"},
    {"local x: = 1", "1:10: type expected near '='"},
    {"x = `a {} b`", "1:9: unexpected symbol near '} b`'"},
    {"x = `a\nb`", "1:7: unfinished interpolated string"},
    {"print(if a then b)", "1:18: 'else' expected in if-expression near ')'"},
    {"local s = [==[ x ]=]", "1:21: unfinished long string"},
    {"\n\n  local t = {} t.a, t.b += 1", "3:25: '=' expected near '+='"},
    {"type function F(t) return t", "1:28: 'end' expected near <eof>"},
    {"x = 'abc", "1:9: unfinished string"},
    {"x = 1 ! 2", "1:7: unexpected symbol"},
};

static void test_errors(void **state) {
  size_t k;
  char deep[1200];
  int rc;
  char err[256];
  (void)state;
  for (k = 0; k < sizeof bads / sizeof bads[0]; k++) {
    char *got = translate(bads[k].src, strlen(bads[k].src), &rc, err, sizeof err);
    if (got) fail_msg("bad %zu accepted: %s", k, got);
    assert_int_equal(rc, RMT_EINVAL);
    if (strcmp(err, bads[k].want) != 0) fail_msg("bad %zu: want %s got %s", k, bads[k].want, err);
  }
  /* nesting is bounded (no stack overflow) */
  memset(deep, '(', sizeof deep);
  memcpy(deep, "x = ", 4);
  assert_null(translate(deep, sizeof deep, &rc, err, sizeof err));
  assert_int_equal(rc, RMT_EINVAL);
  assert_non_null(strstr(err, "too many syntax levels"));
  /* a NULL error buffer is allowed, and a NULL source is empty */
  assert_null(translate("x +=", 4, &rc, NULL, 0));
  {
    char *empty = translate(NULL, 0, &rc, err, sizeof err);
    assert_non_null(empty);
    assert_string_equal(empty, "");
    free(empty);
  }
}

/* Every allocation failing in turn gives RMT_ENOMEM, restores out->len, leaks nothing. */
static void test_out_of_memory(void **state) {
  static const char *src = "local x: number = 1\nx += 1\nlocal s = `a {x} b {x // 2}`\n"
                           "for i = 1, 2 do if i then continue end end\nt[f()] ..= 'x'\n";
  size_t n, attempts;
  alloc_counter ac;
  rmt_buf out = {0};
  (void)state;
  alloc_counter_init(&ac);
  out.alloc = &ac.hook;
  assert_int_equal(rmt__luau_translate(src, strlen(src), &out, NULL, 0), 0);
  rmt_buf_free(&out);
  attempts = ac.attempts;
  assert_true(attempts >= 2);
  for (n = 1; n <= attempts; n++) {
    char err[64];
    alloc_counter_init(&ac);
    ac.fail_at = n;
    out.alloc = &ac.hook;
    assert_int_equal(rmt_buf_append(&out, "keep", 4), n == 1 ? RMT_ENOMEM : 0);
    if (n == 1) continue;
    assert_int_equal(rmt__luau_translate(src, strlen(src), &out, err, sizeof err), RMT_ENOMEM);
    assert_int_equal(out.len, 4);
    assert_memory_equal(out.data, "keep", 4);
    rmt_buf_free(&out);
    assert_int_equal(ac.live_blocks, 0);
  }
}

/* Through the host: a Luau script runs, and a Luau syntax error names file, line, column. */
static void test_host_runs_luau(void **state) {
  lua_fixture *f = *state;
  rmt_host *h = f->host;
  capture *cap = &f->cap;
  assert_int_equal(run_lua(h, cap,
                           "local n: number = 1\nn += 2\nfor i = 1, 3 do if i == 2 then continue end "
                           "print(`i={i} n={n}`) end\nprint(if n > 2 then 'big' else 'small', 7 // 2)\n"),
                   0);
  assert_true(has_line(cap, "P i=1 n=3"));
  assert_true(has_line(cap, "P i=3 n=3"));
  assert_true(has_line(cap, "P big 3"));
  assert_int_equal(run_lua(h, cap, "local x = 1\nx += \n"), 1);
  assert_true(has_line(cap, "E test.lua:3:1: unexpected symbol near <eof>"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pairs),          cmocka_unit_test(test_lines_kept),
      cmocka_unit_test(test_valid_lua_unchanged), cmocka_unit_test(test_run),
      cmocka_unit_test(test_runtime_error_line), cmocka_unit_test(test_errors),
      cmocka_unit_test(test_out_of_memory),  cmocka_unit_test_setup_teardown(test_host_runs_luau, lua_fixture_setup, lua_fixture_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
