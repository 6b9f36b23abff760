/* enet_bench.c - the floor: raw ENet carrying the same payload bytes as remotes, with no
 * remotes layer (no ids, no codec, no checks). Must never do less than a real application
 * needs to move the bytes (reliable ordered delivery), and never more. */
#include <enet/enet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

/* Channel 0 carries fires and broadcasts (counted), channel 1 invocations (echoed): the
 * channel id is already in ENet's command header, so this costs the floor nothing. */
enum { CH_FIRE = 0, CH_INVOKE = 1, CHANNELS = 2 };
enum { BATCH_BYTES = 1200 };

static int batching;

/* Standard MessagePack of the argument lists (what any msgpack encoder emits); the driver
 * can pass remotes' own encoding with --*-hex so both carry identical bytes. */
static uint8_t payload_jump[256] = {0x92, 0xa4, 'j', 'u', 'm', 'p', 0xcc, 0x96};
static size_t payload_jump_len = 8;
static uint8_t payload_table[256] = {0x91, 0x83, 0xa4, 'n', 'a', 'm', 'e', 0xa5, 'A', 'l',
                                     'i', 'c', 'e', 0xa4, 'g', 'o', 'l', 'd', 0xcd, 0x04,
                                     0xb0, 0xa5, 'l', 'e', 'v', 'e', 'l', 0x07};
static size_t payload_table_len = 28;
static uint8_t payload_event[256] = {0x92, 0xa5, 'e', 'v', 'e', 'n', 't', 0xb8, 'A', ' ',
                                     'n', 'e', 'w', ' ', 'r', 'o', 'u', 'n', 'd', ' ',
                                     'i', 's', ' ', 's', 't', 'a', 'r', 't', 'i', 'n',
                                     'g', '!'};
static size_t payload_event_len = 32;
static uint8_t *hex_target;
static size_t *hex_target_len;

static int parse_hex(const char *hex, uint8_t *out, size_t *len) {
  size_t n = strlen(hex);
  if (n % 2 || n / 2 > 255) return -1;
  for (size_t i = 0; i < n / 2; i++) {
    unsigned v;
    if (sscanf(hex + 2 * i, "%2x", &v) != 1) return -1;
    out[i] = (uint8_t)v;
  }
  *len = n / 2;
  return 0;
}

int bench_backend_option(const char *arg) {
  if (hex_target) {
    if (parse_hex(arg, hex_target, hex_target_len) != 0) {
      fprintf(stderr, "bad hex payload\n");
      exit(2);
    }
    hex_target = NULL;
    return 1;
  }
  if (strcmp(arg, "--batch") == 0) {
    batching = 1;
    return 1;
  }
  if (strcmp(arg, "--jump-hex") == 0) {
    hex_target = payload_jump;
    hex_target_len = &payload_jump_len;
    return 1;
  }
  if (strcmp(arg, "--table-hex") == 0) {
    hex_target = payload_table;
    hex_target_len = &payload_table_len;
    return 1;
  }
  if (strcmp(arg, "--event-hex") == 0) {
    hex_target = payload_event;
    hex_target_len = &payload_event_len;
    return 1;
  }
  return 0;
}

const char *bench_backend_name(void) { return batching ? "enet-batched" : "enet"; }

size_t bench_payload_len(bench_payload payload) {
  return payload == BENCH_PAYLOAD_TABLE ? payload_table_len : payload_jump_len;
}

int bench_backend_init(void) { return enet_initialize(); }

size_t bench_payload_hex(int which, char *out, size_t cap) {
  const uint8_t *data = which == 0 ? payload_jump : which == 1 ? payload_table : payload_event;
  size_t len = which == 0 ? payload_jump_len : which == 1 ? payload_table_len : payload_event_len;
  size_t written = 0;
  if (len * 2 + 1 <= cap) {
    for (size_t i = 0; i < len; i++) snprintf(out + 2 * i, 3, "%02x", data[i]);
    written = len * 2;
  }
  out[written] = '\0';
  return written;
}

int bench_codec(int which, double seconds, double *encode_ns, double *decode_ns,
                size_t *encoded_len) {
  (void)which;
  (void)seconds;
  (void)encode_ns;
  (void)decode_ns;
  (void)encoded_len;
  return -1;
}

