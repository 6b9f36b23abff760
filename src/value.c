/* value.c - the dynamic value type: constructors, equality, strict checks, deep copy and
 * Roblox's argument rules (normalize). Roblox datatypes and EnumItems have their own file
 * (datatype.c). Never does I/O; allocates only through the hook. */
#include <float.h>
#include <math.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "value_internal.h"

_Static_assert(sizeof(rmt_pair) == 2 * sizeof(rmt_value), "a pair is two values");
/* The datatype and enum members were added without growing the union: arrays of rmt_value
 * built by programs compiled against the older header must keep their layout. */
_Static_assert(sizeof(((rmt_value *)0)->as) == sizeof(((rmt_value *)0)->as.cframe),
               "CFrame stays the largest member of rmt_value");

/* ---------------------------------------------------------------------------------------
 * Constructors and accessors
 * ------------------------------------------------------------------------------------- */

rmt_value rmt_nil(void) {
  rmt_value v;
  memset(&v, 0, sizeof v);
  v.type = RMT_TNIL;
  return v;
}

rmt_value rmt_bool(int b) {
  rmt_value v = rmt_nil();
  v.type = RMT_TBOOLEAN;
  v.as.boolean = b ? 1 : 0;
  return v;
}

rmt_value rmt_num(double n) {
  rmt_value v = rmt_nil();
  v.type = RMT_TNUMBER;
  v.as.number = n;
  return v;
}

rmt_value rmt_str(const char *nul_terminated) {
  if (nul_terminated == NULL) return rmt_nil();
  return rmt_lstr(nul_terminated, strlen(nul_terminated));
}

rmt_value rmt_lstr(const char *ptr, size_t len) {
  rmt_value v = rmt_nil();
  v.type = RMT_TSTRING;
  v.as.string.ptr = ptr ? ptr : "";
  v.as.string.len = ptr ? len : 0;
  return v;
}

rmt_value rmt_array(const rmt_value *items, size_t count) {
  rmt_value v = rmt_nil();
  v.type = RMT_TARRAY;
  v.as.array.items = items;
  v.as.array.count = items ? count : 0;
  return v;
}

rmt_value rmt_dict(const rmt_pair *pairs, size_t count) {
  rmt_value v = rmt_nil();
  v.type = RMT_TDICT;
  v.as.table.pairs = pairs;
  v.as.table.count = pairs ? count : 0;
  return v;
}

rmt_value rmt_vector3(float x, float y, float z) {
  rmt_value v = rmt_nil();
  v.type = RMT_TVECTOR3;
  v.as.vector3.x = x;
  v.as.vector3.y = y;
  v.as.vector3.z = z;
  return v;
}

rmt_value rmt_cframe(float x, float y, float z) {
  static const float identity[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  const float pos[3] = {x, y, z};
  return rmt_cframe_full(pos, identity);
}

rmt_value rmt_cframe_full(const float position[3], const float rotation[9]) {
  rmt_value v = rmt_nil();
  v.type = RMT_TCFRAME;
  v.as.cframe.x = position[0];
  v.as.cframe.y = position[1];
  v.as.cframe.z = position[2];
  memcpy(v.as.cframe.r, rotation, sizeof v.as.cframe.r);
  return v;
}

rmt_value rmt_color3(float r, float g, float b) {
  rmt_value v = rmt_nil();
  v.type = RMT_TCOLOR3;
  v.as.color3.r = r;
  v.as.color3.g = g;
  v.as.color3.b = b;
  return v;
}

rmt_value rmt_player_ref(uint32_t player_id) {
  rmt_value v = rmt_nil();
  v.type = RMT_TPLAYER;
  v.as.player = player_id;
  return v;
}

rmt_value rmt_bytes(const void *ptr, size_t len) {
  rmt_value v;
  memset(&v, 0, sizeof v);
  v.type = RMT_TBUFFER;
  v.as.string.ptr = ptr ? (const char *)ptr : "";
  v.as.string.len = ptr ? len : 0;
  return v;
}

static const char *type_name(rmt_type t) {
  switch (t) {
  case RMT_TNIL: return "nil";
  case RMT_TBOOLEAN: return "boolean";
  case RMT_TNUMBER: return "number";
  case RMT_TSTRING: return "string";
  case RMT_TBUFFER: return "buffer";
  case RMT_TARRAY:
  case RMT_TDICT:
  case RMT_TTABLE: return "table";
  case RMT_TVECTOR3: return "Vector3";
  case RMT_TCFRAME: return "CFrame";
  case RMT_TCOLOR3: return "Color3";
  case RMT_TPLAYER: return "Instance";
  case RMT_TFUNCTION: return "function";
  case RMT_TDATATYPE: return "datatype";
  case RMT_TENUM: return "EnumItem";
  default: return "invalid";
  }
}

/* type_name, but a datatype says which one ("Vector2"). */
static const char *value_name(const rmt_value *v) {
  if (v->type == RMT_TDATATYPE) {
    const char *n = rmt_datatype_name((rmt_datatype_kind)v->as.datatype.kind);
    return n ? n : "invalid";
  }
  return type_name(v->type);
}

const char *rmt_typeof(const rmt_value *v) { return v ? value_name(v) : "nil"; }

/* What a value that cannot cross was, for warnings: a host may name it (a Lua Random). */
static const char *loose_name(const rmt_value *v) {
  return v->type == RMT_TFUNCTION && v->as.string.ptr ? v->as.string.ptr : "function";
}

const rmt_value *rmt_dict_get(const rmt_value *table, const char *key) {
  if (table == NULL || key == NULL) return NULL;
  if (table->type != RMT_TDICT && table->type != RMT_TTABLE) return NULL;
  size_t klen = strlen(key);
  for (size_t i = 0; i < table->as.table.count; i++) {
    const rmt_value *k = &table->as.table.pairs[i].key;
    if (k->type == RMT_TSTRING && k->as.string.len == klen &&
        memcmp(k->as.string.ptr, key, klen) == 0)
      return &table->as.table.pairs[i].value;
  }
  return NULL;
}

static int num_equal(double a, double b) { return a == b || (isnan(a) && isnan(b)); }

static int floats_equal(const float *a, const float *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!(a[i] == b[i] || (isnan(a[i]) && isnan(b[i])))) return 0;
  return 1;
}

