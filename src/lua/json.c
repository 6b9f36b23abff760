/*
 * json.c - a small strict JSON reader for place files (*.model.json, *.project.json), pushing
 * Lua values directly. It never allocates outside the Lua state and never recurses unbounded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

#define JSON_MAX_DEPTH 200

typedef struct jparser {
  lua_State *L;
  const char *s, *end, *p;
  char *err;
  size_t errcap;
  int failed;
} jparser;

static int line_of(const jparser *j) {
  int line = 1;
  const char *q;
  for (q = j->s; q < j->p && q < j->end; q++)
    if (*q == '\n') line++;
  return line;
}

static void fail(jparser *j, const char *what) {
  if (j->failed) return;
  j->failed = 1;
  snprintf(j->err, j->errcap, "line %d: %s", line_of(j), what);
}

static void skip_ws(jparser *j) {
  while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
    j->p++;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static unsigned read_hex4(jparser *j) {
  unsigned v = 0;
  int i;
  if (j->end - j->p < 4) {
    fail(j, "truncated \\u escape");
    return 0;
  }
  for (i = 0; i < 4; i++) {
    int h = hexval(j->p[i]);
    if (h < 0) {
      fail(j, "bad \\u escape");
      return 0;
    }
    v = v * 16 + (unsigned)h;
  }
  j->p += 4;
  return v;
}

static void add_utf8(luaL_Buffer *b, unsigned cp) {
  if (cp < 0x80) {
    luaL_addchar(b, (char)cp);
  } else if (cp < 0x800) {
    luaL_addchar(b, (char)(0xC0 | (cp >> 6)));
    luaL_addchar(b, (char)(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    luaL_addchar(b, (char)(0xE0 | (cp >> 12)));
    luaL_addchar(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
    luaL_addchar(b, (char)(0x80 | (cp & 0x3F)));
  } else {
    luaL_addchar(b, (char)(0xF0 | (cp >> 18)));
    luaL_addchar(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
    luaL_addchar(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
    luaL_addchar(b, (char)(0x80 | (cp & 0x3F)));
  }
}

static void parse_string(jparser *j) {
  luaL_Buffer b;
  j->p++; /* opening quote */
  luaL_buffinit(j->L, &b);
  while (j->p < j->end && *j->p != '"') {
    unsigned char c = (unsigned char)*j->p++;
    if (c < 0x20) {
      fail(j, "control character in string");
      break;
    }
    if (c != '\\') {
      luaL_addchar(&b, (char)c);
      continue;
    }
    if (j->p >= j->end) break;
    c = (unsigned char)*j->p++;
    switch (c) {
    case '"': luaL_addchar(&b, '"'); break;
    case '\\': luaL_addchar(&b, '\\'); break;
    case '/': luaL_addchar(&b, '/'); break;
    case 'b': luaL_addchar(&b, '\b'); break;
    case 'f': luaL_addchar(&b, '\f'); break;
    case 'n': luaL_addchar(&b, '\n'); break;
    case 'r': luaL_addchar(&b, '\r'); break;
    case 't': luaL_addchar(&b, '\t'); break;
    case 'u': {
      unsigned cp = read_hex4(j);
      if (cp >= 0xD800 && cp < 0xDC00 && j->end - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u') {
        unsigned lo;
        j->p += 2;
        lo = read_hex4(j);
        if (lo >= 0xDC00 && lo < 0xE000) cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
      }
      add_utf8(&b, cp);
      break;
    }
    default:
      fail(j, "bad escape in string");
      break;
    }
    if (j->failed) break;
  }
  luaL_pushresult(&b);
  if (j->p >= j->end) {
    fail(j, "unterminated string");
    return;
  }
  j->p++;
}

static void parse_value(jparser *j, int depth);

