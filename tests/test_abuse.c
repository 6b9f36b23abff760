/* test_abuse.c - issue 10: nothing a client sends takes the server down. Each test attacks
 * one resource (ENet's reassembly buffers, the unreliable size limit, the queue before a
 * listener, names, connections per address, the join snapshot) with raw ENet peers or real
 * clients over loopback, and asserts what the server holds and that a good client is served. */
#define _POSIX_C_SOURCE 200809L
#include <malloc.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "alloc_counter.h"
#include "net_fixture.h"
#include "engine.h"
#include "protocol.h"
#include "raw_peer.h"
#include "remotes.h"

/* ---- ENet's own heap, counted: its allocations do not go through rmt_allocator ---- */

static long long enet_live, enet_peak;

static void *count_malloc(size_t n) {
  void *p = malloc(n);
  if (p) {
    enet_live += (long long)malloc_usable_size(p);
    if (enet_live > enet_peak) enet_peak = enet_live;
  }
  return p;
}

static void count_free(void *p) {
  if (p) enet_live -= (long long)malloc_usable_size(p);
  free(p);
}

/* Installed after the library initialised ENet (which installs plain malloc/free): blocks
 * allocated before are freed through count_free too, which only lowers the count, so the
 * growth measured from here is never overstated by them. */
static void count_enet_allocations(void) {
  ENetCallbacks cb = {count_malloc, count_free, NULL};
  assert_int_equal(enet_initialize_with_callbacks(ENET_VERSION, &cb), 0);
  enet_peak = enet_live;
}

/* ---- the world: one server, one good client ---- */

typedef struct world {
  net_world net; /* on real time: the floods and their refills are real */
  rmt_server *server;
  rmt_client *good;
  rmt_remote_id echo, ev, unrel;
  long drops[16];
  rmt_player_id drop_player[16]; /* the last player dropped for each reason */
  char drop_detail[16][RMT_ERROR_MESSAGE_MAX]; /* the last detail for each reason */
  long answered, failed;
  long events_seen;
  double last_len; /* unreliable listener: length of the last string received */
} world;

static void on_drop(void *ud, rmt_player_id p, rmt_remote_id r, rmt_drop_reason reason,
                    const char *detail) {
  world *w = ud;
  (void)r;
  if ((int)reason < 16) {
    w->drops[reason]++;
    w->drop_player[reason] = p;
    snprintf(w->drop_detail[reason], sizeof w->drop_detail[reason], "%s", detail);
  }
}

static void on_unrel(void *ud, const rmt_value *args, size_t nargs) {
  world *w = ud;
  w->events_seen++;
  if (nargs >= 2 && args[1].type == RMT_TSTRING) w->last_len = (double)args[1].as.string.len;
}

static void pump(world *w) {
  rmt_server_service(w->server, 1);
  if (w->good) rmt_client_service(w->good, 0);
}

static world *new_world(void) {
  static world w;
  memset(&w, 0, sizeof w);
  net_world_init(&w.net, NET_CLOCK_REAL);
  return &w;
}

static void start_server(world *w, const rmt_server_config *cfg) {
  rmt_server_config sc;
  if (cfg) sc = *cfg;
  else rmt_server_config_default(&sc);
  sc.alloc = &w->net.sac.hook;
  sc.log = net_quiet_log;
  sc.on_drop = on_drop;
  sc.drop_ud = w;
  w->server = net_start_server(&w->net, &sc);
  assert_int_equal(rmt_server_remote_create(w->server, "Echo", RMT_REMOTE_FUNCTION, &w->echo, NULL), 0);
  assert_int_equal(rmt_server_remote_create(w->server, "Ev", RMT_REMOTE_EVENT, &w->ev, NULL), 0);
  assert_int_equal(rmt_server_remote_create(w->server, "U", RMT_UNRELIABLE_REMOTE_EVENT, &w->unrel, NULL), 0);
  rmt_server_remote_on_invoke(w->server, w->echo, net_echo_handler, w);
}

static rmt_client *join_client(world *w, const char *name) {
  rmt_client_config cc;
  net_client_config(&w->net, &cc, name);
  cc.log = net_quiet_log;
  rmt_client *c = net_add_client(&w->net, &cc);
  net_settle(&w->net, c);
  return c;
}

