/* test_net.c - the networking engine over real UDP on loopback, server and clients in one
 * process pumped in turn: sessions, registry, events, queues, rate limits, invokes, kicks.
 * The engine's deadlines run on net_fixture.h's manual clock, so timeouts and refills are
 * checked to the millisecond; only the lost-peer test (ENet's own timer) waits in real time. */
#include "engine.h"
#include "net_fixture.h"
#include "protocol.h"
#include "raw_peer.h"

#define MAXC 4

/* The fixture's world with what these tests record: drops by reason, each client's
 * disconnect, and whether verify refuses everyone. */
typedef struct world {
  net_world net;
  int drops[8];
  int disc_status[MAXC];
  char disc_reason[MAXC][256];
  int disc_count[MAXC];
  int verify_refuse;
} world;

static void on_drop(void *ud, rmt_player_id p, rmt_remote_id r, rmt_drop_reason reason,
                    const char *detail) {
  (void)detail;
  world *w = ud;
  (void)p;
  (void)r;
  if ((int)reason < 8) w->drops[reason]++;
}

static int verify(void *ud, const uint8_t *ticket, size_t len, char *name, uint64_t *user_id,
                  char *reason) {
  world *w = ud;
  if (w->verify_refuse || (len == 3 && memcmp(ticket, "bad", 3) == 0)) {
    snprintf(reason, 128, "ticket rejected");
    return 1;
  }
  if (len == 5 && memcmp(ticket, "admin", 5) == 0) {
    snprintf(name, 64, "Admin");
    *user_id = 42;
  }
  return 0;
}

typedef struct disc_slot {
  world *w;
  int index;
} disc_slot;
static disc_slot slots[MAXC];

static void on_disconnect(void *ud, int status, const char *reason) {
  disc_slot *s = ud;
  s->w->disc_status[s->index] = status;
  snprintf(s->w->disc_reason[s->index], 256, "%s", reason);
  s->w->disc_count[s->index]++;
}

/* adjust (may be NULL) changes the fixture's server config before create. */
static void start_server(world *w, void (*adjust)(rmt_server_config *)) {
  rmt_server_config c;
  net_server_config(&w->net, &c);
  if (adjust) adjust(&c);
  c.on_drop = on_drop;
  c.drop_ud = w;
  c.verify = verify;
  c.verify_ud = w;
  net_start_server(&w->net, &c);
}

static rmt_client *new_client(world *w, const char *name, const char *ticket) {
  int i = w->net.nclients;
  assert_true(i < MAXC);
  slots[i].w = w;
  slots[i].index = i;
  rmt_client_config c;
  net_client_config(&w->net, &c, name);
  c.on_disconnect = on_disconnect;
  c.disconnect_ud = &slots[i];
  c.invoke_timeout_ms = 2000;
  if (ticket) {
    c.ticket = (const uint8_t *)ticket;
    c.ticket_len = strlen(ticket);
  }
  return net_add_client(&w->net, &c);
}

static world *new_world(void) {
  static world w;
  memset(&w, 0, sizeof w);
  net_world_init(&w.net, NET_CLOCK_MANUAL);
  return &w;
}

/* ---- listeners used by several tests ---- */

typedef struct seen {
  int count;
  int player;
  double last_seq;
  int in_order;
  char text[64];
} seen;

static void record_seq(void *ud, const rmt_value *args, size_t n) {
  seen *s = ud;
  if (n >= 2 && args[0].type == RMT_TPLAYER) s->player = (int)args[0].as.player;
  const rmt_value *v = &args[n - 1];
  if (v->type == RMT_TNUMBER) {
    if (v->as.number != s->last_seq + 1) s->in_order = 0;
    s->last_seq = v->as.number;
  }
  if (n >= 1 && args[n >= 2 ? n - 2 : 0].type == RMT_TSTRING)
    snprintf(s->text, sizeof s->text, "%s", args[n >= 2 ? n - 2 : 0].as.string.ptr);
  s->count++;
}

/* ---- tests ---- */

/* The allocator rule (remotes.h): create copies the rmt_allocator struct, so a struct that
 * goes out of scope (here: overwritten with garbage) right after create changes nothing. */
static void test_allocator_struct_need_not_outlive_create(void **state) {
  (void)state;
  net_world w;
  net_world_init(&w, NET_CLOCK_REAL);
  rmt_server_config sc;
  net_server_config(&w, &sc);
  rmt_allocator scratch = w.sac.hook;
  sc.alloc = &scratch;
  w.server = net_start_server(&w, &sc);
  memset(&scratch, 0xA5, sizeof scratch);
  rmt_client_config cc;
  net_client_config(&w, &cc, "Alice");
  rmt_allocator scratch2 = w.cac.hook;
  cc.alloc = &scratch2;
  rmt_client *c = net_add_client(&w, &cc);
  memset(&scratch2, 0x5A, sizeof scratch2);
  net_join(&w, c);
  assert_int_equal(rmt_client_state(c), RMT_CLIENT_CONNECTED);
  assert_true(w.sac.live_blocks > 0 && w.cac.live_blocks > 0); /* the hooks were used */
  net_world_finish(&w);
}

