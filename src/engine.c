/* engine.c - machinery shared by server.c and client.c: clock, ENet setup, batches,
 * token buckets, remote entries and queues, invocations and pending calls.
 * Holds no policy and no global state beyond ENet's one-time initialisation. */
#define _POSIX_C_SOURCE 200809L
#include "engine.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

uint64_t rmt__now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ENet's default out-of-memory hook aborts; ours lets the failing call return NULL. */
static void enet_no_memory(void) {}

int rmt__enet_init(void) {
  static int done;
  if (done) return RMT_OK;
  ENetCallbacks cb = {malloc, free, enet_no_memory};
  if (enet_initialize_with_callbacks(ENET_VERSION, &cb) != 0) return RMT_ENET;
  done = 1;
  return RMT_OK;
}

int rmt__resolve(const char *host, uint16_t port, ENetAddress *out, rmt_error *err) {
  out->port = port;
  if (enet_address_set_host(out, host) != 0)
    return rmt__seterr(err, RMT_EINVAL, "cannot resolve host '%s'", host);
  return RMT_OK;
}

static int all_acked(const ENetHost *host) {
  for (size_t i = 0; i < host->peerCount; i++) {
    const ENetPeer *p = &host->peers[i];
    if (p->state != ENET_PEER_STATE_CONNECTED && p->state != ENET_PEER_STATE_DISCONNECT_LATER)
      continue;
    if (!enet_list_empty(&p->sentReliableCommands) || !enet_list_empty(&p->outgoingCommands))
      return 0;
  }
  return 1;
}

void rmt__linger(ENetHost *host, uint32_t ms) {
  uint64_t deadline = rmt__now_ms() + ms;
  enet_host_flush(host);
  while (!all_acked(host) && rmt__now_ms() < deadline) {
    ENetEvent ev;
    while (enet_host_service(host, &ev, 1) > 0)
      if (ev.type == ENET_EVENT_TYPE_RECEIVE) enet_packet_destroy(ev.packet);
  }
}

int rmt__player_name_valid(const char *name, size_t len) {
  if (!name || len < 1 || len > 32) return 0;
  for (size_t i = 0; i < len; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return 0;
  }
  return 1;
}

void rmt__limits_fill(rmt_limits *l) {
  rmt_limits d;
  rmt_limits_default(&d);
  if (!l->max_depth) l->max_depth = d.max_depth;
  if (!l->max_elements) l->max_elements = d.max_elements;
  if (!l->max_string) l->max_string = d.max_string;
  if (!l->max_bytes) l->max_bytes = d.max_bytes;
}

size_t rmt__max_packet(const rmt_limits *l, uint32_t batch_bytes) {
  return (l->max_bytes > batch_bytes ? l->max_bytes : batch_bytes) + 64;
}

size_t rmt__max_waiting(const rmt_limits *l, uint32_t batch_bytes) {
  return rmt__max_packet(l, batch_bytes) + RMT_WAITING_SLACK;
}

void rmt__host_limits(ENetHost *host, const rmt_limits *l, uint32_t batch_bytes) {
  host->maximumPacketSize = rmt__max_packet(l, batch_bytes);
  host->maximumWaitingData = rmt__max_waiting(l, batch_bytes);
}

/* ---- token bucket ---- */

int rmt__bucket_take(rmt_bucket *b, rmt_rate rate, uint64_t now_ms, double cost) {
  if (rate.per_second <= 0 && rate.burst <= 0) return 1;
  double burst = rate.burst > 0 ? rate.burst : rate.per_second;
  if (!b->primed) {
    b->tokens = burst;
    b->last_ms = now_ms;
    b->primed = 1;
  } else if (now_ms > b->last_ms) {
    b->tokens += (double)(now_ms - b->last_ms) * rate.per_second / 1000.0;
    if (b->tokens > burst) b->tokens = burst;
    b->last_ms = now_ms;
  }
  if (b->tokens < cost) return 0;
  b->tokens -= cost;
  return 1;
}

/* ---- batches ---- */

