/* test_lua_util.h - the Lua host tests' shared fixtures: a host whose output is captured into a
 * buffer (alone, as lua_fixture, or with an engine over loopback, as lua_world), loops that
 * run it until idle, and leak checks through the counting allocator. A host given a
 * test_clock runs on it: the run loops advance that clock to the next due frame or timer
 * instead of sleeping, so scheduler timing is exact. Nothing here may loop without a bound. */
#ifndef RMT_TEST_LUA_UTIL_H
#define RMT_TEST_LUA_UTIL_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "alloc_counter.h"
#include "lua/host.h"
#include "test_clock.h"

typedef struct capture {
  char text[1 << 16];
  size_t len;
  int prints, warns, errors;
} capture;

/* Lines as "P text", "W text", "E text" so tests can match one stream. */
static inline void capture_output(void *ud, rmt_host_stream stream, const char *text) {
  capture *c = ud;
  char tag = stream == RMT_HOST_PRINT ? 'P' : stream == RMT_HOST_WARN ? 'W' : 'E';
  int n;
  if (stream == RMT_HOST_PRINT) c->prints++;
  if (stream == RMT_HOST_WARN) c->warns++;
  if (stream == RMT_HOST_ERROR) c->errors++;
  n = snprintf(c->text + c->len, sizeof c->text - c->len, "%c %s\n", tag, text);
  if (n > 0 && c->len + (size_t)n < sizeof c->text) c->len += (size_t)n;
}

/* The test config of a host: output into cap, allocations through ac (may be NULL). A test
 * changes what it needs (guards, clock) before test_host_create. */
static inline void test_host_config(rmt_host_config *hc, rmt_host_side side, capture *cap,
                                    alloc_counter *ac) {
  memset(hc, 0, sizeof *hc);
  memset(cap, 0, sizeof *cap);
  hc->side = side;
  hc->origin = side == RMT_HOST_SERVER ? "Server" : "Player1";
  hc->output = capture_output;
  hc->output_ud = cap;
  hc->alloc = ac ? &ac->hook : NULL;
}

static inline rmt_host *test_host_create(const rmt_host_config *hc) {
  rmt_error err;
  rmt_host *h = rmt_host_create(hc, &err);
  if (!h) fprintf(stderr, "host: %s\n", err.message);
  return h;
}

static inline rmt_host *test_host(rmt_host_side side, capture *cap, alloc_counter *ac) {
  rmt_host_config hc;
  test_host_config(&hc, side, cap, ac);
  return test_host_create(&hc);
}

/* A host with its guards set: script_timeout (seconds, 0 = default, < 0 = never) and
 * memory_limit (bytes, 0 = the side's default). */
static inline rmt_host *test_host_guarded(rmt_host_side side, capture *cap, alloc_counter *ac,
                                          double script_timeout, size_t memory_limit) {
  rmt_host_config hc;
  test_host_config(&hc, side, cap, ac);
  hc.script_timeout = script_timeout;
  hc.memory_limit = memory_limit;
  return test_host_create(&hc);
}

static inline void sleep_ms(int ms) {
  struct timespec ts;
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = (long)(ms % 1000) * 1000000L;
  nanosleep(&ts, NULL);
}

/* The host's test clock, or NULL when it runs on real time. */
static inline test_clock *host_test_clock(const rmt_host *h) {
  return h->clock == test_clock_read ? (test_clock *)h->clock_ud : NULL;
}

/* Lets time pass between two steps: on a test clock, exactly up to the next frame (rounded
 * up to the microsecond; at least 1 us, so a loop always moves); on real time, a 1 ms sleep. */
static inline void host_pass_time(rmt_host *h) {
  test_clock *c = host_test_clock(h);
  if (c) {
    uint64_t us = (uint64_t)ceil(rmt_host_next_due(h) * 1e6);
    test_clock_advance_us(c, us ? us : 1);
  }
  else sleep_ms(1);
}