static void parse_number(jparser *j) {
  const char *start = j->p;
  char buf[64];
  size_t n;
  if (j->p < j->end && *j->p == '-') j->p++;
  if (j->p >= j->end || !(*j->p >= '0' && *j->p <= '9')) {
    fail(j, "bad number");
    return;
  }
  while (j->p < j->end && ((*j->p >= '0' && *j->p <= '9') || *j->p == '.' || *j->p == 'e' ||
                           *j->p == 'E' || *j->p == '+' || *j->p == '-'))
    j->p++;
  n = (size_t)(j->p - start);
  if (n >= sizeof buf) {
    fail(j, "number too long");
    return;
  }
  memcpy(buf, start, n);
  buf[n] = 0;
  {
    char *endp;
    double v = strtod(buf, &endp);
    if (*endp != 0) {
      fail(j, "bad number");
      return;
    }
    lua_pushnumber(j->L, v);
  }
}

static int match_word(jparser *j, const char *w) {
  size_t n = strlen(w);
  if ((size_t)(j->end - j->p) >= n && memcmp(j->p, w, n) == 0) {
    j->p += n;
    return 1;
  }
  return 0;
}

static void parse_value(jparser *j, int depth) {
  lua_State *L = j->L;
  if (depth > JSON_MAX_DEPTH) {
    fail(j, "nested too deeply");
    return;
  }
  if (!lua_checkstack(L, 4)) {
    fail(j, "out of memory");
    return;
  }
  skip_ws(j);
  if (j->p >= j->end) {
    fail(j, "unexpected end of input");
    return;
  }
  switch (*j->p) {
  case '{':
    j->p++;
    lua_newtable(L);
    skip_ws(j);
    if (j->p < j->end && *j->p == '}') {
      j->p++;
      return;
    }
    for (;;) {
      skip_ws(j);
      if (j->p >= j->end || *j->p != '"') {
        fail(j, "expected a string key");
        return;
      }
      parse_string(j);
      if (j->failed) return;
      skip_ws(j);
      if (j->p >= j->end || *j->p != ':') {
        fail(j, "expected ':'");
        return;
      }
      j->p++;
      parse_value(j, depth + 1);
      if (j->failed) return;
      if (lua_isnil(L, -1)) {
        lua_pop(L, 2);
      } else {
        lua_rawset(L, -3);
      }
      skip_ws(j);
      if (j->p < j->end && *j->p == ',') {
        j->p++;
        continue;
      }
      if (j->p < j->end && *j->p == '}') {
        j->p++;
        return;
      }
      fail(j, "expected ',' or '}'");
      return;
    }
  case '[': {
    int i = 0;
    j->p++;
    lua_newtable(L);
    skip_ws(j);
    if (j->p < j->end && *j->p == ']') {
      j->p++;
      return;
    }
    for (;;) {
      parse_value(j, depth + 1);
      if (j->failed) return;
      lua_rawseti(L, -2, ++i);
      skip_ws(j);
      if (j->p < j->end && *j->p == ',') {
        j->p++;
        continue;
      }
      if (j->p < j->end && *j->p == ']') {
        j->p++;
        return;
      }
      fail(j, "expected ',' or ']'");
      return;
    }
  }
  case '"':
    parse_string(j);
    return;
  case 't':
    if (match_word(j, "true")) {
      lua_pushboolean(L, 1);
      return;
    }
    break;
  case 'f':
    if (match_word(j, "false")) {
      lua_pushboolean(L, 0);
      return;
    }
    break;
  case 'n':
    if (match_word(j, "null")) {
      lua_pushnil(L);
      return;
    }
    break;
  default:
    if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9')) {
      parse_number(j);
      return;
    }
    break;
  }
  fail(j, "unexpected character");
}

int lh_json_push(lua_State *L, const char *text, size_t len, char *err, size_t errcap) {
  jparser j;
  int top = lua_gettop(L);
  memset(&j, 0, sizeof j);
  j.L = L;
  j.s = j.p = text;
  j.end = text + len;
  j.err = err;
  j.errcap = errcap;
  /* a UTF-8 byte order mark is tolerated, as editors write one */
  if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) j.p += 3;
  parse_value(&j, 0);
  if (!j.failed) {
    skip_ws(&j);
    if (j.p != j.end) fail(&j, "trailing characters after the document");
  }
  if (j.failed) {
    lua_settop(L, top);
    return -1;
  }
  return 0;
}
