/* test_codec.c - the wire codec: exact bytes per type, refusals, limits, round trips of
 * random trees, hostile input (truncation, counts, nesting, ext), arena reuse and OOM. */
#define _DEFAULT_SOURCE
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "alloc_counter.h"
#include "remotes.h"

static rmt_pair kv(rmt_value k, rmt_value v) {
  rmt_pair p = {k, v};
  return p;
}

/* Encodes args into a fresh buffer and compares with the expected bytes. */
static void expect_bytes(const rmt_value *args, size_t n, const uint8_t *want, size_t wlen) {
  rmt_buf b = {0};
  rmt_error err;
  assert_int_equal(rmt_encode(&b, args, n, NULL, &err), 0);
  if (b.len != wlen) {
    for (size_t i = 0; i < b.len; i++) fprintf(stderr, "%02x ", b.data[i]);
    fprintf(stderr, "\n");
  }
  assert_int_equal(b.len, wlen);
  assert_memory_equal(b.data, want, wlen);
  rmt_buf_free(&b);
}

static void test_numbers_wire_form(void **state) {
  (void)state;
  struct {
    double d;
    uint8_t bytes[10];
    size_t len;
  } cases[] = {
      {0, {0x91, 0x00}, 2},
      {127, {0x91, 0x7f}, 2},
      {128, {0x91, 0xcc, 0x80}, 3},
      {-32, {0x91, 0xe0}, 2},
      {-33, {0x91, 0xd0, 0xdf}, 3},
      {65536, {0x91, 0xce, 0x00, 0x01, 0x00, 0x00}, 6},
      {-40000, {0x91, 0xd2, 0xff, 0xff, 0x63, 0xc0}, 6},
      {4294967296.0, {0x91, 0xcf, 0, 0, 0, 1, 0, 0, 0, 0}, 10},
      {1.5, {0x91, 0xca, 0x3f, 0xc0, 0x00, 0x00}, 6},          /* exact in float32 */
      {-0.0, {0x91, 0xca, 0x80, 0x00, 0x00, 0x00}, 6},         /* sign kept: not int 0 */
      {INFINITY, {0x91, 0xca, 0x7f, 0x80, 0x00, 0x00}, 6},
      {0.1, {0x91, 0xcb, 0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a}, 10},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    rmt_value v = rmt_num(cases[i].d);
    expect_bytes(&v, 1, cases[i].bytes, cases[i].len);
  }
}

static void test_types_wire_form(void **state) {
  (void)state;
  rmt_value a[4] = {rmt_nil(), rmt_bool(1), rmt_bool(0), rmt_str("hi")};
  const uint8_t w1[] = {0x94, 0xc0, 0xc3, 0xc2, 0xa2, 'h', 'i'};
  expect_bytes(a, 4, w1, sizeof w1);

  rmt_value items[2] = {rmt_num(1), rmt_num(2)};
  rmt_pair pairs[1] = {kv(rmt_str("k"), rmt_array(items, 2))};
  rmt_value d = rmt_dict(pairs, 1);
  const uint8_t w2[] = {0x91, 0x81, 0xa1, 'k', 0x92, 0x01, 0x02};
  expect_bytes(&d, 1, w2, sizeof w2);

  rmt_value v = rmt_vector3(1, 2, -1);
  const uint8_t w3[] = {0x91, 0xc7, 12, 1, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x80, 0xbf};
  expect_bytes(&v, 1, w3, sizeof w3);

  rmt_value c = rmt_color3(1, 0, 0.5f);
  const uint8_t w4[] = {0x91, 0xc7, 12, 3, 0, 0, 0x80, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0x3f};
  expect_bytes(&c, 1, w4, sizeof w4);

  rmt_value cf = rmt_cframe(1, 0, 0); /* identity rotation: position only */
  const uint8_t w5[] = {0x91, 0xc7, 12, 2, 0, 0, 0x80, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0};
  expect_bytes(&cf, 1, w5, sizeof w5);

  static const float pos[3] = {0, 0, 0}, rot[9] = {0, 1, 0, -1, 0, 0, 0, 0, 1};
  rmt_value full = rmt_cframe_full(pos, rot);
  rmt_buf b = {0};
  assert_int_equal(rmt_encode(&b, &full, 1, NULL, NULL), 0);
  assert_int_equal(b.len, 1 + 3 + 48);
  assert_int_equal(b.data[1], 0xc7);
  assert_int_equal(b.data[2], 48);
  assert_int_equal(b.data[3], 2);
  rmt_buf_free(&b);

  rmt_value p = rmt_player_ref(0x01020304);
  const uint8_t w6[] = {0x91, 0xd6, 4, 4, 3, 2, 1};
  expect_bytes(&p, 1, w6, sizeof w6);

  const uint8_t w7[] = {0x90};
  expect_bytes(NULL, 0, w7, 1);

  rmt_value e[2] = {rmt_array(NULL, 0), rmt_dict(NULL, 0)};
  const uint8_t w8[] = {0x92, 0x90, 0x80};
  expect_bytes(e, 2, w8, sizeof w8);

  /* a buffer is a msgpack bin (a string is a str): bytes, NUL included, and its own type */
  rmt_value bufs[2] = {rmt_bytes("a\0b", 3), rmt_bytes(NULL, 0)};
  const uint8_t w9[] = {0x92, 0xc4, 3, 'a', 0, 'b', 0xc4, 0};
  expect_bytes(bufs, 2, w9, sizeof w9);
  rmt_arena *arena = rmt_arena_create(NULL);
  rmt_value *out;
  size_t n;
  assert_int_equal(rmt_decode(arena, w9, sizeof w9, NULL, &out, &n, NULL), 0);
  assert_int_equal(n, 2);
  assert_int_equal(out[0].type, RMT_TBUFFER);
  assert_true(rmt_value_equal(&out[0], &bufs[0]));
  assert_int_equal(out[1].type, RMT_TBUFFER);
  assert_int_equal(out[1].as.string.len, 0);
  rmt_value s3 = rmt_lstr("a\0b", 3);
  assert_false(rmt_value_equal(&out[0], &s3)); /* a buffer is not the string of its bytes */
  assert_string_equal(rmt_typeof(&out[0]), "buffer");
  rmt_arena_destroy(arena);
}

static rmt_value fn(void) {
  rmt_value v = rmt_nil();
  v.type = RMT_TFUNCTION;
  return v;
}

static void test_encode_refusals_leave_buffer(void **state) {
  (void)state;
  rmt_buf b = {0};
  rmt_error err;
  rmt_value first = rmt_str("already here");
  assert_int_equal(rmt_encode(&b, &first, 1, NULL, &err), 0);
  size_t len = b.len;

  rmt_value items[3] = {rmt_num(1), rmt_num(2), fn()};
  rmt_pair pairs[1] = {kv(rmt_str("items"), rmt_array(items, 3))};
  rmt_value args[2] = {rmt_num(0), rmt_dict(pairs, 1)};
  assert_int_equal(rmt_encode(&b, args, 2, NULL, &err), RMT_ETYPE);
  assert_string_equal(err.message, "argument 2: function not allowed (at [\"items\"][3])");
  assert_int_equal(b.len, len);

  rmt_value loose = rmt_nil();
  loose.type = RMT_TTABLE;
  assert_int_equal(rmt_encode(&b, &loose, 1, NULL, &err), RMT_ETYPE);
  rmt_pair nk[1] = {kv(rmt_num(1), rmt_num(1))};
  rmt_value nkd = rmt_dict(nk, 1);
  assert_int_equal(rmt_encode(&b, &nkd, 1, NULL, &err), RMT_ETYPE);
  rmt_value self[1];
  self[0] = rmt_nil();
  self[0] = rmt_array(self, 1);
  assert_int_equal(rmt_encode(&b, self, 1, NULL, &err), RMT_ECYCLE);
  assert_int_equal(b.len, len);
  rmt_buf_free(&b);
}

