/* test_net.c - the networking engine over real UDP on loopback, server and clients in one
 * process pumped in turn: sessions, registry, events, queues, rate limits, invokes, kicks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "alloc_counter.h"
#include "engine.h"
#include "protocol.h"
#include "remotes.h"

#define MAXC 4

typedef struct world {
  alloc_counter ac;
  rmt_server *server;
  rmt_client *clients[MAXC];
  int nclients;
  char log[2048];
  int drops[8];
  int disc_status[MAXC];
  char disc_reason[MAXC][256];
  int disc_count[MAXC];
  int verify_refuse;
} world;

static void on_log(void *ud, rmt_log_level level, const char *msg) {
  world *w = ud;
  (void)level;
  size_t n = strlen(w->log);
  snprintf(w->log + n, sizeof w->log - n, "%s\n", msg);
}

static void on_drop(void *ud, rmt_player_id p, rmt_remote_id r, rmt_drop_reason reason) {
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

static void pump(world *w, int rounds) {
  for (int i = 0; i < rounds; i++) {
    rmt_server_service(w->server, 1);
    for (int c = 0; c < w->nclients; c++)
      if (w->clients[c]) rmt_client_service(w->clients[c], 0);
  }
}

/* Pumps until *flag becomes non-zero or about 3 s pass. */
static void pump_until(world *w, volatile int *flag) {
  for (int i = 0; i < 3000 && !*flag; i++) pump(w, 1);
}

static void start_server(world *w, rmt_server_config *cfg) {
  rmt_server_config c;
  if (cfg) c = *cfg;
  else rmt_server_config_default(&c);
  c.port = 0;
  c.alloc = &w->ac.hook;
  c.log = on_log;
  c.log_ud = w;
  c.on_drop = on_drop;
  c.drop_ud = w;
  c.verify = verify;
  c.verify_ud = w;
  rmt_error err;
  w->server = rmt_server_create(&c, &err);
  assert_non_null(w->server);
}

static rmt_client *new_client(world *w, const char *name, const char *ticket) {
  int i = w->nclients++;
  slots[i].w = w;
  slots[i].index = i;
  rmt_client_config c;
  rmt_client_config_default(&c);
  c.port = rmt_server_port(w->server);
  c.name = name;
  c.alloc = &w->ac.hook;
  c.on_disconnect = on_disconnect;
  c.disconnect_ud = &slots[i];
  c.log = on_log;
  c.log_ud = w;
  c.invoke_timeout_ms = 2000;
  if (ticket) {
    c.ticket = (const uint8_t *)ticket;
    c.ticket_len = strlen(ticket);
  }
  rmt_error err;
  w->clients[i] = rmt_client_create(&c, &err);
  assert_non_null(w->clients[i]);
  return w->clients[i];
}

static void join(world *w, rmt_client *c) {
  for (int i = 0; i < 3000 && rmt_client_get_state(c) == RMT_CLIENT_CONNECTING; i++) pump(w, 1);
  assert_int_equal(rmt_client_get_state(c), RMT_CLIENT_CONNECTED);
}

static void finish(world *w) {
  for (int i = 0; i < w->nclients; i++) rmt_client_destroy(w->clients[i]);
  rmt_server_destroy(w->server);
  assert_int_equal(w->ac.live_blocks, 0);
  assert_false(w->ac.bad_osize);
}

