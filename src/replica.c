/* replica.c - the replicated instance tree: building it, coalescing the server's changes
 * into messages, and applying them on a client. Never touches sockets or sessions; a
 * hostile message can only be refused, never leave the client's tree inconsistent. */
#include "replica.h"

#include <stdio.h>
#include <string.h>

#define MAX_NAME 100

void rmt__tree_init(rmt_tree *t, const rmt_allocator *a) {
  memset(t, 0, sizeof *t);
  t->alloc = a;
  t->by_id.alloc = a;
  t->next_id = 1;
}

static char *dup_str(const rmt_allocator *a, const char *s, size_t len) {
  char *d = rmt__alloc(a, len + 1);
  if (!d) return NULL;
  memcpy(d, s, len);
  d[len] = 0;
  return d;
}

static void free_str(const rmt_allocator *a, char *s) {
  if (s) rmt__free(a, s, strlen(s) + 1);
}

static void free_inst(rmt_tree *t, rmt_inst *inst) {
  const rmt_allocator *a = t->alloc;
  free_str(a, inst->class_name);
  free_str(a, inst->name);
  rmt_values_free(inst->value, a);
  for (size_t i = 0; i < inst->nattrs; i++) {
    free_str(a, inst->attrs[i].name);
    rmt_values_free(inst->attrs[i].value, a);
  }
  rmt__free(a, inst->attrs, inst->cap_attrs * sizeof *inst->attrs);
  for (size_t i = 0; i < inst->ntags; i++) free_str(a, inst->tags[i]);
  rmt__free(a, inst->tags, inst->cap_tags * sizeof *inst->tags);
  rmt__free(a, inst->children, inst->cap_children * sizeof *inst->children);
  rmt__free(a, inst, sizeof *inst);
}

void rmt__tree_free(rmt_tree *t) {
  for (size_t i = 0; i < t->by_id.cap; i++)
    if (t->by_id.keys[i]) free_inst(t, t->by_id.vals[i]);
  rmt__idmap_free(&t->by_id);
  rmt__free(t->alloc, t->roots, t->cap_roots * sizeof *t->roots);
  rmt__free(t->alloc, t->ops, t->cap_ops * sizeof *t->ops);
  memset(t, 0, sizeof *t);
}

rmt_inst *rmt__tree_get(const rmt_tree *t, rmt_instance_id id) {
  return rmt__idmap_get(&t->by_id, id);
}

/* ---- child lists ---- */

static int list_add(const rmt_allocator *a, rmt_instance_id **list, size_t *n, size_t *cap,
                    rmt_instance_id id) {
  if (*n == *cap) {
    size_t ncap = *cap ? *cap * 2 : 4;
    rmt_instance_id *l = rmt__realloc(a, *list, *cap * sizeof *l, ncap * sizeof *l);
    if (!l) return RMT_ENOMEM;
    *list = l;
    *cap = ncap;
  }
  (*list)[(*n)++] = id;
  return RMT_OK;
}

static void list_remove(rmt_instance_id *list, size_t *n, rmt_instance_id id) {
  for (size_t i = 0; i < *n; i++)
    if (list[i] == id) {
      memmove(list + i, list + i + 1, (*n - i - 1) * sizeof *list);
      (*n)--;
      return;
    }
}

static int link_child(rmt_tree *t, rmt_instance_id parent, rmt_instance_id id) {
  if (!parent) return list_add(t->alloc, &t->roots, &t->nroots, &t->cap_roots, id);
  rmt_inst *p = rmt__tree_get(t, parent);
  if (!p) return RMT_ENOTFOUND;
  return list_add(t->alloc, &p->children, &p->nchildren, &p->cap_children, id);
}

static void unlink_child(rmt_tree *t, rmt_instance_id parent, rmt_instance_id id) {
  if (!parent) {
    list_remove(t->roots, &t->nroots, id);
    return;
  }
  rmt_inst *p = rmt__tree_get(t, parent);
  if (p) list_remove(p->children, &p->nchildren, id);
}

