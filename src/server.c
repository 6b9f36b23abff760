/* server.c - the authoritative side's lifecycle, service loop and dispatch: creates and
 * destroys the server, runs ENet's events, walks each packet's messages and hands fires and
 * invokes to listeners with the player taken from the connection, drains the queues.
 * Never trusts a payload for identity, never blocks, never grows memory on a client's say. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "server_internal.h"


void rmt_server_config_default(rmt_server_config *c) {
  memset(c, 0, sizeof *c);
  c->bind_host = "127.0.0.1";
  c->max_players = 256;
  c->max_per_address = 8;
  rmt_limits_default(&c->limits);
  c->queue_limit = 256;
  c->invoke_timeout_ms = 30000;
  c->max_pending_invokes = 64;
  c->handshake_timeout_ms = 5000;
  c->peer_timeout_ms = 10000;
  c->batch_bytes = 1200;
  c->event_rate = (rmt_rate){500, 500};
  c->unreliable_rate = (rmt_rate){500, 500};
  c->invoke_rate = (rmt_rate){500, 500};
  c->byte_rate = (rmt_rate){1024.0 * 1024.0, 1024.0 * 1024.0};
}

/* Counts a dropped message and tells the on_drop hook, with `detail` (NULL = none) saying
 * which rule it broke; the hook may kick the player (the player is still queryable). */
static void drop_why(rmt_server *s, player *p, rmt_remote_entry *r, rmt_drop_reason reason,
                     const char *detail) {
  rmt_stats *targets[3] = {&s->totals, p ? &p->stats : NULL, r ? &r->stats : NULL};
  for (int i = 0; i < 3; i++) {
    rmt_stats *t = targets[i];
    if (!t) continue;
    switch (reason) {
    case RMT_DROP_RATE_LIMIT:
    case RMT_DROP_BYTE_RATE: t->dropped_rate_limit++; break;
    case RMT_DROP_UNKNOWN_REMOTE: t->dropped_unknown_remote++; break;
    case RMT_DROP_QUEUE_OVERFLOW: t->dropped_queue_overflow++; break;
    case RMT_DROP_SCHEMA: t->dropped_schema++; break;
    default: t->dropped_malformed++; break;
    }
  }
  if (s->cfg.on_drop)
    s->cfg.on_drop(s->cfg.drop_ud, p ? p->id : 0, r ? r->id : 0, reason, detail ? detail : "");
}

static void drop(rmt_server *s, player *p, rmt_remote_entry *r, rmt_drop_reason reason) {
  drop_why(s, p, r, reason, NULL);
}

static int ensure_argv(rmt_server *s, size_t n) {
  if (n <= s->argv_cap) return RMT_OK;
  size_t ncap = s->argv_cap ? s->argv_cap : 8;
  while (ncap < n) ncap *= 2;
  rmt_value *v = rmt__realloc(s->alloc, s->argv, s->argv_cap * sizeof *v, ncap * sizeof *v);
  if (!v) return RMT_ENOMEM;
  s->argv = v;
  s->argv_cap = ncap;
  return RMT_OK;
}

/* Decodes a payload, checks it against the remote's schema (RMT_EBADARGS when it fails)
 * and prepends the player, as OnServerEvent(player, ...) expects. */
static int decode_with_player(rmt_server *s, player *p, rmt_remote_entry *r,
                              const uint8_t *body, size_t len, size_t *argc, rmt_error *err) {
  rmt_value *args;
  size_t n;
  rmt_arena_reset(s->arena);
  int rc = rmt_decode(s->arena, body, len, &s->cfg.limits, &args, &n, err);
  if (rc) return rc;
  if (r->schema && rmt_schema_check(r->schema, args, n, err)) return RMT_EBADARGS;
  if ((rc = ensure_argv(s, n + 1))) return rc;
  s->argv[0] = rmt_player_ref(p->id);
  if (n) memcpy(s->argv + 1, args, n * sizeof *args);
  *argc = n + 1;
  return RMT_OK;
}

/* A refused invoke is answered so an honest caller learns why at once, but each answer is
 * queued towards a peer that may never acknowledge it: a peer flooding bad invokes (and
 * reading nothing) made the server queue one reliable ERROR per message, tens of MB in
 * seconds. Past this budget, refusals go unanswered and the caller's own timeout ends them. */