static world *new_world(void) {
  static world w;
  memset(&w, 0, sizeof w);
  alloc_counter_init(&w.ac);
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

static void test_join_registry_and_players(void **state) {
  (void)state;
  world *w = new_world();
  start_server(w, NULL);
  rmt_remote_id early;
  assert_int_equal(rmt_server_create_remote(w->server, "Remotes/PlayerAction", RMT_REMOTE_EVENT, &early), 0);
  assert_int_equal(rmt_server_create_remote(w->server, "Remotes/PlayerAction", RMT_REMOTE_EVENT, NULL), RMT_EEXIST);
  assert_int_equal(rmt_server_create_remote(w->server, "bad//name", RMT_REMOTE_EVENT, NULL), RMT_EINVAL);
  seen added = {0};
  rmt_signal_connect(rmt_server_player_added(w->server), record_seq, &added);
  rmt_client *a = new_client(w, "Alice", NULL);
  join(w, a);
  assert_int_equal(added.count, 1);
  assert_string_equal(rmt_client_player_name(a), "Alice");
  assert_true(rmt_client_player_id(a) != 0);
  assert_string_equal(rmt_server_player_name(w->server, rmt_client_player_id(a)), "Alice");
  assert_int_equal(rmt_client_find_remote(a, "Remotes/PlayerAction"), early);
  rmt_remote_kind kind = 0;
  assert_int_equal(rmt_client_remote_kind(a, early, &kind), RMT_OK);
  assert_int_equal(kind, RMT_REMOTE_EVENT);
  assert_int_equal(rmt_client_remote_kind(a, 4242, &kind), RMT_ENOTFOUND);

  /* Created while connected: the client learns it, and a blocking wait finds it. */
  rmt_remote_id later;
  assert_int_equal(rmt_server_create_remote(w->server, "GetPlayerData", RMT_REMOTE_FUNCTION, &later), 0);
  rmt_remote_id found = 0;
  for (int i = 0; i < 2000 && !found; i++) {
    pump(w, 1);
    found = rmt_client_find_remote(a, "GetPlayerData");
  }
  assert_int_equal(found, later);
  assert_int_equal(rmt_client_wait_remote_sync(a, "GetPlayerData", 100, &found), 0);
  assert_int_equal(rmt_client_wait_remote_sync(a, "Nope", 50, &found), RMT_ETIMEDOUT);

  rmt_client *b = new_client(w, "Bob", NULL);
  join(w, b);
  pump(w, 20);
  assert_int_equal(rmt_client_players(a, NULL, 0), 2);
  assert_int_equal(rmt_client_players(b, NULL, 0), 2);
  assert_string_equal(rmt_client_player_name_of(a, rmt_client_player_id(b)), "Bob");
  rmt_player_id ids[4];
  assert_int_equal(rmt_server_players(w->server, ids, 4), 2);
  assert_int_equal(ids[0], rmt_client_player_id(a));

  /* Destroyed remotes disappear on clients; firing one is a clear error. */
  assert_int_equal(rmt_server_destroy_remote(w->server, early), 0);
  for (int i = 0; i < 2000 && rmt_client_find_remote(a, "Remotes/PlayerAction"); i++) pump(w, 1);
  assert_int_equal(rmt_client_find_remote(a, "Remotes/PlayerAction"), 0);
  rmt_error err;
  rmt_value arg = rmt_num(1);
  assert_int_equal(rmt_client_fire(a, early, &arg, 1, &err), RMT_ENOTFOUND);
  assert_int_equal(rmt_server_fire_all(w->server, early, &arg, 1, &err), RMT_ENOTFOUND);
  finish(w);
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
  join(w, a);
  wait_cb later = {0}, never = {0};
  assert_int_equal(rmt_client_wait_remote(a, "Later", 0, on_found, &later), 0);
  assert_int_equal(rmt_client_wait_remote(a, "Never", 100, on_found, &never), 0);
  pump(w, 5);
  assert_int_equal(later.calls, 0);
  rmt_remote_id id;
  rmt_server_create_remote(w->server, "Later", RMT_REMOTE_EVENT, &id);
  for (int i = 0; i < 2000 && (!later.calls || !never.calls); i++) pump(w, 1);
  assert_int_equal(later.calls, 1);
  assert_int_equal(later.id, id);
  assert_int_equal(never.calls, 1);
  assert_int_equal(never.id, 0);
  /* Already known: reported once, inside the next service. */
  wait_cb known = {0};
  rmt_client_wait_remote(a, "Later", 0, on_found, &known);
  assert_int_equal(known.calls, 0);
  pump(w, 1);
  assert_int_equal(known.calls, 1);
  assert_int_equal(known.id, id);
  finish(w);
}

static void test_fire_order_exactly_once(void **state) {
  (void)state;
  world *w = new_world();
  rmt_server_config cfg;
  rmt_server_config_default(&cfg);
  cfg.event_rate = (rmt_rate){0, 0};
  cfg.byte_rate = (rmt_rate){0, 0};
  start_server(w, &cfg);
  rmt_remote_id ev;
  rmt_server_create_remote(w->server, "PlayerAction", RMT_REMOTE_EVENT, &ev);
  seen got = {.in_order = 1};
  rmt_signal_connect(rmt_server_event_signal(w->server, ev), record_seq, &got);
  rmt_client *a = new_client(w, "Alice", NULL);
  join(w, a);
  const int N = 20000;
  for (int i = 1; i <= N; i++) {
    rmt_value args[2] = {rmt_str("jump"), rmt_num(i)};
    assert_int_equal(rmt_client_fire(a, ev, args, 2, NULL), 0);
    if (i % 500 == 0) pump(w, 1);
  }
  for (int i = 0; i < 5000 && got.count < N; i++) pump(w, 1);
  pump(w, 20);
  assert_int_equal(got.count, N);
  assert_true(got.in_order);
  assert_int_equal(got.player, (int)rmt_client_player_id(a));
  assert_string_equal(got.text, "jump");
  rmt_stats st;
  rmt_server_remote_stats(w->server, ev, &st);
  assert_int_equal(st.events_in, (uint64_t)N);
  finish(w);
}

static void test_server_fires(void **state) {
  (void)state;
  world *w = new_world();
  start_server(w, NULL);
  rmt_remote_id ev;
  rmt_server_create_remote(w->server, "Notify", RMT_REMOTE_EVENT, &ev);
  seen got[3] = {{.in_order = 1}, {.in_order = 1}, {.in_order = 1}};
  rmt_client *c[3];
  const char *names[3] = {"P1", "P2", "P3"};
  for (int i = 0; i < 3; i++) {
    c[i] = new_client(w, names[i], NULL);
    join(w, c[i]);
    rmt_signal_connect(rmt_client_event_signal(c[i], ev), record_seq, &got[i]);
  }
  rmt_player_id id[3];
  for (int i = 0; i < 3; i++) id[i] = rmt_client_player_id(c[i]);
  rmt_value a1[2] = {rmt_str("all"), rmt_num(1)};
  assert_int_equal(rmt_server_fire_all(w->server, ev, a1, 2, NULL), 0);
  rmt_value a2[2] = {rmt_str("one"), rmt_num(2)};
  assert_int_equal(rmt_server_fire_client(w->server, id[1], ev, a2, 2, NULL), 0);
  rmt_value a3[2] = {rmt_str("list"), rmt_num(2)};
  rmt_player_id list[2] = {id[0], id[2]};
  assert_int_equal(rmt_server_fire_list(w->server, list, 2, ev, a3, 2, NULL), 0);
  rmt_value a4[2] = {rmt_str("except"), rmt_num(3)};
  assert_int_equal(rmt_server_fire_all_except(w->server, id[1], ev, a4, 2, NULL), 0);
  for (int i = 0; i < 2000 && (got[0].count < 3 || got[1].count < 2 || got[2].count < 3); i++) pump(w, 1);
  pump(w, 10);
  assert_int_equal(got[0].count, 3);
  assert_int_equal(got[1].count, 2);
  assert_int_equal(got[2].count, 3);
  for (int i = 0; i < 3; i++) assert_true(got[i].in_order);
  assert_string_equal(got[0].text, "except");
  assert_string_equal(got[1].text, "one");
  assert_int_equal(rmt_server_fire_client(w->server, 9999, ev, a1, 2, NULL), RMT_ENOTFOUND);
  finish(w);
}

static void test_queue_before_listen_and_overflow(void **state) {
  (void)state;
  world *w = new_world();
  rmt_server_config cfg;
  rmt_server_config_default(&cfg);
  cfg.queue_limit = 16;
  start_server(w, &cfg);
  rmt_remote_id ev;
  rmt_server_create_remote(w->server, "Early", RMT_REMOTE_EVENT, &ev);
  rmt_client *a = new_client(w, "Alice", NULL);
  join(w, a);
  for (int i = 1; i <= 21; i++) {
    rmt_value arg = rmt_num(i);
    rmt_client_fire(a, ev, &arg, 1, NULL);
  }
  rmt_stats st = {0};
  for (int i = 0; i < 2000 && st.events_in < 21; i++) {
    pump(w, 1);
    rmt_server_remote_stats(w->server, ev, &st);
  }
  assert_int_equal(st.dropped_queue_overflow, 5);
  assert_int_equal(w->drops[RMT_DROP_QUEUE_OVERFLOW], 5);
  assert_non_null(strstr(w->log, "Remote event invocation queue exhausted for ReplicatedStorage.Early; "
                                 "did you forget to implement OnServerEvent? (5 events dropped)"));
  seen got = {.in_order = 1};
  rmt_signal_connect(rmt_server_event_signal(w->server, ev), record_seq, &got);
  pump(w, 2);
  assert_int_equal(got.count, 16);
  assert_true(got.in_order);
  assert_int_equal((int)got.last_seq, 16);
  /* Once drained, new events go straight to the listener. */
  rmt_value arg = rmt_num(17);
  rmt_client_fire(a, ev, &arg, 1, NULL);
  for (int i = 0; i < 2000 && got.count < 17; i++) pump(w, 1);
  assert_int_equal(got.count, 17);
  assert_true(got.in_order);
  finish(w);
}

static void test_client_queue_before_listen(void **state) {
  (void)state;
  world *w = new_world();
  start_server(w, NULL);
  rmt_remote_id ev;
  rmt_server_create_remote(w->server, "Notify", RMT_REMOTE_EVENT, &ev);
  rmt_client *a = new_client(w, "Alice", NULL);
  join(w, a);
  for (int i = 1; i <= 5; i++) {
    rmt_value arg = rmt_num(i);
    rmt_server_fire_all(w->server, ev, &arg, 1, NULL);
  }
  pump(w, 50);
  seen got = {.in_order = 1};
  rmt_signal_connect(rmt_client_event_signal(a, ev), record_seq, &got);
  pump(w, 2);
  assert_int_equal(got.count, 5);
  assert_true(got.in_order);
  finish(w);
}

static void test_rate_limits(void **state) {
  (void)state;
  world *w = new_world();
  rmt_server_config cfg;
  rmt_server_config_default(&cfg);
  cfg.event_rate = (rmt_rate){10, 10};
  start_server(w, &cfg);
  rmt_remote_id ev, buy;
  rmt_server_create_remote(w->server, "Spam", RMT_REMOTE_EVENT, &ev);
  rmt_server_create_remote(w->server, "Purchase", RMT_REMOTE_EVENT, &buy);
  rmt_server_set_remote_rate(w->server, buy, (rmt_rate){2, 2});
  seen got = {.in_order = 1}, bought = {.in_order = 1};
  rmt_signal_connect(rmt_server_event_signal(w->server, ev), record_seq, &got);
  rmt_signal_connect(rmt_server_event_signal(w->server, buy), record_seq, &bought);
  rmt_client *a = new_client(w, "Alice", NULL);
  join(w, a);
  for (int i = 1; i <= 50; i++) {
    rmt_value arg = rmt_num(i);
    rmt_client_fire(a, ev, &arg, 1, NULL);
  }
  rmt_stats st = {0};
  for (int i = 0; i < 2000 && got.count + st.dropped_rate_limit < 50; i++) {
    pump(w, 1);
    rmt_server_player_stats(w->server, rmt_client_player_id(a), &st);
  }
  /* A burst of 10, plus the few tokens refilled while the burst was in flight. */
  assert_true(got.count >= 10 && got.count <= 13);
  assert_int_equal(got.count + (int)st.dropped_rate_limit, 50);
  assert_int_equal(w->drops[RMT_DROP_RATE_LIMIT], (int)st.dropped_rate_limit);
  assert_true(got.in_order); /* the survivors are the first ones, still in order */
  /* The player's bucket is shared by every RemoteEvent: let it refill before the next part. */
  for (uint64_t until = rmt__now_ms() + 1100; rmt__now_ms() < until;) pump(w, 1);
  for (int i = 1; i <= 5; i++) {
    rmt_value arg = rmt_num(i);
    rmt_client_fire(a, buy, &arg, 1, NULL);
  }
  pump(w, 100);
  assert_int_equal(bought.count, 2);
  finish(w);
}

/* ---- invokes ---- */

typedef struct result {
  int done;
  int status;
  double number;
  char message[256];
} result;

static void on_result(void *ud, int status, const rmt_value *v, size_t n, const char *msg) {
  result *r = ud;
  r->done++;
  r->status = status;
  r->number = n && v[0].type == RMT_TNUMBER ? v[0].as.number : -1;
  snprintf(r->message, sizeof r->message, "%s", msg);
}

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
  rmt_server_create_remote(w->server, "GetPlayerData", RMT_REMOTE_FUNCTION, &fn);
  rmt_client *a = new_client(w, "Alice", NULL);
  join(w, a);

  /* No handler yet: the call waits, then fails with "no handler" before its deadline. */
  result nh = {0};
  rmt_value gold = rmt_str("Gold");
  assert_int_equal(rmt_client_invoke(a, fn, &gold, 1, 400, on_result, &nh, NULL), 0);
  pump_until(w, &nh.done);
  assert_int_equal(nh.status, RMT_ENOHANDLER);
  assert_non_null(strstr(nh.message, "no handler"));

  /* An invoke that waits for a handler is answered once one is set. */
  result waited = {0};
  rmt_client_invoke(a, fn, &gold, 1, 2000, on_result, &waited, NULL);
  pump(w, 20);
  assert_int_equal(waited.done, 0);
  rmt_server_on_invoke(w->server, fn, handler, NULL);
  pump_until(w, &waited.done);
  assert_int_equal(waited.status, RMT_OK);
  assert_true(waited.number == 150);

  /* Handler results and handler errors. (The blocking form, rmt_client_invoke_sync, pumps
   * only the client, so it is exercised across processes by tests/examples.sh.) */
  rmt_error err;
  result ok = {0}, bad = {0};
  rmt_client_invoke(a, fn, &gold, 1, 0, on_result, &ok, NULL);
  rmt_value other = rmt_str("Gems");
  rmt_client_invoke(a, fn, &other, 1, 0, on_result, &bad, NULL);
  pump_until(w, &bad.done);
  assert_int_equal(ok.status, RMT_OK);
  assert_int_equal(bad.status, RMT_EHANDLER);
  assert_string_equal(bad.message, "unknown stat");

  /* Late reply: the handler answers after the caller timed out; it is discarded. */
  result late = {0};
  rmt_value later = rmt_str("later");
  rmt_client_invoke(a, fn, &later, 1, 100, on_result, &late, NULL);
  pump_until(w, &late.done);
  assert_int_equal(late.status, RMT_ETIMEDOUT);
  assert_non_null(deferred);
  rmt_value v = rmt_num(1);
  assert_int_equal(rmt_invocation_return(deferred, &v, 1), 0);
  deferred = NULL;
  pump(w, 20);
  assert_int_equal(late.done, 1);

  /* Answers are not invocations: counts agree between the remote and the totals. */
  rmt_stats per_remote, totals;
  rmt_server_remote_stats(w->server, fn, &per_remote);
  rmt_server_remote_stats(w->server, 0, &totals);
  assert_int_equal(per_remote.invokes_in, 5);
  assert_int_equal(per_remote.invokes_in, totals.invokes_in);
  assert_int_equal(per_remote.invokes_out, 0);
  assert_int_equal(totals.invokes_out, 0);
  assert_true(per_remote.bytes_out > 0);

  /* Wrong kind at the caller. */
  assert_int_equal(rmt_client_fire(a, fn, &gold, 1, &err), RMT_ETYPE);
  finish(w);
}

