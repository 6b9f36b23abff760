/* net_fixture.h - the one world the network tests share: a server and up to NET_MAX_CLIENTS
 * clients over real ENet on loopback in one process, a manual clock the test advances for
 * the engine's deadlines, pumping with a bounded number of rounds, joins, and the leak check
 * at the end. It must never sleep to let an engine deadline pass (advance the clock), never
 * loop without a bound, and never turn a failed join into a pass. */
#ifndef RMT_TEST_NET_FIXTURE_H
#define RMT_TEST_NET_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "alloc_counter.h"
#include "remotes.h"
#include "test_clock.h"

#define NET_MAX_CLIENTS 16
/* Rounds a join or a wait may take: one round is a 1 ms server service and a client service,
 * so this bounds real time too (about 3 s on an idle machine). */
#define NET_ROUNDS 3000

typedef enum net_clock_kind {
  NET_CLOCK_MANUAL, /* engine deadlines stand still until net_advance */
  NET_CLOCK_REAL    /* the monotonic clock: for tests that measure real behaviour over time */
} net_clock_kind;

typedef struct net_world {
  alloc_counter sac, cac; /* the server's and the clients' allocations, apart */
  test_clock clock;
  net_clock_kind clock_kind;
  rmt_server *server;
  rmt_client *clients[NET_MAX_CLIENTS];
  int nclients;
  char log[4096]; /* the fixture's log sink: every line of server and clients, as far as fits */
} net_world;

static inline void net_log(void *ud, rmt_log_level level, const char *msg) {
  net_world *w = ud;
  size_t n = strlen(w->log);
  (void)level;
  snprintf(w->log + n, sizeof w->log - n, "%s\n", msg);
}

static inline void net_world_init(net_world *w, net_clock_kind kind) {
  memset(w, 0, sizeof *w);
  alloc_counter_init(&w->sac);
  alloc_counter_init(&w->cac);
  test_clock_init(&w->clock);
  w->clock_kind = kind;
}

/* Defaults plus what the fixture owns: a free port, the counting allocator, the clock and the
 * log sink. A test sets its own callbacks (and may replace the log) afterwards. */
static inline void net_server_config(net_world *w, rmt_server_config *c) {
  rmt_server_config_default(c);
  c->port = 0;
  c->alloc = &w->sac.hook;
  c->log = net_log;
  c->log_ud = w;
  if (w->clock_kind == NET_CLOCK_MANUAL) {
    c->clock = test_clock_read;
    c->clock_ud = &w->clock;
  }
}

static inline rmt_server *net_start_server(net_world *w, const rmt_server_config *c) {
  rmt_error err;
  w->server = rmt_server_create(c, &err);
  if (!w->server) fprintf(stderr, "server: %s\n", err.message);
  assert_non_null(w->server);
  return w->server;
}

static inline void net_client_config(net_world *w, rmt_client_config *c, const char *name) {
  rmt_client_config_default(c);
  c->port = rmt_server_port(w->server);
  c->name = name;
  c->alloc = &w->cac.hook;
  c->log = net_log;
  c->log_ud = w;
  if (w->clock_kind == NET_CLOCK_MANUAL) {
    c->clock = test_clock_read;
    c->clock_ud = &w->clock;
  }
}

/* Creates a client (not yet joined) that every pump services from now on. */
static inline rmt_client *net_add_client(net_world *w, const rmt_client_config *c) {
  rmt_error err;
  assert_true(w->nclients < NET_MAX_CLIENTS);
  rmt_client *cl = rmt_client_create(c, &err);
  if (!cl) fprintf(stderr, "client: %s\n", err.message);
  assert_non_null(cl);
  w->clients[w->nclients++] = cl;
  return cl;
}

/* Destroys a client now (its slot stays NULL, so the others keep their indexes). */
static inline void net_drop_client(net_world *w, rmt_client *c) {
  for (int i = 0; i < w->nclients; i++)
    if (w->clients[i] == c) w->clients[i] = NULL;
  rmt_client_destroy(c);
}

