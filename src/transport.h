/* transport.h - the seam between either side and the network: connections that carry
 * packets on two channels, events out of a poll, closing, and the little the server reads
 * back (backlog, address). ENet is the real one (transport_enet.c); an in-memory one
 * (transport_mem.c) drives the same server and client code without sockets, for fuzz and
 * deterministic tests. Internal only. Never includes ENet, never decides policy. */
#ifndef RMT_TRANSPORT_H
#define RMT_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

typedef struct rmt_transport rmt_transport;
typedef struct rmt_conn rmt_conn; /* one connection; the transport's, opaque to the server */

typedef enum rmt_tevent_type {
  RMT_TEV_CONNECT = 1, /* a connection is up; it has no data yet */
  RMT_TEV_RECEIVE,     /* a packet: data/len/channel, valid until release */
  RMT_TEV_DISCONNECT   /* gone (closed by either side or timed out); code from the peer */
} rmt_tevent_type;

typedef struct rmt_tevent {
  rmt_tevent_type type;
  rmt_conn *conn;
  const uint8_t *data;
  size_t len;
  int channel;   /* RMT_CHANNEL_RELIABLE or RMT_CHANNEL_UNRELIABLE */
  uint32_t code; /* DISCONNECT: the 32-bit code the other side closed with */
  void *owned;   /* the transport's; release frees it */
} rmt_tevent;

typedef enum rmt_close_mode {
  RMT_CLOSE_NOW = 1,  /* one notice, not retried; the connection is gone when close returns */
  RMT_CLOSE_AFTER_SENT, /* once everything queued was delivered (a REFUSE/KICK reason first) */
  RMT_CLOSE_POLITE,   /* a disconnect handshake; pending packets may be dropped */
  RMT_CLOSE_RESET     /* forget it without a word (out of memory at connect) */
} rmt_close_mode;

/* What a connection still has to deliver, for pacing (the join snapshot). */
typedef struct rmt_conn_backlog {
  int unsent;       /* packets queued, not yet on the wire */
  int unacked;      /* reliable packets on the wire, not yet acknowledged */
  size_t in_flight; /* bytes of those */
} rmt_conn_backlog;

typedef struct rmt_transport_ops {
  /* Queues a packet (copied): reliable and ordered on RMT_CHANNEL_RELIABLE, neither on the
   * other. RMT_ENOMEM, or RMT_ENET when the connection cannot take it (closing, gone). */
  int (*send)(rmt_transport *t, rmt_conn *c, int channel, const uint8_t *data, size_t len);
  /* Next event into *ev: 1, or 0 when none came within timeout_ms, or RMT_ENET. Queued
   * events come before any I/O; timeout 0 never blocks. RECEIVE events must be released. */
  int (*poll)(rmt_transport *t, rmt_tevent *ev, uint32_t timeout_ms);
  void (*release)(rmt_transport *t, rmt_tevent *ev);
  /* Puts everything queued on the wire now. */
  void (*flush)(rmt_transport *t);
  void (*close)(rmt_transport *t, rmt_conn *c, rmt_close_mode how, uint32_t code);
  void (*backlog)(const rmt_transport *t, const rmt_conn *c, rmt_conn_backlog *out);
  /* The other side's address (IPv4 host in network order for ENet), to count connections
   * per address. */
  uint32_t (*address)(const rmt_transport *t, const rmt_conn *c);
  /* Connections whose data is set, in a fixed order: the first after `after` (NULL = the
   * first), or NULL. Safe while data is cleared or connections close. */
  rmt_conn *(*next)(const rmt_transport *t, const rmt_conn *after);
  void *(*get_data)(const rmt_transport *t, const rmt_conn *c);
  void (*set_data)(rmt_transport *t, rmt_conn *c, void *data);
  /* Gives queued reliable data at most `ms` to be acknowledged; received packets are
   * discarded. */
  void (*linger)(rmt_transport *t, uint32_t ms);
  uint16_t (*port)(const rmt_transport *t);
  /* Closes every connection (RMT_CLOSE_NOW) and frees the transport. */
  void (*destroy)(rmt_transport *t);
} rmt_transport_ops;

struct rmt_transport {
  const rmt_transport_ops *ops;
};

/* ENet: `peers` connection slots, packet and waiting-data caps from the limits
 * (rmt__host_limits), every connection's timeout set to peer_timeout_ms. Listening on
 * enet_address (an ENetAddress, kept opaque here), or with NULL bound to no port in
 * particular, for a client that connects out. RMT_ENET when it cannot bind; RMT_ENOMEM. */
int rmt__transport_enet_create(const void *enet_address, size_t peers, const rmt_limits *limits,
                               uint32_t batch_bytes, uint32_t peer_timeout_ms,
                               const rmt_allocator *a, rmt_transport **out);

/* Starts connecting to enet_address (an ENetAddress) on a transport made with a NULL
 * address; its CONNECT event comes out of poll once the server answers. NULL when no slot is
 * free or out of memory. */
rmt_conn *rmt__transport_enet_connect(rmt_transport *t, const void *enet_address);

/* In memory: nothing leaves the process. The test or fuzz side opens connections, hands
 * packets in and reads what the owner (server or client) sent; every event is queued, so a
 * run is deterministic. A test wires a client to a server by carrying each one's sent
 * packets and close over to the other's connection. Everything sent is delivered at once, and acknowledged at once unless the
 * peer is deaf (rmt__mem_deaf). Sent packets are counted and, with keep_sent, kept. */
rmt_transport *rmt__transport_mem_create(const rmt_allocator *a, int keep_sent);
/* Opens a connection from `address`; its CONNECT event is queued. NULL when out of memory. */
rmt_conn *rmt__mem_connect(rmt_transport *t, uint32_t address);
/* Queues a RECEIVE of a copy of data on c; RMT_ENOMEM, RMT_ESTATE when c is closed. */
int rmt__mem_deliver(rmt_transport *t, rmt_conn *c, int channel, const uint8_t *data, size_t len);
/* The other side goes away: a DISCONNECT is queued unless the connection already closed. */
void rmt__mem_hang_up(rmt_transport *t, rmt_conn *c, uint32_t code);
/* A deaf peer acknowledges nothing: what the server sends reliably on c stays in flight (for
 * pacing) until deaf is cleared, which acknowledges it all. */
void rmt__mem_deaf(rmt_transport *t, rmt_conn *c, int deaf);
/* How c was closed by the transport's owner (0 while open) and with which code. */
rmt_close_mode rmt__mem_closed(const rmt_transport *t, const rmt_conn *c, uint32_t *code);
/* Packets and bytes the owner sent on c; with keep_sent, the i-th packet (NULL past the
 * end). */
size_t rmt__mem_sent(const rmt_transport *t, const rmt_conn *c, size_t *bytes);
const uint8_t *rmt__mem_sent_packet(const rmt_transport *t, const rmt_conn *c, size_t i,
                                    size_t *len, int *channel);

#endif /* RMT_TRANSPORT_H */
