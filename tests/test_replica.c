/* test_replica.c - the replicated instance tree over real UDP loopback: snapshot for late
 * joiners, coalescing, order against remote events, players' instances, reparent/rename/
 * attributes/destroy, tags (and a client's refusal of tag sets over the limits), the
 * read-only rule, and the wire cost of a change. */
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
#include "replica.h"

typedef struct log_entry {
  rmt_replica_event event;
  rmt_instance_id id;
  char attribute[32];
} log_entry;

typedef struct observer {
  rmt_client *client;
  log_entry log[4096];
  size_t n;
} observer;

static void on_replica(void *ud, rmt_replica_event event, rmt_instance_id id, const char *attr) {
  observer *o = ud;
  if (o->n < 4096) {
    o->log[o->n].event = event;
    o->log[o->n].id = id;
    snprintf(o->log[o->n].attribute, 32, "%s", attr ? attr : "");
    o->n++;
  }
}

static size_t count(const observer *o, rmt_replica_event ev, rmt_instance_id id) {
  size_t n = 0;
  for (size_t i = 0; i < o->n; i++)
    if (o->log[i].event == ev && (!id || o->log[i].id == id)) n++;
  return n;
}

typedef struct world {
  alloc_counter ac;
  rmt_server *server;
  observer obs[3];
  int nclients;
} world;

static void pump(world *w, int rounds) {
  for (int i = 0; i < rounds; i++) {
    rmt_server_service(w->server, 1);
    for (int c = 0; c < w->nclients; c++)
      if (w->obs[c].client) rmt_client_service(w->obs[c].client, 0);
  }
}

static void start(world *w) {
  memset(w, 0, sizeof *w);
  alloc_counter_init(&w->ac);
  rmt_server_config cfg;
  rmt_server_config_default(&cfg);
  cfg.alloc = &w->ac.hook;
  w->server = rmt_server_create(&cfg, NULL);
  assert_non_null(w->server);
}

static observer *join(world *w, const char *name) {
  observer *o = &w->obs[w->nclients++];
  rmt_client_config cc;
  rmt_client_config_default(&cc);
  cc.port = rmt_server_port(w->server);
  cc.name = name;
  cc.alloc = &w->ac.hook;
  o->client = rmt_client_create(&cc, NULL);
  assert_non_null(o->client);
  rmt_client_on_replica(o->client, on_replica, o);
  for (int i = 0; i < 3000 && rmt_client_state(o->client) != RMT_CLIENT_CONNECTED; i++) pump(w, 1);
  assert_int_equal(rmt_client_state(o->client), RMT_CLIENT_CONNECTED);
  pump(w, 5);
  return o;
}

static void finish(world *w) {
  for (int i = 0; i < w->nclients; i++) rmt_client_destroy(w->obs[i].client);
  rmt_server_destroy(w->server);
  assert_int_equal(w->ac.live_blocks, 0);
  assert_false(w->ac.bad_osize);
}

static double client_number(observer *o, rmt_instance_id id) {
  rmt_instance_info info;
  if (rmt_client_instance_info(o->client, id, &info) || !info.value || info.value->type != RMT_TNUMBER)
    return -1;
  return info.value->as.number;
}

static void wait_for(world *w, observer *o, rmt_replica_event ev, rmt_instance_id id, size_t n) {
  for (int i = 0; i < 3000 && count(o, ev, id) < n; i++) pump(w, 1);
  assert_true(count(o, ev, id) >= n);
}