const rmt_instance_id *rmt__tree_children(const rmt_tree *t, rmt_instance_id id, size_t *n) {
  if (!id) {
    *n = t->nroots;
    return t->roots;
  }
  rmt_inst *inst = rmt__tree_get(t, id);
  *n = inst ? inst->nchildren : 0;
  return inst ? inst->children : NULL;
}

rmt_instance_id rmt__tree_find_child(const rmt_tree *t, rmt_instance_id parent, const char *name,
                                     size_t len) {
  size_t n;
  const rmt_instance_id *ids = rmt__tree_children(t, parent, &n);
  for (size_t i = 0; i < n; i++) { /* creation order: the first match, as FindFirstChild */
    const rmt_inst *c = rmt__tree_get(t, ids[i]);
    if (c && strlen(c->name) == len && memcmp(c->name, name, len) == 0) return c->id;
  }
  return 0;
}

rmt_instance_id rmt__tree_find_path(const rmt_tree *t, rmt_instance_id from, const char *path) {
  if (!path || !*path) return 0;
  rmt_instance_id at = from;
  for (const char *seg = path;;) {
    const char *dot = strchr(seg, '.');
    size_t len = dot ? (size_t)(dot - seg) : strlen(seg);
    if (len == 0) return 0; /* "a..b", ".a", "a." name nothing */
    at = rmt__tree_find_child(t, at, seg, len);
    if (!at || !dot) return at;
    seg = dot + 1;
  }
}

/* ---- building ---- */

int rmt__tree_create(rmt_tree *t, rmt_instance_id id, rmt_instance_id parent,
                     const char *class_name, size_t class_len, const char *name,
                     size_t name_len, rmt_inst **out) {
  if (!id || rmt__tree_get(t, id)) return RMT_EEXIST;
  if (parent && !rmt__tree_get(t, parent)) return RMT_ENOTFOUND;
  if (!class_len || class_len > MAX_NAME || name_len > MAX_NAME) return RMT_EINVAL;
  rmt_inst *inst = rmt__alloc(t->alloc, sizeof *inst);
  if (!inst) return RMT_ENOMEM;
  memset(inst, 0, sizeof *inst);
  inst->id = id;
  inst->parent = parent;
  inst->class_name = dup_str(t->alloc, class_name, class_len);
  inst->name = dup_str(t->alloc, name, name_len);
  if (!inst->class_name || !inst->name || rmt__idmap_put(&t->by_id, id, inst)) {
    free_inst(t, inst);
    return RMT_ENOMEM;
  }
  if (link_child(t, parent, id)) {
    rmt__idmap_del(&t->by_id, id);
    free_inst(t, inst);
    return RMT_ENOMEM;
  }
  if (out) *out = inst;
  return RMT_OK;
}

int rmt__tree_is_ancestor(const rmt_tree *t, rmt_instance_id ancestor, rmt_instance_id id) {
  /* Depth is bounded by the number of instances; a cycle cannot exist (set_parent refuses). */
  while (id) {
    if (id == ancestor) return 1;
    rmt_inst *inst = rmt__tree_get(t, id);
    if (!inst) return 0;
    id = inst->parent;
  }
  return 0;
}

int rmt__tree_set_parent(rmt_tree *t, rmt_inst *inst, rmt_instance_id parent) {
  if (parent == inst->parent) return RMT_OK;
  if (parent && !rmt__tree_get(t, parent)) return RMT_ENOTFOUND;
  if (parent && rmt__tree_is_ancestor(t, inst->id, parent)) return RMT_EINVAL;
  int rc = link_child(t, parent, inst->id);
  if (rc) return rc;
  unlink_child(t, inst->parent, inst->id);
  inst->parent = parent;
  return RMT_OK;
}

int rmt__tree_set_name(rmt_tree *t, rmt_inst *inst, const char *name, size_t len) {
  if (len > MAX_NAME) return RMT_EINVAL;
  char *n = dup_str(t->alloc, name, len);
  if (!n) return RMT_ENOMEM;
  free_str(t->alloc, inst->name);
  inst->name = n;
  return RMT_OK;
}

