/*
 * stdlib.c - the parts of Luau's standard library LuaJIT lacks or does differently and that
 * are better done in C: number printing, string.pack/unpack/packsize, math.noise and the
 * other math additions, wall-clock os.clock and a monotonic tick. No instances, no engine.
 */
#define _POSIX_C_SOURCE 200809L
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host.h"

/* ---- numbers as Luau prints them ---- */

/* The shortest digits that read back as n (Luau prints the shortest round-trip form), then
 * Luau's layout: fixed notation when the decimal point falls within -5..21 of the digits,
 * otherwise d.ddde+XX with at least two exponent digits. */
size_t lh_luau_num2str(char *out, double n) {
  char tmp[40], digits[24];
  char *o = out;
  int prec, exp10, nd = 0, dot, i;
  const char *p;
  if (isnan(n)) return (size_t)sprintf(out, "nan");
  if (isinf(n)) return (size_t)sprintf(out, n < 0 ? "-inf" : "inf");
  if (signbit(n)) *o++ = '-';
  n = fabs(n);
  if (n == 0) {
    *o++ = '0';
    *o = 0;
    return (size_t)(o - out);
  }
  for (prec = 0; prec < 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*e", prec, n);
    if (strtod(tmp, NULL) == n) break;
  }
  /* tmp is "d.ddddde[+-]XX": collect the digits without trailing zeros */
  for (p = tmp; *p != 'e'; p++)
    if (*p != '.') digits[nd++] = *p;
  exp10 = atoi(p + 1);
  while (nd > 1 && digits[nd - 1] == '0') nd--;
  digits[nd] = 0;
  dot = exp10 + 1; /* the point goes after this many digits */
  if (dot >= -5 && dot <= 21) {
    if (dot <= 0) {
      *o++ = '0';
      *o++ = '.';
      for (i = 0; i < -dot; i++) *o++ = '0';
      memcpy(o, digits, (size_t)nd);
      o += nd;
    } else if (dot >= nd) {
      memcpy(o, digits, (size_t)nd);
      o += nd;
      for (i = nd; i < dot; i++) *o++ = '0';
    } else {
      memcpy(o, digits, (size_t)dot);
      o += dot;
      *o++ = '.';
      memcpy(o, digits + dot, (size_t)(nd - dot));
      o += nd - dot;
    }
    *o = 0;
  } else {
    *o++ = digits[0];
    if (nd > 1) {
      *o++ = '.';
      memcpy(o, digits + 1, (size_t)(nd - 1));
      o += nd - 1;
    }
    o += sprintf(o, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
  }
  return (size_t)(o - out);
}

/* tostring: numbers the Luau way, the rest through the original (upvalue 1). */
static int l_tostring(lua_State *L) {
  luaL_checkany(L, 1);
  if (lua_type(L, 1) == LUA_TNUMBER) {
    char buf[48];
    size_t n = lh_luau_num2str(buf, lua_tonumber(L, 1));
    lua_pushlstring(L, buf, n);
    return 1;
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, 1);
  lua_call(L, 1, 1);
  return 1;
}

/* ---- string.pack / string.unpack / string.packsize (Lua 5.3's formats, as Luau has them) ---- */

#define PACK_MAXINT 16     /* widest integer option */
#define PACK_NATIVEINT 8   /* integers are carried as 64-bit values */
#define PACK_MAXALIGN 8
#define PACK_MAXSIZE ((size_t)1 << 30) /* Luau's longest string */

typedef enum { K_INT, K_UINT, K_FLOAT, K_DOUBLE, K_CHAR, K_STRING, K_ZSTR, K_PAD, K_PADALIGN,
               K_NOP } pack_kind;

typedef struct pack_state {
  lua_State *L;
  const char *fmt;
  int little;
  int maxalign;
} pack_state;

static int digit(int c) {
  return c >= '0' && c <= '9';
}

static int read_num(lua_State *L, const char **fmt, int dflt) {
  long long a = 0;
  if (!digit(**fmt)) return dflt;
  do {
    a = a * 10 + (*((*fmt)++) - '0');
    if (a > INT_MAX) luaL_error(L, "size specifier is too large");
  } while (digit(**fmt));
  return (int)a;
}

static int read_limited(pack_state *ps, int dflt) {
  int sz = read_num(ps->L, &ps->fmt, dflt);
  if (sz > PACK_MAXINT || sz <= 0)
    return luaL_error(ps->L, "integral size (%d) out of limits [1,%d]", sz, PACK_MAXINT);
  return sz;
}

static pack_kind read_option(pack_state *ps, int *size) {
  int opt = *ps->fmt++;
  *size = 0;
  switch (opt) {
  case 'b': *size = 1; return K_INT;
  case 'B': *size = 1; return K_UINT;
  case 'h': *size = 2; return K_INT;
  case 'H': *size = 2; return K_UINT;
  case 'l': *size = 8; return K_INT;
  case 'L': *size = 8; return K_UINT;
  case 'j': *size = 8; return K_INT;
  case 'J': *size = 8; return K_UINT;
  case 'T': *size = 8; return K_UINT;
  case 'f': *size = 4; return K_FLOAT;
  case 'd': *size = 8; return K_DOUBLE;
  case 'n': *size = 8; return K_DOUBLE;
  case 'i': *size = read_limited(ps, 4); return K_INT;
  case 'I': *size = read_limited(ps, 4); return K_UINT;
  case 's': *size = read_limited(ps, 8); return K_STRING;
  case 'c':
    *size = read_num(ps->L, &ps->fmt, -1);
    if (*size == -1) luaL_error(ps->L, "missing size for format option 'c'");
    return K_CHAR;
  case 'z': return K_ZSTR;
  case 'x': *size = 1; return K_PAD;
  case 'X': return K_PADALIGN;
  case ' ': break;
  case '<': ps->little = 1; break;
  case '>': ps->little = 0; break;
  case '=': ps->little = 1; break; /* every platform we build for is little-endian */
  case '!': ps->maxalign = read_limited(ps, PACK_MAXALIGN); break;
  default: luaL_error(ps->L, "invalid format option '%c'", opt);
  }
  return K_NOP;
}

/* One option with its alignment padding; size and padding out. */
static pack_kind read_details(pack_state *ps, size_t total, int *size, int *pad) {
  pack_kind k = read_option(ps, size);
  int align = *size;
  if (k == K_PADALIGN) {
    if (*ps->fmt == 0 || read_option(ps, &align) == K_CHAR || align == 0)
      luaL_argerror(ps->L, 1, "invalid next option for option 'X'");
  }
  *pad = 0;
  if (align > 1 && k != K_CHAR) {
    if (align > ps->maxalign) align = ps->maxalign;
    if ((align & (align - 1)) != 0) luaL_argerror(ps->L, 1, "format asks for alignment not power of 2");
    *pad = (int)((size_t)align - (total & ((size_t)align - 1))) & (align - 1);
  }
  return k;
}

static void pack_init(pack_state *ps, lua_State *L, const char *fmt) {
  ps->L = L;
  ps->fmt = fmt;
  ps->little = 1;
  ps->maxalign = 1;
}

static void add_int(luaL_Buffer *b, unsigned long long v, int little, int size, int neg) {
  char buf[PACK_MAXINT];
  int i;
  if (size < 1 || size > PACK_MAXINT) return; /* the format reader allows 1..16 only */
  for (i = 0; i < size; i++) {
    unsigned char byte = i < PACK_NATIVEINT ? (unsigned char)(v >> (8 * i)) : (neg ? 0xff : 0);
    buf[little ? i : size - 1 - i] = (char)byte;
  }
  luaL_addlstring(b, buf, (size_t)size);
}

static void copy_endian(char *dst, const char *src, int size, int little) {
  int i;
  for (i = 0; i < size; i++) dst[i] = src[little ? i : size - 1 - i];
}

/* A double to a 64-bit integer the way a C cast would, without the undefined cases. */
static long long to_int64(double d) {
  if (d != d) return 0;
  if (d >= 9223372036854775807.0) return LLONG_MAX;
  if (d <= -9223372036854775808.0) return LLONG_MIN;
  return (long long)d;
}

static int str_pack(lua_State *L) {
  pack_state ps;
  luaL_Buffer b;
  int arg = 1;
  size_t total = 0;
  pack_init(&ps, L, luaL_checkstring(L, 1));
  lua_pushnil(L); /* keeps the arguments below the buffer's stack use */
  luaL_buffinit(L, &b);
  while (*ps.fmt) {
    int size, pad;
    pack_kind k = read_details(&ps, total, &size, &pad);
    total += (size_t)pad + (size_t)size;
    while (pad-- > 0) luaL_addchar(&b, 0);
    arg++;
    switch (k) {
    case K_INT: {
      long long v = to_int64(luaL_checknumber(L, arg));
      if (size < PACK_NATIVEINT) {
        long long lim = (long long)1 << (size * 8 - 1);
        luaL_argcheck(L, -lim <= v && v < lim, arg, "integer overflow");
      }
      add_int(&b, (unsigned long long)v, ps.little, size, v < 0);
      break;
    }
    case K_UINT: {
      long long v = to_int64(luaL_checknumber(L, arg));
      if (size < PACK_NATIVEINT)
        luaL_argcheck(L, (unsigned long long)v < ((unsigned long long)1 << (size * 8)), arg,
                      "unsigned overflow");
      add_int(&b, (unsigned long long)v, ps.little, size, 0);
      break;
    }
    case K_FLOAT: {
      float f = (float)luaL_checknumber(L, arg);
      char buf[4];
      copy_endian(buf, (const char *)&f, 4, ps.little);
      luaL_addlstring(&b, buf, 4);
      break;
    }
    case K_DOUBLE: {
      double d = luaL_checknumber(L, arg);
      char buf[8];
      copy_endian(buf, (const char *)&d, 8, ps.little);
      luaL_addlstring(&b, buf, 8);
      break;
    }
    case K_CHAR: {
      size_t len;
      const char *s = luaL_checklstring(L, arg, &len);
      luaL_argcheck(L, len <= (size_t)size, arg, "string longer than given size");
      luaL_addlstring(&b, s, len);
      while (len++ < (size_t)size) luaL_addchar(&b, 0);
      break;
    }
    case K_STRING: {
      size_t len;
      const char *s = luaL_checklstring(L, arg, &len);
      luaL_argcheck(L, size >= (int)sizeof(size_t) || len < ((size_t)1 << (size * 8)), arg,
                    "string length does not fit in given size");
      add_int(&b, (unsigned long long)len, ps.little, size, 0);
      luaL_addlstring(&b, s, len);
      total += len;
      break;
    }
    case K_ZSTR: {
      size_t len;
      const char *s = luaL_checklstring(L, arg, &len);
      luaL_argcheck(L, strlen(s) == len, arg, "string contains zeros");
      luaL_addlstring(&b, s, len);
      luaL_addchar(&b, 0);
      total += len + 1;
      break;
    }
    case K_PAD: luaL_addchar(&b, 0); /* fallthrough */
    case K_PADALIGN:
    case K_NOP: arg--; break;
    }
  }
  luaL_pushresult(&b);
  return 1;
}

static int str_packsize(lua_State *L) {
  pack_state ps;
  size_t total = 0;
  pack_init(&ps, L, luaL_checkstring(L, 1));
  while (*ps.fmt) {
    int size, pad;
    pack_kind k = read_details(&ps, total, &size, &pad);
    luaL_argcheck(L, k != K_STRING && k != K_ZSTR, 1, "variable-length format");
    size += pad;
    luaL_argcheck(L, total <= PACK_MAXSIZE - (size_t)size, 1, "format result too large");
    total += (size_t)size;
  }
  lua_pushnumber(L, (lua_Number)total);
  return 1;
}

static unsigned long long read_int(lua_State *L, const char *s, int little, int size, int sign) {
  unsigned long long v = 0;
  int i, limit = size <= PACK_NATIVEINT ? size : PACK_NATIVEINT;
  for (i = limit - 1; i >= 0; i--) {
    v <<= 8;
    v |= (unsigned char)s[little ? i : size - 1 - i];
  }
  if (size < PACK_NATIVEINT) {
    if (sign) {
      unsigned long long mask = (unsigned long long)1 << (size * 8 - 1);
      v = (v ^ mask) - mask;
    }
  } else if (size > PACK_NATIVEINT) {
    int fill = (!sign || (long long)v >= 0) ? 0 : 0xff;
    for (i = limit; i < size; i++)
      if ((unsigned char)s[little ? i : size - 1 - i] != fill)
        luaL_error(L, "%d-byte integer does not fit into Lua Integer", size);
  }
  return v;
}

static int str_unpack(lua_State *L) {
  pack_state ps;
  size_t ld;
  const char *data = luaL_checklstring(L, 2, &ld);
  double ipos = luaL_optnumber(L, 3, 1);
  size_t pos;
  int n = 0;
  pack_init(&ps, L, luaL_checkstring(L, 1));
  ipos = trunc(ipos);
  if (ipos < 0) ipos = (double)ld + ipos + 1;
  if (ipos < 1) ipos = 1; /* 0 and positions before the start read from the start */
  luaL_argcheck(L, ipos - 1 <= (double)ld, 3, "initial position out of string");
  pos = (size_t)ipos - 1;
  while (*ps.fmt) {
    int size, pad;
    pack_kind k = read_details(&ps, pos, &size, &pad);
    luaL_argcheck(L, (size_t)pad + (size_t)size <= ld - pos, 2, "data string too short");
    pos += (size_t)pad;
    luaL_checkstack(L, 2, "too many results");
    n++;
    switch (k) {
    case K_INT:
      lua_pushnumber(L, (lua_Number)(long long)read_int(L, data + pos, ps.little, size, 1));
      break;
    case K_UINT:
      lua_pushnumber(L, (lua_Number)read_int(L, data + pos, ps.little, size, 0));
      break;
    case K_FLOAT: {
      float f;
      copy_endian((char *)&f, data + pos, 4, ps.little);
      lua_pushnumber(L, (lua_Number)f);
      break;
    }
    case K_DOUBLE: {
      double d;
      copy_endian((char *)&d, data + pos, 8, ps.little);
      lua_pushnumber(L, d);
      break;
    }
    case K_CHAR: lua_pushlstring(L, data + pos, (size_t)size); break;
    case K_STRING: {
      size_t len = (size_t)read_int(L, data + pos, ps.little, size, 0);
      luaL_argcheck(L, len <= ld - pos - (size_t)size, 2, "data string too short");
      lua_pushlstring(L, data + pos + size, len);
      pos += len;
      break;
    }
    case K_ZSTR: {
      size_t len = strlen(data + pos);
      luaL_argcheck(L, pos + len < ld, 2, "unfinished string for format 'z'");
      lua_pushlstring(L, data + pos, len);
      pos += len + 1;
      break;
    }
    case K_PADALIGN:
    case K_PAD:
    case K_NOP: n--; break;
    }
    pos += (size_t)size;
  }
  lua_pushnumber(L, (lua_Number)pos + 1);
  return n + 1;
}

/* ---- math ---- */

/* Ken Perlin's permutation ("Improved Noise", 2002), repeated once so p[i + 1] needs no mask. */
static const unsigned char perm[257] = {
    151, 160, 137, 91, 90, 15, 131, 13, 201, 95, 96, 53, 194, 233, 7, 225,
    140, 36, 103, 30, 69, 142, 8, 99, 37, 240, 21, 10, 23, 190, 6, 148,
    247, 120, 234, 75, 0, 26, 197, 62, 94, 252, 219, 203, 117, 35, 11, 32,
    57, 177, 33, 88, 237, 149, 56, 87, 174, 20, 125, 136, 171, 168, 68, 175,
    74, 165, 71, 134, 139, 48, 27, 166, 77, 146, 158, 231, 83, 111, 229, 122,
    60, 211, 133, 230, 220, 105, 92, 41, 55, 46, 245, 40, 244, 102, 143, 54,
    65, 25, 63, 161, 1, 216, 80, 73, 209, 76, 132, 187, 208, 89, 18, 169,
    200, 196, 135, 130, 116, 188, 159, 86, 164, 100, 109, 198, 173, 186, 3, 64,
    52, 217, 226, 250, 124, 123, 5, 202, 38, 147, 118, 126, 255, 82, 85, 212,
    207, 206, 59, 227, 47, 16, 58, 17, 182, 189, 28, 42, 223, 183, 170, 213,
    119, 248, 152, 2, 44, 154, 163, 70, 221, 153, 101, 155, 167, 43, 172, 9,
    129, 22, 39, 253, 19, 98, 108, 110, 79, 113, 224, 232, 178, 185, 112, 104,
    218, 246, 97, 228, 251, 34, 242, 193, 238, 210, 144, 12, 191, 179, 162, 241,
    81, 51, 145, 235, 249, 14, 239, 107, 49, 192, 214, 31, 181, 199, 106, 157,
    184, 84, 204, 176, 115, 121, 50, 45, 127, 4, 150, 254, 138, 236, 205, 93,
    222, 114, 67, 29, 24, 72, 243, 141, 128, 195, 78, 66, 215, 61, 156, 180,
    151};

static float fade(float t) {
  return t * t * t * (t * (t * 6 - 15) + 10);
}
static float lerpf(float t, float a, float b) {
  return a + t * (b - a);
}
static float grad(int hash, float x, float y, float z) {
  int h = hash & 15;
  float u = h < 8 ? x : y;
  float v = h < 4 ? y : (h == 12 || h == 14) ? x : z;
  return ((h & 1) ? -u : u) + ((h & 2) ? -v : v);
}

static float perlin(float x, float y, float z) {
  float fx = floorf(x), fy = floorf(y), fz = floorf(z);
  int xi = (int)fx & 255, yi = (int)fy & 255, zi = (int)fz & 255;
  float xf = x - fx, yf = y - fy, zf = z - fz;
  float u = fade(xf), v = fade(yf), w = fade(zf);
  int a = (perm[xi] + yi) & 255, aa = (perm[a] + zi) & 255, ab = (perm[a + 1] + zi) & 255;
  int b = (perm[xi + 1] + yi) & 255, ba = (perm[b] + zi) & 255, bb = (perm[b + 1] + zi) & 255;
  float l0 = lerpf(u, grad(perm[aa], xf, yf, zf), grad(perm[ba], xf - 1, yf, zf));
  float l1 = lerpf(u, grad(perm[ab], xf, yf - 1, zf), grad(perm[bb], xf - 1, yf - 1, zf));
  float l2 = lerpf(u, grad(perm[aa + 1], xf, yf, zf - 1), grad(perm[ba + 1], xf - 1, yf, zf - 1));
  float l3 = lerpf(u, grad(perm[ab + 1], xf, yf - 1, zf - 1),
                   grad(perm[bb + 1], xf - 1, yf - 1, zf - 1));
  return lerpf(w, lerpf(v, l0, l1), lerpf(v, l2, l3));
}

static double opt_coord(lua_State *L, int i) {
  if (lua_isnoneornil(L, i)) return 0;
  return luaL_checknumber(L, i);
}

static int math_noise(lua_State *L) {
  /* the noise repeats every 256 units: wrapping keeps float precision for large inputs */
  double x = fmod(luaL_checknumber(L, 1), 256.0);
  double y = fmod(opt_coord(L, 2), 256.0);
  double z = fmod(opt_coord(L, 3), 256.0);
  lua_pushnumber(L, (lua_Number)perlin((float)x, (float)y, (float)z));
  return 1;
}

static int math_clamp(lua_State *L) {
  double v = luaL_checknumber(L, 1), lo = luaL_checknumber(L, 2), hi = luaL_checknumber(L, 3);
  luaL_argcheck(L, lo <= hi, 3, "max must be greater than or equal to min");
  lua_pushnumber(L, v < lo ? lo : v > hi ? hi : v);
  return 1;
}
static int math_sign(lua_State *L) {
  double v = luaL_checknumber(L, 1);
  lua_pushnumber(L, v > 0 ? 1 : v < 0 ? -1 : 0);
  return 1;
}
static int math_round(lua_State *L) {
  lua_pushnumber(L, round(luaL_checknumber(L, 1)));
  return 1;
}
static int math_map(lua_State *L) {
  double x = luaL_checknumber(L, 1), i0 = luaL_checknumber(L, 2), i1 = luaL_checknumber(L, 3);
  double o0 = luaL_checknumber(L, 4), o1 = luaL_checknumber(L, 5);
  lua_pushnumber(L, o0 + (x - i0) * (o1 - o0) / (i1 - i0));
  return 1;
}
static int math_lerp(lua_State *L) {
  double a = luaL_checknumber(L, 1), b = luaL_checknumber(L, 2), t = luaL_checknumber(L, 3);
  lua_pushnumber(L, t == 1 ? b : a + (b - a) * t); /* exact at both ends */
  return 1;
}
static int math_isnan(lua_State *L) {
  lua_pushboolean(L, isnan(luaL_checknumber(L, 1)));
  return 1;
}
static int math_isinf(lua_State *L) {
  lua_pushboolean(L, isinf(luaL_checknumber(L, 1)));
  return 1;
}
static int math_isfinite(lua_State *L) {
  lua_pushboolean(L, isfinite(luaL_checknumber(L, 1)));
  return 1;
}

/* ---- clocks ---- */

static double clock_of(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* os.clock: Luau's is a high-resolution wall clock (seconds from an arbitrary start), not
 * CPU time: a script that waits sees it advance. */
static int os_clock(lua_State *L) {
  lua_pushnumber(L, clock_of(CLOCK_MONOTONIC));
  return 1;
}

/* ---- utf8 (Lua 5.3's library with Luau's strictness) ---- */

static int luau_argerror(lua_State *L, int narg, const char *fname, const char *msg) {
  return luaL_error(L, "invalid argument #%d to '%s' (%s)", narg, fname, msg);
}

#define UTF8_MAX 0x10FFFFu
#define ISCONT(p) ((*(const unsigned char *)(p) & 0xC0) == 0x80)

/* A relative string position (negative counts from the end) as 1-based, 0 before it. */
static lua_Integer u_posrelat(lua_Integer pos, size_t len) {
  if (pos >= 0) return pos;
  if ((size_t)-pos > len) return 0;
  return (lua_Integer)len + pos + 1;
}

/* Decodes one character; NULL for an invalid sequence: overlong, past U+10FFFF or a
 * surrogate (Luau refuses the last two, which Lua 5.4 allows only with `lax`). */
static const char *u_decode(const char *s, uint32_t *val) {
  static const uint32_t limits[] = {0xFFFFFFFFu, 0x80, 0x800, 0x10000u};
  unsigned int c = (unsigned char)s[0];
  uint32_t res = 0;
  if (c < 0x80) {
    res = c;
  } else {
    int count = 0;
    for (; c & 0x40; c <<= 1) {
      unsigned int cc = (unsigned char)s[++count];
      if ((cc & 0xC0) != 0x80) return NULL;
      res = (res << 6) | (cc & 0x3F);
    }
    res |= ((uint32_t)(c & 0x7F) << (count * 5));
    if (count > 3 || res > UTF8_MAX || res < limits[count] || (res >= 0xD800 && res <= 0xDFFF))
      return NULL;
    s += count;
  }
  if (val) *val = res;
  return s + 1;
}

static int u_len(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  lua_Integer i = u_posrelat(luaL_optinteger(L, 2, 1), len);
  lua_Integer j = u_posrelat(luaL_optinteger(L, 3, -1), len);
  lua_Integer n = 0;
  if (!(1 <= i && i - 1 <= (lua_Integer)len)) return luau_argerror(L, 2, "len", "initial position out of string");
  if (!(j - 1 < (lua_Integer)len)) return luau_argerror(L, 3, "len", "final position out of string");
  for (i--; i < j; n++) {
    const char *next = u_decode(s + i, NULL);
    if (!next) {
      lua_pushnil(L);
      lua_pushinteger(L, i + 1);
      return 2;
    }
    i = next - s;
  }
  lua_pushinteger(L, n);
  return 1;
}

static int u_codepoint(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  lua_Integer i = u_posrelat(luaL_optinteger(L, 2, 1), len);
  lua_Integer j = u_posrelat(luaL_optinteger(L, 3, i), len);
  const char *p, *e;
  int n = 0;
  if (i < 1) return luau_argerror(L, 2, "codepoint", "out of range");
  if (j > (lua_Integer)len) return luau_argerror(L, 3, "codepoint", "out of range");
  if (i > j) return 0;
  if (j - i >= INT_MAX) return luaL_error(L, "string slice too long");
  luaL_checkstack(L, (int)(j - i) + 1, "string slice too long");
  for (p = s + i - 1, e = s + j; p < e; n++) {
    uint32_t code;
    p = u_decode(p, &code);
    if (!p) return luaL_error(L, "invalid UTF-8 code");
    lua_pushinteger(L, (lua_Integer)code);
  }
  return n;
}

static void u_push_char(luaL_Buffer *b, uint32_t c) {
  char out[4];
  int n;
  if (c < 0x80) {
    out[0] = (char)c;
    n = 1;
  } else if (c < 0x800) {
    out[0] = (char)(0xC0 | (c >> 6));
    out[1] = (char)(0x80 | (c & 0x3F));
    n = 2;
  } else if (c < 0x10000) {
    out[0] = (char)(0xE0 | (c >> 12));
    out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[2] = (char)(0x80 | (c & 0x3F));
    n = 3;
  } else {
    out[0] = (char)(0xF0 | (c >> 18));
    out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[3] = (char)(0x80 | (c & 0x3F));
    n = 4;
  }
  luaL_addlstring(b, out, (size_t)n);
}

static int u_char(lua_State *L) {
  int i, n = lua_gettop(L);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (i = 1; i <= n; i++) {
    double c = luaL_checknumber(L, i);
    if (!(c >= 0 && c <= UTF8_MAX)) return luau_argerror(L, i, "char", "value out of range");
    u_push_char(&b, (uint32_t)c);
  }
  luaL_pushresult(&b);
  return 1;
}

static int u_offset(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  lua_Integer n = luaL_checkinteger(L, 2);
  lua_Integer posi = u_posrelat(luaL_optinteger(L, 3, n >= 0 ? 1 : (lua_Integer)len + 1), len);
  if (!(1 <= posi && posi - 1 <= (lua_Integer)len)) return luau_argerror(L, 3, "offset", "position out of range");
  posi--;
  if (n == 0) {
    while (posi > 0 && ISCONT(s + posi)) posi--;
  } else {
    if (ISCONT(s + posi)) return luaL_error(L, "initial position is a continuation byte");
    if (n < 0) {
      while (n < 0 && posi > 0) {
        do posi--;
        while (posi > 0 && ISCONT(s + posi));
        n++;
      }
    } else {
      n--;
      while (n > 0 && posi < (lua_Integer)len) {
        do posi++;
        while (ISCONT(s + posi)); /* the string's terminating NUL stops it */
        n--;
      }
    }
  }
  if (n == 0) lua_pushinteger(L, posi + 1);
  else lua_pushnil(L);
  return 1;
}

static int u_codes_step(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  lua_Integer n = lua_tointeger(L, 2) - 1;
  uint32_t code;
  const char *next;
  if (n < 0) {
    n = 0;
  } else if (n < (lua_Integer)len) {
    n++;
    while (ISCONT(s + n)) n++;
  }
  if (n >= (lua_Integer)len) return 0;
  next = u_decode(s + n, &code);
  if (!next || ISCONT(next)) return luaL_error(L, "invalid UTF-8 code");
  lua_pushinteger(L, n + 1);
  lua_pushinteger(L, (lua_Integer)code);
  return 2;
}

static int u_codes(lua_State *L) {
  luaL_checkstring(L, 1);
  lua_pushcfunction(L, u_codes_step);
  lua_pushvalue(L, 1);
  lua_pushinteger(L, 0);
  return 3;
}

static void open_utf8(lua_State *L) {
  static const luaL_Reg fns[] = {{"char", u_char},   {"codepoint", u_codepoint},
                                 {"len", u_len},     {"offset", u_offset},
                                 {"codes", u_codes}, {NULL, NULL}};
  lua_newtable(L);
  luaL_register(L, NULL, fns);
  /* Lua 5.1 patterns cannot hold a NUL byte: %z stands for it */
  lua_pushliteral(L, "[%z\x01-\x7F\xC2-\xF4][\x80-\xBF]*");
  lua_setfield(L, -2, "charpattern");
  lua_setglobal(L, "utf8");
}

/* ---- table.move (Lua 5.3's, with Luau's limits) ---- */

/* One element: raw when neither table has a metatable (the common case), else through
 * the metamethods as Lua 5.3 does. */
static void move_one(lua_State *L, int src, int dst, lua_Integer from, lua_Integer to, int raw) {
  if (raw) { /* indices may lie outside int: no lua_rawgeti */
    lua_pushinteger(L, to);
    lua_pushinteger(L, from);
    lua_rawget(L, src);
    lua_rawset(L, dst);
  } else {
    lua_pushinteger(L, from);
    lua_gettable(L, src);
    lua_pushinteger(L, to);
    lua_insert(L, -2);
    lua_settable(L, dst);
  }
}

static int is_int_key(lua_State *L, int idx, lua_Integer lo, lua_Integer hi, lua_Integer *k) {
  double d;
  if (lua_type(L, idx) != LUA_TNUMBER) return 0;
  d = lua_tonumber(L, idx);
  if (d != floor(d) || d < (double)lo || d > (double)hi) return 0;
  *k = (lua_Integer)d;
  return 1;
}

/* A range much wider than the tables (table.move(t, -2^31, 2^31 - 1, ...)): walk the keys
 * the tables have instead of every index, which could take minutes in C where the script
 * timeout cannot reach. The source's elements are taken first, so overlap is no matter. */
static void move_sparse(lua_State *L, int src, int dst, lua_Integer f, lua_Integer e, lua_Integer t) {
  int base = lua_gettop(L), i, nsrc, ndst;
  lua_Integer k;
  lua_newtable(L); /* base+1: source pairs, flattened */
  lua_newtable(L); /* base+2: destination keys in the range */
  nsrc = 0;
  lua_pushnil(L);
  while (lua_next(L, src)) {
    if (is_int_key(L, -2, f, e, &k)) {
      lua_pushvalue(L, -2);
      lua_rawseti(L, base + 1, ++nsrc);
      lua_rawseti(L, base + 1, ++nsrc);
    } else {
      lua_pop(L, 1);
    }
  }
  ndst = 0;
  lua_pushnil(L);
  while (lua_next(L, dst)) {
    lua_pop(L, 1);
    if (is_int_key(L, -1, t, t + (e - f), &k)) {
      lua_pushvalue(L, -1);
      lua_rawseti(L, base + 2, ++ndst);
    }
  }
  for (i = 1; i <= ndst; i++) { /* what the source lacks ends up nil */
    lua_rawgeti(L, base + 2, i);
    lua_pushnil(L);
    lua_rawset(L, dst);
  }
  for (i = 1; i <= nsrc; i += 2) {
    lua_rawgeti(L, base + 1, i);
    k = (lua_Integer)lua_tonumber(L, -1);
    lua_pop(L, 1);
    lua_pushinteger(L, t + (k - f));
    lua_rawgeti(L, base + 1, i + 1);
    lua_rawset(L, dst);
  }
  lua_settop(L, base);
}

static int t_move(lua_State *L) {
  lua_Integer f, e, t, n, i;
  int tt, raw;
  luaL_checktype(L, 1, LUA_TTABLE);
  f = luaL_checkinteger(L, 2);
  e = luaL_checkinteger(L, 3);
  t = luaL_checkinteger(L, 4);
  tt = lua_isnoneornil(L, 5) ? 1 : 5;
  luaL_checktype(L, tt, LUA_TTABLE);
  if (e >= f) {
    if (!(f > 0 || e < INT_MAX + f)) return luau_argerror(L, 3, "move", "too many elements to move");
    n = e - f + 1;
    if (!(t <= INT_MAX - n + 1)) return luau_argerror(L, 4, "move", "destination wrap around");
    raw = !lua_getmetatable(L, 1);
    if (!raw) lua_pop(L, 1);
    if (raw && lua_getmetatable(L, tt)) {
      lua_pop(L, 1);
      raw = 0;
    }
    if (raw && n > 256) {
      lua_Integer count = 0;
      lua_pushnil(L);
      while (count <= n / 4 && lua_next(L, 1)) {
        lua_pop(L, 1);
        count++;
      }
      if (count <= n / 4) {
        move_sparse(L, 1, tt, f, e, t);
        lua_pushvalue(L, tt);
        return 1;
      }
      lua_pop(L, 1); /* the key lua_next left */
    }
    if (t > e || t <= f || (tt != 1 && !lua_rawequal(L, 1, tt))) {
      for (i = 0; i < n; i++) move_one(L, 1, tt, f + i, t + i, raw);
    } else {
      for (i = n - 1; i >= 0; i--) move_one(L, 1, tt, f + i, t + i, raw);
    }
  }
  lua_pushvalue(L, tt);
  return 1;
}

/* ---- os.date and os.time as Luau has them ---- */

/* Days from 1970-01-01 to the given proleptic Gregorian date; month may be any integer
 * (it carries into the year), day any integer (it counts on from the 1st). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  int64_t era, yoe, doy, doe, mp;
  y += (m - 1) >= 0 ? (m - 1) / 12 : -((12 - m) / 12);
  m = ((m - 1) % 12 + 12) % 12 + 1;
  if (m <= 2) y--;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  mp = (m + 9) % 12; /* March is 0: the leap day falls at the end of the year */
  doy = (153 * mp + 2) / 5;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468 + (d - 1);
}

static int date_field(lua_State *L, const char *key, int def) {
  int v;
  lua_getfield(L, 1, key);
  if (lua_isnumber(L, -1)) v = (int)lua_tointeger(L, -1);
  else if (def < 0) return luaL_error(L, "field '%s' missing in date table", key);
  else v = def;
  lua_pop(L, 1);
  return v;
}

/* Luau reads a date table as UTC (not local time, as Lua's mktime does) and has no time
 * before the epoch: either gives nil. */
static int os_time(lua_State *L) {
  int64_t days, secs;
  if (lua_isnoneornil(L, 1)) {
    lua_pushnumber(L, (double)time(NULL));
    return 1;
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  {
    int sec = date_field(L, "sec", 0), min = date_field(L, "min", 0);
    int hour = date_field(L, "hour", 12), day = date_field(L, "day", -1);
    int month = date_field(L, "month", -1), year = date_field(L, "year", -1);
    days = days_from_civil(year, month, day);
    secs = days * 86400 + (int64_t)hour * 3600 + (int64_t)min * 60 + sec;
  }
  if (days < 0 || secs < 0) lua_pushnil(L);
  else lua_pushnumber(L, (double)secs);
  return 1;
}

static void set_int(lua_State *L, const char *key, int v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, key);
}

/* Luau's os.date: local time refuses negative times (nil), only C89's conversions are
 * accepted ("invalid conversion specifier" otherwise), a lone trailing '%' is literal. */
static int os_date(lua_State *L) {
  const char *s = luaL_optstring(L, 1, "%c");
  time_t t = lua_isnoneornil(L, 2) ? time(NULL) : (time_t)luaL_checknumber(L, 2);
  struct tm tmv, *tm;
  if (*s == '!') {
    s++;
    tm = gmtime_r(&t, &tmv);
  } else {
    tm = t < 0 ? NULL : localtime_r(&t, &tmv);
  }
  if (!tm) {
    lua_pushnil(L);
  } else if (strcmp(s, "*t") == 0) {
    lua_createtable(L, 0, 9);
    set_int(L, "sec", tm->tm_sec);
    set_int(L, "min", tm->tm_min);
    set_int(L, "hour", tm->tm_hour);
    set_int(L, "day", tm->tm_mday);
    set_int(L, "month", tm->tm_mon + 1);
    set_int(L, "year", tm->tm_year + 1900);
    set_int(L, "wday", tm->tm_wday + 1);
    set_int(L, "yday", tm->tm_yday + 1);
    if (tm->tm_isdst >= 0) {
      lua_pushboolean(L, tm->tm_isdst);
      lua_setfield(L, -2, "isdst");
    }
  } else {
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (; *s; s++) {
      char spec[3] = {'%', 0, 0}, out[256];
      size_t n;
      if (s[0] != '%' || s[1] == 0) {
        luaL_addchar(&b, *s);
        continue;
      }
      if (!strchr("aAbBcdHIjmMpSUwWxXyYzZ%", s[1]))
        return luaL_error(L, "invalid argument #1 to 'date' (invalid conversion specifier)");
      spec[1] = *++s;
      n = strftime(out, sizeof out, spec, tm);
      luaL_addlstring(&b, out, n);
    }
    luaL_pushresult(&b);
  }
  return 1;
}

/* tick: Unix time with sub-second precision; never less than a value it returned before
 * (a wall-clock step back holds it still instead). Upvalue 1: the last value, boxed. */
static int l_tick(lua_State *L) {
  double *last = lua_touserdata(L, lua_upvalueindex(1));
  double now = clock_of(CLOCK_REALTIME);
  if (now < *last) now = *last;
  *last = now;
  lua_pushnumber(L, now);
  return 1;
}


/* ---- bit32 (Lua 5.2's, as Luau has it: unsigned 32-bit results) ---- */

static uint32_t check_u32(lua_State *L, int arg) {
  double d = luaL_checknumber(L, arg);
  /* modulo 2^32 like Lua 5.2's lua_tounsigned, for any finite double */
  d = fmod(trunc(d), 4294967296.0);
  if (d != d) return 0;
  if (d < 0) d += 4294967296.0;
  return (uint32_t)d;
}

static int push_u32(lua_State *L, uint32_t v) {
  lua_pushnumber(L, (lua_Number)v);
  return 1;
}

static uint32_t and_all(lua_State *L) {
  int i, n = lua_gettop(L);
  uint32_t r = ~(uint32_t)0;
  for (i = 1; i <= n; i++) r &= check_u32(L, i);
  return r;
}

static int b32_band(lua_State *L) {
  return push_u32(L, and_all(L));
}
static int b32_btest(lua_State *L) {
  lua_pushboolean(L, and_all(L) != 0);
  return 1;
}
static int b32_bor(lua_State *L) {
  int i, n = lua_gettop(L);
  uint32_t r = 0;
  for (i = 1; i <= n; i++) r |= check_u32(L, i);
  return push_u32(L, r);
}
static int b32_bxor(lua_State *L) {
  int i, n = lua_gettop(L);
  uint32_t r = 0;
  for (i = 1; i <= n; i++) r ^= check_u32(L, i);
  return push_u32(L, r);
}
static int b32_bnot(lua_State *L) {
  return push_u32(L, ~check_u32(L, 1));
}

static uint32_t shift(uint32_t x, double n) {
  if (n <= -32 || n >= 32) return 0;
  return n < 0 ? x >> (int)-n : x << (int)n;
}
static int b32_lshift(lua_State *L) {
  uint32_t x = check_u32(L, 1);
  return push_u32(L, shift(x, trunc(luaL_checknumber(L, 2))));
}
static int b32_rshift(lua_State *L) {
  uint32_t x = check_u32(L, 1);
  return push_u32(L, shift(x, -trunc(luaL_checknumber(L, 2))));
}
static int b32_arshift(lua_State *L) {
  uint32_t x = check_u32(L, 1);
  double n = trunc(luaL_checknumber(L, 2));
  if (n < 0 || !(x & 0x80000000u)) return push_u32(L, shift(x, -n));
  if (n >= 32) return push_u32(L, 0xffffffffu);
  return push_u32(L, (x >> (int)n) | ~(0xffffffffu >> (int)n));
}
static uint32_t rotate(uint32_t x, double n) {
  int k = (int)fmod(trunc(n), 32.0);
  if (k < 0) k += 32;
  return k == 0 ? x : (x << k) | (x >> (32 - k));
}
static int b32_lrotate(lua_State *L) {
  uint32_t x = check_u32(L, 1);
  return push_u32(L, rotate(x, luaL_checknumber(L, 2)));
}
static int b32_rrotate(lua_State *L) {
  uint32_t x = check_u32(L, 1);
  return push_u32(L, rotate(x, -luaL_checknumber(L, 2)));
}

static int field_args(lua_State *L, int farg, int *width) {
  double f = trunc(luaL_checknumber(L, farg));
  double w = lua_isnoneornil(L, farg + 1) ? 1 : trunc(luaL_checknumber(L, farg + 1));
  luaL_argcheck(L, f >= 0, farg, "field cannot be negative");
  luaL_argcheck(L, w > 0, farg + 1, "width must be positive");
  if (f + w > 32) luaL_error(L, "trying to access non-existent bits");
  *width = (int)w;
  return (int)f;
}
static int b32_extract(lua_State *L) {
  uint32_t x = check_u32(L, 1);
  int w, f = field_args(L, 2, &w);
  uint32_t mask = w == 32 ? 0xffffffffu : ((uint32_t)1 << w) - 1;
  return push_u32(L, (x >> f) & mask);
}
static int b32_replace(lua_State *L) {
  uint32_t x = check_u32(L, 1), v = check_u32(L, 2);
  int w, f = field_args(L, 3, &w);
  uint32_t mask = w == 32 ? 0xffffffffu : ((uint32_t)1 << w) - 1;
  return push_u32(L, (x & ~(mask << f)) | ((v & mask) << f));
}
static int b32_countlz(lua_State *L) {
  uint32_t x = check_u32(L, 1);
  int n = 0;
  if (x == 0) return push_u32(L, 32);
  while (!(x & 0x80000000u)) {
    x <<= 1;
    n++;
  }
  return push_u32(L, (uint32_t)n);
}
static int b32_countrz(lua_State *L) {
  uint32_t x = check_u32(L, 1);
  int n = 0;
  if (x == 0) return push_u32(L, 32);
  while (!(x & 1)) {
    x >>= 1;
    n++;
  }
  return push_u32(L, (uint32_t)n);
}
static int b32_byteswap(lua_State *L) {
  uint32_t x = check_u32(L, 1);
  return push_u32(L, (x >> 24) | ((x >> 8) & 0xff00u) | ((x << 8) & 0xff0000u) | (x << 24));
}

static void open_bit32(lua_State *L) {
  static const luaL_Reg fns[] = {
      {"band", b32_band},       {"bor", b32_bor},         {"bxor", b32_bxor},
      {"bnot", b32_bnot},       {"btest", b32_btest},     {"lshift", b32_lshift},
      {"rshift", b32_rshift},   {"arshift", b32_arshift}, {"lrotate", b32_lrotate},
      {"rrotate", b32_rrotate}, {"extract", b32_extract}, {"replace", b32_replace},
      {"countlz", b32_countlz}, {"countrz", b32_countrz}, {"byteswap", b32_byteswap},
      {NULL, NULL}};
  lua_newtable(L);
  luaL_register(L, NULL, fns);
  lua_setglobal(L, "bit32");
}

static void set_fns(lua_State *L, const char *lib, const luaL_Reg *fns) {
  lua_getglobal(L, lib);
  for (; fns->name; fns++) {
    lua_pushcfunction(L, fns->func);
    lua_setfield(L, -2, fns->name);
  }
  lua_pop(L, 1);
}

void lh_stdlib_open(lua_State *L) {
  static const luaL_Reg strfns[] = {
      {"pack", str_pack}, {"unpack", str_unpack}, {"packsize", str_packsize}, {NULL, NULL}};
  static const luaL_Reg mathfns[] = {
      {"noise", math_noise}, {"clamp", math_clamp}, {"sign", math_sign},
      {"round", math_round}, {"map", math_map},     {"lerp", math_lerp},
      {"isnan", math_isnan}, {"isinf", math_isinf}, {"isfinite", math_isfinite},
      {NULL, NULL}};
  static const luaL_Reg osfns[] = {
      {"clock", os_clock}, {"date", os_date}, {"time", os_time}, {NULL, NULL}};
  double *last;
  set_fns(L, "string", strfns);
  set_fns(L, "math", mathfns);
  lua_getglobal(L, "math");
  lua_pushnumber(L, 2 * 3.14159265358979323846);
  lua_setfield(L, -2, "tau");
  lua_pushnumber(L, sqrt(2.0));
  lua_setfield(L, -2, "sqrt2");
  lua_pushnumber(L, exp(1.0));
  lua_setfield(L, -2, "e");
  lua_pushnumber(L, (1 + sqrt(5.0)) / 2);
  lua_setfield(L, -2, "phi");
  lua_pushnumber(L, NAN);
  lua_setfield(L, -2, "nan");
  lua_pop(L, 1);
  set_fns(L, "os", osfns);
  open_bit32(L);
  open_utf8(L);
  lua_getglobal(L, "table");
  lua_pushcfunction(L, t_move);
  lua_setfield(L, -2, "move");
  lua_pop(L, 1);
  last = lua_newuserdata(L, sizeof *last);
  *last = 0;
  lua_pushcclosure(L, l_tick, 1);
  lua_setglobal(L, "tick");
  lua_getglobal(L, "tostring");
  lua_pushcclosure(L, l_tostring, 1);
  lua_setglobal(L, "tostring");
}