static void test_disconnect_mid_call(void **state) {
  (void)state;
  world *w = new_world();
  start_server(w, NULL);
  rmt_remote_id fn;
  rmt_server_create_remote(w->server, "Slow", RMT_REMOTE_FUNCTION, &fn);
  rmt_server_on_invoke(w->server, fn, handler, NULL);
  rmt_client *a = new_client(w, "Alice", NULL);
  join(w, a);
  result r = {0};
  rmt_value later = rmt_str("later");
  rmt_client_invoke(a, fn, &later, 1, 5000, on_result, &r, NULL);
  for (int i = 0; i < 2000 && !deferred; i++) pump(w, 1);
  assert_non_null(deferred);
  /* The server kicks the caller while its call is pending: the call ends at once. */
  assert_int_equal(rmt_server_kick(w->server, rmt_client_player_id(a), "Bye now"), 0);
  pump_until(w, &r.done);
  assert_int_equal(r.status, RMT_EDISCONNECTED);
  for (int i = 0; i < 2000 && !w->disc_count[0]; i++) pump(w, 1);
  assert_int_equal(w->disc_count[0], 1);
  assert_int_equal(w->disc_status[0], RMT_EREFUSED);
  assert_string_equal(w->disc_reason[0], "Bye now");
  /* Completing the orphaned invocation is harmless. */
  rmt_value v = rmt_num(1);
  assert_int_equal(rmt_invocation_return(deferred, &v, 1), 0);
  deferred = NULL;
  assert_int_equal(rmt_server_players(w->server, NULL, 0), 0);
  finish(w);
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
  rmt_server_create_remote(w->server, "Ask", RMT_REMOTE_FUNCTION, &fn);
  rmt_client *a = new_client(w, "Alice", NULL);
  join(w, a);
  rmt_player_id pid = rmt_client_player_id(a);
  /* A client that never answers cannot hang the server: the call times out. */
  result r1 = {0};
  rmt_value x = rmt_num(21);
  assert_int_equal(rmt_server_invoke_client(w->server, pid, fn, &x, 1, 300, on_result, &r1, NULL), 0);
  pump_until(w, &r1.done);
  assert_true(r1.status == RMT_ENOHANDLER || r1.status == RMT_ETIMEDOUT);
  rmt_client_on_invoke(a, fn, client_handler, NULL);
  result r2 = {0};
  rmt_server_invoke_client(w->server, pid, fn, &x, 1, 1000, on_result, &r2, NULL);
  pump_until(w, &r2.done);
  assert_int_equal(r2.status, RMT_OK);
  assert_true(r2.number == 42);
  /* Pending at destroy: completed with ECANCELED during destroy. */
  result r3 = {0};
  rmt_client_on_invoke(a, fn, NULL, NULL);
  rmt_server_invoke_client(w->server, pid, fn, &x, 1, 5000, on_result, &r3, NULL);
  pump(w, 5);
  rmt_client_destroy(a);
  w->clients[0] = NULL;
  rmt_server_destroy(w->server);
  assert_int_equal(r3.done, 1);
  assert_int_equal(r3.status, RMT_ECANCELED);
  w->server = NULL;
  assert_int_equal(w->ac.live_blocks, 0);
}