static void test_encode_limits_one_past(void **state) {
  (void)state;
  rmt_buf b = {0};
  rmt_error err;
  rmt_limits l;
  rmt_limits_default(&l);
  rmt_value store[40];
  store[33] = rmt_array(NULL, 0);
  for (int i = 33; i > 0; i--) store[i - 1] = rmt_array(&store[i], 1);
  assert_int_equal(rmt_encode(&b, &store[1], 1, &l, &err), 0); /* 33 tables */
  assert_int_equal(rmt_encode(&b, &store[0], 1, &l, &err), RMT_ELIMIT);
  assert_non_null(strstr(err.message, "nesting deeper than max_depth 32"));
  b.len = 0;

  rmt_value three[3] = {rmt_num(1), rmt_num(2), rmt_num(3)};
  l.max_elements = 3;
  assert_int_equal(rmt_encode(&b, three, 3, &l, &err), 0);
  l.max_elements = 2;
  assert_int_equal(rmt_encode(&b, three, 3, &l, &err), RMT_ELIMIT);
  assert_string_equal(err.message, "argument 3: more than max_elements 2 values");

  rmt_limits_default(&l);
  l.max_string = 4;
  rmt_value s4 = rmt_str("abcd"), s5 = rmt_str("abcde");
  assert_int_equal(rmt_encode(&b, &s4, 1, &l, &err), 0);
  assert_int_equal(rmt_encode(&b, &s5, 1, &l, &err), RMT_ELIMIT);

  rmt_limits_default(&l);
  b.len = 0;
  l.max_bytes = 6; /* 0x91 0xa4 'a' 'b' 'c' 'd' */
  assert_int_equal(rmt_encode(&b, &s4, 1, &l, &err), 0);
  assert_int_equal(b.len, 6);
  l.max_bytes = 5;
  assert_int_equal(rmt_encode(&b, &s4, 1, &l, &err), RMT_ELIMIT);
  assert_string_equal(err.message, "encoded size over max_bytes 5");
  assert_int_equal(b.len, 6);
  rmt_buf_free(&b);
}

/* ---- round trips ---------------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

typedef struct pool {
  rmt_value values[4096];
  size_t nv;
  char bytes[65536];
  size_t nb;
} pool;

static double random_number(void) {
  switch (rnd() % 8) {
  case 0: return (double)(int64_t)(rnd() % 256) - 128;
  case 1: return (double)(int64_t)rnd();
  case 2: return (double)rnd();
  case 3: return (double)(rnd() % 1000) / 8.0;
  case 4: {
    double d;
    uint64_t u = rnd();
    memcpy(&d, &u, 8); /* any bit pattern: NaNs, denormals, huge */
    return d;
  }
  case 5: return (rnd() & 1) ? -0.0 : INFINITY;
  case 6: return (double)(int32_t)(uint32_t)rnd();
  default: return (double)rnd() / 3.0;
  }
}

static float random_float(void) {
  float f;
  uint32_t u = (uint32_t)rnd();
  if (rnd() % 4) return (float)(rnd() % 2000) / 16.0f - 50.0f;
  memcpy(&f, &u, 4);
  return f;
}

static const char *random_bytes(pool *p, size_t *len) {
  size_t n = rnd() % 40;
  if (p->nb + n + 1 > sizeof p->bytes) n = 0;
  char *s = p->bytes + p->nb;
  for (size_t i = 0; i < n; i++) s[i] = (char)(rnd() & 0xff);
  p->nb += n + 1;
  *len = n;
  return s;
}

static double random_int(double lo, double hi) {
  return lo + (double)(rnd() % (uint64_t)(hi - lo + 1));
}

/* A random valid datatype or EnumItem (list kinds take their parts from the pool). */
static rmt_value random_datatype(pool *p) {
  static const char *const enums[] = {"Material", "KeyCode", "EasingStyle", "A_1"};
  unsigned kind = 1 + (unsigned)(rnd() % (RMT_DT_KIND_COUNT_));
  if (kind == RMT_DT_KIND_COUNT_)
    return rmt_enum_item(enums[rnd() % 4], (int32_t)(uint32_t)rnd());
  size_t arity = rmt_datatype_arity((rmt_datatype_kind)kind);
  if (arity) {
    double n[RMT_DATATYPE_MAX_NUMBERS];
    for (size_t i = 0; i < arity; i++) n[i] = random_number();
    switch (kind) {
    case RMT_DT_UDIM: n[1] = random_int(-2147483648.0, 2147483647.0); break;
    case RMT_DT_UDIM2:
      n[1] = random_int(-100000, 100000);
      n[3] = random_int(-2147483648.0, 2147483647.0);
      break;
    case RMT_DT_NUMBERRANGE:
      if (n[0] > n[1]) {
        double t = n[0];
        n[0] = n[1];
        n[1] = t;
      }
      break;
    case RMT_DT_BRICKCOLOR: n[0] = random_int(0, 65535); break;
    case RMT_DT_DATETIME: n[0] = random_int(-4e12, 4e12); break;
    default: break;
    }
    return rmt_datatype((rmt_datatype_kind)kind, n, arity);
  }
  size_t n = kind == RMT_DT_RAY ? 2 : kind == RMT_DT_TWEENINFO ? 6 : 2 + rnd() % 19;
  if (p->nv + n > sizeof p->values / sizeof p->values[0]) return rmt_nil();
  rmt_value *it = p->values + p->nv;
  p->nv += n;
  if (kind == RMT_DT_RAY) {
    it[0] = rmt_vector3(random_float(), random_float(), random_float());
    it[1] = rmt_vector3(random_float(), random_float(), random_float());
  } else if (kind == RMT_DT_TWEENINFO) {
    it[0] = rmt_num(random_number());
    it[1] = rmt_enum_item("EasingStyle", (int32_t)(rnd() % 12));
    it[2] = rmt_enum_item("EasingDirection", (int32_t)(rnd() % 3));
    it[3] = rmt_num(random_number());
    it[4] = rmt_bool((int)(rnd() & 1));
    it[5] = rmt_num(random_number());
  } else {
    rmt_datatype_kind kp = kind == RMT_DT_NUMBERSEQUENCE ? RMT_DT_NUMBERSEQUENCEKEYPOINT
                                                         : RMT_DT_COLORSEQUENCEKEYPOINT;
    double t = 0;
    for (size_t i = 0; i < n; i++) {
      double c[4] = {i == n - 1 ? 1.0 : t, random_number(), random_number(), random_number()};
      it[i] = rmt_datatype(kp, c, rmt_datatype_arity(kp));
      if (rnd() & 1) t += (1.0 - t) / 4; /* equal times are allowed too */
    }
  }
  return rmt_datatype_list((rmt_datatype_kind)kind, it, n);
}

