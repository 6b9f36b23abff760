/* server.c - the authoritative side: accepts players over ENet, owns the remote registry,
 * dispatches fires and invokes to listeners with the player taken from the connection.
 * Never trusts a payload for identity, never blocks, never grows memory on a client's say. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "remotes_ticket.h"
#include "replica.h"

typedef enum player_state {
  PLAYER_HANDSHAKE = 1, /* connected, no HELLO accepted yet */
  PLAYER_JOINED,
  PLAYER_LEAVING        /* kicked/refused/gone: nothing more is accepted from it */
} player_state;

typedef struct remote_bucket {
  rmt_remote_id remote;
  rmt_bucket bucket;
} remote_bucket;

/* A join snapshot: the whole tree as CREATE messages, encoded once and shared by every player
 * whose snapshot starts while the tree is unchanged (freed with its last reader). */
typedef struct snapshot {
  size_t refs;
  uint64_t version; /* the server's tree_version it was taken at */
  rmt_buf buf;
} snapshot;

/* A joining player's snapshot: nothing expensive is queued before the client proved it
 * listens (acknowledged its WELCOME), then the snapshot goes out as it acknowledges. */
typedef enum snap_state {
  SNAP_DONE = 0,  /* has the tree; its reliable batch flows normally */
  SNAP_WAITING,   /* WELCOME sent, not yet acknowledged; gets no replication messages */
  SNAP_STREAMING  /* snapshot going out in pieces; later messages held behind it */
} snap_state;

/* Unacknowledged snapshot bytes in ENet per player, and the size of one piece. */
#define SNAP_WINDOW (64u * 1024u)
#define SNAP_PIECE (16u * 1024u)

typedef struct player {
  rmt_player_id id;
  uint64_t user_id;
  char name[64];
  player_state state;
  int removed;         /* PlayerRemoving fired and registry entries gone */
  int said_bye;        /* the client left on its own: close without waiting */
  uint64_t connected_at;
  ENetPeer *peer;
  rmt_link link;
  rmt_bucket events, unreliable, invokes, bytes;
  rmt_bucket refusals; /* answers to invokes refused before any handler ran */
  remote_bucket *overrides; /* buckets for remotes with a per-remote rate */
  size_t noverrides;
  uint32_t pending_invokes;
  rmt_instance_id instance; /* its "Player" instance in the replicated tree */
  snap_state snap_state;
  snapshot *snap;           /* while streaming */
  size_t snap_off;          /* bytes of snap already handed to ENet */
  void *data;
  rmt_stats stats;
  struct player *prev, *next; /* join order */
} player;

struct rmt_server {
  rmt_server_config cfg;
  const rmt_allocator *alloc;
  ENetHost *host;
  rmt_idmap players_by_id;
  player *first, *last; /* joined players in join order */
  size_t nplayers;
  uint32_t next_player_id;
  rmt_registry remotes;
  rmt_remote_entry *graveyard;
  rmt_signal *player_added, *player_removing;
  rmt_arena *arena;
  rmt_buf scratch;
  rmt_value *argv; /* player + decoded args, grown as needed */
  size_t argv_cap;
  rmt_calls calls;
  rmt_invocation_list invocations;
  rmt_stats totals;
  rmt_tree tree;    /* the replicated instances */
  rmt_buf repl_buf; /* one flush's replication messages, sent to every player */
  uint64_t tree_version; /* bumped by every flush that sent changes */
  snapshot *latest_snap; /* the newest join snapshot still being read, or NULL */
  uint64_t now;
  uint64_t last_sweep;
  int in_service;
  int leaving_pending; /* some player is LEAVING and not yet removed */
  int destroying;      /* no more callbacks */
  uint8_t ticket_key[RMT_TICKET_KEY_BYTES]; /* copied from the config; wiped at destroy */
  int tickets_required;
  rmt_ticket_guard *ticket_guard; /* NULL when tickets may be reused freely */
  char last_error[256];
};

static void set_error(rmt_server *s, const char *msg) {
  snprintf(s->last_error, sizeof s->last_error, "%s", msg);
}

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

/* ---- helpers ---- */

static player *find_player(const rmt_server *s, rmt_player_id id) {
  player *p = rmt__idmap_get(&s->players_by_id, id);
  return p && !p->removed ? p : NULL;
}

