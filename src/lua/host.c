/*
 * host.c - the Lua host's wiring: creates one LuaJIT state per side with Roblox's globals and
 * the prelude, loads places, starts scripts and steps frames. Nothing below it calls back in
 * here (core.c, output.c and hooks.c are what they share); it never opens sockets itself.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <lualib.h>

#include "common.h"
#include "host.h"
#include "luau.h"

#define RMT_FRAME (1.0 / 60.0)

static rmt_host *host_of(lua_State *L) {
  return (rmt_host *)lua_touserdata(L, lua_upvalueindex(1));
}

/* print/warn: arguments through tostring, joined with spaces. */
static int emit_joined(lua_State *L, rmt_host_stream stream) {
  rmt_host *host = host_of(L);
  int n = lua_gettop(L), i;
  luaL_Buffer b;
  /* collect strings first (tostring may call metamethods), then join */
  lua_getglobal(L, "tostring");
  for (i = 1; i <= n; i++) {
    lua_pushvalue(L, n + 1);
    lua_pushvalue(L, i);
    lua_call(L, 1, 1);
    if (!lua_isstring(L, -1)) return luaL_error(L, "'tostring' must return a string");
  }
  luaL_buffinit(L, &b);
  for (i = 1; i <= n; i++) {
    if (i > 1) luaL_addchar(&b, ' ');
    lua_pushvalue(L, n + 1 + i);
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  {
    size_t len;
    const char *text = lua_tolstring(L, -1, &len);
    lh_emitl(host, stream, text, len);
  }
  return 0;
}

static int l_print(lua_State *L) {
  return emit_joined(L, RMT_HOST_PRINT);
}
static int l_warn(lua_State *L) {
  return emit_joined(L, RMT_HOST_WARN);
}
/* chunk_id(name): the id of a script's full name too long for a chunk name; nil when full. */
static int l_chunk_id(lua_State *L) {
  size_t len;
  const char *name = luaL_checklstring(L, 1, &len);
  long id = lh_chunk_add(host_of(L), name, len);
  if (id < 0) return 0;
  lua_pushnumber(L, (lua_Number)id);
  return 1;
}
/* chunk_expand(text): text with each chunk id replaced by its script's full name. */
static int l_chunk_expand(lua_State *L) {
  rmt_host *host = host_of(L);
  size_t len, n;
  const char *text = luaL_checklstring(L, 1, &len);
  char *out;
  if (host->chunks.count == 0 || !memchr(text, 1, len)) { /* no marker: the same text */
    lua_settop(L, 1);
    return 1;
  }
  n = lh_chunk_expand(host, text, len, NULL);
  out = lua_newuserdata(L, n ? n : 1);
  lh_chunk_expand(host, text, len, out);
  lua_pushlstring(L, out, n);
  return 1;
}
static int l_report_error(lua_State *L) {
  rmt_host *host = host_of(L);
  size_t len;
  const char *msg = luaL_checklstring(L, 1, &len);
  lh_errorl(host, msg, len);
  return 0;
}

/* set_instance_meta(mt, playerIds, instState, playersById): kept in the registry for
 * conversions. */
/* facts(kind): the whole text of rmt_facts_<kind> ("enums", "classes", "brickcolors",
 * "defaults"). */
static int l_facts(lua_State *L) {
  const char *kind = luaL_checkstring(L, 1);
  const char *const *chunks = strcmp(kind, "enums") == 0         ? lh_facts_enums
                              : strcmp(kind, "brickcolors") == 0 ? lh_facts_brickcolors
                              : strcmp(kind, "defaults") == 0    ? lh_facts_defaults
                                                                 : lh_facts_classes;
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (; *chunks; chunks++) luaL_addstring(&b, *chunks);
  luaL_pushresult(&b);
  return 1;
}

static int l_set_instance_meta(lua_State *L) {
  lua_settop(L, 4);
  lua_setfield(L, LUA_REGISTRYINDEX, "rmt.PlayersById");
  lua_setfield(L, LUA_REGISTRYINDEX, "rmt.InstanceState");
  lua_setfield(L, LUA_REGISTRYINDEX, "rmt.PlayerIds");
  lua_setfield(L, LUA_REGISTRYINDEX, "rmt.InstanceMeta");
  return 0;
}

/* ---- prelude loading ---- */

typedef struct chunk_reader {
  size_t i;
} chunk_reader;

static const char *read_prelude(lua_State *L, void *ud, size_t *size) {
  chunk_reader *r = ud;
  const char *s = lh_prelude_chunks[r->i];
  (void)L;
  if (s == NULL) {
    *size = 0;
    return NULL;
  }
  r->i++;
  *size = strlen(s);
  return s;
}

/* Only reached by an error outside any protected call (a host bug): say so before exit. */
static int on_panic(lua_State *L) {
  fprintf(stderr, "remotes: unprotected Lua error: %s\n", lua_tostring(L, -1));
  return 0;
}

rmt_host *rmt_host_create(const rmt_host_config *config, rmt_error *err) {
  rmt_host *host;
  lua_State *L;
  chunk_reader reader = {0};
  if (err) {
    err->code = 0;
    err->message[0] = 0;
  }
  host = rmt__alloc(config->alloc, sizeof *host); /* the one helper; no host to pass yet */
  if (!host) goto nomem;
  memset(host, 0, sizeof *host);
  host->side = config->side;
  snprintf(host->origin, sizeof host->origin, "%s",
           config->origin ? config->origin : config->side == RMT_HOST_SERVER ? "Server" : "Client");
  host->output = config->output ? config->output : rmt_host_default_output;
  host->output_ud = config->output ? config->output_ud : host;
  host->alloc = config->alloc;
  host->clock = config->clock;
  host->clock_ud = config->clock_ud;
  host->t0 = lh_clock_seconds(host);
  host->hooks_ref = LUA_NOREF;
  host->mem_limit = config->memory_limit ? config->memory_limit
                    : host->side == RMT_HOST_SERVER ? RMT_HOST_SERVER_MEMORY_LIMIT
                                                    : RMT_HOST_CLIENT_MEMORY_LIMIT;
  host->script_timeout = config->script_timeout == 0 ? RMT_HOST_SCRIPT_TIMEOUT
                         : config->script_timeout < 0 ? 0 : config->script_timeout;
  /* the Lua heap goes through the counting allocator (guard.c), which chains to the hook */
  L = lua_newstate(lh_guard_alloc, host);
  if (!L) {
    lh_free(host, host, sizeof *host);
    goto nomem;
  }
  host->L = L;
  lua_atpanic(L, on_panic);
  luaL_openlibs(L);
  lh_types_open(L);
  lh_stdlib_open(L);
  lh_buffer_open(L);
  lh_sched_init(host);

  /* H: the primitives the prelude builds on */
  lua_newtable(L);
  lua_pushstring(L, host->side == RMT_HOST_SERVER ? "server" : "client");
  lua_setfield(L, -2, "side");
  lh_sched_open(host, L, -1);
  lh_guard_open(host, L, -1);
  {
    static const luaL_Reg fns[] = {{"print", l_print}, {"warn", l_warn},
                                   {"report_error", l_report_error},
                                   {"chunk_id", l_chunk_id}, {"chunk_expand", l_chunk_expand},
                                   {"set_instance_meta", l_set_instance_meta},
                                   {"facts", l_facts}, {NULL, NULL}};
    lh_register(host, L, -1, fns);
  }
  lua_pushcfunction(L, rmt__luau_l_translate);
  lua_setfield(L, -2, "luau_translate");
  lh_convert_open(host, L, -1);
  lh_place_open(host, L, -1);
  lh_net_open(host, L, -1);
  lh_replica_open(host, L, -1);

  if (lua_load(L, read_prelude, &reader, "=prelude") != 0) {
    if (err) snprintf(err->message, sizeof err->message, "prelude: %s", lua_tostring(L, -1));
    goto fail;
  }
  lua_insert(L, -2);
  if (lua_pcall(L, 1, 1, 0) != 0) {
    if (err) snprintf(err->message, sizeof err->message, "prelude: %s", lua_tostring(L, -1));
    goto fail;
  }
  if (lh_set_hooks(host, err) != 0) goto fail;
  return host;
fail:
  if (err) err->code = RMT_EINVAL;
  rmt_host_destroy(host);
  return NULL;
nomem:
  if (err) {
    err->code = RMT_ENOMEM;
    snprintf(err->message, sizeof err->message, "out of memory");
  }
  return NULL;
}

void rmt_host_destroy(rmt_host *host) {
  if (!host) return;
  lh_output_tick(host, 1);
  host->closing = 1;
  lh_net_free(host);
  if (host->L) {
    lh_sched_free(host);
    lua_close(host->L);
  }
  lh_chunk_free(host);
  lh_free(host, host, sizeof *host);
}

/* Only the deferred queue: timers wait for a frame, as in Roblox. */
static void drain_deferred(rmt_host *host) {
  double now = host->now;
  host->now = -HUGE_VAL; /* no timer is due at -inf */
  lh_sched_run(host);
  host->now = now;
}

typedef struct load_ctx {
  const char *path;
  int failed;
  char message[sizeof(((rmt_error *)0)->message)];
} load_ctx;

static int load_body(rmt_host *host, lua_State *L, void *ud) {
  load_ctx *c = ud;
  lua_pushstring(L, c->path);
  if (lh_call_hook(host, "load", 1, 1) != 0) {
    c->failed = 1;
    snprintf(c->message, sizeof c->message, "%s: internal error while loading", c->path);
    return 0;
  }
  if (!lua_isnil(L, -1)) {
    c->failed = 1;
    snprintf(c->message, sizeof c->message, "%s", lua_tostring(L, -1));
  }
  lua_pop(L, 1);
  return 0;
}

int rmt_host_load(rmt_host *host, const char *path, rmt_error *err) {
  load_ctx c;
  memset(&c, 0, sizeof c);
  c.path = path;
  if (lh_protect(host, load_body, &c, "loading the place") != 0) {
    c.failed = 1;
    snprintf(c.message, sizeof c.message, "%s: internal error while loading", path);
  }
  if (!c.failed) return 0;
  if (err) {
    err->code = RMT_EINVAL;
    snprintf(err->message, sizeof err->message, "%s", c.message);
  }
  return -1;
}

static int start_body(rmt_host *host, lua_State *L, void *ud) {
  (void)L;
  (void)ud;
  lh_call_hook(host, "start_scripts", 0, 0);
  drain_deferred(host);
  return 0;
}

void rmt_host_start_scripts(rmt_host *host) {
  lh_protect(host, start_body, NULL, "starting scripts");
}

typedef struct run_ctx {
  const char *source, *chunkname;
} run_ctx;

static int run_body(rmt_host *host, lua_State *L, void *ud) {
  run_ctx *c = ud;
  lua_pushstring(L, c->source);
  lua_pushstring(L, c->chunkname);
  lh_call_hook(host, "run_string", 2, 0);
  drain_deferred(host);
  return 0;
}

int rmt_host_run_string(rmt_host *host, const char *source, const char *chunkname) {
  int before = host->errors;
  run_ctx c;
  c.source = source;
  c.chunkname = chunkname;
  lh_protect(host, run_body, &c, "running a chunk");
  return host->errors > before ? -1 : 0;
}

static int step_body(rmt_host *host, lua_State *L, void *ud) {
  double now = lh_now(host);
  (void)ud;
  /* what engine callbacks and scripts deferred since the last step runs before the frame */
  drain_deferred(host);
  lh_output_tick(host, 0);
  host->now = now;
  if (now - host->last_frame >= RMT_FRAME * 0.999 || host->last_frame == 0) {
    double dt = host->last_frame == 0 ? RMT_FRAME : now - host->last_frame;
    host->last_frame = now;
    lh_sched_run(host);
    lua_pushnumber(L, now);
    lua_pushnumber(L, dt);
    lh_call_hook(host, "frame", 2, 0);
    drain_deferred(host);
  }
  return 0;
}

void rmt_host_step(rmt_host *host) {
  lh_protect(host, step_body, NULL, "frame");
}

double rmt_host_next_due(rmt_host *host) {
  double now = lh_now(host);
  double next = host->last_frame + RMT_FRAME;
  if (host->sched.ndeferred > 0) return 0;
  return next > now ? next - now : 0;
}

static int busy_body(rmt_host *host, lua_State *L, void *ud) {
  int *busy = ud;
  if (lh_sched_busy(host)) {
    *busy = 1;
    return 0;
  }
  if (lh_call_hook(host, "frame_busy", 0, 1) == 0) {
    *busy = lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  return 0;
}

int rmt_host_busy(rmt_host *host) {
  int busy = 0;
  if (host->pending_invokes > 0) return 1;
  lh_protect(host, busy_body, &busy, "idle check");
  return busy;
}

void rmt_host_get_status(const rmt_host *host, rmt_host_status *out) {
  out->errors = host->errors;
  out->stopped = host->interrupted != 0;
  out->quit = host->quit;
  out->resumes = host->resumes;
  out->players_joined = host->players_joined;
  out->players_present = host->players_present;
  out->disconnected = host->disconnected;
  out->disconnect_status = host->disconnect_status;
  out->disconnect_reason = host->disconnect_reason;
}
