/* server_handshake.c - a connection's way in: the per-address cap at connect, the HELLO
 * checks (version, name, capacity, ticket, verify hook), WELCOME with the registry and the
 * players, and the join snapshot paced by the client's acknowledgements. Never admits a
 * player before every check passed; never queues a snapshot before its WELCOME was acked. */
#include <stdio.h>
#include <string.h>

#include "remotes_ticket.h"
#include "server_internal.h"

/* Unacknowledged snapshot bytes in ENet per player, and the size of one piece. */
#define SNAP_WINDOW (64u * 1024u)
#define SNAP_PIECE (16u * 1024u)

/* Refuses a connection with a reason the client shows, then lets ENet close it. */
void rmt__server_refuse(rmt_server *s, player *p, int status, const char *reason) {
  rmt_buf *body = &s->scratch;
  body->len = 0;
  if (!rmt__put_varint(body, (uint32_t)-status) && !rmt__put_lstr(body, reason, strlen(reason)))
    rmt__server_send_control(p, RMT_CTL_REFUSE, body);
  rmt__link_flush(&p->link);
  p->state = PLAYER_LEAVING;
  rmt__server_close(p, RMT_CLOSE_AFTER_SENT, RMT_DISC_REFUSED);
}

static int put_player_info(rmt_buf *b, const player *p) {
  int rc = rmt__put_varint(b, p->id);
  if (!rc) rc = rmt__put_varint(b, p->user_id);
  if (!rc) rc = rmt__put_lstr(b, p->name, strlen(p->name));
  return rc;
}

/* ---- join snapshots, paced by the joining client's acknowledgements ---- */

static void snapshot_release(rmt_server *s, snapshot *sn) {
  if (!sn || --sn->refs) return;
  if (s->latest_snap == sn) s->latest_snap = NULL;
  rmt_buf_free(&sn->buf);
  rmt__free(s->alloc, sn, sizeof *sn);
}

/* The tree as of now (no changes pending: called right after rmt__server_repl_flush). */
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
void rmt__server_snapshot_end(rmt_server *s, player *p) {
  snapshot_release(s, p->snap);
  p->snap = NULL;
  p->snap_off = 0;
  p->snap_state = SNAP_DONE;
  p->link.hold_reliable = 0;
}

/* Called at each flush, after rmt__server_repl_flush. A deaf peer (one that never
 * acknowledges) never leaves SNAP_WAITING, and one that stops acknowledging holds at most
 * SNAP_WINDOW + a piece of snapshot in ENet, until ENet's timeout drops it. */
