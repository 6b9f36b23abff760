/* codec.c - the wire form of an argument list: MessagePack (encode through msgpack-c, a
 * strict bounds-checked decoder of our own), byte buffers and the decode arena. Must never
 * trust a count on the wire, read out of bounds, or allocate per message in steady state. */
#include <float.h>
#include <math.h>
#include <stdalign.h>
#include <string.h>

#include <msgpack.h>

#include "value_internal.h"

/* Ext type numbers (see docs/values.md). Components are float32 little-endian. */
enum {
  EXT_VECTOR3 = 1, /* 12 bytes: x y z */
  EXT_CFRAME = 2,  /* 12 bytes (x y z, identity rotation) or 48 bytes (x y z r0..r8) */
  EXT_COLOR3 = 3,  /* 12 bytes: r g b */
  EXT_PLAYER = 4,  /* 4 bytes: uint32 little-endian player id */
  EXT_DATATYPE = 5, /* kind byte, then the kind's components as MessagePack numbers */
  EXT_ENUM = 6      /* the item's Value as a MessagePack integer, then the enum's name */
};

/* Largest datatype body: a ColorSequence of 20 keypoints, 4 numbers of at most 9 bytes. */
#define DATATYPE_BODY_MAX (1 + RMT_SEQUENCE_MAX_KEYPOINTS * 4 * 9)

static const float identity_rotation[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};

/* ---------------------------------------------------------------------------------------
 * rmt_buf
 * ------------------------------------------------------------------------------------- */

int rmt_buf_reserve(rmt_buf *buf, size_t extra) {
  if (buf == NULL) return RMT_EINVAL;
  if (buf->cap - buf->len >= extra) return 0;
  if (extra > SIZE_MAX - buf->len) return RMT_ENOMEM;
  size_t need = buf->len + extra;
  size_t cap = buf->cap ? buf->cap : 64;
  while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  uint8_t *p = rmt__realloc(buf->alloc, buf->data, buf->cap, cap);
  if (p == NULL) return RMT_ENOMEM;
  buf->data = p;
  buf->cap = cap;
  return 0;
}

int rmt_buf_append(rmt_buf *buf, const void *data, size_t len) {
  int rc = rmt_buf_reserve(buf, len);
  if (rc) return rc;
  if (len) memcpy(buf->data + buf->len, data, len);
  buf->len += len;
  return 0;
}

void rmt_buf_free(rmt_buf *buf) {
  if (buf == NULL) return;
  rmt__free(buf->alloc, buf->data, buf->cap);
  buf->data = NULL;
  buf->len = buf->cap = 0;
}

/* ---------------------------------------------------------------------------------------
 * Arena: a list of chunks, newest first. Reset keeps one chunk (coalesced to the size the
 * last use needed, up to ARENA_RETAIN_MAX), so a steady message size stops allocating.
 * ------------------------------------------------------------------------------------- */

#define ARENA_FIRST_CHUNK 4096u
#define ARENA_RETAIN_MAX (4u << 20)

typedef struct arena_chunk {
  struct arena_chunk *next;
  size_t cap, used;
  alignas(max_align_t) unsigned char data[];
} arena_chunk;

struct rmt_arena {
  rmt_allocator alloc;
  int has_alloc;
  arena_chunk *head;
  size_t total_cap;
};

static const rmt_allocator *arena_allocator(const rmt_arena *a) {
  return a->has_alloc ? &a->alloc : NULL;
}

rmt_arena *rmt_arena_create(const rmt_allocator *alloc) {
  rmt_arena *a = rmt__alloc(alloc, sizeof *a);
  if (a == NULL) return NULL;
  memset(a, 0, sizeof *a);
  if (alloc && alloc->fn) {
    a->alloc = *alloc;
    a->has_alloc = 1;
  }
  return a;
}

static void chunk_free(rmt_arena *a, arena_chunk *c) {
  a->total_cap -= c->cap;
  rmt__free(arena_allocator(a), c, sizeof *c + c->cap);
}

static arena_chunk *chunk_new(rmt_arena *a, size_t cap) {
  if (cap > SIZE_MAX - sizeof(arena_chunk)) return NULL;
  arena_chunk *c = rmt__alloc(arena_allocator(a), sizeof *c + cap);
  if (c == NULL) return NULL;
  c->next = NULL;
  c->cap = cap;
  c->used = 0;
  a->total_cap += cap;
  return c;
}

void rmt_arena_reset(rmt_arena *a) {
  if (a == NULL || a->head == NULL) return;
  if (a->head->next == NULL) {
    a->head->used = 0;
    return;
  }
  size_t want = a->total_cap < ARENA_RETAIN_MAX ? a->total_cap : ARENA_RETAIN_MAX;
  arena_chunk *fresh = chunk_new(a, want);
  arena_chunk *c = a->head;
  while (c) {
    arena_chunk *next = c->next;
    if (fresh || next) {
      chunk_free(a, c);
    } else {
      fresh = c; /* could not coalesce: keep the oldest chunk */
    }
    c = next;
  }
  fresh->next = NULL;
  fresh->used = 0;
  a->head = fresh;
}

void rmt_arena_destroy(rmt_arena *a) {
  if (a == NULL) return;
  while (a->head) {
    arena_chunk *next = a->head->next;
    chunk_free(a, a->head);
    a->head = next;
  }
  rmt_allocator alloc = a->alloc;
  int has = a->has_alloc;
  rmt__free(has ? &alloc : NULL, a, sizeof *a);
}

