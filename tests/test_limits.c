/* test_limits.c - every configurable limit of the server, met exactly and then gone one
 * past, over real UDP loopback: value depth, element count, string length, message bytes,
 * number of players, handshake time. (Rate, byte-rate, pending-invoke, queue and the
 * unreliable payload limits are covered the same way in test_net.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "alloc_counter.h"
#include "engine.h"
#include "remotes.h"

typedef struct world {
  alloc_counter ac;
  rmt_server *server;
  rmt_client *clients[4];
  int nclients;
  int received;
  int malformed;
} world;

static void on_drop(void *ud, rmt_player_id p, rmt_remote_id r, rmt_drop_reason reason) {
  (void)p;
  (void)r;
  if (reason == RMT_DROP_MALFORMED) ((world *)ud)->malformed++;
}

static void on_event(void *ud, const rmt_value *args, size_t n) {
  (void)args;
  (void)n;
  ((world *)ud)->received++;
}

static void pump(world *w, int rounds) {
  for (int i = 0; i < rounds; i++) {
    rmt_server_service(w->server, 1);
    for (int c = 0; c < w->nclients; c++) rmt_client_service(w->clients[c], 0);
  }
}

static rmt_remote_id start(world *w, const rmt_server_config *cfg) {
  memset(w, 0, sizeof *w);
  alloc_counter_init(&w->ac);
  rmt_server_config c = *cfg;
  c.alloc = &w->ac.hook;
  c.on_drop = on_drop;
  c.drop_ud = w;
  w->server = rmt_server_create(&c, NULL);
  assert_non_null(w->server);
  rmt_remote_id ev;
  assert_int_equal(rmt_server_create_remote(w->server, "Ev", RMT_REMOTE_EVENT, &ev), 0);
  rmt_signal_connect(rmt_server_event_signal(w->server, ev), on_event, w);
  return ev;
}

static rmt_client *add_client(world *w, const char *name) {
  rmt_client_config cc;
  rmt_client_config_default(&cc);
  cc.port = rmt_server_port(w->server);
  cc.name = name;
  cc.alloc = &w->ac.hook;
  rmt_client *c = rmt_client_create(&cc, NULL);
  assert_non_null(c);
  w->clients[w->nclients++] = c;
  for (int i = 0; i < 3000 && rmt_client_get_state(c) == RMT_CLIENT_CONNECTING; i++) pump(w, 1);
  return c;
}

static void finish(world *w) {
  for (int i = 0; i < w->nclients; i++) rmt_client_destroy(w->clients[i]);
  rmt_server_destroy(w->server);
  assert_int_equal(w->ac.live_blocks, 0);
}

/* Fires `at` (must arrive) then `past` (must be dropped as malformed, connection kept). */
static void at_then_past(world *w, rmt_remote_id ev, const rmt_value *at, const rmt_value *past) {
  rmt_client *c = w->clients[0];
  assert_int_equal(rmt_client_fire(c, ev, at, 1, NULL), 0);
  for (int i = 0; i < 2000 && w->received < 1; i++) pump(w, 1);
  assert_int_equal(w->received, 1);
  assert_int_equal(rmt_client_fire(c, ev, past, 1, NULL), 0);
  for (int i = 0; i < 2000 && w->malformed < 1; i++) pump(w, 1);
  assert_int_equal(w->malformed, 1);
  assert_int_equal(w->received, 1);
  /* The sender is still connected and served. */
  assert_int_equal(rmt_client_fire(c, ev, at, 1, NULL), 0);
  for (int i = 0; i < 2000 && w->received < 2; i++) pump(w, 1);
  assert_int_equal(w->received, 2);
}

static void test_depth(void **state) {
  (void)state;
  world w;
  rmt_server_config cfg;
  rmt_server_config_default(&cfg);
  cfg.limits.max_depth = 2; /* a top-level table is depth 0: three nested tables fit */
  rmt_remote_id ev = start(&w, &cfg);
  add_client(&w, "A");
  rmt_value v[6];
  v[0] = rmt_num(1);
  for (int i = 1; i < 6; i++) v[i] = rmt_array(&v[i - 1], 1);
  at_then_past(&w, ev, &v[3], &v[4]);
  finish(&w);
}