int rmt_value_equal(const rmt_value *a, const rmt_value *b) {
  if (a == b) return 1;
  if (a == NULL || b == NULL || a->type != b->type) return 0;
  switch (a->type) {
  case RMT_TNIL:
  case RMT_TFUNCTION: return 1;
  case RMT_TBOOLEAN: return !a->as.boolean == !b->as.boolean;
  case RMT_TNUMBER: return num_equal(a->as.number, b->as.number);
  case RMT_TSTRING:
  case RMT_TBUFFER:
    return a->as.string.len == b->as.string.len &&
           (a->as.string.len == 0 ||
            memcmp(a->as.string.ptr, b->as.string.ptr, a->as.string.len) == 0);
  case RMT_TARRAY:
    if (a->as.array.count != b->as.array.count) return 0;
    for (size_t i = 0; i < a->as.array.count; i++)
      if (!rmt_value_equal(&a->as.array.items[i], &b->as.array.items[i])) return 0;
    return 1;
  case RMT_TDICT:
  case RMT_TTABLE: {
    size_t n = a->as.table.count;
    if (n != b->as.table.count) return 0;
    const rmt_pair *pa = a->as.table.pairs, *pb = b->as.table.pairs;
    for (size_t i = 0; i < n; i++) {
      /* Same order is the common case (a copy, a decode); fall back to a scan. */
      const rmt_pair *match = NULL;
      if (rmt_value_equal(&pa[i].key, &pb[i].key)) {
        match = &pb[i];
      } else {
        for (size_t j = 0; j < n && !match; j++)
          if (rmt_value_equal(&pa[i].key, &pb[j].key)) match = &pb[j];
      }
      if (!match || !rmt_value_equal(&pa[i].value, &match->value)) return 0;
    }
    return 1;
  }
  case RMT_TVECTOR3:
    return floats_equal(&a->as.vector3.x, &b->as.vector3.x, 1) &&
           floats_equal(&a->as.vector3.y, &b->as.vector3.y, 1) &&
           floats_equal(&a->as.vector3.z, &b->as.vector3.z, 1);
  case RMT_TCFRAME:
    return floats_equal(&a->as.cframe.x, &b->as.cframe.x, 1) &&
           floats_equal(&a->as.cframe.y, &b->as.cframe.y, 1) &&
           floats_equal(&a->as.cframe.z, &b->as.cframe.z, 1) &&
           floats_equal(a->as.cframe.r, b->as.cframe.r, 9);
  case RMT_TCOLOR3:
    return floats_equal(&a->as.color3.r, &b->as.color3.r, 1) &&
           floats_equal(&a->as.color3.g, &b->as.color3.g, 1) &&
           floats_equal(&a->as.color3.b, &b->as.color3.b, 1);
  case RMT_TPLAYER: return a->as.player == b->as.player;
  case RMT_TENUM:
    return a->as.enumitem.value == b->as.enumitem.value &&
           a->as.enumitem.len == b->as.enumitem.len &&
           (a->as.enumitem.len == 0 ||
            memcmp(a->as.enumitem.name, b->as.enumitem.name, a->as.enumitem.len) == 0);
  case RMT_TDATATYPE: {
    uint32_t n = a->as.datatype.count;
    if (a->as.datatype.kind != b->as.datatype.kind || n != b->as.datatype.count) return 0;
    if (rmt__datatype_is_list(a->as.datatype.kind)) {
      for (uint32_t i = 0; i < n; i++)
        if (!rmt_value_equal(&a->as.datatype.u.items[i], &b->as.datatype.u.items[i])) return 0;
      return 1;
    }
    for (uint32_t i = 0; i < n && i < RMT_DATATYPE_MAX_NUMBERS; i++)
      if (!num_equal(a->as.datatype.u.n[i], b->as.datatype.u.n[i])) return 0;
    return 1;
  }
  default: return 0;
  }
}

void rmt_limits_default(rmt_limits *limits) {
  if (limits == NULL) return;
  limits->max_depth = 32;
  limits->max_elements = 65536;
  limits->max_string = 1u << 20;
  limits->max_bytes = 4u << 20;
  limits->max_args = 0;
}

void rmt__limits_resolve(const rmt_limits *in, rmt_limits *out) {
  if (in)
    *out = *in;
  else
    rmt_limits_default(out);
  if (out->max_depth > RMT_DEPTH_CEILING) out->max_depth = RMT_DEPTH_CEILING;
}

const void *rmt__table_id(const rmt_value *v) {
  switch (v->type) {
  case RMT_TARRAY: return v->as.array.count ? (const void *)v->as.array.items : NULL;
  case RMT_TDICT:
  case RMT_TTABLE:
    if (v->as.table.identity) return v->as.table.identity;
    return v->as.table.count ? (const void *)v->as.table.pairs : NULL;
  default: return NULL;
  }
}

/* ---------------------------------------------------------------------------------------
 * Paths in messages
 * ------------------------------------------------------------------------------------- */

int rmt__frame_in_ancestors(const rmt__frame *f, const void *id) {
  if (id == NULL) return 0;
  for (; f; f = f->parent)
    if (f->container == id) return 1;
  return 0;
}

typedef struct text {
  char *p;
  size_t cap, len;
  int truncated;
} text;

static void text_putf(text *t, const char *fmt, ...) RMT_PRINTF(2, 3);
static void text_putf(text *t, const char *fmt, ...) {
  if (t->truncated) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= t->cap - t->len) {
    t->truncated = 1;
    t->len = t->cap - 1;
  } else {
    t->len += (size_t)n;
  }
}

