/*
 * sched.c - the Lua host's scheduler: coroutines resumed by timers (wait, delay), the deferred
 * queue (defer), parks/wakes (Signal:Wait, WaitForChild, invokes). It never blocks or sleeps.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

#define RMT_DEFER_BUDGET 100000 /* resumptions per drain, against defer-forever loops */

int lh_sched_init(rmt_host *host) {
  lua_State *L = host->L;
  memset(&host->sched, 0, sizeof host->sched);
  lua_newtable(L);
  lua_newtable(L);
  lua_pushstring(L, "k");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  host->sched.waiting_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  host->sched.next_token = 1;
  return 0;
}

void lh_sched_free(rmt_host *host) {
  lh_sched *s = &host->sched;
  s->timers = lh_realloc(host, s->timers, s->captimers * sizeof *s->timers, 0);
  s->deferred = lh_realloc(host, s->deferred, s->capdeferred * sizeof *s->deferred, 0);
  s->ntimers = s->captimers = s->ndeferred = s->capdeferred = 0;
}

/* ---- thread state ---- */

/* 1 if `co` can be resumed: suspended at a yield, or created and not started. */
static int thread_resumable(lua_State *co) {
  lua_Debug ar;
  int status = lua_status(co);
  if (status == LUA_YIELD) return 1;
  if (status != 0) return 0;
  if (lua_getstack(co, 0, &ar) > 0) return 0; /* running or normal */
  return lua_gettop(co) > 0;                  /* not started (function on the stack) */
}

static int thread_started(lua_State *co) {
  return lua_status(co) == LUA_YIELD;
}

static void report_error(rmt_host *host, lua_State *co) {
  const char *msg;
  size_t len = 0;
  if (lua_type(co, -1) == LUA_TSTRING || lua_type(co, -1) == LUA_TNUMBER) {
    msg = lua_tolstring(co, -1, &len);
  } else if (luaL_callmeta(co, -1, "__tostring") && lua_isstring(co, -1)) {
    msg = lua_tolstring(co, -1, &len);
  } else {
    msg = lua_isnil(co, -1) ? "nil" : "error object is not a string";
    len = strlen(msg);
  }
  host->errors++;
  lh_emitl(host, RMT_HOST_ERROR, msg, len);
}

void lh_sched_resume(rmt_host *host, lua_State *co, int nargs) {
  int status;
  if (!thread_resumable(co)) {
    lua_pop(co, nargs);
    return;
  }
  host->resumes++;
  status = lua_resume(co, nargs);
  if (status == 0 || status == LUA_YIELD) {
    lua_settop(co, 0);
    return;
  }
  report_error(host, co);
  lua_settop(co, 0);
}

/* ---- parking ---- */

static void waiting_push(rmt_host *host, lua_State *L) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, host->sched.waiting_ref);
}

double lh_sched_park(rmt_host *host, lua_State *co, int busy) {
  lua_State *L = host->L;
  double token = host->sched.next_token++;
  waiting_push(host, L);
  lua_pushthread(co);
  lua_xmove(co, L, 1);
  lua_pushnumber(L, busy ? token : -token);
  lua_rawset(L, -3);
  lua_pop(L, 1);
  return token;
}

/* Clears the park of the thread at idx if it holds `token` (any token when token == 0).
 * Returns 1 when it held it. */
static int unpark(rmt_host *host, lua_State *L, int idx, double token) {
  double held;
  int had;
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  waiting_push(host, L);
  lua_pushvalue(L, idx);
  lua_rawget(L, -2);
  had = lua_type(L, -1) == LUA_TNUMBER;
  held = had ? fabs(lua_tonumber(L, -1)) : 0;
  lua_pop(L, 1);
  if (!had || (token != 0 && held != token)) {
    lua_pop(L, 1);
    return 0;
  }
  lua_pushvalue(L, idx);
  lua_pushnil(L);
  lua_rawset(L, -3);
  lua_pop(L, 1);
  return 1;
}

