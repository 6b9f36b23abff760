/* server_send.c - what the server sends on its own: fires to one player, all, a list or
 * all but one, invokes of a client, and the control and error messages every part batches.
 * Encodes a fire's arguments once; never sends a remote message to a player not joined. */
#include "server_internal.h"

void rmt__server_send_control(player *p, rmt_control type, const rmt_buf *body) {
  size_t start = p->link.out[RMT_CHANNEL_RELIABLE].len;
  if (rmt__msg_put(&p->link.out[RMT_CHANNEL_RELIABLE], RMT_MSG_CONTROL, type, NULL, 0,
                   body ? body->data : NULL, body ? body->len : 0) == RMT_OK)
    rmt__link_after_append(&p->link, RMT_CHANNEL_RELIABLE, start);
}

void rmt__server_send_error(player *p, rmt_remote_id remote, uint32_t call_id, int status,
                            const char *message) {
  rmt__link_put_error(&p->link, remote, call_id, status, message);
}

/* Sends a control message to every joined player (except one, or 0). */
void rmt__server_broadcast_control(rmt_server *s, rmt_control type, rmt_player_id except) {
  for (player *q = s->first; q; q = q->next)
    if (q->id != except && q->state == PLAYER_JOINED)
      rmt__server_send_control(q, type, &s->scratch);
}

static int check_fire(rmt_server *s, rmt_remote_id remote, rmt_remote_entry **out,
                      rmt_error *err) {
  rmt_remote_entry *r = s ? rmt__registry_get(&s->remotes, remote) : NULL;
  if (!r) return rmt__seterr(err, RMT_ENOTFOUND, "no remote with id %u (destroyed?)", remote);
  if (r->kind == RMT_REMOTE_FUNCTION)
    return rmt__seterr(err, RMT_ETYPE, "'%s' is a RemoteFunction: use invoke, not fire", r->name);
  *out = r;
  return RMT_OK;
}

/* Encodes args once into scratch; checks the unreliable payload limit. */
static int encode_args(rmt_server *s, rmt_remote_entry *r, const rmt_value *args, size_t nargs,
                       rmt_error *err) {
  s->scratch.len = 0;
  int rc = rmt_encode(&s->scratch, args, nargs, NULL, err);
  if (rc) return rc;
  if (r->kind == RMT_UNRELIABLE_REMOTE_EVENT && s->scratch.len > RMT_UNRELIABLE_MAX)
    return rmt__seterr(err, RMT_ETOOBIG,
                       "UnreliableRemoteEvent '%s': %zu bytes of arguments, limit is %d",
                       r->name, s->scratch.len, RMT_UNRELIABLE_MAX);
  return RMT_OK;
}

static int append_event(rmt_server *s, player *p, rmt_remote_entry *r) {
  rmt__server_repl_flush(s);
  int ch = r->kind == RMT_UNRELIABLE_REMOTE_EVENT ? RMT_CHANNEL_UNRELIABLE : RMT_CHANNEL_RELIABLE;
  rmt_buf *b = &p->link.out[ch];
  size_t start = b->len;
  int rc = rmt__msg_put(b, RMT_MSG_EVENT, r->id, NULL, 0, s->scratch.data, s->scratch.len);
  if (rc) return rc;
  r->stats.events_out++;
  r->stats.bytes_out += b->len - start;
  p->stats.events_out++;
  s->totals.events_out++;
  return rmt__link_after_append(&p->link, ch, start);
}

static player *joined(rmt_server *s, rmt_player_id id) {
  player *p = rmt__server_find_player(s, id);
  return p && p->state == PLAYER_JOINED ? p : NULL;
}

int rmt_server_fire_client(rmt_server *s, rmt_player_id player_id, rmt_remote_id remote,
                           const rmt_value *args, size_t nargs, rmt_error *err) {
  rmt_remote_entry *r = NULL;
  int rc = check_fire(s, remote, &r, err);
  if (rc) return rc;
  player *p = joined(s, player_id);
  if (!p) return rmt__seterr(err, RMT_ENOTFOUND, "no player with id %u", player_id);
  if ((rc = encode_args(s, r, args, nargs, err))) return rc;
  return append_event(s, p, r);
}