int rmt__tree_set_value(rmt_tree *t, rmt_inst *inst, const rmt_value *value, rmt_error *err) {
  rmt_value *copy = NULL;
  if (value) {
    int rc = rmt_values_copy(value, 1, t->alloc, &copy, err);
    if (rc) return rc;
  }
  rmt_values_free(inst->value, t->alloc);
  inst->value = copy;
  return RMT_OK;
}

static rmt_attr *find_attr(const rmt_inst *inst, const char *name, size_t len) {
  for (size_t i = 0; i < inst->nattrs; i++)
    if (strlen(inst->attrs[i].name) == len && memcmp(inst->attrs[i].name, name, len) == 0)
      return &inst->attrs[i];
  return NULL;
}

const rmt_value *rmt__tree_get_attr(const rmt_inst *inst, const char *name, size_t len) {
  rmt_attr *at = find_attr(inst, name, len);
  return at ? at->value : NULL;
}

int rmt__tree_set_attr(rmt_tree *t, rmt_inst *inst, const char *name, size_t len,
                       const rmt_value *value, rmt_error *err) {
  if (!len || len > MAX_NAME) return rmt__seterr(err, RMT_EINVAL, "attribute names are 1..100 bytes");
  rmt_attr *at = find_attr(inst, name, len);
  if (!value) {
    if (at) {
      free_str(t->alloc, at->name);
      rmt_values_free(at->value, t->alloc);
      size_t i = (size_t)(at - inst->attrs);
      memmove(inst->attrs + i, inst->attrs + i + 1, (inst->nattrs - i - 1) * sizeof *at);
      inst->nattrs--;
    }
    return RMT_OK;
  }
  rmt_value *copy;
  int rc = rmt_values_copy(value, 1, t->alloc, &copy, err);
  if (rc) return rc;
  if (at) {
    rmt_values_free(at->value, t->alloc);
    at->value = copy;
    return RMT_OK;
  }
  if (inst->nattrs == inst->cap_attrs) {
    size_t ncap = inst->cap_attrs ? inst->cap_attrs * 2 : 2;
    rmt_attr *n = rmt__realloc(t->alloc, inst->attrs, inst->cap_attrs * sizeof *n, ncap * sizeof *n);
    if (!n) {
      rmt_values_free(copy, t->alloc);
      return rmt__seterr(err, RMT_ENOMEM, "out of memory");
    }
    inst->attrs = n;
    inst->cap_attrs = ncap;
  }
  char *nm = dup_str(t->alloc, name, len);
  if (!nm) {
    rmt_values_free(copy, t->alloc);
    return rmt__seterr(err, RMT_ENOMEM, "out of memory");
  }
  inst->attrs[inst->nattrs++] = (rmt_attr){nm, copy};
  return RMT_OK;
}

static size_t find_tag(const rmt_inst *inst, const char *tag, size_t len) {
  for (size_t i = 0; i < inst->ntags; i++)
    if (strlen(inst->tags[i]) == len && memcmp(inst->tags[i], tag, len) == 0) return i;
  return (size_t)-1;
}

int rmt__tree_has_tag(const rmt_inst *inst, const char *tag, size_t len) {
  return find_tag(inst, tag, len) != (size_t)-1;
}

int rmt__tree_add_tag(rmt_tree *t, rmt_inst *inst, const char *tag, size_t len, int *changed) {
  if (changed) *changed = 0;
  if (!len || len > RMT_MAX_TAG_LEN || memchr(tag, 0, len)) return RMT_EINVAL;
  if (rmt__tree_has_tag(inst, tag, len)) return RMT_OK;
  if (inst->ntags >= RMT_MAX_TAGS) return RMT_ELIMIT;
  if (inst->ntags == inst->cap_tags) {
    size_t ncap = inst->cap_tags ? inst->cap_tags * 2 : 2;
    if (ncap > RMT_MAX_TAGS) ncap = RMT_MAX_TAGS;
    char **n = rmt__realloc(t->alloc, inst->tags, inst->cap_tags * sizeof *n, ncap * sizeof *n);
    if (!n) return RMT_ENOMEM;
    inst->tags = n;
    inst->cap_tags = ncap;
  }
  char *d = dup_str(t->alloc, tag, len);
  if (!d) return RMT_ENOMEM;
  inst->tags[inst->ntags++] = d;
  if (changed) *changed = 1;
  return RMT_OK;
}

