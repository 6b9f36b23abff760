/* client.c - one player's side: joins a server over a transport (ENet unless a test gives
 * another, see transport.h), mirrors its remote registry and
 * player list, fires and invokes, answers InvokeClient. Never blocks except in the
 * documented *_sync helpers, which only pump this client until a deadline. */
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "replica.h"

typedef struct known_player {
  rmt_player_id id;
  uint64_t user_id;
  char name[64];
  struct known_player *next; /* join order */
} known_player;

typedef struct waiter {
  char *name;
  size_t name_len;
  uint64_t deadline; /* 0 = never */
  rmt_remote_id ready; /* already known when the wait started: reported next service */
  rmt_found_fn found;
  void *ud;
  struct waiter *next;
} waiter;

struct rmt_client {
  rmt_client_config cfg;
  const rmt_allocator *alloc;
  rmt_allocator alloc_copy; /* config.alloc, copied: the caller's struct need not outlive create */
  rmt_transport *tr;      /* owned; destroyed with the client */
  rmt_conn *conn;         /* the one connection to the server; NULL once it is gone */
  rmt_link link;
  rmt_connection_state state;
  int notified;           /* on_disconnect called */
  int end_status;
  char end_reason[256];
  uint64_t connect_deadline;
  rmt_player_id player_id;
  uint64_t user_id;
  char name[64];
  uint8_t *ticket;
  size_t ticket_len;
  rmt_registry remotes;
  rmt_remote_entry *graveyard;
  rmt_idmap players_by_id;
  known_player *players; /* join order */
  rmt_signal *player_added, *player_removing;
  waiter *waiters;
  rmt_calls calls;
  rmt_invocation_list invocations;
  rmt_arena *arena;
  rmt_tree tree; /* the server's instances as replicated */
  rmt_replica_fn on_replica;
  void *replica_ud;
  rmt_stats totals;
  uint64_t now;
  int in_service;
  char last_error[256];
};

void rmt_client_config_default(rmt_client_config *c) {
  memset(c, 0, sizeof *c);
  c->host = "127.0.0.1";
  rmt_limits_default(&c->limits);
  c->queue_limit = 256;
  c->connect_timeout_ms = 5000;
  c->invoke_timeout_ms = 30000;
  c->peer_timeout_ms = 10000;
  c->batch_bytes = 1200;
  c->linger_ms = 200;
}

/* Every deadline of the client is on the config's clock (rmt_clock_fn); the blocking waits
 * below bound real time instead, since nothing can advance a clock while they block. */
static uint64_t client_now(const rmt_client *c) { return rmt__clock_ms(c->cfg.clock, c->cfg.clock_ud); }

static void set_error(rmt_client *c, const char *msg) {
  snprintf(c->last_error, sizeof c->last_error, "%s", msg);
}

/* ---- ending: every way out of the session comes through here ---- */

static void end_session(rmt_client *c, int status, const char *reason) {
  if (c->state == RMT_CLIENT_DISCONNECTED) return;
  c->state = RMT_CLIENT_DISCONNECTED;
  if (!c->end_reason[0] || status == RMT_OK) {
    c->end_status = status;
    snprintf(c->end_reason, sizeof c->end_reason, "%s", reason);
  }
  set_error(c, c->end_reason);
  for (rmt_invocation *inv = c->invocations.head; inv; inv = inv->next) inv->orphaned = 1;
  rmt__calls_fail_player(&c->calls, 0, RMT_EDISCONNECTED, "disconnected");
  while (c->waiters) {
    waiter *w = c->waiters;
    c->waiters = w->next;
    if (w->found) w->found(w->ud, 0);
    rmt__free(c->alloc, w->name, w->name_len + 1);
    rmt__free(c->alloc, w, sizeof *w);
  }
  if (!c->notified) {
    c->notified = 1;
    if (c->cfg.on_disconnect) c->cfg.on_disconnect(c->cfg.disconnect_ud, c->end_status, c->end_reason);
  }
}

/* A reason the server gave (REFUSE/KICK) wins over what ENet reports afterwards. */
static void note_reason(rmt_client *c, int status, const char *reason, size_t len) {
  c->end_status = status;
  if (len >= sizeof c->end_reason) len = sizeof c->end_reason - 1;
  memcpy(c->end_reason, reason, len);
  c->end_reason[len] = 0;
}

/* ---- helpers ---- */

static void send_error(rmt_client *c, rmt_remote_id remote, uint32_t call_id, int status,
                       const char *message) {
  rmt__link_put_error(&c->link, remote, call_id, status, message);
}

static void count_drop(rmt_client *c, rmt_remote_entry *r, rmt_drop_reason reason) {
  rmt_stats *t[2] = {&c->totals, r ? &r->stats : NULL};
  for (int i = 0; i < 2; i++) {
    if (!t[i]) continue;
    if (reason == RMT_DROP_UNKNOWN_REMOTE) t[i]->dropped_unknown_remote++;
    else if (reason == RMT_DROP_QUEUE_OVERFLOW) t[i]->dropped_queue_overflow++;
    else t[i]->dropped_malformed++;
  }
}

static void dispatch_event(rmt_client *c, rmt_remote_entry *r, const uint8_t *body, size_t len) {
  rmt_value *args;
  size_t n;
  rmt_arena_reset(c->arena);
  if (rmt_decode(c->arena, body, len, &c->cfg.limits, &args, &n, NULL)) {
    count_drop(c, r, RMT_DROP_MALFORMED);
    return;
  }
  rmt_signal_fire(r->signal, args, n);
}

