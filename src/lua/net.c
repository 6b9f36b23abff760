/*
 * net.c - binds the Lua host to the engine: remotes by path, listeners bridged into Lua
 * threads, invokes that yield only the calling thread, players. It never touches sockets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

typedef struct invoke_ctx {
  rmt_host *host;
  int thread_ref;
  double token;
} invoke_ctx;

static void *host_alloc(rmt_host *host, size_t size) {
  if (host->alloc && host->alloc->fn) return host->alloc->fn(host->alloc->ud, NULL, 0, size);
  return malloc(size);
}

static void host_free(rmt_host *host, void *p, size_t size) {
  if (!p) return;
  if (host->alloc && host->alloc->fn) {
    host->alloc->fn(host->alloc->ud, p, size, 0);
  } else {
    free(p);
  }
}

static rmt_host *host_of(lua_State *L) {
  return (rmt_host *)lua_touserdata(L, lua_upvalueindex(1));
}

static int raise_where(lua_State *L, const char *msg) {
  rmt_push_where(L);
  lua_pushstring(L, msg);
  lua_concat(L, 2);
  return lua_error(L);
}

/* ---- engine -> Lua ---- */

static void on_remote_event(void *ud, const rmt_value *args, size_t nargs) {
  rmt_host_bridge *b = ud;
  rmt_host *host = b->host;
  lua_State *L = host->L;
  if (host->closing) return;
  lua_pushnumber(L, b->remote);
  rmt_lua_push_values(host, L, args, nargs, RMT_CONV_NETWORK, 0);
  rmt_host_call_hook(host, "remote_event", (int)nargs + 1, 0);
}

static void on_remote_invoke(void *ud, rmt_invocation *inv, const rmt_value *args,
                             size_t nargs) {
  rmt_host_bridge *b = ud;
  rmt_host *host = b->host;
  lua_State *L = host->L;
  if (host->closing) {
    rmt_invocation_error(inv, "server shutting down");
    return;
  }
  lua_pushnumber(L, b->remote);
  lua_pushlightuserdata(L, inv);
  rmt_lua_push_values(host, L, args, nargs, RMT_CONV_NETWORK, 0);
  if (rmt_host_call_hook(host, "remote_invoke", (int)nargs + 2, 0) != 0)
    rmt_invocation_error(inv, "internal error in the host");
}

static void push_player(rmt_host *host, rmt_player_id id) {
  lua_State *L = host->L;
  const char *name;
  uint64_t uid;
  int is_local = 0;
  if (host->side == RMT_HOST_SERVER) {
    name = rmt_server_player_name(host->server, id);
    uid = rmt_server_player_user_id(host->server, id);
  } else {
    name = rmt_client_player_name_of(host->client, id);
    uid = rmt_client_player_user_id_of(host->client, id);
    is_local = id == rmt_client_player_id(host->client);
  }
  lua_pushnumber(L, id);
  lua_pushstring(L, name ? name : "Player");
  lua_pushnumber(L, (double)uid);
  lua_pushboolean(L, is_local);
}

static void on_player_added(void *ud, const rmt_value *args, size_t nargs) {
  rmt_host *host = ud;
  if (host->closing || nargs < 1 || args[0].type != RMT_TPLAYER) return;
  host->players_joined++;
  host->players_present++;
  push_player(host, args[0].as.player);
  rmt_host_call_hook(host, "player_added", 4, 0);
}

static void on_player_removing(void *ud, const rmt_value *args, size_t nargs) {
  rmt_host *host = ud;
  if (host->closing || nargs < 1 || args[0].type != RMT_TPLAYER) return;
  host->players_present--;
  lua_pushnumber(host->L, args[0].as.player);
  rmt_host_call_hook(host, "player_removing", 1, 0);
}

static void on_registry(void *ud, int added, rmt_remote_id remote, const char *name,
                        rmt_remote_kind kind) {
  rmt_host *host = ud;
  lua_State *L = host->L;
  if (host->closing) return;
  lua_pushboolean(L, added);
  lua_pushnumber(L, remote);
  lua_pushstring(L, name ? name : "");
  lua_pushnumber(L, kind);
  rmt_host_call_hook(host, "registry", 4, 0);
}

static void on_disconnect(void *ud, int status, const char *reason) {
  rmt_host *host = ud;
  host->disconnected = 1;
  host->disconnect_status = status;
  snprintf(host->disconnect_reason, sizeof host->disconnect_reason, "%s",
           reason ? reason : "");
}

