/* attacker.c - rmt_attacker: one hostile (or one good) client of a `remotes serve` process,
 * run as its own process by tests/cli_hostile.py. `rmt_attacker ATTACK PORT [ARGS...]`.
 *
 * The raw ENet peers come from tests/raw_peer.h (shared with tests/test_hostile.c, whose
 * in-process attacks are repeated here one per command); the rest use the public API. Every
 * attack is bounded in time, prints one `ATTACK: ...` summary line on stdout, and exits 0
 * when it could be carried out (1 with a reason when the attack itself failed, e.g. could
 * not join; the verdict about the server is the python test's). Remote ids are learned from
 * the registry (WELCOME / REMOTE_ADDED), by the names the test place gives them. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "relay.h" /* relay_udp_socket, relay_now_us */

#include "attacks.h"
#include "raw_peer.h"

static uint16_t port;
static uint64_t rng = 0x407715;
static volatile sig_atomic_t stop_flag;

static uint64_t rnd(void) {
  return splitmix64(&rng);
}

static void random_bytes(uint8_t *buf, size_t len) {
  for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)rnd();
}

static void fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stdout, "FAILED: ");
  vfprintf(stdout, fmt, ap);
  fprintf(stdout, "\n");
  va_end(ap);
  fflush(stdout);
  _exit(1);
}

static void report(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stdout, fmt, ap);
  fprintf(stdout, "\n");
  va_end(ap);
  fflush(stdout);
}

