/* reply.c - completing an invocation (rmt_invocation_return/error, for every owner) and the
 * reply a BindableFunction call completes into: copies what a handler returns into memory
 * the reply owns. Must never keep a pointer into the handler's memory. */
#include "common.h"
#include "reply.h"

#include <string.h>

static int reply_complete(rmt_invocation *inv, int status, const rmt_value *values,
                          size_t nvalues, const char *message);

void rmt__reply_init(rmt_reply *reply, rmt_invocation *inv, const rmt_allocator *alloc) {
  memset(reply, 0, sizeof *reply);
  if (alloc) reply->alloc = *alloc;
  memset(inv, 0, sizeof *inv);
  inv->owner = reply;
  inv->complete = reply_complete;
  inv->alloc = &reply->alloc;
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

static int reply_store_values(rmt_reply *reply, const rmt_value *values, size_t nvalues) {
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

static int reply_store_error(rmt_reply *reply, const char *message) {
  reply->status = RMT_EHANDLER;
  reply->error = reply_strdup(reply, message);
  return reply->error ? RMT_OK : RMT_ENOMEM;
}

/* The first completion is the answer, a failed one included (its status is what the
 * caller gets), exactly as for a RemoteFunction whose invocation is gone once completed. */
static int reply_complete(rmt_invocation *inv, int status, const rmt_value *values,
                          size_t nvalues, const char *message) {
  rmt_reply *reply = inv->owner;
  if (reply->completed) return RMT_ESTATE;
  reply->completed = 1;
  return status == RMT_OK ? reply_store_values(reply, values, nvalues)
                          : reply_store_error(reply, message);
}

int rmt_invocation_return(rmt_invocation *inv, const rmt_value *values, size_t nvalues) {
  if (!inv || (!values && nvalues > 0)) return RMT_EINVAL;
  return inv->complete(inv, RMT_OK, values, nvalues, NULL);
}

int rmt_invocation_error(rmt_invocation *inv, const char *message) {
  if (!inv) return RMT_EINVAL;
  return inv->complete(inv, RMT_EHANDLER, NULL, 0, message ? message : "error");
}

rmt_player_id rmt_invocation_player(const rmt_invocation *inv) { return inv ? inv->player : 0; }

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
