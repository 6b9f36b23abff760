/* fuzz_luau.c - libFuzzer target for the Luau translator: no input may crash it or break its
 * line count, and whatever LuaJIT already compiles must come out byte for byte
 * (but for the generalized-iteration wrapper, checked apart). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "lua/luau.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Line breaks as LuaJIT counts them: \n, \r, \r\n and \n\r are one each. */
static size_t breaks(const uint8_t *s, size_t n) {
  size_t k, lines = 0;
  for (k = 0; k < n; k++) {
    if (s[k] == '\n' || s[k] == '\r') {
      lines++;
      if (k + 1 < n && (s[k + 1] == '\n' || s[k + 1] == '\r') && s[k + 1] != s[k]) k++;
    }
  }
  return lines;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static lua_State *L;
  rmt_buf out = {0};
  char err[256];
  int rc, lua_ok;
  if (!L) L = luaL_newstate();
  if (!L) abort();
  /* text mode only: LuaJIT's bytecode loader does not validate its input */
  lua_ok = luaL_loadbufferx(L, (const char *)data, size, "=fuzz", "t") == 0;
  lua_settop(L, 0);
  lua_gc(L, LUA_GCSTEP, 0);
  rc = rmt__luau_translate((const char *)data, size, &out, err, sizeof err);
  if (rc != 0 && rc != RMT_EINVAL && rc != RMT_ENOMEM) abort();
  if (rc != 0 && out.len != 0) abort();
  if (rc == RMT_EINVAL && (err[0] < '1' || err[0] > '9')) abort(); /* "line:col: ..." */
  if (lua_ok && rc != 0) abort();
  if (rc == 0 && breaks(out.data, out.len) != breaks(data, size)) abort();
  /* without the iteration helper (the one edit LuaJIT-valid code can get) nothing changes */
  out.len = 0;
  rc = rmt__luau_translate_ex((const char *)data, size, &out, err, sizeof err,
                              RMT_LUAU_KEEP_ITERATION);
  if (lua_ok && (rc != 0 || out.len != size || (size && memcmp(out.data, data, size) != 0))) abort();
  rmt_buf_free(&out);
  return 0;
}
