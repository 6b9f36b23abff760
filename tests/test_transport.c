/* test_transport.c - the server over the in-memory transport (src/transport_mem.c): joins,
 * refusals, events both ways, BYE, kick and leaving, with no socket and no timing, so every
 * step is checked exactly; and a real client over one too, wired to a server by hand. Must
 * never depend on wall-clock windows or a network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alloc_counter.h"
#include "engine.h"

typedef struct world {
  alloc_counter ac;
  rmt_transport *tr;
  rmt_server *s;
  rmt_remote_id ev;
  int events;            /* OnServerEvent calls */
  rmt_player_id last_from;
  double last_arg;
  int removing;          /* PlayerRemoving calls */
} world;

static void on_event(void *ud, const rmt_value *args, size_t n) {
  world *w = ud;
  w->events++;
  assert_true(n == 2);
  assert_int_equal(args[0].type, RMT_TPLAYER);
  w->last_from = args[0].as.player;
  assert_int_equal(args[1].type, RMT_TNUMBER);
  w->last_arg = args[1].as.number;
}

static void on_removing(void *ud, const rmt_value *args, size_t n) {
  (void)args;
  (void)n;
  ((world *)ud)->removing++;
}

static void start(world *w, uint32_t max_per_address) {
  memset(w, 0, sizeof *w);
  alloc_counter_init(&w->ac);
  w->tr = rmt__transport_mem_create(&w->ac.hook, 1);
  assert_non_null(w->tr);
  rmt_server_config cfg;
  rmt_server_config_default(&cfg);
  cfg.alloc = &w->ac.hook;
  cfg.max_per_address = max_per_address;
  w->s = rmt__server_create_on(&cfg, w->tr, NULL);
  assert_non_null(w->s);
  assert_int_equal(rmt_server_remote_create(w->s, "Ev", RMT_REMOTE_EVENT, &w->ev, NULL), RMT_OK);
  rmt_signal_connect(rmt_server_remote_signal(w->s, w->ev), on_event, w);
  rmt_signal_connect(rmt_server_player_removing(w->s), on_removing, w);
}

static void finish(world *w) {
  rmt_server_destroy(w->s); /* and the transport with it */
  assert_int_equal(w->ac.live_blocks, 0);
  assert_false(w->ac.bad_osize);
}

static void deliver_msg(world *w, rmt_conn *c, rmt_msg_kind kind, uint32_t id,
                        const rmt_buf *body) {
  rmt_buf m = {0};
  assert_int_equal(rmt__msg_put(&m, kind, id, NULL, 0, body ? body->data : NULL,
                                body ? body->len : 0), RMT_OK);
  assert_int_equal(rmt__mem_deliver(w->tr, c, RMT_CHANNEL_RELIABLE, m.data, m.len), RMT_OK);
  rmt_buf_free(&m);
}

static void deliver_hello(world *w, rmt_conn *c, const char *name, uint32_t magic) {
  rmt_buf b = {0};
  uint8_t le[4] = {(uint8_t)magic, (uint8_t)(magic >> 8), (uint8_t)(magic >> 16),
                   (uint8_t)(magic >> 24)};
  assert_int_equal(rmt_buf_append(&b, le, 4), RMT_OK);
  assert_int_equal(rmt__put_varint(&b, RMT_PROTOCOL_VERSION), RMT_OK);
  assert_int_equal(rmt__put_lstr(&b, name, strlen(name)), RMT_OK);
  assert_int_equal(rmt__put_lstr(&b, "", 0), RMT_OK);
  deliver_msg(w, c, RMT_MSG_CONTROL, RMT_CTL_HELLO, &b);
  rmt_buf_free(&b);
}

/* How many messages of `kind` (and control subtype or remote id `id`) c was sent. */
static int count_sent(world *w, rmt_conn *c, rmt_msg_kind kind, uint32_t id) {
  int n = 0;
  const uint8_t *data;
  size_t len;
  for (size_t i = 0; (data = rmt__mem_sent_packet(w->tr, c, i, &len, NULL)); i++) {
    size_t off = 0;
    rmt_msg m;
    int rc;
    while ((rc = rmt__msg_next(data, len, &off, &m)) > 0)
      if (m.kind == kind && m.id == id) n++;
    assert_true(rc == 0); /* the server only sends messages that frame */
  }
  return n;
}