static void on_invoke_done(void *ud, int status, const rmt_value *results, size_t nresults,
                           const char *message) {
  invoke_ctx *ctx = ud;
  rmt_host *host = ctx->host;
  lua_State *L = host->L;
  host->pending_invokes--;
  if (!host->closing) {
    int nargs;
    lua_rawgeti(L, LUA_REGISTRYINDEX, ctx->thread_ref);
    if (status == RMT_OK) {
      lua_pushboolean(L, 1);
      rmt_lua_push_values(host, L, results, nresults, RMT_CONV_NETWORK, 0);
      nargs = (int)nresults + 1;
    } else {
      lua_pushboolean(L, 0);
      if (status == RMT_EHANDLER) {
        lua_pushstring(L, message);
      } else {
        lua_pushfstring(L, "%s (%s)", message && *message ? message : rmt_strerror(status),
                        rmt_err_name(status));
      }
      lua_pushboolean(L, status == RMT_EHANDLER);
      nargs = 3;
    }
    rmt_sched_wake(host, L, -(nargs + 1), ctx->token, nargs);
    lua_pop(L, 1);
    luaL_unref(L, LUA_REGISTRYINDEX, ctx->thread_ref);
  }
  host_free(host, ctx, sizeof *ctx);
}

/* ---- Lua -> engine ---- */

static int l_net_enabled(lua_State *L) {
  rmt_host *host = host_of(L);
  lua_pushboolean(L, host->side == RMT_HOST_SERVER ? host->server != NULL : host->client != NULL);
  return 1;
}

static int l_net_bind(lua_State *L) {
  rmt_host *host = host_of(L);
  const char *path = luaL_checkstring(L, 1);
  int kind = (int)luaL_checknumber(L, 2);
  rmt_remote_id id = 0;
  int rc;
  if (host->side != RMT_HOST_SERVER || !host->server) return 0;
  rc = rmt_server_create_remote(host->server, path, (rmt_remote_kind)kind, &id);
  if (rc != 0) {
    lua_pushnil(L);
    lua_pushfstring(L, "%s (%s)", rmt_server_last_error(host->server), rmt_err_name(rc));
    return 2;
  }
  lua_pushnumber(L, id);
  return 1;
}

static int l_net_unbind(lua_State *L) {
  rmt_host *host = host_of(L);
  rmt_remote_id id = (rmt_remote_id)luaL_checknumber(L, 1);
  if (host->side == RMT_HOST_SERVER && host->server) rmt_server_destroy_remote(host->server, id);
  return 0;
}

static int l_net_listen(lua_State *L) {
  rmt_host *host = host_of(L);
  rmt_remote_id id = (rmt_remote_id)luaL_checknumber(L, 1);
  rmt_signal *sig = NULL;
  rmt_host_bridge *b;
  if (host->side == RMT_HOST_SERVER && host->server) sig = rmt_server_event_signal(host->server, id);
  if (host->side == RMT_HOST_CLIENT && host->client) sig = rmt_client_event_signal(host->client, id);
  if (!sig) return 0;
  b = host_alloc(host, sizeof *b);
  if (!b) return luaL_error(L, "out of memory");
  memset(b, 0, sizeof *b);
  b->host = host;
  b->remote = id;
  b->signal = sig;
  b->conn = rmt_signal_connect(sig, on_remote_event, b);
  if (b->conn == 0) {
    host_free(host, b, sizeof *b);
    return luaL_error(L, "out of memory");
  }
  b->next = host->bridges;
  host->bridges = b;
  lua_pushlightuserdata(L, b);
  return 1;
}

static int l_net_unlisten(lua_State *L) {
  rmt_host *host = host_of(L);
  void *handle = lua_touserdata(L, 2);
  rmt_host_bridge **pp;
  for (pp = &host->bridges; *pp; pp = &(*pp)->next) {
    if (*pp == handle) {
      rmt_host_bridge *b = *pp;
      *pp = b->next;
      if (b->signal && b->conn) rmt_signal_disconnect(b->signal, b->conn);
      host_free(host, b, sizeof *b);
      break;
    }
  }
  return 0;
}

/* One invoke bridge per remote, kept until destroy (handlers only point at it). */
static rmt_host_bridge *invoke_bridge(rmt_host *host, rmt_remote_id id) {
  rmt_host_bridge *b;
  for (b = host->bridges; b; b = b->next)
    if (b->remote == id && b->signal == NULL) return b;
  b = host_alloc(host, sizeof *b);
  if (!b) return NULL;
  memset(b, 0, sizeof *b);
  b->host = host;
  b->remote = id;
  b->next = host->bridges;
  host->bridges = b;
  return b;
}

