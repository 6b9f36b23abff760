/*
 * convert.c - Lua values <-> rmt_value for the Lua host: loose values built in an arena, then
 * Roblox's argument rules applied by rmt_values_normalize. Never sends or decodes anything.
 */
#include <string.h>

#include "host.h"

typedef struct conv {
  rmt_host *host;
  lua_State *L;
  rmt_arena *arena;
  lh_conv_mode mode;
  int inst_idx;
  int ninst;
  int depth;
  uint32_t max_depth;
  size_t elements;
  size_t max_elements;
  const void *path[80];
  int nomem;
} conv;

static int is_instance(lua_State *L, int idx) {
  int yes;
  if (!lua_getmetatable(L, idx)) return 0;
  lua_getfield(L, LUA_REGISTRYINDEX, "rmt.InstanceMeta");
  yes = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return yes;
}

static void build(conv *c, int idx, rmt_value *out);

/* A Roblox datatype written in Lua (60_datatypes.lua) or an EnumItem: the prelude's encoder
 * (H.set_datatype_codec) names its kind and parts. Returns 0 when the value is not one that
 * crosses (Random, signals, ...), and the caller sends nil as Roblox would. */
static int build_datatype(conv *c, int idx, rmt_value *out) {
  lua_State *L = c->L;
  int base = lua_gettop(L), n, i, ok = 0;
  if (!lua_checkstack(L, RMT_SEQUENCE_MAX_KEYPOINTS + 8)) return 0;
  lua_getfield(L, LUA_REGISTRYINDEX, "rmt.DTEncode");
  if (!lua_isfunction(L, -1)) goto out;
  lua_pushvalue(L, idx);
  if (lua_pcall(L, 1, LUA_MULTRET, 0) != 0) goto out;
  n = lua_gettop(L) - base - 1; /* parts after the kind */
  if (n < 0 || n > RMT_SEQUENCE_MAX_KEYPOINTS) goto out;
  if (lua_type(L, base + 1) == LUA_TBOOLEAN && lua_type(L, base + 2) == LUA_TSTRING) {
    /* false, typeof(v): a value that does not cross, named for the warning */
    size_t len;
    const char *name = lua_tolstring(L, base + 2, &len);
    char *copy = rmt_arena_alloc(c->arena, len + 1);
    if (copy) {
      memcpy(copy, name, len + 1);
      out->as.string.ptr = copy;
    }
    goto out;
  }
  if (lua_type(L, base + 1) == LUA_TSTRING) { /* "EnumItem", enum name, value */
    size_t len;
    const char *name = lua_tolstring(L, base + 2, &len);
    char *copy;
    double value;
    if (n != 2 || name == NULL || lua_type(L, base + 3) != LUA_TNUMBER) goto out;
    value = lua_tonumber(L, base + 3);
    if (!(value >= -2147483648.0 && value <= 2147483647.0) || value != (double)(int32_t)value)
      goto out;
    /* the name is copied: the Lua string may be collected before normalize reads it */
    copy = rmt_arena_alloc(c->arena, len + 1);
    if (!copy) {
      c->nomem = 1;
      goto out;
    }
    memcpy(copy, name, len + 1);
    *out = rmt_enum_item(copy, (int32_t)value);
    out->as.enumitem.len = len;
    ok = 1;
  } else if (lua_type(L, base + 1) == LUA_TNUMBER) {
    rmt_datatype_kind kind = (rmt_datatype_kind)lua_tointeger(L, base + 1);
    size_t arity = rmt_datatype_arity(kind);
    if (rmt_datatype_name(kind) == NULL) goto out;
    if (arity) {
      double num[RMT_DATATYPE_MAX_NUMBERS];
      if ((size_t)n != arity) goto out;
      for (i = 0; i < n; i++) {
        if (lua_type(L, base + 2 + i) != LUA_TNUMBER) goto out;
        num[i] = lua_tonumber(L, base + 2 + i);
      }
      *out = rmt_datatype(kind, num, arity);
    } else {
      rmt_value *items = n ? rmt_arena_alloc(c->arena, (size_t)n * sizeof *items) : NULL;
      if (n && !items) {
        c->nomem = 1;
        goto out;
      }
      for (i = 0; i < n; i++) build(c, base + 2 + i, &items[i]);
      *out = rmt_datatype_list(kind, items, (size_t)n);
    }
    ok = 1;
  }
out:
  lua_settop(L, base);
  return ok;
}