/* The index of the first packet sent to c that holds such a message, or -1. */
static int first_packet_with(world *w, rmt_conn *c, rmt_msg_kind kind, uint32_t id) {
  const uint8_t *data;
  size_t len;
  for (size_t i = 0; (data = rmt__mem_sent_packet(w->tr, c, i, &len, NULL)); i++) {
    size_t off = 0;
    rmt_msg m;
    while (rmt__msg_next(data, len, &off, &m) > 0)
      if (m.kind == kind && m.id == id) return (int)i;
  }
  return -1;
}

static rmt_conn *join(world *w, const char *name, uint32_t address) {
  rmt_conn *c = rmt__mem_connect(w->tr, address);
  assert_non_null(c);
  deliver_hello(w, c, name, RMT_PROTOCOL_MAGIC);
  assert_true(rmt_server_service(w->s, 0) >= 1);
  return c;
}

static void test_join_event_and_leave(void **state) {
  (void)state;
  world w;
  start(&w, 8);
  rmt_conn *c = join(&w, "Ann", 1);
  rmt_player_id pid;
  assert_int_equal(rmt_server_players(w.s, &pid, 1), 1);
  assert_string_equal(rmt_server_player_name(w.s, pid), "Ann");
  assert_int_equal(count_sent(&w, c, RMT_MSG_CONTROL, RMT_CTL_WELCOME), 1);
  assert_int_equal(count_sent(&w, c, RMT_MSG_CONTROL, RMT_CTL_PLAYER_ADDED), 1);
  /* The WELCOME is acknowledged as soon as it is sent here, so the flush that ends the same
   * service already streams the snapshot: the player's own "Player" instance, once. */
  assert_int_equal(count_sent(&w, c, RMT_MSG_REPL, rmt_server_player_instance(w.s, pid)), 1);
  rmt_server_service(w.s, 0);
  assert_int_equal(count_sent(&w, c, RMT_MSG_REPL, rmt_server_player_instance(w.s, pid)), 1);

  /* Client to server: the player comes from the connection. */
  rmt_buf args = {0};
  rmt_value v = rmt_num(42);
  assert_int_equal(rmt_encode(&args, &v, 1, NULL, NULL), RMT_OK);
  deliver_msg(&w, c, RMT_MSG_EVENT, w.ev, &args);
  rmt_buf_free(&args);
  rmt_server_service(w.s, 0);
  assert_int_equal(w.events, 1);
  assert_int_equal(w.last_from, pid);
  assert_true(w.last_arg == 42);

  /* Server to client. */
  assert_int_equal(rmt_server_fire_client(w.s, pid, w.ev, &v, 1, NULL), RMT_OK);
  rmt_server_flush(w.s);
  assert_int_equal(count_sent(&w, c, RMT_MSG_EVENT, w.ev), 1);

  /* The other side goes away: PlayerRemoving, and the player is gone. */
  rmt__mem_hang_up(w.tr, c, 0);
  rmt_server_service(w.s, 0);
  assert_int_equal(w.removing, 1);
  assert_int_equal(rmt_server_players(w.s, NULL, 0), 0);
  finish(&w);
}

static void test_refusals_close_after_the_reason(void **state) {
  (void)state;
  world w;
  start(&w, 1);
  rmt_conn *a = join(&w, "Ann", 7);
  /* A second connection from the same address is over max_per_address. */
  rmt_conn *b = rmt__mem_connect(w.tr, 7);
  rmt_server_service(w.s, 0);
  uint32_t code = 0;
  assert_int_equal(rmt__mem_closed(w.tr, b, &code), RMT_CLOSE_AFTER_SENT);
  assert_int_equal(code, RMT_DISC_REFUSED);
  assert_int_equal(count_sent(&w, b, RMT_MSG_CONTROL, RMT_CTL_REFUSE), 1);
  assert_int_equal(rmt__mem_deliver(w.tr, b, 0, (const uint8_t *)"x", 1), RMT_ESTATE);
  /* A HELLO with the wrong magic, from elsewhere. */
  rmt_conn *c = rmt__mem_connect(w.tr, 8);
  deliver_hello(&w, c, "Bob", 0x12345678u);
  rmt_server_service(w.s, 0);
  assert_int_equal(rmt__mem_closed(w.tr, c, &code), RMT_CLOSE_AFTER_SENT);
  assert_int_equal(count_sent(&w, c, RMT_MSG_CONTROL, RMT_CTL_REFUSE), 1);
  assert_int_equal(count_sent(&w, c, RMT_MSG_CONTROL, RMT_CTL_WELCOME), 0);
  /* A taken name (case aside). */
  rmt_conn *d = join(&w, "aNN", 9);
  assert_int_equal(rmt__mem_closed(w.tr, d, &code), RMT_CLOSE_AFTER_SENT);
  assert_int_equal(rmt_server_players(w.s, NULL, 0), 1);
  assert_int_equal(rmt__mem_closed(w.tr, a, NULL), 0);
  finish(&w);
}