static const rmt_rate refusal_budget = {256, 256};

static void refuse_call(rmt_server *s, player *p, rmt_remote_id remote, uint32_t call_id,
                        int status, const char *message) {
  if (rmt__bucket_take(&p->refusals, refusal_budget, s->now, 1))
    rmt__server_send_error(p, remote, call_id, status, message);
}

/* ---- incoming traffic ---- */

static rmt_bucket *override_bucket(rmt_server *s, player *p, rmt_remote_id remote) {
  for (size_t i = 0; i < p->noverrides; i++)
    if (p->overrides[i].remote == remote) return &p->overrides[i].bucket;
  remote_bucket *o = rmt__realloc(s->alloc, p->overrides, p->noverrides * sizeof *o,
                                  (p->noverrides + 1) * sizeof *o);
  if (!o) return NULL;
  p->overrides = o;
  memset(&o[p->noverrides], 0, sizeof *o);
  o[p->noverrides].remote = remote;
  return &o[p->noverrides++].bucket;
}

/* Every fire/invoke passes the player's bucket for its kind and the remote's override. */
static int admit(rmt_server *s, player *p, rmt_remote_entry *r) {
  rmt_bucket *b = r->kind == RMT_REMOTE_EVENT            ? &p->events
                  : r->kind == RMT_UNRELIABLE_REMOTE_EVENT ? &p->unreliable
                                                          : &p->invokes;
  rmt_rate rate = r->kind == RMT_REMOTE_EVENT            ? s->cfg.event_rate
                  : r->kind == RMT_UNRELIABLE_REMOTE_EVENT ? s->cfg.unreliable_rate
                                                          : s->cfg.invoke_rate;
  if (!rmt__bucket_take(b, rate, s->now, 1)) return 0;
  if (r->has_rate) {
    rmt_bucket *ob = override_bucket(s, p, r->id);
    if (!ob || !rmt__bucket_take(ob, r->rate, s->now, 1)) return 0;
  }
  return 1;
}

static void dispatch_event(rmt_server *s, player *p, rmt_remote_entry *r, const uint8_t *body,
                           size_t len) {
  size_t argc;
  rmt_error err;
  int rc = decode_with_player(s, p, r, body, len, &argc, &err);
  if (rc) {
    drop_why(s, p, r, rc == RMT_EBADARGS ? RMT_DROP_SCHEMA : RMT_DROP_MALFORMED, err.message);
    return;
  }
  rmt_signal_fire(r->signal, s->argv, argc);
}

static int complete_invocation(rmt_invocation *inv, int status, const rmt_value *values,
                               size_t nvalues, const char *message);

static void dispatch_invoke(rmt_server *s, player *p, rmt_remote_entry *r, uint32_t call_id,
                            const uint8_t *body, size_t len) {
  size_t argc;
  rmt_error err;
  int rc = decode_with_player(s, p, r, body, len, &argc, &err);
  if (rc) {
    drop_why(s, p, r, rc == RMT_EBADARGS ? RMT_DROP_SCHEMA : RMT_DROP_MALFORMED, err.message);
    char msg[300];
    snprintf(msg, sizeof msg, "bad arguments: %s", err.message);
    rmt__server_send_error(p, r->id, call_id, RMT_EBADARGS, msg);
    return;
  }
  rmt_invocation *inv = rmt__invocation_new(&s->invocations, s->alloc, s, complete_invocation,
                                            p->id, r->id, call_id);
  if (!inv) {
    rmt__server_send_error(p, r->id, call_id, RMT_ENOMEM, "server out of memory");
    return;
  }
  p->pending_invokes++;
  r->handler(r->handler_ud, inv, s->argv, argc);
}