static rmt_value random_value(pool *p, int depth) {
  unsigned kind = (unsigned)(rnd() % (depth < 5 ? 11 : 9));
  size_t len;
  switch (kind) {
  case 0: return rmt_nil();
  case 1: return rmt_bool((int)(rnd() & 1));
  case 2:
  case 3: return rmt_num(random_number());
  case 4: {
    const char *s = random_bytes(p, &len);
    return rmt_lstr(s, len);
  }
  case 5: return rmt_vector3(random_float(), random_float(), random_float());
  case 6: {
    if (rnd() & 1) return rmt_cframe(random_float(), random_float(), random_float());
    float pos[3] = {random_float(), random_float(), random_float()}, rot[9];
    for (int i = 0; i < 9; i++) rot[i] = random_float();
    return rmt_cframe_full(pos, rot);
  }
  case 7: return rmt_color3(random_float(), random_float(), random_float());
  case 8: return (rnd() & 1) ? rmt_player_ref((uint32_t)rnd()) : random_datatype(p);
  case 9: {
    size_t n = rnd() % 6;
    if (p->nv + n > sizeof p->values / sizeof p->values[0]) n = 0;
    rmt_value *items = p->values + p->nv;
    p->nv += n;
    for (size_t i = 0; i < n; i++) items[i] = random_value(p, depth + 1);
    return rmt_array(n ? items : NULL, n);
  }
  default: {
    size_t n = rnd() % 5;
    if (p->nv + 2 * n > sizeof p->values / sizeof p->values[0]) n = 0;
    rmt_pair *pairs = (rmt_pair *)(p->values + p->nv);
    p->nv += 2 * n;
    for (size_t i = 0; i < n; i++) {
      const char *k = random_bytes(p, &len);
      pairs[i].key = rmt_lstr(k, len);
      pairs[i].value = random_value(p, depth + 1);
    }
    return rmt_dict(n ? pairs : NULL, n);
  }
  }
}

/* Equality that also distinguishes -0.0 from 0.0 (rmt_value_equal uses ==). */
static int same_signs(const rmt_value *a, const rmt_value *b) {
  if (a->type == RMT_TNUMBER) return signbit(a->as.number) == signbit(b->as.number);
  if (a->type == RMT_TARRAY) {
    for (size_t i = 0; i < a->as.array.count; i++)
      if (!same_signs(&a->as.array.items[i], &b->as.array.items[i])) return 0;
  }
  if (a->type == RMT_TDICT) {
    for (size_t i = 0; i < a->as.table.count; i++)
      if (!same_signs(&a->as.table.pairs[i].value, &b->as.table.pairs[i].value)) return 0;
  }
  return 1;
}

static void test_property_round_trip(void **state) {
  (void)state;
  static pool p;
  alloc_counter ca;
  alloc_counter_init(&ca);
  rmt_allocator al = ca.hook;
  rmt_arena *arena = rmt_arena_create(&al);
  assert_non_null(arena);
  rmt_buf b = {0};
  b.alloc = &al;
  size_t total_bytes = 0, rounds = 5000;
  for (size_t round = 0; round < rounds; round++) {
    p.nv = p.nb = 0;
    size_t nargs = rnd() % 5;
    rmt_value args[4];
    for (size_t i = 0; i < nargs; i++) args[i] = random_value(&p, 0);
    b.len = 0;
    rmt_error err;
    int rc = rmt_encode(&b, args, nargs, NULL, &err);
    if (rc) fail_msg("encode failed: %s", err.message);
    total_bytes += b.len;
    rmt_value *out;
    size_t nout;
    rmt_arena_reset(arena);
    rc = rmt_decode(arena, b.data, b.len, NULL, &out, &nout, &err);
    if (rc) fail_msg("decode failed: %s", err.message);
    assert_int_equal(nout, nargs);
    for (size_t i = 0; i < nargs; i++) {
      assert_true(rmt_value_equal(&args[i], &out[i]));
      assert_true(same_signs(&args[i], &out[i]));
    }
    /* and the copy of the decoded values is equal too */
    rmt_value *copy;
    assert_int_equal(rmt_values_copy(out, nout, &al, &copy, NULL), 0);
    for (size_t i = 0; i < nargs; i++) assert_true(rmt_value_equal(&copy[i], &out[i]));
    rmt_values_free(copy, &al);
  }
  print_message("round trip: %zu random argument lists, %zu bytes encoded\n", rounds, total_bytes);
  rmt_buf_free(&b);
  rmt_arena_destroy(arena);
  assert_int_equal(ca.live_blocks, 0);
  assert_int_equal(ca.bad_osize, 0);
}

/* ---- decode --------------------------------------------------------------------------- */

/* Places input against a PROT_NONE page so any over-read crashes the test. */
typedef struct guarded {
  uint8_t *map;
  size_t maplen;
} guarded;

static uint8_t *guard(guarded *g, const uint8_t *data, size_t len) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t pages = (len + page - 1) / page + 1;
  g->maplen = (pages + 1) * page;
  g->map = mmap(NULL, g->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  assert_true(g->map != MAP_FAILED);
  uint8_t *fence = g->map + pages * page;
  assert_int_equal(mprotect(fence, page, PROT_NONE), 0);
  uint8_t *p = fence - len;
  if (len) memcpy(p, data, len);
  return p;
}

static void unguard(guarded *g) { munmap(g->map, g->maplen); }

static int decode_guarded(rmt_arena *a, const uint8_t *data, size_t len, const rmt_limits *l,
                          rmt_error *err) {
  guarded g;
  uint8_t *p = guard(&g, data, len);
  rmt_value *out;
  size_t n;
  int rc = rmt_decode(a, p, len, l, &out, &n, err);
  unguard(&g);
  return rc;
}

static void test_decode_each_type(void **state) {
  (void)state;
  rmt_arena *a = rmt_arena_create(NULL);
  static const float pos[3] = {1, 2, 3}, rot[9] = {0, 0, 1, 0, 1, 0, -1, 0, 0};
  rmt_value items[2] = {rmt_str("x"), rmt_num(-5)};
  rmt_pair pairs[2] = {kv(rmt_str("a"), rmt_array(items, 2)), kv(rmt_str(""), rmt_bool(0))};
  rmt_value args[11] = {rmt_nil(),        rmt_bool(1),          rmt_num(3.25),
                        rmt_lstr("z\0", 2), rmt_array(items, 2), rmt_dict(pairs, 2),
                        rmt_vector3(1, 2, 3), rmt_cframe(4, 5, 6), rmt_cframe_full(pos, rot),
                        rmt_color3(0.1f, 0.2f, 0.3f), rmt_player_ref(77)};
  rmt_buf b = {0};
  assert_int_equal(rmt_encode(&b, args, 11, NULL, NULL), 0);
  rmt_value *out;
  size_t n;
  rmt_error err;
  assert_int_equal(rmt_decode(a, b.data, b.len, NULL, &out, &n, &err), 0);
  assert_int_equal(n, 11);
  for (size_t i = 0; i < 11; i++) {
    assert_int_equal(out[i].type, args[i].type);
    assert_true(rmt_value_equal(&out[i], &args[i]));
  }
  assert_int_equal(out[3].as.string.ptr[2], '\0'); /* NUL-terminated copy */
  assert_string_equal(rmt_typeof(&out[10]), "Instance");
  /* non-canonical but valid msgpack decodes too: int16 1, str8 "a", array16 [], map16 {} */
  const uint8_t nc[] = {0x94, 0xd1, 0x00, 0x01, 0xd9, 0x01, 'a', 0xdc, 0x00, 0x00, 0xde, 0x00, 0x00};
  assert_int_equal(rmt_decode(a, nc, sizeof nc, NULL, &out, &n, &err), 0);
  assert_int_equal(n, 4);
  assert_true(out[0].as.number == 1.0);
  assert_string_equal(out[1].as.string.ptr, "a");
  assert_int_equal(out[2].type, RMT_TARRAY);
  assert_int_equal(out[3].type, RMT_TDICT);
  /* uint64 max and int64 min become the nearest doubles */
  const uint8_t big[] = {0x92, 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                         0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0};
  assert_int_equal(rmt_decode(a, big, sizeof big, NULL, &out, &n, &err), 0);
  assert_true(out[0].as.number == 18446744073709551615.0);
  assert_true(out[1].as.number == -9223372036854775808.0);
  rmt_buf_free(&b);
  rmt_arena_destroy(a);
}