static void test_snapshot_changes_and_late_joiner(void **state) {
  (void)state;
  world w;
  start(&w);
  rmt_instance_id rs, folder, gold;
  assert_int_equal(rmt_server_instance_create(w.server, 0, "ReplicatedStorage", "ReplicatedStorage", &rs, NULL), 0);
  assert_int_equal(rmt_server_instance_create(w.server, rs, "Folder", "Config", &folder, NULL), 0);
  assert_int_equal(rmt_server_instance_create(w.server, folder, "IntValue", "Gold", &gold, NULL), 0);
  rmt_value v = rmt_num(5);
  assert_int_equal(rmt_server_instance_set_value(w.server, gold, &v, NULL), 0);
  assert_int_equal(rmt_server_instance_create(w.server, 99999, "Folder", "x", NULL, NULL), RMT_ENOTFOUND);

  observer *a = join(&w, "Alice");
  wait_for(&w, a, RMT_REPLICA_CREATED, gold, 1);
  rmt_instance_info info;
  assert_int_equal(rmt_client_instance_info(a->client, gold, &info), 0);
  assert_string_equal(info.class_name, "IntValue");
  assert_string_equal(info.name, "Gold");
  assert_int_equal(info.parent, folder);
  assert_true(client_number(a, gold) == 5);
  rmt_instance_id kids[4];
  assert_int_equal(rmt_client_instance_children(a->client, folder, kids, 4), 1);
  assert_int_equal(kids[0], gold);
  /* The parent was created before the child on the client. */
  size_t at_folder = 0, at_gold = 0;
  for (size_t i = 0; i < a->n; i++) {
    if (a->log[i].event == RMT_REPLICA_CREATED && a->log[i].id == folder) at_folder = i + 1;
    if (a->log[i].event == RMT_REPLICA_CREATED && a->log[i].id == gold) at_gold = i + 1;
  }
  assert_true(at_folder && at_gold && at_folder < at_gold);

  /* Ten sets in one tick arrive as one change with the last value. */
  for (int i = 1; i <= 10; i++) {
    rmt_value x = rmt_num(100 + i);
    rmt_server_instance_set_value(w.server, gold, &x, NULL);
  }
  wait_for(&w, a, RMT_REPLICA_VALUE, gold, 1);
  pump(&w, 10);
  assert_int_equal(count(a, RMT_REPLICA_VALUE, gold), 1);
  assert_true(client_number(a, gold) == 110);

  /* Rename, reparent, attributes. */
  rmt_instance_id other;
  rmt_server_instance_create(w.server, rs, "Folder", "Other", &other, NULL);
  rmt_server_instance_set_name(w.server, gold, "Coins");
  rmt_server_instance_set_parent(w.server, gold, other);
  rmt_value lvl = rmt_num(3);
  rmt_server_instance_set_attribute(w.server, gold, "Level", &lvl, NULL);
  wait_for(&w, a, RMT_REPLICA_ATTRIBUTE, gold, 1);
  assert_int_equal(rmt_client_instance_info(a->client, gold, &info), 0);
  assert_string_equal(info.name, "Coins");
  assert_int_equal(info.parent, other);
  assert_int_equal(count(a, RMT_REPLICA_PARENT, gold), 1);
  assert_int_equal(count(a, RMT_REPLICA_NAME, gold), 1);
  const rmt_value *got = rmt_client_instance_attribute(a->client, gold, "Level");
  assert_non_null(got);
  assert_true(got->as.number == 3);
  assert_int_equal(rmt_server_instance_set_parent(w.server, other, gold), RMT_EINVAL); /* a cycle */

  /* A late joiner sees the current state, including Alice's Player instance. */
  observer *b = join(&w, "Bob");
  wait_for(&w, b, RMT_REPLICA_CREATED, gold, 1);
  assert_true(client_number(b, gold) == 110);
  assert_int_equal(rmt_client_instance_info(b->client, gold, &info), 0);
  assert_string_equal(info.name, "Coins");
  assert_non_null(rmt_client_instance_attribute(b->client, gold, "Level"));
  rmt_player_id alice = rmt_client_local_player(a->client);
  rmt_instance_id alice_inst = rmt_server_player_instance(w.server, alice);
  assert_true(alice_inst != 0);
  assert_int_equal(rmt_client_player_instance(b->client, alice), alice_inst);
  for (int i = 0; i < 3000 && !rmt_client_player_instance(a->client, rmt_client_local_player(b->client)); i++)
    pump(&w, 1);
  assert_true(rmt_client_player_instance(a->client, rmt_client_local_player(b->client)) != 0);

  /* Attribute removal and subtree destroy: children go first. */
  rmt_server_instance_set_attribute(w.server, gold, "Level", NULL, NULL);
  wait_for(&w, b, RMT_REPLICA_ATTRIBUTE, gold, 1);
  assert_null(rmt_client_instance_attribute(b->client, gold, "Level"));
  assert_int_equal(rmt_server_instance_destroy(w.server, other), 0);
  wait_for(&w, b, RMT_REPLICA_DESTROYING, other, 1);
  size_t at_child = 0, at_parent = 0;
  for (size_t i = 0; i < b->n; i++) {
    if (b->log[i].event == RMT_REPLICA_DESTROYING && b->log[i].id == gold) at_child = i + 1;
    if (b->log[i].event == RMT_REPLICA_DESTROYING && b->log[i].id == other) at_parent = i + 1;
  }
  assert_true(at_child && at_child < at_parent);
  assert_int_equal(rmt_client_instance_info(b->client, gold, &info), RMT_ENOTFOUND);

  /* Created and destroyed within one tick: clients never hear of it. */
  size_t before = a->n;
  rmt_instance_id ghost;
  rmt_server_instance_create(w.server, rs, "Folder", "Ghost", &ghost, NULL);
  rmt_server_instance_destroy(w.server, ghost);
  pump(&w, 20);
  for (size_t i = before; i < a->n; i++) assert_int_not_equal(a->log[i].id, ghost);

  /* A player's instance goes when the player leaves. */
  rmt_client_destroy(a->client);
  a->client = NULL;
  wait_for(&w, b, RMT_REPLICA_DESTROYING, alice_inst, 1);
  assert_int_equal(rmt_client_player_instance(b->client, alice), 0);
  finish(&w);
}