static int complete_invocation(rmt_invocation *inv, int status, const rmt_value *values,
                               size_t nvalues, const char *message) {
  rmt_client *c = inv->owner;
  int rc = RMT_OK;
  if (!inv->orphaned && c->state == RMT_CLIENT_CONNECTED) {
    if (status == RMT_OK)
      rc = rmt__link_put_result(&c->link, inv->remote, inv->call_id, values, nvalues, NULL);
    else send_error(c, inv->remote, inv->call_id, status, message);
  }
  rmt__invocation_unlink(&c->invocations, inv);
  rmt__free(c->alloc, inv, sizeof *inv);
  return rc;
}

static void dispatch_invoke(rmt_client *c, rmt_remote_entry *r, uint32_t call_id,
                            const uint8_t *body, size_t len) {
  rmt_value *args;
  size_t n;
  rmt_error err;
  rmt_arena_reset(c->arena);
  if (rmt_decode(c->arena, body, len, &c->cfg.limits, &args, &n, &err)) {
    char msg[300];
    snprintf(msg, sizeof msg, "bad arguments: %s", err.message);
    send_error(c, r->id, call_id, RMT_EBADARGS, msg);
    return;
  }
  rmt_invocation *inv = rmt__invocation_new(&c->invocations, c->alloc, c, complete_invocation, 0,
                                            r->id, call_id);
  if (!inv) {
    send_error(c, r->id, call_id, RMT_ENOMEM, "client out of memory");
    return;
  }
  r->handler(r->handler_ud, inv, args, n);
}

static void drain_remote(rmt_client *c, rmt_remote_entry *r) {
  rmt_queued q;
  while (r->signal && r->queue.count && rmt_signal_listener_count(r->signal) && !r->destroyed &&
         rmt__queue_pop(&r->queue, &q)) {
    dispatch_event(c, r, q.bytes, q.len);
    rmt__free(c->alloc, q.bytes, q.len);
  }
  while (r->waiting.count && !r->destroyed) {
    rmt_queued *head = &r->waiting.items[r->waiting.head];
    if (!r->handler && head->deadline > c->now) break;
    rmt__queue_pop(&r->waiting, &q);
    if (r->handler) dispatch_invoke(c, r, q.call_id, q.bytes, q.len);
    else send_error(c, r->id, q.call_id, RMT_ENOHANDLER,
                    "no handler: OnClientInvoke was not set before the timeout");
    rmt__free(c->alloc, q.bytes, q.len);
  }
}

static void drain_one(void *ud, rmt_remote_entry *r) {
  rmt_client *c = ud;
  if (r->queue.count || r->waiting.count) drain_remote(c, r);
  if (r->queue_dropped) rmt__warn_queue_overflow(c->cfg.log, c->cfg.log_ud, r, "OnClientEvent");
}

static void drain_queues(rmt_client *c) { rmt__registry_drain(&c->remotes, drain_one, c); }

/* ---- registry and players as the server tells them ---- */

static void fire_waiters(rmt_client *c, const rmt_remote_entry *r) {
  waiter **link = &c->waiters;
  while (*link) {
    waiter *w = *link;
    rmt_remote_id id = 0;
    int due = 0;
    if (r) {
      due = w->name_len == r->name_len && memcmp(w->name, r->name, r->name_len) == 0;
      id = r->id;
    } else if (w->ready) {
      due = 1;
      id = w->ready;
    } else {
      due = w->deadline && w->deadline <= c->now;
    }
    if (!due) {
      link = &w->next;
      continue;
    }
    *link = w->next;
    if (w->found) w->found(w->ud, id);
    rmt__free(c->alloc, w->name, w->name_len + 1);
    rmt__free(c->alloc, w, sizeof *w);
    link = &c->waiters; /* a callback may have changed the list */
  }
}

static int add_remote(rmt_client *c, rmt_reader *rd) {
  rmt_remote_id id = (rmt_remote_id)rmt__get_varint(rd);
  uint64_t kind = rmt__get_varint(rd);
  size_t len;
  const uint8_t *name = rmt__get_lstr(rd, 200, &len);
  if (rd->bad || !id || id > RMT_MAX_REMOTE_ID || kind < 1 || kind > 3 ||
      !rmt__remote_name_valid((const char *)name, len) || rmt__registry_get(&c->remotes, id))
    return RMT_EDECODE;
  rmt_remote_entry *r = rmt__remote_new(c->alloc, id, (rmt_remote_kind)kind, (const char *)name, len);
  if (!r || rmt__registry_set(&c->remotes, c->alloc, id, r)) {
    rmt__remote_free(r, c->alloc);
    return RMT_ENOMEM;
  }
  if (c->cfg.on_registry) c->cfg.on_registry(c->cfg.registry_ud, 1, id, r->name, r->kind);
  fire_waiters(c, r);
  return RMT_OK;
}

static void remove_remote(rmt_client *c, rmt_remote_id id) {
  rmt_remote_entry *r = rmt__registry_get(&c->remotes, id);
  if (!r) return;
  rmt__registry_set(&c->remotes, c->alloc, id, NULL);
  r->destroyed = 1;
  for (rmt_pending *p = c->calls.head; p;) {
    rmt_pending *next = p->next;
    if (p->remote == id) {
      rmt__calls_complete(&c->calls, p, RMT_ENOTFOUND, NULL, 0, "remote was destroyed");
      next = c->calls.head;
    }
    p = next;
  }
  if (c->cfg.on_registry) c->cfg.on_registry(c->cfg.registry_ud, 0, id, r->name, r->kind);
  r->next_dead = c->graveyard;
  c->graveyard = r;
}

