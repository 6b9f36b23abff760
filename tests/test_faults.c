/* test_faults.c - the engine through a loopback relay that drops, duplicates, reorders and
 * delays datagrams: reliable events exactly once and in order, invokes that always end,
 * unreliable events never corrupted or doubled. Every wait here is bounded by a deadline. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "relay.h"

#include "alloc_counter.h"
#include "engine.h"
#include "remotes.h"

#define NCLIENTS 10

typedef struct net {
  alloc_counter ac;
  rmt_server *server;
  relay relay;
  rmt_client *clients[NCLIENTS];
  int nclients;
  int disconnects;
} net;

static int long_run(void) {
  const char *v = getenv("REMOTES_LONG");
  return v && v[0] == '1';
}

static relay_faults hard_faults = {
    .loss = 0.20, .duplicate = 0.10, .reorder = 0.10,
    .delay_min_ms = 0, .delay_max_ms = 8, .reorder_ms = 15};

static void on_disconnect(void *ud, int status, const char *reason) {
  net *n = ud;
  (void)status;
  (void)reason;
  n->disconnects++;
}

static void quiet_log(void *ud, rmt_log_level level, const char *msg) {
  (void)ud;
  if (level >= RMT_LOG_ERROR) fprintf(stderr, "log: %s\n", msg);
}

static void pump(net *n) {
  relay_pump(&n->relay);
  rmt_server_service(n->server, 0);
  relay_pump(&n->relay);
  for (int i = 0; i < n->nclients; i++)
    if (n->clients[i]) rmt_client_service(n->clients[i], 0);
  relay_pump(&n->relay);
  /* One short wait per round keeps two shared cores usable by others. */
  rmt_server_service(n->server, 1);
}

static void start(net *n, uint64_t seed, int nclients) {
  memset(n, 0, sizeof *n);
  /* REMOTES_FAULT_SEED varies the run; RELAY_CLEAN=1 turns the faults off to compare. */
  const char *sv = getenv("REMOTES_FAULT_SEED");
  if (sv) seed ^= strtoull(sv, NULL, 0);
  if (getenv("RELAY_CLEAN")) hard_faults = (relay_faults){0};
  alloc_counter_init(&n->ac);
  rmt_server_config sc;
  rmt_server_config_default(&sc);
  sc.alloc = &n->ac.hook;
  sc.log = quiet_log;
  sc.max_per_address = 0; /* every client comes from 127.0.0.1 */
  /* Rates are not what this test is about: the flood would be (correctly) rate limited. */
  sc.event_rate = sc.unreliable_rate = sc.invoke_rate = sc.byte_rate = (rmt_rate){0, 0};
  sc.max_pending_invokes = 1000;
  sc.queue_limit = 100000;
  sc.peer_timeout_ms = 30000;
  rmt_error err;
  n->server = rmt_server_create(&sc, &err);
  assert_non_null(n->server);
  /* Joining happens on a clean path, then the faults start: ENet's first retransmissions
   * use its 500 ms initial round-trip guess and double, so a handshake at 20% loss
   * sometimes takes over 20 s, which is ENet's behaviour and not what is tested here. */
  const relay_faults clean = {0};
  assert_int_equal(relay_open(&n->relay, rmt_server_port(n->server), &clean, seed), 0);
  for (int i = 0; i < nclients; i++) {
    rmt_client_config cc;
    rmt_client_config_default(&cc);
    cc.port = n->relay.port;
    char name[16];
    snprintf(name, sizeof name, "C%d", i);
    cc.name = name;
    cc.alloc = &n->ac.hook;
    cc.log = quiet_log;
    cc.connect_timeout_ms = 20000;
    cc.peer_timeout_ms = 30000;
    cc.linger_ms = 50;
    cc.on_disconnect = on_disconnect;
    cc.disconnect_ud = n;
    n->clients[i] = rmt_client_create(&cc, &err);
    assert_non_null(n->clients[i]);
    n->nclients++;
  }
  uint64_t deadline = rmt__now_ms() + 20000;
  for (;;) {
    int joined = 0;
    for (int i = 0; i < nclients; i++)
      joined += rmt_client_state(n->clients[i]) == RMT_CLIENT_CONNECTED;
    if (joined == nclients) break;
    assert_true(rmt__now_ms() < deadline);
    pump(n);
  }
  n->relay.faults = hard_faults;
}

