/* test_net_schema.c - declared argument schemas enforced by a real server over loopback UDP:
 * failing fires never reach a listener and are counted, failing invokes get RMT_EBADARGS. */
#include "net_fixture.h"

typedef struct drop_record {
  rmt_player_id player;
  rmt_remote_id remote;
  rmt_drop_reason reason;
} drop_record;

typedef struct world {
  net_world net;
  rmt_server *server;
  rmt_client *client;
  drop_record drops[64];
  char details[64][RMT_ERROR_MESSAGE_MAX];
  int ndrops;
  int kick_on_drop; /* the hook kicks the sender, as an anti-cheat would */
} world;

static void on_drop(void *ud, rmt_player_id p, rmt_remote_id r, rmt_drop_reason reason,
                    const char *detail) {
  world *w = ud;
  assert_non_null(detail);
  if (w->ndrops < 64) {
    snprintf(w->details[w->ndrops], RMT_ERROR_MESSAGE_MAX, "%s", detail);
    w->drops[w->ndrops++] = (drop_record){p, r, reason};
  }
  if (w->kick_on_drop) assert_int_equal(rmt_server_player_kick(w->server, p, "cheating", NULL), RMT_OK);
}

static world *start(void) {
  static world w;
  memset(&w, 0, sizeof w);
  net_world_init(&w.net, NET_CLOCK_MANUAL);
  rmt_server_config c;
  net_server_config(&w.net, &c);
  c.on_drop = on_drop;
  c.drop_ud = &w;
  w.server = net_start_server(&w.net, &c);
  return &w;
}

static void join(world *w) { w->client = net_join_new(&w->net, "Alice"); }

typedef struct heard {
  int count;
  char last[64];
} heard;

static void listener(void *ud, const rmt_value *args, size_t n) {
  heard *h = ud;
  assert_true(n >= 2);
  assert_int_equal(args[0].type, RMT_TPLAYER);
  h->count++;
  snprintf(h->last, sizeof h->last, "%s", args[1].type == RMT_TSTRING ? args[1].as.string.ptr : "?");
}

static void fire(world *w, rmt_remote_id id, const rmt_value *args, size_t n) {
  rmt_error err;
  assert_int_equal(rmt_client_fire(w->client, id, args, n, &err), 0);
}

static void test_fire_failing_schema_is_dropped(void **state) {
  (void)state;
  world *w = start();
  rmt_remote_id action;
  assert_int_equal(rmt_server_remote_create(w->server, "PlayerAction", RMT_REMOTE_EVENT, &action, NULL), 0);
  rmt_error err;
  /* A bad schema is refused with its column and changes nothing. */
  assert_int_equal(rmt_server_remote_set_schema(w->server, action, "\"vote\" | , string", &err), RMT_EINVAL);
  assert_string_equal(err.message, "column 10: expected a type, found ','");
  assert_int_equal(rmt_server_remote_set_schema(w->server, 999, "string", &err), RMT_ENOTFOUND);
  assert_int_equal(rmt_server_remote_set_schema(w->server, action,
                                         "\"vote\" | \"purchase\", (\"yes\" | \"no\")?", &err), 0);
  heard h = {0};
  rmt_signal_connect(rmt_server_remote_signal(w->server, action), listener, &h);
  join(w);
  rmt_remote_id id = rmt_client_remote_find(w->client, "PlayerAction");
  rmt_player_id me = rmt_client_local_player(w->client);

  rmt_value good[2] = {rmt_str("vote"), rmt_str("yes")};
  rmt_value bad_value[2] = {rmt_str("vote"), rmt_str("maybe")};
  rmt_value bad_action[1] = {rmt_str("hack")};
  rmt_value extra[3] = {rmt_str("vote"), rmt_str("no"), rmt_num(1)};
  rmt_value purchase[1] = {rmt_str("purchase")};
  fire(w, id, good, 2);
  fire(w, id, bad_value, 2);
  fire(w, id, bad_action, 1);
  fire(w, id, extra, 3);
  fire(w, id, purchase, 1);
  for (int i = 0; i < 3000 && h.count < 2; i++) net_pump(&w->net, 1);
  net_pump(&w->net, 20);
  assert_int_equal(h.count, 2); /* good and purchase only */
  assert_string_equal(h.last, "purchase");
  assert_int_equal(w->ndrops, 3);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(w->drops[i].reason, RMT_DROP_SCHEMA);
    assert_int_equal(w->drops[i].remote, action);
    assert_int_equal(w->drops[i].player, me);
    /* the hook gets the schema's own sentence, not just the reason */
    assert_true(strlen(w->details[i]) > 10);
  }
  assert_true(strncmp(w->details[0], "argument 2: ", 12) == 0);
  rmt_stats st;
  assert_int_equal(rmt_server_remote_stats(w->server, action, &st), 0);
  assert_int_equal(st.dropped_schema, 3);
  assert_int_equal(st.dropped_malformed, 0);
  assert_int_equal(st.events_in, 5);
  assert_int_equal(rmt_server_player_stats(w->server, me, &st), 0);
  assert_int_equal(st.dropped_schema, 3);

  /* Clearing the schema lets anything through again. */
  assert_int_equal(rmt_server_remote_set_schema(w->server, action, NULL, &err), 0);
  fire(w, id, bad_action, 1);
  for (int i = 0; i < 3000 && h.count < 3; i++) net_pump(&w->net, 1);
  assert_int_equal(h.count, 3);
  assert_string_equal(h.last, "hack");
  net_world_finish(&w->net);
}