static int add_player(rmt_client *c, rmt_reader *rd) {
  rmt_player_id id = (rmt_player_id)rmt__get_varint(rd);
  uint64_t user_id = rmt__get_varint(rd);
  size_t len;
  const uint8_t *name = rmt__get_lstr(rd, 63, &len);
  if (rd->bad || !id || rmt__idmap_get(&c->players_by_id, id)) return RMT_EDECODE;
  known_player *p = rmt__alloc(c->alloc, sizeof *p);
  if (!p) return RMT_ENOMEM;
  memset(p, 0, sizeof *p);
  p->id = id;
  p->user_id = user_id;
  memcpy(p->name, name, len);
  if (rmt__idmap_put(&c->players_by_id, id, p)) {
    rmt__free(c->alloc, p, sizeof *p);
    return RMT_ENOMEM;
  }
  known_player **tail = &c->players;
  while (*tail) tail = &(*tail)->next;
  *tail = p;
  rmt_value arg = rmt_player_ref(id);
  rmt_signal_fire(c->player_added, &arg, 1);
  return RMT_OK;
}

static void remove_player(rmt_client *c, rmt_player_id id) {
  known_player *p = rmt__idmap_get(&c->players_by_id, id);
  if (!p) return;
  rmt_value arg = rmt_player_ref(id);
  rmt_signal_fire(c->player_removing, &arg, 1);
  rmt__idmap_del(&c->players_by_id, id);
  for (known_player **l = &c->players; *l; l = &(*l)->next)
    if (*l == p) {
      *l = p->next;
      break;
    }
  rmt__free(c->alloc, p, sizeof *p);
}

static void handle_control(rmt_client *c, const rmt_msg *m) {
  rmt_reader rd = {m->body, m->body_len, 0, 0};
  switch (m->id) {
  case RMT_CTL_WELCOME: {
    if (c->state != RMT_CLIENT_CONNECTING) break;
    uint64_t version = rmt__get_varint(&rd);
    if (version != RMT_PROTOCOL_VERSION) {
      note_reason(c, RMT_EVERSION, "protocol version mismatch", 25);
      c->tr->ops->close(c->tr, c->conn, RMT_CLOSE_POLITE, RMT_DISC_NONE);
      break;
    }
    c->player_id = (rmt_player_id)rmt__get_varint(&rd);
    c->user_id = rmt__get_varint(&rd);
    size_t len;
    const uint8_t *name = rmt__get_lstr(&rd, 63, &len);
    uint64_t count = rmt__get_varint(&rd);
    if (rd.bad) break;
    memcpy(c->name, name, len);
    c->name[len] = 0;
    c->state = RMT_CLIENT_CONNECTED;
    for (uint64_t i = 0; i < count && !rd.bad; i++)
      if (add_remote(c, &rd) == RMT_EDECODE) break;
    break;
  }
  case RMT_CTL_REFUSE: {
    uint64_t status = rmt__get_varint(&rd);
    size_t len;
    const uint8_t *reason = rmt__get_lstr(&rd, 255, &len);
    if (rd.bad) break;
    int st = -(int)status;
    if (st != RMT_EVERSION) st = RMT_EREFUSED;
    note_reason(c, st, (const char *)reason, len);
    break;
  }
  case RMT_CTL_KICK: {
    size_t len;
    const uint8_t *reason = rmt__get_lstr(&rd, 255, &len);
    if (!rd.bad) note_reason(c, RMT_EREFUSED, (const char *)reason, len);
    break;
  }
  case RMT_CTL_REMOTE_ADDED: add_remote(c, &rd); break;
  case RMT_CTL_REMOTE_REMOVED: remove_remote(c, (rmt_remote_id)rmt__get_varint(&rd)); break;
  case RMT_CTL_PLAYER_ADDED: add_player(c, &rd); break;
  case RMT_CTL_PLAYER_REMOVED: remove_player(c, (rmt_player_id)rmt__get_varint(&rd)); break;
  default: count_drop(c, NULL, RMT_DROP_MALFORMED); break;
  }
}

static void handle_remote_msg(rmt_client *c, const rmt_msg *m, int channel) {
  if (m->kind == RMT_MSG_RESULT || m->kind == RMT_MSG_ERROR) {
    rmt__calls_on_reply(&c->calls, m, c->arena, &c->cfg.limits);
    return;
  }
  rmt_remote_entry *r = rmt__registry_get(&c->remotes, m->id);
  if (!r) {
    count_drop(c, NULL, RMT_DROP_UNKNOWN_REMOTE);
    return;
  }
  r->stats.bytes_in += m->body_len;
  if (m->kind == RMT_MSG_EVENT) {
    int ok = (r->kind == RMT_REMOTE_EVENT && channel == RMT_CHANNEL_RELIABLE) ||
             (r->kind == RMT_UNRELIABLE_REMOTE_EVENT && channel == RMT_CHANNEL_UNRELIABLE);
    if (!ok) {
      count_drop(c, r, RMT_DROP_WRONG_KIND);
      return;
    }
    /* A modified server is not bound by its own send-side check. */
    if (r->kind == RMT_UNRELIABLE_REMOTE_EVENT && m->body_len > RMT_UNRELIABLE_MAX) {
      count_drop(c, r, RMT_DROP_MALFORMED);
      return;
    }
    r->stats.events_in++;
    c->totals.events_in++;
    if (rmt_signal_listener_count(r->signal) && !r->queue.count) {
      dispatch_event(c, r, m->body, m->body_len);
      return;
    }
    rmt_queued q = {0, 0, 0, (uint8_t *)m->body, m->body_len};
    rmt__registry_busy(&c->remotes, c->alloc, r);
    if (rmt__queue_push(&r->queue, c->alloc, c->cfg.queue_limit, c->cfg.limits.max_bytes, 0, &q)) {
      r->queue_dropped++;
      count_drop(c, r, RMT_DROP_QUEUE_OVERFLOW);
    }
    return;
  }
  /* INVOKE from the server (InvokeClient). */
  if (r->kind != RMT_REMOTE_FUNCTION) {
    send_error(c, m->id, m->call_id, RMT_EINVAL, "not a RemoteFunction");
    return;
  }
  r->stats.invokes_in++;
  c->totals.invokes_in++;
  if (r->handler && !r->waiting.count) {
    dispatch_invoke(c, r, m->call_id, m->body, m->body_len);
    return;
  }
  uint32_t t = m->timeout_ms ? m->timeout_ms : c->cfg.invoke_timeout_ms;
  uint32_t margin = t / 4 < 250 ? t / 4 : 250;
  rmt_queued q = {0, m->call_id, c->now + t - margin, (uint8_t *)m->body, m->body_len};
  rmt__registry_busy(&c->remotes, c->alloc, r);
  if (rmt__queue_push(&r->waiting, c->alloc, c->cfg.queue_limit, c->cfg.limits.max_bytes, 0, &q))
    send_error(c, r->id, m->call_id, RMT_ENOHANDLER, "no handler: OnClientInvoke is not set");
}

