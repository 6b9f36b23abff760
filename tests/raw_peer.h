/* raw_peer.h - a raw ENet peer ("bot") for tests that speak or abuse the wire protocol by
 * hand: connect, say HELLO, send any bytes on either channel, read WELCOME/REFUSE/ERROR.
 * Header-only (static functions); needs cmocka, engine.h and protocol.h included first. */
#ifndef RMT_TEST_RAW_PEER_H
#define RMT_TEST_RAW_PEER_H

#include <string.h>

#include "engine.h"
#include "protocol.h"

typedef struct bot {
  ENetHost *host;
  ENetPeer *peer;
  int connected, joined, disconnected, refused;
  uint32_t player_id;
  long errors_received; /* ERROR answers (rate limited, unknown remote, bad arguments) */
  long ratelimited;
  long badargs, notfound, invalid;
  int silent;           /* stops servicing its host: no acks, like a crashed process */
  int refuse_status;    /* the REFUSE's status (negative rmt_status) and reason */
  char refuse_reason[256];
} bot;

static inline void bot_open(bot *b, uint16_t port) {
  memset(b, 0, sizeof *b);
  b->host = enet_host_create(NULL, 1, RMT_CHANNEL_COUNT, 0, 0);
  assert_non_null(b->host);
  ENetAddress addr;
  enet_address_set_host(&addr, "127.0.0.1");
  addr.port = port;
  b->peer = enet_host_connect(b->host, &addr, RMT_CHANNEL_COUNT, 0);
  assert_non_null(b->peer);
}

static inline void bot_close(bot *b) {
  if (!b->host) return;
  enet_host_destroy(b->host); /* no goodbye: the server finds out by timeout, if at all */
  b->host = NULL;
  b->peer = NULL;
}

static inline void bot_read(bot *b, const ENetPacket *pk) {
  size_t off = 0;
  rmt_msg m;
  while (rmt__msg_next(pk->data, pk->dataLength, &off, &m) > 0) {
    if (m.kind == RMT_MSG_CONTROL && m.id == RMT_CTL_WELCOME) {
      rmt_reader r = {m.body, m.body_len, 0, 0};
      rmt__get_varint(&r);
      b->player_id = (uint32_t)rmt__get_varint(&r);
      b->joined = 1;
    } else if (m.kind == RMT_MSG_CONTROL && m.id == RMT_CTL_REFUSE) {
      rmt_reader r = {m.body, m.body_len, 0, 0};
      b->refuse_status = -(int)rmt__get_varint(&r);
      size_t len = 0;
      const uint8_t *reason = rmt__get_lstr(&r, sizeof b->refuse_reason - 1, &len);
      if (!r.bad) {
        memcpy(b->refuse_reason, reason, len);
        b->refuse_reason[len] = 0;
      }
      b->refused = 1;
    } else if (m.kind == RMT_MSG_ERROR) {
      b->errors_received++;
      if (m.status == (uint32_t)-RMT_ERATELIMIT) b->ratelimited++;
      if (m.status == (uint32_t)-RMT_EBADARGS) b->badargs++;
      if (m.status == (uint32_t)-RMT_ENOTFOUND) b->notfound++;
      if (m.status == (uint32_t)-RMT_EINVAL) b->invalid++;
    }
  }
}

static inline void bot_service(bot *b) {
  if (!b->host || b->silent) return;
  ENetEvent ev;
  while (enet_host_service(b->host, &ev, 0) > 0) {
    if (ev.type == ENET_EVENT_TYPE_CONNECT) b->connected = 1;
    else if (ev.type == ENET_EVENT_TYPE_DISCONNECT) b->disconnected = 1;
    else if (ev.type == ENET_EVENT_TYPE_RECEIVE) {
      bot_read(b, ev.packet);
      enet_packet_destroy(ev.packet);
    }
  }
}

static inline void bot_send(bot *b, int channel, const void *data, size_t len) {
  if (!b->peer || b->peer->state != ENET_PEER_STATE_CONNECTED) return;
  ENetPacket *pk = enet_packet_create(data, len, channel == 0 ? ENET_PACKET_FLAG_RELIABLE : 0);
  if (pk && enet_peer_send(b->peer, (enet_uint8)channel, pk) != 0) enet_packet_destroy(pk);
}

static inline void bot_send_buf(bot *b, int channel, const rmt_buf *msg) { bot_send(b, channel, msg->data, msg->len); }

static inline void put_hello(rmt_buf *msg, const char *name) {
  rmt_buf body = {0};
  uint8_t magic[4] = {0x31, 0x54, 0x4d, 0x52};
  rmt_buf_append(&body, magic, 4);
  rmt__put_varint(&body, RMT_PROTOCOL_VERSION);
  rmt__put_lstr(&body, name, strlen(name));
  rmt__put_lstr(&body, "", 0);
  rmt__msg_put(msg, RMT_MSG_CONTROL, RMT_CTL_HELLO, NULL, 0, body.data, body.len);
  rmt_buf_free(&body);
}

static inline void bot_hello(bot *b, const char *name) {
  rmt_buf msg = {0};
  put_hello(&msg, name);
  bot_send_buf(b, 0, &msg);
  rmt_buf_free(&msg);
}

#endif
