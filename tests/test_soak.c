/* test_soak.c - churn: clients join and leave (politely or by vanishing) while firing and
 * invoking both ways; the server's memory must come back to the same level after every
 * cycle and no call may outlive its timeout. About 20 s; REMOTES_SOAK_SECONDS for longer. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "splitmix.h"

#include "alloc_counter.h"
#include "engine.h"
#include "net_fixture.h"
#include "protocol.h"
#include "raw_peer.h"

#define SLOTS 8
#define CALLS_PER_SLOT 64
#define CALL_TIMEOUT_MS 1000
#define MAX_HELD 4096

typedef struct call {
  int used;
  uint64_t started;
  int status;
} call;

typedef struct slot {
  rmt_client *client;
  call calls[CALLS_PER_SLOT];
  uint64_t leave_at;
} slot;

typedef struct held_call {
  rmt_invocation *inv;
  uint64_t answer_at;
} held_call;

typedef struct soak {
  alloc_counter sac, cac;
  rmt_server *server;
  rmt_remote_id ev, unrel, echo, slow;
  slot slots[SLOTS];
  held_call held[MAX_HELD];
  int nheld;
  call server_calls[256];
  uint64_t rng;
  long joins, leaves, vanishes, fires, invokes, ok, timeouts, disconnected, canceled, refused, other;
  long stuck;
  long events_seen;
  ENetHost *ghosts[4];
} soak;

static uint64_t rnd(soak *s) {
  return splitmix64(&s->rng);
}

/* Answers 0-1500 ms later: some callers time out, some leave before the answer. */
static void slow_handler(void *ud, rmt_invocation *inv, const rmt_value *args, size_t nargs) {
  soak *s = ud;
  (void)args;
  (void)nargs;
  if (s->nheld == MAX_HELD) {
    rmt_invocation_error(inv, "busy");
    return;
  }
  s->held[s->nheld++] = (held_call){inv, rmt__now_ms() + rnd(s) % 1500};
}

static void answer_due(soak *s, int all) {
  uint64_t now = rmt__now_ms();
  for (int i = 0; i < s->nheld;) {
    if (all || s->held[i].answer_at <= now) {
      rmt_value v = rmt_num(1);
      assert_int_equal(rmt_invocation_return(s->held[i].inv, &v, 1), 0);
      s->held[i] = s->held[--s->nheld];
    } else {
      i++;
    }
  }
}

static void on_event(void *ud, const rmt_value *args, size_t nargs) {
  soak *s = ud;
  (void)args;
  (void)nargs;
  s->events_seen++;
}

static void client_answers(void *ud, rmt_invocation *inv, const rmt_value *args, size_t nargs) {
  (void)ud;
  rmt_invocation_return(inv, args, nargs);
}

static void on_done(void *ud, int status, const rmt_value *res, size_t nres, const char *msg) {
  call *c = ud;
  (void)res;
  (void)nres;
  (void)msg;
  c->used = 0;
  c->status = status;
}

static void count_status(soak *s, int status, const char *msg) {
  switch (status) {
  case RMT_OK: s->ok++; break;
  case RMT_ETIMEDOUT: s->timeouts++; break;
  case RMT_EDISCONNECTED: s->disconnected++; break;
  case RMT_ECANCELED: s->canceled++; break;
  /* The slow handler holds calls past their callers' timeouts, so a busy player can reach
   * max_pending_invokes: refused at once is a proper ending too. */
  case RMT_ERATELIMIT: s->refused++; break;
  default:
    if (s->other++ < 5) fprintf(stderr, "unexpected call status %s: %s\n", rmt_status_name(status), msg);
    break;
  }
}

/* Wraps on_done to count statuses: the call records where the soak can see them. */
typedef struct counted {
  soak *s;
  call *c;
} counted;
static counted cells[SLOTS * CALLS_PER_SLOT + 256];

static void on_counted(void *ud, int status, const rmt_value *res, size_t nres, const char *msg) {
  counted *k = ud;
  count_status(k->s, status, msg);
  on_done(k->c, status, res, nres, msg);
}

static void check_stuck(soak *s, call *calls, int n) {
  uint64_t now = rmt__now_ms();
  for (int i = 0; i < n; i++)
    if (calls[i].used && now - calls[i].started > CALL_TIMEOUT_MS + 1000) {
      s->stuck++;
      calls[i].used = 0; /* report once */
    }
}

static void join_slot(soak *s, slot *sl) {
  rmt_client_config cc;
  rmt_client_config_default(&cc);
  cc.port = rmt_server_port(s->server);
  char name[24];
  snprintf(name, sizeof name, "P%ld", s->joins);
  cc.name = name;
  cc.alloc = &s->cac.hook;
  cc.log = net_quiet_log;
  cc.linger_ms = 20;
  rmt_error err;
  sl->client = rmt_client_create(&cc, &err);
  assert_non_null(sl->client);
  sl->leave_at = rmt__now_ms() + 200 + rnd(s) % 1200;
  s->joins++;
}

