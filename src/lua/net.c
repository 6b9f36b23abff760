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

static rmt_host *host_of(lua_State *L) {
  return (rmt_host *)lua_touserdata(L, lua_upvalueindex(1));
}

static int raise_where(lua_State *L, const char *msg) {
  lh_push_where(L);
  lua_pushstring(L, msg);
  lua_concat(L, 2);
  return lua_error(L);
}

/* ---- engine -> Lua ----
 * Each callback below enters Lua through one protected crossing (lh_protect): the
 * values that came from the network are built inside it, so a list Lua cannot take (too many
 * values, too deep, out of memory) is dropped and reported, never a crash. */

static void warn_undeliverable(rmt_host *host, rmt_player_id player, rmt_remote_id remote,
                               const char *what, const char *message);

typedef struct delivery {
  lh_bridge *b;
  rmt_invocation *inv; /* NULL for an event */
  const rmt_value *args;
  size_t nargs;
  int building;        /* still converting values when an error struck */
} delivery;

static int deliver_body(rmt_host *host, lua_State *L, void *ud) {
  delivery *d = ud;
  int extra = d->inv ? 2 : 1;
  d->building = 1;
  if (d->nargs > RMT_LUA_MAX_ARGS || !lua_checkstack(L, (int)d->nargs + extra + 8))
    return luaL_error(L, "%d arguments, more than a Lua call takes (%d)", (int)d->nargs,
                      RMT_LUA_MAX_ARGS);
  lua_pushnumber(L, d->b->remote);
  if (d->inv) lua_pushlightuserdata(L, d->inv);
  lh_lua_push_values(host, L, d->args, d->nargs, RMT_CONV_NETWORK, 0);
  d->building = 0;
  return lh_call_hook(host, d->inv ? "remote_invoke" : "remote_event",
                            (int)d->nargs + extra, 0);
}

static int deliver(lh_bridge *b, rmt_invocation *inv, const rmt_value *args,
                   size_t nargs) {
  rmt_host *host = b->host;
  delivery d;
  int rc;
  d.b = b;
  d.inv = inv;
  d.args = args;
  d.nargs = nargs;
  d.building = 0;
  rc = lh_protect(host, deliver_body, &d, NULL);
  if (rc != 0 && d.building) {
    /* on the server the sender comes first in the arguments */
    rmt_player_id from = nargs > 0 && args[0].type == RMT_TPLAYER ? args[0].as.player : 0;
    warn_undeliverable(host, from, b->remote, inv ? "invocation" : "event", host->cross_error);
  } else if (rc != 0) {
    rmt_host_error(host, "delivering a remote %s: %s", inv ? "invocation" : "event",
                   host->cross_error);
  }
  return rc;
}

static void on_remote_event(void *ud, const rmt_value *args, size_t nargs) {
  lh_bridge *b = ud;
  if (b->host->closing) return;
  deliver(b, NULL, args, nargs);
}

static void on_remote_invoke(void *ud, rmt_invocation *inv, const rmt_value *args,
                             size_t nargs) {
  lh_bridge *b = ud;
  if (b->host->closing) {
    rmt_invocation_error(inv, "server shutting down");
    return;
  }
  if (deliver(b, inv, args, nargs) != 0) rmt_invocation_error(inv, "internal error in the host");
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
    name = rmt_client_player_name(host->client, id);
    uid = rmt_client_player_user_id(host->client, id);
    is_local = id == rmt_client_local_player(host->client);
  }
  lua_pushnumber(L, id);
  lua_pushstring(L, name ? name : "Player");
  lua_pushnumber(L, (double)(int64_t)uid); /* signed: the CLI gives Studio's negative ids */
  lua_pushboolean(L, is_local);
}

typedef struct player_event {
  rmt_player_id id;
  const char *hook;
} player_event;

static int player_body(rmt_host *host, lua_State *L, void *ud) {
  player_event *e = ud;
  if (strcmp(e->hook, "player_removing") == 0) {
    lua_pushnumber(L, e->id);
    return lh_call_hook(host, e->hook, 1, 0);
  }
  push_player(host, e->id);
  return lh_call_hook(host, e->hook, 4, 0);
}

static void player_hook(rmt_host *host, rmt_player_id id, const char *hook) {
  player_event e;
  e.id = id;
  e.hook = hook;
  lh_protect(host, player_body, &e, hook);
}

