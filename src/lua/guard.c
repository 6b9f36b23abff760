/*
 * guard.c - what keeps one Lua state from taking its process down: the memory cap (an
 * allocator that counts), the one protected crossing from C into Lua, and the interrupt a
 * spinning script gets (script timeout, stop). It never prints a script's output itself and
 * never runs Lua outside a protected call.
 *
 * Why an interrupt check compiled into scripts rather than a debug hook: LuaJIT never runs
 * hooks inside compiled traces, so `while true do end` ignores a count hook once it is hot.
 * The translator (luau.c, RMT_LUAU_INTERRUPTS) puts `__rmt_chk()` at the top of every loop
 * body and function body of a script; __rmt_chk is a Lua function over an FFI call to
 * guard_poll below, made only by every 64th check (the others are an increment and a
 * compare); traces compile it to a direct call. Cost: docs/robustness.md.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

#define STOP_GRACE 0.2 /* seconds */

/* ---- the counting allocator (lua_Alloc) ---- */

/* The cap is enforced only inside a protected call (protect_depth > 0): there an allocation
 * that fails raises "not enough memory" in the thread that asked, and the crossing catches
 * it. Outside one (the host pushing a few values before its pcall) failing would reach
 * LuaJIT's panic, so those small allocations are let through. */
void *lh_guard_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  rmt_host *host = ud;
  size_t old = ptr ? osize : 0;
  void *p;
  if (nsize == 0) {
    lh_free(host, ptr, osize);
    host->mem_used -= old;
    return NULL;
  }
  if (nsize > old && host->mem_limit && host->protect_depth > 0 && !host->mem_lifted &&
      host->mem_used + (nsize - old) > host->mem_limit + host->mem_grace) {
    host->mem_refused++;
    host->gc_wanted = 1;
    /* LuaJIT has no emergency collection: what the failed script held is garbage now, but
     * not yet collected, and the pcall that caught the error could not even print. The rest
     * of this crossing may use an eighth more while the incremental collector catches up. */
    host->mem_grace = host->mem_limit / 8;
    return NULL;
  }
  p = lh_realloc(host, ptr, osize, nsize);
  if (p) {
    host->mem_used = host->mem_used - old + nsize;
    if (host->mem_used > host->mem_peak) host->mem_peak = host->mem_used;
    /* past three quarters of the cap and half again over what the last full collection
     * left: the next script check collects (LuaJIT's incremental collector lags behind
     * big allocations, and it has no emergency collection of its own) */
    if (host->mem_limit && host->mem_used > host->mem_limit / 4 * 3 &&
        host->mem_used > host->gc_floor + host->gc_floor / 2)
      host->gc_due = 1;
  }
  return p;
}

/* ---- the protected crossing ---- */

typedef struct crossing {
  rmt_host *host;
  lh_body body;
  void *ud;
  int rc;
  int entered;
} crossing;

static void enter(rmt_host *host);

/* The crossing counts as entered only here, inside the protected call: lua_cpcall allocates
 * its own frame first, and refusing that at the cap would fail every crossing, the host's
 * collection included, and leave a full state full for good. */
static int crossing_trampoline(lua_State *L) {
  crossing *c = lua_touserdata(L, 1);
  lua_pop(L, 1);
  c->entered = 1;
  enter(c->host);
  c->rc = c->body(c->host, L, c->ud);
  return 0;
}

static void enter(rmt_host *host) {
  if (host->protect_depth++ == 0) {
    double now = rmt_host_clock();
    host->in_lua = 1;
    host->run_deadline = host->script_timeout > 0 ? now + host->script_timeout : 0;
    host->timeout_counted = 0;
    host->timed_out = 0;
  }
}

static void leave(rmt_host *host) {
  if (--host->protect_depth == 0) {
    host->in_lua = 0;
    host->run_deadline = 0;
    host->timed_out = 0;
    host->mem_grace = 0;
  }
}

/* A refused allocation may only have needed the garbage collected: collect once the
 * crossing is over, so the next one starts with what is really live (LuaJIT has no
 * emergency collection of its own). Also collect when close to the cap, at most 4 a second. */
static void collect_if_tight(rmt_host *host) {
  double now;
  if (!host->mem_limit || host->closing) return;
  if (!host->gc_wanted && host->mem_used < host->mem_limit / 4 * 3) return;
  now = rmt_host_clock();
  if (!host->gc_wanted && now - host->last_tight_gc < 0.25) return;
  host->gc_wanted = 0;
  host->last_tight_gc = now;
  lh_protect(host, NULL, NULL, "garbage collection");
}

/* A full collection may itself allocate (LuaJIT resizes its string table while sweeping):
 * refused there, the collection would stop half-way and the state stay full of garbage for
 * good. So the cap is lifted while the host collects. */
static void collect_lifted(rmt_host *host, lua_State *L) {
  host->mem_lifted++;
  lua_gc(L, LUA_GCCOLLECT, 0);
  host->mem_lifted--;
  host->gc_floor = host->mem_used;
}