static void test_join_registry_and_players(void **state) {
  (void)state;
  world *w = new_world();
  start_server(w, NULL);
  rmt_remote_id early;
  assert_int_equal(rmt_server_remote_create(w->net.server, "Remotes/PlayerAction", RMT_REMOTE_EVENT, &early, NULL), 0);
  assert_int_equal(rmt_server_remote_create(w->net.server, "Remotes/PlayerAction", RMT_REMOTE_EVENT, NULL, NULL), RMT_EEXIST);
  assert_int_equal(rmt_server_remote_create(w->net.server, "bad//name", RMT_REMOTE_EVENT, NULL, NULL), RMT_EINVAL);
  seen added = {0};
  rmt_signal_connect(rmt_server_player_added(w->net.server), record_seq, &added);
  rmt_client *a = new_client(w, "Alice", NULL);
  net_join(&w->net, a);
  assert_int_equal(added.count, 1);
  assert_string_equal(rmt_client_local_name(a), "Alice");
  assert_true(rmt_client_local_player(a) != 0);
  assert_string_equal(rmt_server_player_name(w->net.server, rmt_client_local_player(a)), "Alice");
  assert_int_equal(rmt_client_remote_find(a, "Remotes/PlayerAction"), early);
  rmt_remote_kind kind = 0;
  assert_int_equal(rmt_client_remote_kind(a, early, &kind), RMT_OK);
  assert_int_equal(kind, RMT_REMOTE_EVENT);
  assert_int_equal(rmt_client_remote_kind(a, 4242, &kind), RMT_ENOTFOUND);

  /* Created while connected: the client learns it, and a blocking wait finds it. */
  rmt_remote_id later;
  assert_int_equal(rmt_server_remote_create(w->net.server, "GetPlayerData", RMT_REMOTE_FUNCTION, &later, NULL), 0);
  rmt_remote_id found = 0;
  for (int i = 0; i < 2000 && !found; i++) {
    net_pump(&w->net, 1);
    found = rmt_client_remote_find(a, "GetPlayerData");
  }
  assert_int_equal(found, later);
  assert_int_equal(rmt_client_remote_wait_sync(a, "GetPlayerData", 100, &found), 0);
  assert_int_equal(rmt_client_remote_wait_sync(a, "Nope", 50, &found), RMT_ETIMEDOUT);

  rmt_client *b = new_client(w, "Bob", NULL);
  net_join(&w->net, b);
  net_pump(&w->net, 20);
  assert_int_equal(rmt_client_players(a, NULL, 0), 2);
  assert_int_equal(rmt_client_players(b, NULL, 0), 2);
  assert_string_equal(rmt_client_player_name(a, rmt_client_local_player(b)), "Bob");
  rmt_player_id ids[4];
  assert_int_equal(rmt_server_players(w->net.server, ids, 4), 2);
  assert_int_equal(ids[0], rmt_client_local_player(a));

  /* Destroyed remotes disappear on clients; firing one is a clear error. */
  assert_int_equal(rmt_server_remote_destroy(w->net.server, early), 0);
  for (int i = 0; i < 2000 && rmt_client_remote_find(a, "Remotes/PlayerAction"); i++) net_pump(&w->net, 1);
  assert_int_equal(rmt_client_remote_find(a, "Remotes/PlayerAction"), 0);
  rmt_error err;
  rmt_value arg = rmt_num(1);
  assert_int_equal(rmt_client_fire(a, early, &arg, 1, &err), RMT_ENOTFOUND);
  assert_int_equal(rmt_server_fire_all(w->net.server, early, &arg, 1, &err), RMT_ENOTFOUND);
  net_world_finish(&w->net);
}

typedef struct wait_cb {
  int calls;
  rmt_remote_id id;
} wait_cb;
static void on_found(void *ud, rmt_remote_id id) {
  wait_cb *wc = ud;
  wc->calls++;
  wc->id = id;
}

static void test_wait_remote_callback(void **state) {
  (void)state;
  world *w = new_world();
  start_server(w, NULL);
  rmt_client *a = new_client(w, "Alice", NULL);
  net_join(&w->net, a);
  wait_cb later = {0}, never = {0};
  assert_int_equal(rmt_client_remote_wait(a, "Later", 0, on_found, &later), 0);
  assert_int_equal(rmt_client_remote_wait(a, "Never", 100, on_found, &never), 0);
  net_pump(&w->net, 5);
  assert_int_equal(later.calls, 0);
  rmt_remote_id id;
  rmt_server_remote_create(w->net.server, "Later", RMT_REMOTE_EVENT, &id, NULL);
  for (int i = 0; i < NET_ROUNDS && !later.calls; i++) net_pump(&w->net, 1);
  assert_int_equal(later.calls, 1);
  assert_int_equal(later.id, id);
  /* "Never" gives up on the client's clock: not at 99 ms, at 100. */
  net_advance(&w->net, 99);
  assert_int_equal(never.calls, 0);
  net_advance(&w->net, 1);
  assert_int_equal(never.calls, 1);
  assert_int_equal(never.id, 0);
  /* Already known: reported once, inside the next service. */
  wait_cb known = {0};
  rmt_client_remote_wait(a, "Later", 0, on_found, &known);
  assert_int_equal(known.calls, 0);
  net_pump(&w->net, 1);
  assert_int_equal(known.calls, 1);
  assert_int_equal(known.id, id);
  net_world_finish(&w->net);
}