static void on_player_added(void *ud, const rmt_value *args, size_t nargs) {
  rmt_host *host = ud;
  if (host->closing || nargs < 1 || args[0].type != RMT_TPLAYER) return;
  host->players_joined++;
  host->players_present++;
  player_hook(host, args[0].as.player, "player_added");
}

static void on_player_removing(void *ud, const rmt_value *args, size_t nargs) {
  rmt_host *host = ud;
  if (host->closing || nargs < 1 || args[0].type != RMT_TPLAYER) return;
  host->players_present--;
  player_hook(host, args[0].as.player, "player_removing");
}

typedef struct registry_event {
  int added;
  rmt_remote_id remote;
  const char *name;
  rmt_remote_kind kind;
} registry_event;

static int registry_body(rmt_host *host, lua_State *L, void *ud) {
  registry_event *e = ud;
  lua_pushboolean(L, e->added);
  lua_pushnumber(L, e->remote);
  lua_pushstring(L, e->name ? e->name : "");
  lua_pushnumber(L, e->kind);
  return lh_call_hook(host, "registry", 4, 0);
}

static void on_registry(void *ud, int added, rmt_remote_id remote, const char *name,
                        rmt_remote_kind kind) {
  rmt_host *host = ud;
  registry_event e;
  if (host->closing) return;
  e.added = added;
  e.remote = remote;
  e.name = name;
  e.kind = kind;
  lh_protect(host, registry_body, &e, "remote registry");
}

static void on_disconnect(void *ud, int status, const char *reason) {
  rmt_host *host = ud;
  host->disconnected = 1;
  host->disconnect_status = status;
  snprintf(host->disconnect_reason, sizeof host->disconnect_reason, "%s",
           reason ? reason : "");
}

typedef struct invoke_result {
  invoke_ctx *ctx;
  int status;
  const rmt_value *results;
  size_t nresults;
  const char *message;
} invoke_result;

/* Resumes the invoking thread with (true, results...) or (false, message, by_handler). An
 * answer Lua cannot take becomes the error the thread gets. */
static int invoke_done_body(rmt_host *host, lua_State *L, void *ud) {
  invoke_result *r = ud;
  int nargs, status = r->status;
  const char *message = r->message;
  char why[300];
  lua_rawgeti(L, LUA_REGISTRYINDEX, r->ctx->thread_ref);
  if (status == RMT_OK &&
      (r->nresults > RMT_LUA_MAX_ARGS || !lua_checkstack(L, (int)r->nresults + 8))) {
    snprintf(why, sizeof why, "the answer has %d values, more than a Lua call takes (%d)",
             (int)r->nresults, RMT_LUA_MAX_ARGS);
    status = RMT_ELIMIT;
    message = why;
  }
  if (status == RMT_OK) {
    lua_pushboolean(L, 1);
    lh_lua_push_values(host, L, r->results, r->nresults, RMT_CONV_NETWORK, 0);
    nargs = (int)r->nresults + 1;
  } else {
    lua_pushboolean(L, 0);
    if (status == RMT_EHANDLER) {
      lua_pushstring(L, message);
    } else {
      lua_pushfstring(L, "%s (%s)", message && *message ? message : rmt_strerror(status),
                      rmt_status_name(status));
    }
    lua_pushboolean(L, status == RMT_EHANDLER);
    nargs = 3;
  }
  lh_sched_wake(host, L, -(nargs + 1), r->ctx->token, nargs);
  lua_pop(L, 1);
  return 0;
}

static void on_invoke_done(void *ud, int status, const rmt_value *results, size_t nresults,
                           const char *message) {
  invoke_ctx *ctx = ud;
  rmt_host *host = ctx->host;
  host->pending_invokes--;
  if (!host->closing) {
    invoke_result r;
    r.ctx = ctx;
    r.status = status;
    r.results = results;
    r.nresults = nresults;
    r.message = message;
    if (lh_protect(host, invoke_done_body, &r, NULL) != 0) {
      /* the answer could not be built in Lua (out of memory, say): the caller still gets an
       * error rather than waiting forever */
      char why[300];
      snprintf(why, sizeof why, "the answer could not be handed to Lua: %s", host->cross_error);
      r.status = RMT_ELIMIT;
      r.message = why;
      r.results = NULL;
      r.nresults = 0;
      lh_protect(host, invoke_done_body, &r, "an invoke's answer");
    }
    luaL_unref(host->L, LUA_REGISTRYINDEX, ctx->thread_ref); /* frees a slot, never allocates */
  }
  lh_free(host, ctx, sizeof *ctx);
}