static void handle_packet(rmt_client *c, const uint8_t *data, size_t len, int channel) {
  c->totals.bytes_in += len;
  size_t off = 0;
  rmt_msg m;
  int rc;
  while ((rc = rmt__msg_next(data, len, &off, &m)) > 0) {
    if (c->state == RMT_CLIENT_DISCONNECTED) return;
    if (m.kind == RMT_MSG_CONTROL) {
      if (channel == RMT_CHANNEL_RELIABLE) handle_control(c, &m);
      continue;
    }
    if (c->state != RMT_CLIENT_CONNECTED) continue;
    if (m.kind == RMT_MSG_REPL) {
      if (channel != RMT_CHANNEL_RELIABLE ||
          rmt__tree_apply(&c->tree, &m, c->arena, &c->cfg.limits, c->on_replica, c->replica_ud))
        count_drop(c, NULL, RMT_DROP_MALFORMED);
      continue;
    }
    handle_remote_msg(c, &m, channel);
  }
  if (rc < 0) count_drop(c, NULL, RMT_DROP_MALFORMED);
}

static void send_hello(rmt_client *c) {
  rmt_buf body = {0};
  body.alloc = c->alloc;
  uint8_t magic[4] = {(uint8_t)RMT_PROTOCOL_MAGIC, (uint8_t)(RMT_PROTOCOL_MAGIC >> 8),
                      (uint8_t)(RMT_PROTOCOL_MAGIC >> 16), (uint8_t)(RMT_PROTOCOL_MAGIC >> 24)};
  int rc = rmt_buf_append(&body, magic, 4);
  if (!rc) rc = rmt__put_varint(&body, RMT_PROTOCOL_VERSION);
  if (!rc) rc = rmt__put_lstr(&body, c->cfg.name, strlen(c->cfg.name));
  if (!rc) rc = rmt__put_lstr(&body, (const char *)c->ticket, c->ticket_len);
  if (!rc) rc = rmt__msg_put(&c->link.out[RMT_CHANNEL_RELIABLE], RMT_MSG_CONTROL, RMT_CTL_HELLO,
                             NULL, 0, body.data, body.len);
  rmt_buf_free(&body);
  if (rc) end_session(c, rc, "out of memory");
}

/* The one place a transport event reaches the client; the caller releases a RECEIVE. */
static void handle_event(rmt_client *c, const rmt_tevent *ev) {
  if (ev->conn != c->conn) return; /* only ever one connection; a stale one says nothing */
  switch (ev->type) {
  case RMT_TEV_CONNECT:
    send_hello(c);
    break;
  case RMT_TEV_RECEIVE:
    handle_packet(c, ev->data, ev->len, ev->channel & 1);
    break;
  case RMT_TEV_DISCONNECT: {
    c->conn = NULL;
    c->link.conn = NULL;
    if (c->end_reason[0]) end_session(c, c->end_status, c->end_reason);
    else if (ev->code == RMT_DISC_SHUTDOWN) end_session(c, RMT_EREFUSED, "server shut down");
    else if (ev->code == RMT_DISC_KICKED) end_session(c, RMT_EREFUSED, "kicked");
    else if (ev->code == RMT_DISC_REFUSED) end_session(c, RMT_EREFUSED, "refused by server");
    else if (c->state == RMT_CLIENT_CONNECTING)
      end_session(c, RMT_ETIMEDOUT, "could not reach the server");
    else end_session(c, RMT_ETIMEDOUT, "connection to the server lost");
    break;
  }
  }
}

/* ---- lifecycle ---- */

/* The last of create's failure path and of destroy: what every client holds from create. */
static void client_release(rmt_client *c) {
  rmt_signal_destroy(c->player_added);
  rmt_signal_destroy(c->player_removing);
  rmt_arena_destroy(c->arena);
  rmt__free(c->alloc, c->ticket, c->ticket_len);
  rmt_allocator hook = c->alloc_copy; /* the copy lives in the block being freed */
  rmt__free(c->alloc ? &hook : NULL, c, sizeof *c);
}

