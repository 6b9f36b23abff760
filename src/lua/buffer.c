/*
 * buffer.c - Luau's `buffer` type and library: a fixed-size, mutable, zero-filled block of
 * bytes as a userdata with the registry metatable "rmt.buffer", little-endian accessors with
 * Luau's bounds errors. C reaches buffers through lh_to_buffer/lh_push_buffer (host.h).
 */
#define _DEFAULT_SOURCE /* madvise */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

#include "host.h"

#define BUFFER_MT "rmt.buffer"
#define BUFFER_MAX ((size_t)1 << 30) /* Luau's limit */

typedef struct rmt_buffer {
  size_t len;
  unsigned char data[];
} rmt_buffer;

unsigned char *lh_to_buffer(lua_State *L, int idx, size_t *len) {
  rmt_buffer *b = lua_touserdata(L, idx);
  if (!b || !lua_getmetatable(L, idx)) return NULL;
  lua_getfield(L, LUA_REGISTRYINDEX, BUFFER_MT);
  if (!lua_rawequal(L, -1, -2)) b = NULL;
  lua_pop(L, 2);
  if (!b) return NULL;
  if (len) *len = b->len;
  return b->data;
}

unsigned char *lh_push_buffer(lua_State *L, size_t len) {
  rmt_buffer *b;
  if (len > BUFFER_MAX) {
    luaL_error(L, "memory allocation error: block too big");
    return NULL;
  }
  b = lua_newuserdata(L, sizeof *b + len);
  b->len = len;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  /* Zeroing a big buffer faults in every 4 KiB page; where transparent huge pages are
   * "madvise" only (a common default) that made buffer.create(2^30) take seconds on a VM,
   * long enough for the script timeout. Asking for huge pages cuts the faults 512-fold. */
  if (len >= ((size_t)4 << 20)) {
    uintptr_t lo = ((uintptr_t)b->data + ((2u << 20) - 1)) & ~(uintptr_t)((2u << 20) - 1);
    uintptr_t hi = ((uintptr_t)b->data + len) & ~(uintptr_t)((2u << 20) - 1);
    if (hi > lo) (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
  }
#endif
  memset(b->data, 0, len);
  lua_getfield(L, LUA_REGISTRYINDEX, BUFFER_MT);
  lua_setmetatable(L, -2);
  return b->data;
}

/* Luau's wording: "invalid argument #2 to 'readi8' (number expected, got nil)". The name is
 * the library's, found by the running function (a call through pcall has no call-site name). */
static int arg_error(lua_State *L, int arg, const char *msg) {
  lua_Debug ar;
  const char *name = "?";
  if (lua_getstack(L, 0, &ar) && lua_getinfo(L, "f", &ar)) {
    lua_getfield(L, LUA_REGISTRYINDEX, "rmt.bufferlib");
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      if (lua_rawequal(L, -1, -4)) {
        name = lua_tostring(L, -2);
        lua_pop(L, 2);
        break;
      }
      lua_pop(L, 1);
    }
  }
  return luaL_error(L, "invalid argument #%d to '%s' (%s)", arg, name, msg);
}

static int type_error(lua_State *L, int arg, const char *expected) {
  char msg[96];
  snprintf(msg, sizeof msg, "%s expected, got %s", expected,
           lh_to_buffer(L, arg, NULL) ? "buffer" : luaL_typename(L, arg));
  return arg_error(L, arg, msg);
}

static unsigned char *check_buffer(lua_State *L, int arg, size_t *len) {
  unsigned char *p = lh_to_buffer(L, arg, len);
  if (!p) type_error(L, arg, "buffer");
  return p;
}

static double check_number(lua_State *L, int arg) {
  if (!lua_isnumber(L, arg)) type_error(L, arg, "number");
  return lua_tonumber(L, arg);
}

/* Offsets and sizes truncate toward zero, as Luau's integer arguments do. */
static double check_int(lua_State *L, int arg) {
  double d = check_number(L, arg);
  return d != d ? -1 : trunc(d);
}

/* The byte offset of an access of n bytes, or a Lua error when any byte is outside. */
static size_t check_range(lua_State *L, size_t len, double offset, double n) {
  if (!(offset >= 0) || n < 0 || offset + n > (double)len) {
    luaL_error(L, "buffer access out of bounds");
    return 0;
  }
  return (size_t)offset;
}

/* A number as Luau's unsigned arguments take it: through a 64-bit integer, low 32 bits. */
static uint32_t to_u32(double d) {
  if (d != d) return 0;
  if (d >= 9223372036854775807.0 || d <= -9223372036854775808.0) return 0;
  return (uint32_t)(uint64_t)(int64_t)d;
}