static void start(world *w, const rmt_server_config *cfg) {
  start_server(w, cfg);
  w->good = join_client(w, "Good");
  assert_int_equal(rmt_client_state(w->good), RMT_CLIENT_CONNECTED);
}

static void on_answer(void *ud, int status, const rmt_value *res, size_t nres, const char *msg) {
  world *w = ud;
  (void)res;
  (void)nres;
  if (status == RMT_OK) w->answered++;
  else {
    w->failed++;
    fprintf(stderr, "good client's invoke failed: %s (%s)\n", rmt_status_name(status), msg);
  }
}

/* The good client invokes Echo n times, one at a time; returns how many answered OK. */
static long good_calls(world *w, int n) {
  w->answered = w->failed = 0;
  for (int i = 0; i < n; i++) {
    long before = w->answered + w->failed;
    rmt_value v = rmt_num(i);
    assert_int_equal(rmt_client_invoke(w->good, w->echo, &v, 1, 5000, on_answer, w, NULL), 0);
    for (uint64_t t = rmt__now_ms() + 6000; w->answered + w->failed == before && rmt__now_ms() < t;)
      pump(w);
  }
  return w->answered;
}

static void finish(world *w) { net_world_finish(&w->net); }

static void sleep_us(long us) {
  struct timespec ts = {0, us * 1000};
  nanosleep(&ts, NULL);
}

/* ---- 1. packets one fragment short ---- */

/* Queues a reliable packet of `size` bytes and takes its last fragment back out of ENet's
 * outgoing queue before it is ever sent: the server reassembles a packet that never
 * completes, and every later packet on the channel waits behind it. */
static void send_one_fragment_short(bot *b, size_t size) {
  ENetPacket *pk = enet_packet_create(NULL, size, ENET_PACKET_FLAG_RELIABLE);
  assert_non_null(pk);
  memset(pk->data, 0x5a, size);
  assert_int_equal(enet_peer_send(b->peer, 0, pk), 0);
  ENetOutgoingCommand *last = enet_list_back(&b->peer->outgoingCommands);
  assert_int_equal(last->command.header.command & ENET_PROTOCOL_COMMAND_MASK,
                   ENET_PROTOCOL_COMMAND_SEND_FRAGMENT);
  enet_list_remove(&last->outgoingCommandList);
  last->packet->referenceCount--; /* the other fragments still hold it */
  enet_free(last);
}

/* The attackers run in a child process, so the server's process counts only its own ENet
 * memory. They join, send their packets, then keep their connections alive until killed. */
static void fragment_child(uint16_t port, int nbots, int npackets, size_t size) {
  static bot bots[16];
  prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a parent that failed an assertion */
  char name[32];
  for (int i = 0; i < nbots; i++) bot_open(&bots[i], port);
  int hello[16] = {0};
  for (uint64_t t = rmt__now_ms() + 5000; rmt__now_ms() < t;) {
    int joined = 0;
    for (int i = 0; i < nbots; i++) {
      bot_service(&bots[i]);
      if (bots[i].connected && !hello[i]) {
        snprintf(name, sizeof name, "Frag%d", i);
        bot_hello(&bots[i], name);
        hello[i] = 1;
      }
      joined += bots[i].joined;
    }
    if (joined == nbots) break;
    sleep_us(200);
  }
  for (int i = 0; i < nbots; i++)
    for (int k = 0; k < npackets; k++) send_one_fragment_short(&bots[i], size);
  for (uint64_t t = rmt__now_ms() + 60000; rmt__now_ms() < t;) {
    for (int i = 0; i < nbots; i++) bot_service(&bots[i]);
    sleep_us(200);
  }
}

