/* test_limits.c - every configurable limit of the server, met exactly and then gone one
 * past, over real UDP loopback: value depth, element count, string length, message bytes,
 * number of players, handshake time (on the fixture's manual clock). (Rate, byte-rate,
 * pending-invoke, queue and the unreliable payload limits are covered the same way in
 * test_net.c.) */
#include "engine.h"
#include "net_fixture.h"

typedef struct world {
  net_world net;
  int received;
  int malformed;
} world;

static void on_drop(void *ud, rmt_player_id p, rmt_remote_id r, rmt_drop_reason reason,
                    const char *detail) {
  (void)detail;
  (void)p;
  (void)r;
  if (reason == RMT_DROP_MALFORMED) ((world *)ud)->malformed++;
}

static void on_event(void *ud, const rmt_value *args, size_t n) {
  (void)args;
  (void)n;
  ((world *)ud)->received++;
}

/* The server with `adjust` applied to the fixture's config, and a RemoteEvent "Ev" counted. */
static rmt_remote_id start(world *w, void (*adjust)(rmt_server_config *)) {
  memset(w, 0, sizeof *w);
  net_world_init(&w->net, NET_CLOCK_MANUAL);
  rmt_server_config c;
  net_server_config(&w->net, &c);
  if (adjust) adjust(&c);
  c.on_drop = on_drop;
  c.drop_ud = w;
  net_start_server(&w->net, &c);
  rmt_remote_id ev;
  assert_int_equal(rmt_server_remote_create(w->net.server, "Ev", RMT_REMOTE_EVENT, &ev, NULL), 0);
  rmt_signal_connect(rmt_server_remote_signal(w->net.server, ev), on_event, w);
  return ev;
}

/* Fires `at` (must arrive) then `past` (must be dropped as malformed, connection kept). */
static void at_then_past(world *w, rmt_remote_id ev, const rmt_value *at, const rmt_value *past) {
  rmt_client *c = w->net.clients[0];
  assert_int_equal(rmt_client_fire(c, ev, at, 1, NULL), 0);
  net_pump_count(&w->net, &w->received, 1);
  assert_int_equal(w->received, 1);
  assert_int_equal(rmt_client_fire(c, ev, past, 1, NULL), 0);
  net_pump_count(&w->net, &w->malformed, 1);
  assert_int_equal(w->malformed, 1);
  assert_int_equal(w->received, 1);
  /* The sender is still connected and served. */
  assert_int_equal(rmt_client_fire(c, ev, at, 1, NULL), 0);
  net_pump_count(&w->net, &w->received, 2);
  assert_int_equal(w->received, 2);
}

/* a top-level table is depth 0: three nested tables fit */
static void depth_2(rmt_server_config *cfg) { cfg->limits.max_depth = 2; }

static void test_depth(void **state) {
  (void)state;
  world w;
  rmt_remote_id ev = start(&w, depth_2);
  net_join_new(&w.net, "A");
  rmt_value v[6];
  v[0] = rmt_num(1);
  for (int i = 1; i < 6; i++) v[i] = rmt_array(&v[i - 1], 1);
  at_then_past(&w, ev, &v[3], &v[4]);
  net_world_finish(&w.net);
}

/* the table itself counts as one */
static void elements_10(rmt_server_config *cfg) { cfg->limits.max_elements = 10; }

static void test_elements(void **state) {
  (void)state;
  world w;
  rmt_remote_id ev = start(&w, elements_10);
  net_join_new(&w.net, "A");
  rmt_value items[10];
  for (int i = 0; i < 10; i++) items[i] = rmt_num(i);
  rmt_value at = rmt_array(items, 9), past = rmt_array(items, 10);
  at_then_past(&w, ev, &at, &past);
  net_world_finish(&w.net);
}

static void string_16(rmt_server_config *cfg) { cfg->limits.max_string = 16; }

static void test_string(void **state) {
  (void)state;
  world w;
  rmt_remote_id ev = start(&w, string_16);
  net_join_new(&w.net, "A");
  const char *s = "0123456789abcdefX";
  rmt_value at = rmt_lstr(s, 16), past = rmt_lstr(s, 17);
  at_then_past(&w, ev, &at, &past);
  net_world_finish(&w.net);
}

static void bytes_64(rmt_server_config *cfg) { cfg->limits.max_bytes = 64; }