static void *arena_alloc_aligned(rmt_arena *a, size_t size, size_t align) {
  arena_chunk *c = a->head;
  if (c) {
    size_t off = (c->used + align - 1) & ~(align - 1);
    if (off <= c->cap && c->cap - off >= size) {
      c->used = off + size;
      return c->data + off;
    }
  }
  size_t cap = c ? c->cap * 2 : ARENA_FIRST_CHUNK;
  if (cap > ARENA_RETAIN_MAX) cap = ARENA_RETAIN_MAX;
  if (cap < size) cap = size;
  arena_chunk *n = chunk_new(a, cap);
  if (n == NULL) return NULL;
  n->next = c;
  a->head = n;
  n->used = size;
  return n->data;
}

void *rmt_arena_alloc(rmt_arena *arena, size_t size) {
  if (arena == NULL) return NULL;
  return arena_alloc_aligned(arena, size ? size : 1, alignof(max_align_t));
}

typedef struct arena_mark {
  arena_chunk *head;
  size_t used;
} arena_mark;

static arena_mark arena_get_mark(const rmt_arena *a) {
  arena_mark m = {a->head, a->head ? a->head->used : 0};
  return m;
}

/* Undoes every allocation made since the mark, so a failed decode leaves no trace. */
static void arena_rollback(rmt_arena *a, arena_mark m) {
  while (a->head && a->head != m.head) {
    arena_chunk *next = a->head->next;
    chunk_free(a, a->head);
    a->head = next;
  }
  if (a->head) a->head->used = m.used;
}

/* ---------------------------------------------------------------------------------------
 * Encode
 * ------------------------------------------------------------------------------------- */

typedef struct enc {
  rmt_buf *buf;
  size_t start;
  rmt_limits lim;
  size_t elements;
  int write_failure; /* RMT_ENOMEM or RMT_ELIMIT from the write callback */
  rmt_error *err;
  msgpack_packer pk;
} enc;

/* msgpack-c calls this for every header and body, mostly with 1..9 bytes: constant-size
 * copies compile to single moves, where a variable memcpy would be a libc call each time. */
static int enc_write(void *data, const char *p, size_t n) {
  enc *e = data;
  rmt_buf *b = e->buf;
  if (b->len - e->start + n > e->lim.max_bytes) {
    e->write_failure = RMT_ELIMIT;
    return -1;
  }
  if (b->cap - b->len < n && rmt_buf_reserve(b, n < 256 ? 256 : n)) {
    e->write_failure = RMT_ENOMEM;
    return -1;
  }
  uint8_t *dst = b->data + b->len;
  switch (n) {
  case 1: dst[0] = (uint8_t)p[0]; break;
  case 2: memcpy(dst, p, 2); break;
  case 3: memcpy(dst, p, 3); break;
  case 5: memcpy(dst, p, 5); break;
  case 9: memcpy(dst, p, 9); break;
  default: memcpy(dst, p, n); break;
  }
  b->len += n;
  return 0;
}

static int enc_failed(enc *e) {
  if (e->write_failure == RMT_ELIMIT)
    return rmt__seterr(e->err, RMT_ELIMIT, "encoded size over max_bytes %u",
                       (unsigned)e->lim.max_bytes);
  return rmt__seterr(e->err, RMT_ENOMEM, "out of memory encoding values");
}

static void store_f32le(uint8_t *p, float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  p[0] = (uint8_t)u;
  p[1] = (uint8_t)(u >> 8);
  p[2] = (uint8_t)(u >> 16);
  p[3] = (uint8_t)(u >> 24);
}

static float load_f32le(const uint8_t *p) {
  uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
  float f;
  memcpy(&f, &u, 4);
  return f;
}

static int pack_ext_floats(enc *e, int8_t type, const float *f, size_t n) {
  uint8_t body[48];
  for (size_t i = 0; i < n; i++) store_f32le(body + 4 * i, f[i]);
  if (msgpack_pack_ext(&e->pk, 4 * n, type) || msgpack_pack_ext_body(&e->pk, body, 4 * n))
    return enc_failed(e);
  return 0;
}

/* Integral doubles go out as the smallest integer (Lua code sends many counts and ids);
 * other values as float32 when that is exact, else float64. -0.0 stays a float so its sign
 * survives. Returns msgpack-c's status. */
static int pack_num_raw(msgpack_packer *pk, double d) {
  if (d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
    int64_t i = (int64_t)d;
    if ((double)i == d && !(i == 0 && signbit(d))) return msgpack_pack_int64(pk, i);
  } else if (d >= 9223372036854775808.0 && d < 18446744073709551616.0) {
    uint64_t u = (uint64_t)d;
    if ((double)u == d) return msgpack_pack_uint64(pk, u);
  }
  if (isnan(d) || isinf(d) || (fabs(d) <= FLT_MAX && (double)(float)d == d))
    return msgpack_pack_float(pk, (float)d);
  return msgpack_pack_double(pk, d);
}

static int pack_number(enc *e, double d) { return pack_num_raw(&e->pk, d) ? enc_failed(e) : 0; }

/* A datatype's body is built on the stack first: the ext header needs its length. */
typedef struct body_buf {
  uint8_t data[DATATYPE_BODY_MAX];
  size_t len;
} body_buf;

static int body_write(void *ud, const char *p, size_t n) {
  body_buf *b = ud;
  if (n > sizeof b->data - b->len) return -1;
  memcpy(b->data + b->len, p, n);
  b->len += n;
  return 0;
}

static int pack_body(enc *e, int8_t type, const body_buf *b) {
  if (msgpack_pack_ext(&e->pk, b->len, type) || msgpack_pack_ext_body(&e->pk, b->data, b->len))
    return enc_failed(e);
  return 0;
}

/* Body of an already checked datatype: the kind byte, then numbers (and, for TweenInfo, one
 * boolean), never nested ext headers, so a sequence costs 1-9 bytes per component. */