static void test_unreliable(void **state) {
  (void)state;
  world *w = new_world();
  start_server(w, NULL);
  rmt_remote_id ev;
  rmt_server_create_remote(w->server, "Pos", RMT_UNRELIABLE_REMOTE_EVENT, &ev);
  seen got = {.in_order = 1};
  rmt_signal_connect(rmt_server_event_signal(w->server, ev), record_seq, &got);
  rmt_client *a = new_client(w, "Alice", NULL);
  join(w, a);
  char big[1100];
  memset(big, 'x', sizeof big);
  rmt_value arg = rmt_lstr(big, sizeof big);
  rmt_error err;
  assert_int_equal(rmt_client_fire(a, ev, &arg, 1, &err), RMT_ETOOBIG);
  assert_non_null(strstr(err.message, "limit is 1000"));
  assert_int_equal(rmt_server_fire_all(w->server, ev, &arg, 1, &err), RMT_ETOOBIG);
  rmt_value ok[2] = {rmt_vector3(1, 2, 3), rmt_num(1)};
  assert_int_equal(rmt_client_fire(a, ev, ok, 2, &err), 0);
  for (int i = 0; i < 2000 && !got.count; i++) pump(w, 1);
  assert_int_equal(got.count, 1); /* loopback does not lose it; never twice */
  pump(w, 20);
  assert_int_equal(got.count, 1);
  finish(w);
}

