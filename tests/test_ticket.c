/* test_ticket.c - signed join tickets: mint/verify, every refusal reason, the reuse guard's
 * bounds, and a server over loopback that takes identity only from the ticket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sodium.h>

#include "alloc_counter.h"
#include "net_fixture.h"
#include "remotes_ticket.h"

static const uint8_t KEY[RMT_TICKET_KEY_BYTES] = {
    1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const uint8_t OTHER_KEY[RMT_TICKET_KEY_BYTES] = {9};

static uint64_t now_s(void) { return (uint64_t)time(NULL); }

static void mint(const uint8_t *key, uint64_t uid, const char *name, uint32_t ttl, char *out) {
  rmt_error err;
  assert_int_equal(rmt_ticket_mint(key, RMT_TICKET_KEY_BYTES, uid, name, ttl, out,
                                   RMT_TICKET_TEXT_MAX, &err),
                   RMT_OK);
  assert_string_equal(err.message, "");
}

static int check(const char *text, uint64_t now, rmt_ticket_guard *g,
                                rmt_ticket *t, rmt_error *err) {
  return rmt_ticket_verify(KEY, sizeof KEY, text, strlen(text), now, g, t, err);
}

/* Builds a ticket byte by byte as docs/security.md describes it, so the documented format
 * is what the code reads (and so tests can make tickets mint refuses to, e.g. expired). */