static void unlimited_rates(rmt_server_config *c) {
  c->event_rate = (rmt_rate){0, 0};
  c->byte_rate = (rmt_rate){0, 0};
}

static void test_fire_order_exactly_once(void **state) {
  (void)state;
  world *w = new_world();
  start_server(w, unlimited_rates);
  rmt_remote_id ev;
  rmt_server_remote_create(w->net.server, "PlayerAction", RMT_REMOTE_EVENT, &ev, NULL);
  seen got = {.in_order = 1};
  rmt_signal_connect(rmt_server_remote_signal(w->net.server, ev), record_seq, &got);
  rmt_client *a = new_client(w, "Alice", NULL);
  net_join(&w->net, a);
  const int N = 20000;
  for (int i = 1; i <= N; i++) {
    rmt_value args[2] = {rmt_str("jump"), rmt_num(i)};
    assert_int_equal(rmt_client_fire(a, ev, args, 2, NULL), 0);
    if (i % 500 == 0) net_pump(&w->net, 1);
  }
  for (int i = 0; i < 5000 && got.count < N; i++) net_pump(&w->net, 1);
  net_pump(&w->net, 20);
  assert_int_equal(got.count, N);
  assert_true(got.in_order);
  assert_int_equal(got.player, (int)rmt_client_local_player(a));
  assert_string_equal(got.text, "jump");
  rmt_stats st;
  rmt_server_remote_stats(w->net.server, ev, &st);
  assert_int_equal(st.events_in, (uint64_t)N);
  net_world_finish(&w->net);
}

static void test_server_fires(void **state) {
  (void)state;
  world *w = new_world();
  start_server(w, NULL);
  rmt_remote_id ev;
  rmt_server_remote_create(w->net.server, "Notify", RMT_REMOTE_EVENT, &ev, NULL);
  seen got[3] = {{.in_order = 1}, {.in_order = 1}, {.in_order = 1}};
  rmt_client *c[3];
  const char *names[3] = {"P1", "P2", "P3"};
  for (int i = 0; i < 3; i++) {
    c[i] = new_client(w, names[i], NULL);
    net_join(&w->net, c[i]);
    rmt_signal_connect(rmt_client_remote_signal(c[i], ev), record_seq, &got[i]);
  }
  rmt_player_id id[3];
  for (int i = 0; i < 3; i++) id[i] = rmt_client_local_player(c[i]);
  rmt_value a1[2] = {rmt_str("all"), rmt_num(1)};
  assert_int_equal(rmt_server_fire_all(w->net.server, ev, a1, 2, NULL), 0);
  rmt_value a2[2] = {rmt_str("one"), rmt_num(2)};
  assert_int_equal(rmt_server_fire_client(w->net.server, id[1], ev, a2, 2, NULL), 0);
  rmt_value a3[2] = {rmt_str("list"), rmt_num(2)};
  rmt_player_id list[2] = {id[0], id[2]};
  assert_int_equal(rmt_server_fire_list(w->net.server, list, 2, ev, a3, 2, NULL), 0);
  rmt_value a4[2] = {rmt_str("except"), rmt_num(3)};
  assert_int_equal(rmt_server_fire_all_except(w->net.server, id[1], ev, a4, 2, NULL), 0);
  for (int i = 0; i < 2000 && (got[0].count < 3 || got[1].count < 2 || got[2].count < 3); i++) net_pump(&w->net, 1);
  net_pump(&w->net, 10);
  assert_int_equal(got[0].count, 3);
  assert_int_equal(got[1].count, 2);
  assert_int_equal(got[2].count, 3);
  for (int i = 0; i < 3; i++) assert_true(got[i].in_order);
  assert_string_equal(got[0].text, "except");
  assert_string_equal(got[1].text, "one");
  assert_int_equal(rmt_server_fire_client(w->net.server, 9999, ev, a1, 2, NULL), RMT_ENOTFOUND);
  net_world_finish(&w->net);
}

static void queue_16(rmt_server_config *c) { c->queue_limit = 16; }