static void finish(net *n) {
  for (int i = 0; i < n->nclients; i++) rmt_client_destroy(n->clients[i]);
  rmt_server_destroy(n->server);
  relay_close(&n->relay);
  assert_int_equal(n->ac.live_blocks, 0);
  assert_false(n->ac.bad_osize);
}

/* Waits until a remote created on the server is known to every client. */
static void replicate(net *n, const char *name) {
  uint64_t deadline = rmt__now_ms() + 20000;
  for (;;) {
    int known = 0;
    for (int i = 0; i < n->nclients; i++) known += rmt_client_remote_find(n->clients[i], name) != 0;
    if (known == n->nclients) return;
    assert_true(rmt__now_ms() < deadline);
    pump(n);
  }
}

/* ---- reliable events: exactly once, in order, per sender ---- */

typedef struct order_check {
  rmt_player_id players[NCLIENTS];
  double next[NCLIENTS]; /* next sequence number expected from each client */
  long received;
  long out_of_order;
  long bad;
} order_check;

static int index_of(const order_check *o, rmt_player_id p) {
  for (int i = 0; i < NCLIENTS; i++)
    if (o->players[i] == p) return i;
  return -1;
}

static void on_ordered(void *ud, const rmt_value *args, size_t nargs) {
  order_check *o = ud;
  int i = nargs == 3 && args[0].type == RMT_TPLAYER ? index_of(o, args[0].as.player) : -1;
  if (i < 0 || args[1].type != RMT_TNUMBER || args[1].as.number != i ||
      args[2].type != RMT_TNUMBER) {
    o->bad++;
    return;
  }
  if (args[2].as.number != o->next[i]) o->out_of_order++;
  o->next[i] = args[2].as.number + 1;
  o->received++;
}

typedef struct client_order {
  double next;
  long received, out_of_order;
} client_order;

static void on_client_ordered(void *ud, const rmt_value *args, size_t nargs) {
  client_order *c = ud;
  if (nargs != 1 || args[0].type != RMT_TNUMBER || args[0].as.number != c->next) c->out_of_order++;
  if (nargs == 1 && args[0].type == RMT_TNUMBER) c->next = args[0].as.number + 1;
  c->received++;
}

static void test_reliable_exactly_once_in_order(void **state) {
  (void)state;
  static net n;
  start(&n, 0x5eed0001, NCLIENTS);
  rmt_remote_id ev;
  assert_int_equal(rmt_server_remote_create(n.server, "Seq", RMT_REMOTE_EVENT, &ev, NULL), 0);
  static order_check o;
  memset(&o, 0, sizeof o);
  rmt_signal_connect(rmt_server_remote_signal(n.server, ev), on_ordered, &o);
  for (int i = 0; i < NCLIENTS; i++) o.players[i] = rmt_client_local_player(n.clients[i]);
  replicate(&n, "Seq");
  static client_order back[NCLIENTS];
  memset(back, 0, sizeof back);
  for (int i = 0; i < NCLIENTS; i++)
    rmt_signal_connect(rmt_client_remote_signal(n.clients[i], ev), on_client_ordered, &back[i]);

  /* 10 x 10,000 takes 2-3 s; REMOTES_LONG=1 runs 10 x 100,000. */
  const long per_client = long_run() ? 100000 : 10000;
  const long back_per_client = per_client / 10; /* the server's direction, fewer */
  long sent[NCLIENTS] = {0}, sent_back[NCLIENTS] = {0};
  uint64_t t0 = rmt__now_ms(), deadline = t0 + (long_run() ? 600000 : 90000);
  const long total = per_client * NCLIENTS;
  long back_total = 0;
  while (o.received + o.bad < total || back_total < back_per_client * NCLIENTS) {
    if (rmt__now_ms() > deadline) {
      print_message("timed out: %ld/%ld events, %ld/%ld back\n", o.received, total, back_total,
                    back_per_client * NCLIENTS);
      fail();
    }
    for (int i = 0; i < NCLIENTS; i++) {
      /* A bounded window in flight: ENet would queue everything, but a steady stream is
       * closer to a game than one 10,000-event burst. */
      for (int k = 0; k < 100 && sent[i] < per_client && sent[i] - (long)o.next[i] < 1500; k++) {
        rmt_value args[2] = {rmt_num(i), rmt_num((double)sent[i])};
        assert_int_equal(rmt_client_fire(n.clients[i], ev, args, 2, NULL), 0);
        sent[i]++;
      }
      for (int k = 0; k < 20 && sent_back[i] < back_per_client; k++) {
        rmt_value v = rmt_num((double)sent_back[i]);
        assert_int_equal(rmt_server_fire_client(n.server, o.players[i], ev, &v, 1, NULL), 0);
        sent_back[i]++;
      }
    }
    pump(&n);
    back_total = 0;
    for (int i = 0; i < NCLIENTS; i++) back_total += back[i].received;
  }
  uint64_t elapsed = rmt__now_ms() - t0;
  print_message("reliable: %d clients x %ld events (+%ld back each) in %llu ms; relay: "
                "%llu datagrams, %llu dropped, %llu duplicated, %llu reordered\n",
                NCLIENTS, per_client, back_per_client, (unsigned long long)elapsed,
                (unsigned long long)n.relay.stats.received, (unsigned long long)n.relay.stats.dropped,
                (unsigned long long)n.relay.stats.duplicated,
                (unsigned long long)n.relay.stats.reordered);
  assert_int_equal(o.bad, 0);
  assert_int_equal(o.out_of_order, 0);
  assert_int_equal(o.received, total);
  for (int i = 0; i < NCLIENTS; i++) {
    assert_int_equal((long)o.next[i], per_client);
    assert_int_equal(back[i].out_of_order, 0);
    assert_int_equal(back[i].received, back_per_client);
  }
  /* The faults really happened (not a silently clean path). */
  assert_true(n.relay.stats.dropped > n.relay.stats.received / 10);
  assert_true(n.relay.stats.duplicated > 0 && n.relay.stats.reordered > 0);
  /* Nothing arrives late after the count was reached. */
  for (int i = 0; i < 200; i++) pump(&n);
  assert_int_equal(o.received, total);
  assert_int_equal(n.disconnects, 0);
  finish(&n);
}