static void test_unfinished_packets_bounded(void **state) {
  (void)state;
  enum { NBOTS = 6, NPACKETS = 48 };
  world *w = new_world();
  rmt_server_config sc;
  rmt_server_config_default(&sc);
  sc.limits.max_bytes = 64 * 1024; /* the largest legal packet is max_bytes + 64 */
  sc.limits.max_string = 32 * 1024;
  start(w, &sc);
  size_t max_packet = rmt__max_packet(&sc.limits, sc.batch_bytes);
  size_t max_waiting = rmt__max_waiting(&sc.limits, sc.batch_bytes);
  count_enet_allocations();
  long long base = enet_live;
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    fragment_child(rmt_server_port(w->server), NBOTS, NPACKETS, max_packet);
    _exit(0);
  }
  /* Serve until every attacker joined and ENet's heap stopped growing for a second. */
  uint64_t deadline = rmt__now_ms() + 20000, still_since = rmt__now_ms();
  long long last_peak = enet_peak;
  while (rmt__now_ms() < deadline) {
    pump(w);
    if (enet_peak != last_peak) {
      last_peak = enet_peak;
      still_since = rmt__now_ms();
    }
    if (rmt_server_players(w->server, NULL, 0) == NBOTS + 1 && enet_peak > base + (long long)max_packet &&
        rmt__now_ms() - still_since > 1000)
      break;
  }
  long long grown = enet_peak - base;
  long long bound = NBOTS * (long long)(max_waiting + max_packet) + 256 * 1024;
  fprintf(stderr,
          "unfinished packets: %d peers x %d packets of %zu bytes one fragment short: server's "
          "ENet heap grew by %lld KiB (bound %lld KiB; %d x %zu KiB sent)\n",
          NBOTS, NPACKETS, max_packet, grown / 1024, bound / 1024, NBOTS,
          NPACKETS * max_packet / 1024);
  assert_int_equal(rmt_server_players(w->server, NULL, 0), NBOTS + 1);
  assert_true(grown > (long long)max_packet); /* the attack did reach the server */
  assert_true(grown <= bound);
  /* The good client is still served while the attackers hold their share. */
  assert_int_equal(good_calls(w, 20), 20);
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  finish(w);
}

/* ---- 2. the UnreliableRemoteEvent size limit, enforced where it is received ---- */

/* An EVENT for `remote` whose encoded arguments (one string) are exactly `payload` bytes. */
static void put_sized_event(rmt_buf *msg, rmt_remote_id remote, size_t payload) {
  static char text[2048];
  memset(text, 'u', sizeof text);
  rmt_value arg = rmt_lstr(text, payload - 4); /* fixarray + str16 header = 4 bytes */
  rmt_buf body = {0};
  assert_int_equal(rmt_encode(&body, &arg, 1, NULL, NULL), 0);
  assert_int_equal(body.len, payload);
  msg->len = 0;
  assert_int_equal(rmt__msg_put(msg, RMT_MSG_EVENT, remote, NULL, 0, body.data, body.len), 0);
  rmt_buf_free(&body);
}

static void test_unreliable_limit_enforced_by_receiver(void **state) {
  (void)state;
  world *w = new_world();
  start(w, NULL);
  rmt_signal_connect(rmt_server_remote_signal(w->server, w->unrel), on_unrel, w);
  bot b;
  bot_open(&b, rmt_server_port(w->server));
  for (uint64_t t = rmt__now_ms() + 3000; !b.connected && rmt__now_ms() < t;) {
    pump(w);
    bot_service(&b);
  }
  bot_hello(&b, "Modified");
  for (uint64_t t = rmt__now_ms() + 3000; !b.joined && rmt__now_ms() < t;) {
    pump(w);
    bot_service(&b);
  }
  assert_true(b.joined);
  rmt_buf msg = {0};
  /* Exactly at the limit (arrives), one past it (dropped), at the limit again (arrives). */
  size_t sizes[3] = {1000, 1001, 1000};
  long expect_seen[3] = {1, 1, 2};
  for (int i = 0; i < 3; i++) {
    put_sized_event(&msg, w->unrel, sizes[i]);
    bot_send_buf(&b, RMT_CHANNEL_UNRELIABLE, &msg);
    long target = i == 1 ? 0 : expect_seen[i];
    for (uint64_t t = rmt__now_ms() + 3000;
         rmt__now_ms() < t && (i == 1 ? !w->drops[RMT_DROP_MALFORMED] && w->events_seen < 2
                                      : w->events_seen < target);) {
      pump(w);
      bot_service(&b);
    }
    assert_int_equal(w->events_seen, expect_seen[i]);
    assert_true(w->last_len == 996);
  }
  assert_int_equal(w->drops[RMT_DROP_MALFORMED], 1);
  assert_int_equal(w->drop_player[RMT_DROP_MALFORMED], b.player_id);
  assert_non_null(strstr(w->drop_detail[RMT_DROP_MALFORMED], "limit is 1000"));
  rmt_stats st;
  assert_int_equal(rmt_server_player_stats(w->server, b.player_id, &st), 0);
  assert_int_equal(st.dropped_malformed, 1);
  assert_int_equal(rmt_server_remote_stats(w->server, w->unrel, &st), 0);
  assert_int_equal(st.dropped_malformed, 1);
  assert_int_equal(st.events_in, 2);

  /* The client side: a modified server's oversized unreliable event, fed to the client's
   * receive path, is dropped and counted; one at the limit is delivered. */
  rmt_remote_id cu = rmt_client_remote_find(w->good, "U");
  assert_int_not_equal(cu, 0);
  w->events_seen = 0;
  rmt_signal_connect(rmt_client_remote_signal(w->good, cu), on_unrel, w);
  for (int i = 0; i < 3; i++) {
    put_sized_event(&msg, cu, sizes[i]);
    rmt_fed_packet pk = {msg.data, msg.len, RMT_CHANNEL_UNRELIABLE};
    rmt__client_feed(w->good, &pk);
  }
  assert_int_equal(w->events_seen, 2);
  assert_int_equal(rmt_client_remote_stats(w->good, cu, &st), 0);
  assert_int_equal(st.dropped_malformed, 1);
  assert_int_equal(st.events_in, 2);
  rmt_buf_free(&msg);
  bot_close(&b);
  finish(w);
}