static void text_vputf(text *t, const char *fmt, va_list ap) RMT_PRINTF(2, 0);
static void text_vputf(text *t, const char *fmt, va_list ap) {
  if (t->truncated) return;
  int n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
  if (n < 0 || (size_t)n >= t->cap - t->len) {
    t->truncated = 1;
    t->len = t->cap - 1;
  } else {
    t->len += (size_t)n;
  }
}

/* Keys are user data: quote and escape them, and cut long ones so the path stays legible. */
static void put_key(text *t, const rmt_value *k) {
  switch (k->type) {
  case RMT_TSTRING: {
    text_putf(t, "[\"");
    size_t n = k->as.string.len, shown = n > 32 ? 32 : n;
    for (size_t i = 0; i < shown; i++) {
      unsigned char c = (unsigned char)k->as.string.ptr[i];
      if (c == '"' || c == '\\')
        text_putf(t, "\\%c", c);
      else if (c < 0x20 || c >= 0x7f)
        text_putf(t, "\\x%02x", c);
      else
        text_putf(t, "%c", c);
    }
    text_putf(t, "%s\"]", shown < n ? "..." : "");
    break;
  }
  case RMT_TNUMBER: text_putf(t, "[%.14g]", k->as.number); break;
  case RMT_TBOOLEAN: text_putf(t, "[%s]", k->as.boolean ? "true" : "false"); break;
  default: text_putf(t, "[<%s>]", value_name(k)); break;
  }
}

static void put_path(text *t, const rmt__frame *f) {
  if (f == NULL || f->kind == RMT__SEG_ARG) return;
  put_path(t, f->parent);
  if (f->kind == RMT__SEG_INDEX)
    text_putf(t, "[%zu]", f->index);
  else
    put_key(t, f->key);
}

void rmt__path_vformat(char *out, size_t cap, const rmt__frame *f, const char *fmt,
                       va_list ap) {
  if (cap == 0) return;
  text t = {out, cap, 0, 0};
  out[0] = '\0';
  const rmt__frame *root = f;
  while (root && root->parent) root = root->parent;
  if (root) text_putf(&t, "argument %zu: ", root->index);
  text_vputf(&t, fmt, ap);
  if (f && f->kind != RMT__SEG_ARG) {
    text_putf(&t, " (at ");
    put_path(&t, f);
    text_putf(&t, ")");
  }
  if (t.truncated && cap > 4) memcpy(out + cap - 4, "...", 4);
}

int rmt__path_error(rmt_error *err, int code, const rmt__frame *f, const char *fmt, ...) {
  if (err == NULL) return code;
  va_list ap;
  va_start(ap, fmt);
  err->code = code;
  rmt__path_vformat(err->message, sizeof err->message, f, fmt, ap);
  va_end(ap);
  return code;
}

/* ---------------------------------------------------------------------------------------
 * Strict check (also the measuring pass of rmt_values_copy)
 * ------------------------------------------------------------------------------------- */

typedef struct check_ctx {
  rmt_limits lim;
  size_t elements;
  size_t nvalues; /* rmt_values below the arguments (pairs count as two) */
  size_t nbytes;  /* string bytes including NULs */
  rmt_error *err;
} check_ctx;

static int check_value(check_ctx *c, const rmt_value *v, const rmt__frame *f, uint32_t depth);

static int check_table_entry(check_ctx *c, const rmt_value *v, const rmt__frame *f,
                             uint32_t depth) {
  if (depth > c->lim.max_depth)
    return rmt__path_error(c->err, RMT_ELIMIT, f, "nesting deeper than max_depth %u",
                           (unsigned)c->lim.max_depth);
  if (rmt__frame_in_ancestors(f, rmt__table_id(v)))
    return rmt__path_error(c->err, RMT_ECYCLE, f, "table contains itself (cycle)");
  return 0;
}

static int check_value(check_ctx *c, const rmt_value *v, const rmt__frame *f, uint32_t depth) {
  if (++c->elements > c->lim.max_elements)
    return rmt__path_error(c->err, RMT_ELIMIT, f, "more than max_elements %u values",
                           (unsigned)c->lim.max_elements);
  switch (v->type) {
  case RMT_TNIL:
  case RMT_TBOOLEAN:
  case RMT_TNUMBER:
  case RMT_TVECTOR3:
  case RMT_TCFRAME:
  case RMT_TCOLOR3:
  case RMT_TPLAYER: return 0;
  case RMT_TSTRING:
  case RMT_TBUFFER:
    if (v->as.string.ptr == NULL && v->as.string.len)
      return rmt__path_error(c->err, RMT_EINVAL, f, "string with NULL data");
    if (v->as.string.len > c->lim.max_string)
      return rmt__path_error(c->err, RMT_ELIMIT, f,
                             "string of %zu bytes longer than max_string %u",
                             v->as.string.len, (unsigned)c->lim.max_string);
    c->nbytes += v->as.string.len + 1;
    return 0;
  case RMT_TARRAY: {
    int rc = check_table_entry(c, v, f, depth);
    if (rc) return rc;
    size_t n = v->as.array.count;
    if (n && v->as.array.items == NULL)
      return rmt__path_error(c->err, RMT_EINVAL, f, "array with NULL items");
    c->nvalues += n;
    for (size_t i = 0; i < n; i++) {
      rmt__frame cf = {f, v->as.array.items, RMT__SEG_INDEX, i + 1, NULL};
      if ((rc = check_value(c, &v->as.array.items[i], &cf, depth + 1))) return rc;
    }
    return 0;
  }
  case RMT_TDICT: {
    int rc = check_table_entry(c, v, f, depth);
    if (rc) return rc;
    size_t n = v->as.table.count;
    if (n && v->as.table.pairs == NULL)
      return rmt__path_error(c->err, RMT_EINVAL, f, "dictionary with NULL pairs");
    const void *id = rmt__table_id(v);
    c->nvalues += 2 * n;
    for (size_t i = 0; i < n; i++) {
      const rmt_pair *p = &v->as.table.pairs[i];
      rmt__frame cf = {f, id, RMT__SEG_KEY, 0, &p->key};
      if (p->key.type != RMT_TSTRING)
        return rmt__path_error(c->err, RMT_ETYPE, &cf,
                               "%s dictionary key not allowed (only strings)",
                               value_name(&p->key));
      if (p->key.as.string.ptr == NULL && p->key.as.string.len)
        return rmt__path_error(c->err, RMT_EINVAL, &cf, "key with NULL data");
      if (p->key.as.string.len > c->lim.max_string)
        return rmt__path_error(c->err, RMT_ELIMIT, &cf,
                               "key of %zu bytes longer than max_string %u",
                               p->key.as.string.len, (unsigned)c->lim.max_string);
      c->nbytes += p->key.as.string.len + 1;
      if ((rc = check_value(c, &p->value, &cf, depth + 1))) return rc;
    }
    return 0;
  }
  case RMT_TFUNCTION: return rmt__path_error(c->err, RMT_ETYPE, f, "function not allowed");
  case RMT_TTABLE:
    return rmt__path_error(c->err, RMT_ETYPE, f,
                           "loose table not allowed (convert it with rmt_values_normalize)");
  case RMT_TENUM:
  case RMT_TDATATYPE: {
    char msg[160];
    if (rmt__datatype_check(v, msg, sizeof msg))
      return rmt__path_error(c->err, RMT_EINVAL, f, "%s", msg);
    if (v->type == RMT_TENUM) {
      c->nbytes += v->as.enumitem.len + 1;
      return 0;
    }
    if (!rmt__datatype_is_list(v->as.datatype.kind)) return 0;
    /* The parts of a list datatype count as values, as they do on the wire; they are never
     * tables (the kind rules say so), so they cannot deepen or cycle. */
    uint32_t n = v->as.datatype.count;
    c->nvalues += n;
    for (uint32_t i = 0; i < n; i++) {
      rmt__frame cf = {f, v->as.datatype.u.items, RMT__SEG_INDEX, (size_t)i + 1, NULL};
      int rc = check_value(c, &v->as.datatype.u.items[i], &cf, depth);
      if (rc) return rc;
    }
    return 0;
  }
  default:
    return rmt__path_error(c->err, RMT_EINVAL, f, "invalid value type %d", (int)v->type);
  }
}

