/* protocol.c - framing of batches and the primitive readers/writers of control bodies.
 * Pure (buf, len) code: never touches sockets, clocks or engine state; fuzzed directly. */
#include "protocol.h"

#include <string.h>

int rmt__put_varint(rmt_buf *b, uint64_t v) {
  uint8_t tmp[10];
  size_t n = 0;
  do {
    uint8_t byte = (uint8_t)(v & 0x7f);
    v >>= 7;
    tmp[n++] = (uint8_t)(byte | (v ? 0x80 : 0));
  } while (v);
  return rmt_buf_append(b, tmp, n);
}

int rmt__put_lstr(rmt_buf *b, const char *s, size_t len) {
  int rc = rmt__put_varint(b, len);
  return rc ? rc : rmt_buf_append(b, s, len);
}

static size_t varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

static void varint_write(uint8_t *p, uint64_t v) {
  do {
    uint8_t byte = (uint8_t)(v & 0x7f);
    v >>= 7;
    *p++ = (uint8_t)(byte | (v ? 0x80 : 0));
  } while (v);
}

int rmt__msg_begin(rmt_buf *b, rmt_msg_kind kind, uint32_t id, const uint32_t *fields,
                   size_t nfields, rmt_msg_mark *mark) {
  mark->start = b->len;
  int rc = rmt__put_varint(b, ((uint64_t)id << 3) | (uint64_t)kind);
  for (size_t i = 0; !rc && i < nfields; i++) rc = rmt__put_varint(b, fields[i]);
  if (!rc) rc = rmt__lp_begin(b, &mark->len_at);
  if (rc) b->len = mark->start;
  return rc;
}

int rmt__lp_begin(rmt_buf *b, size_t *at) {
  *at = b->len;
  return rmt_buf_append(b, "", 1);
}

int rmt__lp_end(rmt_buf *b, size_t at) {
  size_t len = b->len - at - 1;
  size_t need = varint_size(len);
  if (need > 1) {
    int rc = rmt_buf_reserve(b, need - 1);
    if (rc) {
      b->len = at;
      return rc;
    }
    memmove(b->data + at + need, b->data + at + 1, len);
    b->len += need - 1;
  }
  varint_write(b->data + at, len);
  return RMT_OK;
}

int rmt__msg_end(rmt_buf *b, const rmt_msg_mark *mark) {
  int rc = rmt__lp_end(b, mark->len_at);
  if (rc) b->len = mark->start;
  return rc;
}

void rmt__msg_abort(rmt_buf *b, const rmt_msg_mark *mark) { b->len = mark->start; }

int rmt__msg_put(rmt_buf *b, rmt_msg_kind kind, uint32_t id, const uint32_t *fields,
                 size_t nfields, const uint8_t *body, size_t len) {
  rmt_msg_mark mark;
  int rc = rmt__msg_begin(b, kind, id, fields, nfields, &mark);
  if (!rc && len) rc = rmt_buf_append(b, body, len);
  if (!rc) return rmt__msg_end(b, &mark);
  rmt__msg_abort(b, &mark);
  return rc;
}

/* Varints longer than 10 bytes, or with bits past 64, are malformed. */
static int read_varint(const uint8_t *buf, size_t len, size_t *off, uint64_t *out) {
  uint64_t v = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (*off >= len) return RMT_ETRUNC;
    uint8_t byte = buf[(*off)++];
    if (shift == 63 && byte > 1) return RMT_EDECODE;
    v |= (uint64_t)(byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      *out = v;
      return RMT_OK;
    }
  }
  return RMT_EDECODE;
}

static int read_u32(const uint8_t *buf, size_t len, size_t *off, uint32_t *out) {
  uint64_t v;
  int rc = read_varint(buf, len, off, &v);
  if (rc) return rc;
  if (v > UINT32_MAX) return RMT_EDECODE;
  *out = (uint32_t)v;
  return RMT_OK;
}

int rmt__msg_next(const uint8_t *buf, size_t len, size_t *off, rmt_msg *out) {
  if (*off >= len) return 0;
  uint64_t tag;
  int rc = read_varint(buf, len, off, &tag);
  if (rc) return rc;
  if ((tag >> 3) > UINT32_MAX) return RMT_EDECODE;
  memset(out, 0, sizeof *out);
  out->kind = (rmt_msg_kind)(tag & 7);
  out->id = (uint32_t)(tag >> 3);
  switch (out->kind) {
  case RMT_MSG_EVENT:
  case RMT_MSG_REPL:
  case RMT_MSG_CONTROL:
    break;
  case RMT_MSG_INVOKE:
    if ((rc = read_u32(buf, len, off, &out->call_id))) return rc;
    if ((rc = read_u32(buf, len, off, &out->timeout_ms))) return rc;
    break;
  case RMT_MSG_RESULT:
    if ((rc = read_u32(buf, len, off, &out->call_id))) return rc;
    break;
  case RMT_MSG_ERROR:
    if ((rc = read_u32(buf, len, off, &out->call_id))) return rc;
    if ((rc = read_u32(buf, len, off, &out->status))) return rc;
    break;
  default:
    return RMT_EDECODE;
  }
  uint64_t body_len;
  if ((rc = read_varint(buf, len, off, &body_len))) return rc;
  if (body_len > len - *off) return RMT_ETRUNC;
  out->body = buf + *off;
  out->body_len = (size_t)body_len;
  *off += (size_t)body_len;
  return 1;
}

uint64_t rmt__get_varint(rmt_reader *r) {
  uint64_t v = 0;
  if (r->bad || read_varint(r->p, r->len, &r->off, &v)) {
    r->bad = 1;
    return 0;
  }
  return v;
}

uint32_t rmt__get_u32le(rmt_reader *r) {
  if (r->bad || r->len - r->off < 4) {
    r->bad = 1;
    return 0;
  }
  const uint8_t *p = r->p + r->off;
  r->off += 4;
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

const uint8_t *rmt__get_lstr(rmt_reader *r, size_t max_len, size_t *len) {
  uint64_t n = rmt__get_varint(r);
  if (r->bad || n > max_len || n > r->len - r->off) {
    r->bad = 1;
    *len = 0;
    return NULL;
  }
  const uint8_t *s = r->p + r->off;
  r->off += (size_t)n;
  *len = (size_t)n;
  return s;
}