static void test_bye_and_kick(void **state) {
  (void)state;
  world w;
  start(&w, 8);
  rmt_conn *a = join(&w, "Ann", 1);
  rmt_conn *b = join(&w, "Bob", 2);
  assert_int_equal(rmt_server_players(w.s, NULL, 0), 2);
  /* Ann heard that Bob joined. */
  assert_int_equal(count_sent(&w, a, RMT_MSG_CONTROL, RMT_CTL_PLAYER_ADDED), 2);
  /* BYE: closed at once, removed at once. */
  deliver_msg(&w, a, RMT_MSG_CONTROL, RMT_CTL_BYE, NULL);
  rmt_server_service(w.s, 0);
  uint32_t code = 99;
  assert_int_equal(rmt__mem_closed(w.tr, a, &code), RMT_CLOSE_NOW);
  assert_int_equal(code, RMT_DISC_NONE);
  assert_int_equal(w.removing, 1);
  assert_int_equal(count_sent(&w, b, RMT_MSG_CONTROL, RMT_CTL_PLAYER_REMOVED), 1);
  /* Kick: the reason, then a close once it was delivered. */
  rmt_player_id bob;
  assert_int_equal(rmt_server_players(w.s, &bob, 1), 1);
  assert_int_equal(rmt_server_player_kick(w.s, bob, "bye now", NULL), RMT_OK);
  assert_int_equal(count_sent(&w, b, RMT_MSG_CONTROL, RMT_CTL_KICK), 1);
  assert_int_equal(rmt__mem_closed(w.tr, b, &code), RMT_CLOSE_AFTER_SENT);
  assert_int_equal(code, RMT_DISC_KICKED);
  rmt_server_service(w.s, 0);
  assert_int_equal(w.removing, 2);
  assert_int_equal(rmt_server_players(w.s, NULL, 0), 0);
  finish(&w);
}

static void test_deaf_joiner_gets_no_snapshot(void **state) {
  (void)state;
  world w;
  start(&w, 8);
  rmt_instance_id gold;
  assert_int_equal(rmt_server_instance_create(w.s, 0, "IntValue", "Gold", &gold, NULL), RMT_OK);
  rmt_conn *c = rmt__mem_connect(w.tr, 1);
  rmt__mem_deaf(w.tr, c, 1);
  deliver_hello(&w, c, "Ann", RMT_PROTOCOL_MAGIC);
  for (int i = 0; i < 3; i++) rmt_server_service(w.s, 0);
  rmt_player_id pid;
  assert_int_equal(rmt_server_players(w.s, &pid, 1), 1);
  /* A peer that never acknowledged its WELCOME costs the WELCOME, not the tree. */
  assert_int_equal(count_sent(&w, c, RMT_MSG_CONTROL, RMT_CTL_WELCOME), 1);
  assert_int_equal(count_sent(&w, c, RMT_MSG_REPL, gold), 0);
  /* Anything else for it waits behind the snapshot it has not had. */
  rmt_value v = rmt_num(1);
  assert_int_equal(rmt_server_fire_client(w.s, pid, w.ev, &v, 1, NULL), RMT_OK);
  rmt_server_service(w.s, 0);
  assert_int_equal(count_sent(&w, c, RMT_MSG_EVENT, w.ev), 0);
  /* It acknowledges: the tree goes, then what was held behind it. */
  rmt__mem_deaf(w.tr, c, 0);
  rmt_server_service(w.s, 0);
  assert_int_equal(count_sent(&w, c, RMT_MSG_REPL, gold), 1);
  assert_int_equal(count_sent(&w, c, RMT_MSG_EVENT, w.ev), 1);
  assert_true(first_packet_with(&w, c, RMT_MSG_REPL, gold) <
              first_packet_with(&w, c, RMT_MSG_EVENT, w.ev));
  finish(&w);
}

