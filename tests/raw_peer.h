/* raw_peer.h - a raw ENet peer ("bot") that speaks (or abuses) the remotes protocol by hand:
 * connect, say HELLO, send any bytes on either channel, read WELCOME/REFUSE/ERROR and the
 * registry. Shared by tests/test_hostile.c, test_abuse.c, test_soak.c and test_net.c (the
 * engine against hand-made peers, in one process) and tests/tools/attacker.c (the same attacks from separate processes
 * against `remotes serve`, driven by tests/cli_hostile.py). Header-only; needs the engine's
 * internal headers (protocol.h, engine.h), so users build with src/ on the include path. */
#ifndef RMT_TEST_RAW_PEER_H
#define RMT_TEST_RAW_PEER_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <enet/enet.h>

#include "engine.h"
#include "protocol.h"
#include "remotes.h"

#define BOT_MAX_REMOTES 64

typedef struct bot {
  ENetHost *host;
  ENetPeer *peer;
  int connected, joined, disconnected, refused;
  uint32_t player_id;
  long errors_received; /* ERROR answers (rate limited, unknown remote, bad arguments) */
  long ratelimited;
  long badargs, notfound, invalid;
  long results;         /* RESULT answers */
  long events;          /* EVENT messages from the server */
  long invokes;         /* INVOKE messages from the server (InvokeClient) */
  int silent;           /* stops servicing its host: no acks, like a crashed process */
  int refuse_status;    /* the REFUSE's status (negative rmt_status) and reason */
  char refuse_reason[256];
  /* the registry as the server announced it (WELCOME, REMOTE_ADDED), for attackers that
   * address remotes by name */
  uint32_t remote_ids[BOT_MAX_REMOTES];
  char remote_names[BOT_MAX_REMOTES][64];
  int nremotes;
} bot;

/* Opens a host (bound to bind_ip when given, e.g. "127.0.0.3", so one process can look like
 * another address on loopback) and starts connecting to 127.0.0.1:port. 0, or -1. */
static inline int bot_open_from(bot *b, uint16_t port, const char *bind_ip, size_t peers) {
  memset(b, 0, sizeof *b);
  ENetAddress local, addr;
  if (bind_ip) {
    enet_address_set_host(&local, bind_ip);
    local.port = 0;
  }
  b->host = enet_host_create(bind_ip ? &local : NULL, peers, RMT_CHANNEL_COUNT, 0, 0);
  if (!b->host) return -1;
  enet_address_set_host(&addr, "127.0.0.1");
  addr.port = port;
  b->peer = enet_host_connect(b->host, &addr, RMT_CHANNEL_COUNT, 0);
  return b->peer ? 0 : -1;
}

#ifdef assert_int_equal /* cmocka tests: a peer that cannot even be opened fails the test */
static inline void bot_open(bot *b, uint16_t port) {
  assert_int_equal(bot_open_from(b, port, NULL, 1), 0);
}
#endif

static inline void bot_close(bot *b) {
  if (!b->host) return;
  enet_host_destroy(b->host); /* no goodbye: the server finds out by timeout, if at all */
  b->host = NULL;
  b->peer = NULL;
}

static inline void bot_note_remote(bot *b, uint32_t id, const uint8_t *name, size_t len) {
  if (b->nremotes >= BOT_MAX_REMOTES || len >= sizeof b->remote_names[0]) return;
  b->remote_ids[b->nremotes] = id;
  memcpy(b->remote_names[b->nremotes], name, len);
  b->remote_names[b->nremotes][len] = 0;
  b->nremotes++;
}

/* The id of a remote by its registry name ("Chat", "Remotes/Ping"); 0 when unknown. */
static inline uint32_t bot_remote(const bot *b, const char *name) {
  for (int i = 0; i < b->nremotes; i++)
    if (strcmp(b->remote_names[i], name) == 0) return b->remote_ids[i];
  return 0;
}