typedef struct order_probe {
  rmt_client *client;
  rmt_instance_id gold;
  double seen;
} order_probe;

static void on_event(void *ud, const rmt_value *args, size_t n) {
  order_probe *p = ud;
  (void)args;
  (void)n;
  rmt_instance_info info;
  if (!rmt_client_instance_info(p->client, p->gold, &info) && info.value)
    p->seen = info.value->as.number;
}

static void test_value_before_fire_is_visible(void **state) {
  (void)state;
  world w;
  start(&w);
  rmt_remote_id ev;
  rmt_server_remote_create(w.server, "Paid", RMT_REMOTE_EVENT, &ev, NULL);
  observer *a = join(&w, "Alice");
  rmt_player_id pid = rmt_client_local_player(a->client);
  rmt_instance_id ls, gold;
  rmt_server_instance_create(w.server, rmt_server_player_instance(w.server, pid), "Folder", "leaderstats", &ls, NULL);
  rmt_server_instance_create(w.server, ls, "IntValue", "Gold", &gold, NULL);
  rmt_value zero = rmt_num(0);
  rmt_server_instance_set_value(w.server, gold, &zero, NULL);
  pump(&w, 20);
  order_probe probe = {a->client, gold, -1};
  rmt_signal_connect(rmt_client_remote_signal(a->client, ev), on_event, &probe);
  /* Same tick: set, then fire. The listener must already read the new value. */
  rmt_value fifty = rmt_num(50);
  rmt_server_instance_set_value(w.server, gold, &fifty, NULL);
  rmt_value arg = rmt_str("purchaseResult");
  rmt_server_fire_client(w.server, pid, ev, &arg, 1, NULL);
  for (int i = 0; i < 3000 && probe.seen < 0; i++) pump(&w, 1);
  assert_true(probe.seen == 50);
  finish(&w);
}

static void test_clients_cannot_write(void **state) {
  (void)state;
  world w;
  start(&w);
  rmt_instance_id gold;
  rmt_server_instance_create(w.server, 0, "IntValue", "Gold", &gold, NULL);
  rmt_value v = rmt_num(7);
  rmt_server_instance_set_value(w.server, gold, &v, NULL);
  observer *a = join(&w, "Alice");
  wait_for(&w, a, RMT_REPLICA_CREATED, gold, 1);
  /* A hand-forged replication message from a client is dropped; the tree stays. */
  rmt_stats before, after;
  rmt_server_player_stats(w.server, 0, &before);
  uint8_t body[] = {2 /* VALUE */, 1, 3, 0x91, 0xce, 0x3b, 0x9a, 0xca, 0x00}; /* 1e9 */
  rmt_buf msg = {0};
  rmt__msg_put(&msg, RMT_MSG_REPL, gold, NULL, 0, body, sizeof body);
  uint8_t hello[] = {(RMT_CTL_HELLO << 3) | RMT_MSG_CONTROL, 10, 0x31, 0x54, 0x4d, 0x52, RMT_PROTOCOL_VERSION, 3, 'E', 'v', 'e', 0};
  rmt_fed_packet seq[2] = {{hello, sizeof hello, 0}, {msg.data, msg.len, 0}};
  rmt__server_feed(w.server, seq, 2);
  rmt_buf_free(&msg);
  rmt_server_player_stats(w.server, 0, &after);
  assert_true(after.dropped_malformed > before.dropped_malformed);
  rmt_instance_info info;
  rmt_server_instance_info(w.server, gold, &info);
  assert_true(info.value->as.number == 7);
  pump(&w, 10);
  assert_true(client_number(a, gold) == 7);
  finish(&w);
}