static void test_elements(void **state) {
  (void)state;
  world w;
  rmt_server_config cfg;
  rmt_server_config_default(&cfg);
  cfg.limits.max_elements = 10; /* the table itself counts as one */
  rmt_remote_id ev = start(&w, &cfg);
  add_client(&w, "A");
  rmt_value items[10];
  for (int i = 0; i < 10; i++) items[i] = rmt_num(i);
  rmt_value at = rmt_array(items, 9), past = rmt_array(items, 10);
  at_then_past(&w, ev, &at, &past);
  finish(&w);
}

static void test_string(void **state) {
  (void)state;
  world w;
  rmt_server_config cfg;
  rmt_server_config_default(&cfg);
  cfg.limits.max_string = 16;
  rmt_remote_id ev = start(&w, &cfg);
  add_client(&w, "A");
  const char *s = "0123456789abcdefX";
  rmt_value at = rmt_lstr(s, 16), past = rmt_lstr(s, 17);
  at_then_past(&w, ev, &at, &past);
  finish(&w);
}

static void test_message_bytes(void **state) {
  (void)state;
  world w;
  rmt_server_config cfg;
  rmt_server_config_default(&cfg);
  cfg.limits.max_bytes = 64;
  rmt_remote_id ev = start(&w, &cfg);
  add_client(&w, "A");
  /* One argument list: array header (1) + str8 header (2) + n bytes. */
  char buf[80];
  memset(buf, 'b', sizeof buf);
  rmt_value at = rmt_lstr(buf, 61), past = rmt_lstr(buf, 62);
  rmt_buf b = {0};
  rmt_encode(&b, &at, 1, NULL, NULL);
  assert_int_equal(b.len, 64);
  rmt_buf_free(&b);
  at_then_past(&w, ev, &at, &past);
  finish(&w);
}

static void test_max_players(void **state) {
  (void)state;
  world w;
  rmt_server_config cfg;
  rmt_server_config_default(&cfg);
  cfg.max_players = 2;
  start(&w, &cfg);
  add_client(&w, "A");
  add_client(&w, "B");
  rmt_client *c = add_client(&w, "C");
  assert_int_equal(rmt_client_get_state(w.clients[1]), RMT_CLIENT_CONNECTED);
  for (int i = 0; i < 3000 && rmt_client_get_state(c) != RMT_CLIENT_DISCONNECTED; i++) pump(&w, 1);
  rmt_error err;
  assert_int_equal(rmt_client_wait_connected(c, 10, &err), RMT_EREFUSED);
  assert_string_equal(err.message, "server is full");
  assert_int_equal(rmt_server_players(w.server, NULL, 0), 2);
  finish(&w);
}

static void test_handshake_time(void **state) {
  (void)state;
  world w;
  rmt_server_config cfg;
  rmt_server_config_default(&cfg);
  cfg.handshake_timeout_ms = 300;
  start(&w, &cfg);
  /* A peer that connects and never says HELLO is dropped once the handshake time passes. */
  ENetHost *h = enet_host_create(NULL, 1, RMT_CHANNEL_COUNT, 0, 0);
  ENetAddress addr;
  enet_address_set_host(&addr, "127.0.0.1");
  addr.port = rmt_server_port(w.server);
  enet_host_connect(h, &addr, RMT_CHANNEL_COUNT, 0);
  uint64_t start_ms = rmt__now_ms(), connected_at = 0, dropped_at = 0;
  while (!dropped_at && rmt__now_ms() - start_ms < 5000) {
    rmt_server_service(w.server, 1);
    ENetEvent ev;
    while (enet_host_service(h, &ev, 0) > 0) {
      if (ev.type == ENET_EVENT_TYPE_CONNECT) connected_at = rmt__now_ms();
      if (ev.type == ENET_EVENT_TYPE_DISCONNECT) dropped_at = rmt__now_ms();
      if (ev.type == ENET_EVENT_TYPE_RECEIVE) enet_packet_destroy(ev.packet);
    }
  }
  enet_host_destroy(h);
  assert_true(connected_at != 0);
  assert_true(dropped_at != 0);
  assert_true(dropped_at - connected_at >= 250); /* not before the limit */
  assert_true(dropped_at - connected_at < 2000);
  finish(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_depth),         cmocka_unit_test(test_elements),
      cmocka_unit_test(test_string),        cmocka_unit_test(test_message_bytes),
      cmocka_unit_test(test_max_players),   cmocka_unit_test(test_handshake_time),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