int rmt__tree_remove_tag(rmt_tree *t, rmt_inst *inst, const char *tag, size_t len, int *changed) {
  if (changed) *changed = 0;
  if (!len || len > RMT_MAX_TAG_LEN) return RMT_EINVAL;
  size_t i = find_tag(inst, tag, len);
  if (i == (size_t)-1) return RMT_OK;
  free_str(t->alloc, inst->tags[i]);
  memmove(inst->tags + i, inst->tags + i + 1, (inst->ntags - i - 1) * sizeof *inst->tags);
  inst->ntags--;
  if (changed) *changed = 1;
  return RMT_OK;
}

static void destroy_rec(rmt_tree *t, rmt_inst *inst, void (*each)(void *, rmt_inst *), void *ud) {
  while (inst->nchildren) {
    rmt_inst *child = rmt__tree_get(t, inst->children[inst->nchildren - 1]);
    if (!child) {
      inst->nchildren--;
      continue;
    }
    destroy_rec(t, child, each, ud);
  }
  if (each) each(ud, inst);
  unlink_child(t, inst->parent, inst->id);
  rmt__idmap_del(&t->by_id, inst->id);
  free_inst(t, inst);
}

void rmt__tree_destroy(rmt_tree *t, rmt_inst *inst, void (*each)(void *ud, rmt_inst *inst),
                       void *ud) {
  destroy_rec(t, inst, each, ud);
}

void rmt__tree_info(const rmt_inst *inst, rmt_instance_info *out) {
  out->id = inst->id;
  out->parent = inst->parent;
  out->class_name = inst->class_name;
  out->name = inst->name;
  out->value = inst->value;
  out->player = inst->player;
  out->nattributes = inst->nattrs;
  out->ntags = inst->ntags;
}

/* ---- server: coalescing and flushing ---- */

static int push_op(rmt_tree *t, rmt_instance_id id, int destroy) {
  if (t->nops == t->cap_ops) {
    size_t ncap = t->cap_ops ? t->cap_ops * 2 : 16;
    rmt_repl_entry *o = rmt__realloc(t->alloc, t->ops, t->cap_ops * sizeof *o, ncap * sizeof *o);
    if (!o) return RMT_ENOMEM;
    t->ops = o;
    t->cap_ops = ncap;
  }
  t->ops[t->nops++] = (rmt_repl_entry){id, destroy};
  return RMT_OK;
}

int rmt__tree_mark(rmt_tree *t, rmt_inst *inst, uint8_t dirty) {
  inst->dirty |= dirty;
  if (inst->queued) return RMT_OK;
  int rc = push_op(t, inst->id, 0);
  if (!rc) inst->queued = 1;
  return rc;
}

int rmt__tree_mark_destroyed(rmt_tree *t, rmt_instance_id id) { return push_op(t, id, 1); }

/* A value travels as a length-prefixed argument list of one, so it can be skipped. */
static int put_value(rmt_buf *out, const rmt_value *v) {
  size_t at;
  int rc = rmt__lp_begin(out, &at);
  if (!rc && (rc = rmt_encode(out, v, 1, NULL, NULL))) out->len = at;
  return rc ? rc : rmt__lp_end(out, at);
}

static int put_attrs(rmt_buf *b, const rmt_inst *inst) {
  int rc = rmt__put_varint(b, inst->nattrs);
  for (size_t i = 0; !rc && i < inst->nattrs; i++) {
    rc = rmt__put_lstr(b, inst->attrs[i].name, strlen(inst->attrs[i].name));
    if (!rc) rc = put_value(b, inst->attrs[i].value);
  }
  return rc;
}

static int put_tags(rmt_buf *b, const rmt_inst *inst) {
  int rc = rmt__put_varint(b, inst->ntags);
  for (size_t i = 0; !rc && i < inst->ntags; i++)
    rc = rmt__put_lstr(b, inst->tags[i], strlen(inst->tags[i]));
  return rc;
}