/* Events that arrive before anyone listens are checked when they are delivered. */
static void test_queued_events_are_checked_on_delivery(void **state) {
  (void)state;
  world *w = start();
  rmt_remote_id ev;
  assert_int_equal(rmt_server_remote_create(w->server, "Move", RMT_REMOTE_EVENT, &ev, NULL), 0);
  rmt_error err;
  assert_int_equal(rmt_server_remote_set_schema(w->server, ev, "string, Vector3", &err), 0);
  join(w);
  rmt_remote_id id = rmt_client_remote_find(w->client, "Move");
  rmt_value ok[2] = {rmt_str("walk"), rmt_vector3(1, 2, 3)};
  rmt_value nan_pos[2] = {rmt_str("nan"), rmt_vector3(0, 0.0f / 0.0f, 0)};
  fire(w, id, ok, 2);
  fire(w, id, nan_pos, 2);
  fire(w, id, ok, 2);
  rmt_stats st;
  for (int i = 0; i < 3000; i++) {
    net_pump(&w->net, 1);
    rmt_server_remote_stats(w->server, ev, &st);
    if (st.events_in == 3) break;
  }
  assert_int_equal(st.events_in, 3);
  assert_int_equal(w->ndrops, 0); /* queued, not yet checked */
  heard h = {0};
  rmt_signal_connect(rmt_server_remote_signal(w->server, ev), listener, &h);
  net_pump(&w->net, 5);
  assert_int_equal(h.count, 2);
  assert_int_equal(w->ndrops, 1);
  assert_int_equal(w->drops[0].reason, RMT_DROP_SCHEMA);
  net_world_finish(&w->net);
}

/* Kicking from inside on_drop is safe, and the rest of what the kicked player had in flight
 * (two more bad fires in the same batch, a good one) is neither delivered nor dropped again. */
static void test_kick_inside_on_drop(void **state) {
  (void)state;
  world *w = start();
  w->kick_on_drop = 1;
  rmt_remote_id action;
  assert_int_equal(rmt_server_remote_create(w->server, "PlayerAction", RMT_REMOTE_EVENT, &action, NULL), 0);
  rmt_error err;
  assert_int_equal(rmt_server_remote_set_schema(w->server, action, "string, number", &err), 0);
  heard h = {0};
  rmt_signal_connect(rmt_server_remote_signal(w->server, action), listener, &h);
  join(w);
  rmt_remote_id id = rmt_client_remote_find(w->client, "PlayerAction");
  rmt_value bad[2] = {rmt_str("jump"), rmt_str("high")};
  rmt_value good[2] = {rmt_str("jump"), rmt_num(1)};
  fire(w, id, bad, 2);
  fire(w, id, bad, 2);
  fire(w, id, good, 2);
  fire(w, id, bad, 2);
  for (int i = 0; i < 3000 && rmt_client_state(w->client) != RMT_CLIENT_DISCONNECTED; i++)
    net_pump(&w->net, 1);
  assert_int_equal(rmt_client_state(w->client), RMT_CLIENT_DISCONNECTED);
  assert_int_equal(w->ndrops, 1);
  assert_string_equal(w->details[0], "argument 2: expected number, got string");
  assert_int_equal(h.count, 0);
  assert_null(rmt_server_player_name(w->server, w->drops[0].player)); /* gone after service */
  net_world_finish(&w->net);
}