static void build_table(conv *c, int idx, rmt_value *out) {
  lua_State *L = c->L;
  const void *id = lua_topointer(L, idx);
  size_t n = 0, i;
  rmt_pair *pairs;
  int d;
  memset(out, 0, sizeof *out);
  out->type = RMT_TTABLE;
  out->as.table.identity = id;
  if (lua_getmetatable(L, idx)) {
    out->as.table.has_metatable = 1;
    lua_pop(L, 1);
  }
  /* a table already on the path is a cycle: leave it empty, normalize reports it */
  for (d = 0; d < c->depth && d < (int)(sizeof c->path / sizeof c->path[0]); d++)
    if (c->path[d] == id) return;
  /* past the depth limit (or our own path buffer) the structure is refused anyway */
  if ((uint32_t)c->depth > c->max_depth + 1 ||
      c->depth >= (int)(sizeof c->path / sizeof c->path[0]) || c->elements > c->max_elements + 1)
    return;
  if (!lua_checkstack(L, 8)) {
    c->nomem = 1;
    return;
  }
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    n++;
    lua_pop(L, 1);
  }
  if (n == 0) return;
  pairs = rmt_arena_alloc(c->arena, n * sizeof *pairs);
  if (!pairs) {
    c->nomem = 1;
    return;
  }
  c->path[c->depth++] = id;
  i = 0;
  lua_pushnil(L);
  while (lua_next(L, idx) && i < n) {
    int top = lua_gettop(L);
    build(c, top - 1, &pairs[i].key);
    build(c, top, &pairs[i].value);
    lua_pop(L, 1);
    i++;
  }
  c->depth--;
  out->as.table.pairs = pairs;
  out->as.table.count = i;
}

static void build(conv *c, int idx, rmt_value *out) {
  lua_State *L = c->L;
  const float *f;
  memset(out, 0, sizeof *out);
  c->elements++;
  switch (lua_type(L, idx)) {
  case LUA_TNIL:
  case LUA_TNONE:
    out->type = RMT_TNIL;
    return;
  case LUA_TBOOLEAN:
    *out = rmt_bool(lua_toboolean(L, idx));
    return;
  case LUA_TNUMBER:
    *out = rmt_num(lua_tonumber(L, idx));
    return;
  case LUA_TSTRING: {
    size_t len;
    const char *s = lua_tolstring(L, idx, &len);
    *out = rmt_lstr(s, len);
    return;
  }
  case LUA_TTABLE:
    build_table(c, idx, out);
    return;
  case LUA_TUSERDATA: {
    size_t blen;
    const unsigned char *bytes = lh_to_buffer(L, idx, &blen);
    if (bytes) { /* the arena copy is not needed: the buffer outlives the conversion */
      *out = rmt_bytes(bytes, blen);
      return;
    }
  }
    if ((f = lh_to_vector3(L, idx)) != NULL) {
      *out = rmt_vector3(f[0], f[1], f[2]);
      return;
    }
    if ((f = lh_to_cframe(L, idx)) != NULL) {
      *out = rmt_cframe_full(f, f + 3);
      return;
    }
    if ((f = lh_to_color3(L, idx)) != NULL) {
      *out = rmt_color3(f[0], f[1], f[2]);
      return;
    }
    if (is_instance(L, idx)) {
      if (c->mode == RMT_CONV_BINDABLE) {
        lua_pushvalue(L, idx);
        lua_rawseti(L, c->inst_idx, ++c->ninst);
        *out = rmt_player_ref((uint32_t)c->ninst);
        return;
      }
      lua_getfield(L, LUA_REGISTRYINDEX, "rmt.PlayerIds");
      lua_pushvalue(L, idx);
      lua_rawget(L, -2);
      if (lua_type(L, -1) == LUA_TNUMBER) {
        *out = rmt_player_ref((uint32_t)lua_tonumber(L, -1));
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 2);
    }
    if (build_datatype(c, idx, out)) return;
    out->type = RMT_TFUNCTION;
    if (out->as.string.ptr == NULL && is_instance(L, idx)) out->as.string.ptr = "Instance";
    return;
  case LUA_TFUNCTION:
    /* a bindable stays inside one Lua state, so a function arrives as itself, as in Roblox
     * (@rbxts/signal fires its arguments as a closure) */
    if (c->mode == RMT_CONV_BINDABLE) {
      lua_pushvalue(L, idx);
      lua_rawseti(L, c->inst_idx, ++c->ninst);
      *out = rmt_player_ref((uint32_t)c->ninst);
      return;
    }
    out->type = RMT_TFUNCTION;
    return;
  default: /* threads, light userdata: cannot cross, arrive as nil */
    out->type = RMT_TFUNCTION;
    out->as.string.ptr = lua_typename(L, lua_type(L, idx));
    return;
  }
}