rmt_client *rmt__client_create_on(const rmt_client_config *config, rmt_transport *tr,
                                  rmt_conn *conn, rmt_error *err) {
  if (!config) {
    rmt__seterr(err, RMT_EINVAL, "config is required (port and name)");
    return NULL;
  }
  rmt_client_config cfg = *config;
  if (!cfg.host) cfg.host = "127.0.0.1";
  if (!tr && !cfg.port) {
    rmt__seterr(err, RMT_EINVAL, "port is required");
    return NULL;
  }
  if (!rmt__player_name_valid(cfg.name, cfg.name ? strlen(cfg.name) : 0)) {
    rmt__seterr(err, RMT_EINVAL, "invalid name '%s': use 1-32 characters of A-Z, a-z, 0-9 and _",
                cfg.name ? cfg.name : "(null)");
    return NULL;
  }
  if (cfg.ticket_len > 4096) {
    rmt__seterr(err, RMT_ELIMIT, "ticket longer than 4096 bytes");
    return NULL;
  }
  rmt__limits_fill(&cfg.limits);
  if (!cfg.queue_limit) cfg.queue_limit = 256;
  if (!cfg.connect_timeout_ms) cfg.connect_timeout_ms = 5000;
  if (!cfg.invoke_timeout_ms) cfg.invoke_timeout_ms = 30000;
  if (!cfg.peer_timeout_ms) cfg.peer_timeout_ms = 10000;
  if (!cfg.batch_bytes) cfg.batch_bytes = 1200;
  if (rmt__enet_init()) {
    rmt__seterr(err, RMT_ENET, "cannot initialise ENet");
    return NULL;
  }
  rmt_client *c = rmt__alloc(cfg.alloc, sizeof *c);
  if (!c) {
    rmt__seterr(err, RMT_ENOMEM, "out of memory");
    return NULL;
  }
  memset(c, 0, sizeof *c);
  cfg.alloc = rmt__keep_allocator(&c->alloc_copy, cfg.alloc); /* the client's own copy */
  c->cfg = cfg;
  c->alloc = cfg.alloc;
  c->players_by_id.alloc = cfg.alloc;
  c->calls.alloc = cfg.alloc;
  c->calls.by_id.alloc = cfg.alloc;
  rmt__tree_init(&c->tree, cfg.alloc);
  c->state = RMT_CLIENT_CONNECTING;
  c->now = client_now(c);
  c->connect_deadline = c->now + cfg.connect_timeout_ms;
  snprintf(c->name, sizeof c->name, "%s", cfg.name);
  c->cfg.name = c->name;
  if (cfg.ticket_len) {
    c->ticket = rmt__alloc(c->alloc, cfg.ticket_len);
    if (!c->ticket) goto oom;
    memcpy(c->ticket, cfg.ticket, cfg.ticket_len);
    c->ticket_len = cfg.ticket_len;
  }
  c->cfg.ticket = NULL;
  c->player_added = rmt_signal_create(c->alloc);
  c->player_removing = rmt_signal_create(c->alloc);
  c->arena = rmt_arena_create(c->alloc);
  if (!c->player_added || !c->player_removing || !c->arena) goto oom;
  if (tr) {
    c->tr = tr;
    c->conn = conn;
  } else {
    ENetAddress addr;
    if (rmt__resolve(cfg.host, cfg.port, &addr, err)) goto fail;
    /* One connection slot: the client only ever talks to its server. */
    int rc = rmt__transport_enet_create(NULL, 1, &cfg.limits, cfg.batch_bytes,
                                        cfg.peer_timeout_ms, c->alloc, &c->tr);
    if (rc == RMT_ENOMEM) goto oom;
    if (rc) {
      rmt__seterr(err, RMT_ENET, "cannot create a UDP socket");
      goto fail;
    }
    c->conn = rmt__transport_enet_connect(c->tr, &addr);
    if (!c->conn) {
      rmt__seterr(err, RMT_ENET, "cannot start connecting to %s:%u", cfg.host,
                  (unsigned)cfg.port);
      goto fail;
    }
  }
  rmt__link_init(&c->link, c->tr, c->conn, cfg.batch_bytes, c->alloc);
  return c;
oom:
  rmt__seterr(err, RMT_ENOMEM, "out of memory");
fail:
  if (c->tr && c->tr != tr) c->tr->ops->destroy(c->tr); /* a given transport stays the caller's */
  client_release(c);
  return NULL;
}

rmt_client *rmt_client_create(const rmt_client_config *config, rmt_error *err) {
  return rmt__client_create_on(config, NULL, NULL, err);
}

static void free_graveyard(rmt_client *c) {
  while (c->graveyard) {
    rmt_remote_entry *r = c->graveyard;
    c->graveyard = r->next_dead;
    rmt__remote_free(r, c->alloc);
  }
}

void rmt_client_destroy(rmt_client *c) {
  if (!c) return;
  if (c->conn && c->state == RMT_CLIENT_CONNECTED) {
    /* BYE goes after everything fired; lingering until it is acknowledged means the
     * server has it all, and it closes the session without waiting for a timeout. */
    rmt__msg_put(&c->link.out[RMT_CHANNEL_RELIABLE], RMT_MSG_CONTROL, RMT_CTL_BYE, NULL, 0, NULL, 0);
    rmt__link_flush(&c->link);
    c->tr->ops->linger(c->tr, c->cfg.linger_ms);
  }
  if (c->conn) c->tr->ops->close(c->tr, c->conn, RMT_CLOSE_NOW, RMT_DISC_NONE);
  c->notified = 1; /* no on_disconnect during destroy */
  rmt__calls_free(&c->calls);
  rmt__invocation_list_free(&c->invocations);
  while (c->waiters) {
    waiter *w = c->waiters;
    c->waiters = w->next;
    rmt__free(c->alloc, w->name, w->name_len + 1);
    rmt__free(c->alloc, w, sizeof *w);
  }
  while (c->players) {
    known_player *p = c->players;
    c->players = p->next;
    rmt__free(c->alloc, p, sizeof *p);
  }
  rmt__idmap_free(&c->players_by_id);
  c->tr->ops->destroy(c->tr);
  rmt__link_free(&c->link);
  free_graveyard(c);
  rmt__registry_free(&c->remotes, c->alloc);
  rmt__tree_free(&c->tree);
  client_release(c);
}

int rmt_client_flush(rmt_client *c) {
  if (!c) return RMT_EINVAL;
  if (!c->conn) return RMT_OK;
  int rc = rmt__link_flush(&c->link);
  c->totals.bytes_out += rmt__link_take_sent(&c->link); /* split batches included */
  c->tr->ops->flush(c->tr);
  return rc;
}