/* Naive batching: [u8 length][payload] frames packed into one packet up to BATCH_BYTES. */
typedef struct batch {
  uint8_t data[BATCH_BYTES];
  size_t len;
} batch;

static uint32_t count_frames(const ENetPacket *packet) {
  if (!batching) return 1;
  uint32_t frames = 0;
  size_t at = 0;
  while (at < packet->dataLength) {
    at += 1u + packet->data[at];
    frames++;
  }
  return frames;
}

static ENetPacket *batch_take(batch *b) {
  ENetPacket *packet = enet_packet_create(b->data, b->len, ENET_PACKET_FLAG_RELIABLE);
  b->len = 0;
  return packet;
}

/* ---- server ---- */
struct bench_server {
  ENetHost *host;
  bench_server_hooks hooks;
  uint32_t clients;
  batch broadcast;
};

bench_server *bsrv_create(uint32_t max_clients, const bench_server_hooks *hooks) {
  bench_server *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  ENetAddress address = {0};
  enet_address_set_host_ip(&address, "127.0.0.1");
  address.port = 0;
  s->host = enet_host_create(&address, max_clients + 8, CHANNELS, 0, 0);
  if (!s->host) {
    free(s);
    return NULL;
  }
  s->hooks = *hooks;
  return s;
}

uint16_t bsrv_port(const bench_server *s) {
  ENetAddress address;
  if (enet_socket_get_address(s->host->socket, &address) != 0) return 0;
  return address.port;
}

static void server_handle(bench_server *s, ENetEvent *ev) {
  switch (ev->type) {
  case ENET_EVENT_TYPE_CONNECT:
    ev->peer->data = (void *)(uintptr_t)(ev->data + 1);
    s->clients++;
    if (s->hooks.joined) s->hooks.joined(s->hooks.ud, ev->data);
    break;
  case ENET_EVENT_TYPE_DISCONNECT:
    s->clients--;
    break;
  case ENET_EVENT_TYPE_RECEIVE: {
    uint32_t index = (uint32_t)((uintptr_t)ev->peer->data - 1);
    if (ev->channelID == CH_INVOKE) {
      ENetPacket *reply = enet_packet_create(ev->packet->data, ev->packet->dataLength,
                                             ENET_PACKET_FLAG_RELIABLE);
      if (reply) enet_peer_send(ev->peer, CH_INVOKE, reply);
    } else if (s->hooks.fired) {
      s->hooks.fired(s->hooks.ud, index, count_frames(ev->packet));
    }
    enet_packet_destroy(ev->packet);
    break;
  }
  default:
    break;
  }
}

int bsrv_service(bench_server *s, uint32_t timeout_ms) {
  ENetEvent ev;
  int handled = 0;
  int r = enet_host_service(s->host, &ev, timeout_ms);
  while (r > 0) {
    server_handle(s, &ev);
    handled++;
    if (handled >= 65536) break; /* bounded, like remotes' service */
    /* Drain what ENet already holds, then what the socket holds, before flushing. */
    r = enet_host_check_events(s->host, &ev);
    if (r == 0) r = enet_host_service(s->host, &ev, 0);
  }
  if (r < 0) return -1;
  enet_host_flush(s->host);
  return handled;
}

int bsrv_broadcast(bench_server *s) {
  if (!batching) {
    ENetPacket *p = enet_packet_create(payload_event, payload_event_len, ENET_PACKET_FLAG_RELIABLE);
    if (!p) return -1;
    enet_host_broadcast(s->host, CH_FIRE, p);
    return 0;
  }
  if (s->broadcast.len + 1 + payload_event_len > BATCH_BYTES) {
    ENetPacket *p = batch_take(&s->broadcast);
    if (!p) return -1;
    enet_host_broadcast(s->host, CH_FIRE, p);
  }
  s->broadcast.data[s->broadcast.len++] = (uint8_t)payload_event_len;
  memcpy(s->broadcast.data + s->broadcast.len, payload_event, payload_event_len);
  s->broadcast.len += payload_event_len;
  return 0;
}

int bsrv_flush(bench_server *s) {
  if (s->broadcast.len) {
    ENetPacket *p = batch_take(&s->broadcast);
    if (!p) return -1;
    enet_host_broadcast(s->host, CH_FIRE, p);
  }
  enet_host_flush(s->host);
  return 0;
}

uint32_t bsrv_clients(const bench_server *s) { return s->clients; }