static int pack_datatype(enc *e, const rmt_value *v, const rmt__frame *f) {
  body_buf b;
  msgpack_packer pk;
  uint32_t kind = v->as.datatype.kind, n = v->as.datatype.count;
  const rmt_value *it = v->as.datatype.u.items;
  int rc = 0;
  b.len = 0;
  msgpack_packer_init(&pk, &b, body_write);
  b.data[b.len++] = (uint8_t)kind;
  switch (kind) {
  case RMT_DT_NUMBERSEQUENCE:
  case RMT_DT_COLORSEQUENCE:
    for (uint32_t i = 0; i < n && rc == 0; i++)
      for (uint32_t j = 0; j < it[i].as.datatype.count && rc == 0; j++)
        rc = pack_num_raw(&pk, it[i].as.datatype.u.n[j]);
    break;
  case RMT_DT_RAY:
    for (uint32_t i = 0; i < 2 && rc == 0; i++)
      rc = pack_num_raw(&pk, it[i].as.vector3.x) || pack_num_raw(&pk, it[i].as.vector3.y) ||
           pack_num_raw(&pk, it[i].as.vector3.z);
    break;
  case RMT_DT_TWEENINFO:
    rc = pack_num_raw(&pk, it[0].as.number) || msgpack_pack_int32(&pk, it[1].as.enumitem.value) ||
         msgpack_pack_int32(&pk, it[2].as.enumitem.value) || pack_num_raw(&pk, it[3].as.number) ||
         (it[4].as.boolean ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk)) ||
         pack_num_raw(&pk, it[5].as.number);
    break;
  default:
    for (uint32_t i = 0; i < n && rc == 0; i++) rc = pack_num_raw(&pk, v->as.datatype.u.n[i]);
    break;
  }
  if (rc) return rmt__path_error(e->err, RMT_EINVAL, f, "datatype body too large");
  return pack_body(e, EXT_DATATYPE, &b);
}

/* A string (msgpack str) or a buffer's bytes (bin): the same limits, another header. */
static int pack_string(enc *e, const char *p, size_t len, const rmt__frame *f, const char *what,
                       int bin) {
  if (p == NULL && len) return rmt__path_error(e->err, RMT_EINVAL, f, "%s with NULL data", what);
  if (len > e->lim.max_string)
    return rmt__path_error(e->err, RMT_ELIMIT, f, "%s of %zu bytes longer than max_string %u",
                           what, len, (unsigned)e->lim.max_string);
  if (bin ? msgpack_pack_bin(&e->pk, len) || msgpack_pack_bin_body(&e->pk, p, len)
          : msgpack_pack_str(&e->pk, len) || msgpack_pack_str_body(&e->pk, p, len))
    return enc_failed(e);
  return 0;
}

static int enc_table_entry(enc *e, const rmt_value *v, const rmt__frame *f, uint32_t depth) {
  if (depth > e->lim.max_depth)
    return rmt__path_error(e->err, RMT_ELIMIT, f, "nesting deeper than max_depth %u",
                           (unsigned)e->lim.max_depth);
  if (rmt__frame_in_ancestors(f, rmt__table_id(v)))
    return rmt__path_error(e->err, RMT_ECYCLE, f, "table contains itself (cycle)");
  return 0;
}