int rmt_client_service(rmt_client *c, uint32_t timeout_ms) {
  if (!c) return RMT_EINVAL;
  if (c->in_service) return RMT_ESTATE;
  c->in_service = 1;
  c->now = client_now(c);
  drain_queues(c);
  rmt_client_flush(c);
  int handled = 0;
  rmt_tevent ev;
  int rc = c->tr->ops->poll(c->tr, &ev, timeout_ms);
  while (rc > 0) {
    c->now = client_now(c);
    handle_event(c, &ev);
    if (ev.type == RMT_TEV_RECEIVE) c->tr->ops->release(c->tr, &ev);
    if (++handled >= 65536) break;
    rc = c->tr->ops->poll(c->tr, &ev, 0);
  }
  c->now = client_now(c);
  if (c->state == RMT_CLIENT_CONNECTING && c->now >= c->connect_deadline) {
    if (c->conn) c->tr->ops->close(c->tr, c->conn, RMT_CLOSE_RESET, RMT_DISC_NONE);
    c->conn = NULL;
    c->link.conn = NULL;
    char msg[200];
    snprintf(msg, sizeof msg, "could not join %s:%u within %u ms", c->cfg.host,
             (unsigned)c->cfg.port, c->cfg.connect_timeout_ms);
    end_session(c, RMT_ETIMEDOUT, msg);
  }
  rmt__calls_expire(&c->calls, c->now, &c->totals);
  fire_waiters(c, NULL);
  drain_queues(c);
  free_graveyard(c);
  rmt_client_flush(c);
  c->in_service = 0;
  return rc < 0 ? RMT_ENET : handled;
}

int rmt_client_wait_connected(rmt_client *c, uint32_t timeout_ms, rmt_error *err) {
  if (!c) return rmt__seterr(err, RMT_EINVAL, "client is NULL");
  uint64_t deadline = rmt__now_ms() + timeout_ms;
  while (c->state == RMT_CLIENT_CONNECTING) {
    uint64_t now = rmt__now_ms();
    if (now >= deadline) return rmt__seterr(err, RMT_ETIMEDOUT, "not connected within %u ms", timeout_ms);
    uint64_t left = deadline - now;
    rmt_client_service(c, left < 10 ? (uint32_t)left : 10);
  }
  if (c->state == RMT_CLIENT_CONNECTED) return RMT_OK;
  return rmt__seterr(err, c->end_status ? c->end_status : RMT_EDISCONNECTED, "%s", c->end_reason);
}

rmt_connection_state rmt_client_state(const rmt_client *c) {
  return c ? c->state : RMT_CLIENT_DISCONNECTED;
}
const char *rmt_client_disconnect_reason(const rmt_client *c) { return c ? c->last_error : ""; }
rmt_player_id rmt_client_local_player(const rmt_client *c) { return c ? c->player_id : 0; }
const char *rmt_client_local_name(const rmt_client *c) { return c ? c->name : NULL; }
uint64_t rmt_client_local_user_id(const rmt_client *c) { return c ? c->user_id : 0; }

size_t rmt_client_players(const rmt_client *c, rmt_player_id *out, size_t cap) {
  size_t n = 0;
  for (known_player *p = c ? c->players : NULL; p; p = p->next) {
    if (out && n < cap) out[n] = p->id;
    n++;
  }
  return n;
}

const char *rmt_client_player_name(const rmt_client *c, rmt_player_id id) {
  known_player *p = c ? rmt__idmap_get(&c->players_by_id, id) : NULL;
  return p ? p->name : NULL;
}

uint64_t rmt_client_player_user_id(const rmt_client *c, rmt_player_id id) {
  known_player *p = c ? rmt__idmap_get(&c->players_by_id, id) : NULL;
  return p ? p->user_id : 0;
}

rmt_signal *rmt_client_player_added(rmt_client *c) { return c ? c->player_added : NULL; }
rmt_signal *rmt_client_player_removing(rmt_client *c) { return c ? c->player_removing : NULL; }

rmt_remote_id rmt_client_remote_find(const rmt_client *c, const char *name) {
  if (!c || !name) return 0;
  rmt_remote_entry *r = rmt__registry_find(&c->remotes, name, strlen(name));
  return r ? r->id : 0;
}

const char *rmt_client_remote_name(const rmt_client *c, rmt_remote_id id) {
  rmt_remote_entry *r = c ? rmt__registry_get(&c->remotes, id) : NULL;
  return r ? r->name : NULL;
}

int rmt_client_remote_kind(const rmt_client *c, rmt_remote_id id, rmt_remote_kind *out) {
  rmt_remote_entry *r = c ? rmt__registry_get(&c->remotes, id) : NULL;
  if (!r || !out) return r ? RMT_EINVAL : RMT_ENOTFOUND;
  *out = r->kind;
  return RMT_OK;
}

int rmt_client_remote_wait(rmt_client *c, const char *name, uint32_t timeout_ms,
                           rmt_found_fn found, void *ud) {
  if (!c || !name) return RMT_EINVAL;
  if (c->state == RMT_CLIENT_DISCONNECTED) return RMT_EDISCONNECTED;
  waiter *w = rmt__alloc(c->alloc, sizeof *w);
  if (!w) return RMT_ENOMEM;
  memset(w, 0, sizeof *w);
  w->name_len = strlen(name);
  w->name = rmt__alloc(c->alloc, w->name_len + 1);
  if (!w->name) {
    rmt__free(c->alloc, w, sizeof *w);
    return RMT_ENOMEM;
  }
  memcpy(w->name, name, w->name_len + 1);
  w->deadline = timeout_ms ? client_now(c) + timeout_ms : 0;
  w->found = found;
  w->ud = ud;
  rmt_remote_entry *r = rmt__registry_find(&c->remotes, name, w->name_len);
  if (r) w->ready = r->id;
  w->next = c->waiters;
  c->waiters = w;
  return RMT_OK;
}