void rmt__server_snapshot_pump(rmt_server *s, player *p) {
  rmt_conn_backlog bl;
  p->link.tr->ops->backlog(p->link.tr, p->conn, &bl);
  if (p->snap_state == SNAP_WAITING) {
    if (bl.unsent || bl.unacked) return; /* WELCOME and the player list not acknowledged yet */
    if (!(p->snap = snapshot_get(s))) return; /* out of memory: try again next flush */
    p->snap_state = SNAP_STREAMING;
    p->snap_off = 0;
  }
  if (p->snap_state != SNAP_STREAMING || bl.unsent) return;
  const rmt_buf *b = &p->snap->buf;
  size_t queued = 0;
  while (p->snap_off < b->len && queued + bl.in_flight < SNAP_WINDOW) {
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
  if (p->snap_off >= b->len) rmt__server_snapshot_end(s, p);
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

/* A HELLO's fields; name and ticket point into the message body. */
typedef struct hello {
  uint64_t version;
  const uint8_t *name, *ticket;
  size_t name_len, ticket_len;
} hello;

/* Who a HELLO joins as, once the ticket and the verify hook had their say. */
typedef struct identity {
  char name[RMT_VERIFY_NAME_MAX];
  uint64_t user_id;
  rmt_player_id id;
} identity;

/* 0 when the body does not frame as a HELLO of this protocol's magic. */
static int hello_parse(const rmt_msg *m, hello *h) {
  rmt_reader r = {m->body, m->body_len, 0, 0};
  uint32_t magic = rmt__get_u32le(&r);
  h->version = rmt__get_varint(&r);
  h->name = rmt__get_lstr(&r, 64, &h->name_len);
  h->ticket = rmt__get_lstr(&r, 4096, &h->ticket_len);
  return !r.bad && magic == RMT_PROTOCOL_MAGIC && r.off == r.len;
}

/* The refusals that need nothing but the HELLO and the server's size; 1 when refused. */
static int hello_refuse_early(rmt_server *s, player *p, const hello *h) {
  if (h->version != RMT_PROTOCOL_VERSION) {
    char reason[160];
    snprintf(reason, sizeof reason,
             "protocol version mismatch: server speaks %u, client speaks %llu",
             RMT_PROTOCOL_VERSION, (unsigned long long)h->version);
    rmt__server_refuse(s, p, RMT_EVERSION, reason);
    return 1;
  }
  /* With tickets the requested name is ignored, so only its wire bounds matter. */
  if (!s->tickets_required && !rmt__player_name_valid((const char *)h->name, h->name_len)) {
    rmt__server_refuse(s, p, RMT_EREFUSED,
                       "invalid name: use 1-32 characters of A-Z, a-z, 0-9 and _");
    return 1;
  }
  if (s->nplayers >= s->cfg.max_players) {
    rmt__server_refuse(s, p, RMT_EREFUSED, "server is full");
    return 1;
  }
  return 0;
}

/* Name and user id from the ticket when the server requires one, else the requested name;
 * 1 when refused. */
static int hello_identify(rmt_server *s, player *p, const hello *h, identity *who) {
  who->user_id = 0;
  if (!s->tickets_required) {
    memcpy(who->name, h->name, h->name_len);
    who->name[h->name_len] = 0;
    return 0;
  }
  rmt_ticket t;
  rmt_error terr;
  if (h->ticket_len == 0) {
    rmt__server_refuse(s, p, RMT_EREFUSED,
                       "ticket required: this server admits players with a join ticket only");
    return 1;
  }
  if (rmt_ticket_verify(s->ticket_key, sizeof s->ticket_key, (const char *)h->ticket,
                        h->ticket_len, 0, s->ticket_guard, &t, &terr) != RMT_OK) {
    rmt__server_refuse(s, p, RMT_EREFUSED, terr.message);
    return 1;
  }
  snprintf(who->name, sizeof who->name, "%s", t.name);
  who->user_id = t.user_id;
  return 0;
}

/* The application's verify hook, which may refuse or rename; 1 when refused. */
static int hello_verify(rmt_server *s, player *p, const hello *h, identity *who) {
  if (!s->cfg.verify) return 0;
  char vreason[RMT_VERIFY_REASON_MAX] = "";
  if (s->cfg.verify(s->cfg.verify_ud, h->ticket, h->ticket_len, who->name, &who->user_id,
                    vreason) != 0) {
    vreason[sizeof vreason - 1] = 0;
    rmt__server_refuse(s, p, RMT_EREFUSED, vreason[0] ? vreason : "join refused");
    return 1;
  }
  who->name[sizeof who->name - 1] = 0;
  return 0;
}

/* Makes p a joined player, last in join order; 1 when refused (out of memory). */
static int join_player(rmt_server *s, player *p, const identity *who) {
  if (rmt__idmap_put(&s->players_by_id, who->id, p)) {
    rmt__server_refuse(s, p, RMT_ENOMEM, "server out of memory");
    return 1;
  }
  /* Pending changes go to the players already here; the newcomer gets a snapshot. */
  rmt__server_repl_flush(s);
  p->id = who->id;
  p->user_id = who->user_id;
  snprintf(p->name, sizeof p->name, "%s", who->name);
  p->state = PLAYER_JOINED;
  p->prev = s->last;
  if (s->last) s->last->next = p;
  else s->first = p;
  s->last = p;
  s->nplayers++;
  return 0;
}

/* WELCOME carries the whole registry; then every player (itself included) to the newcomer,
 * and the newcomer to everyone else. */
static void send_welcome(rmt_server *s, player *p) {
  rmt_buf *b = &s->scratch;
  b->len = 0;
  int rc = rmt__put_varint(b, RMT_PROTOCOL_VERSION);
  if (!rc) rc = put_player_info(b, p);
  if (!rc) rc = rmt__put_varint(b, s->remotes.count);
  for (size_t i = 1; !rc && i < s->remotes.cap; i++)
    if (s->remotes.by_id[i]) rc = rmt__server_put_remote_info(b, s->remotes.by_id[i]);
  if (!rc) rmt__server_send_control(p, RMT_CTL_WELCOME, b);
  for (player *q = s->first; q; q = q->next) {
    if (q->state != PLAYER_JOINED) continue;
    b->len = 0;
    if (!put_player_info(b, q)) rmt__server_send_control(p, RMT_CTL_PLAYER_ADDED, b);
  }
  b->len = 0;
  if (!put_player_info(b, p)) rmt__server_broadcast_control(s, RMT_CTL_PLAYER_ADDED, p->id);
}

/* The tree follows once the client has acknowledged the WELCOME (rmt__server_snapshot_pump):
 * a peer that joins and never listens gets nothing expensive. Until then its reliable batch
 * is held, so nothing reaches it before the tree it may refer to. The player's own "Player"
 * instance is a change like any other: the others get it, the newcomer has it in its
 * snapshot. */
static void begin_snapshot(rmt_server *s, player *p) {
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
}

void rmt__server_hello(rmt_server *s, player *p, const rmt_msg *m) {
  hello h;
  if (!hello_parse(m, &h)) {
    rmt__server_refuse(s, p, RMT_EREFUSED, "malformed handshake");
    return;
  }
  if (hello_refuse_early(s, p, &h)) return;
  identity who;
  if (hello_identify(s, p, &h, &who)) return;
  /* The id is taken before the hook runs (it sees no id); a refused join burns one. */
  who.id = ++s->next_player_id;
  if (!s->tickets_required) who.user_id = who.id;
  if (hello_verify(s, p, &h, &who)) return;
  /* Roblox never has two players with one name (names differ by more than case there). */
  if (name_taken(s, who.name)) {
    char reason[160];
    snprintf(reason, sizeof reason, "a player named \"%s\" is already in the game", who.name);
    rmt__server_refuse(s, p, RMT_EREFUSED, reason);
    return;
  }
  if (join_player(s, p, &who)) return;
  send_welcome(s, p);
  begin_snapshot(s, p);
  rmt_value arg = rmt_player_ref(p->id);
  rmt_signal_fire(s->player_added, &arg, 1);
}

/* Connections (any state, refused ones until ENet lets go) from peer's IP address, besides it. */
static uint32_t connections_from(const rmt_transport *tr, const rmt_conn *conn) {
  uint32_t n = 0, addr = tr->ops->address(tr, conn);
  for (const rmt_conn *q = tr->ops->next(tr, NULL); q; q = tr->ops->next(tr, q))
    if (q != conn && tr->ops->address(tr, q) == addr) n++;
  return n;
}

void rmt__server_on_connect(rmt_server *s, rmt_transport *tr, rmt_conn *conn) {
  player *p = rmt__alloc(s->alloc, sizeof *p);
  if (!p) {
    tr->ops->close(tr, conn, RMT_CLOSE_RESET, 0);
    return;
  }
  memset(p, 0, sizeof *p);
  p->state = PLAYER_HANDSHAKE;
  p->connected_at = s->now;
  p->conn = conn;
  rmt__link_init(&p->link, tr, conn, s->cfg.batch_bytes, s->alloc);
  tr->ops->set_data(tr, conn, p);
  /* One machine (or one attacker) cannot take every slot; the reason reaches the client. */
  if (s->cfg.max_per_address && connections_from(tr, conn) >= s->cfg.max_per_address) {
    char reason[96];
    snprintf(reason, sizeof reason, "too many connections from your address (limit %u)",
             (unsigned)s->cfg.max_per_address);
    rmt__server_refuse(s, p, RMT_EREFUSED, reason);
  }
}