void rmt__link_init(rmt_link *l, rmt_transport *tr, rmt_conn *conn, uint32_t batch_bytes,
                    const rmt_allocator *a) {
  memset(l, 0, sizeof *l);
  l->tr = tr;
  l->conn = conn;
  l->batch_bytes = batch_bytes;
  for (int ch = 0; ch < RMT_CHANNEL_COUNT; ch++) l->out[ch].alloc = a;
}

static int send_packet(rmt_link *l, int ch, const uint8_t *data, size_t len) {
  int rc = l->conn ? l->tr->ops->send(l->tr, l->conn, ch, data, len) : RMT_ESTATE;
  if (rc) return rc;
  l->sent_bytes += len;
  return RMT_OK;
}

uint64_t rmt__link_take_sent(rmt_link *l) {
  uint64_t n = l->sent_bytes - l->reported_bytes;
  l->reported_bytes = l->sent_bytes;
  return n;
}

int rmt__link_send(rmt_link *l, int ch, const uint8_t *data, size_t len) {
  return send_packet(l, ch, data, len);
}

int rmt__link_after_append(rmt_link *l, int ch, size_t start) {
  rmt_buf *b = &l->out[ch];
  if (b->len <= l->batch_bytes || start == 0) return RMT_OK;
  if (ch == RMT_CHANNEL_RELIABLE && l->hold_reliable) return RMT_OK;
  int rc = send_packet(l, ch, b->data, start);
  memmove(b->data, b->data + start, b->len - start);
  b->len -= start;
  return rc;
}

int rmt__link_flush(rmt_link *l) {
  int rc = RMT_OK;
  for (int ch = 0; ch < RMT_CHANNEL_COUNT; ch++) {
    rmt_buf *b = &l->out[ch];
    if (!b->len || (ch == RMT_CHANNEL_RELIABLE && l->hold_reliable)) continue;
    int r = send_packet(l, ch, b->data, b->len);
    if (r) rc = r;
    b->len = 0;
    /* A join snapshot or a big message can grow a batch far past its usual size; an idle
     * player should not keep that memory (it made the per-player cost 4x at 1000 players). */
    if (b->cap > 4 * (size_t)l->batch_bytes + 4096) rmt_buf_free(b);
  }
  return rc;
}

void rmt__link_free(rmt_link *l) {
  for (int ch = 0; ch < RMT_CHANNEL_COUNT; ch++) rmt_buf_free(&l->out[ch]);
}

void rmt__link_put_error(rmt_link *l, rmt_remote_id remote, uint32_t call_id, int status,
                         const char *message) {
  uint32_t fields[2] = {call_id, (uint32_t)-status};
  rmt_buf *b = &l->out[RMT_CHANNEL_RELIABLE];
  size_t start = b->len;
  if (rmt__msg_put(b, RMT_MSG_ERROR, remote, fields, 2, (const uint8_t *)message,
                   strlen(message)) == RMT_OK)
    rmt__link_after_append(l, RMT_CHANNEL_RELIABLE, start);
}

int rmt__link_put_result(rmt_link *l, rmt_remote_id remote, uint32_t call_id,
                         const rmt_value *values, size_t nvalues, const rmt_limits *limits) {
  rmt_buf *b = &l->out[RMT_CHANNEL_RELIABLE];
  rmt_msg_mark mark;
  rmt_error err;
  int rc = rmt__msg_begin(b, RMT_MSG_RESULT, remote, &call_id, 1, &mark);
  if (rc) return rc;
  if ((rc = rmt_encode(b, values, nvalues, limits, &err))) {
    rmt__msg_abort(b, &mark);
    char msg[300];
    snprintf(msg, sizeof msg, "cannot return values: %s", err.message);
    rmt__link_put_error(l, remote, call_id, RMT_EHANDLER, msg);
    return rc;
  }
  if ((rc = rmt__msg_end(b, &mark))) return rc;
  return rmt__link_after_append(l, RMT_CHANNEL_RELIABLE, mark.start);
}