static uint64_t load_le(const unsigned char *p, int n) {
  uint64_t v = 0;
  int i;
  for (i = n - 1; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

static void store_le(unsigned char *p, uint64_t v, int n) {
  int i;
  for (i = 0; i < n; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static int b_create(lua_State *L) {
  double size = check_int(L, 1);
  if (size < 0) return arg_error(L, 1, "size");
  if (size > (double)BUFFER_MAX) return luaL_error(L, "memory allocation error: block too big");
  lh_push_buffer(L, (size_t)size);
  return 1;
}

static int b_fromstring(lua_State *L) {
  size_t len;
  const char *s;
  if (lua_type(L, 1) != LUA_TSTRING && !lua_isnumber(L, 1)) type_error(L, 1, "string");
  s = lua_tolstring(L, 1, &len);
  memcpy(lh_push_buffer(L, len), s, len);
  return 1;
}

static int b_tostring(lua_State *L) {
  size_t len;
  unsigned char *p = check_buffer(L, 1, &len);
  lua_pushlstring(L, (const char *)p, len);
  return 1;
}

static int b_len(lua_State *L) {
  size_t len;
  check_buffer(L, 1, &len);
  lua_pushnumber(L, (lua_Number)len);
  return 1;
}

/* readi8..readu32: upvalue 1 is the width in bytes, negative for signed. */
static int b_readint(lua_State *L) {
  int w = (int)lua_tointeger(L, lua_upvalueindex(1));
  int n = w < 0 ? -w : w;
  size_t len;
  unsigned char *p = check_buffer(L, 1, &len);
  size_t at = check_range(L, len, check_int(L, 2), n);
  uint64_t v = load_le(p + at, n);
  if (w < 0) {
    uint64_t sign = (uint64_t)1 << (8 * n - 1);
    lua_pushnumber(L, (lua_Number)(int64_t)((v ^ sign) - sign));
  } else {
    lua_pushnumber(L, (lua_Number)v);
  }
  return 1;
}

static int b_writeint(lua_State *L) {
  int w = (int)lua_tointeger(L, lua_upvalueindex(1));
  int n = w < 0 ? -w : w;
  size_t len;
  unsigned char *p = check_buffer(L, 1, &len);
  double off = check_int(L, 2);
  uint32_t v = to_u32(check_number(L, 3));
  store_le(p + check_range(L, len, off, n), v, n);
  return 0;
}

static int b_readf32(lua_State *L) {
  size_t len;
  unsigned char *p = check_buffer(L, 1, &len);
  float f;
  memcpy(&f, p + check_range(L, len, check_int(L, 2), 4), 4);
  lua_pushnumber(L, (lua_Number)f);
  return 1;
}

static int b_readf64(lua_State *L) {
  size_t len;
  unsigned char *p = check_buffer(L, 1, &len);
  double d;
  memcpy(&d, p + check_range(L, len, check_int(L, 2), 8), 8);
  lua_pushnumber(L, d);
  return 1;
}

static int b_writef32(lua_State *L) {
  size_t len;
  unsigned char *p = check_buffer(L, 1, &len);
  double off = check_int(L, 2);
  float f = (float)check_number(L, 3);
  memcpy(p + check_range(L, len, off, 4), &f, 4);
  return 0;
}

static int b_writef64(lua_State *L) {
  size_t len;
  unsigned char *p = check_buffer(L, 1, &len);
  double off = check_int(L, 2);
  double d = check_number(L, 3);
  memcpy(p + check_range(L, len, off, 8), &d, 8);
  return 0;
}

static int b_readstring(lua_State *L) {
  size_t len;
  unsigned char *p = check_buffer(L, 1, &len);
  double off = check_int(L, 2), size = check_int(L, 3);
  if (size < 0) return arg_error(L, 3, "size");
  lua_pushlstring(L, (const char *)p + check_range(L, len, off, size), (size_t)size);
  return 1;
}

static int b_writestring(lua_State *L) {
  size_t len, slen;
  unsigned char *p = check_buffer(L, 1, &len);
  double off = check_int(L, 2), count;
  const char *s;
  if (lua_type(L, 3) != LUA_TSTRING && !lua_isnumber(L, 3)) type_error(L, 3, "string");
  s = lua_tolstring(L, 3, &slen);
  count = lua_isnoneornil(L, 4) ? (double)slen : check_int(L, 4);
  if (count < 0) return arg_error(L, 4, "count");
  if (count > (double)slen) return luaL_error(L, "string length overflow");
  memcpy(p + check_range(L, len, off, count), s, (size_t)count);
  return 0;
}

static int b_copy(lua_State *L) {
  size_t tlen, slen;
  unsigned char *t = check_buffer(L, 1, &tlen);
  double toff = check_int(L, 2);
  unsigned char *s = check_buffer(L, 3, &slen);
  double soff = lua_isnoneornil(L, 4) ? 0 : check_int(L, 4);
  double size = lua_isnoneornil(L, 5) ? (double)slen - soff : check_int(L, 5);
  size_t from, to;
  if (size < 0) return luaL_error(L, "buffer access out of bounds");
  from = check_range(L, slen, soff, size);
  to = check_range(L, tlen, toff, size);
  memmove(t + to, s + from, (size_t)size);
  return 0;
}

static int b_fill(lua_State *L) {
  size_t len;
  unsigned char *p = check_buffer(L, 1, &len);
  double off = check_int(L, 2);
  uint32_t value = to_u32(check_number(L, 3));
  double size = lua_isnoneornil(L, 4) ? (double)len - off : check_int(L, 4);
  if (size < 0) return luaL_error(L, "buffer access out of bounds");
  memset(p + check_range(L, len, off, size), (int)(value & 0xff), (size_t)size);
  return 0;
}

/* The bits [bitoffset, bitoffset + count) span at most 5 bytes (count <= 32). */
static size_t check_bits(lua_State *L, size_t len, double bitoff, double count) {
  if (!(bitoff >= 0)) luaL_error(L, "buffer access out of bounds");
  if (!(count >= 0 && count <= 32)) luaL_error(L, "bit count is out of range of [0; 32]");
  if (bitoff + count > (double)len * 8) luaL_error(L, "buffer access out of bounds");
  return (size_t)bitoff;
}

static int b_readbits(lua_State *L) {
  size_t len;
  unsigned char *p = check_buffer(L, 1, &len);
  double bo = check_int(L, 2), count = check_int(L, 3);
  size_t bit = check_bits(L, len, bo, count);
  size_t first = bit / 8, last = (bit + (size_t)count + 7) / 8;
  uint64_t data = load_le(p + first, (int)(last - first));
  uint64_t mask = ((uint64_t)1 << (int)count) - 1;
  lua_pushnumber(L, (lua_Number)((data >> (bit & 7)) & mask));
  return 1;
}

static int b_writebits(lua_State *L) {
  size_t len;
  unsigned char *p = check_buffer(L, 1, &len);
  double bo = check_int(L, 2), count = check_int(L, 3);
  uint32_t value = to_u32(check_number(L, 4));
  size_t bit = check_bits(L, len, bo, count);
  size_t first = bit / 8, last = (bit + (size_t)count + 7) / 8;
  uint64_t data = load_le(p + first, (int)(last - first));
  uint64_t mask = (((uint64_t)1 << (int)count) - 1) << (bit & 7);
  data = (data & ~mask) | (((uint64_t)value << (bit & 7)) & mask);
  store_le(p + first, data, (int)(last - first));
  return 0;
}

static int b_tostr_meta(lua_State *L) {
  lua_pushfstring(L, "buffer: %p", lua_touserdata(L, 1));
  return 1;
}

/* isbuffer(v): for the prelude's type/typeof. */
static int b_isbuffer(lua_State *L) {
  lua_pushboolean(L, lh_to_buffer(L, 1, NULL) != NULL);
  return 1;
}

void lh_buffer_open(lua_State *L) {
  static const luaL_Reg fns[] = {
      {"create", b_create},       {"fromstring", b_fromstring},   {"tostring", b_tostring},
      {"len", b_len},             {"readf32", b_readf32},         {"readf64", b_readf64},
      {"writef32", b_writef32},   {"writef64", b_writef64},       {"readstring", b_readstring},
      {"writestring", b_writestring}, {"copy", b_copy},           {"fill", b_fill},
      {"readbits", b_readbits},   {"writebits", b_writebits},     {NULL, NULL}};
  static const struct {
    const char *name;
    int width;
  } ints[] = {{"i8", -1}, {"u8", 1}, {"i16", -2}, {"u16", 2}, {"i32", -4}, {"u32", 4}};
  size_t i;
  char name[16];
  luaL_newmetatable(L, BUFFER_MT);
  lua_pushcfunction(L, b_tostr_meta);
  lua_setfield(L, -2, "__tostring");
  lua_pushliteral(L, "buffer");
  lua_setfield(L, -2, "__type");
  lua_pop(L, 1);
  lua_newtable(L);
  luaL_register(L, NULL, fns);
  for (i = 0; i < sizeof ints / sizeof ints[0]; i++) {
    snprintf(name, sizeof name, "read%s", ints[i].name);
    lua_pushinteger(L, ints[i].width);
    lua_pushcclosure(L, b_readint, 1);
    lua_setfield(L, -2, name);
    snprintf(name, sizeof name, "write%s", ints[i].name);
    lua_pushinteger(L, ints[i].width);
    lua_pushcclosure(L, b_writeint, 1);
    lua_setfield(L, -2, name);
  }
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, "rmt.bufferlib");
  lua_setglobal(L, "buffer");
  lua_pushcfunction(L, b_isbuffer);
  lua_setfield(L, LUA_REGISTRYINDEX, "rmt.isbuffer");
}