static void drop(rmt_server *s, player *p, rmt_remote_entry *r, rmt_drop_reason reason) {
  rmt_stats *targets[3] = {&s->totals, p ? &p->stats : NULL, r ? &r->stats : NULL};
  for (int i = 0; i < 3; i++) {
    rmt_stats *t = targets[i];
    if (!t) continue;
    switch (reason) {
    case RMT_DROP_RATE_LIMIT:
    case RMT_DROP_BYTE_RATE: t->dropped_rate_limit++; break;
    case RMT_DROP_UNKNOWN_REMOTE: t->dropped_unknown_remote++; break;
    case RMT_DROP_QUEUE_OVERFLOW: t->dropped_queue_overflow++; break;
    default: t->dropped_malformed++; break;
    }
  }
  if (s->cfg.on_drop) s->cfg.on_drop(s->cfg.drop_ud, p ? p->id : 0, r ? r->id : 0, reason);
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

static void send_control(player *p, rmt_control type, const rmt_buf *body) {
  size_t start = p->link.out[RMT_CHANNEL_RELIABLE].len;
  if (rmt__msg_put(&p->link.out[RMT_CHANNEL_RELIABLE], RMT_MSG_CONTROL, type, NULL, 0,
                   body ? body->data : NULL, body ? body->len : 0) == RMT_OK)
    rmt__link_after_append(&p->link, RMT_CHANNEL_RELIABLE, start);
}

static void send_error(player *p, rmt_remote_id remote, uint32_t call_id, int status,
                       const char *message) {
  rmt__link_put_error(&p->link, remote, call_id, status, message);
}

/* A refused invoke is answered so an honest caller learns why at once, but each answer is
 * queued towards a peer that may never acknowledge it: a peer flooding bad invokes (and
 * reading nothing) made the server queue one reliable ERROR per message, tens of MB in
 * seconds. Past this budget, refusals go unanswered and the caller's own timeout ends them. */
static const rmt_rate refusal_budget = {256, 256};

static void refuse_call(rmt_server *s, player *p, rmt_remote_id remote, uint32_t call_id,
                        int status, const char *message) {
  if (rmt__bucket_take(&p->refusals, refusal_budget, s->now, 1))
    send_error(p, remote, call_id, status, message);
}

/* Refuses a connection with a reason the client shows, then lets ENet close it. */
static void refuse(rmt_server *s, player *p, int status, const char *reason) {
  rmt_buf *body = &s->scratch;
  body->len = 0;
  if (!rmt__put_varint(body, (uint32_t)-status) && !rmt__put_lstr(body, reason, strlen(reason)))
    send_control(p, RMT_CTL_REFUSE, body);
  rmt__link_flush(&p->link);
  p->state = PLAYER_LEAVING;
  enet_peer_disconnect_later(p->peer, RMT_DISC_REFUSED);
}

static int put_player_info(rmt_buf *b, const player *p) {
  int rc = rmt__put_varint(b, p->id);
  if (!rc) rc = rmt__put_varint(b, p->user_id);
  if (!rc) rc = rmt__put_lstr(b, p->name, strlen(p->name));
  return rc;
}

static int put_remote_info(rmt_buf *b, const rmt_remote_entry *r) {
  int rc = rmt__put_varint(b, r->id);
  if (!rc) rc = rmt__put_varint(b, (uint64_t)r->kind);
  if (!rc) rc = rmt__put_lstr(b, r->name, r->name_len);
  return rc;
}

/* Sends a control message to every joined player (except one, or 0). */
static void broadcast_control(rmt_server *s, rmt_control type, rmt_player_id except) {
  for (player *q = s->first; q; q = q->next)
    if (q->id != except && q->state == PLAYER_JOINED) send_control(q, type, &s->scratch);
}

/* ---- replication ---- */

/* Sends every pending change to every joined player. Called before any remote message is
 * batched (so a Value set before FireClient arrives before the event) and at each flush. */
static void repl_flush(rmt_server *s) {
  if (!s->tree.nops) return;
  s->repl_buf.len = 0;
  if (rmt__tree_flush(&s->tree, &s->repl_buf)) {
    rmt__log(s->cfg.log, s->cfg.log_ud, RMT_LOG_ERROR, "replication: out of memory");
    return;
  }
  if (s->repl_buf.len) s->tree_version++;
  for (player *q = s->first; q; q = q->next) {
    /* A player waiting for its snapshot will get these changes in it. */
    if (q->state != PLAYER_JOINED || q->snap_state == SNAP_WAITING) continue;
    rmt_buf *b = &q->link.out[RMT_CHANNEL_RELIABLE];
    size_t start = b->len;
    if (rmt_buf_append(b, s->repl_buf.data, s->repl_buf.len) == RMT_OK)
      rmt__link_after_append(&q->link, RMT_CHANNEL_RELIABLE, start);
  }
}

/* ---- join snapshots, paced by the joining client's acknowledgements ---- */

static void snapshot_release(rmt_server *s, snapshot *sn) {
  if (!sn || --sn->refs) return;
  if (s->latest_snap == sn) s->latest_snap = NULL;
  rmt_buf_free(&sn->buf);
  rmt__free(s->alloc, sn, sizeof *sn);
}

/* The tree as of now (no changes pending: called right after repl_flush). */
static snapshot *snapshot_get(rmt_server *s) {
  if (s->latest_snap && s->latest_snap->version == s->tree_version) {
    s->latest_snap->refs++;
    return s->latest_snap;
  }
  snapshot *sn = rmt__alloc(s->alloc, sizeof *sn);
  if (!sn) return NULL;
  memset(sn, 0, sizeof *sn);
  sn->refs = 1;
  sn->version = s->tree_version;
  sn->buf.alloc = s->alloc;
  if (rmt__tree_snapshot(&s->tree, &sn->buf)) {
    rmt_buf_free(&sn->buf);
    rmt__free(s->alloc, sn, sizeof *sn);
    return NULL;
  }
  s->latest_snap = sn;
  return sn;
}

/* Lets go of a player's snapshot and of the messages held behind it. */
static void snapshot_end(rmt_server *s, player *p) {
  snapshot_release(s, p->snap);
  p->snap = NULL;
  p->snap_off = 0;
  p->snap_state = SNAP_DONE;
  p->link.hold_reliable = 0;
}

/* Called at each flush, after repl_flush. A deaf peer (one that never acknowledges) never
 * leaves SNAP_WAITING, and one that stops acknowledging holds at most SNAP_WINDOW + a piece
 * of snapshot in ENet, until ENet's timeout drops it. */
static void snapshot_pump(rmt_server *s, player *p) {
  ENetPeer *peer = p->peer;
  if (p->snap_state == SNAP_WAITING) {
    if (!enet_list_empty(&peer->outgoingCommands) || !enet_list_empty(&peer->sentReliableCommands))
      return; /* WELCOME and the player list not acknowledged yet */
    if (!(p->snap = snapshot_get(s))) return; /* out of memory: try again next flush */
    p->snap_state = SNAP_STREAMING;
    p->snap_off = 0;
  }
  if (p->snap_state != SNAP_STREAMING || !enet_list_empty(&peer->outgoingCommands)) return;
  const rmt_buf *b = &p->snap->buf;
  size_t queued = 0;
  while (p->snap_off < b->len && queued + peer->reliableDataInTransit < SNAP_WINDOW) {
    /* Whole messages, about SNAP_PIECE at a time (one bigger message goes alone). */
    size_t off = p->snap_off, end = off;
    rmt_msg m;
    while (rmt__msg_next(b->data, b->len, &off, &m) > 0) {
      end = off;
      if (end - p->snap_off >= SNAP_PIECE) break;
    }
    if (end == p->snap_off) end = b->len; /* cannot happen: the server encoded it */
    if (rmt__link_send(&p->link, RMT_CHANNEL_RELIABLE, b->data + p->snap_off, end - p->snap_off))
      return;
    queued += end - p->snap_off;
    p->snap_off = end;
  }
  if (p->snap_off >= b->len) snapshot_end(s, p);
}

/* Destroys an instance and its subtree; clients hear about it if they ever saw it. */
static void repl_destroy(rmt_server *s, rmt_inst *inst) {
  if (inst->sent) rmt__tree_mark_destroyed(&s->tree, inst->id);
  rmt__tree_destroy(&s->tree, inst, NULL, NULL);
}

/* ---- handshake ---- */

static char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c; }

/* Is a joined player called `name`, ignoring ASCII case? */
static int name_taken(const rmt_server *s, const char *name) {
  for (const player *q = s->first; q; q = q->next) {
    if (q->state != PLAYER_JOINED) continue; /* a leaving player is on its way out */
    const char *a = q->name, *b = name;
    while (*a && ascii_lower(*a) == ascii_lower(*b)) {
      a++;
      b++;
    }
    if (!*a && !*b) return 1;
  }
  return 0;
}