void rmt__warn_queue_overflow(rmt_log_fn fn, void *ud, rmt_remote_entry *r, const char *listener) {
  char path[256];
  snprintf(path, sizeof path, "%s", r->name);
  for (char *c = path; *c; c++)
    if (*c == '/') *c = '.';
  rmt__log(fn, ud, RMT_LOG_WARN,
           "Remote event invocation queue exhausted for ReplicatedStorage.%s; did you forget "
           "to implement %s? (%llu events dropped)",
           path, listener, (unsigned long long)r->queue_dropped);
  r->queue_dropped = 0;
}

/* ---- queues ---- */

/* What one sender holds in a queue (per-sender bound). */
typedef struct queue_share {
  size_t count;
  size_t bytes;
} queue_share;

int rmt__queue_push(rmt_queue *q, const rmt_allocator *a, size_t limit, size_t max_bytes,
                    size_t senders, const rmt_queued *item) {
  if (q->count >= limit || q->bytes + item->len > max_bytes) return RMT_ELIMIT;
  queue_share *sh = NULL;
  int new_share = 0;
  if (senders && item->player) {
    /* A fair share: one sender's flood leaves room for everyone else's events. */
    size_t max_count = limit / senders ? limit / senders : 1;
    sh = rmt__idmap_get(&q->shares, item->player);
    size_t held = sh ? sh->count : 0, held_bytes = sh ? sh->bytes : 0;
    if (held >= max_count || held_bytes + item->len > max_bytes / senders) return RMT_ELIMIT;
    if (!sh) {
      q->shares.alloc = a;
      sh = rmt__alloc(a, sizeof *sh);
      if (!sh) return RMT_ENOMEM;
      memset(sh, 0, sizeof *sh);
      if (rmt__idmap_put(&q->shares, item->player, sh)) {
        rmt__free(a, sh, sizeof *sh);
        return RMT_ENOMEM;
      }
      new_share = 1;
    }
  }
  int rc = RMT_ENOMEM;
  if (q->count == q->cap) {
    size_t ncap = q->cap ? q->cap * 2 : 8;
    rmt_queued *items = rmt__alloc(a, ncap * sizeof *items);
    if (!items) goto fail;
    for (size_t i = 0; i < q->count; i++) items[i] = q->items[(q->head + i) % q->cap];
    rmt__free(a, q->items, q->cap * sizeof *q->items);
    q->items = items;
    q->cap = ncap;
    q->head = 0;
  }
  rmt_queued copy = *item;
  copy.bytes = NULL;
  if (item->len) {
    copy.bytes = rmt__alloc(a, item->len);
    if (!copy.bytes) goto fail;
    memcpy(copy.bytes, item->bytes, item->len);
  }
  q->items[(q->head + q->count) % q->cap] = copy;
  q->count++;
  q->bytes += item->len;
  if (sh) {
    sh->count++;
    sh->bytes += item->len;
  }
  return RMT_OK;
fail:
  if (new_share) {
    rmt__idmap_del(&q->shares, item->player);
    rmt__free(a, sh, sizeof *sh);
  }
  return rc;
}

int rmt__queue_pop(rmt_queue *q, rmt_queued *out) {
  if (!q->count) return 0;
  *out = q->items[q->head];
  q->head = (q->head + 1) % q->cap;
  q->count--;
  q->bytes -= out->len;
  queue_share *sh = out->player ? rmt__idmap_get(&q->shares, out->player) : NULL;
  if (sh && --sh->count == 0) {
    rmt__idmap_del(&q->shares, out->player);
    rmt__free(q->shares.alloc, sh, sizeof *sh);
  } else if (sh) {
    sh->bytes -= out->len;
  }
  return 1;
}

void rmt__queue_clear(rmt_queue *q, const rmt_allocator *a) {
  rmt_queued it;
  while (rmt__queue_pop(q, &it)) rmt__free(a, it.bytes, it.len);
  rmt__free(a, q->items, q->cap * sizeof *q->items);
  rmt__idmap_free(&q->shares);
  memset(q, 0, sizeof *q);
}

