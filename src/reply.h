/* reply.h - where a BindableFunction's synchronous call keeps its handler's answer: an
 * rmt_invocation whose completion copies the result into memory the reply owns. Also the
 * one home of rmt_invocation_return/error, which dispatch to whatever owns an invocation
 * (a reply here, the server or client engine for RemoteFunctions). Never calls a handler. */
#ifndef RMT_REPLY_H
#define RMT_REPLY_H

#include "invocation.h"

/* What the handler's one completion left behind. */
typedef struct rmt_reply {
  rmt_allocator alloc;
  rmt_value *values; /* owned block from rmt_values_copy, or NULL */
  size_t nvalues;
  char *error;       /* owned NUL-terminated message, or NULL */
  /* 0: values (possibly none) are the result. RMT_EHANDLER: the handler raised `error`.
   * Any other negative code: storing the handler's result failed (e.g. RMT_ENOMEM, or
   * RMT_ETYPE for values that may not cross); `error` describes it when it could be
   * stored. */
  int status;
  int completed; /* the invocation was completed; later completions are refused */
} rmt_reply;

/* Starts an empty reply (zero values, status 0) and makes `inv` complete into it. `alloc`
 * is copied; NULL = malloc. */
void rmt__reply_init(rmt_reply *reply, rmt_invocation *inv, const rmt_allocator *alloc);
/* Frees everything the reply still owns and leaves it empty; safe twice. */
void rmt__reply_clear(rmt_reply *reply);
/* Moves the values block out (caller frees with rmt_values_free and the reply's
 * allocator); the reply no longer owns it. Only meaningful when status is 0. */
void rmt__reply_take_values(rmt_reply *reply, rmt_value **values, size_t *nvalues);
/* Fills `err` (nullable) from a failed reply: the handler's message for RMT_EHANDLER,
 * the storage failure otherwise. Returns reply->status. */
int rmt__reply_status(const rmt_reply *reply, rmt_error *err);

#endif /* RMT_REPLY_H */