void bsrv_destroy(bench_server *s) {
  if (!s) return;
  enet_host_destroy(s->host);
  free(s);
}

/* ---- client ---- */
struct bench_client {
  ENetHost *host;
  ENetPeer *peer;
  int state;
  uint64_t received, completed;
  batch fires, invokes;
};

bench_client *bcli_create(uint16_t port, uint32_t index) {
  bench_client *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->host = enet_host_create(NULL, 1, CHANNELS, 0, 0);
  if (!c->host) {
    free(c);
    return NULL;
  }
  ENetAddress address = {0};
  enet_address_set_host_ip(&address, "127.0.0.1");
  address.port = port;
  c->peer = enet_host_connect(c->host, &address, CHANNELS, index);
  if (!c->peer) {
    enet_host_destroy(c->host);
    free(c);
    return NULL;
  }
  return c;
}

static int send_batch(bench_client *c, batch *b, enet_uint8 channel) {
  if (!b->len) return 0;
  ENetPacket *p = batch_take(b);
  return p ? enet_peer_send(c->peer, channel, p) : -1;
}

int bcli_flush(bench_client *c) {
  if (send_batch(c, &c->fires, CH_FIRE) != 0 || send_batch(c, &c->invokes, CH_INVOKE) != 0)
    return -1;
  enet_host_flush(c->host);
  return 0;
}

int bcli_service(bench_client *c, uint32_t timeout_ms) {
  /* Like remotes, what was fired before this call goes out in this call. */
  if (send_batch(c, &c->fires, CH_FIRE) != 0 || send_batch(c, &c->invokes, CH_INVOKE) != 0)
    return -1;
  ENetEvent ev;
  int handled = 0;
  int r = enet_host_service(c->host, &ev, timeout_ms);
  while (r > 0) {
    handled++;
    if (ev.type == ENET_EVENT_TYPE_CONNECT) {
      c->state = 1;
    } else if (ev.type == ENET_EVENT_TYPE_DISCONNECT) {
      c->state = -1;
    } else if (ev.type == ENET_EVENT_TYPE_RECEIVE) {
      uint32_t frames = count_frames(ev.packet);
      if (ev.channelID == CH_INVOKE) c->completed += frames;
      else c->received += frames;
      enet_packet_destroy(ev.packet);
    }
    if (handled >= 65536) break;
    r = enet_host_check_events(c->host, &ev);
    if (r == 0) r = enet_host_service(c->host, &ev, 0);
  }
  if (r < 0) return -1;
  enet_host_flush(c->host);
  return handled;
}

int bcli_state(const bench_client *c) { return c->state; }

static int send_payload(bench_client *c, batch *b, enet_uint8 channel, const uint8_t *data,
                        size_t len) {
  if (!batching) {
    ENetPacket *p = enet_packet_create(data, len, ENET_PACKET_FLAG_RELIABLE);
    return p ? enet_peer_send(c->peer, channel, p) : -1;
  }
  if (b->len + 1 + len > BATCH_BYTES && send_batch(c, b, channel) != 0) return -1;
  b->data[b->len++] = (uint8_t)len;
  memcpy(b->data + b->len, data, len);
  b->len += len;
  return 0;
}

int bcli_fire(bench_client *c, bench_payload payload) {
  if (payload == BENCH_PAYLOAD_TABLE)
    return send_payload(c, &c->fires, CH_FIRE, payload_table, payload_table_len);
  return send_payload(c, &c->fires, CH_FIRE, payload_jump, payload_jump_len);
}

uint64_t bcli_received(const bench_client *c) { return c->received; }

int bcli_invoke(bench_client *c) {
  return send_payload(c, &c->invokes, CH_INVOKE, payload_jump, payload_jump_len);
}

uint64_t bcli_completed(const bench_client *c) { return c->completed; }

int bcli_invoke_sync(bench_client *c) {
  uint64_t target = c->completed + 1;
  if (bcli_invoke(c) != 0 || bcli_flush(c) != 0) return -1;
  while (c->completed < target) {
    if (bcli_service(c, 1) < 0 || c->state < 0) return -1;
  }
  return 0;
}

void bcli_destroy(bench_client *c) {
  if (!c) return;
  enet_peer_disconnect_now(c->peer, 0);
  enet_host_destroy(c->host);
  free(c);
}