/* ---- remote entries ---- */

int rmt__remote_name_valid(const char *name, size_t len) {
  if (!name || len == 0 || len > 200) return 0;
  if (name[0] == '/' || name[len - 1] == '/') return 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)name[i];
    if (c < 0x20 || c == 0x7f) return 0;
    if (c == '/' && name[i + 1] == '/') return 0;
  }
  return 1;
}

rmt_remote_entry *rmt__remote_new(const rmt_allocator *a, rmt_remote_id id,
                                  rmt_remote_kind kind, const char *name, size_t name_len) {
  rmt_remote_entry *r = rmt__alloc(a, sizeof *r);
  if (!r) return NULL;
  memset(r, 0, sizeof *r);
  r->id = id;
  r->kind = kind;
  r->name = rmt__alloc(a, name_len + 1);
  if (!r->name) goto fail;
  memcpy(r->name, name, name_len);
  r->name[name_len] = 0;
  r->name_len = name_len;
  if (kind != RMT_REMOTE_FUNCTION) {
    r->signal = rmt_signal_create(a);
    if (!r->signal) goto fail;
  }
  return r;
fail:
  rmt__free(a, r->name, name_len + 1);
  rmt__free(a, r, sizeof *r);
  return NULL;
}

void rmt__remote_free(rmt_remote_entry *r, const rmt_allocator *a) {
  if (!r) return;
  rmt_signal_destroy(r->signal);
  rmt__queue_clear(&r->queue, a);
  rmt__queue_clear(&r->waiting, a);
  rmt_schema_free(r->schema);
  rmt__free(a, r->name, r->name_len + 1);
  rmt__free(a, r, sizeof *r);
}

rmt_remote_entry *rmt__registry_get(const rmt_registry *g, rmt_remote_id id) {
  return id < g->cap ? g->by_id[id] : NULL;
}

rmt_remote_entry *rmt__registry_find(const rmt_registry *g, const char *name, size_t len) {
  for (size_t i = 1; i < g->cap; i++) {
    rmt_remote_entry *r = g->by_id[i];
    if (r && r->name_len == len && memcmp(r->name, name, len) == 0) return r;
  }
  return NULL;
}

int rmt__registry_set(rmt_registry *g, const rmt_allocator *a, rmt_remote_id id,
                      rmt_remote_entry *r) {
  if (id >= g->cap) {
    if (!r) return RMT_OK;
    size_t ncap = g->cap ? g->cap : 16;
    while (ncap <= id) ncap *= 2;
    rmt_remote_entry **by_id = rmt__realloc(a, g->by_id, g->cap * sizeof *by_id,
                                            ncap * sizeof *by_id);
    if (!by_id) return RMT_ENOMEM;
    memset(by_id + g->cap, 0, (ncap - g->cap) * sizeof *by_id);
    g->by_id = by_id;
    g->cap = ncap;
  }
  if (g->by_id[id] && !r) g->count--;
  if (!g->by_id[id] && r) g->count++;
  g->by_id[id] = r;
  return RMT_OK;
}

void rmt__registry_busy(rmt_registry *g, const rmt_allocator *a, rmt_remote_entry *r) {
  if (r->busy) return;
  if (g->nbusy == g->cap_busy) {
    size_t ncap = g->cap_busy ? g->cap_busy * 2 : 8;
    rmt_remote_id *b = rmt__realloc(a, g->busy, g->cap_busy * sizeof *b, ncap * sizeof *b);
    if (!b) {
      g->busy_all = 1;
      return;
    }
    g->busy = b;
    g->cap_busy = ncap;
  }
  g->busy[g->nbusy++] = r->id;
  r->busy = 1;
}