static int put_create(rmt_buf *out, const rmt_inst *inst) {
  rmt_msg_mark mark;
  int rc = rmt__msg_begin(out, RMT_MSG_REPL, inst->id, NULL, 0, &mark);
  if (rc) return rc;
  uint8_t op = RMT_REPL_CREATE, has_value = inst->value != NULL;
  rc = rmt_buf_append(out, &op, 1);
  if (!rc) rc = rmt__put_varint(out, inst->parent);
  if (!rc) rc = rmt__put_varint(out, inst->player);
  if (!rc) rc = rmt__put_lstr(out, inst->class_name, strlen(inst->class_name));
  if (!rc) rc = rmt__put_lstr(out, inst->name, strlen(inst->name));
  if (!rc) rc = rmt_buf_append(out, &has_value, 1);
  if (!rc && has_value) rc = put_value(out, inst->value);
  if (!rc) rc = put_attrs(out, inst);
  if (!rc) rc = put_tags(out, inst);
  if (rc) {
    rmt__msg_abort(out, &mark);
    return rc;
  }
  return rmt__msg_end(out, &mark);
}

static int put_change(rmt_buf *out, const rmt_inst *inst, rmt_repl_op op) {
  rmt_msg_mark mark;
  int rc = rmt__msg_begin(out, RMT_MSG_REPL, inst->id, NULL, 0, &mark);
  if (rc) return rc;
  uint8_t opb = (uint8_t)op;
  rc = rmt_buf_append(out, &opb, 1);
  if (!rc) switch (op) {
    case RMT_REPL_VALUE: {
      uint8_t has = inst->value != NULL;
      rc = rmt_buf_append(out, &has, 1);
      if (!rc && has) rc = put_value(out, inst->value);
      break;
    }
    case RMT_REPL_NAME: rc = rmt__put_lstr(out, inst->name, strlen(inst->name)); break;
    case RMT_REPL_PARENT: rc = rmt__put_varint(out, inst->parent); break;
    case RMT_REPL_ATTRS: rc = put_attrs(out, inst); break;
    case RMT_REPL_TAGS: rc = put_tags(out, inst); break;
    default: break;
    }
  if (rc) {
    rmt__msg_abort(out, &mark);
    return rc;
  }
  return rmt__msg_end(out, &mark);
}

/* Parents are created on clients before anything that refers to them. */
static int ensure_sent(rmt_tree *t, rmt_inst *inst, rmt_buf *out) {
  if (inst->sent) return RMT_OK;
  if (inst->parent) {
    rmt_inst *p = rmt__tree_get(t, inst->parent);
    int rc = p ? ensure_sent(t, p, out) : RMT_OK;
    if (rc) return rc;
  }
  int rc = put_create(out, inst);
  if (rc) return rc;
  inst->sent = 1;
  inst->dirty = 0;
  return RMT_OK;
}

int rmt__tree_flush(rmt_tree *t, rmt_buf *out) {
  int rc = RMT_OK;
  for (size_t i = 0; !rc && i < t->nops; i++) {
    rmt_repl_entry e = t->ops[i];
    if (e.destroy) {
      rmt_msg_mark mark;
      uint8_t op = RMT_REPL_DESTROY;
      rc = rmt__msg_begin(out, RMT_MSG_REPL, e.id, NULL, 0, &mark);
      if (!rc) rc = rmt_buf_append(out, &op, 1);
      if (!rc) rc = rmt__msg_end(out, &mark);
      continue;
    }
    rmt_inst *inst = rmt__tree_get(t, e.id);
    if (!inst) continue; /* destroyed since; its DESTROY (if it was sent) follows */
    inst->queued = 0;
    if (!inst->sent) {
      rc = ensure_sent(t, inst, out);
      continue;
    }
    if (inst->dirty & RMT_DIRTY_PARENT) {
      rmt_inst *p = rmt__tree_get(t, inst->parent);
      if (p) rc = ensure_sent(t, p, out);
      if (!rc) rc = put_change(out, inst, RMT_REPL_PARENT);
    }
    if (!rc && (inst->dirty & RMT_DIRTY_NAME)) rc = put_change(out, inst, RMT_REPL_NAME);
    if (!rc && (inst->dirty & RMT_DIRTY_VALUE)) rc = put_change(out, inst, RMT_REPL_VALUE);
    if (!rc && (inst->dirty & RMT_DIRTY_ATTRS)) rc = put_change(out, inst, RMT_REPL_ATTRS);
    if (!rc && (inst->dirty & RMT_DIRTY_TAGS)) rc = put_change(out, inst, RMT_REPL_TAGS);
    inst->dirty = 0;
  }
  t->nops = 0;
  return rc;
}