int lh_sched_wake(rmt_host *host, lua_State *L, int idx, double token, int nargs) {
  lua_State *co;
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  if (host->closing || !lua_isthread(L, idx) || !unpark(host, L, idx, token)) {
    lua_pop(L, nargs);
    return 0;
  }
  co = lua_tothread(L, idx);
  if (co == L || !thread_resumable(co)) {
    lua_pop(L, nargs);
    return 0;
  }
  lua_xmove(L, co, nargs);
  lh_sched_resume(host, co, nargs);
  return 1;
}

int lh_sched_busy(rmt_host *host) {
  lua_State *L = host->L;
  int busy = 0;
  if (host->sched.ndeferred > 0) return 1;
  waiting_push(host, L);
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    if (lua_tonumber(L, -1) > 0) busy = 1;
    lua_pop(L, 1);
    if (busy) {
      lua_pop(L, 1);
      break;
    }
  }
  lua_pop(L, 1);
  return busy;
}

/* ---- timer heap ---- */

static int entry_before(const lh_sched_entry *a, const lh_sched_entry *b) {
  return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static int timer_push(rmt_host *host, const lh_sched_entry *e) {
  lh_sched *s = &host->sched;
  size_t i;
  if (s->ntimers == s->captimers) {
    size_t ncap = s->captimers ? s->captimers * 2 : 64;
    void *p = lh_realloc(host, s->timers, s->captimers * sizeof *s->timers,
                            ncap * sizeof *s->timers);
    if (!p) return RMT_ENOMEM;
    s->timers = p;
    s->captimers = ncap;
  }
  i = s->ntimers++;
  s->timers[i] = *e;
  s->timers[i].seq = s->seq++;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    lh_sched_entry tmp;
    if (!entry_before(&s->timers[i], &s->timers[parent])) break;
    tmp = s->timers[i];
    s->timers[i] = s->timers[parent];
    s->timers[parent] = tmp;
    i = parent;
  }
  return 0;
}

static lh_sched_entry timer_pop(rmt_host *host) {
  lh_sched *s = &host->sched;
  lh_sched_entry top = s->timers[0];
  size_t i = 0;
  s->timers[0] = s->timers[--s->ntimers];
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    lh_sched_entry tmp;
    if (l < s->ntimers && entry_before(&s->timers[l], &s->timers[m])) m = l;
    if (r < s->ntimers && entry_before(&s->timers[r], &s->timers[m])) m = r;
    if (m == i) break;
    tmp = s->timers[i];
    s->timers[i] = s->timers[m];
    s->timers[m] = tmp;
    i = m;
  }
  return top;
}

static int defer_push(rmt_host *host, const lh_sched_entry *e) {
  lh_sched *s = &host->sched;
  if (s->ndeferred == s->capdeferred) {
    size_t ncap = s->capdeferred ? s->capdeferred * 2 : 64;
    void *p = lh_realloc(host, s->deferred, s->capdeferred * sizeof *s->deferred,
                            ncap * sizeof *s->deferred);
    if (!p) return RMT_ENOMEM;
    s->deferred = p;
    s->capdeferred = ncap;
  }
  s->deferred[s->ndeferred++] = *e;
  return 0;
}

double lh_sched_next_timer(rmt_host *host) {
  return host->sched.ntimers ? host->sched.timers[0].when : HUGE_VAL;
}

/* Resumes the thread of a scheduled entry if it still holds the entry's token. */
static void fire_entry(rmt_host *host, lh_sched_entry *e) {
  lua_State *L = host->L;
  lua_State *co;
  int nargs = 0;
  lua_rawgeti(L, LUA_REGISTRYINDEX, e->thread_ref);
  luaL_unref(L, LUA_REGISTRYINDEX, e->thread_ref);
  if (!unpark(host, L, -1, e->token)) {
    lua_pop(L, 1);
    if (e->args_ref != LUA_NOREF) luaL_unref(L, LUA_REGISTRYINDEX, e->args_ref);
    return;
  }
  co = lua_tothread(L, -1);
  if (e->is_wait) {
    lua_pushnumber(co, lh_now(host) - e->start);
    nargs = 1;
    if (e->is_wait == 2) {
      lua_pushnumber(co, lh_now(host));
      nargs = 2;
    }
  } else if (e->args_ref != LUA_NOREF) {
    int i, n;
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->args_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, e->args_ref);
    lua_getfield(L, -1, "n");
    n = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    for (i = 1; i <= n; i++) lua_rawgeti(L, -1 - (i - 1), i);
    lua_xmove(L, co, n);
    lua_pop(L, 1);
    nargs = n;
  } else if (!thread_started(co)) {
    nargs = lua_gettop(co) - 1;
  }
  if (nargs < 0) nargs = 0;
  lh_sched_resume(host, co, nargs);
  lua_pop(L, 1);
}