/* ---- invokes: every one resolves or times out ---- */

typedef struct held_set {
  rmt_invocation *inv[4096];
  int count;
} held_set;

/* Answers with the argument doubled, except every 5th call, which it keeps unanswered so
 * the caller's timeout has to end it. */
static void slow_or_fast(void *ud, rmt_invocation *inv, const rmt_value *args, size_t nargs) {
  held_set *h = ud;
  if (nargs == 2 && args[1].type == RMT_TNUMBER && (long)args[1].as.number % 5 == 4 &&
      h->count < 4096) {
    h->inv[h->count++] = inv;
    return;
  }
  rmt_value v = rmt_num(nargs == 2 && args[1].type == RMT_TNUMBER ? args[1].as.number * 2 : -1);
  rmt_invocation_return(inv, &v, 1);
}

typedef struct call_slot {
  int done;
  int status;
  double expect;
  int wrong;
} call_slot;

static void on_call(void *ud, int status, const rmt_value *res, size_t nres, const char *msg) {
  call_slot *c = ud;
  (void)msg;
  c->done++;
  c->status = status;
  if (status == RMT_OK && (nres != 1 || res[0].type != RMT_TNUMBER || res[0].as.number != c->expect))
    c->wrong = 1;
}

static void client_answers(void *ud, rmt_invocation *inv, const rmt_value *args, size_t nargs) {
  (void)ud;
  rmt_value v = rmt_num(nargs == 1 && args[0].type == RMT_TNUMBER ? args[0].as.number + 1 : -1);
  rmt_invocation_return(inv, &v, 1);
}