static int handler_calls;
static void handler(void *ud, rmt_invocation *inv, const rmt_value *args, size_t n) {
  (void)ud;
  handler_calls++;
  assert_int_equal(n, 3);
  rmt_value v = rmt_num(args[2].as.number * 2);
  rmt_invocation_return(inv, &v, 1);
}

static void test_invoke_failing_schema_gets_bad_arguments(void **state) {
  (void)state;
  world *w = start();
  rmt_remote_id fn;
  assert_int_equal(rmt_server_remote_create(w->server, "Double", RMT_REMOTE_FUNCTION, &fn, NULL), 0);
  rmt_error err;
  assert_int_equal(rmt_server_remote_set_schema(w->server, fn, "string(1..8), number(0..1000)", &err), 0);
  assert_int_equal(rmt_server_remote_on_invoke(w->server, fn, handler, NULL), 0);
  handler_calls = 0;
  join(w);
  rmt_remote_id id = rmt_client_remote_find(w->client, "Double");
  rmt_value good[2] = {rmt_str("x"), rmt_num(21)};
  rmt_value bad[2] = {rmt_str("x"), rmt_num(1500)};
  rmt_value nan[2] = {rmt_str("x"), rmt_num(0.0 / 0.0)};
  net_result r1 = {0}, r2 = {0}, r3 = {0};
  assert_int_equal(rmt_client_invoke(w->client, id, good, 2, 2000, net_on_result, &r1, NULL), 0);
  assert_int_equal(rmt_client_invoke(w->client, id, bad, 2, 2000, net_on_result, &r2, NULL), 0);
  assert_int_equal(rmt_client_invoke(w->client, id, nan, 2, 2000, net_on_result, &r3, NULL), 0);
  for (int i = 0; i < 3000 && !(r1.done && r2.done && r3.done); i++) net_pump(&w->net, 1);
  assert_int_equal(r1.status, RMT_OK);
  assert_true(r1.number == 42);
  assert_int_equal(r2.status, RMT_EBADARGS);
  assert_string_equal(r2.message, "bad arguments: argument 2: expected number in 0..1000, got 1500");
  assert_int_equal(r3.status, RMT_EBADARGS);
  assert_string_equal(r3.message, "bad arguments: argument 2: expected number in 0..1000, got NaN "
                                  "(NaN and infinities are refused)");
  assert_int_equal(handler_calls, 1);
  assert_int_equal(w->ndrops, 2);
  assert_int_equal(w->drops[0].reason, RMT_DROP_SCHEMA);
  /* A missing argument is named as such. (The blocking rmt_client_invoke_sync pumps only the
   * client, so it cannot be used with the server in this same thread.) */
  net_result r4 = {0};
  assert_int_equal(rmt_client_invoke(w->client, id, bad, 1, 2000, net_on_result, &r4, NULL), 0);
  for (int i = 0; i < 3000 && !r4.done; i++) net_pump(&w->net, 1);
  assert_int_equal(r4.status, RMT_EBADARGS);
  assert_string_equal(r4.message,
                      "bad arguments: argument 2: expected number in 0..1000, got nil (missing)");
  assert_int_equal(handler_calls, 1);
  net_world_finish(&w->net);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fire_failing_schema_is_dropped),
      cmocka_unit_test(test_queued_events_are_checked_on_delivery),
      cmocka_unit_test(test_invoke_failing_schema_gets_bad_arguments),
      cmocka_unit_test(test_kick_inside_on_drop),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