static void warn_to_host(void *ud, const char *message) {
  rmt_host_emit((rmt_host *)ud, RMT_HOST_WARN, message);
}

int lh_lua_to_values(rmt_host *host, lua_State *L, int first, int nargs, lh_conv_mode mode,
                      rmt_value **out, rmt_error *err) {
  conv c;
  rmt_value *vals = NULL;
  rmt_limits limits;
  int i, rc;
  *out = NULL;
  if (first < 0) first = lua_gettop(L) + first + 1;
  memset(&c, 0, sizeof c);
  c.host = host;
  c.L = L;
  c.mode = mode;
  rmt_limits_default(&limits);
  limits.max_args = RMT_LUA_MAX_ARGS;
  c.max_depth = limits.max_depth;
  c.max_elements = limits.max_elements;
  if (mode == RMT_CONV_BINDABLE) {
    lua_newtable(L);
    c.inst_idx = lua_gettop(L);
  }
  c.arena = rmt_arena_create(host->alloc);
  if (!c.arena) goto nomem;
  if (nargs > 0) {
    vals = rmt_arena_alloc(c.arena, (size_t)nargs * sizeof *vals);
    if (!vals) goto nomem;
  }
  for (i = 0; i < nargs; i++) build(&c, first + i, &vals[i]);
  if (c.nomem) goto nomem;
  rc = rmt_values_normalize(vals, (size_t)nargs, RMT_CONVERT_LOSSY, &limits, host->alloc,
                            warn_to_host, host, out, err);
  rmt_arena_destroy(c.arena);
  return rc;
nomem:
  rmt_arena_destroy(c.arena);
  if (err) {
    err->code = RMT_ENOMEM;
    strcpy(err->message, "out of memory");
  }
  return RMT_ENOMEM;
}

static void push_value(rmt_host *host, lua_State *L, const rmt_value *v, lh_conv_mode mode,
                       int inst_idx) {
  size_t i;
  if (!lua_checkstack(L, 6)) luaL_error(L, "value nested too deeply");
  switch (v->type) {
  case RMT_TBOOLEAN:
    lua_pushboolean(L, v->as.boolean);
    break;
  case RMT_TNUMBER:
    lua_pushnumber(L, v->as.number);
    break;
  case RMT_TSTRING:
    lua_pushlstring(L, v->as.string.ptr, v->as.string.len);
    break;
  case RMT_TBUFFER: {
    unsigned char *b = lh_push_buffer(L, v->as.string.len);
    if (v->as.string.len) memcpy(b, v->as.string.ptr, v->as.string.len);
    break;
  }
  case RMT_TARRAY:
    lua_createtable(L, (int)v->as.array.count, 0);
    for (i = 0; i < v->as.array.count; i++) {
      push_value(host, L, &v->as.array.items[i], mode, inst_idx);
      lua_rawseti(L, -2, (int)i + 1);
    }
    break;
  case RMT_TDICT:
  case RMT_TTABLE:
    lua_createtable(L, 0, (int)v->as.table.count);
    for (i = 0; i < v->as.table.count; i++) {
      push_value(host, L, &v->as.table.pairs[i].key, mode, inst_idx);
      push_value(host, L, &v->as.table.pairs[i].value, mode, inst_idx);
      if (lua_isnil(L, -2)) {
        lua_pop(L, 2);
      } else {
        lua_rawset(L, -3);
      }
    }
    break;
  case RMT_TVECTOR3:
    lh_push_vector3(L, v->as.vector3.x, v->as.vector3.y, v->as.vector3.z);
    break;
  case RMT_TCFRAME: {
    float pos[3];
    pos[0] = v->as.cframe.x;
    pos[1] = v->as.cframe.y;
    pos[2] = v->as.cframe.z;
    lh_push_cframe(L, pos, v->as.cframe.r);
    break;
  }
  case RMT_TCOLOR3:
    lh_push_color3(L, v->as.color3.r, v->as.color3.g, v->as.color3.b);
    break;
  case RMT_TDATATYPE:
  case RMT_TENUM: {
    /* the prelude's decoder rebuilds the Lua datatype; it answers nil for what this host
     * cannot build (an unknown enum, BrickColor before it exists) */
    int top = lua_gettop(L);
    if (!lua_checkstack(L, RMT_SEQUENCE_MAX_KEYPOINTS + 8)) luaL_error(L, "value nested too deeply");
    lua_getfield(L, LUA_REGISTRYINDEX, "rmt.DTDecode");
    if (!lua_isfunction(L, -1)) {
      lua_settop(L, top);
      lua_pushnil(L);
      break;
    }
    if (v->type == RMT_TENUM) {
      lua_pushliteral(L, "EnumItem");
      lua_pushlstring(L, v->as.enumitem.name, v->as.enumitem.len);
      lua_pushnumber(L, v->as.enumitem.value);
    } else {
      lua_pushnumber(L, v->as.datatype.kind);
      if (rmt_datatype_arity((rmt_datatype_kind)v->as.datatype.kind))
        for (i = 0; i < v->as.datatype.count; i++) lua_pushnumber(L, v->as.datatype.u.n[i]);
      else
        for (i = 0; i < v->as.datatype.count; i++)
          push_value(host, L, &v->as.datatype.u.items[i], mode, inst_idx);
    }
    lua_call(L, lua_gettop(L) - top - 1, 1);
    break;
  }
  case RMT_TPLAYER:
    if (mode == RMT_CONV_BINDABLE) {
      lua_rawgeti(L, inst_idx, (int)v->as.player);
    } else {
      lua_getfield(L, LUA_REGISTRYINDEX, "rmt.PlayersById");
      lua_rawgeti(L, -1, (int)v->as.player);
      lua_remove(L, -2);
    }
    break;
  default:
    lua_pushnil(L);
    break;
  }
  (void)host;
}

