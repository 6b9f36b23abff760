/* server_internal.h - the server's state (rmt_server, its players, join snapshots) and the
 * functions its files share (src/server*.c, one job each; docs/architecture.md lists them).
 * Private to those files: never included by the client, the Lua host, tests or fuzz targets. */
#ifndef RMT_SERVER_INTERNAL_H
#define RMT_SERVER_INTERNAL_H

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

typedef struct player {
  rmt_player_id id;
  uint64_t user_id;
  char name[64];
  player_state state;
  int removed;         /* PlayerRemoving fired and registry entries gone */
  int said_bye;        /* the client left on its own: close without waiting */
  uint64_t connected_at;
  rmt_conn *conn; /* on link.tr */
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
  rmt_allocator alloc_copy; /* config.alloc, copied: the caller's struct need not outlive create */
  rmt_transport *tr; /* ENet, or what rmt__server_create_on was given; fed connections
                        (rmt__server_feed) live on a transport of their own */
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
};

/* ---- server.c: lifecycle, service loop, dispatch ---- */
/* Every deadline and rate window of the server is on the config's clock (rmt_clock_fn). */
static inline uint64_t rmt__server_now(const rmt_server *s) {
  return rmt__clock_ms(s->cfg.clock, s->cfg.clock_ud);
}

/* ---- server_handshake.c: connect, HELLO, WELCOME, the join snapshot ---- */
/* Answers REFUSE with `reason` and lets ENet close the connection once it is acknowledged. */
void rmt__server_refuse(rmt_server *s, player *p, int status, const char *reason);
/* Drops a player's snapshot and releases what was held behind it. */
void rmt__server_snapshot_end(rmt_server *s, player *p);
/* At each flush: starts or continues a joining player's snapshot as it acknowledges. */
void rmt__server_snapshot_pump(rmt_server *s, player *p);
/* A HELLO from a connection in PLAYER_HANDSHAKE: joins it or refuses it. */
void rmt__server_hello(rmt_server *s, player *p, const rmt_msg *m);
/* A new connection on tr: allocates its player (the connection's data) or resets it. */
void rmt__server_on_connect(rmt_server *s, rmt_transport *tr, rmt_conn *conn);

/* ---- server_players.c: players, leaving ---- */
/* A player not yet removed, or NULL. */
player *rmt__server_find_player(const rmt_server *s, rmt_player_id id);
/* PlayerRemoving and every tie cut; idempotent; the struct stays until free. */
void rmt__server_remove_player(rmt_server *s, player *p);
void rmt__server_free_player(rmt_server *s, player *p);

/* ---- server_send.c: fires, invokes, controls ---- */
/* Append a CONTROL or an ERROR to the player's reliable batch (sent at the next flush). */
void rmt__server_send_control(player *p, rmt_control type, const rmt_buf *body);
void rmt__server_send_error(player *p, rmt_remote_id remote, uint32_t call_id, int status,
                            const char *message);
void rmt__server_broadcast_control(rmt_server *s, rmt_control type, rmt_player_id except);

/* ---- server_remotes.c: the registry ---- */
/* A remote as WELCOME and REMOTE_ADDED describe it. */
int rmt__server_put_remote_info(rmt_buf *b, const rmt_remote_entry *r);

/* ---- server_instances.c: replicated instances ---- */
/* Sends pending tree changes to every joined player; call before batching anything that
 * may refer to them. */
void rmt__server_repl_flush(rmt_server *s);
void rmt__server_repl_destroy(rmt_server *s, rmt_inst *inst);

/* Closes p's connection, on the transport it came from. */
static inline void rmt__server_close(player *p, rmt_close_mode how, uint32_t code) {
  p->link.tr->ops->close(p->link.tr, p->conn, how, code);
}

#endif /* RMT_SERVER_INTERNAL_H */
