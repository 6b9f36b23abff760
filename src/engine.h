/* engine.h - what the server and the client share: the clock, ENet setup, per-peer
 * batches, token buckets, remote entries with their queues, invocations and pending calls.
 * Internal only; never knows about Lua, and never decides policy (server.c/client.c do). */
#ifndef RMT_ENGINE_H
#define RMT_ENGINE_H

#include <enet/enet.h>

#include "common.h"
#include "idmap.h"
#include "protocol.h"
#include "invocation.h"
#include "remotes.h"
#include "transport.h"

/* Monotonic milliseconds. */
uint64_t rmt__now_ms(void);
/* Milliseconds on a config's clock (microseconds, see rmt_clock_fn), or rmt__now_ms(). */
static inline uint64_t rmt__clock_ms(rmt_clock_fn clock, void *ud) {
  return clock ? clock(ud) / 1000u : rmt__now_ms();
}
/* Initialises ENet once per process, with allocation failures reported instead of abort. */
int rmt__enet_init(void);
/* Formats "host:port" resolution failures etc. into err. */
int rmt__resolve(const char *host, uint16_t port, ENetAddress *out, rmt_error *err);

/* Services `host` for at most `ms` until every peer has its reliable data acknowledged, so
 * a closing side's last messages arrive. Received packets are discarded. */
void rmt__linger(ENetHost *host, uint32_t ms);

/* Display names: 1..32 bytes of A-Z a-z 0-9 _ (both sides check the same rule). */
int rmt__player_name_valid(const char *name, size_t len);
/* Zero fields of a config's limits take the defaults. */
void rmt__limits_fill(rmt_limits *l);
/* ENet refuses larger packets before reassembling them: nothing legitimate is bigger than
 * one message at max_bytes or one batch. */
size_t rmt__max_packet(const rmt_limits *l, uint32_t batch_bytes);
/* What ENet may hold per peer for packets not yet handed to us (fragments being reassembled,
 * reliable packets waiting for an earlier one, packets dispatched in one receive burst): one
 * largest legal packet plus this slack, which covers ENet's 64 KiB reliable window and a
 * 256-datagram receive burst from an honest peer. ENet's default is 32 MB per peer: raw
 * peers sending big packets one fragment short held hundreds of MB of a server. Past the
 * cap ENet stores (and acknowledges) nothing more from that peer until it drains, so a peer
 * can make ENet hold at most rmt__max_waiting + rmt__max_packet bytes. */
#define RMT_WAITING_SLACK (512u * 1024u)
size_t rmt__max_waiting(const rmt_limits *l, uint32_t batch_bytes);
/* Sets both caps (maximumPacketSize, maximumWaitingData) on a server's or client's host. */
void rmt__host_limits(ENetHost *host, const rmt_limits *l, uint32_t batch_bytes);

/* ---- token bucket ---- */
typedef struct rmt_bucket {
  double tokens;
  uint64_t last_ms;
  int primed;
} rmt_bucket;
/* Takes `cost` tokens if available; unlimited rates always succeed. */
int rmt__bucket_take(rmt_bucket *b, rmt_rate rate, uint64_t now_ms, double cost);

/* ---- per-peer outgoing batches ---- */
typedef struct rmt_link {
  /* Where packets go: a connection of a transport, on either side. NULL conn: nowhere
   * (the connection is gone), and sends fail with RMT_ESTATE. */
  rmt_transport *tr;
  rmt_conn *conn;
  rmt_buf out[RMT_CHANNEL_COUNT];
  uint32_t batch_bytes;
  uint64_t sent_bytes;     /* handed to ENet, including batches split before a flush */
  uint64_t reported_bytes; /* the part of sent_bytes already added to stats */
  int hold_reliable;       /* keep the reliable batch (not split, not flushed) until cleared:
                              the server holds a joining player's messages behind its snapshot */
} rmt_link;
/* Bytes sent since the last call (for bytes_out stats). */
uint64_t rmt__link_take_sent(rmt_link *l);
void rmt__link_init(rmt_link *l, rmt_transport *tr, rmt_conn *conn, uint32_t batch_bytes,
                    const rmt_allocator *a);
/* After a message [start, len) was appended to channel ch: if the batch grew past the cap,
 * sends what came before the message as its own packet. */
int rmt__link_after_append(rmt_link *l, int ch, size_t start);
/* Sends both batches as packets on the transport (queued there until its flush or poll); a
 * held reliable batch stays. */