static void test_queue_before_listen_and_overflow(void **state) {
  (void)state;
  world *w = new_world();
  start_server(w, queue_16);
  rmt_remote_id ev;
  rmt_server_remote_create(w->net.server, "Early", RMT_REMOTE_EVENT, &ev, NULL);
  rmt_client *a = new_client(w, "Alice", NULL);
  net_join(&w->net, a);
  for (int i = 1; i <= 21; i++) {
    rmt_value arg = rmt_num(i);
    rmt_client_fire(a, ev, &arg, 1, NULL);
  }
  rmt_stats st = {0};
  for (int i = 0; i < 2000 && st.events_in < 21; i++) {
    net_pump(&w->net, 1);
    rmt_server_remote_stats(w->net.server, ev, &st);
  }
  assert_int_equal(st.dropped_queue_overflow, 5);
  assert_int_equal(w->drops[RMT_DROP_QUEUE_OVERFLOW], 5);
  assert_non_null(strstr(w->net.log, "Remote event invocation queue exhausted for ReplicatedStorage.Early; "
                                 "did you forget to implement OnServerEvent? (5 events dropped)"));
  seen got = {.in_order = 1};
  rmt_signal_connect(rmt_server_remote_signal(w->net.server, ev), record_seq, &got);
  net_pump(&w->net, 2);
  assert_int_equal(got.count, 16);
  assert_true(got.in_order);
  assert_int_equal((int)got.last_seq, 16);
  /* Once drained, new events go straight to the listener. */
  rmt_value arg = rmt_num(17);
  rmt_client_fire(a, ev, &arg, 1, NULL);
  for (int i = 0; i < 2000 && got.count < 17; i++) net_pump(&w->net, 1);
  assert_int_equal(got.count, 17);
  assert_true(got.in_order);
  net_world_finish(&w->net);
}

static void test_client_queue_before_listen(void **state) {
  (void)state;
  world *w = new_world();
  start_server(w, NULL);
  rmt_remote_id ev;
  rmt_server_remote_create(w->net.server, "Notify", RMT_REMOTE_EVENT, &ev, NULL);
  rmt_client *a = new_client(w, "Alice", NULL);
  net_join(&w->net, a);
  for (int i = 1; i <= 5; i++) {
    rmt_value arg = rmt_num(i);
    rmt_server_fire_all(w->net.server, ev, &arg, 1, NULL);
  }
  net_pump(&w->net, 50);
  seen got = {.in_order = 1};
  rmt_signal_connect(rmt_client_remote_signal(a, ev), record_seq, &got);
  net_pump(&w->net, 2);
  assert_int_equal(got.count, 5);
  assert_true(got.in_order);
  net_world_finish(&w->net);
}

static void events_10_per_second(rmt_server_config *c) { c->event_rate = (rmt_rate){10, 10}; }

/* The buckets are on the fixture's clock, which stands still unless advanced: the counts are
 * exact. */
static void test_rate_limits(void **state) {
  (void)state;
  world *w = new_world();
  start_server(w, events_10_per_second);
  rmt_remote_id ev, buy;
  rmt_server_remote_create(w->net.server, "Spam", RMT_REMOTE_EVENT, &ev, NULL);
  rmt_server_remote_create(w->net.server, "Purchase", RMT_REMOTE_EVENT, &buy, NULL);
  rmt_server_remote_set_rate(w->net.server, buy, (rmt_rate){2, 2});
  seen got = {.in_order = 1}, bought = {.in_order = 1};
  rmt_signal_connect(rmt_server_remote_signal(w->net.server, ev), record_seq, &got);
  rmt_signal_connect(rmt_server_remote_signal(w->net.server, buy), record_seq, &bought);
  rmt_client *a = new_client(w, "Alice", NULL);
  net_join(&w->net, a);
  for (int i = 1; i <= 50; i++) {
    rmt_value arg = rmt_num(i);
    rmt_client_fire(a, ev, &arg, 1, NULL);
  }
  rmt_stats st = {0};
  for (int i = 0; i < 2000 && got.count + st.dropped_rate_limit < 50; i++) {
    net_pump(&w->net, 1);
    rmt_server_player_stats(w->net.server, rmt_client_local_player(a), &st);
  }
  /* The burst of 10 and nothing more: no time passed, so nothing refilled. */
  assert_int_equal(got.count, 10);
  assert_int_equal(st.dropped_rate_limit, 40);
  assert_int_equal(w->drops[RMT_DROP_RATE_LIMIT], (int)st.dropped_rate_limit);
  assert_true(got.in_order); /* the survivors are the first ones, still in order */
  /* 300 ms refill exactly 3 tokens at 10/s: three more pass, the fourth is dropped. */
  net_advance(&w->net, 300);
  for (int i = 51; i <= 54; i++) {
    rmt_value arg = rmt_num(i);
    rmt_client_fire(a, ev, &arg, 1, NULL);
  }
  for (int i = 0; i < NET_ROUNDS && got.count + st.dropped_rate_limit < 54; i++) {
    net_pump(&w->net, 1);
    rmt_server_player_stats(w->net.server, rmt_client_local_player(a), &st);
  }
  assert_int_equal(got.count, 13);
  assert_int_equal(st.dropped_rate_limit, 41);
  /* The player's bucket is shared by every RemoteEvent: a full second refills it (capped at
   * the burst) before the next part. */
  net_advance(&w->net, 1000);
  for (int i = 1; i <= 5; i++) {
    rmt_value arg = rmt_num(i);
    rmt_client_fire(a, buy, &arg, 1, NULL);
  }
  net_pump(&w->net, 100);
  assert_int_equal(bought.count, 2); /* the remote's own bucket: 2 a second, burst 2 */
  net_advance(&w->net, 500); /* one token back in the remote's bucket */
  for (int i = 6; i <= 7; i++) {
    rmt_value arg = rmt_num(i);
    rmt_client_fire(a, buy, &arg, 1, NULL);
  }
  net_pump(&w->net, 100);
  assert_int_equal(bought.count, 3);
  net_world_finish(&w->net);
}