static inline void bot_read(bot *b, const ENetPacket *pk) {
  size_t off = 0;
  rmt_msg m;
  while (rmt__msg_next(pk->data, pk->dataLength, &off, &m) > 0) {
    if (m.kind == RMT_MSG_CONTROL && m.id == RMT_CTL_WELCOME) {
      rmt_reader r = {m.body, m.body_len, 0, 0};
      size_t len;
      rmt__get_varint(&r);
      b->player_id = (uint32_t)rmt__get_varint(&r);
      rmt__get_varint(&r);          /* user id */
      rmt__get_lstr(&r, 64, &len);  /* name */
      uint64_t n = rmt__get_varint(&r);
      for (uint64_t i = 0; i < n && !r.bad; i++) {
        uint32_t id = (uint32_t)rmt__get_varint(&r);
        rmt__get_varint(&r); /* kind */
        const uint8_t *name = rmt__get_lstr(&r, 200, &len);
        if (!r.bad) bot_note_remote(b, id, name, len);
      }
      b->joined = 1;
    } else if (m.kind == RMT_MSG_CONTROL && m.id == RMT_CTL_REMOTE_ADDED) {
      rmt_reader r = {m.body, m.body_len, 0, 0};
      size_t len;
      uint32_t id = (uint32_t)rmt__get_varint(&r);
      rmt__get_varint(&r);
      const uint8_t *name = rmt__get_lstr(&r, 200, &len);
      if (!r.bad) bot_note_remote(b, id, name, len);
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
    } else if (m.kind == RMT_MSG_RESULT) {
      b->results++;
    } else if (m.kind == RMT_MSG_EVENT) {
      b->events++;
    } else if (m.kind == RMT_MSG_INVOKE) {
      b->invokes++;
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

static inline void bot_send_buf(bot *b, int channel, const rmt_buf *msg) {
  bot_send(b, channel, msg->data, msg->len);
}

/* A HELLO claiming protocol `version` (tests of the version check send a wrong one). */
static inline void put_hello_version(rmt_buf *msg, uint32_t version, const char *name) {
  rmt_buf body = {0};
  uint8_t magic[4] = {0x31, 0x54, 0x4d, 0x52};
  rmt_buf_append(&body, magic, 4);
  rmt__put_varint(&body, version);
  rmt__put_lstr(&body, name, strlen(name));
  rmt__put_lstr(&body, "", 0);
  rmt__msg_put(msg, RMT_MSG_CONTROL, RMT_CTL_HELLO, NULL, 0, body.data, body.len);
  rmt_buf_free(&body);
}

static inline void put_hello(rmt_buf *msg, const char *name) {
  put_hello_version(msg, RMT_PROTOCOL_VERSION, name);
}

static inline void bot_hello(bot *b, const char *name) {
  rmt_buf msg = {0};
  put_hello(&msg, name);
  bot_send_buf(b, 0, &msg);
  rmt_buf_free(&msg);
}

/* Builds a valid EVENT/INVOKE message for a remote, with the given encoded body. */
static inline void put_msg(rmt_buf *msg, rmt_msg_kind kind, uint32_t id, uint32_t call_id,
                           const uint8_t *body, size_t len) {
  uint32_t fields[2] = {call_id, 5000};
  rmt__msg_put(msg, kind, id, fields, kind == RMT_MSG_INVOKE ? 2 : kind == RMT_MSG_EVENT ? 0 : 1,
               body, len);
}

/* Whether a batch holds a well-formed BYE (random noise must not be a polite goodbye). */
static inline int says_bye(const uint8_t *data, size_t len) {
  size_t off = 0;
  rmt_msg m;
  while (rmt__msg_next(data, len, &off, &m) > 0)
    if (m.kind == RMT_MSG_CONTROL && m.id == RMT_CTL_BYE) return 1;
  return 0;
}

/* The process's resident set in KiB (/proc/self/status VmRSS), or -1. */
static inline long rss_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long kib = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %ld", &kib) == 1) break;
  fclose(f);
  return kib;
}

#endif /* RMT_TEST_RAW_PEER_H */