static int snapshot_rec(const rmt_tree *t, const rmt_instance_id *ids, size_t n, rmt_buf *out) {
  for (size_t i = 0; i < n; i++) {
    rmt_inst *inst = rmt__tree_get(t, ids[i]);
    if (!inst || !inst->sent) continue;
    int rc = put_create(out, inst);
    if (!rc) rc = snapshot_rec(t, inst->children, inst->nchildren, out);
    if (rc) return rc;
  }
  return RMT_OK;
}

int rmt__tree_snapshot(const rmt_tree *t, rmt_buf *out) {
  return snapshot_rec(t, t->roots, t->nroots, out);
}

/* ---- client: applying ---- */

typedef struct apply_ctx {
  rmt_tree_event_fn fn;
  void *ud;
} apply_ctx;

static void on_destroying(void *ud, rmt_inst *inst) {
  apply_ctx *c = ud;
  if (c->fn) c->fn(c->ud, RMT_REPLICA_DESTROYING, inst->id, NULL);
}

/* Reads a length-prefixed value; NULL value with ok = 1 never happens (has flags do). */
static int read_value(rmt_reader *r, rmt_arena *arena, const rmt_limits *limits, rmt_value **v) {
  size_t len;
  const uint8_t *p = rmt__get_lstr(r, limits->max_bytes, &len);
  if (r->bad) return RMT_EDECODE;
  size_t n;
  int rc = rmt_decode(arena, p, len, limits, v, &n, NULL);
  if (rc) return rc;
  return n == 1 ? RMT_OK : RMT_EDECODE;
}

typedef struct attr_in {
  const char *name;
  size_t len;
  rmt_value *value;
} attr_in;

/* Parses an attribute set into the arena (so nothing changes if it turns out malformed). */
static int read_attrs(rmt_reader *r, rmt_arena *arena, const rmt_limits *limits, attr_in **out,
                      size_t *n) {
  uint64_t count = rmt__get_varint(r);
  if (r->bad || count > r->len - r->off) return RMT_EDECODE;
  attr_in *a = count ? rmt_arena_alloc(arena, (size_t)count * sizeof *a) : NULL;
  if (count && !a) return RMT_ENOMEM;
  for (uint64_t i = 0; i < count; i++) {
    const uint8_t *nm = rmt__get_lstr(r, MAX_NAME, &a[i].len);
    if (r->bad || !a[i].len) return RMT_EDECODE;
    a[i].name = (const char *)nm;
    int rc = read_value(r, arena, limits, &a[i].value);
    if (rc) return rc;
  }
  *out = a;
  *n = (size_t)count;
  return RMT_OK;
}

typedef struct tag_in {
  const char *name;
  size_t len;
} tag_in;

/* Parses a tag set, refusing what the server would never send: more than RMT_MAX_TAGS,
 * an empty or over-long name, a NUL inside one, or the same tag twice. */