static int enc_value(enc *e, const rmt_value *v, const rmt__frame *f, uint32_t depth) {
  int rc;
  if (++e->elements > e->lim.max_elements)
    return rmt__path_error(e->err, RMT_ELIMIT, f, "more than max_elements %u values",
                           (unsigned)e->lim.max_elements);
  switch (v->type) {
  case RMT_TNIL: return msgpack_pack_nil(&e->pk) ? enc_failed(e) : 0;
  case RMT_TBOOLEAN:
    rc = v->as.boolean ? msgpack_pack_true(&e->pk) : msgpack_pack_false(&e->pk);
    return rc ? enc_failed(e) : 0;
  case RMT_TNUMBER: return pack_number(e, v->as.number);
  case RMT_TSTRING: return pack_string(e, v->as.string.ptr, v->as.string.len, f, "string", 0);
  case RMT_TBUFFER: return pack_string(e, v->as.string.ptr, v->as.string.len, f, "buffer", 1);
  case RMT_TARRAY: {
    if ((rc = enc_table_entry(e, v, f, depth))) return rc;
    size_t n = v->as.array.count;
    if (n && v->as.array.items == NULL)
      return rmt__path_error(e->err, RMT_EINVAL, f, "array with NULL items");
    if (n > UINT32_MAX) return rmt__path_error(e->err, RMT_ELIMIT, f, "array too long");
    if (msgpack_pack_array(&e->pk, n)) return enc_failed(e);
    for (size_t i = 0; i < n; i++) {
      rmt__frame cf = {f, v->as.array.items, RMT__SEG_INDEX, i + 1, NULL};
      if ((rc = enc_value(e, &v->as.array.items[i], &cf, depth + 1))) return rc;
    }
    return 0;
  }
  case RMT_TDICT: {
    if ((rc = enc_table_entry(e, v, f, depth))) return rc;
    size_t n = v->as.table.count;
    if (n && v->as.table.pairs == NULL)
      return rmt__path_error(e->err, RMT_EINVAL, f, "dictionary with NULL pairs");
    if (n > UINT32_MAX) return rmt__path_error(e->err, RMT_ELIMIT, f, "dictionary too large");
    if (msgpack_pack_map(&e->pk, n)) return enc_failed(e);
    const void *id = rmt__table_id(v);
    for (size_t i = 0; i < n; i++) {
      const rmt_pair *p = &v->as.table.pairs[i];
      rmt__frame cf = {f, id, RMT__SEG_KEY, 0, &p->key};
      if (p->key.type != RMT_TSTRING)
        return rmt__path_error(e->err, RMT_ETYPE, &cf,
                               "%s dictionary key not allowed (only strings)",
                               rmt_typeof(&p->key));
      if ((rc = pack_string(e, p->key.as.string.ptr, p->key.as.string.len, &cf, "key", 0)))
        return rc;
      if ((rc = enc_value(e, &p->value, &cf, depth + 1))) return rc;
    }
    return 0;
  }
  case RMT_TVECTOR3: {
    const float c[3] = {v->as.vector3.x, v->as.vector3.y, v->as.vector3.z};
    return pack_ext_floats(e, EXT_VECTOR3, c, 3);
  }
  case RMT_TCOLOR3: {
    const float c[3] = {v->as.color3.r, v->as.color3.g, v->as.color3.b};
    return pack_ext_floats(e, EXT_COLOR3, c, 3);
  }
  case RMT_TCFRAME: {
    float c[12] = {v->as.cframe.x, v->as.cframe.y, v->as.cframe.z};
    /* Bitwise so that a -0.0 in the rotation is not silently replaced by +0.0. */
    if (memcmp(v->as.cframe.r, identity_rotation, sizeof identity_rotation) == 0)
      return pack_ext_floats(e, EXT_CFRAME, c, 3);
    memcpy(c + 3, v->as.cframe.r, sizeof v->as.cframe.r);
    return pack_ext_floats(e, EXT_CFRAME, c, 12);
  }
  case RMT_TPLAYER: {
    uint32_t id = v->as.player;
    uint8_t body[4] = {(uint8_t)id, (uint8_t)(id >> 8), (uint8_t)(id >> 16), (uint8_t)(id >> 24)};
    if (msgpack_pack_ext(&e->pk, 4, EXT_PLAYER) || msgpack_pack_ext_body(&e->pk, body, 4))
      return enc_failed(e);
    return 0;
  }
  case RMT_TFUNCTION: return rmt__path_error(e->err, RMT_ETYPE, f, "function not allowed");
  case RMT_TTABLE:
    return rmt__path_error(e->err, RMT_ETYPE, f,
                           "loose table not allowed (convert it with rmt_values_normalize)");
  case RMT_TENUM:
  case RMT_TDATATYPE: {
    char msg[160];
    if (rmt__datatype_check(v, msg, sizeof msg))
      return rmt__path_error(e->err, RMT_EINVAL, f, "%s", msg);
    if (v->type == RMT_TDATATYPE) {
      /* a list kind's parts are values on the wire too (rmt_values_check counts them) */
      if (rmt__datatype_is_list(v->as.datatype.kind)) {
        if (v->as.datatype.count > e->lim.max_elements - e->elements)
          return rmt__path_error(e->err, RMT_ELIMIT, f, "more than max_elements %u values",
                                 (unsigned)e->lim.max_elements);
        e->elements += v->as.datatype.count;
      }
      return pack_datatype(e, v, f);
    }
    body_buf b;
    msgpack_packer pk;
    b.len = 0;
    msgpack_packer_init(&pk, &b, body_write);
    (void)msgpack_pack_int32(&pk, v->as.enumitem.value); /* at most 5 bytes: always fits */
    memcpy(b.data + b.len, v->as.enumitem.name, v->as.enumitem.len);
    b.len += v->as.enumitem.len;
    return pack_body(e, EXT_ENUM, &b);
  }
  default:
    return rmt__path_error(e->err, RMT_EINVAL, f, "invalid value type %d", (int)v->type);
  }
}

int rmt_encode(rmt_buf *buf, const rmt_value *args, size_t nargs, const rmt_limits *limits,
               rmt_error *err) {
  if (buf == NULL) return rmt__seterr(err, RMT_EINVAL, "NULL buffer");
  if (nargs && args == NULL) return rmt__seterr(err, RMT_EINVAL, "NULL argument list");
  enc e;
  e.buf = buf;
  e.start = buf->len;
  rmt__limits_resolve(limits, &e.lim);
  e.elements = 0;
  e.write_failure = 0;
  e.err = err;
  msgpack_packer_init(&e.pk, &e, enc_write);
  int rc = 0;
  if (nargs > UINT32_MAX) {
    rc = rmt__seterr(err, RMT_ELIMIT, "more than max_elements %u values",
                     (unsigned)e.lim.max_elements);
  } else if (e.lim.max_args && nargs > e.lim.max_args) {
    rc = rmt__seterr(err, RMT_ELIMIT, "%zu arguments, more than max_args %u", nargs,
                     (unsigned)e.lim.max_args);
  } else if (msgpack_pack_array(&e.pk, nargs)) {
    rc = enc_failed(&e);
  } else {
    for (size_t i = 0; i < nargs && rc == 0; i++) {
      rmt__frame f = {NULL, NULL, RMT__SEG_ARG, i + 1, NULL};
      rc = enc_value(&e, &args[i], &f, 0);
    }
  }
  if (rc) {
    buf->len = e.start;
    return rc;
  }
  rmt__clearerr(err);
  return 0;
}

/* ---------------------------------------------------------------------------------------
 * Decode: a strict reader that checks every length against the bytes that remain before
 * trusting it, so hostile counts cannot make it allocate more than the input justifies.
 * ------------------------------------------------------------------------------------- */

typedef struct dec {
  const uint8_t *start, *p, *end;
  rmt_arena *arena;
  rmt_limits lim;
  size_t elements;
  rmt_error *err;
} dec;