static int check_list(check_ctx *c, const rmt_value *args, size_t nargs) {
  if (nargs && args == NULL) return rmt__seterr(c->err, RMT_EINVAL, "NULL argument list");
  if (c->lim.max_args && nargs > c->lim.max_args)
    return rmt__seterr(c->err, RMT_ELIMIT, "%zu arguments, more than max_args %u", nargs,
                       (unsigned)c->lim.max_args);
  for (size_t i = 0; i < nargs; i++) {
    rmt__frame f = {NULL, NULL, RMT__SEG_ARG, i + 1, NULL};
    int rc = check_value(c, &args[i], &f, 0);
    if (rc) return rc;
  }
  return 0;
}

int rmt_values_check(const rmt_value *args, size_t nargs, const rmt_limits *limits,
                     rmt_error *err) {
  check_ctx c;
  memset(&c, 0, sizeof c);
  rmt__limits_resolve(limits, &c.lim);
  c.err = err;
  int rc = check_list(&c, args, nargs);
  if (rc == 0) rmt__clearerr(err);
  return rc;
}

/* ---------------------------------------------------------------------------------------
 * Owned blocks: [header][args][nested values][string bytes], freed in one call
 * ------------------------------------------------------------------------------------- */

typedef union block_header {
  size_t size;
  max_align_t align_;
} block_header;

typedef struct block_cursor {
  rmt_value *values, *values_end;
  char *bytes, *bytes_end;
} block_cursor;

/* Sizes the block and allocates it; on success *args points after the header. */
static int block_alloc(const rmt_allocator *alloc, size_t nargs, size_t nvalues,
                       size_t nbytes, rmt_value **args, block_cursor *cur, rmt_error *err) {
  size_t nv = nargs + nvalues;
  if (nv < nargs || nv > (SIZE_MAX - sizeof(block_header) - nbytes) / sizeof(rmt_value))
    return rmt__seterr(err, RMT_ENOMEM, "value list too large");
  size_t size = sizeof(block_header) + nv * sizeof(rmt_value) + nbytes;
  block_header *h = rmt__alloc(alloc, size);
  if (h == NULL) return rmt__seterr(err, RMT_ENOMEM, "out of memory copying values");
  h->size = size;
  rmt_value *base = (rmt_value *)(h + 1);
  *args = base;
  cur->values = base + nargs;
  cur->values_end = base + nv;
  cur->bytes = (char *)cur->values_end;
  cur->bytes_end = cur->bytes + nbytes;
  return 0;
}

void rmt_values_free(rmt_value *block, const rmt_allocator *alloc) {
  if (block == NULL) return;
  block_header *h = (block_header *)block - 1;
  rmt__free(alloc, h, h->size);
}

static rmt_value *take_values(block_cursor *cur, size_t n) {
  if ((size_t)(cur->values_end - cur->values) < n) return NULL;
  rmt_value *v = cur->values;
  cur->values += n;
  return v;
}

static const char *take_string(block_cursor *cur, const char *src, size_t len) {
  if ((size_t)(cur->bytes_end - cur->bytes) < len + 1) return NULL;
  char *s = cur->bytes;
  if (len) memcpy(s, src, len);
  s[len] = '\0';
  cur->bytes += len + 1;
  return s;
}