static void handle_remote_msg(rmt_server *s, player *p, const rmt_msg *m, int channel) {
  rmt_remote_entry *r = rmt__registry_get(&s->remotes, m->id);
  if (r && r->destroyed) r = NULL;
  if (m->kind == RMT_MSG_RESULT || m->kind == RMT_MSG_ERROR) {
    rmt_pending *pc = rmt__calls_get(&s->calls, m->call_id);
    /* A reply only counts from the player that was asked, for the remote it was asked on. */
    if (pc && (pc->player != p->id || pc->remote != m->id)) {
      drop_why(s, p, r, RMT_DROP_WRONG_KIND, "an answer to a call this player was not asked");
      return;
    }
    if (r) r->stats.bytes_in += m->body_len;
    rmt__calls_on_reply(&s->calls, m, s->arena, &s->cfg.limits);
    return;
  }
  if (!r) {
    drop(s, p, NULL, RMT_DROP_UNKNOWN_REMOTE);
    if (m->kind == RMT_MSG_INVOKE) refuse_call(s, p, m->id, m->call_id, RMT_ENOTFOUND, "unknown remote");
    return;
  }
  int is_event = m->kind == RMT_MSG_EVENT;
  int kind_ok = is_event ? (r->kind == RMT_REMOTE_EVENT && channel == RMT_CHANNEL_RELIABLE) ||
                               (r->kind == RMT_UNRELIABLE_REMOTE_EVENT &&
                                channel == RMT_CHANNEL_UNRELIABLE)
                         : r->kind == RMT_REMOTE_FUNCTION && channel == RMT_CHANNEL_RELIABLE;
  if (!kind_ok) {
    drop_why(s, p, r, RMT_DROP_WRONG_KIND,
             is_event ? "an event for a remote of another kind or on the wrong channel"
                      : "an invoke for a remote that is not a RemoteFunction");
    if (!is_event) refuse_call(s, p, r->id, m->call_id, RMT_EINVAL, "not a RemoteFunction");
    return;
  }
  /* The sender's own limit, checked again here: a modified client is not bound by it. */
  if (r->kind == RMT_UNRELIABLE_REMOTE_EVENT && m->body_len > RMT_UNRELIABLE_MAX) {
    char why[RMT_ERROR_MESSAGE_MAX];
    snprintf(why, sizeof why, "UnreliableRemoteEvent '%s': %zu bytes of arguments, limit is %d",
             r->name, m->body_len, RMT_UNRELIABLE_MAX);
    drop_why(s, p, r, RMT_DROP_MALFORMED, why);
    return;
  }
  if (!admit(s, p, r)) {
    drop(s, p, r, RMT_DROP_RATE_LIMIT);
    if (!is_event) refuse_call(s, p, r->id, m->call_id, RMT_ERATELIMIT, "rate limited");
    return;
  }
  r->stats.bytes_in += m->body_len;
  if (is_event) {
    r->stats.events_in++;
    p->stats.events_in++;
    s->totals.events_in++;
    if (rmt_signal_listener_count(r->signal) && !r->queue.count) {
      dispatch_event(s, p, r, m->body, m->body_len);
      return;
    }
    rmt_queued q = {p->id, 0, 0, (uint8_t *)m->body, m->body_len};
    rmt__registry_busy(&s->remotes, s->alloc, r);
    if (rmt__queue_push(&r->queue, s->alloc, s->cfg.queue_limit, s->cfg.limits.max_bytes,
                        s->nplayers, &q)) {
      r->queue_dropped++;
      drop(s, p, r, RMT_DROP_QUEUE_OVERFLOW);
    }
    return;
  }
  r->stats.invokes_in++;
  p->stats.invokes_in++;
  s->totals.invokes_in++;
  if (p->pending_invokes >= s->cfg.max_pending_invokes) {
    drop(s, p, r, RMT_DROP_RATE_LIMIT);
    refuse_call(s, p, r->id, m->call_id, RMT_ERATELIMIT, "rate limited: too many pending invokes");
    return;
  }
  if (r->handler && !r->waiting.count) {
    dispatch_invoke(s, p, r, m->call_id, m->body, m->body_len);
    return;
  }
  /* No handler yet: wait for one, but answer before the caller's own deadline. */
  uint32_t t = m->timeout_ms ? m->timeout_ms : s->cfg.invoke_timeout_ms;
  if (t > s->cfg.invoke_timeout_ms) t = s->cfg.invoke_timeout_ms;
  uint32_t margin = t / 4 < 250 ? t / 4 : 250;
  rmt_queued q = {p->id, m->call_id, s->now + t - margin, (uint8_t *)m->body, m->body_len};
  rmt__registry_busy(&s->remotes, s->alloc, r);
  if (rmt__queue_push(&r->waiting, s->alloc, s->cfg.queue_limit, s->cfg.limits.max_bytes,
                        s->nplayers, &q)) {
    drop(s, p, r, RMT_DROP_QUEUE_OVERFLOW);
    rmt__server_send_error(p, r->id, m->call_id, RMT_ENOHANDLER,
                           "no handler: OnServerInvoke is not set");
  }
}