static void leave_slot(soak *s, slot *sl) {
  rmt_client_destroy(sl->client); /* completes its pending calls with ECANCELED */
  sl->client = NULL;
  for (int i = 0; i < CALLS_PER_SLOT; i++) sl->calls[i].used = 0;
  s->leaves++;
}

static call *free_call(call *calls, int n) {
  for (int i = 0; i < n; i++)
    if (!calls[i].used) return &calls[i];
  return NULL;
}

static void client_step(soak *s, int index) {
  slot *sl = &s->slots[index];
  rmt_client *c = sl->client;
  if (rmt_client_state(c) != RMT_CLIENT_CONNECTED) return;
  if (rnd(s) % 4) return; /* about 250 steps/s: inside every default rate limit */
  if (!rmt_client_remote_find(c, "Slow")) return;
  rmt_client_remote_on_invoke(c, s->echo, client_answers, NULL);
  uint64_t r = rnd(s) % 10;
  if (r < 5) {
    rmt_value args[2] = {rmt_str("soak"), rmt_num((double)s->fires)};
    assert_int_equal(rmt_client_fire(c, r < 3 ? s->ev : s->unrel, args, 2, NULL), 0);
    s->fires++;
  } else {
    call *k = free_call(sl->calls, CALLS_PER_SLOT);
    if (!k) return;
    counted *cell = &cells[index * CALLS_PER_SLOT + (k - sl->calls)];
    *cell = (counted){s, k};
    rmt_value v = rmt_num(1);
    k->used = 1;
    k->started = rmt__now_ms();
    assert_int_equal(rmt_client_invoke(c, r < 8 ? s->echo : s->slow, &v, 1, CALL_TIMEOUT_MS,
                                       on_counted, cell, NULL), 0);
    s->invokes++;
  }
}

static void server_step(soak *s) {
  rmt_player_id players[64];
  size_t n = rmt_server_players(s->server, players, 64);
  if (!n) return;
  rmt_value v = rmt_num(2);
  if (rnd(s) % 4 == 0) rmt_server_fire_all(s->server, s->ev, &v, 1, NULL);
  if (rnd(s) % 8 == 0) {
    call *k = free_call(s->server_calls, 256);
    if (!k) return;
    counted *cell = &cells[SLOTS * CALLS_PER_SLOT + (k - s->server_calls)];
    *cell = (counted){s, k};
    k->used = 1;
    k->started = rmt__now_ms();
    if (rmt_server_invoke_client(s->server, players[rnd(s) % n], s->echo, &v, 1, CALL_TIMEOUT_MS,
                                 on_counted, cell, NULL) != RMT_OK)
      k->used = 0;
    else s->invokes++;
  }
}

/* A raw peer that joins and then disappears without a word: found by the peer timeout. */
static void ghost_join(soak *s, int i) {
  ENetHost *h = enet_host_create(NULL, 1, RMT_CHANNEL_COUNT, 0, 0);
  assert_non_null(h);
  ENetAddress addr;
  enet_address_set_host(&addr, "127.0.0.1");
  addr.port = rmt_server_port(s->server);
  ENetPeer *peer = enet_host_connect(h, &addr, RMT_CHANNEL_COUNT, 0);
  assert_non_null(peer);
  s->ghosts[i] = h;
}

static void ghost_service(soak *s, int i) {
  ENetHost *h = s->ghosts[i];
  if (!h) return;
  ENetEvent ev;
  while (enet_host_service(h, &ev, 0) > 0) {
    if (ev.type == ENET_EVENT_TYPE_CONNECT) {
      rmt_buf msg = {0};
      put_hello(&msg, "Ghost");
      enet_peer_send(ev.peer, 0, enet_packet_create(msg.data, msg.len, ENET_PACKET_FLAG_RELIABLE));
      rmt_buf_free(&msg);
    } else if (ev.type == ENET_EVENT_TYPE_RECEIVE) {
      enet_packet_destroy(ev.packet);
      enet_host_destroy(h); /* vanishes as soon as it hears anything */
      s->ghosts[i] = NULL;
      s->vanishes++;
      return;
    }
  }
}

static void pump(soak *s) {
  rmt_server_service(s->server, 0);
  for (int i = 0; i < SLOTS; i++)
    if (s->slots[i].client) rmt_client_service(s->slots[i].client, 0);
  for (int i = 0; i < 4; i++) ghost_service(s, i);
  answer_due(s, 0);
  rmt_server_service(s->server, 1);
}