static void test_invokes_always_end(void **state) {
  (void)state;
  static net n;
  start(&n, 0x5eed0002, NCLIENTS);
  rmt_remote_id fn;
  assert_int_equal(rmt_server_remote_create(n.server, "Fn", RMT_REMOTE_FUNCTION, &fn, NULL), 0);
  static held_set held;
  held.count = 0;
  rmt_server_remote_on_invoke(n.server, fn, slow_or_fast, &held);
  replicate(&n, "Fn");
  for (int i = 0; i < NCLIENTS; i++) rmt_client_remote_on_invoke(n.clients[i], fn, client_answers, NULL);

  enum { PER_CLIENT = 100, BACK = 20 };
  static call_slot calls[NCLIENTS][PER_CLIENT], back[NCLIENTS][BACK];
  memset(calls, 0, sizeof calls);
  memset(back, 0, sizeof back);
  const uint32_t timeout_ms = 3000;
  uint64_t t0 = rmt__now_ms();
  for (int k = 0; k < PER_CLIENT; k++) {
    for (int i = 0; i < NCLIENTS; i++) {
      call_slot *c = &calls[i][k];
      c->expect = 2.0 * k;
      rmt_value args = rmt_num(k);
      assert_int_equal(rmt_client_invoke(n.clients[i], fn, &args, 1, timeout_ms, on_call, c, NULL), 0);
      if (k < BACK) {
        call_slot *b = &back[i][k];
        b->expect = k + 1;
        rmt_value v = rmt_num(k);
        assert_int_equal(rmt_server_invoke_client(n.server, rmt_client_local_player(n.clients[i]), fn,
                                                  &v, 1, timeout_ms, on_call, b, NULL), 0);
      }
    }
    pump(&n);
  }
  /* Bound: every call was issued with a 3 s timeout, so all must be over well before 10 s. */
  int pending = 1;
  while (pending && rmt__now_ms() - t0 < 10000) {
    pump(&n);
    pending = 0;
    for (int i = 0; i < NCLIENTS; i++) {
      for (int k = 0; k < PER_CLIENT; k++) pending |= !calls[i][k].done;
      for (int k = 0; k < BACK; k++) pending |= !back[i][k].done;
    }
  }
  uint64_t elapsed = rmt__now_ms() - t0;
  int ok = 0, timed_out = 0, back_ok = 0;
  for (int i = 0; i < NCLIENTS; i++) {
    for (int k = 0; k < PER_CLIENT; k++) {
      call_slot *c = &calls[i][k];
      assert_int_equal(c->done, 1); /* exactly once */
      assert_false(c->wrong);
      if (k % 5 == 4) assert_int_equal(c->status, RMT_ETIMEDOUT); /* the held ones */
      else assert_true(c->status == RMT_OK || c->status == RMT_ETIMEDOUT);
      ok += c->status == RMT_OK;
      timed_out += c->status == RMT_ETIMEDOUT;
    }
    for (int k = 0; k < BACK; k++) {
      assert_int_equal(back[i][k].done, 1);
      assert_false(back[i][k].wrong);
      assert_true(back[i][k].status == RMT_OK || back[i][k].status == RMT_ETIMEDOUT);
      back_ok += back[i][k].status == RMT_OK;
    }
  }
  print_message("invokes: %d ok, %d timed out (%d held on purpose), %d/%d server->client ok, "
                "all ended in %llu ms\n", ok, timed_out, held.count, back_ok, NCLIENTS * BACK,
                (unsigned long long)elapsed);
  /* The faults delay answers (a stalled retransmission holds up everything after it on the
   * ordered channel, so some answered calls may still time out), but most get through. */
  /* A held call's INVOKE may itself still be stuck in a retransmission when its caller
   * gives up, so the handler has seen at most (not exactly) the 200 it holds. */
  assert_true(held.count > 0 && held.count <= NCLIENTS * PER_CLIENT / 5);
  assert_true(ok >= NCLIENTS * PER_CLIENT * 4 / 5 / 2);
  /* Completing after the caller gave up is harmless and silent. */
  rmt_value late = rmt_num(0);
  int nheld = held.count;
  for (int i = 0; i < nheld; i++) assert_int_equal(rmt_invocation_return(held.inv[i], &late, 1), 0);
  for (int i = 0; i < 100; i++) pump(&n);
  for (int i = 0; i < NCLIENTS; i++)
    for (int k = 0; k < PER_CLIENT; k++) assert_int_equal(calls[i][k].done, 1);
  finish(&n);
}

/* ---- unreliable events: lost maybe, corrupted or doubled never ---- */

static uint32_t fnv1a(const uint8_t *p, size_t n, uint32_t h) {
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
  return h;
}

/* Payload: sender index, sequence, bytes derived from both, and a checksum over all. */
static void make_payload(int sender, long seq, char *buf, size_t *len) {
  uint64_t x = (uint64_t)sender * 1000003u + (uint64_t)seq * 7919u + 1;
  *len = 1 + (size_t)(x % 300);
  for (size_t i = 0; i < *len; i++) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    buf[i] = (char)(x >> 56);
  }
}

static uint32_t payload_sum(int sender, long seq, const char *buf, size_t len) {
  uint32_t h = fnv1a((const uint8_t *)buf, len, 2166136261u);
  uint32_t meta[2] = {(uint32_t)sender, (uint32_t)seq};
  return fnv1a((const uint8_t *)meta, sizeof meta, h);
}

#define UNREL_MAX 4000

typedef struct unrel_check {
  rmt_player_id players[NCLIENTS];
  uint8_t seen[NCLIENTS][UNREL_MAX];
  long received, duplicates, corrupted;
} unrel_check;