/* Seconds on the host's clock (the scheduler's time). */
static inline double host_seconds(const rmt_host *h) {
  return host_test_clock(h) ? lh_now(h) : rmt_host_clock();
}

/* Steps the host until nothing waits (or max_seconds pass on its clock). Returns the seconds
 * that passed. */
static inline double run_until_idle(rmt_host *h, double max_seconds) {
  double start = host_seconds(h);
  for (;;) {
    rmt_host_step(h);
    if (!rmt_host_busy(h)) break;
    if (host_seconds(h) - start > max_seconds) break;
    host_pass_time(h);
  }
  return host_seconds(h) - start;
}

static inline void run_for(rmt_host *h, double seconds) {
  double start = host_seconds(h);
  while (host_seconds(h) - start < seconds) {
    rmt_host_step(h);
    host_pass_time(h);
  }
}

/* Runs Lua source as a Script and steps until idle; returns the capture's error count. */
static inline int run_lua(rmt_host *h, capture *cap, const char *src) {
  rmt_host_run_string(h, src, "test.lua");
  run_until_idle(h, 10);
  return cap->errors;
}

static inline int has_line(const capture *c, const char *line) {
  const char *p = c->text;
  size_t n = strlen(line);
  while ((p = strstr(p, line)) != NULL) {
    if ((p == c->text || p[-1] == '\n') && (p[n] == '\n' || p[n] == 0)) return 1;
    p += n;
  }
  return 0;
}

/* ---- one host, no engine: the cmocka setup/teardown of most host tests ---- */

typedef struct lua_fixture {
  alloc_counter ac;
  capture cap;
  test_clock clock;
  rmt_host *host;
} lua_fixture;

/* clocked: the host runs on the fixture's test clock instead of real time. */
static inline int lua_fixture_setup_with(void **state, rmt_host_side side, int clocked) {
  lua_fixture *f = calloc(1, sizeof *f);
  rmt_host_config hc;
  if (!f) return -1;
  alloc_counter_init(&f->ac);
  test_clock_init(&f->clock);
  test_host_config(&hc, side, &f->cap, &f->ac);
  if (clocked) {
    hc.clock = test_clock_read;
    hc.clock_ud = &f->clock;
  }
  f->host = test_host_create(&hc);
  if (!f->host) {
    free(f);
    return -1;
  }
  *state = f;
  return 0;
}

static inline int lua_fixture_setup(void **state) {
  return lua_fixture_setup_with(state, RMT_HOST_SERVER, 0);
}
static inline int lua_fixture_setup_client(void **state) {
  return lua_fixture_setup_with(state, RMT_HOST_CLIENT, 0);
}
static inline int lua_fixture_setup_clocked(void **state) {
  return lua_fixture_setup_with(state, RMT_HOST_SERVER, 1);
}

/* The Lua heap and every host block go through the counting hook: nothing may be left. */
static inline int lua_fixture_teardown(void **state) {
  lua_fixture *f = *state;
  rmt_host_destroy(f->host);
  assert_int_equal(f->ac.live_blocks, 0);
  assert_false(f->ac.bad_osize);
  free(f);
  return 0;
}

/* ---- a server host and a client over loopback (real time: ENet's is real anyway) ---- */

typedef struct lua_world {
  alloc_counter sac, cac;
  capture scap, ccap;
  rmt_host *sh, *ch; /* ch is NULL when the client is a plain C client */
  rmt_server *server;
  rmt_client *client;
} lua_world;

/* One round: the server (waiting up to 1 ms for traffic), its host, the client, its host. */
static inline void lua_world_pump_once(lua_world *w) {
  if (w->server) rmt_server_service(w->server, 1);
  if (w->sh) rmt_host_step(w->sh);
  if (w->client) rmt_client_service(w->client, 0);
  if (w->ch) rmt_host_step(w->ch);
}

/* Pumps for at least one round and until `seconds` of real time passed. */
static inline void lua_world_pump(lua_world *w, double seconds) {
  double start = rmt_host_clock();
  do lua_world_pump_once(w);
  while (rmt_host_clock() - start < seconds);
}