int rmt__link_flush(rmt_link *l);
/* Sends `len` bytes (whole messages) as one packet on channel ch now, bypassing the batch. */
int rmt__link_send(rmt_link *l, int ch, const uint8_t *data, size_t len);
void rmt__link_free(rmt_link *l);
/* Appends an ERROR answer for call_id (status as a negative rmt_status). */
void rmt__link_put_error(rmt_link *l, rmt_remote_id remote, uint32_t call_id, int status,
                         const char *message);
/* Appends a RESULT with `values`; values that cannot be encoded become an ERROR naming why. */
int rmt__link_put_result(rmt_link *l, rmt_remote_id remote, uint32_t call_id,
                         const rmt_value *values, size_t nvalues, const rmt_limits *limits);

/* ---- remote entries (one per remote, on either side) ---- */
typedef struct rmt_queued {
  rmt_player_id player;
  uint32_t call_id;    /* invokes waiting for a handler */
  uint64_t deadline;   /* invokes waiting for a handler */
  uint8_t *bytes;
  size_t len;
} rmt_queued;

typedef struct rmt_queue {
  rmt_queued *items; /* ring */
  size_t cap, head, count;
  size_t bytes;
  rmt_idmap shares;  /* player -> what that sender holds, when pushes are bounded per sender */
} rmt_queue;
/* Copies bytes in; RMT_ELIMIT when over `limit` entries or `max_bytes`. With `senders` > 0
 * and item->player set, also when that player would hold more than limit / senders entries
 * (at least 1) or max_bytes / senders bytes: the server passes its number of players, so
 * one flooding player leaves every other player its share (docs/limits.md). O(1). */
int rmt__queue_push(rmt_queue *q, const rmt_allocator *a, size_t limit, size_t max_bytes,
                    size_t senders, const rmt_queued *item);
/* Pops the oldest into *out (caller frees out->bytes with rmt__free(a, bytes, len)). */
int rmt__queue_pop(rmt_queue *q, rmt_queued *out);
void rmt__queue_clear(rmt_queue *q, const rmt_allocator *a);

typedef struct rmt_remote_entry {
  rmt_remote_id id;
  rmt_remote_kind kind;
  char *name;
  size_t name_len;
  rmt_signal *signal;         /* OnServerEvent / OnClientEvent */
  rmt_invoke_fn handler;
  void *handler_ud;
  rmt_queue queue;            /* events while nothing listens */
  rmt_queue waiting;          /* invokes while no handler is set */
  uint64_t queue_dropped;     /* since the last overflow warning */
  rmt_rate rate;              /* server: per-remote override */
  int has_rate;
  int destroyed;
  int busy;                   /* in the registry's busy list */
  rmt_schema *schema;         /* server: declared arguments, NULL = unchecked */
  rmt_stats stats;
  struct rmt_remote_entry *next_dead; /* graveyard while a service is running */
} rmt_remote_entry;

rmt_remote_entry *rmt__remote_new(const rmt_allocator *a, rmt_remote_id id,
                                  rmt_remote_kind kind, const char *name, size_t name_len);
void rmt__remote_free(rmt_remote_entry *r, const rmt_allocator *a);
/* Remote names: 1..200 bytes, '/'-separated non-empty segments, no control characters. */
int rmt__remote_name_valid(const char *name, size_t len);

/* Encoded arguments of one UnreliableRemoteEvent (Roblox's limit): the sender refuses more
 * with RMT_ETOOBIG and the receiver drops more as RMT_DROP_MALFORMED. */
#define RMT_UNRELIABLE_MAX 1000

/* Remote ids are indexes into a table on both sides, so they are capped: a server creates at
 * most this many remotes in its lifetime, and a client refuses larger ids from a server. */
#define RMT_MAX_REMOTE_ID 65535u

/* ---- a table of remote entries indexed by id ---- */
typedef struct rmt_registry {
  rmt_remote_entry **by_id; /* index = id; ids are never reused */
  size_t cap;
  uint32_t next_id;
  size_t count;
  rmt_remote_id *busy; /* remotes with something queued or an overflow to report */
  size_t nbusy, cap_busy;
  int busy_all;        /* the list could not grow: look at every remote once */
} rmt_registry;
/* Notes that r has queued work, so a service looks at it without scanning every remote. */
void rmt__registry_busy(rmt_registry *g, const rmt_allocator *a, rmt_remote_entry *r);
/* Calls drain(ud, r) for each busy remote (all of them after an allocation failure) and
 * keeps those that still have something queued. */
void rmt__registry_drain(rmt_registry *g, void (*drain)(void *ud, rmt_remote_entry *r), void *ud);
rmt_remote_entry *rmt__registry_get(const rmt_registry *g, rmt_remote_id id);
rmt_remote_entry *rmt__registry_find(const rmt_registry *g, const char *name, size_t len);
int rmt__registry_set(rmt_registry *g, const rmt_allocator *a, rmt_remote_id id,
                      rmt_remote_entry *r);