static void handle_packet(rmt_server *s, player *p, const uint8_t *data, size_t len, int channel) {
  p->stats.bytes_in += len;
  s->totals.bytes_in += len;
  size_t off = 0;
  rmt_msg m;
  for (;;) {
    if (p->state != PLAYER_JOINED && p->state != PLAYER_HANDSHAKE) return;
    size_t before = off;
    int rc = rmt__msg_next(data, len, &off, &m);
    if (rc == 0) return;
    if (rc < 0) {
      drop_why(s, p, NULL, RMT_DROP_MALFORMED, "a message that does not frame");
      if (p->state == PLAYER_HANDSHAKE)
        rmt__server_refuse(s, p, RMT_EREFUSED, "malformed handshake");
      return;
    }
    if (p->state == PLAYER_HANDSHAKE) {
      if (m.kind == RMT_MSG_CONTROL && m.id == RMT_CTL_HELLO && channel == RMT_CHANNEL_RELIABLE)
        rmt__server_hello(s, p, &m);
      else rmt__server_refuse(s, p, RMT_EREFUSED, "expected handshake");
      continue;
    }
    if (!rmt__bucket_take(&p->bytes, s->cfg.byte_rate, s->now, (double)(off - before))) {
      drop(s, p, rmt__registry_get(&s->remotes, m.id), RMT_DROP_BYTE_RATE);
      if (m.kind == RMT_MSG_INVOKE) refuse_call(s, p, m.id, m.call_id, RMT_ERATELIMIT, "rate limited");
      continue;
    }
    if (m.kind == RMT_MSG_REPL) {
      drop_why(s, p, NULL, RMT_DROP_WRONG_KIND, "clients cannot change the instance tree");
      continue;
    }
    if (m.kind == RMT_MSG_CONTROL) {
      if (m.id == RMT_CTL_BYE) {
        p->said_bye = 1;
        p->state = PLAYER_LEAVING;
        return;
      }
      /* clients send no other control after HELLO */
      drop_why(s, p, NULL, RMT_DROP_WRONG_KIND, "unexpected control message");
      continue;
    }
    handle_remote_msg(s, p, &m, channel);
  }
}

/* ---- invocation completion (our answers) ---- */

static int complete_invocation(rmt_invocation *inv, int status, const rmt_value *values,
                               size_t nvalues, const char *message) {
  rmt_server *s = inv->owner;
  player *p = inv->orphaned ? NULL : rmt__server_find_player(s, inv->player);
  int rc = RMT_OK;
  if (p) rmt__server_repl_flush(s);
  if (p) {
    size_t before = p->link.out[RMT_CHANNEL_RELIABLE].len;
    if (p->pending_invokes) p->pending_invokes--;
    if (status == RMT_OK)
      rc = rmt__link_put_result(&p->link, inv->remote, inv->call_id, values, nvalues,
                                &s->cfg.limits);
    else rmt__server_send_error(p, inv->remote, inv->call_id, status, message);
    rmt_remote_entry *r = rmt__registry_get(&s->remotes, inv->remote);
    size_t after = p->link.out[RMT_CHANNEL_RELIABLE].len;
    /* A split sends what came before, leaving just this answer in the batch. */
    if (r) r->stats.bytes_out += after > before ? after - before : after;
  }
  rmt__invocation_unlink(&s->invocations, inv);
  rmt__free(s->alloc, inv, sizeof *inv);
  return rc;
}

/* ---- queues: events that waited for a listener, invokes that waited for a handler ---- */

static void drain_remote(rmt_server *s, rmt_remote_entry *r) {
  rmt_queued q;
  while (r->signal && r->queue.count && rmt_signal_listener_count(r->signal) && !r->destroyed &&
         rmt__queue_pop(&r->queue, &q)) {
    player *p = rmt__server_find_player(s, q.player);
    if (p) dispatch_event(s, p, r, q.bytes, q.len);
    rmt__free(s->alloc, q.bytes, q.len);
  }
  while (r->waiting.count && !r->destroyed) {
    rmt_queued *head = &r->waiting.items[r->waiting.head];
    if (!r->handler && head->deadline > s->now) break;
    rmt__queue_pop(&r->waiting, &q);
    player *p = rmt__server_find_player(s, q.player);
    if (p && r->handler) dispatch_invoke(s, p, r, q.call_id, q.bytes, q.len);
    else if (p) rmt__server_send_error(p, r->id, q.call_id, RMT_ENOHANDLER,
                           "no handler: OnServerInvoke was not set before the timeout");
    rmt__free(s->alloc, q.bytes, q.len);
  }
}