/* Drops are warnings on the server, at most DROP_WARNINGS_PER_SECOND of them: a flooding
 * client must not be able to flood the log too. The rest are counted and summarised. */
#define DROP_WARNINGS_PER_SECOND 5

static void flush_hidden_drops(rmt_host *host) {
  if (host->drops_hidden)
    rmt_host_emitf(host, RMT_HOST_WARN,
                   "%u more dropped messages not shown (at most %d warnings a second)",
                   host->drops_hidden, DROP_WARNINGS_PER_SECOND);
  host->drops_hidden = 0;
}

typedef struct drop_report {
  rmt_player_id player;
  rmt_remote_id remote;
  const char *reason;
  const char *detail; /* NULL when the reason says it all */
} drop_report;

static int drop_body(rmt_host *host, lua_State *L, void *ud) {
  drop_report *r = ud;
  lua_pushnumber(L, r->player);
  lua_pushnumber(L, r->remote);
  lua_pushstring(L, r->reason);
  if (r->detail) lua_pushstring(L, r->detail);
  else lua_pushnil(L);
  return lh_call_hook(host, "remote_dropped", 4, 0);
}

/* One warning path for every dropped message, the engine's and the host's own. */
static void report_drop(rmt_host *host, const drop_report *r) {
  double now = lh_now(host);
  if (now - host->drop_window >= 1.0) {
    flush_hidden_drops(host);
    host->drop_window = now;
    host->drops_shown = 0;
  }
  if (host->drops_shown >= DROP_WARNINGS_PER_SECOND) {
    host->drops_hidden++;
    return;
  }
  host->drops_shown++;
  lh_protect(host, drop_body, (void *)r, "reporting a dropped message");
}

static void on_server_drop(void *ud, rmt_player_id player, rmt_remote_id remote,
                           rmt_drop_reason reason, const char *detail) {
  rmt_host *host = ud;
  drop_report r;
  if (host->closing || !host->server) return;
  r.player = player;
  r.remote = remote;
  r.reason = rmt_drop_reason_name(reason);
  r.detail = detail[0] ? detail : NULL;
  report_drop(host, &r);
}

/* A message the engine accepted but Lua could not be handed (a Lua-side limit or out of
 * memory): counted, and warned like the engine's own drops. */
static void warn_undeliverable(rmt_host *host, rmt_player_id player, rmt_remote_id remote,
                               const char *what, const char *message) {
  drop_report r;
  char detail[320];
  host->lua_drops++;
  if (host->closing) return;
  snprintf(detail, sizeof detail, "%s could not be handed to Lua: %s", what, message);
  r.player = player;
  r.remote = remote;
  r.reason = "undeliverable";
  r.detail = detail;
  report_drop(host, &r);
}

void rmt_host_server_config(rmt_host *host, rmt_server_config *config) {
  config->on_drop = on_server_drop;
  config->drop_ud = host;
  if (host->clock) { /* one clock for the scripts and the engine under them */
    config->clock = host->clock;
    config->clock_ud = host->clock_ud;
  }
  /* what Lua can take is what the engine lets in (and out) */
  config->limits.max_args = RMT_LUA_MAX_ARGS;
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
  rmt_error err;
  int rc;
  if (host->side != RMT_HOST_SERVER || !host->server) return 0;
  rc = rmt_server_remote_create(host->server, path, (rmt_remote_kind)kind, &id, &err);
  if (rc != 0) {
    lua_pushnil(L);
    lua_pushfstring(L, "%s (%s)", err.message, rmt_status_name(rc));
    return 2;
  }
  lua_pushnumber(L, id);
  return 1;
}

static int l_net_unbind(lua_State *L) {
  rmt_host *host = host_of(L);
  rmt_remote_id id = (rmt_remote_id)luaL_checknumber(L, 1);
  if (host->side == RMT_HOST_SERVER && host->server) rmt_server_remote_destroy(host->server, id);
  return 0;
}