/* Only called after check_value accepted the tree, so the sizes are known to fit. */
static void copy_value(block_cursor *cur, const rmt_value *src, rmt_value *dst) {
  *dst = *src;
  switch (src->type) {
  case RMT_TSTRING:
  case RMT_TBUFFER:
    dst->as.string.ptr = take_string(cur, src->as.string.ptr, src->as.string.len);
    break;
  case RMT_TARRAY: {
    size_t n = src->as.array.count;
    rmt_value *items = n ? take_values(cur, n) : NULL;
    for (size_t i = 0; i < n; i++) copy_value(cur, &src->as.array.items[i], &items[i]);
    dst->as.array.items = items;
    break;
  }
  case RMT_TDICT: {
    size_t n = src->as.table.count;
    rmt_pair *pairs = n ? (rmt_pair *)take_values(cur, 2 * n) : NULL;
    for (size_t i = 0; i < n; i++) {
      copy_value(cur, &src->as.table.pairs[i].key, &pairs[i].key);
      copy_value(cur, &src->as.table.pairs[i].value, &pairs[i].value);
    }
    dst->as.table.pairs = pairs;
    dst->as.table.identity = NULL;
    dst->as.table.has_metatable = 0;
    break;
  }
  case RMT_TENUM:
    dst->as.enumitem.name = take_string(cur, src->as.enumitem.name, src->as.enumitem.len);
    break;
  case RMT_TDATATYPE:
    if (rmt__datatype_is_list(src->as.datatype.kind)) {
      uint32_t n = src->as.datatype.count;
      rmt_value *items = n ? take_values(cur, n) : NULL;
      for (uint32_t i = 0; i < n; i++) copy_value(cur, &src->as.datatype.u.items[i], &items[i]);
      dst->as.datatype.u.items = items;
    }
    break;
  default: break;
  }
}

int rmt_values_copy(const rmt_value *src, size_t nargs, const rmt_allocator *alloc,
                    rmt_value **out, rmt_error *err) {
  if (out == NULL) return rmt__seterr(err, RMT_EINVAL, "NULL out");
  *out = NULL;
  check_ctx c;
  memset(&c, 0, sizeof c);
  c.lim.max_depth = RMT_DEPTH_CEILING;
  c.lim.max_elements = UINT32_MAX;
  c.lim.max_string = UINT32_MAX;
  c.lim.max_bytes = UINT32_MAX;
  c.err = err;
  int rc = check_list(&c, src, nargs);
  if (rc) return rc;
  if (nargs == 0) {
    rmt__clearerr(err);
    return 0;
  }
  rmt_value *args = NULL;
  block_cursor cur;
  if ((rc = block_alloc(alloc, nargs, c.nvalues, c.nbytes, &args, &cur, err))) return rc;
  for (size_t i = 0; i < nargs; i++) copy_value(&cur, &src[i], &args[i]);
  *out = args;
  rmt__clearerr(err);
  return 0;
}

/* ---------------------------------------------------------------------------------------
 * Normalize: Roblox's argument rules. Two passes over the same deterministic walk: the
 * first measures (and reports warnings / refuses), the second fills one exact-size block.
 * ------------------------------------------------------------------------------------- */

typedef struct norm_ctx {
  rmt_limits lim;
  rmt_convert_mode mode;
  rmt_warn_fn warn;
  void *warn_ud;
  rmt_error *err;
  const rmt_allocator *alloc;
  int emitting;
  size_t elements, nvalues, nbytes;
  block_cursor cur;
} norm_ctx;

/* A lossy step: a warning in LOSSY mode, the error in STRICT mode. Reported once, in the
 * measuring pass. */
static int lossy(norm_ctx *c, const rmt__frame *f, const char *fmt, ...) RMT_PRINTF(3, 4);
static int lossy(norm_ctx *c, const rmt__frame *f, const char *fmt, ...) {
  if (c->emitting) return 0;
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  rmt__path_vformat(msg, sizeof msg, f, fmt, ap);
  va_end(ap);
  if (c->mode == RMT_CONVERT_STRICT) {
    if (c->err) {
      c->err->code = RMT_ELOSSY;
      memcpy(c->err->message, msg, sizeof msg);
    }
    return RMT_ELOSSY;
  }
  if (c->warn) c->warn(c->warn_ud, msg);
  return 0;
}

static int internal_error(norm_ctx *c) {
  return rmt__seterr(c->err, RMT_EINVAL, "internal error: normalize passes disagree");
}

/* Lua's tostring for keys that become strings (%.14g for numbers, as Lua 5.1). Returns
 * the length, or 0 when the key has no stable string form and must be dropped. */