static void test_refusals(void **state) {
  (void)state;
  world *w = new_world();
  start_server(w, NULL);
  rmt_client_config c;
  rmt_client_config_default(&c);
  c.port = rmt_server_port(w->server);
  c.name = "bad name!";
  rmt_error err;
  assert_null(rmt_client_create(&c, &err));
  assert_int_equal(err.code, RMT_EINVAL);
  assert_non_null(strstr(err.message, "invalid name"));

  rmt_client *bad = new_client(w, "Mallory", "bad");
  for (int i = 0; i < 3000 && !w->disc_count[0]; i++) pump(w, 1);
  assert_int_equal(w->disc_status[0], RMT_EREFUSED);
  assert_string_equal(w->disc_reason[0], "ticket rejected");
  assert_int_equal(rmt_client_wait_connected(bad, 10, &err), RMT_EREFUSED);

  rmt_client *admin = new_client(w, "Someone", "admin");
  join(w, admin);
  assert_string_equal(rmt_client_player_name(admin), "Admin");
  assert_int_equal(rmt_client_user_id(admin), 42);
  assert_int_equal(rmt_server_players(w->server, NULL, 0), 1);
  finish(w);
}

/* A hand-made peer speaking the wire protocol with a chosen version and name. */
static void raw_hello(world *w, uint32_t version, const char *name, int *status, char *reason) {
  ENetHost *h = enet_host_create(NULL, 1, RMT_CHANNEL_COUNT, 0, 0);
  ENetAddress addr;
  enet_address_set_host(&addr, "127.0.0.1");
  addr.port = rmt_server_port(w->server);
  ENetPeer *peer = enet_host_connect(h, &addr, RMT_CHANNEL_COUNT, 0);
  *status = 0;
  for (int i = 0; i < 3000 && !*status; i++) {
    rmt_server_service(w->server, 1);
    ENetEvent ev;
    while (enet_host_service(h, &ev, 0) > 0) {
      if (ev.type == ENET_EVENT_TYPE_CONNECT) {
        rmt_buf body = {0}, msg = {0};
        uint8_t magic[4] = {0x31, 0x54, 0x4d, 0x52};
        rmt_buf_append(&body, magic, 4);
        rmt__put_varint(&body, version);
        rmt__put_lstr(&body, name, strlen(name));
        rmt__put_lstr(&body, "", 0);
        rmt__msg_put(&msg, RMT_MSG_CONTROL, RMT_CTL_HELLO, NULL, 0, body.data, body.len);
        enet_peer_send(peer, 0, enet_packet_create(msg.data, msg.len, ENET_PACKET_FLAG_RELIABLE));
        rmt_buf_free(&body);
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
  assert_non_null(strstr(reason, "protocol version mismatch: server speaks 1, client speaks 99"));
  raw_hello(w, RMT_PROTOCOL_VERSION, "no spaces allowed", &status, reason);
  assert_int_equal(status, RMT_EREFUSED);
  assert_non_null(strstr(reason, "invalid name"));
  raw_hello(w, RMT_PROTOCOL_VERSION, "Fine", &status, reason);
  assert_int_equal(status, 1);
  pump(w, 20);
  finish(w);
}

static void test_server_gone(void **state) {
  (void)state;
  world *w = new_world();
  start_server(w, NULL);
  rmt_client *a = new_client(w, "Alice", NULL);
  join(w, a);
  rmt_remote_id fn;
  rmt_server_create_remote(w->server, "F", RMT_REMOTE_FUNCTION, &fn);
  pump(w, 20);
  rmt_server_destroy(w->server);
  w->server = NULL;
  for (int i = 0; i < 3000 && !w->disc_count[0]; i++) rmt_client_service(a, 1);
  assert_int_equal(w->disc_count[0], 1);
  assert_string_equal(w->disc_reason[0], "server shut down");
  rmt_error err;
  rmt_value v = rmt_num(1);
  assert_int_equal(rmt_client_invoke(a, fn, &v, 1, 100, on_result, NULL, &err), RMT_EDISCONNECTED);
  rmt_client_destroy(a);
  w->clients[0] = NULL;
  assert_int_equal(w->ac.live_blocks, 0);
}

static void test_byte_rate_and_pending_cap(void **state) {
  (void)state;
  world *w = new_world();
  rmt_server_config cfg;
  rmt_server_config_default(&cfg);
  cfg.byte_rate = (rmt_rate){100, 450}; /* about four 100-byte events, then a trickle */
  cfg.max_pending_invokes = 2;
  start_server(w, &cfg);
  rmt_remote_id ev, fn;
  rmt_server_create_remote(w->server, "Big", RMT_REMOTE_EVENT, &ev);
  rmt_server_create_remote(w->server, "Slow", RMT_REMOTE_FUNCTION, &fn);
  rmt_server_on_invoke(w->server, fn, handler, NULL);
  seen got = {.in_order = 1};
  rmt_signal_connect(rmt_server_event_signal(w->server, ev), record_seq, &got);
  rmt_client *a = new_client(w, "Alice", NULL);
  join(w, a);
  char payload[96];
  memset(payload, 'z', sizeof payload);
  for (int i = 1; i <= 10; i++) {
    rmt_value args[2] = {rmt_lstr(payload, sizeof payload), rmt_num(i)};
    rmt_client_fire(a, ev, args, 2, NULL);
  }
  for (int i = 0; i < 2000 && got.count + w->drops[RMT_DROP_BYTE_RATE] < 10; i++) pump(w, 1);
  assert_int_equal(got.count, 4);
  assert_int_equal(w->drops[RMT_DROP_BYTE_RATE], 6);
  assert_true(got.in_order);

  /* Two deferred invokes are pending; the third is refused at once, not queued. */
  for (uint64_t until = rmt__now_ms() + 1100; rmt__now_ms() < until;) pump(w, 1);
  result r[3] = {{0}};
  rmt_value later = rmt_str("later");
  rmt_invocation *held[2] = {NULL, NULL};
  for (int i = 0; i < 3; i++) {
    rmt_client_invoke(a, fn, &later, 1, 3000, on_result, &r[i], NULL);
    for (int k = 0; k < 500 && !deferred && !r[i].done; k++) pump(w, 1);
    if (i < 2) {
      assert_non_null(deferred);
      held[i] = deferred;
      deferred = NULL;
    }
  }
  pump_until(w, &r[2].done);
  assert_int_equal(r[2].status, RMT_ERATELIMIT);
  assert_non_null(strstr(r[2].message, "too many pending invokes"));
  rmt_value v = rmt_num(7);
  for (int i = 0; i < 2; i++) rmt_invocation_return(held[i], &v, 1);
  pump_until(w, &r[1].done);
  assert_int_equal(r[0].status, RMT_OK);
  assert_int_equal(r[1].status, RMT_OK);
  finish(w);
}

static void test_lost_client_detected(void **state) {
  (void)state;
  world *w = new_world();
  rmt_server_config cfg;
  rmt_server_config_default(&cfg);
  cfg.peer_timeout_ms = 600;
  start_server(w, &cfg);
  seen removing = {0};
  rmt_signal_connect(rmt_server_player_removing(w->server), record_seq, &removing);
  rmt_client *a = new_client(w, "Alice", NULL);
  join(w, a);
  /* The client goes silent (a crashed process): the server notices within its timeout. */
  uint64_t start = rmt__now_ms();
  while (!removing.count && rmt__now_ms() - start < 5000) rmt_server_service(w->server, 5);
  assert_int_equal(removing.count, 1);
  assert_int_equal(rmt_server_players(w->server, NULL, 0), 0);
  finish(w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
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
