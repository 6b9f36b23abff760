/* fuzz_normalize.c - libFuzzer target for rmt_values_normalize: the input bytes describe a
 * loose Lua-like tree; LOSSY and STRICT must agree and the output must check and round-trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "remotes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct reader {
  const uint8_t *p, *end;
  rmt_pair pairs[512];
  size_t np;
  rmt_value values[512];
  size_t nv;
} reader;

static const char *const names[] = {"a", "b", "1", "true", "", "items", "5", "x\"y"};
static const int identities[4];

static unsigned next(reader *r) { return r->p < r->end ? *r->p++ : 0; }

/* Datatypes and EnumItems, valid or not (a wrong count, a reversed NumberRange, an unsorted
 * sequence): normalize must refuse the invalid ones in both modes alike. */
static rmt_value datatype_leaf(reader *r, unsigned b) {
  static const char *const enums[] = {"Material", "EasingStyle", "", "bad name"};
  unsigned k = next(r);
  if (k % 16 == 15) return rmt_enum_item(enums[(b >> 5) % 4], (int32_t)next(r) - 8);
  double n[RMT_DATATYPE_MAX_NUMBERS];
  for (int i = 0; i < RMT_DATATYPE_MAX_NUMBERS; i++) n[i] = (double)next(r) / 2.0 - 4;
  if (k % 16 < 10 && k < 200) /* numeric kinds 1..9 with their count, mostly */
    return rmt_datatype((rmt_datatype_kind)(1 + k % 9), n,
                        rmt_datatype_arity((rmt_datatype_kind)(1 + k % 9)));
  if (k % 16 < 10) return rmt_datatype((rmt_datatype_kind)(k % 16), n, next(r) % 6);
  /* list kinds: parts drawn from the leaves' own value pool */
  size_t cnt = 1 + next(r) % 4;
  if (r->nv + cnt > sizeof r->values / sizeof r->values[0]) return rmt_nil();
  rmt_value *items = r->values + r->nv;
  r->nv += cnt;
  for (size_t i = 0; i < cnt; i++) {
    double kp[4] = {i == 0 ? 0 : i + 1 == cnt ? 1 : (double)next(r) / 255.0, n[1], n[2], n[3]};
    unsigned which = next(r) % 3;
    items[i] = which == 0   ? rmt_datatype(RMT_DT_NUMBERSEQUENCEKEYPOINT, kp, 3)
               : which == 1 ? rmt_datatype(RMT_DT_COLORSEQUENCEKEYPOINT, kp, 4)
                            : rmt_vector3(0, (float)n[0], 1);
  }
  return rmt_datatype_list((rmt_datatype_kind)(10 + k % 4), items, cnt);
}

static rmt_value leaf(reader *r, unsigned b) {
  rmt_value v = rmt_nil();
  switch (b % 10) {
  case 0: return rmt_nil();
  case 1: return rmt_bool((int)(b & 16));
  case 2: return rmt_num((double)next(r) - 8);
  case 3: return rmt_num((double)next(r) / 4.0);
  case 4: return rmt_str(names[next(r) % 8]);
  case 5: return rmt_vector3(1, (float)next(r), 3);
  case 6: return rmt_cframe((float)next(r), 0, 0);
  case 7: return rmt_color3(0, 1, 0);
  case 8: return rmt_player_ref(next(r));
  case 9:
    if (b & 16) break; /* a function, below */
    return datatype_leaf(r, b);
  default: break;
  }
  v.type = RMT_TFUNCTION;
  return v;
}

static rmt_value node(reader *r, int depth) {
  unsigned b = next(r);
  if (depth > 40 || (b & 0xc0) != 0xc0) return leaf(r, b);
  size_t n = next(r) % 9;
  if (b & 0x20) { /* strict array of loose items */
    if (r->nv + n > sizeof r->values / sizeof r->values[0]) return rmt_nil();
    rmt_value *items = r->values + r->nv;
    r->nv += n;
    for (size_t i = 0; i < n; i++) items[i] = node(r, depth + 1);
    return rmt_array(n ? items : NULL, n);
  }
  if (r->np + n > sizeof r->pairs / sizeof r->pairs[0]) return rmt_nil();
  rmt_pair *pairs = r->pairs + r->np;
  r->np += n;
  for (size_t i = 0; i < n; i++) {
    unsigned k = next(r);
    pairs[i].key = (k & 0x80) ? leaf(r, k) : rmt_num((double)(k % 8));
    pairs[i].value = node(r, depth + 1);
  }
  rmt_value t = rmt_nil();
  t.type = RMT_TTABLE;
  t.as.table.pairs = n ? pairs : NULL;
  t.as.table.count = n;
  unsigned id = next(r);
  t.as.table.identity = (id & 4) ? (const void *)&identities[id & 3] : NULL;
  t.as.table.has_metatable = (int)(id & 8);
  return t;
}

typedef struct first_warning {
  int count;
  char text[256];
} first_warning;

static void on_warn(void *ud, const char *msg) {
  first_warning *w = ud;
  if (w->count++ == 0) strcpy(w->text, msg);
  if (strncmp(msg, "argument ", 9) != 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static reader r;
  r.p = data;
  r.end = data + size;
  r.np = r.nv = 0;
  rmt_value args[4];
  size_t nargs = size ? (size_t)(next(&r) % 5) : 0;
  for (size_t i = 0; i < nargs; i++) args[i] = node(&r, 0);
  rmt_limits lim = {6, 200, 64, 1 << 16, 0};
  first_warning w = {0};
  rmt_value *out = NULL;
  rmt_error err;
  int rc = rmt_values_normalize(args, nargs, RMT_CONVERT_LOSSY, &lim, NULL, on_warn, &w, &out, &err);
  rmt_value *strict = NULL;
  rmt_error serr;
  int src = rmt_values_normalize(args, nargs, RMT_CONVERT_STRICT, &lim, NULL, NULL, NULL, &strict, &serr);
  if (rc != 0) {
    /* EINVAL: an invalid datatype (never the passes disagreeing, which is a bug) */
    if (rc != RMT_ECYCLE && rc != RMT_ELIMIT && rc != RMT_EINVAL) abort();
    if (rc == RMT_EINVAL && strstr(err.message, "internal error")) abort();
    if (out != NULL) abort();
    if (src == 0) abort();
    return 0;
  }
  if (rmt_values_check(out, nargs, &lim, &err) != 0) abort();
  if (w.count == 0) {
    if (src != 0) abort();
    for (size_t i = 0; i < nargs; i++)
      if (!rmt_value_equal(&out[i], &strict[i])) abort();
  } else if (src != RMT_ELOSSY || strcmp(serr.message, w.text) != 0) {
    abort();
  }
  rmt_values_free(strict, NULL);
  rmt_buf b = {0};
  rmt_arena *a = rmt_arena_create(NULL);
  rmt_value *back;
  size_t nback;
  if (rmt_encode(&b, out, nargs, &lim, &err) != 0) abort();
  if (rmt_decode(a, b.data, b.len, &lim, &back, &nback, &err) != 0 || nback != nargs) abort();
  for (size_t i = 0; i < nargs; i++)
    if (!rmt_value_equal(&out[i], &back[i])) abort();
  rmt_arena_destroy(a);
  rmt_buf_free(&b);
  rmt_values_free(out, NULL);
  return 0;
}