static size_t count_named(const observer *o, rmt_replica_event ev, rmt_instance_id id,
                          const char *name) {
  size_t n = 0;
  for (size_t i = 0; i < o->n; i++)
    if (o->log[i].event == ev && o->log[i].id == id && strcmp(o->log[i].attribute, name) == 0) n++;
  return n;
}

static void test_tags_replicate(void **state) {
  (void)state;
  world w;
  start(&w);
  rmt_instance_id root, a, hidden;
  assert_int_equal(rmt_server_instance_create(w.server, 0, "Folder", "ReplicatedStorage", &root, NULL), RMT_OK);
  assert_int_equal(rmt_server_instance_create(w.server, root, "RemoteEvent", "Ping", &a, NULL), RMT_OK);
  assert_int_equal(rmt_server_instance_add_tag(w.server, a, "NetManagedEvent", NULL), RMT_OK);
  assert_int_equal(rmt_server_instance_add_tag(w.server, a, "Old", NULL), RMT_OK);
  assert_int_equal(rmt_server_instance_add_tag(w.server, a, "Old", NULL), RMT_OK); /* no duplicate */
  rmt_server_flush(w.server);

  /* Joins after the tags: they come with the snapshot's CREATE, not as separate events. */
  observer *o = join(&w, "Alice");
  wait_for(&w, o, RMT_REPLICA_CREATED, a, 1);
  rmt_instance_info info;
  assert_int_equal(rmt_client_instance_info(o->client, a, &info), RMT_OK);
  assert_int_equal(info.ntags, 2);
  assert_string_equal(rmt_client_instance_tag_at(o->client, a, 0), "NetManagedEvent");
  assert_string_equal(rmt_client_instance_tag_at(o->client, a, 1), "Old");
  assert_null(rmt_client_instance_tag_at(o->client, a, 2));
  assert_int_equal(count(o, RMT_REPLICA_TAG_ADDED, a), 0);

  /* Added and removed later: one event each, naming the tag. */
  assert_int_equal(rmt_server_instance_add_tag(w.server, a, "Late", NULL), RMT_OK);
  assert_int_equal(rmt_server_instance_remove_tag(w.server, a, "Old", NULL), RMT_OK);
  assert_int_equal(rmt_server_instance_remove_tag(w.server, a, "Never", NULL), RMT_OK);
  rmt_server_flush(w.server);
  wait_for(&w, o, RMT_REPLICA_TAG_REMOVED, a, 1);
  wait_for(&w, o, RMT_REPLICA_TAG_ADDED, a, 1);
  assert_int_equal(count_named(o, RMT_REPLICA_TAG_ADDED, a, "Late"), 1);
  assert_int_equal(count_named(o, RMT_REPLICA_TAG_REMOVED, a, "Old"), 1);
  assert_true(rmt_client_instance_has_tag(o->client, a, "Late"));
  assert_false(rmt_client_instance_has_tag(o->client, a, "Old"));
  assert_true(rmt_client_instance_has_tag(o->client, a, "NetManagedEvent"));

  /* Added and removed between two flushes: the client sees no change at all. */
  size_t before = o->n;
  rmt_server_instance_add_tag(w.server, a, "Blink", NULL);
  rmt_server_instance_remove_tag(w.server, a, "Blink", NULL);
  rmt_value v = rmt_num(1);
  rmt_server_instance_set_attribute(w.server, a, "After", &v, NULL);
  rmt_server_flush(w.server);
  wait_for(&w, o, RMT_REPLICA_ATTRIBUTE, a, 1);
  for (size_t i = before; i < o->n; i++) assert_int_not_equal(o->log[i].event, RMT_REPLICA_TAG_ADDED);

  /* The server refuses what a client would refuse. */
  char longtag[RMT_MAX_TAG_LEN + 2];
  memset(longtag, 'x', sizeof longtag - 1);
  longtag[sizeof longtag - 1] = 0;
  assert_int_equal(rmt_server_instance_add_tag(w.server, a, longtag, NULL), RMT_EINVAL);
  longtag[RMT_MAX_TAG_LEN] = 0;
  assert_int_equal(rmt_server_instance_add_tag(w.server, a, longtag, NULL), RMT_OK);
  assert_int_equal(rmt_server_instance_add_tag(w.server, a, "", NULL), RMT_EINVAL);
  assert_int_equal(rmt_server_instance_add_tag(w.server, 9999, "x", NULL), RMT_ENOTFOUND);
  assert_int_equal(rmt_server_instance_create(w.server, 0, "Folder", "ServerOnly", &hidden, NULL), RMT_OK);
  char tag[16];
  for (int i = 0; i < RMT_MAX_TAGS; i++) {
    snprintf(tag, sizeof tag, "t%d", i);
    assert_int_equal(rmt_server_instance_add_tag(w.server, hidden, tag, NULL), RMT_OK);
  }
  assert_int_equal(rmt_server_instance_add_tag(w.server, hidden, "one more", NULL), RMT_ELIMIT);
  assert_int_equal(rmt_server_instance_add_tag(w.server, hidden, "t0", NULL), RMT_OK); /* already there */
  finish(&w);
}