/* ---- invokes ---- */

static rmt_invocation *deferred;
static void handler(void *ud, rmt_invocation *inv, const rmt_value *args, size_t n) {
  (void)ud;
  assert_true(n >= 1);
  assert_int_equal(args[0].type, RMT_TPLAYER);
  assert_int_equal(rmt_invocation_player(inv), args[0].as.player);
  const char *key = n >= 2 && args[1].type == RMT_TSTRING ? args[1].as.string.ptr : "";
  if (strcmp(key, "Gold") == 0) {
    rmt_value v = rmt_num(150);
    rmt_invocation_return(inv, &v, 1);
  } else if (strcmp(key, "later") == 0) {
    deferred = inv;
  } else {
    rmt_invocation_error(inv, "unknown stat");
  }
}

static void test_invoke(void **state) {
  (void)state;
  world *w = new_world();
  start_server(w, NULL);
  rmt_remote_id fn;
  rmt_server_remote_create(w->net.server, "GetPlayerData", RMT_REMOTE_FUNCTION, &fn, NULL);
  rmt_client *a = new_client(w, "Alice", NULL);
  net_join(&w->net, a);

  /* No handler yet: the call waits, then fails with "no handler" before its deadline: at a
   * quarter of the caller's 400 ms before it, i.e. exactly 300 ms after it arrived. */
  net_result nh = {0};
  rmt_value gold = rmt_str("Gold");
  assert_int_equal(rmt_client_invoke(a, fn, &gold, 1, 400, net_on_result, &nh, NULL), 0);
  net_pump(&w->net, 20);
  net_advance(&w->net, 299);
  net_pump(&w->net, 20);
  assert_int_equal(nh.done, 0);
  net_advance(&w->net, 1);
  net_pump_flag(&w->net, &nh.done);
  assert_int_equal(nh.status, RMT_ENOHANDLER);
  assert_non_null(strstr(nh.message, "no handler"));

  /* An invoke that waits for a handler is answered once one is set. */
  net_result waited = {0};
  rmt_client_invoke(a, fn, &gold, 1, 2000, net_on_result, &waited, NULL);
  net_pump(&w->net, 20);
  assert_int_equal(waited.done, 0);
  rmt_server_remote_on_invoke(w->net.server, fn, handler, NULL);
  net_pump_flag(&w->net, &waited.done);
  assert_int_equal(waited.status, RMT_OK);
  assert_true(waited.number == 150);

  /* Handler results and handler errors. (The blocking form, rmt_client_invoke_sync, pumps
   * only the client, so it is exercised across processes by tests/examples.sh.) */
  rmt_error err;
  net_result ok = {0}, bad = {0};
  rmt_client_invoke(a, fn, &gold, 1, 0, net_on_result, &ok, NULL);
  rmt_value other = rmt_str("Gems");
  rmt_client_invoke(a, fn, &other, 1, 0, net_on_result, &bad, NULL);
  net_pump_flag(&w->net, &bad.done);
  assert_int_equal(ok.status, RMT_OK);
  assert_int_equal(bad.status, RMT_EHANDLER);
  assert_string_equal(bad.message, "unknown stat");

  /* Late reply: the handler answers after the caller timed out; it is discarded. */
  net_result late = {0};
  rmt_value later = rmt_str("later");
  rmt_client_invoke(a, fn, &later, 1, 100, net_on_result, &late, NULL);
  net_pump(&w->net, 20);
  net_advance(&w->net, 99);
  assert_int_equal(late.done, 0);
  net_advance(&w->net, 1); /* the caller's deadline, to the millisecond */
  assert_int_equal(late.done, 1);
  assert_int_equal(late.status, RMT_ETIMEDOUT);
  assert_non_null(deferred);
  rmt_value v = rmt_num(1);
  assert_int_equal(rmt_invocation_return(deferred, &v, 1), 0);
  deferred = NULL;
  net_pump(&w->net, 20);
  assert_int_equal(late.done, 1);

  /* Answers are not invocations: counts agree between the remote and the totals. */
  rmt_stats per_remote, totals;
  rmt_server_remote_stats(w->net.server, fn, &per_remote);
  rmt_server_remote_stats(w->net.server, 0, &totals);
  assert_int_equal(per_remote.invokes_in, 5);
  assert_int_equal(per_remote.invokes_in, totals.invokes_in);
  assert_int_equal(per_remote.invokes_out, 0);
  assert_int_equal(totals.invokes_out, 0);
  assert_true(per_remote.bytes_out > 0);

  /* Wrong kind at the caller. */
  assert_int_equal(rmt_client_fire(a, fn, &gold, 1, &err), RMT_ETYPE);
  net_world_finish(&w->net);
}