/* ---- 5. the queue before a listener, shared fairly between senders ---- */

typedef struct seq_seen {
  rmt_player_id from;
  long count, other;
  double next;
  int in_order;
} seq_seen;

static void on_seq(void *ud, const rmt_value *args, size_t nargs) {
  seq_seen *q = ud;
  if (nargs < 2 || args[0].type != RMT_TPLAYER || args[0].as.player != q->from) {
    q->other++;
    return;
  }
  if (args[1].type != RMT_TNUMBER || args[1].as.number != q->next) q->in_order = 0;
  q->next = args[1].as.number + 1;
  q->count++;
}

static void test_queue_fair_per_sender(void **state) {
  (void)state;
  world *w = new_world();
  start(w, NULL); /* queue_limit 256, event_rate 500/s burst 500 */
  rmt_client *flooder = join_client(w, "Flooder");
  assert_int_equal(rmt_client_state(flooder), RMT_CLIENT_CONNECTED);
  rmt_remote_id late;
  assert_int_equal(rmt_server_remote_create(w->server, "Late", RMT_REMOTE_EVENT, &late, NULL), 0);
  rmt_remote_id fl = 0, gl = 0;
  for (int i = 0; i < 2000 && (!fl || !gl); i++) {
    pump(w);
    rmt_client_service(flooder, 0);
    fl = rmt_client_remote_find(flooder, "Late");
    gl = rmt_client_remote_find(w->good, "Late");
  }
  assert_true(fl && gl);
  /* The flooder fires 600 events as fast as it can; nothing listens yet. */
  for (int i = 0; i < 600; i++) {
    rmt_value v = rmt_num(i);
    assert_int_equal(rmt_client_fire(flooder, fl, &v, 1, NULL), 0);
  }
  rmt_client_flush(flooder);
  rmt_stats st = {0};
  for (uint64_t t = rmt__now_ms() + 5000;
       st.events_in + st.dropped_rate_limit < 600 && rmt__now_ms() < t;) {
    pump(w);
    rmt_client_service(flooder, 0);
    rmt_server_remote_stats(w->server, late, &st);
  }
  assert_int_equal(st.events_in + st.dropped_rate_limit, 600);
  assert_true(st.dropped_queue_overflow > 0); /* the flooder filled its share */
  /* Then the good client fires its 20. */
  for (int i = 0; i < 20; i++) {
    rmt_value v = rmt_num(i);
    assert_int_equal(rmt_client_fire(w->good, gl, &v, 1, NULL), 0);
  }
  rmt_player_id good = rmt_client_local_player(w->good);
  rmt_stats gst = {0};
  for (uint64_t t = rmt__now_ms() + 5000; gst.events_in < 20 && rmt__now_ms() < t;) {
    pump(w);
    rmt_client_service(flooder, 0);
    rmt_server_player_stats(w->server, good, &gst);
  }
  assert_int_equal(gst.events_in, 20);
  assert_int_equal(gst.dropped_queue_overflow, 0);
  /* The listener connects late: every one of the good client's events is delivered. */
  seq_seen got = {good, 0, 0, 0, 1};
  rmt_signal_connect(rmt_server_remote_signal(w->server, late), on_seq, &got);
  for (int i = 0; i < 20; i++) pump(w);
  fprintf(stderr,
          "queue before a listener: flooder fired 600 (%llu admitted, %llu dropped at its share), "
          "then the good client 20: %ld of 20 delivered, %ld of the flooder's\n",
          (unsigned long long)st.events_in, (unsigned long long)st.dropped_queue_overflow,
          got.count, got.other);
  assert_int_equal(got.count, 20);
  assert_true(got.in_order);
  assert_int_equal(got.other, 128); /* its share: queue_limit / 2 players */
  net_drop_client(&w->net, flooder);
  finish(w);
}