void lh_lua_push_values(rmt_host *host, lua_State *L, const rmt_value *values, size_t n,
                         lh_conv_mode mode, int inst_idx) {
  size_t i;
  if (inst_idx < 0) inst_idx = lua_gettop(L) + inst_idx + 1;
  if (!lua_checkstack(L, (int)n + 8)) luaL_error(L, "too many values");
  for (i = 0; i < n; i++) push_value(host, L, &values[i], mode, inst_idx);
}

/* Pushes "file:line: " of the innermost script frame (skipping the prelude), like luaL_where
 * but pointing at the user's call rather than the host's own Lua. */
void lh_push_where(lua_State *L) {
  lua_Debug ar;
  int level;
  for (level = 1; lua_getstack(L, level, &ar); level++) {
    lua_getinfo(L, "Sl", &ar);
    if (ar.currentline > 0 && strcmp(ar.source, "=prelude") != 0) {
      lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
      return;
    }
  }
  lua_pushliteral(L, "");
}

/* copy_args(...): the arguments as a BindableEvent delivers them (deep copies, Roblox rules;
 * instances and functions by reference). */
static int l_copy_args(lua_State *L) {
  rmt_host *host = (rmt_host *)lua_touserdata(L, lua_upvalueindex(1));
  int n = lua_gettop(L);
  rmt_value *vals = NULL;
  rmt_error err;
  int rc = lh_lua_to_values(host, L, 1, n, RMT_CONV_BINDABLE, &vals, &err);
  if (rc != 0) {
    lh_push_where(L);
    lua_pushstring(L, err.message);
    lua_concat(L, 2);
    return lua_error(L);
  }
  lh_lua_push_values(host, L, vals, (size_t)n, RMT_CONV_BINDABLE, n + 1);
  rmt_values_free(vals, host->alloc);
  return n;
}

/* set_datatype_codec(encode, decode): the prelude's converters for datatypes written in
 * Lua and EnumItems, kept in the registry for build_datatype and push_value. encode(v) returns
 * an rmt_datatype_kind number and the parts (numbers, or values for list kinds), or
 * "EnumItem", enum name, value, or false and typeof(v) for a value that does not cross;
 * decode takes the same (never the false form) and returns the Lua value or nil. */
static int l_set_datatype_codec(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_settop(L, 2);
  lua_setfield(L, LUA_REGISTRYINDEX, "rmt.DTDecode");
  lua_setfield(L, LUA_REGISTRYINDEX, "rmt.DTEncode");
  return 0;
}

void lh_convert_open(rmt_host *host, lua_State *L, int idx) {
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  lua_pushcfunction(L, l_set_datatype_codec);
  lua_setfield(L, idx, "set_datatype_codec");
  lua_pushlightuserdata(L, host);
  lua_pushcclosure(L, l_copy_args, 1);
  lua_setfield(L, idx, "copy_args");
}