/* A message as a hostile server could send it, applied straight to a client's tree. */
static int apply_raw(rmt_tree *t, rmt_arena *arena, rmt_instance_id id, const rmt_buf *body,
                     observer *o) {
  rmt_limits lim;
  rmt_limits_default(&lim);
  rmt_msg m = {.kind = RMT_MSG_REPL, .id = id, .body = body->data, .body_len = body->len};
  return rmt__tree_apply(t, &m, arena, &lim, on_replica, o);
}

static void create_body(rmt_buf *b, uint64_t ntags, const char *const *tags, const size_t *lens) {
  uint8_t op = RMT_REPL_CREATE, zero = 0;
  b->len = 0;
  rmt_buf_append(b, &op, 1);
  rmt__put_varint(b, 0);                    /* parent */
  rmt__put_varint(b, 0);                    /* player */
  rmt__put_lstr(b, "Folder", 6);
  rmt__put_lstr(b, "F", 1);
  rmt_buf_append(b, &zero, 1);              /* no value */
  rmt__put_varint(b, 0);                    /* no attributes */
  rmt__put_varint(b, ntags);
  for (uint64_t i = 0; tags && i < ntags; i++) rmt__put_lstr(b, tags[i], lens[i]);
}

static void test_hostile_tag_sets_refused(void **state) {
  (void)state;
  alloc_counter ac;
  alloc_counter_init(&ac);
  rmt_tree t;
  rmt__tree_init(&t, &ac.hook);
  rmt_arena *arena = rmt_arena_create(&ac.hook);
  static observer o;
  memset(&o, 0, sizeof o);
  rmt_buf b = {0};
  b.alloc = &ac.hook;
  static char names[RMT_MAX_TAGS + 1][8];
  const char *tags[RMT_MAX_TAGS + 1];
  size_t lens[RMT_MAX_TAGS + 1];
  for (int i = 0; i <= RMT_MAX_TAGS; i++) {
    snprintf(names[i], sizeof names[i], "t%d", i);
    tags[i] = names[i];
    lens[i] = strlen(names[i]);
  }

  create_body(&b, RMT_MAX_TAGS + 1, tags, lens); /* one too many */
  assert_int_equal(apply_raw(&t, arena, 1, &b, &o), RMT_EDECODE);
  create_body(&b, 1000000, NULL, NULL); /* a count the message cannot hold */
  assert_int_equal(apply_raw(&t, arena, 1, &b, &o), RMT_EDECODE);
  const char *dup[2] = {"a", "a"};
  size_t duplens[2] = {1, 1};
  create_body(&b, 2, dup, duplens);
  assert_int_equal(apply_raw(&t, arena, 1, &b, &o), RMT_EDECODE);
  char longtag[RMT_MAX_TAG_LEN + 1];
  memset(longtag, 'x', sizeof longtag);
  const char *lt[1] = {longtag};
  size_t ll[1] = {RMT_MAX_TAG_LEN + 1};
  create_body(&b, 1, lt, ll);
  assert_int_equal(apply_raw(&t, arena, 1, &b, &o), RMT_EDECODE);
  const char *nul[1] = {"a\0b"};
  size_t nullen[1] = {3};
  create_body(&b, 1, nul, nullen);
  assert_int_equal(apply_raw(&t, arena, 1, &b, &o), RMT_EDECODE);
  const char *empty[1] = {""};
  size_t zlen[1] = {0};
  create_body(&b, 1, empty, zlen);
  assert_int_equal(apply_raw(&t, arena, 1, &b, &o), RMT_EDECODE);
  assert_null(rmt__tree_get(&t, 1)); /* nothing was created by any of them */
  assert_int_equal(o.n, 0);

  /* The limit itself is fine; then a TAGS change over it is refused and changes nothing. */
  create_body(&b, RMT_MAX_TAGS, tags, lens);
  assert_int_equal(apply_raw(&t, arena, 1, &b, &o), RMT_OK);
  assert_int_equal(rmt__tree_get(&t, 1)->ntags, RMT_MAX_TAGS);
  uint8_t op = RMT_REPL_TAGS;
  b.len = 0;
  rmt_buf_append(&b, &op, 1);
  rmt__put_varint(&b, RMT_MAX_TAGS + 1);
  for (int i = 0; i <= RMT_MAX_TAGS; i++) rmt__put_lstr(&b, tags[i], lens[i]);
  assert_int_equal(apply_raw(&t, arena, 1, &b, &o), RMT_EDECODE);
  assert_int_equal(rmt__tree_get(&t, 1)->ntags, RMT_MAX_TAGS);
  assert_int_equal(apply_raw(&t, arena, 2, &b, &o), RMT_EDECODE); /* unknown instance */
  /* A valid TAGS: one removed, one added, reported as such. */
  b.len = 0;
  rmt_buf_append(&b, &op, 1);
  rmt__put_varint(&b, RMT_MAX_TAGS);
  for (int i = 1; i <= RMT_MAX_TAGS; i++) rmt__put_lstr(&b, tags[i], lens[i]);
  o.n = 0;
  assert_int_equal(apply_raw(&t, arena, 1, &b, &o), RMT_OK);
  assert_int_equal(count_named(&o, RMT_REPLICA_TAG_REMOVED, 1, "t0"), 1);
  assert_int_equal(count_named(&o, RMT_REPLICA_TAG_ADDED, 1, names[RMT_MAX_TAGS]), 1);
  assert_int_equal(o.n, 2);
  /* Trailing bytes after a tag set are refused. */
  uint8_t junk = 0;
  rmt_buf_append(&b, &junk, 1);
  assert_int_equal(apply_raw(&t, arena, 1, &b, &o), RMT_EDECODE);

  rmt_buf_free(&b);
  rmt_arena_destroy(arena);
  rmt__tree_free(&t);
  assert_int_equal(ac.live_blocks, 0);
}