static int read_tags(rmt_reader *r, rmt_arena *arena, tag_in **out, size_t *n) {
  uint64_t count = rmt__get_varint(r);
  if (r->bad || count > RMT_MAX_TAGS || count > r->len - r->off) return RMT_EDECODE;
  tag_in *a = count ? rmt_arena_alloc(arena, (size_t)count * sizeof *a) : NULL;
  if (count && !a) return RMT_ENOMEM;
  for (uint64_t i = 0; i < count; i++) {
    const uint8_t *nm = rmt__get_lstr(r, RMT_MAX_TAG_LEN, &a[i].len);
    if (r->bad || !a[i].len || memchr(nm, 0, a[i].len)) return RMT_EDECODE;
    a[i].name = (const char *)nm;
    for (uint64_t k = 0; k < i; k++)
      if (a[k].len == a[i].len && memcmp(a[k].name, a[i].name, a[i].len) == 0) return RMT_EDECODE;
  }
  *out = a;
  *n = (size_t)count;
  return RMT_OK;
}

/* Replaces inst's tags with `in`, reporting each tag that went, then each that came. */
static int apply_tags(rmt_tree *t, rmt_inst *inst, const tag_in *in, size_t n, apply_ctx *c) {
  char name[RMT_MAX_TAG_LEN + 1];
  for (size_t i = inst->ntags; i-- > 0;) {
    const char *have = inst->tags[i];
    int keep = 0;
    for (size_t k = 0; k < n && !keep; k++)
      keep = strlen(have) == in[k].len && memcmp(have, in[k].name, in[k].len) == 0;
    if (keep) continue;
    snprintf(name, sizeof name, "%s", have);
    rmt__tree_remove_tag(t, inst, name, strlen(name), NULL);
    if (c->fn) c->fn(c->ud, RMT_REPLICA_TAG_REMOVED, inst->id, name);
  }
  for (size_t k = 0; k < n; k++) {
    int changed;
    int rc = rmt__tree_add_tag(t, inst, in[k].name, in[k].len, &changed);
    if (rc) return rc;
    if (!changed) continue;
    memcpy(name, in[k].name, in[k].len);
    name[in[k].len] = 0;
    if (c->fn) c->fn(c->ud, RMT_REPLICA_TAG_ADDED, inst->id, name);
  }
  return RMT_OK;
}

/* Replaces inst's attributes with `in`, reporting each name that changed or went. */
static int apply_attrs(rmt_tree *t, rmt_inst *inst, attr_in *in, size_t n, apply_ctx *c) {
  char name[MAX_NAME + 1];
  /* Gone first: names present now but absent from the new set. */
  for (size_t i = inst->nattrs; i-- > 0;) {
    const char *have = inst->attrs[i].name;
    int keep = 0;
    for (size_t k = 0; k < n && !keep; k++)
      keep = strlen(have) == in[k].len && memcmp(have, in[k].name, in[k].len) == 0;
    if (keep) continue;
    snprintf(name, sizeof name, "%s", have);
    rmt__tree_set_attr(t, inst, name, strlen(name), NULL, NULL);
    if (c->fn) c->fn(c->ud, RMT_REPLICA_ATTRIBUTE, inst->id, name);
  }
  for (size_t k = 0; k < n; k++) {
    const rmt_value *old = rmt__tree_get_attr(inst, in[k].name, in[k].len);
    if (old && rmt_value_equal(old, in[k].value)) continue;
    int rc = rmt__tree_set_attr(t, inst, in[k].name, in[k].len, in[k].value, NULL);
    if (rc) return rc;
    memcpy(name, in[k].name, in[k].len);
    name[in[k].len] = 0;
    if (c->fn) c->fn(c->ud, RMT_REPLICA_ATTRIBUTE, inst->id, name);
  }
  return RMT_OK;
}