void lh_sched_run(rmt_host *host) {
  lh_sched *s = &host->sched;
  int budget = RMT_DEFER_BUDGET;
  double now = host->now;
  /* Timers set by the threads this run resumes wait for the next run, even when due: with a
   * clock that has not moved (an injected one) task.wait() would otherwise resume in the same
   * frame, and a `while true do task.wait() end` would never give the frame back. */
  uint64_t set_before = s->seq;
  while (s->ntimers > 0 && s->timers[0].when <= now && s->timers[0].seq < set_before) {
    lh_sched_entry e = timer_pop(host);
    fire_entry(host, &e);
    if (host->closing) return;
  }
  while (s->ndeferred > 0 && budget-- > 0) {
    lh_sched_entry e = s->deferred[0];
    memmove(s->deferred, s->deferred + 1, (s->ndeferred - 1) * sizeof *s->deferred);
    s->ndeferred--;
    fire_entry(host, &e);
    if (host->closing) return;
  }
}

/* ---- Lua functions ---- */

static rmt_host *host_of(lua_State *L) {
  return (rmt_host *)lua_touserdata(L, lua_upvalueindex(1));
}

static int l_wait_common(lua_State *L, int legacy) {
  rmt_host *host = host_of(L);
  double t = luaL_optnumber(L, 1, 0);
  double now = lh_now(host);
  lh_sched_entry e;
  if (lua_pushthread(L)) return luaL_error(L, "cannot wait on the main thread");
  lua_pop(L, 1);
  if (!(t >= 0) || t != t) t = 0;
  if (legacy && t < 0.03) t = 0.03; /* Roblox's wait() never returns before ~1/30 s */
  memset(&e, 0, sizeof e);
  e.when = now + t;
  e.start = now;
  e.is_wait = legacy ? 2 : 1;
  e.args_ref = LUA_NOREF;
  e.token = lh_sched_park(host, L, 1);
  lua_pushthread(L);
  e.thread_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  if (timer_push(host, &e) != 0) return luaL_error(L, "out of memory");
  return lua_yield(L, 0);
}

static int l_task_wait(lua_State *L) {
  return l_wait_common(L, 0);
}
static int l_wait(lua_State *L) {
  return l_wait_common(L, 1);
}

/* Leaves on L's top a thread ready to resume: arg 1 a function (new thread with the function
 * and args on its stack) or a thread (args captured into *args_ref). */
static lua_State *prepare_thread(lua_State *L, int *args_ref) {
  int nargs = lua_gettop(L) - 1;
  lua_State *co;
  *args_ref = LUA_NOREF;
  if (lua_isthread(L, 1)) {
    int i;
    co = lua_tothread(L, 1);
    lua_createtable(L, nargs, 1);
    for (i = 1; i <= nargs; i++) {
      lua_pushvalue(L, 1 + i);
      lua_rawseti(L, -2, i);
    }
    lua_pushinteger(L, nargs);
    lua_setfield(L, -2, "n");
    *args_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushvalue(L, 1);
    return co;
  }
  luaL_checktype(L, 1, LUA_TFUNCTION);
  co = lua_newthread(L);
  lua_pushvalue(L, 1);
  lua_xmove(L, co, 1);
  {
    int i;
    for (i = 1; i <= nargs; i++) lua_pushvalue(L, 1 + i);
    lua_xmove(L, co, nargs);
  }
  return co;
}