static void drain_one(void *ud, rmt_remote_entry *r) {
  rmt_server *s = ud;
  if (r->queue.count || r->waiting.count) drain_remote(s, r);
  if (r->queue_dropped) rmt__warn_queue_overflow(s->cfg.log, s->cfg.log_ud, r, "OnServerEvent");
}

static void drain_queues(rmt_server *s) { rmt__registry_drain(&s->remotes, drain_one, s); }

/* ---- lifecycle ---- */

rmt_server *rmt__server_create_on(const rmt_server_config *config, rmt_transport *tr,
                                  rmt_error *err) {
  rmt_server_config c;
  if (config) c = *config;
  else rmt_server_config_default(&c);
  if (!c.bind_host) c.bind_host = "127.0.0.1";
  if (!c.max_players || c.max_players > 4000) {
    rmt__seterr(err, RMT_EINVAL, "max_players must be 1..4000");
    return NULL;
  }
  if (!c.batch_bytes) c.batch_bytes = 1200;
  if (!c.queue_limit) c.queue_limit = 256;
  if (!c.invoke_timeout_ms) c.invoke_timeout_ms = 30000;
  if (!c.max_pending_invokes) c.max_pending_invokes = 64;
  if (!c.handshake_timeout_ms) c.handshake_timeout_ms = 5000;
  if (!c.peer_timeout_ms) c.peer_timeout_ms = 10000;
  rmt__limits_fill(&c.limits);
  if (c.ticket_key && c.ticket_key_len != RMT_TICKET_KEY_BYTES) {
    rmt__seterr(err, RMT_EINVAL, "ticket_key must be %d bytes, got %zu", RMT_TICKET_KEY_BYTES,
                c.ticket_key_len);
    return NULL;
  }
  if (rmt__enet_init()) {
    rmt__seterr(err, RMT_ENET, "cannot initialise ENet");
    return NULL;
  }
  rmt_server *s = rmt__alloc(c.alloc, sizeof *s);
  if (!s) {
    rmt__seterr(err, RMT_ENOMEM, "out of memory");
    return NULL;
  }
  memset(s, 0, sizeof *s);
  c.alloc = rmt__keep_allocator(&s->alloc_copy, c.alloc); /* the server's own copy */
  s->cfg = c;
  s->alloc = c.alloc;
  s->players_by_id.alloc = c.alloc;
  s->calls.alloc = c.alloc;
  s->calls.by_id.alloc = c.alloc;
  s->scratch.alloc = c.alloc;
  s->repl_buf.alloc = c.alloc;
  rmt__tree_init(&s->tree, c.alloc);
  if (c.ticket_key) {
    memcpy(s->ticket_key, c.ticket_key, RMT_TICKET_KEY_BYTES);
    s->tickets_required = 1;
    s->cfg.ticket_key = NULL; /* the caller's buffer need not outlive create */
    if (c.ticket_max_uses &&
        !(s->ticket_guard = rmt_ticket_guard_create(c.ticket_max_uses, c.ticket_table_cap, c.alloc))) {
      rmt__seterr(err, RMT_ENOMEM, "out of memory");
      rmt__free(c.alloc, s, sizeof *s);
      return NULL;
    }
  }
  s->remotes.next_id = 1;
  s->now = rmt__server_now(s);
  ENetAddress addr;
  if (!tr && rmt__resolve(c.bind_host, c.port, &addr, err)) goto fail;
  s->player_added = rmt_signal_create(c.alloc);
  s->player_removing = rmt_signal_create(c.alloc);
  s->arena = rmt_arena_create(c.alloc);
  if (!s->player_added || !s->player_removing || !s->arena) {
    rmt__seterr(err, RMT_ENOMEM, "out of memory");
    goto fail;
  }
  if (tr) {
    s->tr = tr;
    return s;
  }
  /* Extra peers let the server tell connections over max_players why it refuses them. */
  int rc = rmt__transport_enet_create(&addr, c.max_players + 16, &c.limits, c.batch_bytes,
                                      c.peer_timeout_ms, c.alloc, &s->tr);
  if (rc == RMT_ENOMEM) {
    rmt__seterr(err, RMT_ENOMEM, "out of memory");
    goto fail;
  }
  if (rc) {
    rmt__seterr(err, RMT_ENET, "cannot bind UDP %s:%u (in use?)", c.bind_host, (unsigned)c.port);
    goto fail;
  }
  return s;
fail:
  rmt_ticket_guard_destroy(s->ticket_guard);
  rmt_signal_destroy(s->player_added);
  rmt_signal_destroy(s->player_removing);
  rmt_arena_destroy(s->arena);
  rmt__free(c.alloc, s, sizeof *s);
  return NULL;
}

