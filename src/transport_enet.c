/* transport_enet.c - the real transport: an ENet host behind transport.h, listening (the
 * server) or with the one connection it opened (the client). A connection is an ENetPeer and
 * its data is peer->data. Thin by design: it maps calls and
 * events one to one and must never hold policy or buffer packets of its own. */
#include "engine.h"

#include <string.h>

typedef struct enet_transport {
  rmt_transport base;
  ENetHost *host;
  uint32_t peer_timeout_ms;
  const rmt_allocator *alloc;
} enet_transport;

static ENetHost *host_of(const rmt_transport *t) { return ((const enet_transport *)t)->host; }

static int et_send(rmt_transport *t, rmt_conn *c, int channel, const uint8_t *data, size_t len) {
  (void)t;
  enet_uint32 flags = channel == RMT_CHANNEL_RELIABLE ? ENET_PACKET_FLAG_RELIABLE : 0;
  ENetPacket *pk = enet_packet_create(data, len, flags);
  if (!pk) return RMT_ENOMEM;
  if (enet_peer_send((ENetPeer *)c, (enet_uint8)channel, pk) != 0) {
    enet_packet_destroy(pk); /* not connected (yet, or any more): ENet did not take it */
    return RMT_ENET;
  }
  return RMT_OK;
}

static int et_poll(rmt_transport *t, rmt_tevent *ev, uint32_t timeout_ms) {
  enet_transport *e = (enet_transport *)t;
  ENetEvent x;
  /* Events ENet already has come first, without another round of socket I/O. */
  int rc = enet_host_check_events(e->host, &x);
  if (rc == 0) rc = enet_host_service(e->host, &x, timeout_ms);
  if (rc <= 0) return rc < 0 ? RMT_ENET : 0;
  memset(ev, 0, sizeof *ev);
  ev->conn = (rmt_conn *)x.peer;
  switch (x.type) {
  case ENET_EVENT_TYPE_CONNECT:
    ev->type = RMT_TEV_CONNECT;
    enet_peer_timeout(x.peer, 0, e->peer_timeout_ms, e->peer_timeout_ms);
    break;
  case ENET_EVENT_TYPE_RECEIVE:
    ev->type = RMT_TEV_RECEIVE;
    ev->data = x.packet->data;
    ev->len = x.packet->dataLength;
    ev->channel = x.channelID;
    ev->owned = x.packet;
    break;
  case ENET_EVENT_TYPE_DISCONNECT:
    ev->type = RMT_TEV_DISCONNECT;
    ev->code = x.data;
    break;
  default: return 0; /* ENET_EVENT_TYPE_NONE is never returned with rc > 0 */
  }
  return 1;
}

static void et_release(rmt_transport *t, rmt_tevent *ev) {
  (void)t;
  if (ev->owned) enet_packet_destroy(ev->owned);
  ev->owned = NULL;
}

static void et_flush(rmt_transport *t) { enet_host_flush(host_of(t)); }

static void et_close(rmt_transport *t, rmt_conn *c, rmt_close_mode how, uint32_t code) {
  (void)t;
  ENetPeer *peer = (ENetPeer *)c;
  switch (how) {
  case RMT_CLOSE_NOW: enet_peer_disconnect_now(peer, code); break;
  case RMT_CLOSE_AFTER_SENT: enet_peer_disconnect_later(peer, code); break;
  case RMT_CLOSE_POLITE: enet_peer_disconnect(peer, code); break;
  case RMT_CLOSE_RESET: enet_peer_reset(peer); break;
  }
}

static void et_backlog(const rmt_transport *t, const rmt_conn *c, rmt_conn_backlog *out) {
  (void)t;
  const ENetPeer *peer = (const ENetPeer *)c;
  out->unsent = !enet_list_empty(&peer->outgoingCommands);
  out->unacked = !enet_list_empty(&peer->sentReliableCommands);
  out->in_flight = peer->reliableDataInTransit;
}

static uint32_t et_address(const rmt_transport *t, const rmt_conn *c) {
  (void)t;
  return ((const ENetPeer *)c)->address.host;
}

static rmt_conn *et_next(const rmt_transport *t, const rmt_conn *after) {
  const ENetHost *h = host_of(t);
  ENetPeer *peer = after ? (ENetPeer *)after + 1 : h->peers;
  for (; peer < h->peers + h->peerCount; peer++)
    if (peer->data) return (rmt_conn *)peer;
  return NULL;
}

static void *et_get_data(const rmt_transport *t, const rmt_conn *c) {
  (void)t;
  return ((const ENetPeer *)c)->data;
}

static void et_set_data(rmt_transport *t, rmt_conn *c, void *data) {
  (void)t;
  ((ENetPeer *)c)->data = data;
}

static void et_linger(rmt_transport *t, uint32_t ms) { rmt__linger(host_of(t), ms); }

static uint16_t et_port(const rmt_transport *t) { return host_of(t)->address.port; }

static void et_destroy(rmt_transport *t) {
  if (!t) return;
  enet_transport *e = (enet_transport *)t;
  for (size_t i = 0; i < e->host->peerCount; i++) {
    ENetPeer *peer = &e->host->peers[i];
    if (peer->state != ENET_PEER_STATE_DISCONNECTED)
      enet_peer_disconnect_now(peer, RMT_DISC_SHUTDOWN);
  }
  enet_host_destroy(e->host);
  rmt__free(e->alloc, e, sizeof *e);
}

static const rmt_transport_ops enet_ops = {
    .send = et_send,       .poll = et_poll,         .release = et_release,
    .flush = et_flush,     .close = et_close,       .backlog = et_backlog,
    .address = et_address, .next = et_next,         .get_data = et_get_data,
    .set_data = et_set_data, .linger = et_linger,   .port = et_port,
    .destroy = et_destroy,
};

int rmt__transport_enet_create(const void *enet_address, size_t peers, const rmt_limits *limits,
                               uint32_t batch_bytes, uint32_t peer_timeout_ms,
                               const rmt_allocator *a, rmt_transport **out) {
  enet_transport *e = rmt__alloc(a, sizeof *e);
  if (!e) return RMT_ENOMEM;
  memset(e, 0, sizeof *e);
  e->base.ops = &enet_ops;
  e->alloc = a;
  e->peer_timeout_ms = peer_timeout_ms;
  e->host = enet_host_create(enet_address, peers, RMT_CHANNEL_COUNT, 0, 0);
  if (!e->host) {
    rmt__free(a, e, sizeof *e);
    return RMT_ENET;
  }
  /* ENet would otherwise reassemble packets of up to 32 MB, and hold 32 MB, per peer. */
  rmt__host_limits(e->host, limits, batch_bytes);
  *out = &e->base;
  return RMT_OK;
}

rmt_conn *rmt__transport_enet_connect(rmt_transport *t, const void *enet_address) {
  enet_transport *e = (enet_transport *)t;
  ENetPeer *peer = enet_host_connect(e->host, enet_address, RMT_CHANNEL_COUNT,
                                     RMT_PROTOCOL_VERSION);
  if (!peer) return NULL;
  /* Set now, not only at CONNECT: the timeout also bounds the connecting handshake. */
  enet_peer_timeout(peer, 0, e->peer_timeout_ms, e->peer_timeout_ms);
  return (rmt_conn *)peer;
}
