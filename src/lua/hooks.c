/*
 * hooks.c - the prelude's hook table: the Lua functions C calls by name (load, frame,
 * remote_event...), checked once at start and called with errors reported. It must never
 * enter Lua unprotected on its own: callers are inside a crossing (guard.c).
 */
#include <stdio.h>
#include <string.h>

#include "core.h"

/* The hooks C calls by name (lh_call_hook), declared once here and checked when the
 * prelude has run, so a renamed or missing hook is a clear error at start, not a silent
 * no-op at the first event. */
static const char *const HOOKS_BOTH[] = {"load", "start_scripts", "run_string", "frame",
                                         "frame_busy", "remote_event", "remote_invoke",
                                         "player_added", "player_removing", "registry",
                                         "remote_dropped", "rep_attach", NULL};
static const char *const HOOKS_CLIENT[] = {"replica", NULL};

int lh_set_hooks(rmt_host *host, rmt_error *err) {
  lua_State *L = host->L;
  const char *const *lists[2];
  int k;
  host->hooks_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lists[0] = HOOKS_BOTH;
  lists[1] = host->side == RMT_HOST_CLIENT ? HOOKS_CLIENT : NULL;
  lua_rawgeti(L, LUA_REGISTRYINDEX, host->hooks_ref);
  for (k = 0; k < 2; k++) {
    const char *const *name;
    for (name = lists[k]; name && *name; name++) {
      int ok;
      lua_getfield(L, -1, *name);
      ok = lua_isfunction(L, -1);
      lua_pop(L, 1);
      if (!ok) {
        lua_pop(L, 1);
        if (err) snprintf(err->message, sizeof err->message, "prelude: hook '%s' missing", *name);
        return -1;
      }
    }
  }
  lua_pop(L, 1);
  return 0;
}

int lh_call_hook(rmt_host *host, const char *name, int nargs, int nresults) {
  lua_State *L = host->L;
  int base = lua_gettop(L) - nargs;
  lua_rawgeti(L, LUA_REGISTRYINDEX, host->hooks_ref);
  lua_getfield(L, -1, name);
  lua_remove(L, -2);
  lua_insert(L, base + 1);
  if (lua_pcall(L, nargs, nresults, 0) != 0) {
    const char *msg = lua_tostring(L, -1);
    if (!msg) msg = "error in host hook";
    lh_errorl(host, msg, strlen(msg));
    lua_pop(L, 1);
    return -1;
  }
  return 0;
}

void lh_register(rmt_host *host, lua_State *L, int idx, const luaL_Reg *fns) {
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  for (const luaL_Reg *r = fns; r->name; r++) {
    lua_pushlightuserdata(L, host);
    lua_pushcclosure(L, r->func, 1);
    lua_setfield(L, idx, r->name);
  }
}