int rmt_server_fire_all(rmt_server *s, rmt_remote_id remote, const rmt_value *args,
                        size_t nargs, rmt_error *err) {
  return rmt_server_fire_all_except(s, 0, remote, args, nargs, err);
}

int rmt_server_fire_all_except(rmt_server *s, rmt_player_id except, rmt_remote_id remote,
                               const rmt_value *args, size_t nargs, rmt_error *err) {
  rmt_remote_entry *r = NULL;
  int rc = check_fire(s, remote, &r, err);
  if (rc) return rc;
  if ((rc = encode_args(s, r, args, nargs, err))) return rc;
  for (player *p = s->first; p; p = p->next) {
    if (p->id == except || p->state != PLAYER_JOINED) continue;
    if ((rc = append_event(s, p, r))) return rmt__seterr(err, rc, "out of memory");
  }
  return RMT_OK;
}

int rmt_server_fire_list(rmt_server *s, const rmt_player_id *players, size_t nplayers,
                         rmt_remote_id remote, const rmt_value *args, size_t nargs,
                         rmt_error *err) {
  rmt_remote_entry *r = NULL;
  int rc = check_fire(s, remote, &r, err);
  if (rc) return rc;
  if (nplayers && !players) return rmt__seterr(err, RMT_EINVAL, "players is NULL");
  if ((rc = encode_args(s, r, args, nargs, err))) return rc;
  for (size_t i = 0; i < nplayers; i++) {
    player *p = joined(s, players[i]);
    if (!p) continue; /* players that left meanwhile are skipped, like Roblox */
    if ((rc = append_event(s, p, r))) return rmt__seterr(err, rc, "out of memory");
  }
  return RMT_OK;
}

int rmt_server_invoke_client(rmt_server *s, rmt_player_id player_id, rmt_remote_id remote,
                             const rmt_value *args, size_t nargs, uint32_t timeout_ms,
                             rmt_result_fn done, void *ud, rmt_error *err) {
  rmt_remote_entry *r = s ? rmt__registry_get(&s->remotes, remote) : NULL;
  if (!r) return rmt__seterr(err, RMT_ENOTFOUND, "no remote with id %u (destroyed?)", remote);
  if (r->kind != RMT_REMOTE_FUNCTION)
    return rmt__seterr(err, RMT_ETYPE, "'%s' is not a RemoteFunction", r->name);
  player *p = joined(s, player_id);
  if (!p) return rmt__seterr(err, RMT_ENOTFOUND, "no player with id %u", player_id);
  if (!timeout_ms) timeout_ms = s->cfg.invoke_timeout_ms;
  rmt_pending *pc = rmt__calls_new(&s->calls, player_id, remote, rmt__server_now(s) + timeout_ms,
                                   done, ud);
  if (!pc) return rmt__seterr(err, RMT_ENOMEM, "out of memory");
  rmt__server_repl_flush(s);
  rmt_buf *b = &p->link.out[RMT_CHANNEL_RELIABLE];
  rmt_msg_mark mark;
  uint32_t fields[2] = {pc->call_id, timeout_ms};
  int rc = rmt__msg_begin(b, RMT_MSG_INVOKE, remote, fields, 2, &mark);
  if (!rc && (rc = rmt_encode(b, args, nargs, NULL, err))) rmt__msg_abort(b, &mark);
  if (!rc) rc = rmt__msg_end(b, &mark);
  if (rc) {
    pc->done = NULL; /* the callback must not fire when the call fails */
    rmt__calls_complete(&s->calls, pc, rc, NULL, 0, NULL);
    if (err && !err->message[0]) rmt__seterr(err, rc, "%s", rmt_strerror(rc));
    return rc;
  }
  r->stats.invokes_out++;
  p->stats.invokes_out++;
  s->totals.invokes_out++;
  /* The call is registered and its message queued: from here on it completes through `done`
   * (answer, timeout, disconnect). A failed send of what was batched before it is not this
   * call's failure, and returning it would let the caller free what `done` still gets. */
  rmt__link_after_append(&p->link, RMT_CHANNEL_RELIABLE, mark.start);
  return RMT_OK;
}