void rmt__registry_free(rmt_registry *g, const rmt_allocator *a);

/* ---- incoming invocations (we answer) ---- */
typedef struct rmt_invocation_list {
  rmt_invocation *head;
} rmt_invocation_list;
rmt_invocation *rmt__invocation_new(rmt_invocation_list *l, const rmt_allocator *a, void *owner,
                                    rmt_complete_fn complete, rmt_player_id player,
                                    rmt_remote_id remote, uint32_t call_id);
void rmt__invocation_unlink(rmt_invocation_list *l, rmt_invocation *inv);
/* Frees every outstanding invocation (destroy). */
void rmt__invocation_list_free(rmt_invocation_list *l);

/* ---- outgoing calls (we wait for a result) ---- */
typedef struct rmt_pending {
  uint32_t call_id;
  rmt_player_id player; /* server: the invoked player */
  rmt_remote_id remote;
  uint64_t deadline;
  rmt_result_fn done;
  void *ud;
  struct rmt_pending *prev, *next;
} rmt_pending;
typedef struct rmt_calls {
  rmt_idmap by_id;
  rmt_pending *head;
  uint32_t next_id;
  size_t count;
  const rmt_allocator *alloc;
} rmt_calls;
/* Allocates a call with a fresh id (never one still pending). */
rmt_pending *rmt__calls_new(rmt_calls *c, rmt_player_id player, rmt_remote_id remote,
                            uint64_t deadline, rmt_result_fn done, void *ud);
rmt_pending *rmt__calls_get(rmt_calls *c, uint32_t call_id);
/* The one way a call ends: unlinks it, calls done (if any), frees it. */
void rmt__calls_complete(rmt_calls *c, rmt_pending *p, int status, const rmt_value *values,
                         size_t nvalues, const char *message);
/* Completes, with `status`, every call matching player (0 = all) or whose deadline passed
 * (when now_ms != 0). Returns how many completed. */
size_t rmt__calls_expire(rmt_calls *c, uint64_t now_ms, rmt_stats *timeouts);
size_t rmt__calls_fail_player(rmt_calls *c, rmt_player_id player, int status,
                              const char *message);
void rmt__calls_free(rmt_calls *c);

/* Sum of counters. */
void rmt__stats_add(rmt_stats *into, const rmt_stats *from);

/* Roblox's warning when a remote's queue overflowed; `listener` names the missing signal
 * (OnServerEvent / OnClientEvent). Resets the remote's drop count. */
void rmt__warn_queue_overflow(rmt_log_fn fn, void *ud, rmt_remote_entry *r, const char *listener);

/* Emits through the configured log hook, or stderr for warnings and errors. */
void rmt__log(rmt_log_fn fn, void *ud, rmt_log_level level, const char *fmt, ...)
    RMT_PRINTF(4, 5);

/* Decodes a RESULT/ERROR message body and completes the matching pending call. */
void rmt__calls_on_reply(rmt_calls *c, const rmt_msg *m, rmt_arena *arena,
                         const rmt_limits *limits);

/* Fuzz and test hooks: run packets through the receive path of a connection that has no
 * socket behind it. The server hook opens one connection on an in-memory transport of its
 * own (what the server sends it is counted and dropped), feeds every packet in order through
 * the server's event handler and closes it. The client hook hands one packet to the client's
 * event handler as received on its connection: fuzz_client's client is connected over an
 * in-memory transport (rmt__client_create_on), so its answers are really sent. */
typedef struct rmt_fed_packet {
  const uint8_t *data;
  size_t len;
  int channel;
} rmt_fed_packet;
void rmt__server_feed(rmt_server *s, const rmt_fed_packet *packets, size_t n);
/* rmt_server_create over a given transport instead of a listening ENet host (bind_host and
 * port unused): deterministic tests drive it with rmt__transport_mem_create. The server owns
 * tr once this succeeds and destroys it with itself; on failure the caller still owns it. */
rmt_server *rmt__server_create_on(const rmt_server_config *config, rmt_transport *tr,
                                  rmt_error *err);
/* rmt_client_create over a given transport and connection (one of its connections, whose
 * CONNECT the transport reports; host and port unused): deterministic tests and fuzz_client
 * use rmt__transport_mem_create and rmt__mem_connect. The client owns tr once this succeeds
 * and destroys it with itself; on failure the caller still owns it. */
rmt_client *rmt__client_create_on(const rmt_client_config *config, rmt_transport *tr,
                                  rmt_conn *conn, rmt_error *err);
void rmt__client_feed(rmt_client *c, const rmt_fed_packet *packet);

#endif /* RMT_ENGINE_H */
