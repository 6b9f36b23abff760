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
 * guard_poll below, which traces compile to a direct call (about 2-3 ns an iteration,
 * docs/robustness.md). guard_poll reads the clock once every 256 calls.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

#define POLL_CLOCK_EVERY 256
#define STOP_GRACE 0.2 /* seconds */

/* ---- the counting allocator (lua_Alloc) ---- */

static void *base_realloc(rmt_host *host, void *ptr, size_t osize, size_t nsize) {
  if (host->alloc && host->alloc->fn) return host->alloc->fn(host->alloc->ud, ptr, osize, nsize);
  if (nsize == 0) {
    free(ptr);
    return NULL;
  }
  return realloc(ptr, nsize);
}

/* The cap is enforced only inside a protected call (protect_depth > 0): there an allocation
 * that fails raises "not enough memory" in the thread that asked, and the crossing catches
 * it. Outside one (the host pushing a few values before its pcall) failing would reach
 * LuaJIT's panic, so those small allocations are let through. */
void *rmt_guard_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  rmt_host *host = ud;
  size_t old = ptr ? osize : 0;
  void *p;
  if (nsize == 0) {
    base_realloc(host, ptr, osize, 0);
    host->mem_used -= old;
    return NULL;
  }
  if (nsize > old && host->mem_limit && host->protect_depth > 0 && !host->collecting &&
      host->mem_used + (nsize - old) > host->mem_limit + host->mem_grace) {
    host->mem_refused++;
    host->gc_wanted = 1;
    /* LuaJIT has no emergency collection: what the failed script held is garbage now, but
     * not yet collected, and the pcall that caught the error could not even print. The rest
     * of this crossing may use an eighth more while the incremental collector catches up. */
    host->mem_grace = host->mem_limit / 8;
    return NULL;
  }
  p = base_realloc(host, ptr, osize, nsize);
  if (p) {
    host->mem_used = host->mem_used - old + nsize;
    if (host->mem_used > host->mem_peak) host->mem_peak = host->mem_used;
  }
  return p;
}

/* ---- the protected crossing ---- */

typedef struct crossing {
  rmt_host *host;
  rmt_host_body body;
  void *ud;
  int rc;
} crossing;

static int crossing_trampoline(lua_State *L) {
  crossing *c = lua_touserdata(L, 1);
  lua_pop(L, 1);
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
  /* The collection itself needs a little memory (the crossing's C closure, a string table
   * resize). A state left above its cap by garbage (a crossing that filled it with small
   * objects ends within bytes of cap + grace) would otherwise refuse it, and with it every
   * later crossing: the host would never run Lua again. */
  host->collecting = 1;
  rmt_host_protect(host, NULL, NULL, "garbage collection");
  host->collecting = 0;
}

static int collect_body(rmt_host *host, lua_State *L, void *ud) {
  (void)host;
  (void)ud;
  lua_gc(L, LUA_GCCOLLECT, 0);
  return 0;
}

int rmt_host_protect(rmt_host *host, rmt_host_body body, void *ud, const char *what) {
  lua_State *L = host->L;
  crossing c;
  int status, outermost = host->protect_depth == 0;
  c.host = host;
  c.body = body ? body : collect_body;
  c.ud = ud;
  c.rc = 0;
  enter(host);
  status = lua_cpcall(L, crossing_trampoline, &c);
  leave(host);
  if (status != 0) {
    const char *msg = lua_tostring(L, -1);
    if (status == LUA_ERRMEM) host->mem_errors++;
    snprintf(host->cross_error, sizeof host->cross_error, "%s",
             msg ? msg : "error object is not a string");
    if (what) {
      host->errors++;
      rmt_host_emitf(host, RMT_HOST_ERROR, "%s: %s", what, host->cross_error);
    }
    lua_pop(L, 1);
    c.rc = -1;
  }
  if (outermost && body) collect_if_tight(host);
  return c.rc;
}

/* ---- interrupts ---- */

/* 0: go on; 1: script timeout; 2: stop. A stop (signal, stop_at) does not strike a script that
 * is merely running when it comes: the crossing gets STOP_GRACE seconds to return by itself,
 * so only a script that spins is stopped with an error. */
static int guard_poll(rmt_host *host) {
  double now;
  /* once past the deadline every check says so: a script that catches the error must not
   * get 255 free checks before the next clock read (it would always catch it inside) */
  if (host->timed_out && !host->interrupted) return 1;
  if (!host->interrupted) {
    if (++host->poll_count % POLL_CLOCK_EVERY != 0) return 0;
    if (host->run_deadline <= 0 && host->stop_at <= 0) return 0;
    now = rmt_host_clock();
    if (host->stop_at > 0 && now >= host->stop_at) {
      host->interrupted = 1;
    } else {
      host->timed_out = host->run_deadline > 0 && now >= host->run_deadline;
      return host->timed_out;
    }
  }
  now = rmt_host_clock();
  if (host->stop_seen <= 0) host->stop_seen = now;
  if (now - host->stop_seen >= STOP_GRACE) return 2;
  return host->run_deadline > 0 && now >= host->run_deadline ? 1 : 0;
}

/* H.interrupt_error(code): raised from __rmt_chk in the script's own frame. The condition
 * stays true until control is back in the host, so a script that catches the error with
 * pcall and spins on gets it again at its next check. */
static int l_interrupt_error(lua_State *L) {
  rmt_host *host = (rmt_host *)lua_touserdata(L, lua_upvalueindex(1));
  int code = (int)luaL_checknumber(L, 1);
  rmt_push_where(L);
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

void rmt_guard_open(rmt_host *host, lua_State *L, int idx) {
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
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