static int l_task_spawn(lua_State *L) {
  rmt_host *host = host_of(L);
  int nargs = lua_gettop(L) - 1;
  if (nargs < 0) return luaL_argerror(L, 1, "function or thread expected");
  if (lua_isthread(L, 1)) {
    lua_State *co = lua_tothread(L, 1);
    unpark(host, L, 1, 0);
    if (co == L || !thread_resumable(co)) return luaL_error(L, "cannot resume non-suspended coroutine");
    lua_pushvalue(L, 1);
    lua_insert(L, 2);
    lua_xmove(L, co, nargs);
    lh_sched_resume(host, co, nargs);
    return 1;
  } else {
    lua_State *co;
    luaL_checktype(L, 1, LUA_TFUNCTION);
    co = lua_newthread(L);
    lua_insert(L, 1);
    lua_xmove(L, co, nargs + 1);
    lh_sched_resume(host, co, nargs);
    return 1;
  }
}

static int schedule(lua_State *L, double delay, int deferred) {
  rmt_host *host = host_of(L);
  lh_sched_entry e;
  lua_State *co;
  int rc;
  memset(&e, 0, sizeof e);
  co = prepare_thread(L, &e.args_ref);
  e.token = lh_sched_park(host, co, 1);
  lua_pushvalue(L, -1);
  e.thread_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  e.when = lh_now(host) + delay;
  e.start = e.when - delay;
  rc = deferred ? defer_push(host, &e) : timer_push(host, &e);
  if (rc != 0) return luaL_error(L, "out of memory");
  return 1;
}

static int l_task_defer(lua_State *L) {
  return schedule(L, 0, 1);
}

static int l_task_delay(lua_State *L) {
  double t = luaL_checknumber(L, 1);
  if (!(t >= 0)) t = 0;
  lua_remove(L, 1);
  return schedule(L, t, 0);
}

/* Legacy delay(t, f) and spawn(f): same as task.delay / task.defer after a frame. */
static int l_legacy_spawn(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_settop(L, 1);
  return schedule(L, 0.03, 0);
}

static int l_task_cancel(lua_State *L) {
  rmt_host *host = host_of(L);
  luaL_checktype(L, 1, LUA_TTHREAD);
  unpark(host, L, 1, 0);
  return 0;
}

/* park(busy) -> token: the running thread will be resumed by wake(thread, token, ...). */
static int l_park(lua_State *L) {
  rmt_host *host = host_of(L);
  if (lua_pushthread(L)) return luaL_error(L, "cannot yield the main thread");
  lua_pop(L, 1);
  lua_pushnumber(L, lh_sched_park(host, L, lua_toboolean(L, 1)));
  return 1;
}

static int l_wake(lua_State *L) {
  rmt_host *host = host_of(L);
  double token = luaL_checknumber(L, 2);
  int nargs = lua_gettop(L) - 2;
  luaL_checktype(L, 1, LUA_TTHREAD);
  lua_pushboolean(L, lh_sched_wake(host, L, 1, token, nargs));
  return 1;
}

static int l_clock(lua_State *L) {
  rmt_host *host = host_of(L);
  lua_pushnumber(L, lh_now(host));
  return 1;
}

void lh_sched_spawn(rmt_host *host, lua_State *L, int nargs) {
  lua_State *co = lua_newthread(L);
  lua_insert(L, -(nargs + 2));
  lua_xmove(L, co, nargs + 1);
  lh_sched_resume(host, co, nargs);
  lua_pop(L, 1);
}

void lh_sched_open(rmt_host *host, lua_State *L, int idx) {
  static const luaL_Reg fns[] = {{"task_wait", l_task_wait}, {"wait", l_wait},
                                 {"task_spawn", l_task_spawn}, {"task_defer", l_task_defer},
                                 {"task_delay", l_task_delay}, {"task_cancel", l_task_cancel},
                                 {"legacy_spawn", l_legacy_spawn}, {"park", l_park},
                                 {"wake", l_wake}, {"clock", l_clock}, {NULL, NULL}};
  lh_register(host, L, idx, fns);
}