static void test_decode_truncated_every_byte(void **state) {
  (void)state;
  rmt_arena *a = rmt_arena_create(NULL);
  rmt_value items[3] = {rmt_str("hello"), rmt_num(70000), rmt_num(0.1)};
  rmt_pair pairs[2] = {kv(rmt_str("list"), rmt_array(items, 3)), kv(rmt_str("v"), rmt_vector3(1, 2, 3))};
  rmt_value args[3] = {rmt_dict(pairs, 2), rmt_player_ref(5), rmt_cframe(1, 2, 3)};
  rmt_buf b = {0};
  assert_int_equal(rmt_encode(&b, args, 3, NULL, NULL), 0);
  rmt_error err;
  for (size_t cut = 0; cut < b.len; cut++) {
    int rc = decode_guarded(a, b.data, cut, NULL, &err);
    assert_int_equal(rc, RMT_ETRUNC);
  }
  assert_int_equal(decode_guarded(a, b.data, b.len, NULL, &err), 0);
  /* one trailing byte */
  uint8_t *longer = malloc(b.len + 1);
  memcpy(longer, b.data, b.len);
  longer[b.len] = 0xc0;
  assert_int_equal(decode_guarded(a, longer, b.len + 1, NULL, &err), RMT_ETRAILING);
  assert_non_null(strstr(err.message, "1 trailing bytes"));
  free(longer);
  rmt_buf_free(&b);
  rmt_arena_destroy(a);
}