static void craft(const uint8_t *key, uint8_t version, uint64_t uid, uint64_t expires,
                  const char *name, char *out) {
  uint8_t bin[128];
  size_t n = 0, len = strlen(name);
  bin[n++] = version;
  for (int i = 0; i < 8; i++) bin[n++] = (uint8_t)(uid >> (8 * i));
  for (int i = 0; i < 8; i++) bin[n++] = (uint8_t)(expires >> (8 * i));
  randombytes_buf(bin + n, 16);
  n += 16;
  bin[n++] = (uint8_t)len;
  memcpy(bin + n, name, len);
  n += len;
  crypto_auth_hmacsha256(bin + n, bin, n, key);
  n += 32;
  memcpy(out, "rmt1.", 5);
  sodium_bin2base64(out + 5, RMT_TICKET_TEXT_MAX - 5, bin, n,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void test_round_trip(void **state) {
  (void)state;
  char text[RMT_TICKET_TEXT_MAX], text2[RMT_TICKET_TEXT_MAX];
  mint(KEY, 42, "Alice", 3600, text);
  assert_memory_equal(text, "rmt1.", 5);
  rmt_ticket t;
  rmt_error err;
  assert_int_equal(check(text, 0, NULL, &t, &err), RMT_OK);
  assert_int_equal(t.user_id, 42);
  assert_string_equal(t.name, "Alice");
  assert_true(t.expires_at >= now_s() + 3599 && t.expires_at <= now_s() + 3601);
  assert_string_equal(err.message, "");
  /* Longest name and largest id fit the documented maximum text size. */
  mint(KEY, UINT64_MAX, "abcdefghijklmnopqrstuvwxyz_01234", 31536000, text);
  assert_true(strlen(text) < RMT_TICKET_TEXT_MAX);
  assert_int_equal(check(text, 0, NULL, &t, NULL), RMT_OK);
  assert_true(t.user_id == UINT64_MAX);
  /* Every ticket has its own nonce. */
  mint(KEY, 42, "Alice", 3600, text2);
  assert_string_not_equal(text, text2);
  /* peek reads without the key (display only) */
  assert_int_equal(rmt_ticket_peek(text2, strlen(text2), &t, &err), RMT_OK);
  assert_string_equal(t.name, "Alice");
  /* the crafted form is the documented form */
  craft(KEY, 1, 7, now_s() + 60, "Bob", text);
  assert_int_equal(check(text, 0, NULL, &t, NULL), RMT_OK);
  assert_int_equal(t.user_id, 7);
  assert_string_equal(t.name, "Bob");
}

static void test_mint_refusals(void **state) {
  (void)state;
  char out[RMT_TICKET_TEXT_MAX];
  rmt_error err;
  assert_int_equal(rmt_ticket_mint(KEY, 16, 1, "A", 10, out, sizeof out, &err), RMT_EINVAL);
  assert_non_null(strstr(err.message, "32 bytes"));
  assert_int_equal(rmt_ticket_mint(KEY, 32, 1, "bad name", 10, out, sizeof out, &err), RMT_EINVAL);
  assert_non_null(strstr(err.message, "name"));
  assert_int_equal(rmt_ticket_mint(KEY, 32, 1, "", 10, out, sizeof out, &err), RMT_EINVAL);
  assert_int_equal(rmt_ticket_mint(KEY, 32, 1, "A", 0, out, sizeof out, &err), RMT_EINVAL);
  assert_non_null(strstr(err.message, "lifetime"));
  assert_int_equal(rmt_ticket_mint(KEY, 32, 1, "A", 10, out, 20, &err), RMT_ELIMIT);
  assert_string_equal(out, "");
}

/* Flipping any bit of the signed bytes or the tag is caught: as forged, or as malformed
 * when the flip breaks the structure (version, name length, name characters). */
static void test_forged_any_byte(void **state) {
  (void)state;
  char text[RMT_TICKET_TEXT_MAX], bad[RMT_TICKET_TEXT_MAX];
  mint(KEY, 42, "Alice", 3600, text);
  uint8_t bin[128];
  size_t n;
  assert_int_equal(sodium_base642bin(bin, sizeof bin, text + 5, strlen(text) - 5, NULL, &n, NULL,
                                     sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                   0);
  assert_int_equal(n, 34 + 5 + 32);
  int forged = 0;
  for (size_t i = 0; i < n; i++) {
    for (int bit = 0; bit < 8; bit++) {
      bin[i] ^= (uint8_t)(1u << bit);
      memcpy(bad, "rmt1.", 5);
      sodium_bin2base64(bad + 5, sizeof bad - 5, bin, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
      rmt_ticket t;
      rmt_error err;
      int v = check(bad, 0, NULL, &t, &err);
      assert_int_not_equal(v, RMT_OK);
      assert_int_equal(t.user_id, 0); /* nothing of a refused ticket leaks out */
      /* user id, expiry, nonce and tag bytes: only the signature can notice */
      if ((i >= 1 && i < 33) || i >= 34 + 5) {
        assert_int_equal(v, RMT_EFORGED);
        assert_string_equal(err.message, "ticket forged: bad signature");
        forged++;
      }
      bin[i] ^= (uint8_t)(1u << bit);
    }
  }
  assert_int_equal(forged, (32 + 32) * 8);
  /* Any text character changed: never valid. */
  for (size_t i = 0; i < strlen(text); i++) {
    strcpy(bad, text);
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    assert_int_not_equal(check(bad, 0, NULL, NULL, NULL), RMT_OK);
  }
  /* The same ticket under another key */
  rmt_error err;
  assert_int_equal(rmt_ticket_verify(OTHER_KEY, 32, text, strlen(text), 0, NULL, NULL, &err),
                   RMT_EFORGED);
  mint(OTHER_KEY, 42, "Alice", 3600, bad);
  assert_int_equal(check(bad, 0, NULL, NULL, &err), RMT_EFORGED);
  assert_int_equal(rmt_ticket_verify(KEY, 31, text, strlen(text), 0, NULL, NULL, &err),
                   RMT_EINVAL);
}

static void test_expired(void **state) {
  (void)state;
  char text[RMT_TICKET_TEXT_MAX];
  mint(KEY, 1, "A", 10, text);
  rmt_ticket t;
  rmt_error err;
  uint64_t now = now_s();
  assert_int_equal(check(text, now + 5, NULL, &t, &err), RMT_OK);
  assert_int_equal(check(text, t.expires_at, NULL, NULL, &err), RMT_EEXPIRED);
  assert_string_equal(err.message, "ticket expired 0 s ago");
  assert_int_equal(check(text, t.expires_at + 100, NULL, NULL, &err), RMT_EEXPIRED);
  assert_string_equal(err.message, "ticket expired 100 s ago");
  craft(KEY, 1, 1, now - 5, "A", text);
  assert_int_equal(check(text, 0, NULL, NULL, &err), RMT_EEXPIRED);
}

static void test_malformed(void **state) {
  (void)state;
  rmt_error err;
  char text[RMT_TICKET_TEXT_MAX];
  const char *cases[][2] = {
      {"rmt1.", "does not start"},        {"hello", "does not start"},
      {"rmt2.AAAA", "does not start"},    {"rmt1.!!!!", "not base64url"},
      {"rmt1.AAAA", "too short"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    assert_int_equal(check(cases[i][0], 0, NULL, NULL, &err), RMT_EDECODE);
    assert_non_null(strstr(err.message, "ticket malformed: "));
    assert_non_null(strstr(err.message, cases[i][1]));
  }
  assert_int_equal(check("", 0, NULL, NULL, &err), RMT_ENOTICKET);
  char longtext[400];
  memset(longtext, 'A', sizeof longtext - 1);
  longtext[sizeof longtext - 1] = 0;
  memcpy(longtext, "rmt1.", 5);
  assert_int_equal(check(longtext, 0, NULL, NULL, &err), RMT_EDECODE);
  assert_non_null(strstr(err.message, "too long"));
  /* Correctly signed but not version 1, or with a name no player may have. */
  craft(KEY, 2, 1, now_s() + 60, "A", text);
  assert_int_equal(check(text, 0, NULL, NULL, &err), RMT_EDECODE);
  assert_non_null(strstr(err.message, "unknown version"));
  craft(KEY, 1, 1, now_s() + 60, "a b", text);
  assert_int_equal(check(text, 0, NULL, NULL, &err), RMT_EDECODE);
  assert_non_null(strstr(err.message, "invalid name"));
  /* Truncated anywhere: malformed (never a crash, never valid). */
  mint(KEY, 1, "A", 60, text);
  for (size_t len = 0; len < strlen(text); len++)
    assert_int_not_equal(rmt_ticket_verify(KEY, 32, text, len, 0, NULL, NULL, NULL),
                         RMT_OK);
}

static void test_reuse_policy(void **state) {
  (void)state;
  alloc_counter ac;
  alloc_counter_init(&ac);
  char a[RMT_TICKET_TEXT_MAX], b[RMT_TICKET_TEXT_MAX];
  mint(KEY, 1, "A", 60, a);
  mint(KEY, 2, "B", 60, b);
  rmt_error err;
  /* single use */
  rmt_ticket_guard *g = rmt_ticket_guard_create(1, 0, &ac.hook);
  assert_non_null(g);
  assert_int_equal(check(a, 0, g, NULL, &err), RMT_OK);
  assert_int_equal(check(a, 0, g, NULL, &err), RMT_EREUSED);
  assert_string_equal(err.message, "ticket already used (single use)");
  assert_int_equal(check(b, 0, g, NULL, &err), RMT_OK);
  assert_int_equal(rmt_ticket_guard_count(g), 2);
  /* forged and expired tickets never reach the table */
  char forged[RMT_TICKET_TEXT_MAX];
  mint(OTHER_KEY, 3, "C", 60, forged);
  assert_int_equal(check(forged, 0, g, NULL, &err), RMT_EFORGED);
  assert_int_equal(check(a, now_s() + 1000, g, NULL, &err), RMT_EEXPIRED);
  assert_int_equal(rmt_ticket_guard_count(g), 2);
  rmt_ticket_guard_destroy(g);
  /* at most N */
  g = rmt_ticket_guard_create(3, 0, &ac.hook);
  for (int i = 0; i < 3; i++) assert_int_equal(check(a, 0, g, NULL, &err), RMT_OK);
  assert_int_equal(check(a, 0, g, NULL, &err), RMT_EREUSED);
  assert_string_equal(err.message, "ticket reused: at most 3 joins per ticket");
  assert_int_equal(check(b, 0, g, NULL, &err), RMT_OK);
  rmt_ticket_guard_destroy(g);
  /* unlimited within expiry: nothing is tracked */
  g = rmt_ticket_guard_create(0, 0, &ac.hook);
  for (int i = 0; i < 10; i++) assert_int_equal(check(a, 0, g, NULL, &err), RMT_OK);
  assert_int_equal(rmt_ticket_guard_count(g), 0);
  rmt_ticket_guard_destroy(g);
  rmt_ticket_guard_destroy(NULL);
  assert_int_equal(ac.live_blocks, 0);
  assert_false(ac.bad_osize);
}

static void test_table_full(void **state) {
  (void)state;
  alloc_counter ac;
  alloc_counter_init(&ac);
  rmt_ticket_guard *g = rmt_ticket_guard_create(1, 100, &ac.hook);
  rmt_error err;
  char text[RMT_TICKET_TEXT_MAX];
  uint64_t now = now_s();
  for (int i = 0; i < 100; i++) {
    mint(KEY, (uint64_t)i, "P", 10, text);
    assert_int_equal(check(text, now, g, NULL, &err), RMT_OK);
  }
  size_t peak = ac.live_bytes;
  mint(KEY, 1000, "P", 3600, text);
  assert_int_equal(check(text, now, g, NULL, &err), RMT_ELIMIT);
  assert_non_null(strstr(err.message, "too many live tickets"));
  assert_int_equal(rmt_ticket_guard_count(g), 100);
  assert_true(ac.live_bytes == peak); /* refused rather than grown */
  assert_true(peak <= 100 * 128 + 256);
  /* Once the first hundred expire, their slots are swept and new tickets get in. */
  assert_int_equal(check(text, now + 20, g, NULL, &err), RMT_OK);
  assert_int_equal(rmt_ticket_guard_count(g), 1);
  assert_int_equal(check(text, now + 20, g, NULL, &err), RMT_EREUSED);
  rmt_ticket_guard_destroy(g);
  assert_int_equal(ac.live_blocks, 0);
}

/* ---- over loopback ---- */

typedef struct world {
  net_world net;
  int added;
  char verify_saw[64];
  uint64_t verify_saw_uid;
} world;

static void on_added(void *ud, const rmt_value *args, size_t n) {
  (void)args;
  (void)n;
  ((world *)ud)->added++;
}

static int verify(void *ud, const uint8_t *ticket, size_t len, char *name, uint64_t *user_id,
                  char *reason) {
  world *w = ud;
  (void)ticket;
  (void)len;
  snprintf(w->verify_saw, sizeof w->verify_saw, "%s", name);
  w->verify_saw_uid = *user_id;
  if (*user_id == 13) {
    snprintf(reason, 128, "banned");
    return 1;
  }
  return 0;
}

typedef struct outcome {
  int status;
  char reason[256];
} outcome;

static void on_disc(void *ud, int status, const char *reason) {
  outcome *o = ud;
  o->status = status;
  snprintf(o->reason, sizeof o->reason, "%s", reason);
}

/* Connects a client asking for `name` with `ticket` (NULL = none); returns its final
 * status: RMT_OK once joined, or the refusal, whose reason lands in o->reason. */
static rmt_client *try_join(world *w, const char *name, const char *ticket, outcome *o) {
  rmt_client_config c;
  net_client_config(&w->net, &c, name);
  c.on_disconnect = on_disc;
  c.disconnect_ud = o;
  if (ticket) {
    c.ticket = (const uint8_t *)ticket;
    c.ticket_len = strlen(ticket);
  }
  memset(o, 0, sizeof *o);
  rmt_client *cl = net_add_client(&w->net, &c);
  if (net_settle(&w->net, cl) == RMT_CLIENT_CONNECTED) {
    o->status = RMT_OK;
    net_pump(&w->net, 20); /* let PlayerAdded run on the server */
  } else if (!o->status) {
    o->status = rmt_client_wait_connected(cl, 10, NULL);
  }
  return cl;
}

static void test_server_requires_tickets(void **state) {
  (void)state;
  static world w;
  memset(&w, 0, sizeof w);
  net_world_init(&w.net, NET_CLOCK_MANUAL);
  rmt_server_config cfg;
  net_server_config(&w.net, &cfg);
  uint8_t key_copy[32];
  memcpy(key_copy, KEY, 32);
  cfg.ticket_key = key_copy;
  cfg.ticket_key_len = 31;
  rmt_error err;
  assert_null(rmt_server_create(&cfg, &err));
  assert_int_equal(err.code, RMT_EINVAL);
  cfg.ticket_key_len = 32;
  cfg.ticket_max_uses = 1;
  cfg.verify = verify;
  cfg.verify_ud = &w;
  rmt_server *server = net_start_server(&w.net, &cfg);
  memset(key_copy, 0, sizeof key_copy); /* the server keeps its own copy */
  rmt_signal_connect(rmt_server_player_added(server), on_added, &w);

  char good[RMT_TICKET_TEXT_MAX], forged[RMT_TICKET_TEXT_MAX], expired[RMT_TICKET_TEXT_MAX];
  char banned[RMT_TICKET_TEXT_MAX];
  mint(KEY, 42, "Alice", 60, good);
  mint(OTHER_KEY, 42, "Alice", 60, forged);
  craft(KEY, 1, 42, now_s() - 1, "Alice", expired);
  mint(KEY, 13, "Eve", 60, banned);
  outcome o[6];
  rmt_client *c[6];

  /* The name asked for is ignored: identity is the ticket's. */
  c[0] = try_join(&w, "Mallory", good, &o[0]);
  assert_int_equal(o[0].status, RMT_OK);
  assert_string_equal(rmt_client_local_name(c[0]), "Alice");
  assert_int_equal(rmt_client_local_user_id(c[0]), 42);
  rmt_player_id ids[4];
  assert_int_equal(rmt_server_players(server, ids, 4), 1);
  assert_string_equal(rmt_server_player_name(server, ids[0]), "Alice");
  assert_int_equal(rmt_server_player_user_id(server, ids[0]), 42);
  assert_int_equal(w.added, 1);
  /* the application's verify ran after the ticket, seeing the ticket's identity */
  assert_string_equal(w.verify_saw, "Alice");
  assert_int_equal(w.verify_saw_uid, 42);
  w.verify_saw[0] = 0;

  c[1] = try_join(&w, "Bob", NULL, &o[1]);
  c[2] = try_join(&w, "Alice", forged, &o[2]);
  c[3] = try_join(&w, "Alice", expired, &o[3]);
  c[4] = try_join(&w, "Alice", good, &o[4]); /* single use: already used by c[0] */
  c[5] = try_join(&w, "Eve", "rmt1.garbage", &o[5]);
  const char *want[] = {NULL,
                        "ticket required: this server admits players with a join ticket only",
                        "ticket forged: bad signature", "ticket expired 1 s ago",
                        "ticket already used (single use)", "ticket malformed: not base64url"};
  for (int i = 1; i < 6; i++) {
    assert_int_equal(o[i].status, RMT_EREFUSED);
    if (i == 3) assert_non_null(strstr(o[i].reason, "ticket expired"));
    else assert_string_equal(o[i].reason, want[i]);
    assert_int_not_equal(rmt_client_state(c[i]), RMT_CLIENT_CONNECTED);
  }
  /* none of them reached the application */
  assert_string_equal(w.verify_saw, "");
  /* a valid ticket the application refuses */
  outcome ob;
  try_join(&w, "X", banned, &ob);
  assert_int_equal(ob.status, RMT_EREFUSED);
  assert_string_equal(ob.reason, "banned");
  assert_string_equal(w.verify_saw, "Eve");

  assert_int_equal(w.added, 1);
  assert_int_equal(rmt_server_players(server, NULL, 0), 1);
  net_world_finish(&w.net);
}

int main(void) {
  if (sodium_init() < 0) return 1; /* craft() draws nonces itself */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),     cmocka_unit_test(test_mint_refusals),
      cmocka_unit_test(test_forged_any_byte), cmocka_unit_test(test_expired),
      cmocka_unit_test(test_malformed),      cmocka_unit_test(test_reuse_policy),
      cmocka_unit_test(test_table_full),     cmocka_unit_test(test_server_requires_tickets),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
