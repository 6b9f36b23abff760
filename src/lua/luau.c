/*
 * luau.c - the entry points of the Luau -> LuaJIT translator (luau.h): sets up the parser,
 * runs lexer and parser under the one jump buffer, prepends the helpers the chunk used.
 * It must never change the line a token is on (see luau_internal.h for the other files).
 */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "luau_internal.h"

/* `a // b`: numbers (and numeric strings) floor the quotient; otherwise Luau's __idiv of
 * either operand. Library functions are upvalues: no global lookups per division. */
#define IDIV_HELPER                                                                            \
  "local __luau_idiv do local floor, tonum, getmt = math.floor, tonumber, getmetatable "      \
  "__luau_idiv = function(a, b) local x, y = tonum(a), tonum(b) "                              \
  "if x and y then return floor(x / y) end local m = getmt(a) "                                \
  "local h = type(m) == \"table\" and m.__idiv if not h then m = getmt(b) "                    \
  "h = type(m) == \"table\" and m.__idiv end if h then return h(a, b) end "                    \
  "return floor(a / b) end end "
/* Luau's generalized iteration (`for k, v in t do`): a table without __call iterates like
 * pairs (or through __iter); anything else is the iterator function as in Lua. */
#define ITER_HELPER                                                                            \
  "local function __luau_iter(o, ...) local t = type(o) if t == \"table\" or t == \"userdata\" then " \
  "local m = getmetatable(o) if type(m) == \"table\" and m.__iter then return m.__iter(o) end "   \
  "if t == \"table\" and not (type(m) == \"table\" and m.__call) then return next, o end "       \
  "elseif t ~= \"function\" then error(\"attempt to iterate over a \" .. t .. \" value\", 2) end "    \
  "return o, ... end "

/* ---------------------------------------------------------------------------------------
 * Entry points
 * ------------------------------------------------------------------------------------- */

/* The only function holding the jump buffer: the parser lives in the caller's frame, so its
 * fields keep their values across the longjmp. */
static int run(parser *p) {
  if (setjmp(p->jb) == 0) {
    lh_lex_all(p);
    lh_block(p, NULL, NULL);
    if (lh_cur_type(p) != TK_EOF) lh_error_near(p, "'<eof>' expected");
    lh_flush_to(p, p->len);
    if (p->used_iter) lh_put_insert(p, p->base + p->header, ITER_HELPER, sizeof ITER_HELPER - 1);
    if (p->used_idiv) lh_put_insert(p, p->base + p->header, IDIV_HELPER, sizeof IDIV_HELPER - 1);
    if (p->interrupts) lh_put_insert(p, p->base + p->header, CHECK_LOCAL, sizeof CHECK_LOCAL - 1);
  }
  return p->rc;
}

int rmt__luau_translate(const char *src, size_t len, rmt_buf *out, char *err, size_t errlen) {
  return rmt__luau_translate_ex(src, len, out, err, errlen, 0);
}

int rmt__luau_translate_ex(const char *src, size_t len, rmt_buf *out, char *err, size_t errlen,
                           unsigned flags) {
  parser pr;
  int rc;
  memset(&pr, 0, sizeof pr);
  if (src == NULL) len = 0;
  pr.src = src ? src : "";
  pr.len = len;
  pr.alloc = out->alloc;
  pr.out = out;
  pr.base = out->len;
  pr.err = err;
  pr.errlen = errlen;
  pr.scratch.alloc = out->alloc;
  pr.keep_iter = (flags & RMT_LUAU_KEEP_ITERATION) != 0;
  pr.interrupts = (flags & RMT_LUAU_INTERRUPTS) != 0;
  pr.last_simple_kind = -1;
  if (err && errlen) err[0] = 0;
  rc = run(&pr);
  if (rc) out->len = pr.base;
  rmt__free(pr.alloc, pr.toks, pr.captok * sizeof(token));
  rmt_buf_free(&pr.scratch);
  return rc;
}

int rmt__luau_l_translate(lua_State *L) {
  size_t len;
  const char *src = luaL_checklstring(L, 1, &len);
  rmt_buf out = {0};
  rmt_allocator alloc;
  char err[256];
  int rc;
  unsigned flags = lua_toboolean(L, 2) ? RMT_LUAU_INTERRUPTS : 0;
  /* the state's allocator is the host's hook (same signature), so memory is accounted */
  alloc.fn = lua_getallocf(L, &alloc.ud);
  out.alloc = &alloc;
  rc = rmt__luau_translate_ex(src, len, &out, err, sizeof err, flags);
  if (rc == RMT_ENOMEM) {
    rmt_buf_free(&out);
    return luaL_error(L, "not enough memory");
  }
  if (rc != 0) {
    rmt_buf_free(&out);
    lua_pushnil(L);
    lua_pushstring(L, err);
    lua_pushinteger(L, atoi(err));
    return 3;
  }
  lua_pushlstring(L, (const char *)out.data, out.len);
  rmt_buf_free(&out);
  return 1;
}