static inline void net_pump(net_world *w, int rounds) {
  for (int i = 0; i < rounds; i++) {
    rmt_server_service(w->server, 1);
    for (int c = 0; c < w->nclients; c++)
      if (w->clients[c]) rmt_client_service(w->clients[c], 0);
  }
}

/* Pumps until done(ud) holds, at most max_rounds; returns whether it held. */
static inline int net_pump_until(net_world *w, int (*done)(void *), void *ud, int max_rounds) {
  for (int i = 0; i < max_rounds; i++) {
    if (done(ud)) return 1;
    net_pump(w, 1);
  }
  return done(ud);
}

/* Pumps until *flag is non-zero (set by a callback), at most NET_ROUNDS rounds. */
static inline int net_pump_flag(net_world *w, volatile int *flag) {
  for (int i = 0; i < NET_ROUNDS && !*flag; i++) net_pump(w, 1);
  return *flag != 0;
}

/* Pumps until *counter reaches want, at most NET_ROUNDS rounds. */
static inline int net_pump_count(net_world *w, const volatile int *counter, int want) {
  for (int i = 0; i < NET_ROUNDS && *counter < want; i++) net_pump(w, 1);
  return *counter >= want;
}

/* Moves the manual clock on and pumps one round so the engine sees the new time. */
static inline void net_advance(net_world *w, uint64_t ms) {
  assert_int_equal(w->clock_kind, NET_CLOCK_MANUAL);
  test_clock_advance_ms(&w->clock, ms);
  net_pump(w, 1);
}

/* Pumps until the client's handshake ends; returns its state (CONNECTED or DISCONNECTED;
 * CONNECTING when NET_ROUNDS were not enough). */
static inline rmt_connection_state net_settle(net_world *w, rmt_client *c) {
  for (int i = 0; i < NET_ROUNDS && rmt_client_state(c) == RMT_CLIENT_CONNECTING; i++)
    net_pump(w, 1);
  return rmt_client_state(c);
}

static inline void net_join(net_world *w, rmt_client *c) {
  assert_int_equal(net_settle(w, c), RMT_CLIENT_CONNECTED);
}

/* A client with the fixture's config named `name`, joined. */
static inline rmt_client *net_join_new(net_world *w, const char *name) {
  rmt_client_config c;
  net_client_config(w, &c, name);
  rmt_client *cl = net_add_client(w, &c);
  net_join(w, cl);
  return cl;
}

/* A log callback that drops everything (the attack tests make thousands of lines). */
static inline void net_quiet_log(void *ud, rmt_log_level level, const char *msg) {
  (void)ud;
  (void)level;
  (void)msg;
}

/* An OnServerInvoke that returns its arguments after the player. */
static inline void net_echo_handler(void *ud, rmt_invocation *inv, const rmt_value *args,
                                    size_t nargs) {
  (void)ud;
  rmt_invocation_return(inv, nargs > 1 ? args + 1 : NULL, nargs > 1 ? nargs - 1 : 0);
}

/* What an invoke's completion (rmt_result_fn) reported; the first result if it is a number. */
typedef struct net_result {
  int done;
  int status;
  double number;
  char message[256];
} net_result;

static inline void net_on_result(void *ud, int status, const rmt_value *v, size_t n,
                                 const char *msg) {
  net_result *r = ud;
  r->done++;
  r->status = status;
  r->number = n && v[0].type == RMT_TNUMBER ? v[0].as.number : -1;
  snprintf(r->message, sizeof r->message, "%s", msg);
}

/* Destroys the clients, then the server, and checks that nothing leaked. */
static inline void net_world_finish(net_world *w) {
  for (int i = 0; i < w->nclients; i++)
    if (w->clients[i]) rmt_client_destroy(w->clients[i]);
  w->nclients = 0;
  rmt_server_destroy(w->server);
  w->server = NULL;
  assert_int_equal(w->sac.live_blocks, 0);
  assert_int_equal(w->cac.live_blocks, 0);
  assert_false(w->sac.bad_osize);
  assert_false(w->cac.bad_osize);
}

#endif /* RMT_TEST_NET_FIXTURE_H */