static void test_message_bytes(void **state) {
  (void)state;
  world w;
  rmt_remote_id ev = start(&w, bytes_64);
  net_join_new(&w.net, "A");
  /* One argument list: array header (1) + str8 header (2) + n bytes. */
  char buf[80];
  memset(buf, 'b', sizeof buf);
  rmt_value at = rmt_lstr(buf, 61), past = rmt_lstr(buf, 62);
  rmt_buf b = {0};
  rmt_encode(&b, &at, 1, NULL, NULL);
  assert_int_equal(b.len, 64);
  rmt_buf_free(&b);
  at_then_past(&w, ev, &at, &past);
  net_world_finish(&w.net);
}

static void players_2(rmt_server_config *cfg) { cfg->max_players = 2; }

static void test_max_players(void **state) {
  (void)state;
  world w;
  start(&w, players_2);
  net_join_new(&w.net, "A");
  net_join_new(&w.net, "B");
  rmt_client_config cc;
  net_client_config(&w.net, &cc, "C");
  rmt_client *c = net_add_client(&w.net, &cc);
  assert_int_equal(net_settle(&w.net, c), RMT_CLIENT_DISCONNECTED);
  rmt_error err;
  assert_int_equal(rmt_client_wait_connected(c, 10, &err), RMT_EREFUSED);
  assert_string_equal(err.message, "server is full");
  assert_int_equal(rmt_server_players(w.net.server, NULL, 0), 2);
  net_world_finish(&w.net);
}

static void handshake_300(rmt_server_config *cfg) { cfg->handshake_timeout_ms = 300; }

static void test_handshake_time(void **state) {
  (void)state;
  world w;
  start(&w, handshake_300);
  /* A peer that connects and never says HELLO is dropped once the handshake time has
   * passed on the server's clock: not at 300 ms, and by the next sweep (every 100 ms) after. */
  rmt_server *server = w.net.server;
  ENetHost *h = enet_host_create(NULL, 1, RMT_CHANNEL_COUNT, 0, 0);
  ENetAddress addr;
  enet_address_set_host(&addr, "127.0.0.1");
  addr.port = rmt_server_port(server);
  enet_host_connect(h, &addr, RMT_CHANNEL_COUNT, 0);
  int connected = 0, dropped = 0;
  for (int i = 0; i < NET_ROUNDS && !connected; i++) {
    rmt_server_service(server, 1);
    ENetEvent ev;
    while (enet_host_service(h, &ev, 0) > 0) {
      if (ev.type == ENET_EVENT_TYPE_CONNECT) connected = 1;
      if (ev.type == ENET_EVENT_TYPE_RECEIVE) enet_packet_destroy(ev.packet);
    }
  }
  assert_true(connected);
  /* rounds of the loopback exchange with the clock standing still: the peer stays */
  for (int step = 0; step < 4; step++) {
    test_clock_advance_ms(&w.net.clock, step == 0 ? 0 : 100); /* 0, 100, 200, 300 ms */
    for (int i = 0; i < 50; i++) {
      rmt_server_service(server, 1);
      ENetEvent ev;
      while (enet_host_service(h, &ev, 0) > 0) {
        if (ev.type == ENET_EVENT_TYPE_DISCONNECT) dropped = 1;
        if (ev.type == ENET_EVENT_TYPE_RECEIVE) enet_packet_destroy(ev.packet);
      }
    }
    assert_false(dropped);
  }
  test_clock_advance_ms(&w.net.clock, 100); /* 400 ms: past the limit, a sweep is due */
  for (int i = 0; i < NET_ROUNDS && !dropped; i++) {
    rmt_server_service(server, 1);
    ENetEvent ev;
    while (enet_host_service(h, &ev, 0) > 0) {
      if (ev.type == ENET_EVENT_TYPE_DISCONNECT) dropped = 1;
      if (ev.type == ENET_EVENT_TYPE_RECEIVE) enet_packet_destroy(ev.packet);
    }
  }
  enet_host_destroy(h);
  assert_true(dropped);
  net_world_finish(&w.net);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_depth),         cmocka_unit_test(test_elements),
      cmocka_unit_test(test_string),        cmocka_unit_test(test_message_bytes),
      cmocka_unit_test(test_max_players),   cmocka_unit_test(test_handshake_time),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