static void handle_hello(rmt_server *s, player *p, const rmt_msg *m) {
  rmt_reader r = {m->body, m->body_len, 0, 0};
  uint32_t magic = rmt__get_u32le(&r);
  uint64_t version = rmt__get_varint(&r);
  size_t name_len, ticket_len;
  const uint8_t *name = rmt__get_lstr(&r, 64, &name_len);
  const uint8_t *ticket = rmt__get_lstr(&r, 4096, &ticket_len);
  if (r.bad || magic != RMT_PROTOCOL_MAGIC || r.off != r.len) {
    refuse(s, p, RMT_EREFUSED, "malformed handshake");
    return;
  }
  char reason[160];
  if (version != RMT_PROTOCOL_VERSION) {
    snprintf(reason, sizeof reason,
             "protocol version mismatch: server speaks %u, client speaks %llu",
             RMT_PROTOCOL_VERSION, (unsigned long long)version);
    refuse(s, p, RMT_EVERSION, reason);
    return;
  }
  /* With tickets the requested name is ignored, so only its wire bounds matter. */
  if (!s->tickets_required && !rmt__player_name_valid((const char *)name, name_len)) {
    refuse(s, p, RMT_EREFUSED, "invalid name: use 1-32 characters of A-Z, a-z, 0-9 and _");
    return;
  }
  if (s->nplayers >= s->cfg.max_players) {
    refuse(s, p, RMT_EREFUSED, "server is full");
    return;
  }
  char chosen[64];
  uint64_t user_id = 0;
  if (s->tickets_required) {
    rmt_ticket t;
    rmt_error terr;
    if (ticket_len == 0) {
      refuse(s, p, RMT_EREFUSED, "ticket required: this server admits players with a join ticket only");
      return;
    }
    if (rmt_ticket_verify(s->ticket_key, sizeof s->ticket_key, (const char *)ticket, ticket_len,
                          0, s->ticket_guard, &t, &terr) != RMT_OK) {
      refuse(s, p, RMT_EREFUSED, terr.message);
      return;
    }
    snprintf(chosen, sizeof chosen, "%s", t.name);
    user_id = t.user_id;
  } else {
    memcpy(chosen, name, name_len);
    chosen[name_len] = 0;
  }
  rmt_player_id id = ++s->next_player_id;
  if (!s->tickets_required) user_id = id;
  if (s->cfg.verify) {
    reason[0] = 0;
    char vreason[128] = "";
    if (s->cfg.verify(s->cfg.verify_ud, ticket, ticket_len, chosen, &user_id, vreason) != 0) {
      vreason[sizeof vreason - 1] = 0;
      refuse(s, p, RMT_EREFUSED, vreason[0] ? vreason : "join refused");
      return;
    }
    chosen[sizeof chosen - 1] = 0;
  }
  /* Roblox never has two players with one name (names differ by more than case there). */
  if (name_taken(s, chosen)) {
    snprintf(reason, sizeof reason, "a player named \"%s\" is already in the game", chosen);
    refuse(s, p, RMT_EREFUSED, reason);
    return;
  }
  if (rmt__idmap_put(&s->players_by_id, id, p)) {
    refuse(s, p, RMT_ENOMEM, "server out of memory");
    return;
  }
  /* Pending changes go to the players already here; the newcomer gets a snapshot. */
  repl_flush(s);
  p->id = id;
  p->user_id = user_id;
  snprintf(p->name, sizeof p->name, "%s", chosen);
  p->state = PLAYER_JOINED;
  p->prev = s->last;
  if (s->last) s->last->next = p;
  else s->first = p;
  s->last = p;
  s->nplayers++;

  /* WELCOME carries the whole registry; then every player (itself included). */
  rmt_buf *b = &s->scratch;
  b->len = 0;
  int rc = rmt__put_varint(b, RMT_PROTOCOL_VERSION);
  if (!rc) rc = put_player_info(b, p);
  if (!rc) rc = rmt__put_varint(b, s->remotes.count);
  for (size_t i = 1; !rc && i < s->remotes.cap; i++)
    if (s->remotes.by_id[i]) rc = put_remote_info(b, s->remotes.by_id[i]);
  if (!rc) send_control(p, RMT_CTL_WELCOME, b);
  for (player *q = s->first; q; q = q->next) {
    if (q->state != PLAYER_JOINED) continue;
    b->len = 0;
    if (!put_player_info(b, q)) send_control(p, RMT_CTL_PLAYER_ADDED, b);
  }
  b->len = 0;
  if (!put_player_info(b, p)) broadcast_control(s, RMT_CTL_PLAYER_ADDED, p->id);
  /* The tree follows once the client has acknowledged all this (snapshot_pump): a peer that
   * joins and never listens gets nothing expensive. Until then its reliable batch is held,
   * so nothing reaches it before the tree it may refer to. */
  rmt__link_flush(&p->link);
  p->snap_state = SNAP_WAITING;
  p->link.hold_reliable = 1;
  rmt_inst *inst;
  rmt_instance_id iid = s->tree.next_id;
  if (rmt__tree_create(&s->tree, iid, 0, "Player", 6, p->name, strlen(p->name), &inst) == RMT_OK) {
    s->tree.next_id++;
    inst->player = p->id;
    p->instance = iid;
    rmt__tree_mark(&s->tree, inst, 0);
  }
  rmt_value arg = rmt_player_ref(p->id);
  rmt_signal_fire(s->player_added, &arg, 1);
}

/* ---- leaving ---- */

/* Fires PlayerRemoving and cuts every tie to the player; idempotent. The struct itself
 * lives until ENet reports the disconnect (peer->data). */
static void remove_player(rmt_server *s, player *p) {
  if (p->removed) return;
  if (p->state == PLAYER_HANDSHAKE || !p->id || !rmt__idmap_get(&s->players_by_id, p->id)) {
    p->removed = 1;
    return;
  }
  rmt_value arg = rmt_player_ref(p->id);
  if (!s->destroying) rmt_signal_fire(s->player_removing, &arg, 1);
  p->removed = 1;
  for (rmt_invocation *inv = s->invocations.head; inv; inv = inv->next)
    if (inv->player == p->id) inv->orphaned = 1;
  rmt__calls_fail_player(&s->calls, p->id, RMT_EDISCONNECTED, "player disconnected");
  if (p->prev) p->prev->next = p->next;
  else s->first = p->next;
  if (p->next) p->next->prev = p->prev;
  else s->last = p->prev;
  p->prev = p->next = NULL;
  s->nplayers--;
  rmt__idmap_del(&s->players_by_id, p->id);
  rmt_inst *inst = rmt__tree_get(&s->tree, p->instance);
  if (inst) repl_destroy(s, inst);
  s->scratch.len = 0;
  if (!rmt__put_varint(&s->scratch, p->id)) broadcast_control(s, RMT_CTL_PLAYER_REMOVED, 0);
}