void rmt__registry_drain(rmt_registry *g, void (*drain)(void *ud, rmt_remote_entry *r), void *ud) {
  if (g->busy_all) {
    g->busy_all = 0;
    for (size_t i = 1; i < g->cap; i++)
      if (g->by_id[i] && !g->by_id[i]->busy) drain(ud, g->by_id[i]);
  }
  size_t keep = 0;
  /* drain() may add remotes; they land past i and are visited in this same loop. */
  for (size_t i = 0; i < g->nbusy; i++) {
    rmt_remote_entry *r = rmt__registry_get(g, g->busy[i]);
    if (!r) continue; /* destroyed meanwhile */
    drain(ud, r);
    if (r->queue.count || r->waiting.count || r->queue_dropped) g->busy[keep++] = r->id;
    else r->busy = 0;
  }
  g->nbusy = keep;
}

void rmt__registry_free(rmt_registry *g, const rmt_allocator *a) {
  for (size_t i = 0; i < g->cap; i++) rmt__remote_free(g->by_id[i], a);
  rmt__free(a, g->busy, g->cap_busy * sizeof *g->busy);
  rmt__free(a, g->by_id, g->cap * sizeof *g->by_id);
  memset(g, 0, sizeof *g);
}

/* ---- invocations ---- */

rmt_invocation *rmt__invocation_new(rmt_invocation_list *l, const rmt_allocator *a, void *owner,
                                    rmt_complete_fn complete, rmt_player_id player,
                                    rmt_remote_id remote, uint32_t call_id) {
  rmt_invocation *inv = rmt__alloc(a, sizeof *inv);
  if (!inv) return NULL;
  memset(inv, 0, sizeof *inv);
  inv->owner = owner;
  inv->complete = complete;
  inv->player = player;
  inv->remote = remote;
  inv->call_id = call_id;
  inv->alloc = a;
  inv->next = l->head;
  if (l->head) l->head->prev = inv;
  l->head = inv;
  return inv;
}

void rmt__invocation_unlink(rmt_invocation_list *l, rmt_invocation *inv) {
  if (inv->prev) inv->prev->next = inv->next;
  else l->head = inv->next;
  if (inv->next) inv->next->prev = inv->prev;
  inv->prev = inv->next = NULL;
}

void rmt__invocation_list_free(rmt_invocation_list *l) {
  while (l->head) {
    rmt_invocation *inv = l->head;
    rmt__invocation_unlink(l, inv);
    rmt__free(inv->alloc, inv, sizeof *inv);
  }
}


/* ---- pending calls ---- */

rmt_pending *rmt__calls_new(rmt_calls *c, rmt_player_id player, rmt_remote_id remote,
                            uint64_t deadline, rmt_result_fn done, void *ud) {
  rmt_pending *p = rmt__alloc(c->alloc, sizeof *p);
  if (!p) return NULL;
  /* Ids wrap after 2^32 calls; skipping those still pending keeps them unique. */
  do {
    c->next_id++;
    if (!c->next_id) c->next_id = 1;
  } while (rmt__idmap_get(&c->by_id, c->next_id));
  memset(p, 0, sizeof *p);
  p->call_id = c->next_id;
  p->player = player;
  p->remote = remote;
  p->deadline = deadline;
  p->done = done;
  p->ud = ud;
  if (rmt__idmap_put(&c->by_id, p->call_id, p)) {
    rmt__free(c->alloc, p, sizeof *p);
    return NULL;
  }
  p->next = c->head;
  if (c->head) c->head->prev = p;
  c->head = p;
  c->count++;
  return p;
}

rmt_pending *rmt__calls_get(rmt_calls *c, uint32_t call_id) {
  return rmt__idmap_get(&c->by_id, call_id);
}

void rmt__calls_complete(rmt_calls *c, rmt_pending *p, int status, const rmt_value *values,
                         size_t nvalues, const char *message) {
  rmt__idmap_del(&c->by_id, p->call_id);
  if (p->prev) p->prev->next = p->next;
  else c->head = p->next;
  if (p->next) p->next->prev = p->prev;
  c->count--;
  rmt_result_fn done = p->done;
  void *ud = p->ud;
  rmt__free(c->alloc, p, sizeof *p);
  if (done) done(ud, status, values, nvalues, message ? message : rmt_strerror(status));
}