static size_t key_to_text(const rmt_value *k, char *buf, size_t cap) {
  int n;
  switch (k->type) {
  case RMT_TNUMBER:
    if (isnan(k->as.number)) return 0;
    n = snprintf(buf, cap, "%.14g", k->as.number);
    break;
  case RMT_TBOOLEAN: n = snprintf(buf, cap, "%s", k->as.boolean ? "true" : "false"); break;
  case RMT_TVECTOR3:
    n = snprintf(buf, cap, "%.9g, %.9g, %.9g", (double)k->as.vector3.x,
                 (double)k->as.vector3.y, (double)k->as.vector3.z);
    break;
  case RMT_TCOLOR3:
    n = snprintf(buf, cap, "%.9g, %.9g, %.9g", (double)k->as.color3.r, (double)k->as.color3.g,
                 (double)k->as.color3.b);
    break;
  case RMT_TCFRAME: {
    const float *r = k->as.cframe.r;
    n = snprintf(buf, cap, "%.9g, %.9g, %.9g, %.9g, %.9g, %.9g, %.9g, %.9g, %.9g, %.9g, %.9g, %.9g",
                 (double)k->as.cframe.x, (double)k->as.cframe.y, (double)k->as.cframe.z,
                 (double)r[0], (double)r[1], (double)r[2], (double)r[3], (double)r[4],
                 (double)r[5], (double)r[6], (double)r[7], (double)r[8]);
    break;
  }
  default: return 0;
  }
  return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

#define KEY_TEXT_MAX 400

static int norm_value(norm_ctx *c, const rmt_value *src, rmt_value *dst, const rmt__frame *f,
                      uint32_t depth);

static int count_element(norm_ctx *c, const rmt__frame *f) {
  if (c->emitting) return 0;
  if (++c->elements > c->lim.max_elements)
    return rmt__path_error(c->err, RMT_ELIMIT, f, "more than max_elements %u values",
                           (unsigned)c->lim.max_elements);
  return 0;
}

static int norm_string(norm_ctx *c, const char *ptr, size_t len, rmt_value *dst,
                       const rmt__frame *f, const char *what) {
  if (!c->emitting) {
    if (ptr == NULL && len) return rmt__path_error(c->err, RMT_EINVAL, f, "%s with NULL data", what);
    if (len > c->lim.max_string)
      return rmt__path_error(c->err, RMT_ELIMIT, f, "%s of %zu bytes longer than max_string %u",
                             what, len, (unsigned)c->lim.max_string);
    c->nbytes += len + 1;
    return 0;
  }
  const char *s = take_string(&c->cur, ptr, len);
  if (s == NULL) return internal_error(c);
  *dst = rmt_lstr(s, len);
  return 0;
}

static int enter_table(norm_ctx *c, const rmt_value *t, const rmt__frame *f, uint32_t depth) {
  if (c->emitting) return 0;
  if (depth > c->lim.max_depth)
    return rmt__path_error(c->err, RMT_ELIMIT, f, "nesting deeper than max_depth %u",
                           (unsigned)c->lim.max_depth);
  if (rmt__frame_in_ancestors(f, rmt__table_id(t)))
    return rmt__path_error(c->err, RMT_ECYCLE, f, "table contains itself (cycle)");
  return 0;
}

static int norm_strict_array(norm_ctx *c, const rmt_value *src, rmt_value *dst,
                             const rmt__frame *f, uint32_t depth) {
  int rc = enter_table(c, src, f, depth);
  if (rc) return rc;
  size_t n = src->as.array.count;
  rmt_value *items = NULL;
  if (c->emitting) {
    if (n && (items = take_values(&c->cur, n)) == NULL) return internal_error(c);
    *dst = rmt_array(items, n);
  } else {
    if (n && src->as.array.items == NULL)
      return rmt__path_error(c->err, RMT_EINVAL, f, "array with NULL items");
    c->nvalues += n;
  }
  for (size_t i = 0; i < n; i++) {
    rmt__frame cf = {f, src->as.array.items, RMT__SEG_INDEX, i + 1, NULL};
    if ((rc = norm_value(c, &src->as.array.items[i], items ? &items[i] : NULL, &cf, depth + 1)))
      return rc;
  }
  return 0;
}

/* Per-table scratch: small tables use the C stack, big ones the allocator. */
typedef struct scratch {
  void *mem;
  size_t size;
  const rmt_allocator *alloc;
  alignas(max_align_t) unsigned char local[512];
} scratch;

static void *scratch_get(scratch *s, const rmt_allocator *alloc, size_t size) {
  s->alloc = alloc;
  s->size = size;
  if (size <= sizeof s->local) {
    s->mem = s->local;
    return s->mem;
  }
  s->mem = rmt__alloc(alloc, size);
  return s->mem;
}

static void scratch_release(scratch *s) {
  if (s->mem && s->mem != (void *)s->local) rmt__free(s->alloc, s->mem, s->size);
  s->mem = NULL;
}

/* A key Lua would store in a table's array part: a positive integer below 2^53. */
static int is_positive_integer(const rmt_value *k) {
  if (k->type != RMT_TNUMBER) return 0;
  double d = k->as.number;
  return d >= 1.0 && d < 9007199254740992.0 && d == floor(d);
}

/* 1-based Lua array index of a key, or 0 when the key is not a positive integer <= max. */
static size_t array_index(const rmt_value *k, size_t max) {
  if (!is_positive_integer(k) || k->as.number > (double)max) return 0;
  return (size_t)k->as.number;
}

typedef struct key_entry {
  const char *ptr;
  size_t len;
  size_t order;
} key_entry;

static int key_entry_cmp(const void *pa, const void *pb) {
  const key_entry *a = pa, *b = pb;
  if (a->len != b->len) return a->len < b->len ? -1 : 1;
  int m = a->len ? memcmp(a->ptr, b->ptr, a->len) : 0;
  if (m) return m;
  return a->order < b->order ? -1 : a->order > b->order;
}

/* Marks in keep[] which pairs survive as dictionary entries, warning about each converted,
 * dropped or duplicated key. `converted` counts keys that are not strings. */
static int plan_dict(norm_ctx *c, const rmt_value *t, const rmt__frame *f, unsigned char *keep,
                     size_t *kept) {
  size_t n = t->as.table.count, converted = 0;
  const void *id = rmt__table_id(t);
  int rc;
  *kept = 0;
  for (size_t i = 0; i < n; i++) {
    const rmt_pair *p = &t->as.table.pairs[i];
    rmt__frame cf = {f, id, RMT__SEG_KEY, 0, &p->key};
    keep[i] = 0;
    if (p->value.type == RMT_TNIL) continue; /* absent in Lua terms, nothing lost */
    if (p->value.type == RMT_TFUNCTION) {
      if ((rc = lossy(c, &cf, "%s converted to nil, key dropped", loose_name(&p->value))))
        return rc;
      continue;
    }
    if (p->key.type == RMT_TSTRING) {
      keep[i] = 1;
      continue;
    }
    char buf[KEY_TEXT_MAX];
    if (key_to_text(&p->key, buf, sizeof buf) == 0) {
      if ((rc = lossy(c, &cf, "%s key dropped (no string form)", value_name(&p->key))))
        return rc;
      continue;
    }
    if ((rc = lossy(c, &cf, "%s key converted to string \"%s\"", value_name(&p->key), buf)))
      return rc;
    keep[i] = 2;
    converted++;
  }
  if (converted == 0) {
    for (size_t i = 0; i < n; i++) *kept += keep[i] != 0;
    return 0;
  }
  /* Conversions can collide ("1" and 1, or 0.1+0.2 and 0.3): sort the final key texts and
   * keep the first occurrence of each in pair order, as one Lua assignment would win. */
  size_t nk = 0;
  for (size_t i = 0; i < n; i++) nk += keep[i] != 0;
  scratch es, ts;
  if (nk > SIZE_MAX / sizeof(key_entry) || converted > SIZE_MAX / KEY_TEXT_MAX)
    return rmt__seterr(c->err, RMT_ENOMEM, "table too large");
  key_entry *ents = scratch_get(&es, c->alloc, nk * sizeof(key_entry));
  char *texts = scratch_get(&ts, c->alloc, converted * KEY_TEXT_MAX);
  if (ents == NULL || texts == NULL) {
    scratch_release(&es);
    scratch_release(&ts);
    return rmt__seterr(c->err, RMT_ENOMEM, "out of memory converting keys");
  }
  size_t e = 0, tx = 0;
  for (size_t i = 0; i < n; i++) {
    const rmt_value *k = &t->as.table.pairs[i].key;
    if (keep[i] == 1) {
      ents[e++] = (key_entry){k->as.string.ptr, k->as.string.len, i};
    } else if (keep[i] == 2) {
      char *buf = texts + tx * KEY_TEXT_MAX;
      size_t len = key_to_text(k, buf, KEY_TEXT_MAX);
      ents[e++] = (key_entry){buf, len, i};
      tx++;
    }
  }
  qsort(ents, nk, sizeof *ents, key_entry_cmp);
  rc = 0;
  for (size_t j = 1; j < nk && rc == 0; j++) {
    if (ents[j].len == ents[j - 1].len &&
        (ents[j].len == 0 || memcmp(ents[j].ptr, ents[j - 1].ptr, ents[j].len) == 0)) {
      const rmt_pair *p = &t->as.table.pairs[ents[j].order];
      rmt__frame cf = {f, id, RMT__SEG_KEY, 0, &p->key};
      keep[ents[j].order] = 0;
      rc = lossy(c, &cf, "duplicate key after conversion to string, entry dropped");
    }
  }
  scratch_release(&es);
  scratch_release(&ts);
  if (rc) return rc;
  for (size_t i = 0; i < n; i++) *kept += keep[i] != 0;
  return 0;
}

static int emit_dict(norm_ctx *c, const rmt_value *t, rmt_value *dst, const rmt__frame *f,
                     uint32_t depth, const unsigned char *keep, size_t kept) {
  size_t n = t->as.table.count;
  const void *id = rmt__table_id(t);
  rmt_pair *pairs = NULL;
  int rc;
  if (c->emitting) {
    if (kept && (pairs = (rmt_pair *)take_values(&c->cur, 2 * kept)) == NULL)
      return internal_error(c);
    /* An empty Lua table is an empty array, whatever keys it lost on the way. */
    *dst = kept ? rmt_dict(pairs, kept) : rmt_array(NULL, 0);
  } else {
    c->nvalues += 2 * kept;
  }
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (!keep[i]) continue;
    const rmt_pair *p = &t->as.table.pairs[i];
    rmt__frame cf = {f, id, RMT__SEG_KEY, 0, &p->key};
    rmt_value *kdst = pairs ? &pairs[o].key : NULL, *vdst = pairs ? &pairs[o].value : NULL;
    if (p->key.type == RMT_TSTRING) {
      rc = norm_string(c, p->key.as.string.ptr, p->key.as.string.len, kdst, &cf, "key");
    } else {
      char buf[KEY_TEXT_MAX];
      size_t len = key_to_text(&p->key, buf, sizeof buf);
      rc = norm_string(c, buf, len, kdst, &cf, "key");
    }
    if (rc) return rc;
    if ((rc = norm_value(c, &p->value, vdst, &cf, depth + 1))) return rc;
    o++;
  }
  return 0;
}