static void test_churn_soak(void **state) {
  (void)state;
  static soak s;
  memset(&s, 0, sizeof s);
  s.rng = 0x50a4;
  alloc_counter_init(&s.sac);
  alloc_counter_init(&s.cac);
  const char *env = getenv("REMOTES_SOAK_SECONDS");
  long seconds = env ? atol(env) : 20;
  if (seconds < 4) seconds = 4;
  rmt_server_config sc;
  rmt_server_config_default(&sc);
  sc.alloc = &s.sac.hook;
  sc.log = net_quiet_log;
  sc.max_per_address = 0; /* clients and ghosts all come from 127.0.0.1 */
  sc.peer_timeout_ms = 1000; /* ghosts are found within a cycle */
  sc.handshake_timeout_ms = 1000;
  rmt_error err;
  s.server = rmt_server_create(&sc, &err);
  assert_non_null(s.server);
  assert_int_equal(rmt_server_remote_create(s.server, "Ev", RMT_REMOTE_EVENT, &s.ev, NULL), 0);
  assert_int_equal(rmt_server_remote_create(s.server, "U", RMT_UNRELIABLE_REMOTE_EVENT, &s.unrel, NULL), 0);
  assert_int_equal(rmt_server_remote_create(s.server, "Echo", RMT_REMOTE_FUNCTION, &s.echo, NULL), 0);
  assert_int_equal(rmt_server_remote_create(s.server, "Slow", RMT_REMOTE_FUNCTION, &s.slow, NULL), 0);
  rmt_server_remote_on_invoke(s.server, s.echo, net_echo_handler, &s);
  rmt_server_remote_on_invoke(s.server, s.slow, slow_handler, &s);
  rmt_signal_connect(rmt_server_remote_signal(s.server, s.ev), on_event, &s);
  rmt_signal_connect(rmt_server_remote_signal(s.server, s.unrel), on_event, &s);

  uint64_t t0 = rmt__now_ms(), end = t0 + (uint64_t)seconds * 1000;
  size_t first_live = 0, max_live = 0, min_live = (size_t)-1;
  long first_rss = 0, last_rss = 0;
  int cycles = 0;
  while (rmt__now_ms() < end) {
    /* Churn for about 2.5 s: slots refill as clients leave; ghosts come and go. */
    uint64_t churn_end = rmt__now_ms() + 2500;
    for (int g = 0; g < 4; g++) ghost_join(&s, g);
    while (rmt__now_ms() < churn_end) {
      uint64_t now = rmt__now_ms();
      for (int i = 0; i < SLOTS; i++) {
        slot *sl = &s.slots[i];
        if (!sl->client) {
          if (rnd(&s) % 20 == 0) join_slot(&s, sl);
          continue;
        }
        if (now >= sl->leave_at) {
          leave_slot(&s, sl);
          continue;
        }
        client_step(&s, i);
        check_stuck(&s, sl->calls, CALLS_PER_SLOT);
      }
      server_step(&s);
      check_stuck(&s, s.server_calls, 256);
      pump(&s);
    }
    /* Quiesce: everyone leaves, ghosts time out, held calls are answered (to no one). */
    for (int i = 0; i < SLOTS; i++)
      if (s.slots[i].client) leave_slot(&s, &s.slots[i]);
    for (int g = 0; g < 4; g++)
      if (s.ghosts[g]) {
        enet_host_destroy(s.ghosts[g]);
        s.ghosts[g] = NULL;
      }
    uint64_t q_end = rmt__now_ms() + 3000;
    while (rmt__now_ms() < q_end &&
           (rmt_server_players(s.server, NULL, 0) > 0 || s.nheld > 0)) {
      pump(&s);
      check_stuck(&s, s.server_calls, 256);
    }
    answer_due(&s, 1);
    for (int i = 0; i < 20; i++) pump(&s);
    assert_int_equal(rmt_server_players(s.server, NULL, 0), 0);
    assert_int_equal(s.cac.live_blocks, 0); /* every client freed everything */
    size_t live = s.sac.live_bytes;
    if (!cycles) {
      first_live = live;
      first_rss = rss_kib();
    }
    last_rss = rss_kib();
    if (live > max_live) max_live = live;
    if (live < min_live) min_live = live;
    cycles++;
    if (getenv("REMOTES_SOAK_VERBOSE"))
      fprintf(stderr, "cycle %d: server live %zu bytes in %zu blocks, rss %ld KiB\n", cycles, live,
              s.sac.live_blocks, last_rss);
  }
  print_message("soak %ld s, %d cycles: %ld joins, %ld leaves, %ld vanished, %ld fires "
                "(%ld seen), %ld invokes: %ld ok, %ld timed out, %ld disconnected, %ld canceled "
                "by leaving, %ld refused (pending cap), %ld other; %ld stuck\n",
                seconds, cycles, s.joins, s.leaves, s.vanishes, s.fires, s.events_seen, s.invokes,
                s.ok, s.timeouts, s.disconnected, s.canceled, s.refused, s.other, s.stuck);
  print_message("server live bytes at cycle ends: first %zu, min %zu, max %zu (peak %zu); "
                "process RSS %ld -> %ld KiB\n", first_live, min_live, max_live, s.sac.peak_bytes,
                first_rss, last_rss);
  assert_int_equal(s.stuck, 0);
  assert_int_equal(s.other, 0);
  assert_true(cycles >= 2);
  assert_true(s.joins > 10 && s.ok > 100 && s.vanishes > 0);
  /* Flat: every cycle ends where the first did, give or take 4 KiB (hash tables and arena
   * chunks keep their size once grown; nothing per player or per call may stay behind). */
  assert_true(max_live <= first_live + 4096);
  rmt_server_destroy(s.server);
  assert_int_equal(s.sac.live_blocks, 0);
  assert_false(s.sac.bad_osize);
  assert_false(s.cac.bad_osize);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_churn_soak),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