static int l_net_listen(lua_State *L) {
  rmt_host *host = host_of(L);
  rmt_remote_id id = (rmt_remote_id)luaL_checknumber(L, 1);
  rmt_signal *sig = NULL;
  lh_bridge *b;
  if (host->side == RMT_HOST_SERVER && host->server) sig = rmt_server_remote_signal(host->server, id);
  if (host->side == RMT_HOST_CLIENT && host->client) sig = rmt_client_remote_signal(host->client, id);
  if (!sig) return 0;
  b = lh_alloc(host, sizeof *b);
  if (!b) return luaL_error(L, "out of memory");
  memset(b, 0, sizeof *b);
  b->host = host;
  b->remote = id;
  b->signal = sig;
  b->conn = rmt_signal_connect(sig, on_remote_event, b);
  if (b->conn == 0) {
    lh_free(host, b, sizeof *b);
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
  lh_bridge **pp;
  for (pp = &host->bridges; *pp; pp = &(*pp)->next) {
    if (*pp == handle) {
      lh_bridge *b = *pp;
      *pp = b->next;
      if (b->signal && b->conn) rmt_signal_disconnect(b->signal, b->conn);
      lh_free(host, b, sizeof *b);
      break;
    }
  }
  return 0;
}

/* One invoke bridge per remote, kept until destroy (handlers only point at it). */
static lh_bridge *invoke_bridge(rmt_host *host, rmt_remote_id id) {
  lh_bridge *b;
  for (b = host->bridges; b; b = b->next)
    if (b->remote == id && b->signal == NULL) return b;
  b = lh_alloc(host, sizeof *b);
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
  lh_bridge *b = invoke_bridge(host, id);
  int rc = 0;
  if (!b) return luaL_error(L, "out of memory");
  if (host->side == RMT_HOST_SERVER && host->server) {
    rc = rmt_server_remote_on_invoke(host->server, id, on ? on_remote_invoke : NULL, b);
  } else if (host->side == RMT_HOST_CLIENT && host->client) {
    rc = rmt_client_remote_on_invoke(host->client, id, on ? on_remote_invoke : NULL, b);
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
  rc = lh_lua_to_values(host, L, 3, n, RMT_CONV_NETWORK, &vals, &err);
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
  rc = lh_lua_to_values(host, L, 3, n, RMT_CONV_NETWORK, &vals, &err);
  if (rc != 0) return raise_where(L, err.message);
  ctx = lh_alloc(host, sizeof *ctx);
  if (!ctx) {
    rmt_values_free(vals, host->alloc);
    return luaL_error(L, "out of memory");
  }
  ctx->host = host;
  lua_pushthread(L);
  ctx->thread_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  ctx->token = lh_sched_park(host, L, 1);
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
    lh_free(host, ctx, sizeof *ctx);
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
    rc = lh_lua_to_values(host, L, 3, n, RMT_CONV_NETWORK, &vals, &err);
    if (rc != 0) {
      rmt_invocation_error(inv, err.message);
      lh_errorl(host, err.message, strlen(err.message));
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

/* net_set_schema(rid, text): rid 0 only checks that text parses (the remote is not bound
 * yet; the prelude applies it when it is). Returns nothing, or the parse error. */
static int l_net_set_schema(lua_State *L) {
  rmt_host *host = host_of(L);
  rmt_remote_id id = (rmt_remote_id)luaL_checknumber(L, 1);
  const char *text = luaL_optstring(L, 2, NULL);
  rmt_error err;
  memset(&err, 0, sizeof err);
  if (id && host->side == RMT_HOST_SERVER && host->server) {
    if (rmt_server_remote_set_schema(host->server, id, text, &err) == 0) return 0;
  } else if (text) {
    rmt_schema *schema = rmt_schema_parse(text, host->alloc, &err);
    if (schema) {
      rmt_schema_free(schema);
      return 0;
    }
  } else {
    return 0;
  }
  lua_pushstring(L, err.message[0] ? err.message : rmt_strerror(err.code));
  return 1;
}

static int l_net_kick(lua_State *L) {
  rmt_host *host = host_of(L);
  rmt_player_id id = (rmt_player_id)luaL_checknumber(L, 1);
  const char *msg = luaL_optstring(L, 2, "");
  if (host->side == RMT_HOST_SERVER && host->server) {
    rmt_server_player_kick(host->server, id, msg, NULL);
  } else if (host->side == RMT_HOST_CLIENT) {
    host->quit = 1;
    rmt_host_emitf(host, RMT_HOST_WARN, "kicked by a LocalScript: %s", msg);
  }
  return 0;
}

void lh_net_open(rmt_host *host, lua_State *L, int idx) {
  static const luaL_Reg fns[] = {
      {"net_enabled", l_net_enabled}, {"net_bind", l_net_bind},
      {"net_unbind", l_net_unbind},   {"net_listen", l_net_listen},
      {"net_unlisten", l_net_unlisten}, {"net_set_invoke", l_net_set_invoke},
      {"net_fire", l_net_fire},       {"net_invoke", l_net_invoke},
      {"net_complete", l_net_complete}, {"net_kick", l_net_kick},
      {"net_set_schema", l_net_set_schema},
      {NULL, NULL}};
  lh_register(host, L, idx, fns);
}

int rmt_host_attach_server(rmt_host *host, rmt_server *server) {
  if (host->side != RMT_HOST_SERVER) return RMT_EINVAL;
  host->server = server;
  if (!rmt_signal_connect(rmt_server_player_added(server), on_player_added, host) ||
      !rmt_signal_connect(rmt_server_player_removing(server), on_player_removing, host))
    return RMT_ENOMEM;
  lh_replica_attach_server(host);
  return 0;
}

void rmt_host_client_config(rmt_host *host, rmt_client_config *config) {
  config->on_registry = on_registry;
  config->registry_ud = host;
  config->on_disconnect = on_disconnect;
  config->disconnect_ud = host;
  if (host->clock) {
    config->clock = host->clock;
    config->clock_ud = host->clock_ud;
  }
  config->limits.max_args = RMT_LUA_MAX_ARGS;
}

int rmt_host_attach_client(rmt_host *host, rmt_client *client) {
  if (host->side != RMT_HOST_CLIENT) return RMT_EINVAL;
  host->client = client;
  if (!rmt_signal_connect(rmt_client_player_added(client), on_player_added, host) ||
      !rmt_signal_connect(rmt_client_player_removing(client), on_player_removing, host))
    return RMT_ENOMEM;
  lh_replica_attach_client(host);
  return 0;
}

static int joined_body(rmt_host *host, lua_State *L, void *ud) {
  rmt_player_id ids[1024];
  size_t n, i;
  rmt_player_id me = rmt_client_local_player(host->client);
  (void)L;
  (void)ud;
  push_player(host, me);
  lh_call_hook(host, "player_added", 4, 0);
  n = rmt_client_players(host->client, ids, sizeof ids / sizeof ids[0]);
  if (n > sizeof ids / sizeof ids[0]) n = sizeof ids / sizeof ids[0];
  for (i = 0; i < n; i++) {
    if (ids[i] == me) continue;
    push_player(host, ids[i]);
    lh_call_hook(host, "player_added", 4, 0);
  }
  return 0;
}

void rmt_host_client_joined(rmt_host *host) {
  rmt_player_id me;
  double deadline = rmt_host_clock() + 3.0;
  me = rmt_client_local_player(host->client);
  /* The server sends its snapshot right after WELCOME and makes this player's own Player
   * instance after it, so once that instance is here the whole snapshot is: LocalScripts
   * then start with ReplicatedStorage and every player's leaderstats filled in. (A big
   * snapshot spans many packets; the cap only guards against a server that never sends.) */
  while (rmt_client_player_instance(host->client, me) == 0 &&
         rmt_client_state(host->client) == RMT_CLIENT_CONNECTED &&
         rmt_host_clock() < deadline) {
    if (rmt_client_service(host->client, 5) < 0) break;
  }
  lh_protect(host, joined_body, NULL, "players");
}

/* Destroys the attached engine (completing its pending operations while Lua is off limits),
 * then frees the bridges. */
void lh_net_free(rmt_host *host) {
  lh_bridge *b = host->bridges;
  flush_hidden_drops(host);
  host->closing = 1;
  if (host->server) rmt_server_destroy(host->server);
  if (host->client) rmt_client_destroy(host->client);
  host->server = NULL;
  host->client = NULL;
  while (b) {
    lh_bridge *next = b->next;
    lh_free(host, b, sizeof *b);
    b = next;
  }
  host->bridges = NULL;
}