/* ---- a client and a server, each over its own in-memory transport, wired by hand ---- */

/* Both sides' clocks stand still: nothing here may depend on time passing. */
static uint64_t still_clock(void *ud) {
  (void)ud;
  return 1000000;
}

typedef struct pair {
  world w;                 /* the server side */
  rmt_transport *ctr;      /* the client's, owned by the client */
  rmt_conn *sc, *cc;       /* the server's and the client's end of the one connection */
  size_t to_server, to_client; /* packets already carried across */
  int hung_up;
  rmt_client *cl;
  int client_events;
  double client_arg;
  int results, result_status;
  double result;
  int disconnects, disconnect_status;
  char disconnect_reason[64];
} pair;

/* Carries what each end sent to the other, in order, then a close across: the wire. */
static void carry(pair *p) {
  const uint8_t *data;
  size_t len;
  int ch;
  while ((data = rmt__mem_sent_packet(p->ctr, p->cc, p->to_server, &len, &ch))) {
    assert_int_equal(rmt__mem_deliver(p->w.tr, p->sc, ch, data, len), RMT_OK);
    p->to_server++;
  }
  while ((data = rmt__mem_sent_packet(p->w.tr, p->sc, p->to_client, &len, &ch))) {
    assert_int_equal(rmt__mem_deliver(p->ctr, p->cc, ch, data, len), RMT_OK);
    p->to_client++;
  }
  uint32_t code;
  if (!p->hung_up && rmt__mem_closed(p->w.tr, p->sc, &code)) {
    rmt__mem_hang_up(p->ctr, p->cc, code);
    p->hung_up = 1;
  }
}

static void on_client_event(void *ud, const rmt_value *args, size_t n) {
  pair *p = ud;
  assert_true(n == 1 && args[0].type == RMT_TNUMBER);
  p->client_events++;
  p->client_arg = args[0].as.number;
}

static void on_double(void *ud, rmt_invocation *inv, const rmt_value *args, size_t n) {
  (void)ud;
  /* OnServerInvoke: the calling player first, then the arguments. */
  assert_true(n == 2 && args[0].type == RMT_TPLAYER && args[1].type == RMT_TNUMBER);
  rmt_value r = rmt_num(args[1].as.number * 2);
  assert_int_equal(rmt_invocation_return(inv, &r, 1), RMT_OK);
}

static void on_result(void *ud, int status, const rmt_value *results, size_t n,
                      const char *message) {
  (void)message;
  pair *p = ud;
  p->results++;
  p->result_status = status;
  if (status == RMT_OK && n == 1 && results[0].type == RMT_TNUMBER) p->result = results[0].as.number;
}

static void on_client_disconnect(void *ud, int status, const char *reason) {
  pair *p = ud;
  p->disconnects++;
  p->disconnect_status = status;
  snprintf(p->disconnect_reason, sizeof p->disconnect_reason, "%s", reason);
}