static void free_player(rmt_server *s, player *p) {
  remove_player(s, p);
  snapshot_end(s, p);
  if (p->peer) p->peer->data = NULL;
  rmt__link_free(&p->link);
  rmt__free(s->alloc, p->overrides, p->noverrides * sizeof *p->overrides);
  rmt__free(s->alloc, p, sizeof *p);
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
    set_error(s, err.message); /* lets an on_drop hook say which rule failed */
    drop(s, p, r, rc == RMT_EBADARGS ? RMT_DROP_SCHEMA : RMT_DROP_MALFORMED);
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
    set_error(s, err.message);
    drop(s, p, r, rc == RMT_EBADARGS ? RMT_DROP_SCHEMA : RMT_DROP_MALFORMED);
    char msg[300];
    snprintf(msg, sizeof msg, "bad arguments: %s", err.message);
    send_error(p, r->id, call_id, RMT_EBADARGS, msg);
    return;
  }
  rmt_invocation *inv = rmt__invocation_new(&s->invocations, s->alloc, s, complete_invocation,
                                            p->id, r->id, call_id);
  if (!inv) {
    send_error(p, r->id, call_id, RMT_ENOMEM, "server out of memory");
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
      drop(s, p, r, RMT_DROP_WRONG_KIND);
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
    drop(s, p, r, RMT_DROP_WRONG_KIND);
    if (!is_event) refuse_call(s, p, r->id, m->call_id, RMT_EINVAL, "not a RemoteFunction");
    return;
  }
  /* The sender's own limit, checked again here: a modified client is not bound by it. */
  if (r->kind == RMT_UNRELIABLE_REMOTE_EVENT && m->body_len > RMT_UNRELIABLE_MAX) {
    snprintf(s->last_error, sizeof s->last_error,
             "UnreliableRemoteEvent '%s': %zu bytes of arguments, limit is %d", r->name,
             m->body_len, RMT_UNRELIABLE_MAX);
    drop(s, p, r, RMT_DROP_MALFORMED);
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
    send_error(p, r->id, m->call_id, RMT_ENOHANDLER, "no handler: OnServerInvoke is not set");
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
      set_error(s, "a message that does not frame");
      drop(s, p, NULL, RMT_DROP_MALFORMED);
      if (p->state == PLAYER_HANDSHAKE) refuse(s, p, RMT_EREFUSED, "malformed handshake");
      return;
    }
    if (p->state == PLAYER_HANDSHAKE) {
      if (m.kind == RMT_MSG_CONTROL && m.id == RMT_CTL_HELLO && channel == RMT_CHANNEL_RELIABLE)
        handle_hello(s, p, &m);
      else refuse(s, p, RMT_EREFUSED, "expected handshake");
      continue;
    }
    if (!rmt__bucket_take(&p->bytes, s->cfg.byte_rate, s->now, (double)(off - before))) {
      drop(s, p, rmt__registry_get(&s->remotes, m.id), RMT_DROP_BYTE_RATE);
      if (m.kind == RMT_MSG_INVOKE) refuse_call(s, p, m.id, m.call_id, RMT_ERATELIMIT, "rate limited");
      continue;
    }
    if (m.kind == RMT_MSG_REPL) {
      drop(s, p, NULL, RMT_DROP_WRONG_KIND); /* the tree is the server's alone */
      continue;
    }
    if (m.kind == RMT_MSG_CONTROL) {
      if (m.id == RMT_CTL_BYE) {
        p->said_bye = 1;
        p->state = PLAYER_LEAVING;
        return;
      }
      drop(s, p, NULL, RMT_DROP_WRONG_KIND); /* clients send no other control after HELLO */
      continue;
    }
    handle_remote_msg(s, p, &m, channel);
  }
}

/* Connections (any state, refused ones until ENet lets go) from peer's IP address, besides it. */
static uint32_t connections_from(const rmt_server *s, const ENetPeer *peer) {
  uint32_t n = 0;
  for (size_t i = 0; i < s->host->peerCount; i++) {
    const ENetPeer *q = &s->host->peers[i];
    if (q != peer && q->data && q->address.host == peer->address.host) n++;
  }
  return n;
}

static void on_connect(rmt_server *s, ENetPeer *peer) {
  player *p = rmt__alloc(s->alloc, sizeof *p);
  if (!p) {
    enet_peer_reset(peer);
    return;
  }
  memset(p, 0, sizeof *p);
  p->state = PLAYER_HANDSHAKE;
  p->connected_at = s->now;
  p->peer = peer;
  rmt__link_init(&p->link, peer, s->cfg.batch_bytes, s->alloc);
  peer->data = p;
  enet_peer_timeout(peer, 0, s->cfg.peer_timeout_ms, s->cfg.peer_timeout_ms);
  /* One machine (or one attacker) cannot take every slot; the reason reaches the client. */
  if (s->cfg.max_per_address && s->host && connections_from(s, peer) >= s->cfg.max_per_address) {
    char reason[96];
    snprintf(reason, sizeof reason, "too many connections from your address (limit %u)",
             (unsigned)s->cfg.max_per_address);
    refuse(s, p, RMT_EREFUSED, reason);
  }
}

/* ---- invocation completion (our answers) ---- */