int rmt_client_remote_wait_sync(rmt_client *c, const char *name, uint32_t timeout_ms,
                                rmt_remote_id *out) {
  if (!c || !name) return RMT_EINVAL;
  uint64_t deadline = rmt__now_ms() + timeout_ms;
  for (;;) {
    rmt_remote_id id = rmt_client_remote_find(c, name);
    if (id) {
      if (out) *out = id;
      return RMT_OK;
    }
    if (c->state == RMT_CLIENT_DISCONNECTED) return RMT_EDISCONNECTED;
    uint64_t now = rmt__now_ms();
    if (now >= deadline) return RMT_ETIMEDOUT;
    uint64_t left = deadline - now;
    rmt_client_service(c, left < 10 ? (uint32_t)left : 10);
  }
}

rmt_signal *rmt_client_remote_signal(rmt_client *c, rmt_remote_id remote) {
  rmt_remote_entry *r = c ? rmt__registry_get(&c->remotes, remote) : NULL;
  return r ? r->signal : NULL;
}

int rmt_client_remote_on_invoke(rmt_client *c, rmt_remote_id remote, rmt_invoke_fn handler,
                         void *ud) {
  rmt_remote_entry *r = c ? rmt__registry_get(&c->remotes, remote) : NULL;
  if (!r) return RMT_ENOTFOUND;
  if (r->kind != RMT_REMOTE_FUNCTION) return RMT_ETYPE;
  r->handler = handler;
  r->handler_ud = ud;
  return RMT_OK;
}

static int check_remote(rmt_client *c, rmt_remote_id remote, rmt_remote_entry **out,
                        rmt_error *err) {
  if (!c) return rmt__seterr(err, RMT_EINVAL, "client is NULL");
  if (c->state != RMT_CLIENT_CONNECTED)
    return rmt__seterr(err, c->state == RMT_CLIENT_CONNECTING ? RMT_ESTATE : RMT_EDISCONNECTED,
                       "not connected");
  rmt_remote_entry *r = rmt__registry_get(&c->remotes, remote);
  if (!r) return rmt__seterr(err, RMT_ENOTFOUND, "no remote with id %u (destroyed?)", remote);
  *out = r;
  return RMT_OK;
}

int rmt_client_fire(rmt_client *c, rmt_remote_id remote, const rmt_value *args, size_t nargs,
                    rmt_error *err) {
  rmt_remote_entry *r = NULL;
  int rc = check_remote(c, remote, &r, err);
  if (rc) return rc;
  if (r->kind == RMT_REMOTE_FUNCTION)
    return rmt__seterr(err, RMT_ETYPE, "'%s' is a RemoteFunction: use invoke, not fire", r->name);
  int ch = r->kind == RMT_UNRELIABLE_REMOTE_EVENT ? RMT_CHANNEL_UNRELIABLE : RMT_CHANNEL_RELIABLE;
  rmt_buf *b = &c->link.out[ch];
  rmt_msg_mark mark;
  if ((rc = rmt__msg_begin(b, RMT_MSG_EVENT, remote, NULL, 0, &mark)))
    return rmt__seterr(err, rc, "out of memory");
  if ((rc = rmt_encode(b, args, nargs, NULL, err))) {
    rmt__msg_abort(b, &mark);
    return rc;
  }
  size_t payload = b->len - mark.len_at - 1;
  if (ch == RMT_CHANNEL_UNRELIABLE && payload > RMT_UNRELIABLE_MAX) {
    rmt__msg_abort(b, &mark);
    return rmt__seterr(err, RMT_ETOOBIG,
                       "UnreliableRemoteEvent '%s': %zu bytes of arguments, limit is %d",
                       r->name, payload, RMT_UNRELIABLE_MAX);
  }
  if ((rc = rmt__msg_end(b, &mark))) return rmt__seterr(err, rc, "out of memory");
  r->stats.events_out++;
  r->stats.bytes_out += b->len - mark.start;
  c->totals.events_out++;
  return rmt__link_after_append(&c->link, ch, mark.start);
}

int rmt_client_invoke(rmt_client *c, rmt_remote_id remote, const rmt_value *args, size_t nargs,
                      uint32_t timeout_ms, rmt_result_fn done, void *ud, rmt_error *err) {
  rmt_remote_entry *r = NULL;
  int rc = check_remote(c, remote, &r, err);
  if (rc) return rc;
  if (r->kind != RMT_REMOTE_FUNCTION)
    return rmt__seterr(err, RMT_ETYPE, "'%s' is not a RemoteFunction", r->name);
  if (!timeout_ms) timeout_ms = c->cfg.invoke_timeout_ms;
  rmt_pending *p = rmt__calls_new(&c->calls, 0, remote, client_now(c) + timeout_ms, done, ud);
  if (!p) return rmt__seterr(err, RMT_ENOMEM, "out of memory");
  rmt_buf *b = &c->link.out[RMT_CHANNEL_RELIABLE];
  rmt_msg_mark mark;
  uint32_t fields[2] = {p->call_id, timeout_ms};
  rc = rmt__msg_begin(b, RMT_MSG_INVOKE, remote, fields, 2, &mark);
  if (!rc && (rc = rmt_encode(b, args, nargs, NULL, err))) rmt__msg_abort(b, &mark);
  if (!rc) rc = rmt__msg_end(b, &mark);
  if (rc) {
    p->done = NULL;
    rmt__calls_complete(&c->calls, p, rc, NULL, 0, NULL);
    if (err && !err->message[0]) rmt__seterr(err, rc, "%s", rmt_strerror(rc));
    return rc;
  }
  r->stats.invokes_out++;
  c->totals.invokes_out++;
  /* The call is registered and its message queued: from here on it completes through `done`
   * (answer, timeout, disconnect). A failed send of what was batched before it is not this
   * call's failure, and returning it would let the caller free what `done` still gets. */
  rmt__link_after_append(&c->link, RMT_CHANNEL_RELIABLE, mark.start);
  return RMT_OK;
}