/* The server host, its engine with `adjust` applied to the config (may be NULL), and `script`
 * run as a Script (may be NULL). */
static inline int lua_world_serve(lua_world *w, void (*adjust)(rmt_server_config *),
                                  const char *script, const char *chunkname) {
  rmt_server_config sc;
  rmt_error err;
  memset(w, 0, sizeof *w);
  alloc_counter_init(&w->sac);
  alloc_counter_init(&w->cac);
  w->sh = test_host(RMT_HOST_SERVER, &w->scap, &w->sac);
  if (!w->sh) return -1;
  rmt_server_config_default(&sc);
  sc.port = 0;
  if (adjust) adjust(&sc);
  rmt_host_server_config(w->sh, &sc);
  w->server = rmt_server_create(&sc, &err);
  if (!w->server) return -1;
  rmt_host_attach_server(w->sh, w->server);
  if (script) rmt_host_run_string(w->sh, script, chunkname);
  return 0;
}

/* Pumps until the client's handshake ended (at most 5 s); returns whether it joined. */
static inline int lua_world_settle(lua_world *w, rmt_client *c) {
  double start = rmt_host_clock();
  while (rmt_client_state(c) == RMT_CLIENT_CONNECTING && rmt_host_clock() - start < 5)
    lua_world_pump_once(w);
  return rmt_client_state(c) == RMT_CLIENT_CONNECTED;
}

/* A client host named `name` joins (LocalPlayer and the snapshot in place). */
static inline int lua_world_join_host(lua_world *w, const char *name) {
  rmt_client_config cc;
  rmt_error err;
  w->ch = test_host(RMT_HOST_CLIENT, &w->ccap, &w->cac);
  if (!w->ch) return -1;
  rmt_client_config_default(&cc);
  cc.port = rmt_server_port(w->server);
  cc.name = name;
  rmt_host_client_config(w->ch, &cc);
  w->client = rmt_client_create(&cc, &err);
  if (!w->client) return -1;
  rmt_host_attach_client(w->ch, w->client);
  if (!lua_world_settle(w, w->client)) return -1;
  rmt_host_client_joined(w->ch);
  return 0;
}

/* A plain C client named `name` joins: no host, no max_args of its own. */
static inline int lua_world_join_plain(lua_world *w, const char *name) {
  rmt_client_config cc;
  rmt_error err;
  rmt_client_config_default(&cc);
  cc.port = rmt_server_port(w->server);
  cc.name = name;
  cc.alloc = &w->cac.hook;
  w->client = rmt_client_create(&cc, &err);
  if (!w->client) return -1;
  return lua_world_settle(w, w->client) ? 0 : -1;
}

/* Destroys the client side, then the server host (which destroys its engine); nothing may be
 * left in either counter. A test that destroys the client host itself sets ch and client to
 * NULL. */
static inline void lua_world_free(lua_world *w) {
  if (w->ch) rmt_host_destroy(w->ch); /* destroys its client */
  else if (w->client) rmt_client_destroy(w->client);
  rmt_host_destroy(w->sh);
  assert_int_equal(w->sac.live_blocks, 0);
  assert_int_equal(w->cac.live_blocks, 0);
}

/* cmocka's setup for a lua_world: a server host running `script` and a client host named
 * `name` joined; *state is the world (free it with lua_world_teardown). */
static inline int lua_world_setup(void **state, void (*adjust)(rmt_server_config *),
                                  const char *script, const char *chunkname, const char *name) {
  lua_world *w = calloc(1, sizeof *w);
  if (!w) return -1;
  *state = w;
  if (lua_world_serve(w, adjust, script, chunkname) || lua_world_join_host(w, name))
    return -1;
  return 0;
}

static inline int lua_world_teardown(void **state) {
  lua_world *w = *state;
  lua_world_free(w);
  free(w);
  return 0;
}

#endif /* RMT_TEST_LUA_UTIL_H */
