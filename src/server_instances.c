/* server_instances.c - the server's replicated instance API over src/replica.c, and the
 * flush that sends pending changes to every joined player. Never sends a change to a player
 * still waiting for its snapshot (the snapshot will carry it). */
#include <string.h>

#include "server_internal.h"

/* ---- replication ---- */

/* Sends every pending change to every joined player. Called before any remote message is
 * batched (so a Value set before FireClient arrives before the event) and at each flush. */
void rmt__server_repl_flush(rmt_server *s) {
  if (!s->tree.nops) return;
  s->repl_buf.len = 0;
  if (rmt__tree_flush(&s->tree, &s->repl_buf)) {
    rmt__log(s->cfg.log, s->cfg.log_ud, RMT_LOG_ERROR, "replication: out of memory");
    return;
  }
  if (s->repl_buf.len) s->tree_version++;
  for (player *q = s->first; q; q = q->next) {
    /* A player waiting for its snapshot will get these changes in it. */
    if (q->state != PLAYER_JOINED || q->snap_state == SNAP_WAITING) continue;
    rmt_buf *b = &q->link.out[RMT_CHANNEL_RELIABLE];
    size_t start = b->len;
    if (rmt_buf_append(b, s->repl_buf.data, s->repl_buf.len) == RMT_OK)
      rmt__link_after_append(&q->link, RMT_CHANNEL_RELIABLE, start);
  }
}

/* Destroys an instance and its subtree; clients hear about it if they ever saw it. */
void rmt__server_repl_destroy(rmt_server *s, rmt_inst *inst) {
  if (inst->sent) rmt__tree_mark_destroyed(&s->tree, inst->id);
  rmt__tree_destroy(&s->tree, inst, NULL, NULL);
}

static int name_ok(const char *name, size_t min) {
  size_t len = name ? strlen(name) : 0;
  return name && len >= min && len <= 100;
}

int rmt_server_instance_create(rmt_server *s, rmt_instance_id parent, const char *class_name,
                               const char *name, rmt_instance_id *out_id, rmt_error *err) {
  if (!s) return rmt__seterr(err, RMT_EINVAL, "server is NULL");
  if (!name_ok(class_name, 1)) return rmt__seterr(err, RMT_EINVAL, "class names are 1..100 bytes");
  if (!name_ok(name, 0)) return rmt__seterr(err, RMT_EINVAL, "names are at most 100 bytes");
  if (parent && !rmt__tree_get(&s->tree, parent))
    return rmt__seterr(err, RMT_ENOTFOUND, "no instance %u to parent to", (unsigned)parent);
  if (!s->tree.next_id) /* 2^32 instances in one server's life */
    return rmt__seterr(err, RMT_ELIMIT, "this server has used up its instance ids");
  rmt_inst *inst;
  int rc = rmt__tree_create(&s->tree, s->tree.next_id, parent, class_name, strlen(class_name),
                            name, strlen(name), &inst);
  if (rc) return rmt__seterr(err, rc, "%s", rmt_strerror(rc));
  s->tree.next_id++;
  if ((rc = rmt__tree_mark(&s->tree, inst, 0))) {
    rmt__tree_destroy(&s->tree, inst, NULL, NULL);
    return rmt__seterr(err, rc, "%s", rmt_strerror(rc));
  }
  if (out_id) *out_id = inst->id;
  rmt__clearerr(err);
  return RMT_OK;
}

static rmt_inst *server_inst(const rmt_server *s, rmt_instance_id id) {
  return s ? rmt__tree_get(&s->tree, id) : NULL;
}

int rmt_server_instance_destroy(rmt_server *s, rmt_instance_id id) {
  rmt_inst *inst = server_inst(s, id);
  if (!inst) return RMT_ENOTFOUND;
  /* A player's instance leaves with its player. */
  if (inst->player && rmt__server_find_player(s, inst->player)) return RMT_EINVAL;
  if (inst->sent && rmt__tree_mark_destroyed(&s->tree, id)) return RMT_ENOMEM;
  rmt__tree_destroy(&s->tree, inst, NULL, NULL);
  return RMT_OK;
}

int rmt_server_instance_set_parent(rmt_server *s, rmt_instance_id id, rmt_instance_id parent) {
  rmt_inst *inst = server_inst(s, id);
  if (!inst) return RMT_ENOTFOUND;
  if (inst->parent == parent) return RMT_OK;
  int rc = rmt__tree_set_parent(&s->tree, inst, parent);
  return rc ? rc : rmt__tree_mark(&s->tree, inst, RMT_DIRTY_PARENT);
}

