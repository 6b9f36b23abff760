/* server_players.c - the players: lookup, names, user ids, application data, kick, stats,
 * and how a player leaves (PlayerRemoving, orphaned invocations, failed calls, freeing).
 * Never frees a player while its connection still points at it. */
#include <string.h>

#include "server_internal.h"

player *rmt__server_find_player(const rmt_server *s, rmt_player_id id) {
  player *p = rmt__idmap_get(&s->players_by_id, id);
  return p && !p->removed ? p : NULL;
}

/* ---- leaving ---- */

/* Fires PlayerRemoving and cuts every tie to the player; idempotent. The struct itself
 * lives until the transport reports the disconnect (the connection's data). */
void rmt__server_remove_player(rmt_server *s, player *p) {
  if (p->removed) return;
  if (p->state == PLAYER_HANDSHAKE || !p->id || !rmt__idmap_get(&s->players_by_id, p->id)) {
    p->removed = 1;
    return;
  }
  rmt_value arg = rmt_player_ref(p->id);
  if (!s->destroying) rmt_signal_fire(s->player_removing, &arg, 1);
  p->removed = 1;
  for (rmt_invocation *inv = s->invocations.head; inv; inv = inv->next)
    if (inv->player == p->id) inv->orphaned = 1;
  rmt__calls_fail_player(&s->calls, p->id, RMT_EDISCONNECTED, "player disconnected");
  if (p->prev) p->prev->next = p->next;
  else s->first = p->next;
  if (p->next) p->next->prev = p->prev;
  else s->last = p->prev;
  p->prev = p->next = NULL;
  s->nplayers--;
  rmt__idmap_del(&s->players_by_id, p->id);
  rmt_inst *inst = rmt__tree_get(&s->tree, p->instance);
  if (inst) rmt__server_repl_destroy(s, inst);
  s->scratch.len = 0;
  if (!rmt__put_varint(&s->scratch, p->id))
    rmt__server_broadcast_control(s, RMT_CTL_PLAYER_REMOVED, 0);
}

void rmt__server_free_player(rmt_server *s, player *p) {
  rmt__server_remove_player(s, p);
  rmt__server_snapshot_end(s, p);
  if (p->conn) p->link.tr->ops->set_data(p->link.tr, p->conn, NULL);
  rmt__link_free(&p->link);
  rmt__free(s->alloc, p->overrides, p->noverrides * sizeof *p->overrides);
  rmt__free(s->alloc, p, sizeof *p);
}

rmt_signal *rmt_server_player_added(rmt_server *s) { return s ? s->player_added : NULL; }
rmt_signal *rmt_server_player_removing(rmt_server *s) { return s ? s->player_removing : NULL; }

size_t rmt_server_players(const rmt_server *s, rmt_player_id *out, size_t cap) {
  if (!s) return 0;
  size_t n = 0;
  for (player *p = s->first; p; p = p->next) {
    if (n < cap && out) out[n] = p->id;
    n++;
  }
  return n;
}

const char *rmt_server_player_name(const rmt_server *s, rmt_player_id id) {
  player *p = s ? rmt__idmap_get(&s->players_by_id, id) : NULL;
  return p ? p->name : NULL;
}

uint64_t rmt_server_player_user_id(const rmt_server *s, rmt_player_id id) {
  player *p = s ? rmt__idmap_get(&s->players_by_id, id) : NULL;
  return p ? p->user_id : 0;
}

void rmt_server_player_set_data(rmt_server *s, rmt_player_id id, void *data) {
  player *p = s ? rmt__idmap_get(&s->players_by_id, id) : NULL;
  if (p) p->data = data;
}

void *rmt_server_player_data(const rmt_server *s, rmt_player_id id) {
  player *p = s ? rmt__idmap_get(&s->players_by_id, id) : NULL;
  return p ? p->data : NULL;
}

int rmt_server_player_kick(rmt_server *s, rmt_player_id id, const char *reason, rmt_error *err) {
  player *p = s ? rmt__server_find_player(s, id) : NULL;
  if (!p || p->state != PLAYER_JOINED)
    return rmt__seterr(err, RMT_ENOTFOUND, "no joined player with id %u", (unsigned)id);
  if (!reason) reason = "kicked";
  s->scratch.len = 0;
  size_t len = strlen(reason);
  if (len > 200) len = 200;
  if (!rmt__put_lstr(&s->scratch, reason, len))
    rmt__server_send_control(p, RMT_CTL_KICK, &s->scratch);
  rmt__server_snapshot_end(s, p); /* the reason goes now, snapshot or not */
  rmt__link_flush(&p->link);
  p->state = PLAYER_LEAVING;
  s->leaving_pending = 1;
  rmt__server_close(p, RMT_CLOSE_AFTER_SENT, RMT_DISC_KICKED);
  rmt__clearerr(err);
  return RMT_OK;
}

int rmt_server_remote_stats(const rmt_server *s, rmt_remote_id remote, rmt_stats *out) {
  if (!s || !out) return RMT_EINVAL;
  if (!remote) {
    *out = s->totals;
    return RMT_OK;
  }
  rmt_remote_entry *r = rmt__registry_get(&s->remotes, remote);
  if (!r) return RMT_ENOTFOUND;
  *out = r->stats;
  return RMT_OK;
}

int rmt_server_player_stats(const rmt_server *s, rmt_player_id id, rmt_stats *out) {
  if (!s || !out) return RMT_EINVAL;
  if (!id) {
    *out = s->totals;
    return RMT_OK;
  }
  player *p = rmt__idmap_get(&s->players_by_id, id);
  if (!p) return RMT_ENOTFOUND;
  *out = p->stats;
  return RMT_OK;
}