static void test_disconnect_mid_call(void **state) {
  (void)state;
  world *w = new_world();
  start_server(w, NULL);
  rmt_remote_id fn;
  rmt_server_remote_create(w->net.server, "Slow", RMT_REMOTE_FUNCTION, &fn, NULL);
  rmt_server_remote_on_invoke(w->net.server, fn, handler, NULL);
  rmt_client *a = new_client(w, "Alice", NULL);
  net_join(&w->net, a);
  net_result r = {0};
  rmt_value later = rmt_str("later");
  rmt_client_invoke(a, fn, &later, 1, 5000, net_on_result, &r, NULL);
  for (int i = 0; i < 2000 && !deferred; i++) net_pump(&w->net, 1);
  assert_non_null(deferred);
  /* The server kicks the caller while its call is pending: the call ends at once. */
  assert_int_equal(rmt_server_player_kick(w->net.server, rmt_client_local_player(a), "Bye now", NULL), 0);
  net_pump_flag(&w->net, &r.done);
  assert_int_equal(r.status, RMT_EDISCONNECTED);
  for (int i = 0; i < 2000 && !w->disc_count[0]; i++) net_pump(&w->net, 1);
  assert_int_equal(w->disc_count[0], 1);
  assert_int_equal(w->disc_status[0], RMT_EREFUSED);
  assert_string_equal(w->disc_reason[0], "Bye now");
  /* Completing the orphaned invocation is harmless. */
  rmt_value v = rmt_num(1);
  assert_int_equal(rmt_invocation_return(deferred, &v, 1), 0);
  deferred = NULL;
  assert_int_equal(rmt_server_players(w->net.server, NULL, 0), 0);
  net_world_finish(&w->net);
}

static void client_handler(void *ud, rmt_invocation *inv, const rmt_value *args, size_t n) {
  (void)ud;
  rmt_value v = rmt_num(n ? args[0].as.number * 2 : 0);
  rmt_invocation_return(inv, &v, 1);
}

static void test_invoke_client(void **state) {
  (void)state;
  world *w = new_world();
  start_server(w, NULL);
  rmt_remote_id fn;
  rmt_server_remote_create(w->net.server, "Ask", RMT_REMOTE_FUNCTION, &fn, NULL);
  rmt_client *a = new_client(w, "Alice", NULL);
  net_join(&w->net, a);
  rmt_player_id pid = rmt_client_local_player(a);
  /* A client that never answers cannot hang the server: the call times out. */
  net_result r1 = {0};
  rmt_value x = rmt_num(21);
  assert_int_equal(rmt_server_invoke_client(w->net.server, pid, fn, &x, 1, 300, net_on_result, &r1, NULL), 0);
  net_pump(&w->net, 20);
  net_advance(&w->net, 224);
  net_pump(&w->net, 20);
  assert_int_equal(r1.done, 0);
  /* the client answers "no handler" a quarter of the 300 ms before the server's deadline */
  net_advance(&w->net, 1);
  net_pump_flag(&w->net, &r1.done);
  assert_int_equal(r1.status, RMT_ENOHANDLER);
  rmt_client_remote_on_invoke(a, fn, client_handler, NULL);
  net_result r2 = {0};
  rmt_server_invoke_client(w->net.server, pid, fn, &x, 1, 1000, net_on_result, &r2, NULL);
  net_pump_flag(&w->net, &r2.done);
  assert_int_equal(r2.status, RMT_OK);
  assert_true(r2.number == 42);
  /* Pending at destroy: completed with ECANCELED during destroy. */
  net_result r3 = {0};
  rmt_client_remote_on_invoke(a, fn, NULL, NULL);
  rmt_server_invoke_client(w->net.server, pid, fn, &x, 1, 5000, net_on_result, &r3, NULL);
  net_pump(&w->net, 5);
  rmt_client_destroy(a);
  w->net.clients[0] = NULL;
  rmt_server_destroy(w->net.server);
  assert_int_equal(r3.done, 1);
  assert_int_equal(r3.status, RMT_ECANCELED);
  w->net.server = NULL;
  assert_int_equal(w->net.sac.live_blocks, 0);
  assert_int_equal(w->net.cac.live_blocks, 0);
}

static void test_unreliable(void **state) {
  (void)state;
  world *w = new_world();
  start_server(w, NULL);
  rmt_remote_id ev;
  rmt_server_remote_create(w->net.server, "Pos", RMT_UNRELIABLE_REMOTE_EVENT, &ev, NULL);
  seen got = {.in_order = 1};
  rmt_signal_connect(rmt_server_remote_signal(w->net.server, ev), record_seq, &got);
  rmt_client *a = new_client(w, "Alice", NULL);
  net_join(&w->net, a);
  char big[1100];
  memset(big, 'x', sizeof big);
  rmt_value arg = rmt_lstr(big, sizeof big);
  rmt_error err;
  assert_int_equal(rmt_client_fire(a, ev, &arg, 1, &err), RMT_ETOOBIG);
  assert_non_null(strstr(err.message, "limit is 1000"));
  assert_int_equal(rmt_server_fire_all(w->net.server, ev, &arg, 1, &err), RMT_ETOOBIG);
  rmt_value ok[2] = {rmt_vector3(1, 2, 3), rmt_num(1)};
  assert_int_equal(rmt_client_fire(a, ev, ok, 2, &err), 0);
  for (int i = 0; i < 2000 && !got.count; i++) net_pump(&w->net, 1);
  assert_int_equal(got.count, 1); /* loopback does not lose it; never twice */
  net_pump(&w->net, 20);
  assert_int_equal(got.count, 1);
  net_world_finish(&w->net);
}