/* ---- 4. two players cannot share a name ---- */

static void test_duplicate_name_refused(void **state) {
  (void)state;
  world *w = new_world();
  start(w, NULL); /* "Good" is in the game */
  const char *names[3] = {"Good", "good", "GOOD"};
  for (int i = 0; i < 3; i++) {
    bot b;
    bot_open(&b, rmt_server_port(w->server));
    for (uint64_t t = rmt__now_ms() + 3000; !b.connected && rmt__now_ms() < t;) {
      pump(w);
      bot_service(&b);
    }
    bot_hello(&b, names[i]);
    for (uint64_t t = rmt__now_ms() + 3000; !b.joined && !b.refused && rmt__now_ms() < t;) {
      pump(w);
      bot_service(&b);
    }
    assert_false(b.joined);
    assert_true(b.refused);
    assert_int_equal(b.refuse_status, RMT_EREFUSED);
    char expect[80];
    snprintf(expect, sizeof expect, "a player named \"%s\" is already in the game", names[i]);
    assert_string_equal(b.refuse_reason, expect);
    bot_close(&b);
  }
  assert_int_equal(rmt_server_players(w->server, NULL, 0), 1);
  /* A real client sees the reason; once the first player leaves, the name is free again. */
  rmt_client *twin = join_client(w, "Good");
  assert_int_equal(rmt_client_state(twin), RMT_CLIENT_DISCONNECTED);
  rmt_error err;
  assert_int_equal(rmt_client_wait_connected(twin, 10, &err), RMT_EREFUSED);
  assert_string_equal(rmt_client_disconnect_reason(twin), "a player named \"Good\" is already in the game");
  net_drop_client(&w->net, twin);
  net_drop_client(&w->net, w->good);
  w->good = NULL;
  for (int i = 0; i < 50; i++) pump(w);
  assert_int_equal(rmt_server_players(w->server, NULL, 0), 0);
  w->good = join_client(w, "Good");
  assert_int_equal(rmt_client_state(w->good), RMT_CLIENT_CONNECTED);
  finish(w);
}

/* ---- 3. connections per address ---- */

static void bot_connect(world *w, bot *b, const char *name) {
  bot_open(b, rmt_server_port(w->server));
  for (uint64_t t = rmt__now_ms() + 3000; !b->connected && rmt__now_ms() < t;) {
    pump(w);
    bot_service(b);
  }
  assert_true(b->connected);
  if (name) bot_hello(b, name);
  for (uint64_t t = rmt__now_ms() + 3000; name && !b->joined && !b->refused && rmt__now_ms() < t;) {
    pump(w);
    bot_service(b);
  }
}