typedef struct sync_result {
  int done;
  int status;
  rmt_value *values;
  size_t nvalues;
  char message[256];
  const rmt_allocator *alloc;
} sync_result;

static void on_sync_result(void *ud, int status, const rmt_value *results, size_t nresults,
                           const char *message) {
  sync_result *s = ud;
  s->done = 1;
  s->status = status;
  snprintf(s->message, sizeof s->message, "%s", message);
  if (status == RMT_OK && nresults) {
    rmt_error err;
    if (rmt_values_copy(results, nresults, s->alloc, &s->values, &err)) {
      s->status = err.code;
      snprintf(s->message, sizeof s->message, "%s", err.message);
    } else {
      s->nvalues = nresults;
    }
  }
}

int rmt_client_invoke_sync(rmt_client *c, rmt_remote_id remote, const rmt_value *args,
                           size_t nargs, uint32_t timeout_ms, rmt_value **results,
                           size_t *nresults, rmt_error *err) {
  sync_result s;
  memset(&s, 0, sizeof s);
  s.alloc = c ? c->alloc : NULL;
  if (results) *results = NULL;
  if (nresults) *nresults = 0;
  int rc = rmt_client_invoke(c, remote, args, nargs, timeout_ms, on_sync_result, &s, err);
  if (rc) return rc;
  while (!s.done) rmt_client_service(c, 5);
  if (s.status != RMT_OK) return rmt__seterr(err, s.status, "%s", s.message);
  if (results) *results = s.values;
  else rmt_values_free(s.values, s.alloc);
  if (nresults) *nresults = s.nvalues;
  rmt__clearerr(err);
  return RMT_OK;
}

int rmt_client_remote_stats(const rmt_client *c, rmt_remote_id remote, rmt_stats *out) {
  if (!c || !out) return RMT_EINVAL;
  if (!remote) {
    *out = c->totals;
    return RMT_OK;
  }
  rmt_remote_entry *r = rmt__registry_get(&c->remotes, remote);
  if (!r) return RMT_ENOTFOUND;
  *out = r->stats;
  return RMT_OK;
}

void rmt__client_feed(rmt_client *c, const rmt_fed_packet *packet) {
  c->in_service = 1;
  c->now = client_now(c);
  /* As if the packet came out of the transport on the client's connection: the same handler
   * as real packets, so what the client answers goes out on that connection. */
  rmt_tevent ev = {RMT_TEV_RECEIVE, c->conn, packet->data, packet->len, packet->channel & 1, 0,
                   NULL};
  handle_event(c, &ev);
  drain_queues(c);
  free_graveyard(c);
  c->in_service = 0;
}

/* ---- replicated instances (read-only here) ---- */

void rmt_client_on_replica(rmt_client *c, rmt_replica_fn fn, void *ud) {
  if (!c) return;
  c->on_replica = fn;
  c->replica_ud = ud;
}

int rmt_client_instance_info(const rmt_client *c, rmt_instance_id id, rmt_instance_info *out) {
  rmt_inst *inst = c ? rmt__tree_get(&c->tree, id) : NULL;
  if (!inst || !out) return RMT_ENOTFOUND;
  rmt__tree_info(inst, out);
  return RMT_OK;
}

const rmt_value *rmt_client_instance_attribute(const rmt_client *c, rmt_instance_id id,
                                               const char *name) {
  rmt_inst *inst = c && name ? rmt__tree_get(&c->tree, id) : NULL;
  return inst ? rmt__tree_get_attr(inst, name, strlen(name)) : NULL;
}

int rmt_client_instance_attribute_at(const rmt_client *c, rmt_instance_id id, size_t index,
                                     const char **name, const rmt_value **value) {
  rmt_inst *inst = c ? rmt__tree_get(&c->tree, id) : NULL;
  if (!inst || index >= inst->nattrs) return RMT_ENOTFOUND;
  if (name) *name = inst->attrs[index].name;
  if (value) *value = inst->attrs[index].value;
  return RMT_OK;
}

const char *rmt_client_instance_tag_at(const rmt_client *c, rmt_instance_id id, size_t index) {
  rmt_inst *inst = c ? rmt__tree_get(&c->tree, id) : NULL;
  return inst && index < inst->ntags ? inst->tags[index] : NULL;
}

int rmt_client_instance_has_tag(const rmt_client *c, rmt_instance_id id, const char *tag) {
  rmt_inst *inst = c && tag ? rmt__tree_get(&c->tree, id) : NULL;
  return inst ? rmt__tree_has_tag(inst, tag, strlen(tag)) : 0;
}

size_t rmt_client_instance_children(const rmt_client *c, rmt_instance_id id,
                                    rmt_instance_id *out, size_t cap) {
  if (!c) return 0;
  size_t n;
  const rmt_instance_id *ids = rmt__tree_children(&c->tree, id, &n);
  for (size_t i = 0; out && i < n && i < cap; i++) out[i] = ids[i];
  return n;
}

rmt_instance_id rmt_client_player_instance(const rmt_client *c, rmt_player_id player) {
  if (!c || !player) return 0;
  for (size_t i = 0; i < c->tree.nroots; i++) {
    rmt_inst *inst = rmt__tree_get(&c->tree, c->tree.roots[i]);
    if (inst && inst->player == player) return inst->id;
  }
  return 0;
}

rmt_instance_id rmt_client_instance_find_child(const rmt_client *c, rmt_instance_id parent,
                                               const char *name) {
  return c && name ? rmt__tree_find_child(&c->tree, parent, name, strlen(name)) : 0;
}

rmt_instance_id rmt_client_instance_find_path(const rmt_client *c, rmt_instance_id from,
                                              const char *path) {
  return c ? rmt__tree_find_path(&c->tree, from, path) : 0;
}
