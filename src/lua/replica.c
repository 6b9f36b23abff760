/*
 * replica.c - binds the Lua host to the engine's replicated instance tree: the server's
 * mirror calls (create, set, destroy) and the client's replica events. It never sends anything
 * itself: what crosses is the engine's business.
 */
#include <string.h>

#include "host.h"

static rmt_host *host_of(lua_State *L) {
  return (rmt_host *)lua_touserdata(L, lua_upvalueindex(1));
}

static rmt_instance_id check_id(lua_State *L, int idx) {
  lua_Number n = luaL_checknumber(L, idx);
  if (n < 0 || n > 4294967295.0) luaL_argerror(L, idx, "instance id out of range");
  return (rmt_instance_id)n;
}

/* true, or nil + message + code name (the prelude decides what to report). */
static int push_status(lua_State *L, rmt_host *host, int rc, const rmt_error *err) {
  const char *msg;
  if (rc == 0) {
    lua_pushboolean(L, 1);
    return 1;
  }
  (void)host;
  msg = err && err->message[0] ? err->message : NULL;
  lua_pushnil(L);
  lua_pushstring(L, msg && *msg ? msg : rmt_strerror(rc));
  lua_pushstring(L, rmt_status_name(rc));
  return 3;
}

static int no_engine(lua_State *L) {
  lua_pushnil(L);
  lua_pushliteral(L, "no server attached");
  lua_pushstring(L, rmt_status_name(RMT_ESTATE));
  return 3;
}

/* ---- server: the mirror ---- */

/* rep_create(parent, class, name) -> id | nil, msg, code */
static int l_rep_create(lua_State *L) {
  rmt_host *host = host_of(L);
  rmt_instance_id parent = check_id(L, 1), id = 0;
  const char *cls = luaL_checkstring(L, 2);
  const char *name = luaL_checkstring(L, 3);
  int rc;
  if (!host->server) return no_engine(L);
  rmt_error err;
  rc = rmt_server_instance_create(host->server, parent, cls, name, &id, &err);
  if (rc != 0) return push_status(L, host, rc, &err);
  lua_pushnumber(L, id);
  return 1;
}

static int l_rep_destroy(lua_State *L) {
  rmt_host *host = host_of(L);
  rmt_instance_id id = check_id(L, 1);
  if (!host->server) return no_engine(L);
  return push_status(L, host, rmt_server_instance_destroy(host->server, id), NULL);
}

static int l_rep_set_parent(lua_State *L) {
  rmt_host *host = host_of(L);
  rmt_instance_id id = check_id(L, 1), parent = check_id(L, 2);
  if (!host->server) return no_engine(L);
  return push_status(L, host, rmt_server_instance_set_parent(host->server, id, parent), NULL);
}

static int l_rep_set_name(lua_State *L) {
  rmt_host *host = host_of(L);
  rmt_instance_id id = check_id(L, 1);
  const char *name = luaL_checkstring(L, 2);
  if (!host->server) return no_engine(L);
  return push_status(L, host, rmt_server_instance_set_name(host->server, id, name), NULL);
}

/* Converts the Lua value at idx like a remote argument (players become player refs). */
static int to_value(rmt_host *host, lua_State *L, int idx, rmt_value **out, rmt_error *err) {
  memset(err, 0, sizeof *err);
  return lh_lua_to_values(host, L, idx, 1, RMT_CONV_NETWORK, out, err);
}

/* rep_set_value(id, value): the Value (nil is a nil Value, not "no Value"). */
static int l_rep_set_value(lua_State *L) {
  rmt_host *host = host_of(L);
  rmt_instance_id id = check_id(L, 1);
  rmt_value *v = NULL;
  rmt_error err;
  int rc;
  if (!host->server) return no_engine(L);
  lua_settop(L, 2);
  rc = to_value(host, L, 2, &v, &err);
  if (rc == 0) rc = rmt_server_instance_set_value(host->server, id, v, &err);
  rmt_values_free(v, host->alloc);
  return push_status(L, host, rc, &err);
}

/* rep_set_attr(id, name, value): nil removes the attribute. */
static int l_rep_set_attr(lua_State *L) {
  rmt_host *host = host_of(L);
  rmt_instance_id id = check_id(L, 1);
  const char *name = luaL_checkstring(L, 2);
  rmt_value *v = NULL;
  rmt_error err;
  int rc = 0;
  if (!host->server) return no_engine(L);
  lua_settop(L, 3);
  memset(&err, 0, sizeof err);
  if (!lua_isnil(L, 3)) rc = to_value(host, L, 3, &v, &err);
  if (rc == 0) rc = rmt_server_instance_set_attribute(host->server, id, name, v, &err);
  rmt_values_free(v, host->alloc);
  return push_status(L, host, rc, &err);
}

/* rep_add_tag(id, tag) / rep_remove_tag(id, tag) */
static int set_tag(lua_State *L, int add) {
  rmt_host *host = host_of(L);
  rmt_instance_id id = check_id(L, 1);
  size_t len;
  const char *tag = luaL_checklstring(L, 2, &len);
  rmt_error err;
  int rc;
  if (!host->server) return no_engine(L);
  /* A NUL would cut the tag short in the engine's C string: refuse rather than rename it. */
  if (strlen(tag) != len) {
    lua_pushnil(L);
    lua_pushliteral(L, "a tag may not contain a NUL byte");
    lua_pushstring(L, rmt_status_name(RMT_EINVAL));
    return 3;
  }
  rc = add ? rmt_server_instance_add_tag(host->server, id, tag, &err)
           : rmt_server_instance_remove_tag(host->server, id, tag, &err);
  return push_status(L, host, rc, &err);
}