static void test_decode_hostile(void **state) {
  (void)state;
  alloc_counter ca;
  alloc_counter_init(&ca);
  rmt_allocator al = ca.hook;
  rmt_arena *a = rmt_arena_create(&al);
  rmt_error err;
  struct {
    const char *name;
    uint8_t bytes[24];
    size_t len;
    int want;
  } cases[] = {
      {"array32 claims 4G items", {0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0}, 6, RMT_ETRUNC},
      {"nested map32 claims 4G pairs", {0x91, 0xdf, 0xff, 0xff, 0xff, 0xff, 0xa0, 0xc0}, 8, RMT_ETRUNC},
      {"str32 claims 4G bytes", {0x91, 0xdb, 0xff, 0xff, 0xff, 0xff, 'a'}, 7, RMT_ELIMIT},
      {"str32 claims more than left", {0x91, 0xdb, 0, 0, 0, 9, 'a'}, 7, RMT_ETRUNC},
      {"ext32 claims 4G", {0x91, 0xc9, 0xff, 0xff, 0xff, 0xff, 1, 0}, 8, RMT_ETRUNC},
      {"unknown ext type", {0x91, 0xd6, 9, 0, 0, 0, 0}, 7, RMT_EDECODE},
      {"negative ext type", {0x91, 0xd6, 0xff, 0, 0, 0, 0}, 7, RMT_EDECODE},
      {"Vector3 with 4 bytes", {0x91, 0xd6, 1, 0, 0, 0, 0}, 7, RMT_EDECODE},
      {"CFrame with 16 bytes", {0x91, 0xd8, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 19, RMT_EDECODE},
      {"player with 8 bytes", {0x91, 0xd7, 4, 0, 0, 0, 0, 0, 0, 0, 0}, 11, RMT_EDECODE},
      {"non-string map key", {0x91, 0x81, 0x01, 0x02}, 4, RMT_EDECODE},
      {"nil map key", {0x91, 0x81, 0xc0, 0x02}, 4, RMT_EDECODE},
      {"bin type cut short", {0x91, 0xc4, 0x02, 'a'}, 4, RMT_ETRUNC},
      {"reserved 0xc1", {0x91, 0xc1}, 2, RMT_EDECODE},
      {"top level not an array", {0xa1, 'a'}, 2, RMT_EDECODE},
      {"top level map", {0x80}, 1, RMT_EDECODE},
      {"empty input", {0}, 0, RMT_ETRUNC},
      {"trailing after empty list", {0x90, 0x90}, 2, RMT_ETRAILING},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int rc = decode_guarded(a, cases[i].bytes, cases[i].len, NULL, &err);
    if (rc != cases[i].want)
      fail_msg("%s: got %s (%s), want %s", cases[i].name, rmt_status_name(rc), err.message,
               rmt_status_name(cases[i].want));
    assert_int_equal(err.code, rc);
    assert_true(strlen(err.message) > 0);
  }
  /* none of the claims made the arena grow past its first chunk */
  assert_true(ca.peak_bytes < 16384);
  rmt_arena_destroy(a);
  assert_int_equal(ca.live_blocks, 0);
}

static void test_decode_limits(void **state) {
  (void)state;
  rmt_arena *a = rmt_arena_create(NULL);
  rmt_error err;
  rmt_limits l;
  rmt_limits_default(&l);
  /* depth: 0x91 (the list) then k nested fixarrays ending in an empty one */
  uint8_t deep[2000];
  for (int k = 33; k <= 34; k++) {
    deep[0] = 0x91;
    for (int i = 1; i < k; i++) deep[i] = 0x91;
    deep[k] = 0x90;
    int rc = decode_guarded(a, deep, (size_t)k + 1, &l, &err);
    assert_int_equal(rc, k == 33 ? 0 : RMT_ELIMIT);
  }
  assert_non_null(strstr(err.message, "nesting deeper than max_depth 32"));
  /* very deep input with a huge configured depth is clamped (stack safety) */
  l.max_depth = UINT32_MAX;
  memset(deep, 0x91, sizeof deep);
  assert_int_equal(decode_guarded(a, deep, sizeof deep, &l, &err), RMT_ELIMIT);
  rmt_limits_default(&l);

  l.max_elements = 3;
  const uint8_t three[] = {0x92, 0x91, 0x01, 0x02};
  assert_int_equal(decode_guarded(a, three, sizeof three, &l, &err), 0);
  const uint8_t four[] = {0x92, 0x92, 0x01, 0x01, 0x02};
  assert_int_equal(decode_guarded(a, four, sizeof four, &l, &err), RMT_ELIMIT);
  assert_non_null(strstr(err.message, "max_elements 3"));

  rmt_limits_default(&l);
  l.max_string = 2;
  const uint8_t s2[] = {0x91, 0xa2, 'a', 'b'}, s3[] = {0x91, 0xa3, 'a', 'b', 'c'};
  const uint8_t k3[] = {0x91, 0x81, 0xa3, 'a', 'b', 'c', 0xc0};
  assert_int_equal(decode_guarded(a, s2, sizeof s2, &l, &err), 0);
  assert_int_equal(decode_guarded(a, s3, sizeof s3, &l, &err), RMT_ELIMIT);
  assert_int_equal(decode_guarded(a, k3, sizeof k3, &l, &err), RMT_ELIMIT);

  rmt_limits_default(&l);
  l.max_bytes = 4;
  assert_int_equal(decode_guarded(a, s2, sizeof s2, &l, &err), 0);
  assert_int_equal(decode_guarded(a, s3, sizeof s3, &l, &err), RMT_ELIMIT);
  assert_non_null(strstr(err.message, "max_bytes 4"));
  rmt_arena_destroy(a);
}

/* ---- arena and allocation behaviour ---------------------------------------------------- */

static void test_arena_basics(void **state) {
  (void)state;
  alloc_counter ca;
  alloc_counter_init(&ca);
  rmt_allocator al = ca.hook;
  rmt_arena *a = rmt_arena_create(&al);
  assert_non_null(a);
  void *p1 = rmt_arena_alloc(a, 3), *p2 = rmt_arena_alloc(a, 8);
  assert_non_null(p1);
  assert_int_equal((uintptr_t)p2 % _Alignof(max_align_t), 0);
  memset(p1, 1, 3);
  memset(p2, 2, 8);
  /* a big allocation gets its own chunk; reset coalesces into one */
  void *big = rmt_arena_alloc(a, 100000);
  assert_non_null(big);
  memset(big, 3, 100000);
  size_t chunks_before = ca.live_blocks;
  assert_true(chunks_before >= 3); /* arena + two chunks */
  rmt_arena_reset(a);
  assert_int_equal(ca.live_blocks, 2); /* arena + one coalesced chunk */
  size_t req = ca.attempts;
  for (int round = 0; round < 100; round++) {
    for (int i = 0; i < 100; i++) assert_non_null(rmt_arena_alloc(a, 1000));
    rmt_arena_reset(a);
  }
  assert_int_equal(ca.attempts, req); /* steady state: no allocation */
  rmt_arena_destroy(a);
  assert_int_equal(ca.live_blocks, 0);
  assert_int_equal(ca.bad_osize, 0);
  rmt_arena_destroy(NULL);
  rmt_arena_reset(NULL);
}

static void test_steady_state_no_allocation(void **state) {
  (void)state;
  alloc_counter ca;
  alloc_counter_init(&ca);
  rmt_allocator al = ca.hook;
  rmt_arena *a = rmt_arena_create(&al);
  rmt_buf b = {0};
  b.alloc = &al;
  rmt_value items[50];
  for (int i = 0; i < 50; i++) items[i] = rmt_vector3((float)i, 1, 2);
  rmt_pair pairs[3] = {kv(rmt_str("pos"), rmt_array(items, 50)), kv(rmt_str("name"), rmt_str("thrust")),
                       kv(rmt_str("cf"), rmt_cframe(1, 2, 3))};
  rmt_value args[2] = {rmt_dict(pairs, 3), rmt_num(12.5)};
  size_t after_warmup = 0;
  for (int round = 0; round < 1000; round++) {
    b.len = 0;
    assert_int_equal(rmt_encode(&b, args, 2, NULL, NULL), 0);
    rmt_arena_reset(a);
    rmt_value *out;
    size_t n;
    assert_int_equal(rmt_decode(a, b.data, b.len, NULL, &out, &n, NULL), 0);
    assert_true(rmt_value_equal(&out[0], &args[0]));
    if (round == 1) after_warmup = ca.attempts;
  }
  assert_int_equal(ca.attempts, after_warmup);
  rmt_buf_free(&b);
  rmt_arena_destroy(a);
  assert_int_equal(ca.live_blocks, 0);
}

static void test_decode_failure_rolls_back_arena(void **state) {
  (void)state;
  alloc_counter ca;
  alloc_counter_init(&ca);
  rmt_allocator al = ca.hook;
  rmt_arena *a = rmt_arena_create(&al);
  const uint8_t ok[] = {0x91, 0xa1, 'x'};
  rmt_value *out;
  size_t n;
  assert_int_equal(rmt_decode(a, ok, sizeof ok, NULL, &out, &n, NULL), 0);
  rmt_value *first = out;
  /* a large valid array prefix that then fails: its chunks are released at once */
  static uint8_t msg[1 + 5 + 20000];
  msg[0] = 0x91;
  msg[1] = 0xdd;
  msg[2] = 0;
  msg[3] = 0;
  msg[4] = 0x4e;
  msg[5] = 0x20; /* 20000 items */
  memset(msg + 6, 0xc0, 19999);
  msg[6 + 19999] = 0xc1; /* last one invalid */
  size_t live = ca.live_blocks;
  assert_int_equal(rmt_decode(a, msg, sizeof msg, NULL, &out, &n, NULL), RMT_EDECODE);
  assert_null(out);
  assert_int_equal(n, 0);
  assert_int_equal(ca.live_blocks, live);
  assert_string_equal(first[0].as.string.ptr, "x"); /* earlier results untouched */
  rmt_arena_destroy(a);
  assert_int_equal(ca.live_blocks, 0);
}

static void test_oom_encode_decode_arena(void **state) {
  (void)state;
  alloc_counter ca;
  alloc_counter_init(&ca);
  rmt_allocator al = ca.hook;
  static rmt_value items[2000];
  for (int i = 0; i < 2000; i++) items[i] = rmt_str("a fairly long string to fill buffers");
  rmt_value arg = rmt_array(items, 2000);
  size_t n;
  int failures = 0;
  rmt_buf good = {0};
  assert_int_equal(rmt_encode(&good, &arg, 1, NULL, NULL), 0);
  for (n = 1; n < 100; n++) {
    rmt_buf b = {0};
    b.alloc = &al;
    ca.fail_at = ca.attempts + n;
    rmt_error err;
    int rc = rmt_encode(&b, &arg, 1, NULL, &err);
    if (rc == 0) {
      assert_int_equal(b.len, good.len);
      rmt_buf_free(&b);
      break;
    }
    failures++;
    assert_int_equal(rc, RMT_ENOMEM);
    assert_int_equal(b.len, 0);
    rmt_buf_free(&b);
    assert_int_equal(ca.live_blocks, 0);
  }
  assert_true(failures > 3);
  assert_true(n < 100);

  failures = 0;
  for (n = 1; n < 100; n++) {
    ca.fail_at = 0;
    rmt_arena *a = rmt_arena_create(&al);
    if (n == 1) { /* the arena struct itself can fail */
      ca.fail_at = ca.attempts + 1;
      assert_null(rmt_arena_create(&al));
      ca.fail_at = 0;
    }
    ca.fail_at = ca.attempts + n;
    rmt_value *out;
    size_t nout;
    rmt_error err;
    int rc = rmt_decode(a, good.data, good.len, NULL, &out, &nout, &err);
    ca.fail_at = 0;
    rmt_arena_destroy(a);
    assert_int_equal(ca.live_blocks, 0);
    if (rc == 0) break;
    assert_int_equal(rc, RMT_ENOMEM);
    failures++;
  }
  assert_true(failures >= 2);
  assert_true(n < 100);
  rmt_buf_free(&good);
}

static void test_buf(void **state) {
  (void)state;
  alloc_counter ca;
  alloc_counter_init(&ca);
  rmt_allocator al = ca.hook;
  rmt_buf b = {0};
  b.alloc = &al;
  for (int i = 0; i < 1000; i++) assert_int_equal(rmt_buf_append(&b, "abc", 3), 0);
  assert_int_equal(b.len, 3000);
  assert_memory_equal(b.data + 2997, "abc", 3);
  assert_int_equal(rmt_buf_reserve(&b, 10), 0);
  assert_true(b.cap - b.len >= 10);
  assert_int_equal(rmt_buf_reserve(&b, SIZE_MAX), RMT_ENOMEM);
  ca.fail_at = ca.attempts + 1;
  assert_int_equal(rmt_buf_reserve(&b, b.cap * 4), RMT_ENOMEM);
  assert_int_equal(b.len, 3000); /* untouched on failure */
  rmt_buf_free(&b);
  rmt_buf_free(&b);
  assert_int_equal(ca.live_blocks, 0);
  assert_int_equal(ca.bad_osize, 0);
}

/* ---- datatypes and EnumItems --------------------------------------------------------- */

static void test_datatypes_wire_form(void **state) {
  (void)state;
  rmt_value v2 = rmt_vector2(3, -1.5);
  static const uint8_t want_v2[] = {0x91, 0xc7, 0x07, 0x05, RMT_DT_VECTOR2, 0x03,
                                    0xca, 0xbf, 0xc0, 0x00, 0x00};
  expect_bytes(&v2, 1, want_v2, sizeof want_v2);
  rmt_value plastic = rmt_enum_item("Material", 256);
  static const uint8_t want_enum[] = {0x91, 0xc7, 0x0b, 0x06, 0xcd, 0x01, 0x00,
                                      'M', 'a', 't', 'e', 'r', 'i', 'a', 'l'};
  expect_bytes(&plastic, 1, want_enum, sizeof want_enum);
  rmt_value kps[2] = {rmt_datatype(RMT_DT_NUMBERSEQUENCEKEYPOINT, (const double[]){0, 5, 0}, 3),
                      rmt_datatype(RMT_DT_NUMBERSEQUENCEKEYPOINT, (const double[]){1, 7, 0}, 3)};
  rmt_value seq = rmt_datatype_list(RMT_DT_NUMBERSEQUENCE, kps, 2);
  static const uint8_t want_seq[] = {0x91, 0xc7, 0x07, 0x05, RMT_DT_NUMBERSEQUENCE,
                                     0, 5, 0, 1, 7, 0};
  expect_bytes(&seq, 1, want_seq, sizeof want_seq);
  assert_string_equal(rmt_typeof(&v2), "Vector2");
  assert_string_equal(rmt_typeof(&seq), "NumberSequence");
  assert_string_equal(rmt_typeof(&plastic), "EnumItem");
  assert_null(rmt_datatype_name((rmt_datatype_kind)0));
  assert_null(rmt_datatype_name(RMT_DT_KIND_COUNT_));
  assert_int_equal(rmt_datatype_arity(RMT_DT_UDIM2), 4);
  assert_int_equal(rmt_datatype_arity(RMT_DT_RAY), 0);
}

/* Every kind survives encode/decode/copy/normalize equal, inside a table too. */
static void test_datatypes_round_trip(void **state) {
  (void)state;
  rmt_value ray_parts[2] = {rmt_vector3(1, 2, 3), rmt_vector3(0, -1, 0.5f)};
  rmt_value tw[6] = {rmt_num(0.25), rmt_enum_item("EasingStyle", 1),
                     rmt_enum_item("EasingDirection", 2), rmt_num(-1), rmt_bool(1), rmt_num(0.1)};
  rmt_value ckp[3] = {
      rmt_datatype(RMT_DT_COLORSEQUENCEKEYPOINT, (const double[]){0, 1, 0, 0}, 4),
      rmt_datatype(RMT_DT_COLORSEQUENCEKEYPOINT, (const double[]){0.5, 0, 1, 0}, 4),
      rmt_datatype(RMT_DT_COLORSEQUENCEKEYPOINT, (const double[]){1, 0, 0, 1}, 4)};
  rmt_value all[14] = {
      rmt_vector2(0.1, NAN),
      rmt_datatype(RMT_DT_UDIM, (const double[]){0.5, -20}, 2),
      rmt_udim2(1, 2, 0.3, -4),
      rmt_datatype(RMT_DT_RECT, (const double[]){0, 1, 2, 3}, 4),
      rmt_datatype(RMT_DT_NUMBERRANGE, (const double[]){-1, 1e300}, 2),
      rmt_datatype(RMT_DT_NUMBERSEQUENCEKEYPOINT, (const double[]){0.5, 2, 0.1}, 3),
      ckp[1],
      rmt_datatype(RMT_DT_BRICKCOLOR, (const double[]){194}, 1),
      rmt_datatype(RMT_DT_DATETIME, (const double[]){1700000000123.0}, 1),
      rmt_datatype_list(RMT_DT_COLORSEQUENCE, ckp, 3),
      rmt_datatype_list(RMT_DT_RAY, ray_parts, 2),
      rmt_datatype_list(RMT_DT_TWEENINFO, tw, 6),
      rmt_enum_item("KeyCode", -3),
      rmt_nil()};
  rmt_pair pair = kv(rmt_str("in"), all[10]);
  all[13] = rmt_dict(&pair, 1);
  rmt_buf b = {0};
  rmt_error err;
  assert_int_equal(rmt_values_check(all, 14, NULL, &err), 0);
  assert_int_equal(rmt_encode(&b, all, 14, NULL, &err), 0);
  rmt_arena *a = rmt_arena_create(NULL);
  rmt_value *out, *copy, *norm;
  size_t n;
  if (rmt_decode(a, b.data, b.len, NULL, &out, &n, &err)) fail_msg("%s", err.message);
  assert_int_equal(n, 14);
  assert_int_equal(rmt_values_copy(out, n, NULL, &copy, &err), 0);
  assert_int_equal(rmt_values_normalize(all, 14, RMT_CONVERT_STRICT, NULL, NULL, NULL, NULL,
                                        &norm, &err), 0);
  for (size_t i = 0; i < 14; i++) {
    if (!rmt_value_equal(&all[i], &out[i])) fail_msg("argument %zu changed", i + 1);
    assert_true(rmt_value_equal(&all[i], &copy[i]));
    assert_true(rmt_value_equal(&all[i], &norm[i]));
  }
  /* the copy owns its parts: it does not point into the arena or the caller's arrays */
  assert_ptr_not_equal(copy[9].as.datatype.u.items, ckp);
  assert_ptr_not_equal(copy[12].as.enumitem.name, all[12].as.enumitem.name);
  assert_false(rmt_value_equal(&all[0], &all[1]));
  assert_false(rmt_value_equal(&all[12], &tw[1]));
  rmt_values_free(copy, NULL);
  rmt_values_free(norm, NULL);
  rmt_arena_destroy(a);
  rmt_buf_free(&b);
}

static void test_datatype_refusals(void **state) {
  (void)state;
  rmt_value v3 = rmt_vector3(0, 0, 0);
  rmt_value kp0 = rmt_datatype(RMT_DT_NUMBERSEQUENCEKEYPOINT, (const double[]){0, 1, 0}, 3);
  rmt_value kp1 = rmt_datatype(RMT_DT_NUMBERSEQUENCEKEYPOINT, (const double[]){1, 1, 0}, 3);
  rmt_value kphalf = rmt_datatype(RMT_DT_NUMBERSEQUENCEKEYPOINT, (const double[]){0.5, 1, 0}, 3);
  rmt_value back[3] = {kp0, kp1, kphalf}, wrongkind[2] = {kp0, v3}, one[1] = {kp0};
  rmt_value many[21];
  for (int i = 0; i < 21; i++) many[i] = i == 0 ? kp0 : kp1;
  rmt_value tw_bad[6] = {rmt_num(1), rmt_enum_item("EasingDirection", 0),
                         rmt_enum_item("EasingDirection", 0), rmt_num(0), rmt_bool(0), rmt_num(0)};
  rmt_value ray_bad[2] = {v3, rmt_num(1)};
  struct {
    const char *name;
    rmt_value v;
    const char *msg;
  } cases[] = {
      {"unknown kind", rmt_datatype((rmt_datatype_kind)99, (const double[]){1}, 1), "unknown datatype kind 99"},
      {"kind 0", rmt_datatype((rmt_datatype_kind)0, NULL, 0), "unknown datatype kind 0"},
      {"Vector2 with 3", rmt_datatype(RMT_DT_VECTOR2, (const double[]){1, 2, 3}, 3), "Vector2 with 3 numbers (expected 2)"},
      {"UDim offset 1.5", rmt_datatype(RMT_DT_UDIM, (const double[]){0, 1.5}, 2), "UDim Offset must be an int32"},
      {"UDim2 offset 2^31", rmt_udim2(0, 2147483648.0, 0, 0), "UDim2 Offsets must be int32"},
      {"UDim2 offset NaN", rmt_udim2(0, 0, 0, NAN), "UDim2 Offsets must be int32"},
      {"NumberRange reversed", rmt_datatype(RMT_DT_NUMBERRANGE, (const double[]){2, 1}, 2), "NumberRange with Min greater than Max"},
      {"BrickColor -1", rmt_datatype(RMT_DT_BRICKCOLOR, (const double[]){-1}, 1), "BrickColor number must be 0..65535"},
      {"DateTime inf", rmt_datatype(RMT_DT_DATETIME, (const double[]){INFINITY}, 1), "DateTime milliseconds must be an integer within 2^53"},
      {"sequence of 1", rmt_datatype_list(RMT_DT_NUMBERSEQUENCE, one, 1), "NumberSequence with 1 keypoints (2..20 allowed)"},
      {"sequence of 21", rmt_datatype_list(RMT_DT_NUMBERSEQUENCE, many, 21), "NumberSequence with 21 keypoints (2..20 allowed)"},
      {"sequence backwards", rmt_datatype_list(RMT_DT_NUMBERSEQUENCE, back, 3), "NumberSequence keypoint times must start at 0 and never decrease"},
      {"sequence not ending at 1", rmt_datatype_list(RMT_DT_NUMBERSEQUENCE, back + 2, 1), "NumberSequence with 1 keypoints (2..20 allowed)"},
      {"sequence of Vector3", rmt_datatype_list(RMT_DT_NUMBERSEQUENCE, wrongkind, 2), "NumberSequence keypoint 2 is not a NumberSequenceKeypoint"},
      {"ColorSequence of number keypoints", rmt_datatype_list(RMT_DT_COLORSEQUENCE, back, 2), "ColorSequence keypoint 1 is not a ColorSequenceKeypoint"},
      {"Ray with a number", rmt_datatype_list(RMT_DT_RAY, ray_bad, 2), "Ray must be two Vector3 (Origin, Direction)"},
      {"TweenInfo with the wrong enum", rmt_datatype_list(RMT_DT_TWEENINFO, tw_bad, 6), "TweenInfo must be (number, Enum.EasingStyle, Enum.EasingDirection, number, boolean, number)"},
      {"enum name with a dot", rmt_enum_item("Enum.Material", 1), "EnumItem with a bad enum name (1..64 bytes of [A-Za-z0-9_])"},
      {"empty enum name", rmt_enum_item("", 1), "EnumItem with a bad enum name (1..64 bytes of [A-Za-z0-9_])"},
  };
  rmt_value seq_end = rmt_datatype_list(RMT_DT_NUMBERSEQUENCE, (rmt_value[]){kp0, kphalf}, 2);
  rmt_error err;
  char want[300];
  rmt_buf b = {0};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    snprintf(want, sizeof want, "argument 1: %s", cases[i].msg);
    int rc = rmt_values_check(&cases[i].v, 1, NULL, &err);
    if (rc != RMT_EINVAL || strcmp(err.message, want) != 0)
      fail_msg("%s: check gave %s '%s'", cases[i].name, rmt_status_name(rc), err.message);
    assert_int_equal(rmt_encode(&b, &cases[i].v, 1, NULL, &err), RMT_EINVAL);
    assert_string_equal(err.message, want);
    assert_int_equal(b.len, 0);
    rmt_value *out = (rmt_value *)&b;
    assert_int_equal(rmt_values_copy(&cases[i].v, 1, NULL, &out, &err), RMT_EINVAL);
    assert_null(out);
    assert_int_equal(rmt_values_normalize(&cases[i].v, 1, RMT_CONVERT_LOSSY, NULL, NULL, NULL,
                                          NULL, &out, &err), RMT_EINVAL);
    assert_string_equal(err.message, want);
  }
  assert_int_equal(rmt_values_check(&seq_end, 1, NULL, &err), RMT_EINVAL);
  assert_string_equal(err.message, "argument 1: NumberSequence keypoint times must end at 1");
  /* the path names where a bad datatype sits, and a part inside a list kind */
  rmt_pair p = kv(rmt_str("fx"), cases[2].v);
  rmt_value d = rmt_dict(&p, 1);
  assert_int_equal(rmt_values_check(&d, 1, NULL, &err), RMT_EINVAL);
  assert_string_equal(err.message, "argument 1: Vector2 with 3 numbers (expected 2) (at [\"fx\"])");
  /* constructors refuse what cannot be stored rather than truncate */
  assert_int_equal(rmt_datatype(RMT_DT_VECTOR2, (const double[]){1, 2, 3, 4, 5, 6}, 6).type, RMT_TNIL);
  assert_int_equal(rmt_enum_item(NULL, 1).type, RMT_TNIL);
  /* a list kind's parts count as values against max_elements */
  rmt_limits lim;
  rmt_limits_default(&lim);
  rmt_value ok = rmt_datatype_list(RMT_DT_NUMBERSEQUENCE, (rmt_value[]){kp0, kphalf, kp1}, 3);
  lim.max_elements = 3;
  assert_int_equal(rmt_values_check(&ok, 1, &lim, &err), RMT_ELIMIT);
  assert_int_equal(rmt_encode(&b, &ok, 1, &lim, &err), RMT_ELIMIT);
  lim.max_elements = 4;
  assert_int_equal(rmt_values_check(&ok, 1, &lim, &err), 0);
  assert_int_equal(rmt_encode(&b, &ok, 1, &lim, &err), 0);
  rmt_arena *a = rmt_arena_create(NULL);
  rmt_value *out;
  size_t n;
  assert_int_equal(rmt_decode(a, b.data, b.len, &lim, &out, &n, &err), 0);
  lim.max_elements = 3;
  assert_int_equal(rmt_decode(a, b.data, b.len, &lim, &out, &n, &err), RMT_ELIMIT);
  rmt_arena_destroy(a);
  rmt_buf_free(&b);
}