static int l_net_set_invoke(lua_State *L) {
  rmt_host *host = host_of(L);
  rmt_remote_id id = (rmt_remote_id)luaL_checknumber(L, 1);
  int on = lua_toboolean(L, 2);
  rmt_host_bridge *b = invoke_bridge(host, id);
  int rc = 0;
  if (!b) return luaL_error(L, "out of memory");
  if (host->side == RMT_HOST_SERVER && host->server) {
    rc = rmt_server_on_invoke(host->server, id, on ? on_remote_invoke : NULL, b);
  } else if (host->side == RMT_HOST_CLIENT && host->client) {
    rc = rmt_client_on_invoke(host->client, id, on ? on_remote_invoke : NULL, b);
  }
  if (rc != 0) return luaL_error(L, "could not set the invoke callback: %s", rmt_strerror(rc));
  return 0;
}

/* net_fire(rid, target, ...): target 0 = the server (client side), -1 = every client. */
static int l_net_fire(lua_State *L) {
  rmt_host *host = host_of(L);
  rmt_remote_id id = (rmt_remote_id)luaL_checknumber(L, 1);
  double target = luaL_checknumber(L, 2);
  int n = lua_gettop(L) - 2, rc;
  rmt_value *vals = NULL;
  rmt_error err;
  memset(&err, 0, sizeof err);
  rc = rmt_lua_to_values(host, L, 3, n, RMT_CONV_NETWORK, &vals, &err);
  if (rc != 0) return raise_where(L, err.message);
  if (host->side == RMT_HOST_CLIENT) {
    rc = host->client ? rmt_client_fire(host->client, id, vals, (size_t)n, &err) : RMT_ESTATE;
  } else if (!host->server) {
    rc = RMT_ESTATE;
  } else if (target < 0) {
    rc = rmt_server_fire_all(host->server, id, vals, (size_t)n, &err);
  } else {
    rc = rmt_server_fire_client(host->server, (rmt_player_id)target, id, vals, (size_t)n, &err);
  }
  rmt_values_free(vals, host->alloc);
  if (rc != 0) {
    char msg[300];
    snprintf(msg, sizeof msg, "%s", err.message[0] ? err.message : rmt_strerror(rc));
    return raise_where(L, msg);
  }
  return 0;
}

/* net_invoke(rid, target, ...): yields; resumed with (true, results...) or
 * (false, message, raised_by_handler). */
static int l_net_invoke(lua_State *L) {
  rmt_host *host = host_of(L);
  rmt_remote_id id = (rmt_remote_id)luaL_checknumber(L, 1);
  double target = luaL_checknumber(L, 2);
  int n = lua_gettop(L) - 2, rc;
  rmt_value *vals = NULL;
  rmt_error err;
  invoke_ctx *ctx;
  if (lua_pushthread(L)) return raise_where(L, "cannot invoke from the main thread");
  lua_pop(L, 1);
  memset(&err, 0, sizeof err);
  rc = rmt_lua_to_values(host, L, 3, n, RMT_CONV_NETWORK, &vals, &err);
  if (rc != 0) return raise_where(L, err.message);
  ctx = host_alloc(host, sizeof *ctx);
  if (!ctx) {
    rmt_values_free(vals, host->alloc);
    return luaL_error(L, "out of memory");
  }
  ctx->host = host;
  lua_pushthread(L);
  ctx->thread_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  ctx->token = rmt_sched_park(host, L, 1);
  if (host->side == RMT_HOST_CLIENT) {
    rc = host->client ? rmt_client_invoke(host->client, id, vals, (size_t)n, 0, on_invoke_done,
                                          ctx, &err)
                      : RMT_ESTATE;
  } else {
    rc = host->server ? rmt_server_invoke_client(host->server, (rmt_player_id)target, id, vals,
                                                 (size_t)n, 0, on_invoke_done, ctx, &err)
                      : RMT_ESTATE;
  }
  rmt_values_free(vals, host->alloc);
  if (rc != 0) {
    char msg[300];
    luaL_unref(L, LUA_REGISTRYINDEX, ctx->thread_ref);
    host_free(host, ctx, sizeof *ctx);
    /* the park stays harmless: nothing holds its token */
    snprintf(msg, sizeof msg, "%s", err.message[0] ? err.message : rmt_strerror(rc));
    return raise_where(L, msg);
  }
  host->pending_invokes++;
  return lua_yield(L, 0);
}

/* net_complete(inv, ok, ...): answers an invocation with the handler's results or error. */
static int l_net_complete(lua_State *L) {
  rmt_host *host = host_of(L);
  rmt_invocation *inv = lua_touserdata(L, 1);
  int ok = lua_toboolean(L, 2);
  int n = lua_gettop(L) - 2;
  if (!inv || host->closing) return 0;
  if (ok) {
    rmt_value *vals = NULL;
    rmt_error err;
    int rc;
    memset(&err, 0, sizeof err);
    rc = rmt_lua_to_values(host, L, 3, n, RMT_CONV_NETWORK, &vals, &err);
    if (rc != 0) {
      rmt_invocation_error(inv, err.message);
      host->errors++;
      rmt_host_emit(host, RMT_HOST_ERROR, err.message);
      return 0;
    }
    rmt_invocation_return(inv, vals, (size_t)n);
    rmt_values_free(vals, host->alloc);
  } else {
    const char *msg;
    lua_getglobal(L, "tostring");
    lua_pushvalue(L, 3);
    lua_call(L, 1, 1);
    msg = lua_tostring(L, -1);
    rmt_invocation_error(inv, msg ? msg : "error");
  }
  return 0;
}