int rmt_server_instance_set_name(rmt_server *s, rmt_instance_id id, const char *name) {
  rmt_inst *inst = server_inst(s, id);
  if (!inst) return RMT_ENOTFOUND;
  if (!name_ok(name, 0)) return RMT_EINVAL;
  if (strcmp(inst->name, name) == 0) return RMT_OK;
  int rc = rmt__tree_set_name(&s->tree, inst, name, strlen(name));
  return rc ? rc : rmt__tree_mark(&s->tree, inst, RMT_DIRTY_NAME);
}

int rmt_server_instance_set_value(rmt_server *s, rmt_instance_id id, const rmt_value *value,
                                  rmt_error *err) {
  rmt_inst *inst = server_inst(s, id);
  if (!inst) return rmt__seterr(err, RMT_ENOTFOUND, "no instance with id %u", id);
  int rc = rmt__tree_set_value(&s->tree, inst, value, err);
  return rc ? rc : rmt__tree_mark(&s->tree, inst, RMT_DIRTY_VALUE);
}

int rmt_server_instance_set_attribute(rmt_server *s, rmt_instance_id id, const char *name,
                                      const rmt_value *value, rmt_error *err) {
  rmt_inst *inst = server_inst(s, id);
  if (!inst) return rmt__seterr(err, RMT_ENOTFOUND, "no instance with id %u", id);
  if (!name_ok(name, 1)) return rmt__seterr(err, RMT_EINVAL, "attribute names are 1..100 bytes");
  int rc = rmt__tree_set_attr(&s->tree, inst, name, strlen(name), value, err);
  return rc ? rc : rmt__tree_mark(&s->tree, inst, RMT_DIRTY_ATTRS);
}

static int set_tag(rmt_server *s, rmt_instance_id id, const char *tag, int add, rmt_error *err) {
  rmt_inst *inst = server_inst(s, id);
  if (!inst) return rmt__seterr(err, RMT_ENOTFOUND, "no instance %u", (unsigned)id);
  if (!tag) return rmt__seterr(err, RMT_EINVAL, "tag is NULL");
  size_t len = strlen(tag);
  if (!len || len > RMT_MAX_TAG_LEN) return rmt__seterr(err, RMT_EINVAL, "tags are 1..100 bytes");
  int changed;
  int rc = add ? rmt__tree_add_tag(&s->tree, inst, tag, len, &changed)
               : rmt__tree_remove_tag(&s->tree, inst, tag, len, &changed);
  if (rc == RMT_ELIMIT) return rmt__seterr(err, rc, "an instance has at most 64 tags");
  if (!rc && changed) rc = rmt__tree_mark(&s->tree, inst, RMT_DIRTY_TAGS);
  if (rc) return rmt__seterr(err, rc, "%s", rmt_strerror(rc));
  rmt__clearerr(err);
  return RMT_OK;
}

int rmt_server_instance_add_tag(rmt_server *s, rmt_instance_id id, const char *tag,
                                rmt_error *err) {
  return set_tag(s, id, tag, 1, err);
}

int rmt_server_instance_remove_tag(rmt_server *s, rmt_instance_id id, const char *tag,
                                   rmt_error *err) {
  return set_tag(s, id, tag, 0, err);
}

int rmt_server_instance_info(const rmt_server *s, rmt_instance_id id, rmt_instance_info *out) {
  rmt_inst *inst = server_inst(s, id);
  if (!inst || !out) return RMT_ENOTFOUND;
  rmt__tree_info(inst, out);
  return RMT_OK;
}

rmt_instance_id rmt_server_player_instance(const rmt_server *s, rmt_player_id id) {
  player *p = s ? rmt__server_find_player(s, id) : NULL;
  return p ? p->instance : 0;
}

rmt_instance_id rmt_server_instance_find_child(const rmt_server *s, rmt_instance_id parent,
                                               const char *name) {
  return s && name ? rmt__tree_find_child(&s->tree, parent, name, strlen(name)) : 0;
}

rmt_instance_id rmt_server_instance_find_path(const rmt_server *s, rmt_instance_id from,
                                              const char *path) {
  return s ? rmt__tree_find_path(&s->tree, from, path) : 0;
}