static void sleep_ms(unsigned ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* ---- raw peers ---- */

#define MAXBOTS 64
static bot bots[MAXBOTS];
static int nbots;

static void service_all(void) {
  for (int i = 0; i < nbots; i++) bot_service(&bots[i]);
}

static void pump_ms(unsigned ms) {
  uint64_t until = rmt__now_ms() + ms;
  while (rmt__now_ms() < until) {
    service_all();
    sleep_ms(1);
  }
}

/* A player name unique to this process: attackers of earlier cases may still be in the game
 * (a peer that vanished holds its name until it times out) and the server refuses a second
 * player of one name. */
static const char *unique_name(const char *name, char *buf, size_t cap) {
  snprintf(buf, cap, "%.20s_%ld", name, (long)getpid() % 100000);
  return buf;
}

static bot *new_bot(const char *ip) {
  if (nbots >= MAXBOTS) fail("too many bots");
  bot *b = &bots[nbots++];
  if (bot_open_from(b, port, ip, 1) != 0) fail("cannot open an ENet host");
  return b;
}

/* Connects (and joins with HELLO when name is set), within 5 s. */
static bot *connect_bot(const char *name, const char *ip) {
  bot *b = new_bot(ip);
  uint64_t until = rmt__now_ms() + 5000;
  while (!b->connected && rmt__now_ms() < until) pump_ms(1);
  if (!b->connected) fail("%s did not connect", name ? name : "a peer");
  if (name) {
    char unique[40];
    bot_hello(b, unique_name(name, unique, sizeof unique));
    while (!b->joined && !b->refused && rmt__now_ms() < until) pump_ms(1);
    if (!b->joined) fail("%s did not join%s", name, b->refused ? " (refused)" : "");
  }
  return b;
}

static uint32_t need_remote(bot *b, const char *name) {
  uint32_t id = bot_remote(b, name);
  if (!id) fail("the server has no remote %s", name);
  return id;
}

/* ---- public-API clients ---- */

static void quiet(void *ud, rmt_log_level level, const char *msg) {
  (void)ud;
  (void)level;
  (void)msg;
}

static rmt_client *join_client(const char *name) {
  rmt_client_config cc;
  char unique[40];
  rmt_client_config_default(&cc);
  cc.port = port;
  cc.name = unique_name(name, unique, sizeof unique);
  cc.log = quiet;
  cc.invoke_timeout_ms = 15000;
  rmt_error err;
  rmt_client *c = rmt_client_create(&cc, &err);
  if (!c) fail("%s: rmt_client_create: %s", name, err.message);
  if (rmt_client_wait_connected(c, 10000, &err) != 0) fail("%s could not join: %s", name, err.message);
  return c;
}

static rmt_remote_id client_remote(rmt_client *c, const char *name) {
  rmt_remote_id id = rmt_client_remote_find(c, name);
  if (!id) fail("the server has no remote %s", name);
  return id;
}

static void client_pump(rmt_client *c, unsigned ms) {
  uint64_t until = rmt__now_ms() + ms;
  do rmt_client_service(c, 1);
  while (rmt__now_ms() < until);
}

static rmt_value *nils(size_t n) {
  rmt_value *v = calloc(n, sizeof *v);
  for (size_t i = 0; i < n; i++) v[i] = rmt_nil();
  return v;
}

/* =====================================================================================
 * The good client: one invoke in flight (Echo, every 10th a yielding Fetch), about 100/s,
 * Action fired 20/s, Ping (InvokeClient) answered. Runs until SIGTERM or SECONDS; prints a
 * progress line every 250 ms and writes every Echo latency as "t_ms lat_us" to LATFILE.
 * ===================================================================================== */

typedef struct good_state {
  int outstanding;
  int is_fetch;
  uint64_t sent_us;
  double expect;
  long answered, failed, wrong, fetches;
  uint32_t max_us;
  FILE *lat;
  uint64_t t0_us;
} good_state;

static void good_answer(void *ud, int status, const rmt_value *res, size_t nres, const char *msg) {
  good_state *g = ud;
  uint64_t now = relay_now_us();
  uint32_t lat = (uint32_t)(now - g->sent_us);
  g->outstanding = 0;
  if (status != RMT_OK) {
    g->failed++;
    report("good: invoke failed after %u ms: %s (%s)", lat / 1000, rmt_status_name(status), msg);
    return;
  }
  if (nres < 1 || res[0].type != RMT_TNUMBER || res[0].as.number != g->expect) g->wrong++;
  g->answered++;
  if (g->is_fetch) {
    g->fetches++;
    return;
  }
  if (lat > g->max_us) g->max_us = lat;
  if (g->lat) fprintf(g->lat, "%llu %u\n", (unsigned long long)((g->sent_us - g->t0_us) / 1000), lat);
}

static void good_ping(void *ud, rmt_invocation *inv, const rmt_value *args, size_t nargs) {
  (void)ud;
  rmt_value v[2] = {rmt_str("pong"), nargs ? args[0] : rmt_nil()};
  rmt_invocation_return(inv, v, 2);
}

static void on_term(int sig) {
  (void)sig;
  stop_flag = 1;
}

static int run_good(double seconds, const char *latfile) {
  good_state g;
  memset(&g, 0, sizeof g);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  if (latfile) g.lat = fopen(latfile, "w");
  rmt_client *c = join_client("Good");
  rmt_remote_id echo = client_remote(c, "Echo"), fetch = client_remote(c, "Fetch");
  rmt_remote_id action = client_remote(c, "Action"), ping = client_remote(c, "Ping");
  rmt_client_remote_on_invoke(c, ping, good_ping, &g);
  report("good: joined");
  g.t0_us = relay_now_us();
  uint64_t next_call = 0, next_fire = 0, next_report = g.t0_us + 250000;
  uint64_t end = g.t0_us + (uint64_t)(seconds * 1e6);
  long calls = 0, fired = 0;
  while (!stop_flag && relay_now_us() < end) {
    uint64_t t = relay_now_us();
    if (!g.outstanding && t >= next_call) {
      g.expect = (double)calls;
      g.is_fetch = calls % 10 == 9;
      rmt_value v = rmt_num(g.expect);
      g.sent_us = t;
      next_call = t + 10000;
      if (rmt_client_invoke(c, g.is_fetch ? fetch : echo, &v, 1, 15000, good_answer, &g, NULL) != 0)
        g.failed++;
      else
        g.outstanding = 1;
      calls++;
      rmt_client_flush(c); /* latency is measured from the call, not the next service */
    }
    if (t >= next_fire) {
      rmt_value v = rmt_num((double)fired++);
      rmt_client_fire(c, action, &v, 1, NULL);
      next_fire = t + 50000;
    }
    if (t >= next_report) {
      report("good: progress t=%.1f answered=%ld failed=%ld wrong=%ld fetches=%ld max_ms=%.1f "
             "outstanding_ms=%.0f",
             (double)(t - g.t0_us) / 1e6, g.answered, g.failed, g.wrong, g.fetches,
             g.max_us / 1000.0, g.outstanding ? (double)(t - g.sent_us) / 1000.0 : 0.0);
      next_report += 250000;
      if (g.lat) fflush(g.lat);
    }
    rmt_client_service(c, 1);
    if (rmt_client_state(c) != RMT_CLIENT_CONNECTED) {
      report("good: DISCONNECTED: %s", rmt_client_disconnect_reason(c));
      if (g.lat) fclose(g.lat);
      return 3;
    }
  }
  report("good: summary answered=%ld failed=%ld wrong=%ld fetches=%ld fired=%ld max_ms=%.1f",
         g.answered, g.failed, g.wrong, g.fetches, fired, g.max_us / 1000.0);
  if (g.lat) fclose(g.lat);
  rmt_client_destroy(c);
  return 0;
}

/* stats: the place's Stats function, its "key=value" lines printed as they come. */
static int run_stats(void) {
  rmt_client *c = join_client("Stats");
  rmt_remote_id id = client_remote(c, "Stats");
  rmt_value *res = NULL;
  size_t n = 0;
  rmt_error err;
  int rc = rmt_client_invoke_sync(c, id, NULL, 0, 15000, &res, &n, &err);
  if (rc != 0) fail("Stats: %s", err.message);
  if (n >= 1 && res[0].type == RMT_TSTRING) fwrite(res[0].as.string.ptr, 1, res[0].as.string.len, stdout);
  printf("\n");
  rmt_values_free(res, NULL);
  rmt_client_destroy(c);
  return 0;
}

/* ===================================================================================== *
 * test_hostile's attacks, one command each
 * ===================================================================================== */

/* 1. Not ENet at all: random datagrams straight at the server's socket. */
static int run_noise(void) {
  int fd = relay_udp_socket(0);
  if (fd < 0) fail("socket");
  struct sockaddr_in to = {0};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(port);
  uint8_t raw[1400];
  for (int i = 0; i < 2000; i++) {
    size_t len = 1 + rnd() % sizeof raw;
    random_bytes(raw, len);
    if (i % 2) raw[0] = 0x80; /* some look like ENet commands with a peer id */
    sendto(fd, raw, len, 0, (struct sockaddr *)&to, sizeof to);
    if (i % 100 == 99) sleep_ms(2);
  }
  close(fd);
  report("noise: 2000 random datagrams sent");
  return 0;
}

/* 2. Random bytes before the handshake: each peer refused or dropped, none joined. */
static int run_pre_garbage(void) {
  bot *pre[8];
  uint8_t raw[2000];
  for (int i = 0; i < 8; i++) {
    pre[i] = connect_bot(NULL, NULL);
    size_t len = 1 + rnd() % sizeof raw;
    random_bytes(raw, len);
    bot_send(pre[i], i % 2, raw, len);
  }
  uint64_t until = rmt__now_ms() + 3000;
  int gone = 0;
  while (rmt__now_ms() < until && gone < 8) {
    pump_ms(10);
    gone = 0;
    for (int i = 0; i < 8; i++) gone += pre[i]->refused || pre[i]->disconnected;
  }
  int joined = 0;
  for (int i = 0; i < 8; i++) joined += pre[i]->joined;
  report("pre-garbage: 8 peers sent random first packets: %d refused/dropped, %d joined", gone, joined);
  return joined ? 1 : 0;
}

/* 3. Random packets after joining, on both channels (never a well-formed BYE). */
static int run_post_garbage(void) {
  bot *noisy = connect_bot("Noisy", NULL);
  uint8_t raw[1200];
  for (int i = 0; i < 500; i++) {
    size_t len;
    do {
      len = 1 + rnd() % sizeof raw;
      random_bytes(raw, len);
    } while (says_bye(raw, len));
    bot_send(noisy, i % 2, raw, len);
    if (i % 50 == 0) pump_ms(2);
  }
  pump_ms(500);
  report("post-garbage: 500 random packets after joining; still connected: %s",
         noisy->disconnected ? "no" : "yes");
  return noisy->disconnected ? 1 : 0;
}

/* 4. Every prefix of a valid INVOKE and EVENT, a body length of 2^32, an undecodable body. */
static int run_truncated(void) {
  bot *b = connect_bot("Truncator", NULL);
  uint32_t echo = need_remote(b, "Echo"), action = need_remote(b, "Action");
  attack_truncated(b, echo, action);
  uint64_t until = rmt__now_ms() + 3000;
  while (!b->badargs && rmt__now_ms() < until) pump_ms(5);
  report("truncated: prefixes, a 2^32 length, an undecodable invoke; bad-arguments answers: %ld; "
         "still connected: %s", b->badargs, b->disconnected ? "no" : "yes");
  return b->badargs >= 1 && !b->disconnected ? 0 : 1;
}

/* 5. Oversized: an invoke with a string over max_string (1 MiB in serve), and an event of
 * 5 MiB (over every packet limit: ENet refuses it before reassembling). */
static int run_oversized(void) {
  bot *b = connect_bot("Oversized", NULL);
  uint32_t echo = need_remote(b, "Echo"), action = need_remote(b, "Action");
  attack_oversized(b, echo, action, (1 << 20) + 100, 5 << 20);
  uint64_t until = rmt__now_ms() + 5000;
  while (!b->errors_received && !b->disconnected && rmt__now_ms() < until) pump_ms(5);
  report("oversized: a 1 MiB + 100 string invoke and a 5 MiB event; error answers: %ld "
         "(bad arguments %ld, rate limited %ld)", b->errors_received, b->badargs, b->ratelimited);
  return b->errors_received >= 1 ? 0 : 1;
}

/* 6. Unknown remote ids, wrong kinds, server-to-client controls, replies nobody asked for,
 * a second HELLO. */
static int run_confused(void) {
  bot *b = connect_bot("Confused", NULL);
  uint32_t echo = need_remote(b, "Echo"), action = need_remote(b, "Action");
  attack_confused(b, echo, action, b->player_id);
  uint64_t until = rmt__now_ms() + 3000;
  while ((b->notfound < 5 || b->invalid < 1) && rmt__now_ms() < until) pump_ms(5);
  pump_ms(200);
  report("confused: unknown ids, wrong kinds, server controls, stray replies, a second HELLO; "
         "not-found answers %ld, invalid %ld; still connected: %s", b->notfound, b->invalid,
         b->disconnected ? "no" : "yes");
  return b->notfound >= 5 && b->invalid >= 1 && !b->disconnected ? 0 : 1;
}

/* 7. 60,000 nested arrays as an event and as an invoke. */
static int run_deep(void) {
  bot *b = connect_bot("Deep", NULL);
  uint32_t echo = need_remote(b, "Echo"), action = need_remote(b, "Action");
  attack_deep(b, echo, action);
  uint64_t until = rmt__now_ms() + 3000;
  while (!b->badargs && rmt__now_ms() < until) pump_ms(5);
  report("deep: 60,000-deep nesting as an event and an invoke; bad-arguments answers: %ld", b->badargs);
  return b->badargs >= 1 ? 0 : 1;
}

/* 8. Floods: invokes (half on the yielding Fetch, so the pending cap applies), events past
 * the rate limit on both channels, and events for a remote nobody listens to. */
static int run_flood(void) {
  bot *b = connect_bot("Flood", NULL);
  uint32_t echo = need_remote(b, "Echo"), fetch = need_remote(b, "Fetch");
  uint32_t action = need_remote(b, "Action"), unheard = need_remote(b, "Unheard");
  uint32_t move = need_remote(b, "Move");
  uint8_t one[] = {0x91, 0x01};
  rmt_buf msg = {0};
  for (int round = 0; round < 20; round++) {
    msg.len = 0;
    for (int i = 0; i < 250; i++) {
      put_msg(&msg, RMT_MSG_INVOKE, i % 2 ? echo : fetch, (uint32_t)(round * 1000 + i), one, sizeof one);
      if (msg.len > 1000) {
        bot_send_buf(b, 0, &msg);
        msg.len = 0;
      }
    }
    bot_send_buf(b, 0, &msg);
    msg.len = 0;
    for (int i = 0; i < 500; i++) {
      put_msg(&msg, RMT_MSG_EVENT, i % 3 ? action : unheard, 0, one, sizeof one);
      if (msg.len > 1000) {
        bot_send_buf(b, 0, &msg);
        msg.len = 0;
      }
    }
    bot_send_buf(b, 0, &msg);
    msg.len = 0;
    for (int i = 0; i < 300; i++) put_msg(&msg, RMT_MSG_EVENT, move, 0, one, sizeof one);
    bot_send_buf(b, 1, &msg);
    pump_ms(50);
  }
  rmt_buf_free(&msg);
  pump_ms(500);
  report("flood: 5,000 invokes, 10,000 reliable and 6,000 unreliable events in 1 s; rate-limited "
         "answers: %ld, results: %ld", b->ratelimited, b->results);
  return b->ratelimited > 0 ? 0 : 1;
}

/* 8b. Six joined peers send as fast as the loop turns for 2 s. */
static int run_storm(void) {
  bot *many[6];
  char name[16];
  for (int i = 0; i < 6; i++) {
    snprintf(name, sizeof name, "Storm%d", i);
    many[i] = connect_bot(name, NULL);
  }
  uint32_t echo = need_remote(many[0], "Echo"), action = need_remote(many[0], "Action");
  uint32_t move = need_remote(many[0], "Move");
  uint8_t one[] = {0x91, 0x01};
  uint8_t raw[1000];
  rmt_buf msg = {0};
  uint32_t call = 0;
  uint64_t end = rmt__now_ms() + 2000;
  long sent = 0;
  while (rmt__now_ms() < end) {
    for (int i = 0; i < 6; i++) {
      msg.len = 0;
      for (int k = 0; k < 40; k++) put_msg(&msg, RMT_MSG_INVOKE, echo, call++, one, sizeof one);
      for (int k = 0; k < 60; k++) put_msg(&msg, RMT_MSG_EVENT, action, 0, one, sizeof one);
      bot_send_buf(many[i], 0, &msg);
      msg.len = 0;
      for (int k = 0; k < 100; k++) put_msg(&msg, RMT_MSG_EVENT, move, 0, one, sizeof one);
      bot_send_buf(many[i], 1, &msg);
      size_t len;
      do {
        len = 1 + rnd() % sizeof raw;
        random_bytes(raw, len);
      } while (says_bye(raw, len));
      bot_send(many[i], (int)(rnd() & 1), raw, len);
      sent += 200;
    }
    service_all();
    sleep_ms(1);
  }
  rmt_buf_free(&msg);
  long rl = 0;
  /* a slow server (ASan, a loaded machine) answers late: keep reading for a while */
  uint64_t grace = rmt__now_ms() + 5000;
  do {
    service_all();
    sleep_ms(5);
    rl = 0;
    for (int i = 0; i < 6; i++) rl += many[i]->ratelimited;
  } while (rl == 0 && rmt__now_ms() < grace);
  report("storm: 6 peers for 2 s, %ld messages; rate-limited answers: %ld", sent, rl);
  return rl > 0 ? 0 : 1;
}

/* 9. Connect flood: 40 peers connect and never say HELLO; half stop acknowledging. The
 * acknowledging ones are dropped after the server's handshake timeout (5 s in serve). */
static int run_connect_flood(void) {
  bot *mute[40];
  for (int i = 0; i < 40; i++) mute[i] = new_bot(NULL);
  uint64_t until = rmt__now_ms() + 5000;
  int connected = 0;
  while (rmt__now_ms() < until && connected < 40) {
    pump_ms(2);
    connected = 0;
    for (int i = 0; i < 40; i++) connected += mute[i]->connected;
  }
  for (int i = 1; i < 40; i += 2) mute[i]->silent = 1;
  uint64_t start = rmt__now_ms();
  int dropped = 0;
  while (rmt__now_ms() - start < 9000 && dropped < 20) {
    pump_ms(5);
    dropped = 0;
    for (int i = 0; i < 40; i += 2) dropped += mute[i]->disconnected;
  }
  report("connect-flood: %d of 40 peers connected without HELLO; the %d acknowledging ones "
         "dropped after %llu ms", connected, dropped, (unsigned long long)(rmt__now_ms() - start));
  return connected == 40 && dropped == 20 ? 0 : 1;
}

/* 10. Callers that vanish mid-call: a raw peer invokes the yielding Fetch and dies without a
 * goodbye; a real client invokes it and leaves politely. (The place's InvokeClient on every
 * player reaches the dead peer too.) */
static int run_vanish(void) {
  bot *ghost = connect_bot("Ghost", NULL);
  uint32_t fetch = need_remote(ghost, "Fetch");
  uint8_t one[] = {0x91, 0x01};
  rmt_buf msg = {0};
  put_msg(&msg, RMT_MSG_INVOKE, fetch, 1, one, sizeof one);
  bot_send_buf(ghost, 0, &msg);
  rmt_buf_free(&msg);
  pump_ms(5);
  enet_host_flush(ghost->host);
  bot_close(ghost);
  rmt_client *leaver = join_client("Leaver");
  rmt_value v = rmt_num(1);
  rmt_client_invoke(leaver, client_remote(leaver, "Fetch"), &v, 1, 5000, NULL, NULL, NULL);
  rmt_client_flush(leaver);
  client_pump(leaver, 10);
  rmt_client_destroy(leaver);
  report("vanish: a raw peer and a client left in the middle of their invokes");
  return 0;
}

/* The deaf flooder of test_hostile: joins, then floods invokes on the unreliable channel for
 * 2 s without reading or acknowledging anything (each refused one is answered reliably). */
static int run_deaf_flood(void) {
  bot *b = connect_bot("Deaf", NULL);
  b->silent = 1;
  rmt_buf msg = {0};
  uint8_t one[] = {0x91, 0x01};
  uint32_t call = 0;
  uint64_t until = rmt__now_ms() + 2000;
  long packets = 0;
  while (rmt__now_ms() < until) {
    msg.len = 0;
    while (msg.len < 1100) put_msg(&msg, RMT_MSG_INVOKE, 1, call++, one, sizeof one);
    ENetPacket *pk = enet_packet_create(msg.data, msg.len, 0);
    if (enet_peer_send(b->peer, 1, pk) != 0) enet_packet_destroy(pk);
    enet_host_flush(b->host);
    packets++;
  }
  rmt_buf_free(&msg);
  report("deaf-flood: %ld packets (%u invokes) in 2 s without reading", packets, call);
  _exit(0); /* vanishes: no disconnect */
}

/* ===================================================================================== *
 * The findings
 * ===================================================================================== */

#define MANY_NILS 8000 /* about 8 KB: inside every byte limit, past what a Lua call takes */

/* 1a. An event with 8,000 nil arguments (and the same on the chat-like remote). */
static int run_nil_event(void) {
  rmt_client *c = join_client("NilEvent");
  rmt_value *v = nils(MANY_NILS);
  rmt_error err;
  int rc1 = rmt_client_fire(c, client_remote(c, "Action"), v, MANY_NILS, &err);
  int rc2 = rmt_client_fire(c, client_remote(c, "Chat"), v, MANY_NILS, &err);
  client_pump(c, 300);
  free(v);
  rmt_client_destroy(c);
  report("nil-event: fired %d nils on Action (%s) and Chat (%s)", MANY_NILS, rmt_status_name(rc1),
         rmt_status_name(rc2));
  return rc1 == 0 && rc2 == 0 ? 0 : 1;
}

typedef struct call_result {
  int done, status;
  size_t nres;
  char msg[200];
} call_result;

static void on_result(void *ud, int status, const rmt_value *res, size_t nres, const char *msg) {
  call_result *r = ud;
  (void)res;
  r->done = 1;
  r->status = status;
  r->nres = nres;
  snprintf(r->msg, sizeof r->msg, "%s", msg);
}

/* 1b. The same through InvokeServer: answered (with an error), not a crash or a hang. */
static int run_nil_invoke(void) {
  rmt_client *c = join_client("NilInvoke");
  rmt_value *v = nils(MANY_NILS);
  call_result r = {0};
  int rc = rmt_client_invoke(c, client_remote(c, "Echo"), v, MANY_NILS, 10000, on_result, &r, NULL);
  free(v);
  if (rc != 0) fail("invoke: %s", rmt_status_name(rc));
  uint64_t until = rmt__now_ms() + 12000;
  while (!r.done && rmt__now_ms() < until) rmt_client_service(c, 5);
  rmt_client_destroy(c);
  report("nil-invoke: InvokeServer with %d nils answered: %s, status %s (%s)", MANY_NILS,
         r.done ? "yes" : "no", r.done ? rmt_status_name(r.status) : "-", r.msg);
  return r.done && r.status != RMT_ETIMEDOUT ? 0 : 1;
}

/* 1c. ... and as a client's answer to the place's InvokeClient (Ping). */
static int answered_pings;
static void nil_ping(void *ud, rmt_invocation *inv, const rmt_value *args, size_t nargs) {
  (void)ud;
  (void)args;
  (void)nargs;
  rmt_value *v = nils(MANY_NILS);
  rmt_invocation_return(inv, v, MANY_NILS);
  free(v);
  answered_pings++;
}

static int run_nil_answer(void) {
  rmt_client *c = join_client("NilAnswer");
  rmt_client_remote_on_invoke(c, client_remote(c, "Ping"), nil_ping, NULL);
  uint64_t until = rmt__now_ms() + 8000;
  while (answered_pings < 2 && rmt__now_ms() < until) rmt_client_service(c, 5);
  client_pump(c, 300);
  rmt_client_destroy(c);
  report("nil-answer: answered %d InvokeClient calls with %d nils each", answered_pings, MANY_NILS);
  return answered_pings >= 1 ? 0 : 1;
}

/* 1d. Large argument lists through the place's relay, FireAllClients(p.Name, p.UserId, ...):
 * 4,000 (relayed to every client, the `remotes join` bystander included), 4,095 (the relay
 * itself goes over the limit: an error in the server's script) and 8,000 (refused on
 * arrival). */
static int run_relay_args(void) {
  rmt_client *c = join_client("Relayer");
  rmt_remote_id relay_id = client_remote(c, "Relay");
  size_t counts[] = {4000, 4095, MANY_NILS};
  int rcs[3];
  for (int i = 0; i < 3; i++) {
    rmt_value *v = nils(counts[i]);
    for (size_t k = 0; k < counts[i]; k += 2) v[k] = rmt_num((double)k);
    rcs[i] = rmt_client_fire(c, relay_id, v, counts[i], NULL);
    free(v);
    client_pump(c, 100);
  }
  client_pump(c, 500);
  rmt_stats st;
  rmt_client_remote_stats(c, relay_id, &st);
  rmt_client_destroy(c);
  report("relay-args: relayed lists of 4000 (%s), 4095 (%s) and 8000 (%s) arguments; %llu "
         "relays came back", rmt_status_name(rcs[0]), rmt_status_name(rcs[1]), rmt_status_name(rcs[2]),
         (unsigned long long)st.events_in);
  return 0;
}

/* 2. A flood of events whose listener errors on bad input (text:upper() on a number). */
static int run_listener_errors(double seconds) {
  rmt_client *c = join_client("Erroring");
  rmt_remote_id chat = client_remote(c, "Chat");
  uint64_t end = rmt__now_ms() + (uint64_t)(seconds * 1000);
  long fired = 0;
  while (rmt__now_ms() < end) {
    for (int i = 0; i < 20; i++) { /* 400/s: inside the 500/s budget, so every one runs */
      rmt_value v = rmt_num((double)fired++);
      rmt_client_fire(c, chat, &v, 1, NULL);
    }
    client_pump(c, 50);
  }
  client_pump(c, 200);
  rmt_client_destroy(c);
  report("listener-errors: %ld numbers fired at the chat listener in %.1f s", fired, seconds);
  return 0;
}

/* 3. A client's table relayed by the place (FireAllClients(p, state)): 2,000 sparse arrays
 * ([1, nil, 3], each a lossy conversion on the way out), 30 times. */
static int run_lossy_table(void) {
  bot *b = connect_bot("Lossy", NULL);
  uint32_t state = need_remote(b, "State");
  rmt_buf body = {0}, msg = {0};
  uint8_t head[] = {0x91, 0xdc, 0x07, 0xd0}; /* [ array16(2000) */
  rmt_buf_append(&body, head, sizeof head);
  for (int i = 0; i < 2000; i++) {
    uint8_t sparse[] = {0x93, 0x01, 0xc0, 0x03};
    rmt_buf_append(&body, sparse, sizeof sparse);
  }
  put_msg(&msg, RMT_MSG_EVENT, state, 0, body.data, body.len);
  for (int i = 0; i < 30; i++) {
    bot_send_buf(b, 0, &msg);
    pump_ms(20);
  }
  pump_ms(500);
  rmt_buf_free(&body);
  rmt_buf_free(&msg);
  report("lossy-table: 30 tables of 2,000 sparse arrays relayed through State (%ld events back)",
         b->events);
  return 0;
}

/* 4a. One client fills the queue of a remote nobody listens to yet (Late). */
static int run_queue_fill(void) {
  rmt_client *c = join_client("Filler");
  rmt_remote_id late = client_remote(c, "Late");
  long fired = 0;
  for (int round = 0; round < 20; round++) {
    for (int i = 0; i < 50; i++) {
      rmt_value v = rmt_num((double)fired++);
      rmt_client_fire(c, late, &v, 1, NULL);
    }
    client_pump(c, 50);
  }
  client_pump(c, 300);
  rmt_client_destroy(c);
  report("queue-fill: %ld events on Late while nothing listens", fired);
  return 0;
}

/* 4b. A good client's events on the same remote, then the listener connects (OpenLate) and
 * the place counts what arrived per sender. Prints late_good=N (N of 20 delivered). */
static int run_late_good(void) {
  rmt_client *c = join_client("Good2");
  rmt_remote_id late = client_remote(c, "Late"), open = client_remote(c, "OpenLate");
  rmt_remote_id stats = client_remote(c, "Stats");
  for (int i = 0; i < 20; i++) {
    rmt_value v = rmt_num((double)i);
    rmt_client_fire(c, late, &v, 1, NULL);
    client_pump(c, 10);
  }
  client_pump(c, 300);
  rmt_error err;
  rmt_value *ores = NULL;
  size_t onres = 0;
  if (rmt_client_invoke_sync(c, open, NULL, 0, 15000, &ores, &onres, &err) != 0)
    fail("OpenLate: %s", err.message);
  rmt_values_free(ores, NULL);
  long got = -1;
  for (int tries = 0; tries < 5; tries++) {
    client_pump(c, 200);
    rmt_value *res = NULL;
    size_t n = 0;
    if (rmt_client_invoke_sync(c, stats, NULL, 0, 15000, &res, &n, &err) != 0) fail("Stats: %s", err.message);
    long now = 0;
    if (n >= 1 && res[0].type == RMT_TSTRING) {
      char name[40], key[64];
      snprintf(key, sizeof key, "late.%s=", unique_name("Good2", name, sizeof name));
      const char *s = strstr(res[0].as.string.ptr, key);
      if (s) now = atol(s + strlen(key));
    }
    rmt_values_free(res, NULL);
    if (now == got) break;
    got = now;
  }
  rmt_client_destroy(c);
  report("late-good: late_good=%ld of 20 of the good client's events delivered", got);
  return 0;
}

/* 5. Many connections from one address: as many peers as the server has slots, all from
 * IP (e.g. 127.0.0.3); then a client from 127.0.0.1 tries to join. */
static int run_slots(const char *ip, int n) {
  bot b;
  if (bot_open_from(&b, port, ip, (size_t)n) != 0) fail("cannot open a host on %s", ip);
  ENetPeer **peers = calloc((size_t)n, sizeof *peers);
  int *state = calloc((size_t)n, sizeof *state); /* 1 connected, 2 joined, 3 refused/dropped */
  ENetAddress addr;
  enet_address_set_host(&addr, "127.0.0.1");
  addr.port = port;
  peers[0] = b.peer;
  for (int i = 1; i < n; i++) peers[i] = enet_host_connect(b.host, &addr, RMT_CHANNEL_COUNT, 0);
  uint64_t until = rmt__now_ms() + 10000;
  int settled = 0;
  while (rmt__now_ms() < until && settled < n) {
    ENetEvent ev;
    while (enet_host_service(b.host, &ev, 1) > 0) {
      int i = 0;
      while (i < n && peers[i] != ev.peer) i++;
      if (i == n) continue;
      if (ev.type == ENET_EVENT_TYPE_CONNECT) {
        char name[32];
        rmt_buf msg = {0};
        snprintf(name, sizeof name, "Slot%d", i);
        put_hello(&msg, name);
        enet_peer_send(ev.peer, 0, enet_packet_create(msg.data, msg.len, ENET_PACKET_FLAG_RELIABLE));
        rmt_buf_free(&msg);
        state[i] = 1;
      } else if (ev.type == ENET_EVENT_TYPE_DISCONNECT) {
        if (state[i] != 3) settled++;
        state[i] = 3;
      } else if (ev.type == ENET_EVENT_TYPE_RECEIVE) {
        bot tmp;
        memset(&tmp, 0, sizeof tmp);
        bot_read(&tmp, ev.packet);
        if (tmp.joined && state[i] != 2) {
          state[i] = 2;
          settled++;
        } else if (tmp.refused && state[i] != 3) {
          state[i] = 3;
          settled++;
        }
        enet_packet_destroy(ev.packet);
      }
    }
  }
  int joined = 0, refused = 0;
  for (int i = 0; i < n; i++) joined += state[i] == 2, refused += state[i] == 3;
  /* while they hold their slots, someone from another address tries to join */
  rmt_client_config cc;
  rmt_client_config_default(&cc);
  cc.port = port;
  cc.name = "Newcomer";
  cc.log = quiet;
  rmt_error err;
  rmt_client *c = rmt_client_create(&cc, &err);
  int rc = c ? RMT_EINVAL : -1;
  if (c) {
    uint64_t t = rmt__now_ms() + 5000;
    while (rmt_client_state(c) == RMT_CLIENT_CONNECTING && rmt__now_ms() < t) {
      rmt_client_service(c, 1);
      ENetEvent ev;
      while (enet_host_service(b.host, &ev, 0) > 0)
        if (ev.type == ENET_EVENT_TYPE_RECEIVE) enet_packet_destroy(ev.packet);
    }
    rc = rmt_client_state(c) == RMT_CLIENT_CONNECTED ? 0 : 1;
    snprintf(err.message, sizeof err.message, "%s", rmt_client_disconnect_reason(c));
    rmt_client_destroy(c);
  }
  report("slots: %d peers from %s: %d joined, %d refused; a client from 127.0.0.1 %s%s%s", n, ip,
         joined, refused, rc == 0 ? "joined" : "could not join", rc == 0 ? "" : ": ",
         rc == 0 ? "" : err.message);
  report("slots_joined=%d newcomer_joined=%d", joined, rc == 0);
  bot_close(&b);
  free(state);
  free(peers);
  return 0;
}

/* 6. An UnreliableRemoteEvent (Move) carrying 60 KB, from a raw peer (the 1,000-byte limit
 * is the sender's in the public API; the receiver has to enforce it against raw peers). */
static int run_unreliable_big(void) {
  bot *b = connect_bot("BigUnreliable", NULL);
  uint32_t move = need_remote(b, "Move");
  static char big[60000];
  memset(big, 'u', sizeof big);
  rmt_value arg = rmt_lstr(big, sizeof big);
  rmt_buf body = {0}, msg = {0};
  rmt_encode(&body, &arg, 1, NULL, NULL);
  put_msg(&msg, RMT_MSG_EVENT, move, 0, body.data, body.len);
  for (int i = 0; i < 5; i++) {
    bot_send_buf(b, 1, &msg);
    pump_ms(50);
  }
  pump_ms(300);
  rmt_buf_free(&body);
  rmt_buf_free(&msg);
  report("unreliable-big: 5 unreliable events of 60,000 bytes on Move");
  return 0;
}

/* 7. Deaf half-open joins: N peers (spread over several loopback addresses) connect, say
 * HELLO and never service again, while the server sends each the place's replicated state. */
static int run_deaf_joins(int n, double hold) {
  bot *deaf[MAXBOTS];
  char ip[32], name[32];
  if (n > MAXBOTS) n = MAXBOTS;
  for (int i = 0; i < n; i++) {
    snprintf(ip, sizeof ip, "127.0.%d.%d", 20 + i / 8, 1 + i % 8);
    deaf[i] = new_bot(ip);
  }
  uint64_t until = rmt__now_ms() + 5000;
  int connected = 0;
  while (connected < n && rmt__now_ms() < until) {
    for (int i = 0; i < n; i++) {
      if (deaf[i]->silent) continue;
      bot_service(deaf[i]);
      if (deaf[i]->connected) {
        snprintf(name, sizeof name, "Deaf%d", i);
        bot_hello(deaf[i], name);
        enet_host_flush(deaf[i]->host);
        deaf[i]->silent = 1; /* from now on: never serviced, nothing acknowledged */
        connected++;
      }
    }
    sleep_ms(1);
  }
  report("deaf-joins: %d of %d peers connected, said HELLO and went deaf; holding %.1f s",
         connected, n, hold);
  sleep_ms((unsigned)(hold * 1000));
  _exit(0);
}

/* 8. Huge reliable packets one fragment short: ENet keeps each unfinished packet (allocated
 * whole at its first fragment) until the peer goes. The last fragment of every packet is
 * taken out of ENet's outgoing queue before it is ever sent. */
static int run_unfinished(int npeers, double seconds) {
  bot *p[MAXBOTS];
  char ip[32];
  if (npeers > MAXBOTS) npeers = MAXBOTS;
  for (int i = 0; i < npeers; i++) {
    snprintf(ip, sizeof ip, "127.0.%d.%d", 40 + i / 8, 1 + i % 8);
    p[i] = connect_bot(NULL, ip);
  }
  size_t size = (4u << 20); /* at ENet's packet cap in serve (max_bytes 4 MiB + 64) */
  uint8_t *data = malloc(size);
  memset(data, 0x91, size);
  long packets = 0;
  uint64_t end = rmt__now_ms() + (uint64_t)(seconds * 1000);
  uint64_t next = 0;
  while (rmt__now_ms() < end) {
    if (rmt__now_ms() >= next) {
      for (int i = 0; i < npeers; i++) {
        ENetPeer *peer = p[i]->peer;
        if (peer->state != ENET_PEER_STATE_CONNECTED) continue;
        /* keep at most a few packets' worth queued, so this process stays small */
        if (enet_list_size(&peer->outgoingCommands) > 6000) continue;
        ENetPacket *pk = enet_packet_create(data, size, ENET_PACKET_FLAG_RELIABLE);
        if (enet_peer_send(peer, 0, pk) != 0) {
          enet_packet_destroy(pk);
          continue;
        }
        /* the last command queued is the packet's last fragment */
        ENetOutgoingCommand *last = (ENetOutgoingCommand *)enet_list_back(&peer->outgoingCommands);
        if (last->packet == pk) {
          enet_list_remove(&last->outgoingCommandList);
          peer->outgoingDataTotal -= last->fragmentLength;
          if (--pk->referenceCount == 0) enet_packet_destroy(pk);
          enet_free(last);
        }
        packets++;
      }
      next = rmt__now_ms() + 100;
    }
    service_all();
    sleep_ms(1);
  }
  int alive = 0;
  for (int i = 0; i < npeers; i++) alive += !p[i]->disconnected;
  report("unfinished: %d peers sent %ld packets of %zu bytes, each one fragment short, over %.1f "
         "s; %d still connected", npeers, packets, size, seconds, alive);
  free(data);
  _exit(0);
}

/* 9. A chat message of 150 KB of spaces (and one with a letter at each end) against the
 * shipped examples/lua/chat; then an ordinary message must come back relayed. */
static int heard_hello;
static void on_chat(void *ud, const rmt_value *args, size_t nargs) {
  (void)ud;
  if (nargs >= 2 && args[1].type == RMT_TSTRING && strcmp(args[1].as.string.ptr, "hello") == 0)
    heard_hello = 1;
}

static int run_chat_big(double wait_s, const char *which) {
  rmt_client *c = join_client("Spacer");
  rmt_client *other = join_client("Talker");
  rmt_remote_id chat = client_remote(c, "Remotes/ChatMessage");
  rmt_remote_id chat2 = client_remote(other, "Remotes/ChatMessage");
  rmt_signal_connect(rmt_client_remote_signal(other, chat2), on_chat, NULL);
  size_t n = 150 * 1000;
  char *text = malloc(n + 1);
  memset(text, ' ', n);
  text[n] = 0;
  rmt_value v = rmt_lstr(text, n);
  int both = !which || !strcmp(which, "both");
  if (both || !strcmp(which, "spaces")) rmt_client_fire(c, chat, &v, 1, NULL);
  text[0] = 'a';
  text[n - 1] = 'b';
  if (both || !strcmp(which, "framed")) rmt_client_fire(c, chat, &v, 1, NULL);
  rmt_client_flush(c);
  free(text);
  client_pump(c, 100);
  rmt_value hello = rmt_str("hello");
  uint64_t start = rmt__now_ms();
  rmt_client_fire(other, chat2, &hello, 1, NULL);
  rmt_client_flush(other);
  uint64_t until = start + (uint64_t)(wait_s * 1000);
  while (!heard_hello && rmt__now_ms() < until) {
    rmt_client_service(other, 1);
    rmt_client_service(c, 0);
  }
  report("chat-big: 150 KB of spaces (%s); another player's \"hello\" %s after %llu ms",
         both ? "alone, and between two letters" : which, heard_hello ? "relayed" : "NOT relayed",
         (unsigned long long)(rmt__now_ms() - start));
  report("chat_relayed=%d", heard_hello);
  _exit(0); /* the server may be stuck: leave without waiting for acknowledgements */
}

/* 10/11. One event to a remote of the place (Spin: `while true do end`; Hog: allocates
 * without bound). */
static int run_fire_once(const char *remote) {
  rmt_client *c = join_client("Trigger");
  rmt_value v = rmt_num(1);
  int rc = rmt_client_fire(c, client_remote(c, remote), &v, 1, NULL);
  client_pump(c, 200);
  report("fire: one event on %s (%s)", remote, rmt_status_name(rc));
  _exit(rc == 0 ? 0 : 1); /* the server may be busy: no goodbye */
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr,
            "usage: rmt_attacker ATTACK PORT [ARGS]\n"
            "attacks: good SECONDS [LATFILE] | stats | noise | pre-garbage | post-garbage |\n"
            "  truncated | oversized | confused | deep | flood | storm | connect-flood | vanish |\n"
            "  deaf-flood | nil-event | nil-invoke | nil-answer | relay-args |\n"
            "  listener-errors SECONDS | lossy-table | queue-fill | late-good | slots IP N |\n"
            "  unreliable-big | deaf-joins N HOLD_S | unfinished PEERS SECONDS |\n"
            "  chat-big WAIT_S [spaces|framed|both] | fire REMOTE\n");
    return 2;
  }
  const char *a = argv[1];
  port = (uint16_t)atoi(argv[2]);
  const char *x = argc > 3 ? argv[3] : NULL, *y = argc > 4 ? argv[4] : NULL;
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (rmt__enet_init() != 0) fail("enet_initialize");
  rng ^= (uint64_t)getpid() << 20;
  if (!strcmp(a, "good")) return run_good(x ? atof(x) : 3600, y);
  if (!strcmp(a, "stats")) return run_stats();
  if (!strcmp(a, "noise")) return run_noise();
  if (!strcmp(a, "pre-garbage")) return run_pre_garbage();
  if (!strcmp(a, "post-garbage")) return run_post_garbage();
  if (!strcmp(a, "truncated")) return run_truncated();
  if (!strcmp(a, "oversized")) return run_oversized();
  if (!strcmp(a, "confused")) return run_confused();
  if (!strcmp(a, "deep")) return run_deep();
  if (!strcmp(a, "flood")) return run_flood();
  if (!strcmp(a, "storm")) return run_storm();
  if (!strcmp(a, "connect-flood")) return run_connect_flood();
  if (!strcmp(a, "vanish")) return run_vanish();
  if (!strcmp(a, "deaf-flood")) return run_deaf_flood();
  if (!strcmp(a, "nil-event")) return run_nil_event();
  if (!strcmp(a, "nil-invoke")) return run_nil_invoke();
  if (!strcmp(a, "nil-answer")) return run_nil_answer();
  if (!strcmp(a, "relay-args")) return run_relay_args();
  if (!strcmp(a, "listener-errors")) return run_listener_errors(x ? atof(x) : 3);
  if (!strcmp(a, "lossy-table")) return run_lossy_table();
  if (!strcmp(a, "queue-fill")) return run_queue_fill();
  if (!strcmp(a, "late-good")) return run_late_good();
  if (!strcmp(a, "slots") && x && y) return run_slots(x, atoi(y));
  if (!strcmp(a, "unreliable-big")) return run_unreliable_big();
  if (!strcmp(a, "deaf-joins")) return run_deaf_joins(x ? atoi(x) : 32, y ? atof(y) : 3);
  if (!strcmp(a, "unfinished")) return run_unfinished(x ? atoi(x) : 4, y ? atof(y) : 4);
  if (!strcmp(a, "chat-big")) return run_chat_big(x ? atof(x) : 10, y);
  if (!strcmp(a, "fire") && x) return run_fire_once(x);
  fprintf(stderr, "rmt_attacker: unknown attack '%s'\n", a);
  return 2;
}