static int l_net_kick(lua_State *L) {
  rmt_host *host = host_of(L);
  rmt_player_id id = (rmt_player_id)luaL_checknumber(L, 1);
  const char *msg = luaL_optstring(L, 2, "");
  if (host->side == RMT_HOST_SERVER && host->server) {
    rmt_server_kick(host->server, id, msg);
  } else if (host->side == RMT_HOST_CLIENT) {
    host->quit = 1;
    rmt_host_emitf(host, RMT_HOST_WARN, "kicked by a LocalScript: %s", msg);
  }
  return 0;
}

void rmt_net_open(rmt_host *host, lua_State *L, int idx) {
  static const luaL_Reg fns[] = {
      {"net_enabled", l_net_enabled}, {"net_bind", l_net_bind},
      {"net_unbind", l_net_unbind},   {"net_listen", l_net_listen},
      {"net_unlisten", l_net_unlisten}, {"net_set_invoke", l_net_set_invoke},
      {"net_fire", l_net_fire},       {"net_invoke", l_net_invoke},
      {"net_complete", l_net_complete}, {"net_kick", l_net_kick},
      {NULL, NULL}};
  const luaL_Reg *r;
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  for (r = fns; r->name; r++) {
    lua_pushlightuserdata(L, host);
    lua_pushcclosure(L, r->func, 1);
    lua_setfield(L, idx, r->name);
  }
}

int rmt_host_attach_server(rmt_host *host, rmt_server *server) {
  if (host->side != RMT_HOST_SERVER) return RMT_EINVAL;
  host->server = server;
  if (!rmt_signal_connect(rmt_server_player_added(server), on_player_added, host) ||
      !rmt_signal_connect(rmt_server_player_removing(server), on_player_removing, host))
    return RMT_ENOMEM;
  rmt_replica_attach_server(host);
  return 0;
}

void rmt_host_client_config(rmt_host *host, rmt_client_config *config) {
  config->on_registry = on_registry;
  config->registry_ud = host;
  config->on_disconnect = on_disconnect;
  config->disconnect_ud = host;
}

int rmt_host_attach_client(rmt_host *host, rmt_client *client) {
  if (host->side != RMT_HOST_CLIENT) return RMT_EINVAL;
  host->client = client;
  if (!rmt_signal_connect(rmt_client_player_added(client), on_player_added, host) ||
      !rmt_signal_connect(rmt_client_player_removing(client), on_player_removing, host))
    return RMT_ENOMEM;
  rmt_replica_attach_client(host);
  return 0;
}

void rmt_host_client_joined(rmt_host *host) {
  rmt_player_id ids[1024];
  size_t n, i;
  rmt_player_id me;
  double deadline = rmt_host_clock() + 3.0;
  me = rmt_client_player_id(host->client);
  /* The server sends its snapshot right after WELCOME and makes this player's own Player
   * instance after it, so once that instance is here the whole snapshot is: LocalScripts
   * then start with ReplicatedStorage and every player's leaderstats filled in. (A big
   * snapshot spans many packets; the cap only guards against a server that never sends.) */
  while (rmt_client_player_instance(host->client, me) == 0 &&
         rmt_client_get_state(host->client) == RMT_CLIENT_CONNECTED &&
         rmt_host_clock() < deadline) {
    if (rmt_client_service(host->client, 5) < 0) break;
  }
  push_player(host, me);
  rmt_host_call_hook(host, "player_added", 4, 0);
  n = rmt_client_players(host->client, ids, sizeof ids / sizeof ids[0]);
  if (n > sizeof ids / sizeof ids[0]) n = sizeof ids / sizeof ids[0];
  for (i = 0; i < n; i++) {
    if (ids[i] == me) continue;
    push_player(host, ids[i]);
    rmt_host_call_hook(host, "player_added", 4, 0);
  }
}

/* Destroys the attached engine (completing its pending operations while Lua is off limits),
 * then frees the bridges. */
void rmt_net_free(rmt_host *host) {
  rmt_host_bridge *b = host->bridges;
  host->closing = 1;
  if (host->server) rmt_server_destroy(host->server);
  if (host->client) rmt_client_destroy(host->client);
  host->server = NULL;
  host->client = NULL;
  while (b) {
    rmt_host_bridge *next = b->next;
    host_free(host, b, sizeof *b);
    b = next;
  }
  host->bridges = NULL;
}