static int l_rep_add_tag(lua_State *L) { return set_tag(L, 1); }
static int l_rep_remove_tag(lua_State *L) { return set_tag(L, 0); }

static int l_rep_player_instance(lua_State *L) {
  rmt_host *host = host_of(L);
  lua_Number n = luaL_checknumber(L, 1);
  if (!host->server) return 0;
  lua_pushnumber(L, rmt_server_player_instance(host->server, (rmt_player_id)n));
  return 1;
}

/* ---- client: reading the replica ---- */

static void push_one(rmt_host *host, lua_State *L, const rmt_value *v) {
  if (v) {
    lh_lua_push_values(host, L, v, 1, RMT_CONV_NETWORK, 0);
  } else {
    lua_pushnil(L);
  }
}

/* rep_info(id) -> { parent, class, name, player, userId, value, attrs = {name = value},
 * tags = {tag, ...} } or nil
 * when the client does not know the instance. */
static int l_rep_info(lua_State *L) {
  rmt_host *host = host_of(L);
  rmt_instance_id id = check_id(L, 1);
  rmt_instance_info info;
  size_t i;
  if (!host->client || rmt_client_instance_info(host->client, id, &info) != 0) return 0;
  lua_createtable(L, 0, 8);
  lua_pushnumber(L, info.parent);
  lua_setfield(L, -2, "parent");
  lua_pushstring(L, info.class_name ? info.class_name : "Folder");
  lua_setfield(L, -2, "class");
  lua_pushstring(L, info.name ? info.name : "");
  lua_setfield(L, -2, "name");
  lua_pushnumber(L, info.player);
  lua_setfield(L, -2, "player");
  lua_pushnumber(L, info.player ? (double)rmt_client_player_user_id(host->client, info.player)
                                : 0.0);
  lua_setfield(L, -2, "userId");
  push_one(host, L, info.value);
  lua_setfield(L, -2, "value");
  lua_createtable(L, 0, (int)info.nattributes);
  for (i = 0; i < info.nattributes; i++) {
    const char *name = NULL;
    const rmt_value *v = NULL;
    if (rmt_client_instance_attribute_at(host->client, id, i, &name, &v) != 0 || !name) continue;
    push_one(host, L, v);
    lua_setfield(L, -2, name);
  }
  lua_setfield(L, -2, "attrs");
  lua_createtable(L, (int)info.ntags, 0);
  for (i = 0; i < info.ntags; i++) {
    const char *tag = rmt_client_instance_tag_at(host->client, id, i);
    if (!tag) break;
    lua_pushstring(L, tag);
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_setfield(L, -2, "tags");
  return 1;
}

static int l_rep_attr(lua_State *L) {
  rmt_host *host = host_of(L);
  rmt_instance_id id = check_id(L, 1);
  const char *name = luaL_checkstring(L, 2);
  if (!host->client) return 0;
  push_one(host, L, rmt_client_instance_attribute(host->client, id, name));
  return 1;
}

typedef struct replica_event {
  rmt_replica_event event;
  rmt_instance_id id;
  const char *attribute;
} replica_event;

static int replica_body(rmt_host *host, lua_State *L, void *ud) {
  replica_event *e = ud;
  lua_pushnumber(L, (double)e->event);
  lua_pushnumber(L, e->id);
  if (e->attribute) {
    lua_pushstring(L, e->attribute);
  } else {
    lua_pushnil(L);
  }
  return lh_call_hook(host, "replica", 3, 0);
}

/* Replica events go to Lua as they arrive, so they interleave with remote events in the
 * engine's order (a Value set before FireClient is applied before the listener runs). */
static void on_replica(void *ud, rmt_replica_event event, rmt_instance_id id,
                       const char *attribute) {
  rmt_host *host = ud;
  replica_event e;
  if (host->closing) return;
  e.event = event;
  e.id = id;
  e.attribute = attribute;
  lh_protect(host, replica_body, &e, "replication");
}

static int attach_body(rmt_host *host, lua_State *L, void *ud) {
  (void)L;
  (void)ud;
  return lh_call_hook(host, "rep_attach", 0, 0);
}

void lh_replica_attach_server(rmt_host *host) {
  lh_protect(host, attach_body, NULL, "replication");
}

void lh_replica_attach_client(rmt_host *host) {
  lh_protect(host, attach_body, NULL, "replication");
  rmt_client_on_replica(host->client, on_replica, host);
}

void lh_replica_open(rmt_host *host, lua_State *L, int idx) {
  static const luaL_Reg fns[] = {{"rep_create", l_rep_create},
                                 {"rep_destroy", l_rep_destroy},
                                 {"rep_set_parent", l_rep_set_parent},
                                 {"rep_set_name", l_rep_set_name},
                                 {"rep_set_value", l_rep_set_value},
                                 {"rep_set_attr", l_rep_set_attr},
                                 {"rep_add_tag", l_rep_add_tag},
                                 {"rep_remove_tag", l_rep_remove_tag},
                                 {"rep_player_instance", l_rep_player_instance},
                                 {"rep_info", l_rep_info},
                                 {"rep_attr", l_rep_attr},
                                 {NULL, NULL}};
  lh_register(host, L, idx, fns);
}