rmt_server *rmt_server_create(const rmt_server_config *config, rmt_error *err) {
  return rmt__server_create_on(config, NULL, err);
}

uint16_t rmt_server_port(const rmt_server *s) { return s && s->tr ? s->tr->ops->port(s->tr) : 0; }

static void free_graveyard(rmt_server *s) {
  while (s->graveyard) {
    rmt_remote_entry *r = s->graveyard;
    s->graveyard = r->next_dead;
    rmt__remote_free(r, s->alloc);
  }
}

void rmt_server_destroy(rmt_server *s) {
  if (!s) return;
  s->now = rmt__server_now(s);
  for (player *p = s->first; p; p = p->next) {
    s->scratch.len = 0;
    if (!rmt__put_lstr(&s->scratch, "server shut down", 16))
      rmt__server_send_control(p, RMT_CTL_KICK, &s->scratch);
    rmt__server_snapshot_end(s, p);
    rmt__link_flush(&p->link);
  }
  /* Give the shutdown reason a moment to be acknowledged, then close every peer. */
  rmt_transport *tr = s->tr;
  tr->ops->linger(tr, 200);
  for (rmt_conn *c = tr->ops->next(tr, NULL); c; c = tr->ops->next(tr, c))
    tr->ops->close(tr, c, RMT_CLOSE_NOW, RMT_DISC_SHUTDOWN);
  s->destroying = 1;
  rmt__calls_free(&s->calls);
  for (rmt_conn *c = tr->ops->next(tr, NULL); c; c = tr->ops->next(tr, c))
    rmt__server_free_player(s, tr->ops->get_data(tr, c));
  rmt__invocation_list_free(&s->invocations);
  tr->ops->destroy(tr); /* and closes the connections no player was made for */
  free_graveyard(s);
  rmt__registry_free(&s->remotes, s->alloc);
  rmt__idmap_free(&s->players_by_id);
  rmt_ticket_guard_destroy(s->ticket_guard);
  sodium_memzero(s->ticket_key, sizeof s->ticket_key);
  rmt_signal_destroy(s->player_added);
  rmt_signal_destroy(s->player_removing);
  rmt_arena_destroy(s->arena);
  rmt_buf_free(&s->scratch);
  rmt_buf_free(&s->repl_buf);
  rmt__tree_free(&s->tree);
  rmt__free(s->alloc, s->argv, s->argv_cap * sizeof *s->argv);
  rmt_allocator hook = s->alloc_copy; /* the copy lives in the block being freed */
  rmt__free(s->alloc ? &hook : NULL, s, sizeof *s);
}

int rmt_server_flush(rmt_server *s) {
  if (!s) return RMT_EINVAL;
  rmt__server_repl_flush(s);
  for (player *p = s->first; p; p = p->next) {
    if (p->snap_state != SNAP_DONE && p->state == PLAYER_JOINED) rmt__server_snapshot_pump(s, p);
    rmt__link_flush(&p->link);
    /* Counted as sent, so batches split mid-service (rmt__link_after_append) count too. */
    uint64_t bytes = rmt__link_take_sent(&p->link);
    p->stats.bytes_out += bytes;
    s->totals.bytes_out += bytes;
  }
  s->tr->ops->flush(s->tr);
  return RMT_OK;
}