static void test_client_over_memory(void **state) {
  (void)state;
  pair p;
  memset(&p, 0, sizeof p);
  start(&p.w, 8);
  rmt_remote_id fn;
  assert_int_equal(rmt_server_remote_create(p.w.s, "Double", RMT_REMOTE_FUNCTION, &fn, NULL),
                   RMT_OK);
  assert_int_equal(rmt_server_remote_on_invoke(p.w.s, fn, on_double, NULL), RMT_OK);
  p.sc = rmt__mem_connect(p.w.tr, 1);
  p.ctr = rmt__transport_mem_create(&p.w.ac.hook, 1);
  assert_non_null(p.ctr);
  p.cc = rmt__mem_connect(p.ctr, 2);
  assert_non_null(p.sc);
  assert_non_null(p.cc);
  rmt_client_config cc;
  rmt_client_config_default(&cc);
  cc.name = "Ann";
  cc.alloc = &p.w.ac.hook;
  cc.clock = still_clock;
  cc.on_disconnect = on_client_disconnect;
  cc.disconnect_ud = &p;
  p.cl = rmt__client_create_on(&cc, p.ctr, p.cc, NULL);
  assert_non_null(p.cl);

  /* Joining: the CONNECT sends HELLO, the server answers WELCOME, the client is in. */
  assert_int_equal(rmt_client_service(p.cl, 0), 1);
  assert_int_equal(rmt__mem_sent(p.ctr, p.cc, NULL), 1);
  assert_int_equal(rmt_client_state(p.cl), RMT_CLIENT_CONNECTING);
  carry(&p);
  assert_true(rmt_server_service(p.w.s, 0) >= 1);
  rmt_player_id pid;
  assert_int_equal(rmt_server_players(p.w.s, &pid, 1), 1);
  carry(&p);
  assert_true(rmt_client_service(p.cl, 0) >= 1);
  assert_int_equal(rmt_client_state(p.cl), RMT_CLIENT_CONNECTED);
  assert_int_equal(rmt_client_local_player(p.cl), pid);
  assert_string_equal(rmt_client_local_name(p.cl), "Ann");
  assert_int_equal(rmt_client_players(p.cl, NULL, 0), 1);
  rmt_remote_id cev = rmt_client_remote_find(p.cl, "Ev"), cfn = rmt_client_remote_find(p.cl, "Double");
  assert_int_equal(cev, p.w.ev);
  assert_int_equal(cfn, fn);
  rmt_signal_connect(rmt_client_remote_signal(p.cl, cev), on_client_event, &p);

  /* Client to server: one fire, heard once, from Ann. */
  rmt_value v = rmt_num(7);
  assert_int_equal(rmt_client_fire(p.cl, cev, &v, 1, NULL), RMT_OK);
  assert_int_equal(rmt_client_flush(p.cl), RMT_OK);
  carry(&p);
  rmt_server_service(p.w.s, 0);
  assert_int_equal(p.w.events, 1);
  assert_int_equal(p.w.last_from, pid);
  assert_true(p.w.last_arg == 7);

  /* Server to client: one fire, heard once. */
  v = rmt_num(9);
  assert_int_equal(rmt_server_fire_client(p.w.s, pid, p.w.ev, &v, 1, NULL), RMT_OK);
  rmt_server_flush(p.w.s);
  carry(&p);
  rmt_client_service(p.cl, 0);
  assert_int_equal(p.client_events, 1);
  assert_true(p.client_arg == 9);

  /* One invoke: out in one service, answered in the server's, completed in the next. */
  v = rmt_num(21);
  assert_int_equal(rmt_client_invoke(p.cl, cfn, &v, 1, 0, on_result, &p, NULL), RMT_OK);
  rmt_client_flush(p.cl);
  carry(&p);
  rmt_server_service(p.w.s, 0);
  carry(&p);
  assert_int_equal(p.results, 0);
  rmt_client_service(p.cl, 0);
  assert_int_equal(p.results, 1);
  assert_int_equal(p.result_status, RMT_OK);
  assert_true(p.result == 42);

  /* Disconnect: the server kicks; the client hears the reason, then the close. */
  assert_int_equal(rmt_server_player_kick(p.w.s, pid, "bye now", NULL), RMT_OK);
  rmt_server_service(p.w.s, 0);
  assert_int_equal(p.w.removing, 1);
  carry(&p);
  assert_int_equal(p.disconnects, 0);
  rmt_client_service(p.cl, 0);
  assert_int_equal(p.disconnects, 1);
  assert_int_equal(p.disconnect_status, RMT_EREFUSED);
  assert_string_equal(p.disconnect_reason, "bye now");
  assert_int_equal(rmt_client_state(p.cl), RMT_CLIENT_DISCONNECTED);
  /* Nothing else crossed: the client sent HELLO, the fire and the invoke, no more. */
  assert_int_equal(rmt__mem_sent(p.ctr, p.cc, NULL), 3);
  rmt_client_destroy(p.cl); /* and its transport */
  finish(&p.w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_join_event_and_leave),
      cmocka_unit_test(test_refusals_close_after_the_reason),
      cmocka_unit_test(test_bye_and_kick),
      cmocka_unit_test(test_deaf_joiner_gets_no_snapshot),
      cmocka_unit_test(test_client_over_memory),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
