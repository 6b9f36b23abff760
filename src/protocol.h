/* protocol.h - the wire format between server and clients: message kinds framed into
 * batches, as (buf, len) in and out. Never touches sockets, timers or remotes' meaning. */
#ifndef RMT_PROTOCOL_H
#define RMT_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include "remotes.h"

/* Bumped on any incompatible change; a mismatch is refused in the handshake. */
/* 2: replication's CREATE carries tags and op 7 (TAGS) exists; values may hold ext 5
 * (Roblox datatypes) and 6 (EnumItems). A peer of another version is refused at HELLO with
 * a clear message instead of misreading those. */
#define RMT_PROTOCOL_VERSION 2u
/* Every HELLO starts with this, so stray datagrams are refused before anything else. */
#define RMT_PROTOCOL_MAGIC 0x524d5431u /* "RMT1" */

/* ENet channels. */
enum { RMT_CHANNEL_RELIABLE = 0, RMT_CHANNEL_UNRELIABLE = 1, RMT_CHANNEL_COUNT = 2 };

/* A message starts with a varint tag = (id << 3) | kind. For remote traffic the id is the
 * remote id, for CONTROL it is the control subtype. Small ids keep an event's framing at
 * two bytes (tag + payload length) when batched. */
typedef enum rmt_msg_kind {
  RMT_MSG_EVENT = 0,      /* tag, len, args */
  RMT_MSG_INVOKE = 1,     /* tag, call id, timeout ms, len, args */
  RMT_MSG_RESULT = 2,     /* tag, call id, len, values */
  RMT_MSG_ERROR = 3,      /* tag, call id, status (positive), len, message */
  RMT_MSG_REPL = 4,       /* tag (instance id), len, replication op (src/replica.c) */
  RMT_MSG_CONTROL = 7     /* tag, len, body (parsed by the engine with the readers below) */
} rmt_msg_kind;

typedef enum rmt_control {
  RMT_CTL_HELLO = 1,          /* c->s: magic u32, version, name, ticket */
  RMT_CTL_WELCOME = 2,        /* s->c: version, player id, user id, name, remote count,
                                 then (id, kind, name) each */
  RMT_CTL_REFUSE = 3,         /* s->c: status (positive), reason */
  RMT_CTL_REMOTE_ADDED = 4,   /* s->c: id, kind, name */
  RMT_CTL_REMOTE_REMOVED = 5, /* s->c: id */
  RMT_CTL_PLAYER_ADDED = 6,   /* s->c: id, user id, name */
  RMT_CTL_PLAYER_REMOVED = 7, /* s->c: id */
  RMT_CTL_KICK = 8,           /* s->c: reason */
  RMT_CTL_BYE = 9             /* c->s: leaving; everything sent before it is delivered */
} rmt_control;

/* The 32-bit data of ENet's own disconnect, in case the reason message never arrived
 * (ENet drops undelivered packets when a disconnect arrives in the same datagram). */
enum { RMT_DISC_NONE = 0, RMT_DISC_SHUTDOWN = 1, RMT_DISC_KICKED = 2, RMT_DISC_REFUSED = 3 };

typedef struct rmt_msg {
  rmt_msg_kind kind;
  uint32_t id;      /* remote id, or control subtype */
  uint32_t call_id; /* INVOKE, RESULT, ERROR */
  uint32_t timeout_ms; /* INVOKE */
  uint32_t status;  /* ERROR: -status of the rmt_status */
  const uint8_t *body;
  size_t body_len;
} rmt_msg;

/* Reads the message at *off in a batch and advances *off. Returns 1 when a message was
 * read, 0 at the end of the batch, RMT_EDECODE/RMT_ETRUNC on malformed framing (the rest
 * of the batch must then be discarded). Never reads outside [buf, buf + len). */
int rmt__msg_next(const uint8_t *buf, size_t len, size_t *off, rmt_msg *out);

/* Writers append to a rmt_buf; each returns RMT_OK or RMT_ENOMEM. */
int rmt__put_varint(rmt_buf *b, uint64_t v);
int rmt__put_lstr(rmt_buf *b, const char *s, size_t len);
/* Appends a whole message: header (tag, then `nfields` varint fields such as the call id),
 * body length and body. On failure b is unchanged. */
int rmt__msg_put(rmt_buf *b, rmt_msg_kind kind, uint32_t id, const uint32_t *fields,
                 size_t nfields, const uint8_t *body, size_t len);

/* A length-prefixed region written in place: rmt__lp_begin reserves one length byte at
 * *at; rmt__lp_end writes the varint length of what followed, moving those bytes when the
 * length needs more than one byte. On failure b->len is back at *at. */
int rmt__lp_begin(rmt_buf *b, size_t *at);
int rmt__lp_end(rmt_buf *b, size_t at);

/* Starts a message whose body is encoded in place after the header, avoiding a copy:
 * rmt__msg_begin writes the header and reserves one length byte; rmt__msg_end fixes the
 * length (moving the body when it needs more bytes). `mark` carries state between them. */
typedef struct rmt_msg_mark {
  size_t start;    /* offset of the message's first byte */
  size_t len_at;   /* offset of the reserved length byte */
} rmt_msg_mark;
int rmt__msg_begin(rmt_buf *b, rmt_msg_kind kind, uint32_t id, const uint32_t *fields,
                   size_t nfields, rmt_msg_mark *mark);
int rmt__msg_end(rmt_buf *b, const rmt_msg_mark *mark);
void rmt__msg_abort(rmt_buf *b, const rmt_msg_mark *mark);

/* A cursor over a control body; readers set `bad` instead of reading out of bounds. */
typedef struct rmt_reader {
  const uint8_t *p;
  size_t len;
  size_t off;
  int bad;
} rmt_reader;
uint64_t rmt__get_varint(rmt_reader *r);
uint32_t rmt__get_u32le(rmt_reader *r);
/* Returns a pointer into the body (not NUL-terminated) and its length via *len. */
const uint8_t *rmt__get_lstr(rmt_reader *r, size_t max_len, size_t *len);

#endif /* RMT_PROTOCOL_H */