static void test_wire_cost(void **state) {
  (void)state;
  world w;
  start(&w);
  rmt_instance_id root, ids[1000];
  rmt_server_instance_create(w.server, 0, "Folder", "Workspace", &root, NULL);
  for (int i = 0; i < 1000; i++) {
    char name[16];
    snprintf(name, sizeof name, "Value%d", i);
    rmt_server_instance_create(w.server, root, "IntValue", name, &ids[i], NULL);
    rmt_value v = rmt_num(i);
    rmt_server_instance_set_value(w.server, ids[i], &v, NULL);
  }
  rmt_server_flush(w.server);
  rmt_stats s0, s1, s2;
  rmt_server_player_stats(w.server, 0, &s0);
  observer *a = join(&w, "Alice");
  wait_for(&w, a, RMT_REPLICA_CREATED, ids[999], 1);
  pump(&w, 10);
  rmt_server_player_stats(w.server, 0, &s1);
  for (int i = 0; i < 1000; i++) {
    rmt_value v = rmt_num(1000 + i);
    rmt_server_instance_set_value(w.server, ids[i], &v, NULL);
  }
  wait_for(&w, a, RMT_REPLICA_VALUE, 0, 1000);
  pump(&w, 10);
  rmt_server_player_stats(w.server, 0, &s2);
  double join_bytes = (double)(s1.bytes_out - s0.bytes_out);
  double per_change = (double)(s2.bytes_out - s1.bytes_out) / 1000.0;
  printf("replication: joining with 1000 instances: %.0f bytes; per value change: %.2f bytes\n",
         join_bytes, per_change);
  /* tag (2-3) + length (1) + op (1) + has-value (1) + value length (1) + list (1) + int (3) */
  assert_true(per_change <= 12.0);
  assert_true(client_number(a, ids[500]) == 1500);
  finish(&w);
}