int rmt__tree_apply(rmt_tree *t, const rmt_msg *m, rmt_arena *arena, const rmt_limits *limits,
                    rmt_tree_event_fn fn, void *ud) {
  rmt_reader r = {m->body, m->body_len, 0, 0};
  apply_ctx c = {fn, ud};
  if (r.len < 1) return RMT_EDECODE;
  uint8_t op = m->body[r.off++];
  rmt_inst *inst = rmt__tree_get(t, m->id);
  rmt_arena_reset(arena);
  switch (op) {
  case RMT_REPL_CREATE: {
    rmt_instance_id parent = (rmt_instance_id)rmt__get_varint(&r);
    rmt_player_id player = (rmt_player_id)rmt__get_varint(&r);
    size_t class_len, name_len;
    const uint8_t *cls = rmt__get_lstr(&r, MAX_NAME, &class_len);
    const uint8_t *nm = rmt__get_lstr(&r, MAX_NAME, &name_len);
    if (r.bad || r.off >= r.len || inst || !class_len) return RMT_EDECODE;
    uint8_t has_value = m->body[r.off++];
    rmt_value *value = NULL;
    if (has_value > 1) return RMT_EDECODE;
    if (has_value && read_value(&r, arena, limits, &value)) return RMT_EDECODE;
    attr_in *attrs;
    size_t nattrs, ntags;
    tag_in *tags;
    if (read_attrs(&r, arena, limits, &attrs, &nattrs) || read_tags(&r, arena, &tags, &ntags) ||
        r.off != r.len)
      return RMT_EDECODE;
    if (parent && !rmt__tree_get(t, parent)) return RMT_EDECODE;
    int rc = rmt__tree_create(t, m->id, parent, (const char *)cls, class_len, (const char *)nm,
                              name_len, &inst);
    if (rc) return rc;
    inst->player = player;
    if (value) rc = rmt__tree_set_value(t, inst, value, NULL);
    for (size_t i = 0; !rc && i < nattrs; i++)
      rc = rmt__tree_set_attr(t, inst, attrs[i].name, attrs[i].len, attrs[i].value, NULL);
    for (size_t i = 0; !rc && i < ntags; i++)
      rc = rmt__tree_add_tag(t, inst, tags[i].name, tags[i].len, NULL);
    if (rc) {
      rmt__tree_destroy(t, inst, NULL, NULL);
      return rc;
    }
    if (fn) fn(ud, RMT_REPLICA_CREATED, inst->id, NULL);
    return RMT_OK;
  }
  case RMT_REPL_VALUE: {
    if (!inst || r.off >= r.len) return RMT_EDECODE;
    uint8_t has = m->body[r.off++];
    rmt_value *value = NULL;
    if (has > 1 || (has && read_value(&r, arena, limits, &value)) || r.off != r.len)
      return RMT_EDECODE;
    int rc = rmt__tree_set_value(t, inst, value, NULL);
    if (!rc && fn) fn(ud, RMT_REPLICA_VALUE, inst->id, NULL);
    return rc;
  }
  case RMT_REPL_NAME: {
    size_t len;
    const uint8_t *nm = rmt__get_lstr(&r, MAX_NAME, &len);
    if (!inst || r.bad || r.off != r.len) return RMT_EDECODE;
    int rc = rmt__tree_set_name(t, inst, (const char *)nm, len);
    if (!rc && fn) fn(ud, RMT_REPLICA_NAME, inst->id, NULL);
    return rc;
  }
  case RMT_REPL_PARENT: {
    rmt_instance_id parent = (rmt_instance_id)rmt__get_varint(&r);
    if (!inst || r.bad || r.off != r.len) return RMT_EDECODE;
    int rc = rmt__tree_set_parent(t, inst, parent);
    if (rc) return RMT_EDECODE; /* unknown parent or a cycle */
    if (fn) fn(ud, RMT_REPLICA_PARENT, inst->id, NULL);
    return RMT_OK;
  }
  case RMT_REPL_ATTRS: {
    attr_in *attrs;
    size_t n;
    if (!inst || read_attrs(&r, arena, limits, &attrs, &n) || r.off != r.len) return RMT_EDECODE;
    return apply_attrs(t, inst, attrs, n, &c);
  }
  case RMT_REPL_TAGS: {
    tag_in *tags;
    size_t n;
    if (!inst || read_tags(&r, arena, &tags, &n) || r.off != r.len) return RMT_EDECODE;
    return apply_tags(t, inst, tags, n, &c);
  }
  case RMT_REPL_DESTROY:
    if (!inst || r.off != r.len) return RMT_EDECODE;
    rmt__tree_destroy(t, inst, on_destroying, &c);
    return RMT_OK;
  default:
    return RMT_EDECODE;
  }
}