static int collect_body(rmt_host *host, lua_State *L, void *ud) {
  (void)ud;
  collect_lifted(host, L);
  return 0;
}

int lh_protect(rmt_host *host, lh_body body, void *ud, const char *what) {
  lua_State *L = host->L;
  crossing c;
  int status, outermost = host->protect_depth == 0;
  c.host = host;
  c.body = body ? body : collect_body;
  c.ud = ud;
  c.rc = 0;
  c.entered = 0;
  if (host->trampoline_ref > 0) {
    /* the trampoline made once (lh_guard_open): lua_cpcall would allocate a new C function
     * for every crossing, that is for every event. Fetching it and pushing a light userdata
     * never allocate, so nothing here can raise outside the protected call. */
    lua_rawgeti(L, LUA_REGISTRYINDEX, host->trampoline_ref);
    lua_pushlightuserdata(L, &c);
    status = lua_pcall(L, 1, 0, 0);
  } else {
    status = lua_cpcall(L, crossing_trampoline, &c);
  }
  if (c.entered) leave(host);
  if (status != 0) {
    const char *msg = lua_tostring(L, -1);
    if (status == LUA_ERRMEM) host->mem_errors++;
    snprintf(host->cross_error, sizeof host->cross_error, "%s",
             msg ? msg : "error object is not a string");
    if (what) {
      rmt_host_error(host, "%s: %s", what, host->cross_error);
    }
    lua_pop(L, 1);
    c.rc = -1;
  }
  if (outermost && body) collect_if_tight(host);
  return c.rc;
}

/* ---- interrupts ---- */

/* Called by every 64th check (prelude: __rmt_chk). 0: go on; 1: script timeout; 2: stop;
 * 3: collect garbage now. A stop (signal, stop_at) does not strike a script that is merely
 * running when it comes: the crossing gets STOP_GRACE seconds to return by itself, so only a
 * script that spins is stopped with an error. */
static int guard_poll(rmt_host *host) {
  double now;
  if (host->gc_due) return 3;
  if (host->timed_out && !host->interrupted) return 1;
  if (!host->interrupted && host->run_deadline <= 0 && host->stop_at <= 0) return 0;
  now = rmt_host_clock();
  if (!host->interrupted) {
    if (host->stop_at > 0 && now >= host->stop_at) {
      host->interrupted = 1;
    } else {
      host->timed_out = host->run_deadline > 0 && now >= host->run_deadline;
      return host->timed_out;
    }
  }
  if (host->stop_seen <= 0) host->stop_seen = now;
  if (now - host->stop_seen >= STOP_GRACE) return 2;
  return host->run_deadline > 0 && now >= host->run_deadline ? 1 : 0;
}

/* H.collect_now(): the full collection guard_poll asked for. */
static int l_collect_now(lua_State *L) {
  rmt_host *host = (rmt_host *)lua_touserdata(L, lua_upvalueindex(1));
  host->gc_due = 0;
  collect_lifted(host, L);
  host->emergency_gcs++;
  return 0;
}

/* H.interrupt_error(code): raised from __rmt_chk in the script's own frame. The condition
 * stays true until control is back in the host, so a script that catches the error with
 * pcall and spins on gets it again at its next check. */
static int l_interrupt_error(lua_State *L) {
  rmt_host *host = (rmt_host *)lua_touserdata(L, lua_upvalueindex(1));
  int code = (int)luaL_checknumber(L, 1);
  lh_push_where(L);
  if (code == 1) {
    if (!host->timeout_counted) host->timeouts++;
    host->timeout_counted = 1;
    lua_pushliteral(L, "Script timeout: exhausted allowed execution time");
  } else {
    lua_pushliteral(L, "Script stopped: the process is shutting down");
  }
  lua_concat(L, 2);
  return lua_error(L);
}

void lh_guard_open(rmt_host *host, lua_State *L, int idx) {
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  lua_pushcfunction(L, crossing_trampoline);
  host->trampoline_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  /* a function pointer travels as light userdata; the prelude casts it with the FFI */
  {
    int (*poll)(rmt_host *) = guard_poll;
    void *fp;
    memcpy(&fp, &poll, sizeof fp);
    lua_pushlightuserdata(L, fp);
  }
  lua_setfield(L, idx, "poll_fn");
  lua_pushlightuserdata(L, host);
  lua_setfield(L, idx, "host_ptr");
  lua_pushlightuserdata(L, host);
  lua_pushcclosure(L, l_interrupt_error, 1);
  lua_setfield(L, idx, "interrupt_error");
  lua_pushlightuserdata(L, host);
  lua_pushcclosure(L, l_collect_now, 1);
  lua_setfield(L, idx, "collect_now");
}

void rmt_host_interrupt(rmt_host *host) {
  host->interrupted = 1;
}

void rmt_host_stop_at(rmt_host *host, double when) {
  host->stop_at = when;
}

int rmt_host_in_lua(const rmt_host *host) {
  return host->in_lua != 0;
}