static int norm_table(norm_ctx *c, const rmt_value *t, rmt_value *dst, const rmt__frame *f,
                      uint32_t depth) {
  int rc = enter_table(c, t, f, depth);
  if (rc) return rc;
  size_t m = t->as.table.count;
  if (m && t->as.table.pairs == NULL)
    return c->emitting ? internal_error(c)
                       : rmt__path_error(c->err, RMT_EINVAL, f, "table with NULL pairs");
  if (t->as.table.has_metatable && (rc = lossy(c, f, "metatable dropped"))) return rc;

  if (m > SIZE_MAX / sizeof(const rmt_pair *))
    return rmt__seterr(c->err, RMT_ENOMEM, "table too large");
  scratch s;
  const rmt_pair **slot = scratch_get(&s, c->alloc, m * sizeof *slot);
  if (m && slot == NULL) return rmt__seterr(c->err, RMT_ENOMEM, "out of memory converting table");
  for (size_t i = 0; i < m; i++) slot[i] = NULL;
  for (size_t i = 0; i < m; i++) {
    const rmt_pair *p = &t->as.table.pairs[i];
    size_t k = array_index(&p->key, m);
    if (k && p->value.type != RMT_TNIL && slot[k - 1] == NULL) slot[k - 1] = p;
  }
  size_t n = 0;
  while (n < m && slot[n]) n++;

  if (n > 0) {
    /* Array part 1..n up to the first hole; everything else is dropped as Roblox does. */
    size_t dict_dropped = 0, sparse_dropped = 0;
    for (size_t i = 0; i < m; i++) {
      const rmt_pair *p = &t->as.table.pairs[i];
      if (p->value.type == RMT_TNIL) continue;
      size_t k = array_index(&p->key, n);
      if (k && slot[k - 1] == p) continue;
      if (is_positive_integer(&p->key) && p->key.as.number > (double)n)
        sparse_dropped++;
      else
        dict_dropped++;
    }
    if (dict_dropped && (rc = lossy(c, f, "mixed table, dictionary keys dropped"))) goto out;
    if (sparse_dropped &&
        (rc = lossy(c, f, "sparse array, elements after index %zu dropped", n)))
      goto out;
    rmt_value *items = NULL;
    if (c->emitting) {
      if ((items = take_values(&c->cur, n)) == NULL) {
        rc = internal_error(c);
        goto out;
      }
      *dst = rmt_array(items, n);
    } else {
      c->nvalues += n;
    }
    const void *id = rmt__table_id(t);
    for (size_t i = 0; i < n; i++) {
      rmt__frame cf = {f, id, RMT__SEG_INDEX, i + 1, NULL};
      if ((rc = norm_value(c, &slot[i]->value, items ? &items[i] : NULL, &cf, depth + 1)))
        goto out;
    }
    rc = 0;
    goto out;
  }
  /* No array part: a dictionary. `slot` is no longer needed; reuse it as keep flags. */
  {
    unsigned char *keep = (unsigned char *)slot;
    size_t kept;
    if ((rc = plan_dict(c, t, f, keep, &kept))) goto out;
    rc = emit_dict(c, t, dst, f, depth, keep, kept);
  }
out:
  scratch_release(&s);
  return rc;
}