static void test_refusals(void **state) {
  (void)state;
  world *w = new_world();
  start_server(w, NULL);
  rmt_client_config c;
  rmt_client_config_default(&c);
  c.port = rmt_server_port(w->net.server);
  c.name = "bad name!";
  rmt_error err;
  assert_null(rmt_client_create(&c, &err));
  assert_int_equal(err.code, RMT_EINVAL);
  assert_non_null(strstr(err.message, "invalid name"));

  rmt_client *bad = new_client(w, "Mallory", "bad");
  for (int i = 0; i < 3000 && !w->disc_count[0]; i++) net_pump(&w->net, 1);
  assert_int_equal(w->disc_status[0], RMT_EREFUSED);
  assert_string_equal(w->disc_reason[0], "ticket rejected");
  assert_int_equal(rmt_client_wait_connected(bad, 10, &err), RMT_EREFUSED);

  rmt_client *admin = new_client(w, "Someone", "admin");
  net_join(&w->net, admin);
  assert_string_equal(rmt_client_local_name(admin), "Admin");
  assert_int_equal(rmt_client_local_user_id(admin), 42);
  assert_int_equal(rmt_server_players(w->net.server, NULL, 0), 1);
  net_world_finish(&w->net);
}

/* A hand-made peer speaking the wire protocol with a chosen version and name. */
static void raw_hello(world *w, uint32_t version, const char *name, int *status, char *reason) {
  ENetHost *h = enet_host_create(NULL, 1, RMT_CHANNEL_COUNT, 0, 0);
  ENetAddress addr;
  enet_address_set_host(&addr, "127.0.0.1");
  addr.port = rmt_server_port(w->net.server);
  ENetPeer *peer = enet_host_connect(h, &addr, RMT_CHANNEL_COUNT, 0);
  *status = 0;
  for (int i = 0; i < 3000 && !*status; i++) {
    rmt_server_service(w->net.server, 1);
    ENetEvent ev;
    while (enet_host_service(h, &ev, 0) > 0) {
      if (ev.type == ENET_EVENT_TYPE_CONNECT) {
        rmt_buf msg = {0};
        put_hello_version(&msg, version, name);
        enet_peer_send(peer, 0, enet_packet_create(msg.data, msg.len, ENET_PACKET_FLAG_RELIABLE));
        rmt_buf_free(&msg);
      } else if (ev.type == ENET_EVENT_TYPE_RECEIVE) {
        size_t off = 0;
        rmt_msg m;
        while (rmt__msg_next(ev.packet->data, ev.packet->dataLength, &off, &m) > 0) {
          if (m.kind == RMT_MSG_CONTROL && m.id == RMT_CTL_REFUSE) {
            rmt_reader r = {m.body, m.body_len, 0, 0};
            *status = -(int)rmt__get_varint(&r);
            size_t len;
            const uint8_t *s = rmt__get_lstr(&r, 255, &len);
            memcpy(reason, s, len);
            reason[len] = 0;
          } else if (m.kind == RMT_MSG_CONTROL && m.id == RMT_CTL_WELCOME) {
            *status = 1;
          }
        }
        enet_packet_destroy(ev.packet);
      }
    }
  }
  enet_host_destroy(h);
}

static void test_version_and_name_refused_by_server(void **state) {
  (void)state;
  world *w = new_world();
  start_server(w, NULL);
  int status;
  char reason[256] = "";
  raw_hello(w, 99, "Alice", &status, reason);
  assert_int_equal(status, RMT_EVERSION);
  assert_non_null(strstr(reason, "protocol version mismatch: server speaks 2, client speaks 99"));
  raw_hello(w, RMT_PROTOCOL_VERSION, "no spaces allowed", &status, reason);
  assert_int_equal(status, RMT_EREFUSED);
  assert_non_null(strstr(reason, "invalid name"));
  raw_hello(w, RMT_PROTOCOL_VERSION, "Fine", &status, reason);
  assert_int_equal(status, 1);
  net_pump(&w->net, 20);
  net_world_finish(&w->net);
}

static void test_server_gone(void **state) {
  (void)state;
  world *w = new_world();
  start_server(w, NULL);
  rmt_client *a = new_client(w, "Alice", NULL);
  net_join(&w->net, a);
  rmt_remote_id fn;
  rmt_server_remote_create(w->net.server, "F", RMT_REMOTE_FUNCTION, &fn, NULL);
  net_pump(&w->net, 20);
  rmt_server_destroy(w->net.server);
  w->net.server = NULL;
  for (int i = 0; i < 3000 && !w->disc_count[0]; i++) rmt_client_service(a, 1);
  assert_int_equal(w->disc_count[0], 1);
  assert_string_equal(w->disc_reason[0], "server shut down");
  rmt_error err;
  rmt_value v = rmt_num(1);
  assert_int_equal(rmt_client_invoke(a, fn, &v, 1, 100, net_on_result, NULL, &err), RMT_EDISCONNECTED);
  rmt_client_destroy(a);
  w->net.clients[0] = NULL;
  assert_int_equal(w->net.sac.live_blocks, 0);
  assert_int_equal(w->net.cac.live_blocks, 0);
}