static void test_decode_hostile_datatypes(void **state) {
  (void)state;
  alloc_counter ca;
  alloc_counter_init(&ca);
  rmt_allocator al = ca.hook;
  rmt_arena *a = rmt_arena_create(&al);
  rmt_error err;
  struct {
    const char *name;
    uint8_t bytes[32];
    size_t len;
    int want;
    const char *msg;
  } cases[] = {
      {"empty datatype body", {0x91, 0xc7, 0, 5}, 4, RMT_EDECODE, "empty datatype body"},
      {"kind 0", {0x91, 0xd4, 5, 0}, 4, RMT_EDECODE, "unknown datatype kind"},
      {"kind 200", {0x91, 0xd5, 5, 200, 0}, 5, RMT_EDECODE, "unknown datatype kind"},
      {"Vector2 one number", {0x91, 0xd5, 5, 1, 7}, 5, RMT_EDECODE, "bad datatype number"},
      {"Vector2 three numbers", {0x91, 0xc7, 4, 5, 1, 7, 7, 7}, 8, RMT_EDECODE, "trailing bytes in datatype body"},
      {"Vector2 with a string", {0x91, 0xc7, 3, 5, 1, 7, 0xa0}, 7, RMT_EDECODE, "bad datatype number"},
      {"float32 cut inside body", {0x91, 0xc7, 4, 5, 1, 7, 0xca, 0}, 8, RMT_EDECODE, "bad datatype number"},
      {"UDim offset 1.5", {0x91, 0xc7, 7, 5, 2, 0, 0xca, 0x3f, 0xc0, 0, 0}, 11, RMT_EDECODE, "UDim Offset must be an int32"},
      {"NumberRange reversed", {0x91, 0xc7, 3, 5, 5, 2, 1}, 7, RMT_EDECODE, "NumberRange with Min greater than Max"},
      {"BrickColor 70000", {0x91, 0xc7, 6, 5, 8, 0xce, 0, 1, 0x11, 0x70}, 10, RMT_EDECODE, "BrickColor number must be 0..65535"},
      {"sequence of 1", {0x91, 0xc7, 4, 5, 10, 0, 1, 0}, 8, RMT_EDECODE, "NumberSequence with 1 keypoints"},
      {"sequence half a keypoint", {0x91, 0xc7, 6, 5, 10, 0, 1, 0, 1, 1}, 10, RMT_EDECODE, "bad keypoint number"},
      {"sequence backwards", {0x91, 0xc7, 7, 5, 10, 1, 1, 0, 0, 1, 0}, 11, RMT_EDECODE, "keypoint times must start at 0"},
      {"Ray five numbers", {0x91, 0xc7, 6, 5, 12, 1, 2, 3, 4, 5}, 10, RMT_EDECODE, "bad Ray number"},
      {"Ray beyond float", {0x91, 0xc7, 15, 5, 12, 0xcb, 0x7f, 0xef, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5}, 19, RMT_EDECODE, "bad Ray number"},
      {"TweenInfo no boolean", {0x91, 0xc7, 7, 5, 13, 1, 1, 1, 0, 0, 0}, 11, RMT_EDECODE, "bad TweenInfo body"},
      {"TweenInfo style 1.5", {0x91, 0xc7, 11, 5, 13, 1, 0xca, 0x3f, 0xc0, 0, 0, 1, 0, 0xc2, 0}, 15, RMT_EDECODE, "bad TweenInfo body"},
      {"enum without a name", {0x91, 0xd4, 6, 1}, 4, RMT_EDECODE, "bad EnumItem name"},
      {"enum value a string", {0x91, 0xc7, 3, 6, 0xa1, 'A', 'B'}, 7, RMT_EDECODE, "bad EnumItem value"},
      {"enum value 2^31", {0x91, 0xc7, 6, 6, 0xce, 0x80, 0, 0, 0, 'A'}, 10, RMT_EDECODE, "bad EnumItem value"},
      {"enum name with a space", {0x91, 0xc7, 3, 6, 1, 'A', ' '}, 7, RMT_EDECODE, "bad EnumItem name"},
      {"enum name NUL", {0x91, 0xc7, 3, 6, 1, 'A', 0}, 7, RMT_EDECODE, "bad EnumItem name"},
      {"datatype ext claims more than left", {0x91, 0xc7, 40, 5, 1, 1, 1}, 7, RMT_ETRUNC, "ext"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int rc = decode_guarded(a, cases[i].bytes, cases[i].len, NULL, &err);
    if (rc != cases[i].want || strstr(err.message, cases[i].msg) == NULL)
      fail_msg("%s: got %s (%s), want %s", cases[i].name, rmt_status_name(rc), err.message,
               rmt_status_name(cases[i].want));
  }
  /* an enum name of 65 bytes is refused, 64 accepted */
  uint8_t e[80] = {0x91, 0xc7, 66, 6, 1};
  memset(e + 5, 'x', 65);
  assert_int_equal(decode_guarded(a, e, 70, NULL, &err), RMT_EDECODE);
  e[2] = 65;
  assert_int_equal(decode_guarded(a, e, 69, NULL, &err), 0);
  assert_true(ca.peak_bytes < 16384);
  rmt_arena_destroy(a);
  assert_int_equal(ca.live_blocks, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_numbers_wire_form),
      cmocka_unit_test(test_types_wire_form),
      cmocka_unit_test(test_encode_refusals_leave_buffer),
      cmocka_unit_test(test_encode_limits_one_past),
      cmocka_unit_test(test_property_round_trip),
      cmocka_unit_test(test_decode_each_type),
      cmocka_unit_test(test_decode_truncated_every_byte),
      cmocka_unit_test(test_decode_hostile),
      cmocka_unit_test(test_decode_limits),
      cmocka_unit_test(test_arena_basics),
      cmocka_unit_test(test_steady_state_no_allocation),
      cmocka_unit_test(test_decode_failure_rolls_back_arena),
      cmocka_unit_test(test_oom_encode_decode_arena),
      cmocka_unit_test(test_buf),
      cmocka_unit_test(test_datatypes_wire_form),
      cmocka_unit_test(test_datatypes_round_trip),
      cmocka_unit_test(test_datatype_refusals),
      cmocka_unit_test(test_decode_hostile_datatypes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
