/* server_remotes.c - the server's remote registry: create, destroy and find remotes, their
 * rates, schemas, OnServerEvent signals and OnServerInvoke handlers. Sends nothing but the
 * announcements of a remote added or removed; never dispatches (server.c does). */
#include <stdio.h>
#include <string.h>

#include "server_internal.h"

int rmt__server_put_remote_info(rmt_buf *b, const rmt_remote_entry *r) {
  int rc = rmt__put_varint(b, r->id);
  if (!rc) rc = rmt__put_varint(b, (uint64_t)r->kind);
  if (!rc) rc = rmt__put_lstr(b, r->name, r->name_len);
  return rc;
}

int rmt_server_remote_create(rmt_server *s, const char *name, rmt_remote_kind kind,
                             rmt_remote_id *out_id, rmt_error *err) {
  if (!s || !name) return rmt__seterr(err, RMT_EINVAL, "server and name are required");
  size_t len = strlen(name);
  if (!rmt__remote_name_valid(name, len))
    return rmt__seterr(err, RMT_EINVAL,
                       "invalid remote name: use 1-200 bytes of '/'-separated non-empty segments");
  if (kind != RMT_REMOTE_EVENT && kind != RMT_UNRELIABLE_REMOTE_EVENT && kind != RMT_REMOTE_FUNCTION)
    return rmt__seterr(err, RMT_EINVAL, "invalid remote kind %d", (int)kind);
  if (rmt__registry_find(&s->remotes, name, len))
    return rmt__seterr(err, RMT_EEXIST, "a remote named '%s' already exists", name);
  if (s->remotes.next_id > RMT_MAX_REMOTE_ID)
    return rmt__seterr(err, RMT_ELIMIT, "this server has made its %d remotes", RMT_MAX_REMOTE_ID);
  rmt_remote_id id = s->remotes.next_id;
  rmt_remote_entry *r = rmt__remote_new(s->alloc, id, kind, name, len);
  if (!r || rmt__registry_set(&s->remotes, s->alloc, id, r)) {
    rmt__remote_free(r, s->alloc);
    return rmt__seterr(err, RMT_ENOMEM, "out of memory");
  }
  s->remotes.next_id++;
  /* Instance changes made before this (the remote's own replicated copy) reach clients
   * first, as they do before a remote message: a client binds the copy it already has. */
  rmt__server_repl_flush(s);
  s->scratch.len = 0;
  if (!rmt__server_put_remote_info(&s->scratch, r))
    rmt__server_broadcast_control(s, RMT_CTL_REMOTE_ADDED, 0);
  if (out_id) *out_id = id;
  rmt__clearerr(err);
  return RMT_OK;
}

int rmt_server_remote_destroy(rmt_server *s, rmt_remote_id remote) {
  rmt_remote_entry *r = s ? rmt__registry_get(&s->remotes, remote) : NULL;
  if (!r) return RMT_ENOTFOUND;
  rmt__registry_set(&s->remotes, s->alloc, remote, NULL);
  r->destroyed = 1;
  /* Invokes waiting for a handler learn at once; pending invoke_client calls fail. */
  rmt_queued q;
  while (rmt__queue_pop(&r->waiting, &q)) {
    player *p = rmt__server_find_player(s, q.player);
    if (p) rmt__server_send_error(p, remote, q.call_id, RMT_ENOTFOUND, "remote was destroyed");
    rmt__free(s->alloc, q.bytes, q.len);
  }
  for (rmt_pending *pc = s->calls.head; pc;) {
    rmt_pending *next = pc->next;
    if (pc->remote == remote) {
      rmt__calls_complete(&s->calls, pc, RMT_ENOTFOUND, NULL, 0, "remote was destroyed");
      next = s->calls.head;
    }
    pc = next;
  }
  rmt__server_repl_flush(s); /* as in create_remote: earlier instance changes go first */
  s->scratch.len = 0;
  if (!rmt__put_varint(&s->scratch, remote))
    rmt__server_broadcast_control(s, RMT_CTL_REMOTE_REMOVED, 0);
  if (s->in_service) {
    r->next_dead = s->graveyard;
    s->graveyard = r;
  } else {
    rmt__remote_free(r, s->alloc);
  }
  return RMT_OK;
}

rmt_remote_id rmt_server_remote_find(const rmt_server *s, const char *name) {
  if (!s || !name) return 0;
  rmt_remote_entry *r = rmt__registry_find(&s->remotes, name, strlen(name));
  return r ? r->id : 0;
}

const char *rmt_server_remote_name(const rmt_server *s, rmt_remote_id remote) {
  rmt_remote_entry *r = s ? rmt__registry_get(&s->remotes, remote) : NULL;
  return r && !r->destroyed ? r->name : NULL;
}

int rmt_server_remote_set_rate(rmt_server *s, rmt_remote_id remote, rmt_rate rate) {
  rmt_remote_entry *r = s ? rmt__registry_get(&s->remotes, remote) : NULL;
  if (!r) return RMT_ENOTFOUND;
  r->rate = rate;
  r->has_rate = rate.per_second > 0 || rate.burst > 0;
  return RMT_OK;
}

int rmt_server_remote_set_schema(rmt_server *s, rmt_remote_id remote, const char *schema,
                          rmt_error *err) {
  rmt_remote_entry *r = s ? rmt__registry_get(&s->remotes, remote) : NULL;
  if (!r) return rmt__seterr(err, RMT_ENOTFOUND, "no remote with id %u (destroyed?)", remote);
  rmt_error local;
  rmt_schema *compiled = NULL;
  if (schema && !(compiled = rmt_schema_parse(schema, s->alloc, err ? err : &local)))
    return err ? err->code : local.code;
  rmt_schema_free(r->schema);
  r->schema = compiled;
  rmt__clearerr(err);
  return RMT_OK;
}

rmt_signal *rmt_server_remote_signal(rmt_server *s, rmt_remote_id remote) {
  rmt_remote_entry *r = s ? rmt__registry_get(&s->remotes, remote) : NULL;
  return r ? r->signal : NULL;
}

int rmt_server_remote_on_invoke(rmt_server *s, rmt_remote_id remote, rmt_invoke_fn handler,
                         void *ud) {
  rmt_remote_entry *r = s ? rmt__registry_get(&s->remotes, remote) : NULL;
  if (!r) return RMT_ENOTFOUND;
  if (r->kind != RMT_REMOTE_FUNCTION) return RMT_ETYPE;
  r->handler = handler;
  r->handler_ud = ud;
  return RMT_OK;
}