static void test_connections_per_address(void **state) {
  (void)state;
  world *w = new_world();
  rmt_server_config sc;
  rmt_server_config_default(&sc);
  assert_int_equal(sc.max_per_address, 8);
  sc.max_per_address = 3;
  start(w, &sc); /* the good client is connection 1 from 127.0.0.1 */
  bot a, b, c;
  bot_connect(w, &a, "A");
  assert_true(a.joined);
  bot_connect(w, &b, NULL); /* connected, has not said HELLO: it counts too */
  /* The fourth is refused at connect, before it says anything, with a reason. */
  bot_connect(w, &c, NULL);
  for (uint64_t t = rmt__now_ms() + 3000; !c.refused && rmt__now_ms() < t;) {
    pump(w);
    bot_service(&c);
  }
  assert_true(c.refused);
  assert_int_equal(c.refuse_status, RMT_EREFUSED);
  assert_string_equal(c.refuse_reason, "too many connections from your address (limit 3)");
  for (uint64_t t = rmt__now_ms() + 3000; !c.disconnected && rmt__now_ms() < t;) {
    pump(w);
    bot_service(&c);
  }
  assert_true(c.disconnected);
  /* A real client learns why. */
  rmt_client *extra = join_client(w, "Extra");
  assert_int_equal(rmt_client_state(extra), RMT_CLIENT_DISCONNECTED);
  assert_string_equal(rmt_client_disconnect_reason(extra),
                      "too many connections from your address (limit 3)");
  net_drop_client(&w->net, extra);
  assert_int_equal(rmt_server_players(w->server, NULL, 0), 2);
  /* The good client is still served; once one connection goes, a new one is accepted. */
  assert_int_equal(good_calls(w, 5), 5);
  enet_peer_disconnect(a.peer, 0);
  for (uint64_t t = rmt__now_ms() + 3000; !a.disconnected && rmt__now_ms() < t;) {
    pump(w);
    bot_service(&a);
  }
  for (int i = 0; i < 20; i++) pump(w);
  rmt_client *later = join_client(w, "Later");
  assert_int_equal(rmt_client_state(later), RMT_CLIENT_CONNECTED);
  net_drop_client(&w->net, later);
  bot_close(&a);
  bot_close(&b);
  bot_close(&c);
  finish(w);
}

/* ---- 6. half-open joins: the join snapshot is paced by the client's acknowledgements ---- */

/* Deaf joiners: connect, say HELLO (flushed once), then never service their host again, so
 * they never read or acknowledge anything. Stallers listen until the first piece of the
 * snapshot arrives, then stop the same way. They live until killed. */
static void deaf_child(uint16_t port, int ndeaf, int nstall) {
  static bot bots[64];
  char name[32];
  int n = ndeaf + nstall;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  for (int i = 0; i < n; i++) bot_open(&bots[i], port);
  int hello[64] = {0}, done[64] = {0}, ndone = 0;
  for (uint64_t t = rmt__now_ms() + 10000; ndone < n && rmt__now_ms() < t;) {
    for (int i = 0; i < n; i++) {
      if (done[i]) continue;
      ENetEvent ev;
      while (!done[i] && enet_host_service(bots[i].host, &ev, 0) > 0) {
        if (ev.type == ENET_EVENT_TYPE_CONNECT) bots[i].connected = 1;
        if (ev.type != ENET_EVENT_TYPE_RECEIVE) continue;
        size_t off = 0;
        rmt_msg m;
        while (rmt__msg_next(ev.packet->data, ev.packet->dataLength, &off, &m) > 0)
          if (m.kind == RMT_MSG_REPL) done[i] = 1; /* a staller stops listening here */
        enet_packet_destroy(ev.packet);
      }
      if (bots[i].connected && !hello[i]) {
        snprintf(name, sizeof name, "%s%d", i < ndeaf ? "Deaf" : "Staller", i);
        bot_hello(&bots[i], name);
        enet_host_flush(bots[i].host); /* the HELLO leaves */
        hello[i] = 1;
        if (i < ndeaf) done[i] = 1; /* a deaf one never reads again */
      }
      ndone += done[i];
    }
    sleep_us(200);
  }
  for (uint64_t t = rmt__now_ms() + 60000; rmt__now_ms() < t;) sleep_us(100000);
}

typedef struct tree_seen {
  long created;
} tree_seen;

static void on_replica(void *ud, rmt_replica_event ev, rmt_instance_id id, const char *attr) {
  (void)id;
  (void)attr;
  if (ev == RMT_REPLICA_CREATED) ((tree_seen *)ud)->created++;
}

