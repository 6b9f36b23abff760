/* replica.h - the replicated instance tree both sides keep (the server's original, each
 * client's copy) and the wire form of its changes. Knows nothing of sockets or players'
 * sessions; the server decides when changes flush, the client only applies them. */
#ifndef RMT_REPLICA_H
#define RMT_REPLICA_H

#include "common.h"
#include "idmap.h"
#include "protocol.h"

typedef enum rmt_repl_op {
  RMT_REPL_CREATE = 1,  /* parent, player, class, name, value?, attributes */
  RMT_REPL_VALUE = 2,   /* value? */
  RMT_REPL_NAME = 3,    /* name */
  RMT_REPL_PARENT = 4,  /* parent */
  RMT_REPL_ATTRS = 5,   /* the whole attribute set */
  RMT_REPL_DESTROY = 6, /* the instance and its descendants */
  RMT_REPL_TAGS = 7     /* the whole tag set */
} rmt_repl_op;

enum {
  RMT_DIRTY_VALUE = 1,
  RMT_DIRTY_NAME = 2,
  RMT_DIRTY_PARENT = 4,
  RMT_DIRTY_ATTRS = 8,
  RMT_DIRTY_TAGS = 16
};

typedef struct rmt_attr {
  char *name;
  rmt_value *value; /* owned block of one value */
} rmt_attr;

typedef struct rmt_inst {
  rmt_instance_id id;
  rmt_instance_id parent;
  rmt_player_id player;
  char *class_name;
  char *name;
  rmt_value *value; /* owned block of one value, or NULL */
  rmt_attr *attrs;
  size_t nattrs, cap_attrs;
  char **tags; /* CollectionService tags, in the order they were added; at most RMT_MAX_TAGS */
  size_t ntags, cap_tags;
  rmt_instance_id *children; /* creation order */
  size_t nchildren, cap_children;
  uint8_t dirty;  /* server: RMT_DIRTY_* since the last flush */
  uint8_t sent;   /* server: its CREATE went out */
  uint8_t queued; /* server: in the op list */
} rmt_inst;

typedef struct rmt_repl_entry {
  rmt_instance_id id;
  int destroy;
} rmt_repl_entry;

typedef struct rmt_tree {
  rmt_idmap by_id;
  rmt_instance_id *roots;
  size_t nroots, cap_roots;
  rmt_instance_id next_id;
  rmt_repl_entry *ops; /* server: instances to flush, in the order they first changed */
  size_t nops, cap_ops;
  const rmt_allocator *alloc;
} rmt_tree;

void rmt__tree_init(rmt_tree *t, const rmt_allocator *a);
void rmt__tree_free(rmt_tree *t);
rmt_inst *rmt__tree_get(const rmt_tree *t, rmt_instance_id id);
/* Creates an instance with the given id (server: a fresh one) under parent (0 = root). */
int rmt__tree_create(rmt_tree *t, rmt_instance_id id, rmt_instance_id parent,
                     const char *class_name, size_t class_len, const char *name,
                     size_t name_len, rmt_inst **out);
int rmt__tree_set_parent(rmt_tree *t, rmt_inst *inst, rmt_instance_id parent);
int rmt__tree_set_name(rmt_tree *t, rmt_inst *inst, const char *name, size_t len);
int rmt__tree_set_value(rmt_tree *t, rmt_inst *inst, const rmt_value *value, rmt_error *err);
int rmt__tree_set_attr(rmt_tree *t, rmt_inst *inst, const char *name, size_t len,
                       const rmt_value *value, rmt_error *err);
const rmt_value *rmt__tree_get_attr(const rmt_inst *inst, const char *name, size_t len);
/* Tags: 1..RMT_MAX_TAG_LEN bytes, at most RMT_MAX_TAGS per instance (RMT_ELIMIT beyond).
 * *changed (nullable) says whether the set changed. */
int rmt__tree_add_tag(rmt_tree *t, rmt_inst *inst, const char *tag, size_t len, int *changed);
int rmt__tree_remove_tag(rmt_tree *t, rmt_inst *inst, const char *tag, size_t len, int *changed);
int rmt__tree_has_tag(const rmt_inst *inst, const char *tag, size_t len);
/* 1 when `ancestor` is inst itself or one of its ancestors. */
int rmt__tree_is_ancestor(const rmt_tree *t, rmt_instance_id ancestor, rmt_instance_id id);
/* Unlinks and frees inst and its descendants; `each` (nullable) sees every one first,
 * deepest first. */
void rmt__tree_destroy(rmt_tree *t, rmt_inst *inst, void (*each)(void *ud, rmt_inst *inst),
                       void *ud);
const rmt_instance_id *rmt__tree_children(const rmt_tree *t, rmt_instance_id id, size_t *n);
void rmt__tree_info(const rmt_inst *inst, rmt_instance_info *out);
/* FindFirstChild: the first child of parent (0 = the roots) named exactly name[len], or 0. */
rmt_instance_id rmt__tree_find_child(const rmt_tree *t, rmt_instance_id parent, const char *name,
                                     size_t len);
/* Follows a dotted path of names from `from` (0 = the roots); 0 when any step is missing. */
rmt_instance_id rmt__tree_find_path(const rmt_tree *t, rmt_instance_id from, const char *path);

/* Server: remembers that inst changed (dirty bits) or went, in first-change order. */
int rmt__tree_mark(rmt_tree *t, rmt_inst *inst, uint8_t dirty);
int rmt__tree_mark_destroyed(rmt_tree *t, rmt_instance_id id);
/* Server: appends the pending changes as messages to `out` and clears them. */
int rmt__tree_flush(rmt_tree *t, rmt_buf *out);
/* Server: appends the whole tree as CREATE messages, parents first (a late joiner). */
int rmt__tree_snapshot(const rmt_tree *t, rmt_buf *out);

/* Client: applies one replication message. Returns RMT_EDECODE on anything inconsistent
 * (unknown ids, duplicates, cycles), leaving the tree as it was. */
typedef void (*rmt_tree_event_fn)(void *ud, rmt_replica_event event, rmt_instance_id id,
                                  const char *attribute);
int rmt__tree_apply(rmt_tree *t, const rmt_msg *m, rmt_arena *arena, const rmt_limits *limits,
                    rmt_tree_event_fn fn, void *ud);

#endif /* RMT_REPLICA_H */
