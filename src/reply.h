/* reply.h - the result sink an invoke handler fills (BindableFunction now, RemoteFunction
 * in the engine later). It owns what it holds; it never calls the handler itself. */
#ifndef RMT_REPLY_H
#define RMT_REPLY_H

#include "remotes.h"

/* What rmt_reply_return / rmt_reply_error left behind. The last call wins. */
struct rmt_reply {
  rmt_allocator alloc;
  rmt_value *values; /* owned block from rmt_values_copy, or NULL */
  size_t nvalues;
  char *error;       /* owned NUL-terminated message, or NULL */
  /* 0: values (possibly none) are the result. RMT_EHANDLER: the handler raised `error`.
   * Any other negative code: storing the handler's result failed (e.g. RMT_ENOMEM, or
   * RMT_ETYPE for values that may not cross); `error` describes it when it could be
   * stored. */
  int status;
};

/* Starts an empty reply (zero values, status 0). `alloc` is copied; NULL = malloc. */
void rmt__reply_init(rmt_reply *reply, const rmt_allocator *alloc);
/* Frees everything the reply still owns and leaves it empty; safe twice. */
void rmt__reply_clear(rmt_reply *reply);
/* Moves the values block out (caller frees with rmt_values_free and the reply's
 * allocator); the reply no longer owns it. Only meaningful when status is 0. */
void rmt__reply_take_values(rmt_reply *reply, rmt_value **values, size_t *nvalues);
/* Fills `err` (nullable) from a failed reply: the handler's message for RMT_EHANDLER,
 * the storage failure otherwise. Returns reply->status. */
int rmt__reply_status(const rmt_reply *reply, rmt_error *err);

#endif /* RMT_REPLY_H */