size_t rmt__calls_expire(rmt_calls *c, uint64_t now_ms, rmt_stats *stats) {
  size_t n = 0;
  rmt_pending *p = c->head;
  while (p) {
    rmt_pending *next = p->next;
    if (p->deadline <= now_ms) {
      /* A callback may complete other calls; restart from the head to stay safe. */
      rmt__calls_complete(c, p, RMT_ETIMEDOUT, NULL, 0, "timed out waiting for a response");
      if (stats) stats->timeouts++;
      n++;
      next = c->head;
    }
    p = next;
  }
  return n;
}

size_t rmt__calls_fail_player(rmt_calls *c, rmt_player_id player, int status,
                              const char *message) {
  size_t n = 0;
  rmt_pending *p = c->head;
  while (p) {
    rmt_pending *next = p->next;
    if (!player || p->player == player) {
      rmt__calls_complete(c, p, status, NULL, 0, message);
      n++;
      next = c->head;
    }
    p = next;
  }
  return n;
}

void rmt__calls_free(rmt_calls *c) {
  rmt__calls_fail_player(c, 0, RMT_ECANCELED, "canceled: destroyed");
  rmt__idmap_free(&c->by_id);
}

void rmt__calls_on_reply(rmt_calls *c, const rmt_msg *m, rmt_arena *arena,
                         const rmt_limits *limits) {
  rmt_pending *p = rmt__calls_get(c, m->call_id);
  if (!p) return; /* late reply after a timeout, or never ours: discarded */
  if (m->kind == RMT_MSG_RESULT) {
    rmt_value *vals = NULL;
    size_t n = 0;
    rmt_error err;
    rmt_arena_reset(arena);
    int rc = rmt_decode(arena, m->body, m->body_len, limits, &vals, &n, &err);
    if (rc) rmt__calls_complete(c, p, rc, NULL, 0, err.message);
    else rmt__calls_complete(c, p, RMT_OK, vals, n, "");
    rmt_arena_reset(arena);
    return;
  }
  /* ERROR: status travels as its positive value; the message is not NUL-terminated. */
  char msg[512];
  size_t len = m->body_len < sizeof msg - 1 ? m->body_len : sizeof msg - 1;
  memcpy(msg, m->body, len);
  msg[len] = 0;
  int status = -(int)m->status;
  if (status >= 0 || status < RMT_EBADARGS) status = RMT_EHANDLER;
  rmt__calls_complete(c, p, status, NULL, 0, msg);
}

void rmt__stats_add(rmt_stats *into, const rmt_stats *from) {
  into->events_in += from->events_in;
  into->events_out += from->events_out;
  into->invokes_in += from->invokes_in;
  into->invokes_out += from->invokes_out;
  into->bytes_in += from->bytes_in;
  into->bytes_out += from->bytes_out;
  into->dropped_rate_limit += from->dropped_rate_limit;
  into->dropped_unknown_remote += from->dropped_unknown_remote;
  into->dropped_queue_overflow += from->dropped_queue_overflow;
  into->dropped_malformed += from->dropped_malformed;
  into->dropped_schema += from->dropped_schema;
  into->timeouts += from->timeouts;
}

void rmt__log(rmt_log_fn fn, void *ud, rmt_log_level level, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (fn) fn(ud, level, msg);
  else if (level >= RMT_LOG_WARN)
    fprintf(stderr, "remotes: %s: %s\n", level == RMT_LOG_WARN ? "warning" : "error", msg);
}

const char *rmt_drop_reason_name(rmt_drop_reason reason) {
  switch (reason) {
  case RMT_DROP_RATE_LIMIT: return "rate limit";
  case RMT_DROP_BYTE_RATE: return "byte rate";
  case RMT_DROP_UNKNOWN_REMOTE: return "unknown remote";
  case RMT_DROP_QUEUE_OVERFLOW: return "queue overflow";
  case RMT_DROP_MALFORMED: return "malformed";
  case RMT_DROP_WRONG_KIND: return "wrong kind";
  case RMT_DROP_SCHEMA: return "schema";
  }
  return "unknown";
}