static void check_unreliable(unrel_check *u, int sender, const rmt_value *args, size_t nargs) {
  if (sender < 0 || nargs != 3 || args[0].type != RMT_TNUMBER || args[1].type != RMT_TSTRING ||
      args[2].type != RMT_TNUMBER || args[0].as.number < 0 || args[0].as.number >= UNREL_MAX) {
    u->corrupted++;
    return;
  }
  long seq = (long)args[0].as.number;
  char expect[400];
  size_t elen;
  make_payload(sender, seq, expect, &elen);
  if (args[1].as.string.len != elen || memcmp(args[1].as.string.ptr, expect, elen) != 0 ||
      args[2].as.number != payload_sum(sender, seq, args[1].as.string.ptr, args[1].as.string.len)) {
    u->corrupted++;
    return;
  }
  if (u->seen[sender][seq]++) u->duplicates++;
  else u->received++;
}

static void on_unreliable_server(void *ud, const rmt_value *args, size_t nargs) {
  unrel_check *u = ud;
  int sender = -1;
  if (nargs >= 1 && args[0].type == RMT_TPLAYER)
    for (int i = 0; i < NCLIENTS; i++)
      if (u->players[i] == args[0].as.player) sender = i;
  check_unreliable(u, sender, args + 1, nargs ? nargs - 1 : 0);
}

typedef struct client_unrel {
  unrel_check *u;
  int index;
} client_unrel;

static void on_unreliable_client(void *ud, const rmt_value *args, size_t nargs) {
  client_unrel *c = ud;
  check_unreliable(c->u, c->index, args, nargs);
}

static void test_unreliable_never_corrupted_or_doubled(void **state) {
  (void)state;
  static net n;
  start(&n, 0x5eed0003, NCLIENTS);
  rmt_remote_id ur;
  assert_int_equal(rmt_server_remote_create(n.server, "U", RMT_UNRELIABLE_REMOTE_EVENT, &ur, NULL), 0);
  static unrel_check up, down;
  memset(&up, 0, sizeof up);
  memset(&down, 0, sizeof down);
  for (int i = 0; i < NCLIENTS; i++) up.players[i] = rmt_client_local_player(n.clients[i]);
  rmt_signal_connect(rmt_server_remote_signal(n.server, ur), on_unreliable_server, &up);
  replicate(&n, "U");
  static client_unrel cu[NCLIENTS];
  for (int i = 0; i < NCLIENTS; i++) {
    cu[i] = (client_unrel){&down, i};
    rmt_signal_connect(rmt_client_remote_signal(n.clients[i], ur), on_unreliable_client, &cu[i]);
  }
  const long per_client = 2000;
  for (long seq = 0; seq < per_client; seq += 20) {
    for (int i = 0; i < NCLIENTS; i++) {
      for (long k = seq; k < seq + 20; k++) {
        char buf[400];
        size_t len;
        make_payload(i, k, buf, &len);
        rmt_value args[3] = {rmt_num((double)k), rmt_lstr(buf, len),
                             rmt_num(payload_sum(i, k, buf, len))};
        assert_int_equal(rmt_client_fire(n.clients[i], ur, args, 3, NULL), 0);
        assert_int_equal(rmt_server_fire_client(n.server, up.players[i], ur, args, 3, NULL), 0);
      }
    }
    pump(&n);
  }
  for (int i = 0; i < 300; i++) pump(&n);
  long total = per_client * NCLIENTS;
  print_message("unreliable: %ld/%ld arrived at the server, %ld/%ld at the clients; "
                "%ld+%ld corrupted, %ld+%ld doubled\n", up.received, total, down.received, total,
                up.corrupted, down.corrupted, up.duplicates, down.duplicates);
  assert_int_equal(up.corrupted, 0);
  assert_int_equal(down.corrupted, 0);
  assert_int_equal(up.duplicates, 0);
  assert_int_equal(down.duplicates, 0);
  /* Lossy, but the path works. Far fewer than 80% arrive: ENet delivers unreliable packets
   * sequenced, dropping any that arrives after a newer one, and the relay's jitter reorders
   * most back-to-back datagrams (with the relay clean, all 20,000 arrive). */
  assert_true(up.received > total / 20);
  assert_true(down.received > total / 20);
  assert_true(up.received < total || down.received < total);
  finish(&n);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reliable_exactly_once_in_order),
      cmocka_unit_test(test_invokes_always_end),
      cmocka_unit_test(test_unreliable_never_corrupted_or_doubled),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
