/* invocation.h - an invocation being answered: what a RemoteFunction handler (server or
 * client) and a BindableFunction handler both receive, so there is one answer model. The
 * owner decides what completing means (send an answer, or store it for a synchronous
 * caller) through `complete`; this header must never depend on the engine. */
#ifndef RMT_INVOCATION_H
#define RMT_INVOCATION_H

#include "remotes.h"

/* Completes `inv` exactly once: the owner takes (or frees) it. */
typedef int (*rmt_complete_fn)(rmt_invocation *inv, int status, const rmt_value *values,
                               size_t nvalues, const char *message);
struct rmt_invocation {
  void *owner;             /* rmt_server, rmt_client, or a bindable call's reply */
  rmt_complete_fn complete;
  rmt_player_id player;
  rmt_remote_id remote;
  uint32_t call_id;
  int orphaned;            /* caller gone: completion is discarded */
  const rmt_allocator *alloc;
  struct rmt_invocation *prev, *next; /* owner's outstanding list */
};

#endif /* RMT_INVOCATION_H */