static void byte_rate_and_two_pending(rmt_server_config *c) {
  c->byte_rate = (rmt_rate){100, 450}; /* four 100-byte events, then a trickle */
  c->max_pending_invokes = 2;
}

static void test_byte_rate_and_pending_cap(void **state) {
  (void)state;
  world *w = new_world();
  start_server(w, byte_rate_and_two_pending);
  rmt_remote_id ev, fn;
  rmt_server_remote_create(w->net.server, "Big", RMT_REMOTE_EVENT, &ev, NULL);
  rmt_server_remote_create(w->net.server, "Slow", RMT_REMOTE_FUNCTION, &fn, NULL);
  rmt_server_remote_on_invoke(w->net.server, fn, handler, NULL);
  seen got = {.in_order = 1};
  rmt_signal_connect(rmt_server_remote_signal(w->net.server, ev), record_seq, &got);
  rmt_client *a = new_client(w, "Alice", NULL);
  net_join(&w->net, a);
  char payload[96];
  memset(payload, 'z', sizeof payload);
  for (int i = 1; i <= 10; i++) {
    rmt_value args[2] = {rmt_lstr(payload, sizeof payload), rmt_num(i)};
    rmt_client_fire(a, ev, args, 2, NULL);
  }
  for (int i = 0; i < 2000 && got.count + w->drops[RMT_DROP_BYTE_RATE] < 10; i++) net_pump(&w->net, 1);
  assert_int_equal(got.count, 4);
  assert_int_equal(w->drops[RMT_DROP_BYTE_RATE], 6);
  assert_true(got.in_order);

  /* Two deferred invokes are pending; the third is refused at once, not queued. (The
   * byte bucket refills first: 4.5 s at 100 B/s is its whole burst.) */
  net_advance(&w->net, 4500);
  net_result r[3] = {{0}};
  rmt_value later = rmt_str("later");
  rmt_invocation *held[2] = {NULL, NULL};
  for (int i = 0; i < 3; i++) {
    rmt_client_invoke(a, fn, &later, 1, 3000, net_on_result, &r[i], NULL);
    for (int k = 0; k < 500 && !deferred && !r[i].done; k++) net_pump(&w->net, 1);
    if (i < 2) {
      assert_non_null(deferred);
      held[i] = deferred;
      deferred = NULL;
    }
  }
  net_pump_flag(&w->net, &r[2].done);
  assert_int_equal(r[2].status, RMT_ERATELIMIT);
  assert_non_null(strstr(r[2].message, "too many pending invokes"));
  rmt_value v = rmt_num(7);
  for (int i = 0; i < 2; i++) rmt_invocation_return(held[i], &v, 1);
  net_pump_flag(&w->net, &r[1].done);
  assert_int_equal(r[0].status, RMT_OK);
  assert_int_equal(r[1].status, RMT_OK);
  net_world_finish(&w->net);
}

static void peer_timeout_600(rmt_server_config *c) { c->peer_timeout_ms = 600; }

/* peer_timeout_ms is ENet's own timer (enet_time_get, not the injectable clock), so this one
 * waits in real time, bounded. */
static void test_lost_client_detected(void **state) {
  (void)state;
  world *w = new_world();
  start_server(w, peer_timeout_600);
  seen removing = {0};
  rmt_signal_connect(rmt_server_player_removing(w->net.server), record_seq, &removing);
  rmt_client *a = new_client(w, "Alice", NULL);
  net_join(&w->net, a);
  /* The client goes silent (a crashed process): the server notices within its timeout. */
  uint64_t start = rmt__now_ms();
  while (!removing.count && rmt__now_ms() - start < 5000) rmt_server_service(w->net.server, 5);
  assert_int_equal(removing.count, 1);
  assert_int_equal(rmt_server_players(w->net.server, NULL, 0), 0);
  net_world_finish(&w->net);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_allocator_struct_need_not_outlive_create),
      cmocka_unit_test(test_join_registry_and_players),
      cmocka_unit_test(test_wait_remote_callback),
      cmocka_unit_test(test_fire_order_exactly_once),
      cmocka_unit_test(test_server_fires),
      cmocka_unit_test(test_queue_before_listen_and_overflow),
      cmocka_unit_test(test_client_queue_before_listen),
      cmocka_unit_test(test_rate_limits),
      cmocka_unit_test(test_invoke),
      cmocka_unit_test(test_disconnect_mid_call),
      cmocka_unit_test(test_invoke_client),
      cmocka_unit_test(test_unreliable),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_version_and_name_refused_by_server),
      cmocka_unit_test(test_server_gone),
      cmocka_unit_test(test_byte_rate_and_pending_cap),
      cmocka_unit_test(test_lost_client_detected),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