static size_t dec_off(const dec *d) { return (size_t)(d->p - d->start); }
static size_t dec_left(const dec *d) { return (size_t)(d->end - d->p); }

static int dec_trunc(dec *d, const char *what) {
  return rmt__seterr(d->err, RMT_ETRUNC, "truncated input: %s at byte %zu", what, dec_off(d));
}

static int dec_bad(dec *d, size_t at, const char *what) {
  return rmt__seterr(d->err, RMT_EDECODE, "malformed input: %s at byte %zu", what, at);
}

static uint64_t load_be(const uint8_t *p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) v = v << 8 | p[i];
  return v;
}

/* Reads an n-byte big-endian length/count after the type byte. */
static int dec_len(dec *d, size_t n, size_t *out) {
  if (dec_left(d) < n) return dec_trunc(d, "length");
  *out = (size_t)load_be(d->p, n);
  d->p += n;
  return 0;
}

/* Decoded values are written field by field: the constructors in value.c zero and copy a
 * whole 56-byte value, which dominated decode time. Only the fields of the type are set. */
static inline void set_num(rmt_value *o, double d) {
  o->type = RMT_TNUMBER;
  o->as.number = d;
}

static inline void set_str(rmt_value *o, const char *p, size_t len) {
  o->type = RMT_TSTRING;
  o->as.string.ptr = p;
  o->as.string.len = len;
}

static inline void set_floats3(rmt_value *o, rmt_type t, const uint8_t *b) {
  float x = load_f32le(b), y = load_f32le(b + 4), z = load_f32le(b + 8);
  o->type = t;
  if (t == RMT_TVECTOR3) {
    o->as.vector3.x = x;
    o->as.vector3.y = y;
    o->as.vector3.z = z;
  } else if (t == RMT_TCOLOR3) {
    o->as.color3.r = x;
    o->as.color3.g = y;
    o->as.color3.b = z;
  } else {
    o->as.cframe.x = x;
    o->as.cframe.y = y;
    o->as.cframe.z = z;
  }
}

static int dec_value(dec *d, rmt_value *out, uint32_t depth);

static int dec_string_body(dec *d, size_t len, rmt_value *out, size_t at) {
  if (len > d->lim.max_string)
    return rmt__seterr(d->err, RMT_ELIMIT,
                       "string of %zu bytes longer than max_string %u at byte %zu", len,
                       (unsigned)d->lim.max_string, at);
  if (dec_left(d) < len) return dec_trunc(d, "string");
  if (len == 0) {
    set_str(out, "", 0);
    return 0;
  }
  char *s = arena_alloc_aligned(d->arena, len + 1, 1);
  if (s == NULL) return rmt__seterr(d->err, RMT_ENOMEM, "out of memory decoding");
  memcpy(s, d->p, len);
  s[len] = '\0';
  d->p += len;
  set_str(out, s, len);
  return 0;
}

/* Reads a string header + body; used for map keys, which must be strings. */
static int dec_key(dec *d, rmt_value *out) {
  size_t at = dec_off(d), len = 0;
  int rc = 0;
  if (dec_left(d) < 1) return dec_trunc(d, "map key");
  uint8_t t = *d->p++;
  if (t >= 0xa0 && t <= 0xbf)
    len = t & 0x1f;
  else if (t == 0xd9)
    rc = dec_len(d, 1, &len);
  else if (t == 0xda)
    rc = dec_len(d, 2, &len);
  else if (t == 0xdb)
    rc = dec_len(d, 4, &len);
  else
    return dec_bad(d, at, "map key is not a string");
  if (rc) return rc;
  return dec_string_body(d, len, out, at);
}

static int dec_count(dec *d, size_t n, size_t per_item, size_t at) {
  if (n > dec_left(d) / per_item)
    return rmt__seterr(d->err, RMT_ETRUNC,
                       "truncated input: count %zu larger than the %zu bytes left at byte %zu",
                       n, dec_left(d), at);
  if (n > d->lim.max_elements - d->elements)
    return rmt__seterr(d->err, RMT_ELIMIT, "more than max_elements %u values at byte %zu",
                       (unsigned)d->lim.max_elements, at);
  d->elements += n;
  return 0;
}

static int dec_array(dec *d, size_t n, rmt_value *out, uint32_t depth, size_t at) {
  if (depth > d->lim.max_depth)
    return rmt__seterr(d->err, RMT_ELIMIT, "nesting deeper than max_depth %u at byte %zu",
                       (unsigned)d->lim.max_depth, at);
  int rc = dec_count(d, n, 1, at);
  if (rc) return rc;
  rmt_value *items = NULL;
  if (n) {
    items = arena_alloc_aligned(d->arena, n * sizeof(rmt_value), alignof(rmt_value));
    if (items == NULL) return rmt__seterr(d->err, RMT_ENOMEM, "out of memory decoding");
  }
  for (size_t i = 0; i < n; i++)
    if ((rc = dec_value(d, &items[i], depth + 1))) return rc;
  out->type = RMT_TARRAY;
  out->as.array.items = items;
  out->as.array.count = n;
  return 0;
}

static int dec_map(dec *d, size_t n, rmt_value *out, uint32_t depth, size_t at) {
  if (depth > d->lim.max_depth)
    return rmt__seterr(d->err, RMT_ELIMIT, "nesting deeper than max_depth %u at byte %zu",
                       (unsigned)d->lim.max_depth, at);
  int rc = dec_count(d, n, 2, at);
  if (rc) return rc;
  rmt_pair *pairs = NULL;
  if (n) {
    pairs = arena_alloc_aligned(d->arena, n * sizeof(rmt_pair), alignof(rmt_pair));
    if (pairs == NULL) return rmt__seterr(d->err, RMT_ENOMEM, "out of memory decoding");
  }
  for (size_t i = 0; i < n; i++) {
    if ((rc = dec_key(d, &pairs[i].key))) return rc;
    if ((rc = dec_value(d, &pairs[i].value, depth + 1))) return rc;
  }
  out->type = RMT_TDICT;
  out->as.table.pairs = pairs;
  out->as.table.count = n;
  out->as.table.identity = NULL;
  out->as.table.has_metatable = 0;
  return 0;
}