/* FindFirstChild and dotted paths on both trees: the way a client finds its own Coins. */
static void test_find_child_and_path(void **state) {
  (void)state;
  world w;
  start(&w);
  observer *a = join(&w, "Alice");
  rmt_player_id alice = rmt_client_local_player(a->client);
  rmt_instance_id me = rmt_server_player_instance(w.server, alice);
  assert_true(me != 0);
  rmt_instance_id stats, coins, twin, dotted;
  assert_int_equal(rmt_server_instance_create(w.server, me, "Folder", "leaderstats", &stats, NULL), 0);
  assert_int_equal(rmt_server_instance_create(w.server, stats, "IntValue", "Coins", &coins, NULL), 0);
  assert_int_equal(rmt_server_instance_create(w.server, stats, "IntValue", "Coins", &twin, NULL), 0);
  assert_int_equal(rmt_server_instance_create(w.server, stats, "IntValue", "a.b", &dotted, NULL), 0);

  assert_int_equal(rmt_server_instance_find_child(w.server, me, "leaderstats"), stats);
  assert_int_equal(rmt_server_instance_find_path(w.server, me, "leaderstats.Coins"), coins);
  assert_int_equal(rmt_server_instance_find_path(w.server, 0, "Alice.leaderstats.Coins"), coins);
  assert_int_equal(rmt_server_instance_find_path(w.server, me, "leaderstats.Gems"), 0);
  assert_int_equal(rmt_server_instance_find_path(w.server, me, "leaderstats..Coins"), 0);
  assert_int_equal(rmt_server_instance_find_path(w.server, me, ""), 0);
  assert_int_equal(rmt_server_instance_find_path(w.server, me, "leaderstats.a.b"), 0);
  assert_int_equal(rmt_server_instance_find_child(w.server, stats, "a.b"), dotted);
  assert_int_equal(rmt_server_instance_find_child(w.server, stats, "Coin"), 0);

  wait_for(&w, a, RMT_REPLICA_CREATED, dotted, 1);
  rmt_instance_id mine = rmt_client_player_instance(a->client, alice);
  assert_int_equal(mine, me);
  assert_int_equal(rmt_client_instance_find_path(a->client, mine, "leaderstats.Coins"), coins);
  assert_int_equal(rmt_client_instance_find_child(a->client, 0, "Alice"), me);
  assert_int_equal(rmt_client_instance_find_child(a->client, stats, "a.b"), dotted);
  assert_int_equal(rmt_client_instance_find_path(a->client, 0, "Bob.leaderstats"), 0);
  assert_int_equal(rmt_client_instance_find_child(NULL, 0, "Alice"), 0);
  assert_int_equal(rmt_client_instance_find_path(a->client, 0, NULL), 0);
  finish(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_snapshot_changes_and_late_joiner),
      cmocka_unit_test(test_value_before_fire_is_visible),
      cmocka_unit_test(test_clients_cannot_write),
      cmocka_unit_test(test_tags_replicate),
      cmocka_unit_test(test_hostile_tag_sets_refused),
      cmocka_unit_test(test_wire_cost),
      cmocka_unit_test(test_find_child_and_path),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