/* Datatypes are strict already (nothing about them is lossy); they are checked, and a list
 * kind's parts copied, like any other value. */
static int norm_datatype(norm_ctx *c, const rmt_value *src, rmt_value *dst, const rmt__frame *f,
                         uint32_t depth) {
  if (!c->emitting) {
    char msg[160];
    if (rmt__datatype_check(src, msg, sizeof msg))
      return rmt__path_error(c->err, RMT_EINVAL, f, "%s", msg);
  }
  if (src->type == RMT_TENUM) {
    if (!c->emitting) {
      c->nbytes += src->as.enumitem.len + 1;
      return 0;
    }
    const char *s = take_string(&c->cur, src->as.enumitem.name, src->as.enumitem.len);
    if (s == NULL) return internal_error(c);
    *dst = *src;
    dst->as.enumitem.name = s;
    return 0;
  }
  if (dst) *dst = *src;
  if (!rmt__datatype_is_list(src->as.datatype.kind)) return 0;
  uint32_t n = src->as.datatype.count;
  rmt_value *items = NULL;
  if (c->emitting) {
    if (n && (items = take_values(&c->cur, n)) == NULL) return internal_error(c);
    dst->as.datatype.u.items = items;
  } else {
    c->nvalues += n;
  }
  for (uint32_t i = 0; i < n; i++) {
    rmt__frame cf = {f, src->as.datatype.u.items, RMT__SEG_INDEX, (size_t)i + 1, NULL};
    int rc = norm_value(c, &src->as.datatype.u.items[i], items ? &items[i] : NULL, &cf, depth);
    if (rc) return rc;
  }
  return 0;
}

static int norm_value(norm_ctx *c, const rmt_value *src, rmt_value *dst, const rmt__frame *f,
                      uint32_t depth) {
  int rc = count_element(c, f);
  if (rc) return rc;
  switch (src->type) {
  case RMT_TNIL:
  case RMT_TBOOLEAN:
  case RMT_TNUMBER:
  case RMT_TVECTOR3:
  case RMT_TCFRAME:
  case RMT_TCOLOR3:
  case RMT_TPLAYER:
    if (dst) *dst = *src;
    return 0;
  case RMT_TSTRING: return norm_string(c, src->as.string.ptr, src->as.string.len, dst, f, "string");
  case RMT_TBUFFER: {
    int brc = norm_string(c, src->as.string.ptr, src->as.string.len, dst, f, "buffer");
    if (brc == 0 && c->emitting) dst->type = RMT_TBUFFER;
    return brc;
  }
  case RMT_TFUNCTION:
    if (dst) *dst = rmt_nil();
    return lossy(c, f, "%s converted to nil", loose_name(src));
  case RMT_TARRAY: return norm_strict_array(c, src, dst, f, depth);
  case RMT_TDICT:
  case RMT_TTABLE: return norm_table(c, src, dst, f, depth);
  case RMT_TENUM:
  case RMT_TDATATYPE: return norm_datatype(c, src, dst, f, depth);
  default:
    return rmt__path_error(c->err, RMT_EINVAL, f, "invalid value type %d", (int)src->type);
  }
}

int rmt_values_normalize(const rmt_value *args, size_t nargs, rmt_convert_mode mode,
                         const rmt_limits *limits, const rmt_allocator *alloc,
                         rmt_warn_fn warn, void *warn_ud, rmt_value **out, rmt_error *err) {
  if (out == NULL) return rmt__seterr(err, RMT_EINVAL, "NULL out");
  *out = NULL;
  if (nargs && args == NULL) return rmt__seterr(err, RMT_EINVAL, "NULL argument list");
  if (mode != RMT_CONVERT_STRICT && mode != RMT_CONVERT_LOSSY)
    return rmt__seterr(err, RMT_EINVAL, "unknown conversion mode %d", (int)mode);
  norm_ctx c;
  memset(&c, 0, sizeof c);
  rmt__limits_resolve(limits, &c.lim);
  c.mode = mode;
  c.warn = warn;
  c.warn_ud = warn_ud;
  c.err = err;
  c.alloc = alloc;
  int rc;
  if (c.lim.max_args && nargs > c.lim.max_args)
    return rmt__seterr(err, RMT_ELIMIT, "%zu arguments, more than max_args %u", nargs,
                       (unsigned)c.lim.max_args);
  for (size_t i = 0; i < nargs; i++) {
    rmt__frame f = {NULL, NULL, RMT__SEG_ARG, i + 1, NULL};
    if ((rc = norm_value(&c, &args[i], NULL, &f, 0))) return rc;
  }
  if (nargs == 0) {
    rmt__clearerr(err);
    return 0;
  }
  rmt_value *block = NULL;
  if ((rc = block_alloc(alloc, nargs, c.nvalues, c.nbytes, &block, &c.cur, err))) return rc;
  c.emitting = 1;
  for (size_t i = 0; i < nargs; i++) {
    rmt__frame f = {NULL, NULL, RMT__SEG_ARG, i + 1, NULL};
    if ((rc = norm_value(&c, &args[i], &block[i], &f, 0))) {
      rmt_values_free(block, alloc);
      return rc;
    }
  }
  *out = block;
  rmt__clearerr(err);
  return 0;
}