/* A reader over one ext body: running past its end is a malformed body, not truncation. */
typedef struct body_reader {
  const uint8_t *p, *end;
} body_reader;

static int body_num(body_reader *r, double *out) {
  if (r->p >= r->end) return -1;
  uint8_t t = *r->p++;
  size_t left = (size_t)(r->end - r->p), w;
  if (t <= 0x7f) {
    *out = t;
    return 0;
  }
  if (t >= 0xe0) {
    *out = (int8_t)t;
    return 0;
  }
  switch (t) {
  case 0xca: {
    if (left < 4) return -1;
    uint32_t u = (uint32_t)load_be(r->p, 4);
    float f;
    memcpy(&f, &u, 4);
    *out = f;
    r->p += 4;
    return 0;
  }
  case 0xcb: {
    if (left < 8) return -1;
    uint64_t u = load_be(r->p, 8);
    memcpy(out, &u, 8);
    r->p += 8;
    return 0;
  }
  case 0xcc:
  case 0xcd:
  case 0xce:
  case 0xcf:
    w = (size_t)1 << (t - 0xcc);
    if (left < w) return -1;
    *out = (double)load_be(r->p, w);
    r->p += w;
    return 0;
  case 0xd0:
  case 0xd1:
  case 0xd2:
  case 0xd3: {
    w = (size_t)1 << (t - 0xd0);
    if (left < w) return -1;
    uint64_t u = load_be(r->p, w), sign = (uint64_t)1 << (8 * w - 1);
    int64_t i;
    if (w == 8)
      memcpy(&i, &u, 8);
    else
      i = (int64_t)(u ^ sign) - (int64_t)sign;
    *out = (double)i;
    r->p += w;
    return 0;
  }
  default: return -1;
  }
}

static int body_int32(body_reader *r, int32_t *out) {
  double x;
  if (body_num(r, &x) || !(x >= -2147483648.0 && x <= 2147483647.0) || x != floor(x)) return -1;
  *out = (int32_t)x;
  return 0;
}

static void set_dt(rmt_value *o, uint32_t kind, uint32_t count) {
  o->type = RMT_TDATATYPE;
  o->as.datatype.kind = kind;
  o->as.datatype.count = count;
}

static rmt_value *dec_parts(dec *d, size_t n, size_t at, int *rc) {
  if (n > d->lim.max_elements - d->elements) {
    *rc = rmt__seterr(d->err, RMT_ELIMIT, "more than max_elements %u values at byte %zu",
                      (unsigned)d->lim.max_elements, at);
    return NULL;
  }
  d->elements += n;
  rmt_value *items = arena_alloc_aligned(d->arena, n * sizeof(rmt_value), alignof(rmt_value));
  if (items == NULL) *rc = rmt__seterr(d->err, RMT_ENOMEM, "out of memory decoding");
  return items;
}

/* ext 5: reads the body's components for its kind, then applies the same shape rules as
 * rmt_values_check, so nothing a peer sends can be a datatype Lua could not construct. */