static void sweep(rmt_server *s) {
  /* Connections that never finish the handshake are dropped. */
  if (s->now - s->last_sweep < 100) return;
  s->last_sweep = s->now;
  rmt_transport *tr = s->tr;
  for (rmt_conn *c = tr->ops->next(tr, NULL); c; c = tr->ops->next(tr, c)) {
    player *p = tr->ops->get_data(tr, c);
    if (p->state == PLAYER_HANDSHAKE && s->now - p->connected_at > s->cfg.handshake_timeout_ms) {
      p->state = PLAYER_LEAVING;
      rmt__server_close(p, RMT_CLOSE_POLITE, 0);
    }
  }
}

static void handle_event(rmt_server *s, rmt_transport *tr, rmt_tevent *ev) {
  switch (ev->type) {
  case RMT_TEV_CONNECT: rmt__server_on_connect(s, tr, ev->conn); break;
  case RMT_TEV_RECEIVE: {
    player *p = tr->ops->get_data(tr, ev->conn);
    if (p && (p->state == PLAYER_JOINED || p->state == PLAYER_HANDSHAKE))
      handle_packet(s, p, ev->data, ev->len, ev->channel);
    tr->ops->release(tr, ev);
    if (p && p->said_bye) {
      rmt__server_close(p, RMT_CLOSE_NOW, RMT_DISC_NONE);
      rmt__server_free_player(s, p);
    }
    break;
  }
  case RMT_TEV_DISCONNECT: {
    player *p = tr->ops->get_data(tr, ev->conn);
    if (p) rmt__server_free_player(s, p);
    break;
  }
  }
}

static void remove_leaving(rmt_server *s) {
  if (!s->leaving_pending) return;
  s->leaving_pending = 0;
  player *p = s->first;
  while (p) {
    player *next = p->next;
    if (p->state == PLAYER_LEAVING) rmt__server_remove_player(s, p);
    p = next;
  }
}

int rmt_server_service(rmt_server *s, uint32_t timeout_ms) {
  if (!s) return RMT_EINVAL;
  if (s->in_service) return RMT_ESTATE;
  s->in_service = 1;
  s->now = rmt__server_now(s);
  remove_leaving(s);
  drain_queues(s);
  rmt_server_flush(s);
  int handled = 0;
  rmt_tevent ev;
  int rc = s->tr->ops->poll(s->tr, &ev, timeout_ms);
  while (rc > 0) {
    s->now = rmt__server_now(s);
    handle_event(s, s->tr, &ev);
    handled++;
    if (handled >= 65536) break; /* keep frames bounded under floods */
    rc = s->tr->ops->poll(s->tr, &ev, 0);
  }
  s->now = rmt__server_now(s);
  remove_leaving(s);
  rmt__calls_expire(&s->calls, s->now, &s->totals);
  drain_queues(s);
  sweep(s);
  free_graveyard(s);
  rmt_server_flush(s);
  s->in_service = 0;
  return rc < 0 ? RMT_ENET : handled;
}

/* Runs every event the fed connection's transport has queued through the real handler. */
static void feed_events(rmt_server *s, rmt_transport *tr) {
  rmt_tevent ev;
  while (tr->ops->poll(tr, &ev, 0) > 0) handle_event(s, tr, &ev);
}

/* The connection lives on an in-memory transport of its own, made per call: the server's
 * ENet connections never see it, and what the server sends it is counted and dropped. */
void rmt__server_feed(rmt_server *s, const rmt_fed_packet *packets, size_t n) {
  rmt_transport *tr = rmt__transport_mem_create(s->alloc, 0);
  if (!tr) return;
  s->in_service = 1;
  s->now = rmt__server_now(s);
  rmt_conn *conn = rmt__mem_connect(tr, 0);
  if (conn) feed_events(s, tr);
  for (size_t i = 0; conn && i < n; i++) {
    /* Refused, kicked or gone: the transport takes nothing more, like a closed peer. */
    if (rmt__mem_deliver(tr, conn, packets[i].channel & 1, packets[i].data, packets[i].len))
      break;
    feed_events(s, tr);
    drain_queues(s);
  }
  player *p = conn ? tr->ops->get_data(tr, conn) : NULL;
  if (p) rmt__server_free_player(s, p);
  tr->ops->destroy(tr);
  free_graveyard(s);
  s->in_service = 0;
}
