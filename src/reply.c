/* reply.c - the rmt_reply sink handed to invoke handlers: copies what a handler returns
 * into memory the reply owns. Must never keep a pointer into the handler's memory. */
#include "common.h"
#include "reply.h"

#include <string.h>

void rmt__reply_init(rmt_reply *reply, const rmt_allocator *alloc) {
  memset(reply, 0, sizeof *reply);
  if (alloc) reply->alloc = *alloc;
}

static void reply_drop_result(rmt_reply *reply) {
  rmt_values_free(reply->values, &reply->alloc);
  reply->values = NULL;
  reply->nvalues = 0;
  if (reply->error) rmt__free(&reply->alloc, reply->error, strlen(reply->error) + 1);
  reply->error = NULL;
  reply->status = 0;
}

void rmt__reply_clear(rmt_reply *reply) {
  if (reply) reply_drop_result(reply);
}

void rmt__reply_take_values(rmt_reply *reply, rmt_value **values, size_t *nvalues) {
  *values = reply->values;
  *nvalues = reply->nvalues;
  reply->values = NULL;
  reply->nvalues = 0;
}

/* NULL when out of memory: the status alone still tells the caller what happened. */
static char *reply_strdup(rmt_reply *reply, const char *text) {
  size_t len = strlen(text);
  char *copy = rmt__alloc(&reply->alloc, len + 1);
  if (copy) memcpy(copy, text, len + 1);
  return copy;
}

int rmt_reply_return(rmt_reply *reply, const rmt_value *values, size_t nvalues) {
  if (!reply || (!values && nvalues > 0)) return RMT_EINVAL;
  /* Whatever happens below replaces the earlier result, so a failed store can never
   * leave an older answer looking like this one. */
  reply_drop_result(reply);
  rmt_error err;
  rmt_value *copy = NULL;
  /* The copy refuses what strict mode refuses; no separate check pass. */
  int rc = rmt_values_copy(values, nvalues, &reply->alloc, &copy, &err);
  if (rc != RMT_OK) {
    reply->status = rc;
    reply->error = reply_strdup(reply, err.message);
    return rc;
  }
  reply->values = copy;
  reply->nvalues = nvalues;
  return RMT_OK;
}

int rmt_reply_error(rmt_reply *reply, const char *message) {
  if (!reply) return RMT_EINVAL;
  reply_drop_result(reply);
  reply->status = RMT_EHANDLER;
  reply->error = reply_strdup(reply, message ? message : "");
  return reply->error ? RMT_OK : RMT_ENOMEM;
}

int rmt__reply_status(const rmt_reply *reply, rmt_error *err) {
  if (reply->status == RMT_OK) return RMT_OK;
  if (reply->error)
    rmt__seterr(err, reply->status, "%s", reply->error);
  else if (reply->status == RMT_EHANDLER)
    rmt__seterr(err, reply->status, "handler raised an error (message lost: out of memory)");
  else
    rmt__seterr(err, reply->status, "%s", rmt_strerror(reply->status));
  return reply->status;
}