static int complete_invocation(rmt_invocation *inv, int status, const rmt_value *values,
                               size_t nvalues, const char *message) {
  rmt_server *s = inv->owner;
  player *p = inv->orphaned ? NULL : find_player(s, inv->player);
  int rc = RMT_OK;
  if (p) repl_flush(s);
  if (p) {
    size_t before = p->link.out[RMT_CHANNEL_RELIABLE].len;
    if (p->pending_invokes) p->pending_invokes--;
    if (status == RMT_OK)
      rc = rmt__link_put_result(&p->link, inv->remote, inv->call_id, values, nvalues,
                                &s->cfg.limits);
    else send_error(p, inv->remote, inv->call_id, status, message);
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
    player *p = find_player(s, q.player);
    if (p) dispatch_event(s, p, r, q.bytes, q.len);
    rmt__free(s->alloc, q.bytes, q.len);
  }
  while (r->waiting.count && !r->destroyed) {
    rmt_queued *head = &r->waiting.items[r->waiting.head];
    if (!r->handler && head->deadline > s->now) break;
    rmt__queue_pop(&r->waiting, &q);
    player *p = find_player(s, q.player);
    if (p && r->handler) dispatch_invoke(s, p, r, q.call_id, q.bytes, q.len);
    else if (p) send_error(p, r->id, q.call_id, RMT_ENOHANDLER,
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

rmt_server *rmt_server_create(const rmt_server_config *config, rmt_error *err) {
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
  s->now = rmt__now_ms();
  ENetAddress addr;
  if (rmt__resolve(c.bind_host, c.port, &addr, err)) goto fail;
  s->player_added = rmt_signal_create(c.alloc);
  s->player_removing = rmt_signal_create(c.alloc);
  s->arena = rmt_arena_create(c.alloc);
  if (!s->player_added || !s->player_removing || !s->arena) {
    rmt__seterr(err, RMT_ENOMEM, "out of memory");
    goto fail;
  }
  /* Extra peers let the server tell connections over max_players why it refuses them. */
  s->host = enet_host_create(&addr, c.max_players + 16, RMT_CHANNEL_COUNT, 0, 0);
  if (!s->host) {
    rmt__seterr(err, RMT_ENET, "cannot bind UDP %s:%u (in use?)", c.bind_host, (unsigned)c.port);
    goto fail;
  }
  /* ENet would otherwise reassemble packets of up to 32 MB, and hold 32 MB, per peer. */
  rmt__host_limits(s->host, &c.limits, c.batch_bytes);
  return s;
fail:
  rmt_ticket_guard_destroy(s->ticket_guard);
  rmt_signal_destroy(s->player_added);
  rmt_signal_destroy(s->player_removing);
  rmt_arena_destroy(s->arena);
  rmt__free(c.alloc, s, sizeof *s);
  return NULL;
}

uint16_t rmt_server_port(const rmt_server *s) { return s && s->host ? s->host->address.port : 0; }
const char *rmt_server_last_error(const rmt_server *s) { return s ? s->last_error : ""; }

static void free_graveyard(rmt_server *s) {
  while (s->graveyard) {
    rmt_remote_entry *r = s->graveyard;
    s->graveyard = r->next_dead;
    rmt__remote_free(r, s->alloc);
  }
}

void rmt_server_destroy(rmt_server *s) {
  if (!s) return;
  s->now = rmt__now_ms();
  for (player *p = s->first; p; p = p->next) {
    s->scratch.len = 0;
    if (!rmt__put_lstr(&s->scratch, "server shut down", 16)) send_control(p, RMT_CTL_KICK, &s->scratch);
    snapshot_end(s, p);
    rmt__link_flush(&p->link);
  }
  /* Give the shutdown reason a moment to be acknowledged, then close every peer. */
  rmt__linger(s->host, 200);
  for (size_t i = 0; i < s->host->peerCount; i++) {
    ENetPeer *peer = &s->host->peers[i];
    if (peer->state != ENET_PEER_STATE_DISCONNECTED) enet_peer_disconnect_now(peer, RMT_DISC_SHUTDOWN);
  }
  s->destroying = 1;
  rmt__calls_free(&s->calls);
  for (size_t i = 0; i < s->host->peerCount; i++) {
    ENetPeer *peer = &s->host->peers[i];
    if (peer->data) free_player(s, peer->data);
  }
  rmt__invocation_list_free(&s->invocations);
  enet_host_destroy(s->host);
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
  rmt__free(s->alloc, s, sizeof *s);
}

int rmt_server_flush(rmt_server *s) {
  if (!s) return RMT_EINVAL;
  repl_flush(s);
  for (player *p = s->first; p; p = p->next) {
    if (p->snap_state != SNAP_DONE && p->state == PLAYER_JOINED) snapshot_pump(s, p);
    rmt__link_flush(&p->link);
    /* Counted as sent, so batches split mid-service (rmt__link_after_append) count too. */
    uint64_t bytes = rmt__link_take_sent(&p->link);
    p->stats.bytes_out += bytes;
    s->totals.bytes_out += bytes;
  }
  enet_host_flush(s->host);
  return RMT_OK;
}

static void sweep(rmt_server *s) {
  /* Connections that never finish the handshake are dropped. */
  if (s->now - s->last_sweep < 100) return;
  s->last_sweep = s->now;
  for (size_t i = 0; i < s->host->peerCount; i++) {
    player *p = s->host->peers[i].data;
    if (p && p->state == PLAYER_HANDSHAKE &&
        s->now - p->connected_at > s->cfg.handshake_timeout_ms) {
      p->state = PLAYER_LEAVING;
      enet_peer_disconnect(p->peer, 0);
    }
  }
}

static void handle_event(rmt_server *s, ENetEvent *ev) {
  switch (ev->type) {
  case ENET_EVENT_TYPE_CONNECT: on_connect(s, ev->peer); break;
  case ENET_EVENT_TYPE_RECEIVE: {
    player *p = ev->peer->data;
    if (p && (p->state == PLAYER_JOINED || p->state == PLAYER_HANDSHAKE))
      handle_packet(s, p, ev->packet->data, ev->packet->dataLength, ev->channelID);
    enet_packet_destroy(ev->packet);
    if (p && p->said_bye) {
      enet_peer_disconnect_now(ev->peer, RMT_DISC_NONE);
      free_player(s, p);
    }
    break;
  }
  case ENET_EVENT_TYPE_DISCONNECT: {
    player *p = ev->peer->data;
    if (p) free_player(s, p);
    break;
  }
  default: break;
  }
}

static void remove_leaving(rmt_server *s) {
  if (!s->leaving_pending) return;
  s->leaving_pending = 0;
  player *p = s->first;
  while (p) {
    player *next = p->next;
    if (p->state == PLAYER_LEAVING) remove_player(s, p);
    p = next;
  }
}

int rmt_server_service(rmt_server *s, uint32_t timeout_ms) {
  if (!s) return RMT_EINVAL;
  if (s->in_service) return RMT_ESTATE;
  s->in_service = 1;
  s->now = rmt__now_ms();
  remove_leaving(s);
  drain_queues(s);
  rmt_server_flush(s);
  int handled = 0;
  ENetEvent ev;
  int rc = enet_host_service(s->host, &ev, timeout_ms);
  while (rc > 0) {
    s->now = rmt__now_ms();
    handle_event(s, &ev);
    handled++;
    if (handled >= 65536) break; /* keep frames bounded under floods */
    rc = enet_host_check_events(s->host, &ev);
    if (rc == 0) rc = enet_host_service(s->host, &ev, 0);
  }
  s->now = rmt__now_ms();
  remove_leaving(s);
  rmt__calls_expire(&s->calls, s->now, &s->totals);
  drain_queues(s);
  sweep(s);
  free_graveyard(s);
  rmt_server_flush(s);
  s->in_service = 0;
  return rc < 0 ? RMT_ENET : handled;
}

/* ---- registry ---- */

int rmt_server_create_remote(rmt_server *s, const char *name, rmt_remote_kind kind,
                             rmt_remote_id *out_id) {
  if (!s || !name) return RMT_EINVAL;
  size_t len = strlen(name);
  if (!rmt__remote_name_valid(name, len)) {
    set_error(s, "invalid remote name: use 1-200 bytes of '/'-separated non-empty segments");
    return RMT_EINVAL;
  }
  if (kind != RMT_REMOTE_EVENT && kind != RMT_UNRELIABLE_REMOTE_EVENT && kind != RMT_REMOTE_FUNCTION) {
    set_error(s, "invalid remote kind");
    return RMT_EINVAL;
  }
  if (rmt__registry_find(&s->remotes, name, len)) {
    snprintf(s->last_error, sizeof s->last_error, "a remote named '%s' already exists", name);
    return RMT_EEXIST;
  }
  if (s->remotes.next_id > RMT_MAX_REMOTE_ID) return RMT_ELIMIT;
  rmt_remote_id id = s->remotes.next_id;
  rmt_remote_entry *r = rmt__remote_new(s->alloc, id, kind, name, len);
  if (!r || rmt__registry_set(&s->remotes, s->alloc, id, r)) {
    rmt__remote_free(r, s->alloc);
    return RMT_ENOMEM;
  }
  s->remotes.next_id++;
  s->scratch.len = 0;
  if (!put_remote_info(&s->scratch, r)) broadcast_control(s, RMT_CTL_REMOTE_ADDED, 0);
  if (out_id) *out_id = id;
  return RMT_OK;
}

int rmt_server_destroy_remote(rmt_server *s, rmt_remote_id remote) {
  rmt_remote_entry *r = s ? rmt__registry_get(&s->remotes, remote) : NULL;
  if (!r) return RMT_ENOTFOUND;
  rmt__registry_set(&s->remotes, s->alloc, remote, NULL);
  r->destroyed = 1;
  /* Invokes waiting for a handler learn at once; pending invoke_client calls fail. */
  rmt_queued q;
  while (rmt__queue_pop(&r->waiting, &q)) {
    player *p = find_player(s, q.player);
    if (p) send_error(p, remote, q.call_id, RMT_ENOTFOUND, "remote was destroyed");
    rmt__free(s->alloc, q.bytes, q.len);
  }
  for (rmt_pending *pc = s->calls.head; pc;) {
    rmt_pending *next = pc->next;
    if (pc->remote == remote) {
      rmt__calls_complete(&s->calls, pc, RMT_ENOTFOUND, NULL, 0, "remote was destroyed");
      next = s->calls.head;
    }
    pc = next;
  }
  s->scratch.len = 0;
  if (!rmt__put_varint(&s->scratch, remote)) broadcast_control(s, RMT_CTL_REMOTE_REMOVED, 0);
  if (s->in_service) {
    r->next_dead = s->graveyard;
    s->graveyard = r;
  } else {
    rmt__remote_free(r, s->alloc);
  }
  return RMT_OK;
}

rmt_remote_id rmt_server_find_remote(const rmt_server *s, const char *name) {
  if (!s || !name) return 0;
  rmt_remote_entry *r = rmt__registry_find(&s->remotes, name, strlen(name));
  return r ? r->id : 0;
}

int rmt_server_set_remote_rate(rmt_server *s, rmt_remote_id remote, rmt_rate rate) {
  rmt_remote_entry *r = s ? rmt__registry_get(&s->remotes, remote) : NULL;
  if (!r) return RMT_ENOTFOUND;
  r->rate = rate;
  r->has_rate = rate.per_second > 0 || rate.burst > 0;
  return RMT_OK;
}

int rmt_server_set_schema(rmt_server *s, rmt_remote_id remote, const char *schema,
                          rmt_error *err) {
  rmt_remote_entry *r = s ? rmt__registry_get(&s->remotes, remote) : NULL;
  if (!r) return rmt__seterr(err, RMT_ENOTFOUND, "no remote with id %u (destroyed?)", remote);
  rmt_error local;
  rmt_schema *compiled = NULL;
  if (schema && !(compiled = rmt_schema_parse(schema, s->alloc, err ? err : &local)))
    return err ? err->code : local.code;
  rmt_schema_free(r->schema);
  r->schema = compiled;
  rmt__clearerr(err);
  return RMT_OK;
}

rmt_signal *rmt_server_event_signal(rmt_server *s, rmt_remote_id remote) {
  rmt_remote_entry *r = s ? rmt__registry_get(&s->remotes, remote) : NULL;
  return r ? r->signal : NULL;
}

int rmt_server_on_invoke(rmt_server *s, rmt_remote_id remote, rmt_invoke_fn handler,
                         void *ud) {
  rmt_remote_entry *r = s ? rmt__registry_get(&s->remotes, remote) : NULL;
  if (!r) return RMT_ENOTFOUND;
  if (r->kind != RMT_REMOTE_FUNCTION) return RMT_ETYPE;
  r->handler = handler;
  r->handler_ud = ud;
  return RMT_OK;
}

/* ---- outgoing ---- */

static int check_fire(rmt_server *s, rmt_remote_id remote, rmt_remote_entry **out,
                      rmt_error *err) {
  rmt_remote_entry *r = s ? rmt__registry_get(&s->remotes, remote) : NULL;
  if (!r) return rmt__seterr(err, RMT_ENOTFOUND, "no remote with id %u (destroyed?)", remote);
  if (r->kind == RMT_REMOTE_FUNCTION)
    return rmt__seterr(err, RMT_ETYPE, "'%s' is a RemoteFunction: use invoke, not fire", r->name);
  *out = r;
  return RMT_OK;
}

/* Encodes args once into scratch; checks the unreliable payload limit. */
static int encode_args(rmt_server *s, rmt_remote_entry *r, const rmt_value *args, size_t nargs,
                       rmt_error *err) {
  s->scratch.len = 0;
  int rc = rmt_encode(&s->scratch, args, nargs, NULL, err);
  if (rc) return rc;
  if (r->kind == RMT_UNRELIABLE_REMOTE_EVENT && s->scratch.len > RMT_UNRELIABLE_MAX)
    return rmt__seterr(err, RMT_ETOOBIG,
                       "UnreliableRemoteEvent '%s': %zu bytes of arguments, limit is %d",
                       r->name, s->scratch.len, RMT_UNRELIABLE_MAX);
  return RMT_OK;
}

static int append_event(rmt_server *s, player *p, rmt_remote_entry *r) {
  repl_flush(s);
  int ch = r->kind == RMT_UNRELIABLE_REMOTE_EVENT ? RMT_CHANNEL_UNRELIABLE : RMT_CHANNEL_RELIABLE;
  rmt_buf *b = &p->link.out[ch];
  size_t start = b->len;
  int rc = rmt__msg_put(b, RMT_MSG_EVENT, r->id, NULL, 0, s->scratch.data, s->scratch.len);
  if (rc) return rc;
  r->stats.events_out++;
  r->stats.bytes_out += b->len - start;
  p->stats.events_out++;
  s->totals.events_out++;
  return rmt__link_after_append(&p->link, ch, start);
}

static player *joined(rmt_server *s, rmt_player_id id) {
  player *p = find_player(s, id);
  return p && p->state == PLAYER_JOINED ? p : NULL;
}

int rmt_server_fire_client(rmt_server *s, rmt_player_id player_id, rmt_remote_id remote,
                           const rmt_value *args, size_t nargs, rmt_error *err) {
  rmt_remote_entry *r = NULL;
  int rc = check_fire(s, remote, &r, err);
  if (rc) return rc;
  player *p = joined(s, player_id);
  if (!p) return rmt__seterr(err, RMT_ENOTFOUND, "no player with id %u", player_id);
  if ((rc = encode_args(s, r, args, nargs, err))) return rc;
  return append_event(s, p, r);
}

int rmt_server_fire_all(rmt_server *s, rmt_remote_id remote, const rmt_value *args,
                        size_t nargs, rmt_error *err) {
  return rmt_server_fire_all_except(s, 0, remote, args, nargs, err);
}

int rmt_server_fire_all_except(rmt_server *s, rmt_player_id except, rmt_remote_id remote,
                               const rmt_value *args, size_t nargs, rmt_error *err) {
  rmt_remote_entry *r = NULL;
  int rc = check_fire(s, remote, &r, err);
  if (rc) return rc;
  if ((rc = encode_args(s, r, args, nargs, err))) return rc;
  for (player *p = s->first; p; p = p->next) {
    if (p->id == except || p->state != PLAYER_JOINED) continue;
    if ((rc = append_event(s, p, r))) return rmt__seterr(err, rc, "out of memory");
  }
  return RMT_OK;
}

int rmt_server_fire_list(rmt_server *s, const rmt_player_id *players, size_t nplayers,
                         rmt_remote_id remote, const rmt_value *args, size_t nargs,
                         rmt_error *err) {
  rmt_remote_entry *r = NULL;
  int rc = check_fire(s, remote, &r, err);
  if (rc) return rc;
  if (nplayers && !players) return rmt__seterr(err, RMT_EINVAL, "players is NULL");
  if ((rc = encode_args(s, r, args, nargs, err))) return rc;
  for (size_t i = 0; i < nplayers; i++) {
    player *p = joined(s, players[i]);
    if (!p) continue; /* players that left meanwhile are skipped, like Roblox */
    if ((rc = append_event(s, p, r))) return rmt__seterr(err, rc, "out of memory");
  }
  return RMT_OK;
}

int rmt_server_invoke_client(rmt_server *s, rmt_player_id player_id, rmt_remote_id remote,
                             const rmt_value *args, size_t nargs, uint32_t timeout_ms,
                             rmt_result_fn done, void *ud, rmt_error *err) {
  rmt_remote_entry *r = s ? rmt__registry_get(&s->remotes, remote) : NULL;
  if (!r) return rmt__seterr(err, RMT_ENOTFOUND, "no remote with id %u (destroyed?)", remote);
  if (r->kind != RMT_REMOTE_FUNCTION)
    return rmt__seterr(err, RMT_ETYPE, "'%s' is not a RemoteFunction", r->name);
  player *p = joined(s, player_id);
  if (!p) return rmt__seterr(err, RMT_ENOTFOUND, "no player with id %u", player_id);
  if (!timeout_ms) timeout_ms = s->cfg.invoke_timeout_ms;
  rmt_pending *pc = rmt__calls_new(&s->calls, player_id, remote, rmt__now_ms() + timeout_ms,
                                   done, ud);
  if (!pc) return rmt__seterr(err, RMT_ENOMEM, "out of memory");
  repl_flush(s);
  rmt_buf *b = &p->link.out[RMT_CHANNEL_RELIABLE];
  rmt_msg_mark mark;
  uint32_t fields[2] = {pc->call_id, timeout_ms};
  int rc = rmt__msg_begin(b, RMT_MSG_INVOKE, remote, fields, 2, &mark);
  if (!rc && (rc = rmt_encode(b, args, nargs, NULL, err))) rmt__msg_abort(b, &mark);
  if (!rc) rc = rmt__msg_end(b, &mark);
  if (rc) {
    pc->done = NULL; /* the callback must not fire when the call fails */
    rmt__calls_complete(&s->calls, pc, rc, NULL, 0, NULL);
    if (err && !err->message[0]) rmt__seterr(err, rc, "%s", rmt_strerror(rc));
    return rc;
  }
  r->stats.invokes_out++;
  p->stats.invokes_out++;
  s->totals.invokes_out++;
  /* The call is registered and its message queued: from here on it completes through `done`
   * (answer, timeout, disconnect). A failed send of what was batched before it is not this
   * call's failure, and returning it would let the caller free what `done` still gets. */
  rmt__link_after_append(&p->link, RMT_CHANNEL_RELIABLE, mark.start);
  return RMT_OK;
}

/* ---- players ---- */

rmt_signal *rmt_server_player_added(rmt_server *s) { return s ? s->player_added : NULL; }
rmt_signal *rmt_server_player_removing(rmt_server *s) { return s ? s->player_removing : NULL; }

size_t rmt_server_players(const rmt_server *s, rmt_player_id *out, size_t cap) {
  if (!s) return 0;
  size_t n = 0;
  for (player *p = s->first; p; p = p->next) {
    if (n < cap && out) out[n] = p->id;
    n++;
  }
  return n;
}

const char *rmt_server_player_name(const rmt_server *s, rmt_player_id id) {
  player *p = s ? rmt__idmap_get(&s->players_by_id, id) : NULL;
  return p ? p->name : NULL;
}

uint64_t rmt_server_player_user_id(const rmt_server *s, rmt_player_id id) {
  player *p = s ? rmt__idmap_get(&s->players_by_id, id) : NULL;
  return p ? p->user_id : 0;
}

void rmt_server_set_player_data(rmt_server *s, rmt_player_id id, void *data) {
  player *p = s ? rmt__idmap_get(&s->players_by_id, id) : NULL;
  if (p) p->data = data;
}

void *rmt_server_player_data(const rmt_server *s, rmt_player_id id) {
  player *p = s ? rmt__idmap_get(&s->players_by_id, id) : NULL;
  return p ? p->data : NULL;
}

int rmt_server_kick(rmt_server *s, rmt_player_id id, const char *reason) {
  player *p = s ? find_player(s, id) : NULL;
  if (!p || p->state != PLAYER_JOINED) return RMT_ENOTFOUND;
  if (!reason) reason = "kicked";
  s->scratch.len = 0;
  size_t len = strlen(reason);
  if (len > 200) len = 200;
  if (!rmt__put_lstr(&s->scratch, reason, len)) send_control(p, RMT_CTL_KICK, &s->scratch);
  snapshot_end(s, p); /* the reason goes now, snapshot or not */
  rmt__link_flush(&p->link);
  p->state = PLAYER_LEAVING;
  s->leaving_pending = 1;
  enet_peer_disconnect_later(p->peer, RMT_DISC_KICKED);
  return RMT_OK;
}

int rmt_server_remote_stats(const rmt_server *s, rmt_remote_id remote, rmt_stats *out) {
  if (!s || !out) return RMT_EINVAL;
  if (!remote) {
    *out = s->totals;
    return RMT_OK;
  }
  rmt_remote_entry *r = rmt__registry_get(&s->remotes, remote);
  if (!r) return RMT_ENOTFOUND;
  *out = r->stats;
  return RMT_OK;
}

int rmt_server_player_stats(const rmt_server *s, rmt_player_id id, rmt_stats *out) {
  if (!s || !out) return RMT_EINVAL;
  if (!id) {
    *out = s->totals;
    return RMT_OK;
  }
  player *p = rmt__idmap_get(&s->players_by_id, id);
  if (!p) return RMT_ENOTFOUND;
  *out = p->stats;
  return RMT_OK;
}

void rmt__server_feed(rmt_server *s, const rmt_fed_packet *packets, size_t n) {
  ENetPeer peer;
  memset(&peer, 0, sizeof peer);
  s->in_service = 1;
  s->now = rmt__now_ms();
  on_connect(s, &peer);
  player *p = peer.data;
  for (size_t i = 0; p && i < n; i++) {
    int ch = packets[i].channel & 1;
    if (p->state == PLAYER_JOINED || p->state == PLAYER_HANDSHAKE)
      handle_packet(s, p, packets[i].data, packets[i].len, ch);
    drain_queues(s);
  }
  if (p) free_player(s, p);
  free_graveyard(s);
  s->in_service = 0;
}

/* ---- replicated instances ---- */

static int name_ok(const char *name, size_t min) {
  size_t len = name ? strlen(name) : 0;
  return name && len >= min && len <= 100;
}

int rmt_server_instance_create(rmt_server *s, rmt_instance_id parent, const char *class_name,
                               const char *name, rmt_instance_id *out_id) {
  if (!s || !name_ok(class_name, 1) || !name_ok(name, 0)) return RMT_EINVAL;
  if (parent && !rmt__tree_get(&s->tree, parent)) return RMT_ENOTFOUND;
  if (!s->tree.next_id) return RMT_ELIMIT; /* 2^32 instances in one server's life */
  rmt_inst *inst;
  int rc = rmt__tree_create(&s->tree, s->tree.next_id, parent, class_name, strlen(class_name),
                            name, strlen(name), &inst);
  if (rc) return rc;
  s->tree.next_id++;
  if ((rc = rmt__tree_mark(&s->tree, inst, 0))) {
    rmt__tree_destroy(&s->tree, inst, NULL, NULL);
    return rc;
  }
  if (out_id) *out_id = inst->id;
  return RMT_OK;
}

static rmt_inst *server_inst(const rmt_server *s, rmt_instance_id id) {
  return s ? rmt__tree_get(&s->tree, id) : NULL;
}

int rmt_server_instance_destroy(rmt_server *s, rmt_instance_id id) {
  rmt_inst *inst = server_inst(s, id);
  if (!inst) return RMT_ENOTFOUND;
  if (inst->player && find_player(s, inst->player)) return RMT_EINVAL; /* leaves with its player */
  if (inst->sent && rmt__tree_mark_destroyed(&s->tree, id)) return RMT_ENOMEM;
  rmt__tree_destroy(&s->tree, inst, NULL, NULL);
  return RMT_OK;
}

int rmt_server_instance_set_parent(rmt_server *s, rmt_instance_id id, rmt_instance_id parent) {
  rmt_inst *inst = server_inst(s, id);
  if (!inst) return RMT_ENOTFOUND;
  if (inst->parent == parent) return RMT_OK;
  int rc = rmt__tree_set_parent(&s->tree, inst, parent);
  return rc ? rc : rmt__tree_mark(&s->tree, inst, RMT_DIRTY_PARENT);
}

int rmt_server_instance_set_name(rmt_server *s, rmt_instance_id id, const char *name) {
  rmt_inst *inst = server_inst(s, id);
  if (!inst) return RMT_ENOTFOUND;
  if (!name_ok(name, 0)) return RMT_EINVAL;
  if (strcmp(inst->name, name) == 0) return RMT_OK;
  int rc = rmt__tree_set_name(&s->tree, inst, name, strlen(name));
  return rc ? rc : rmt__tree_mark(&s->tree, inst, RMT_DIRTY_NAME);
}

int rmt_server_instance_set_value(rmt_server *s, rmt_instance_id id, const rmt_value *value,
                                  rmt_error *err) {
  rmt_inst *inst = server_inst(s, id);
  if (!inst) return rmt__seterr(err, RMT_ENOTFOUND, "no instance with id %u", id);
  int rc = rmt__tree_set_value(&s->tree, inst, value, err);
  return rc ? rc : rmt__tree_mark(&s->tree, inst, RMT_DIRTY_VALUE);
}

int rmt_server_instance_set_attribute(rmt_server *s, rmt_instance_id id, const char *name,
                                      const rmt_value *value, rmt_error *err) {
  rmt_inst *inst = server_inst(s, id);
  if (!inst) return rmt__seterr(err, RMT_ENOTFOUND, "no instance with id %u", id);
  if (!name_ok(name, 1)) return rmt__seterr(err, RMT_EINVAL, "attribute names are 1..100 bytes");
  int rc = rmt__tree_set_attr(&s->tree, inst, name, strlen(name), value, err);
  return rc ? rc : rmt__tree_mark(&s->tree, inst, RMT_DIRTY_ATTRS);
}

int rmt_server_instance_info(const rmt_server *s, rmt_instance_id id, rmt_instance_info *out) {
  rmt_inst *inst = server_inst(s, id);
  if (!inst || !out) return RMT_ENOTFOUND;
  rmt__tree_info(inst, out);
  return RMT_OK;
}

rmt_instance_id rmt_server_player_instance(const rmt_server *s, rmt_player_id id) {
  player *p = s ? find_player(s, id) : NULL;
  return p ? p->instance : 0;
}

rmt_instance_id rmt_server_instance_find_child(const rmt_server *s, rmt_instance_id parent,
                                               const char *name) {
  return s && name ? rmt__tree_find_child(&s->tree, parent, name, strlen(name)) : 0;
}

rmt_instance_id rmt_server_instance_find_path(const rmt_server *s, rmt_instance_id from,
                                              const char *path) {
  return s ? rmt__tree_find_path(&s->tree, from, path) : 0;
}