static int dec_datatype(dec *d, const uint8_t *b, size_t len, rmt_value *out, size_t at) {
  int rc = 0;
  if (len < 1) return dec_bad(d, at, "empty datatype body");
  body_reader r = {b + 1, b + len};
  uint32_t kind = b[0];
  const char *name = rmt_datatype_name((rmt_datatype_kind)kind);
  if (name == NULL) return dec_bad(d, at, "unknown datatype kind");
  size_t arity = rmt_datatype_arity((rmt_datatype_kind)kind);
  if (arity) {
    set_dt(out, kind, (uint32_t)arity);
    for (size_t i = 0; i < arity; i++)
      if (body_num(&r, &out->as.datatype.u.n[i])) return dec_bad(d, at, "bad datatype number");
  } else if (kind == RMT_DT_NUMBERSEQUENCE || kind == RMT_DT_COLORSEQUENCE) {
    uint32_t kp = kind == RMT_DT_NUMBERSEQUENCE ? RMT_DT_NUMBERSEQUENCEKEYPOINT
                                                : RMT_DT_COLORSEQUENCEKEYPOINT;
    size_t per = rmt_datatype_arity((rmt_datatype_kind)kp);
    rmt_value tmp[RMT_SEQUENCE_MAX_KEYPOINTS];
    size_t n = 0;
    while (r.p < r.end) {
      if (n == RMT_SEQUENCE_MAX_KEYPOINTS) return dec_bad(d, at, "sequence with too many keypoints");
      set_dt(&tmp[n], kp, (uint32_t)per);
      for (size_t j = 0; j < per; j++)
        if (body_num(&r, &tmp[n].as.datatype.u.n[j])) return dec_bad(d, at, "bad keypoint number");
      n++;
    }
    rmt_value *items = dec_parts(d, n, at, &rc);
    if (items == NULL) return rc;
    memcpy(items, tmp, n * sizeof *items);
    set_dt(out, kind, (uint32_t)n);
    out->as.datatype.u.items = items;
  } else if (kind == RMT_DT_RAY) {
    double x[6];
    for (int i = 0; i < 6; i++)
      /* NaN and inf pass (a float holds them); a finite double beyond float cannot */
      if (body_num(&r, &x[i]) || (fabs(x[i]) > FLT_MAX && !isinf(x[i])))
        return dec_bad(d, at, "bad Ray number");
    rmt_value *items = dec_parts(d, 2, at, &rc);
    if (items == NULL) return rc;
    for (int i = 0; i < 2; i++) {
      items[i].type = RMT_TVECTOR3;
      items[i].as.vector3.x = (float)x[3 * i];
      items[i].as.vector3.y = (float)x[3 * i + 1];
      items[i].as.vector3.z = (float)x[3 * i + 2];
    }
    set_dt(out, kind, 2);
    out->as.datatype.u.items = items;
  } else { /* RMT_DT_TWEENINFO */
    double t, rep, delay;
    int32_t style, dir;
    if (body_num(&r, &t) || body_int32(&r, &style) || body_int32(&r, &dir) ||
        body_num(&r, &rep) || r.p >= r.end || (*r.p != 0xc2 && *r.p != 0xc3))
      return dec_bad(d, at, "bad TweenInfo body");
    int reverses = *r.p++ == 0xc3;
    if (body_num(&r, &delay)) return dec_bad(d, at, "bad TweenInfo body");
    rmt_value *it = dec_parts(d, 6, at, &rc);
    if (it == NULL) return rc;
    set_num(&it[0], t);
    it[1].type = it[2].type = RMT_TENUM;
    it[1].as.enumitem.name = "EasingStyle";
    it[1].as.enumitem.len = 11;
    it[1].as.enumitem.value = style;
    it[2].as.enumitem.name = "EasingDirection";
    it[2].as.enumitem.len = 15;
    it[2].as.enumitem.value = dir;
    set_num(&it[3], rep);
    it[4].type = RMT_TBOOLEAN;
    it[4].as.boolean = reverses;
    set_num(&it[5], delay);
    set_dt(out, kind, 6);
    out->as.datatype.u.items = it;
  }
  if (r.p != r.end) return dec_bad(d, at, "trailing bytes in datatype body");
  char msg[160];
  if (rmt__datatype_check(out, msg, sizeof msg))
    return rmt__seterr(d->err, RMT_EDECODE, "malformed input: %s at byte %zu", msg, at);
  return 0;
}

static int dec_enum(dec *d, const uint8_t *b, size_t len, rmt_value *out, size_t at) {
  body_reader r = {b, b + len};
  int32_t value;
  if (body_int32(&r, &value)) return dec_bad(d, at, "bad EnumItem value");
  size_t nlen = (size_t)(r.end - r.p);
  if (!rmt__enum_name_ok((const char *)r.p, nlen)) return dec_bad(d, at, "bad EnumItem name");
  char *s = arena_alloc_aligned(d->arena, nlen + 1, 1);
  if (s == NULL) return rmt__seterr(d->err, RMT_ENOMEM, "out of memory decoding");
  memcpy(s, r.p, nlen);
  s[nlen] = '\0';
  out->type = RMT_TENUM;
  out->as.enumitem.name = s;
  out->as.enumitem.len = nlen;
  out->as.enumitem.value = value;
  return 0;
}