static void test_deaf_joins_get_snapshot_paced(void **state) {
  (void)state;
  enum { NDEAF = 40, NSTALL = 10, NVALUES = 1000, VALUE_BYTES = 1000 };
  world *w = new_world();
  rmt_server_config sc;
  rmt_server_config_default(&sc);
  sc.max_per_address = 0; /* all from loopback */
  sc.peer_timeout_ms = 30000; /* the deaf stay for the whole test */
  start_server(w, &sc);
  /* About 1 MB of replicated state: 1000 StringValues of 1000 bytes under a folder. */
  static char text[VALUE_BYTES];
  rmt_instance_id folder, id;
  assert_int_equal(rmt_server_instance_create(w->server, 0, "Folder", "Map", &folder, NULL), 0);
  for (int i = 0; i < NVALUES; i++) {
    char name[32];
    snprintf(name, sizeof name, "Part%d", i);
    memset(text, 'a' + i % 26, sizeof text);
    rmt_value v = rmt_lstr(text, sizeof text);
    assert_int_equal(rmt_server_instance_create(w->server, folder, "StringValue", name, &id, NULL), 0);
    assert_int_equal(rmt_server_instance_set_value(w->server, id, &v, NULL), 0);
  }
  rmt_server_flush(w->server);
  count_enet_allocations();
  long long base = enet_live;
  size_t live_before = w->net.sac.live_bytes;
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    deaf_child(rmt_server_port(w->server), NDEAF, NSTALL);
    _exit(0);
  }
  uint64_t deadline = rmt__now_ms() + 20000, still_since = rmt__now_ms();
  long long last_peak = enet_peak;
  while (rmt__now_ms() < deadline) {
    rmt_server_service(w->server, 1);
    if (enet_peak != last_peak) {
      last_peak = enet_peak;
      still_since = rmt__now_ms();
    }
    if (rmt_server_players(w->server, NULL, 0) == NDEAF + NSTALL &&
        rmt__now_ms() - still_since > 1000)
      break;
  }
  assert_int_equal(rmt_server_players(w->server, NULL, 0), NDEAF + NSTALL);
  long long grown = enet_peak - base;
  long long ours = (long long)w->net.sac.peak_bytes - (long long)live_before;
  /* Per player: its WELCOME, the player list and at most a window of snapshot in ENet, far
   * below a snapshot; the server's own heap also holds one shared copy of the snapshot. */
  long long bound = (NDEAF + NSTALL) * 96LL * 1024 + 512 * 1024;
  long long snap_copy = NVALUES * (VALUE_BYTES + 64LL);
  fprintf(stderr,
          "deaf joins: %d peers that never acknowledge and %d that stop after the first piece, "
          "%d KiB replicated: server's ENet heap grew by %lld KiB (bound %lld KiB), its own "
          "heap by %lld KiB (bound %lld KiB)\n",
          NDEAF, NSTALL, NVALUES * VALUE_BYTES / 1024, grown / 1024, bound / 1024, ours / 1024,
          (bound + snap_copy) / 1024);
  assert_true(grown <= bound);
  assert_true(ours <= bound + snap_copy);
  /* A good client still gets the whole tree. */
  tree_seen seen = {0};
  rmt_client_config cc;
  net_client_config(&w->net, &cc, "Good");
  cc.log = net_quiet_log;
  w->good = net_add_client(&w->net, &cc);
  rmt_client_on_replica(w->good, on_replica, &seen);
  long expect = 1 + NVALUES + NDEAF + NSTALL + 1;
  for (uint64_t t = rmt__now_ms() + 10000; seen.created < expect && rmt__now_ms() < t;) pump(w);
  /* The folder, its values, and a Player instance per player (the others and itself). */
  assert_int_equal(seen.created, expect);
  rmt_instance_id kids[NVALUES];
  assert_int_equal(rmt_client_instance_children(w->good, folder, kids, NVALUES), NVALUES);
  rmt_instance_info info;
  assert_int_equal(rmt_client_instance_info(w->good, kids[NVALUES - 1], &info), 0);
  assert_non_null(info.value);
  assert_int_equal(info.value->as.string.len, VALUE_BYTES);
  assert_int_equal(good_calls(w, 5), 5);
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  finish(w);
}

int main(void) {
  if (rmt__enet_init()) return 2;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_unfinished_packets_bounded),
      cmocka_unit_test(test_unreliable_limit_enforced_by_receiver),
      cmocka_unit_test(test_queue_fair_per_sender),
      cmocka_unit_test(test_duplicate_name_refused),
      cmocka_unit_test(test_connections_per_address),
      cmocka_unit_test(test_deaf_joins_get_snapshot_paced),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