static int dec_ext(dec *d, size_t len, rmt_value *out, size_t at) {
  if (dec_left(d) < 1 + len) return dec_trunc(d, "ext");
  int8_t type = (int8_t)*d->p++;
  const uint8_t *b = d->p;
  int rc;
  switch (type) {
  case EXT_DATATYPE:
    if ((rc = dec_datatype(d, b, len, out, at))) return rc;
    break;
  case EXT_ENUM:
    if ((rc = dec_enum(d, b, len, out, at))) return rc;
    break;
  case EXT_VECTOR3:
  case EXT_COLOR3:
    if (len != 12) return dec_bad(d, at, "bad ext length for Vector3/Color3");
    set_floats3(out, type == EXT_VECTOR3 ? RMT_TVECTOR3 : RMT_TCOLOR3, b);
    break;
  case EXT_CFRAME:
    if (len != 12 && len != 48) return dec_bad(d, at, "bad ext length for CFrame");
    set_floats3(out, RMT_TCFRAME, b);
    if (len == 12)
      memcpy(out->as.cframe.r, identity_rotation, sizeof identity_rotation);
    else
      for (int i = 0; i < 9; i++) out->as.cframe.r[i] = load_f32le(b + 12 + 4 * i);
    break;
  case EXT_PLAYER:
    if (len != 4) return dec_bad(d, at, "bad ext length for player ref");
    out->type = RMT_TPLAYER;
    out->as.player =
        (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    break;
  default: return dec_bad(d, at, "unknown ext type");
  }
  d->p += len;
  return 0;
}

static int dec_value(dec *d, rmt_value *out, uint32_t depth) {
  size_t at = dec_off(d), n = 0;
  int rc = 0;
  if (dec_left(d) < 1) return dec_trunc(d, "value");
  uint8_t t = *d->p++;
  if (t <= 0x7f) {
    set_num(out, (double)t);
    return 0;
  }
  if (t >= 0xe0) {
    set_num(out, (double)(int8_t)t);
    return 0;
  }
  if (t >= 0xa0 && t <= 0xbf) return dec_string_body(d, t & 0x1f, out, at);
  if (t >= 0x90 && t <= 0x9f) return dec_array(d, t & 0x0f, out, depth, at);
  if (t >= 0x80 && t <= 0x8f) return dec_map(d, t & 0x0f, out, depth, at);
  switch (t) {
  case 0xc0: out->type = RMT_TNIL; return 0;
  case 0xc2: out->type = RMT_TBOOLEAN; out->as.boolean = 0; return 0;
  case 0xc3: out->type = RMT_TBOOLEAN; out->as.boolean = 1; return 0;
  case 0xca:
    if (dec_left(d) < 4) return dec_trunc(d, "float32");
    {
      uint32_t u = (uint32_t)load_be(d->p, 4);
      float f;
      memcpy(&f, &u, 4);
      set_num(out, (double)f);
    }
    d->p += 4;
    return 0;
  case 0xcb:
    if (dec_left(d) < 8) return dec_trunc(d, "float64");
    {
      uint64_t u = load_be(d->p, 8);
      double f;
      memcpy(&f, &u, 8);
      set_num(out, f);
    }
    d->p += 8;
    return 0;
  case 0xcc:
  case 0xcd:
  case 0xce:
  case 0xcf: {
    size_t w = (size_t)1 << (t - 0xcc);
    if (dec_left(d) < w) return dec_trunc(d, "integer");
    set_num(out, (double)load_be(d->p, w));
    d->p += w;
    return 0;
  }
  case 0xd0:
  case 0xd1:
  case 0xd2:
  case 0xd3: {
    size_t w = (size_t)1 << (t - 0xd0);
    if (dec_left(d) < w) return dec_trunc(d, "integer");
    uint64_t u = load_be(d->p, w);
    int64_t i;
    if (w == 8) {
      memcpy(&i, &u, 8);
    } else {
      /* sign-extend the w-byte two's complement value */
      uint64_t sign = (uint64_t)1 << (8 * w - 1);
      i = (int64_t)(u ^ sign) - (int64_t)sign;
    }
    set_num(out, (double)i);
    d->p += w;
    return 0;
  }
  case 0xd9: rc = dec_len(d, 1, &n); break;
  case 0xda: rc = dec_len(d, 2, &n); break;
  case 0xdb: rc = dec_len(d, 4, &n); break;
  case 0xdc:
  case 0xdd:
    if ((rc = dec_len(d, t == 0xdc ? 2 : 4, &n))) return rc;
    return dec_array(d, n, out, depth, at);
  case 0xde:
  case 0xdf:
    if ((rc = dec_len(d, t == 0xde ? 2 : 4, &n))) return rc;
    return dec_map(d, n, out, depth, at);
  case 0xd4: return dec_ext(d, 1, out, at);
  case 0xd5: return dec_ext(d, 2, out, at);
  case 0xd6: return dec_ext(d, 4, out, at);
  case 0xd7: return dec_ext(d, 8, out, at);
  case 0xd8: return dec_ext(d, 16, out, at);
  case 0xc7:
  case 0xc8:
  case 0xc9:
    if ((rc = dec_len(d, (size_t)1 << (t - 0xc7), &n))) return rc;
    return dec_ext(d, n, out, at);
  case 0xc4:
  case 0xc5:
  case 0xc6: /* a buffer: bytes like a string's, another type */
    if ((rc = dec_len(d, (size_t)1 << (t - 0xc4), &n))) return rc;
    if ((rc = dec_string_body(d, n, out, at))) return rc;
    out->type = RMT_TBUFFER;
    return 0;
  default: return dec_bad(d, at, "reserved type byte 0xc1");
  }
  /* only str8/16/32 fall through to here */
  if (rc) return rc;
  return dec_string_body(d, n, out, at);
}

int rmt_decode(rmt_arena *arena, const uint8_t *data, size_t len, const rmt_limits *limits,
               rmt_value **args, size_t *nargs, rmt_error *err) {
  if (args) *args = NULL;
  if (nargs) *nargs = 0;
  if (arena == NULL || args == NULL || nargs == NULL || (data == NULL && len))
    return rmt__seterr(err, RMT_EINVAL, "NULL argument to rmt_decode");
  dec d;
  d.start = d.p = data;
  d.end = data + len;
  d.arena = arena;
  rmt__limits_resolve(limits, &d.lim);
  d.elements = 0;
  d.err = err;
  if (len > d.lim.max_bytes)
    return rmt__seterr(err, RMT_ELIMIT, "message of %zu bytes over max_bytes %u", len,
                       (unsigned)d.lim.max_bytes);
  if (len == 0) return dec_trunc(&d, "argument list");
  arena_mark mark = arena_get_mark(arena);
  size_t n = 0;
  int rc = 0;
  uint8_t t = *d.p++;
  if (t >= 0x90 && t <= 0x9f)
    n = t & 0x0f;
  else if (t == 0xdc || t == 0xdd)
    rc = dec_len(&d, t == 0xdc ? 2 : 4, &n);
  else
    rc = dec_bad(&d, 0, "argument list is not an array");
  if (rc == 0 && d.lim.max_args && n > d.lim.max_args)
    rc = rmt__seterr(err, RMT_ELIMIT, "%zu arguments, more than max_args %u", n,
                     (unsigned)d.lim.max_args);
  if (rc == 0) rc = dec_count(&d, n, 1, 0);
  rmt_value *list = NULL;
  if (rc == 0 && n) {
    list = arena_alloc_aligned(arena, n * sizeof(rmt_value), alignof(rmt_value));
    if (list == NULL) rc = rmt__seterr(err, RMT_ENOMEM, "out of memory decoding");
  }
  for (size_t i = 0; i < n && rc == 0; i++) rc = dec_value(&d, &list[i], 0);
  if (rc == 0 && d.p != d.end)
    rc = rmt__seterr(err, RMT_ETRAILING, "%zu trailing bytes after the argument list at byte %zu",
                     dec_left(&d), dec_off(&d));
  if (rc) {
    arena_rollback(arena, mark);
    return rc;
  }
  *args = list;
  *nargs = n;
  rmt__clearerr(err);
  return 0;
}
