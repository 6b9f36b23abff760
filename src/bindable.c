/* bindable.c - BindableEvent and BindableFunction: same-side calls with Roblox's copy
 * semantics. Must never hand a listener or handler a pointer into the caller's memory. */
#include "common.h"
#include "reply.h"

#include <string.h>

/* Both objects may be destroyed from inside their own listener/handler (Roblox code does
 * `bindable:Destroy()` in handlers); the outermost running call then frees them. */
struct rmt_bindable_event {
  rmt_allocator alloc;
  rmt_signal *event;
  unsigned fire_depth;
  int destroy_pending;
};

struct rmt_bindable_function {
  rmt_allocator alloc;
  rmt_invoke_fn handler;
  void *handler_ud;
  unsigned invoke_depth;
  int destroy_pending;
};

/* One deep copy: what listeners and handlers see. rmt_values_copy refuses anything
 * strict mode refuses (loose types, non-string keys, cycles); the network size limits
 * are not applied, since a bindable never leaves the process (as in Roblox). */
static int copy_args(const rmt_allocator *alloc, const rmt_value *args, size_t nargs,
                     rmt_value **copy, rmt_error *err) {
  *copy = NULL;
  if (!args && nargs > 0) {
    rmt__seterr(err, RMT_EINVAL, "args is NULL but nargs is %zu", nargs);
    return RMT_EINVAL;
  }
  return rmt_values_copy(args, nargs, alloc, copy, err);
}

rmt_bindable_event *rmt_bindable_event_create(const rmt_allocator *alloc) {
  rmt_bindable_event *ev = rmt__alloc(alloc, sizeof *ev);
  if (!ev) return NULL;
  memset(ev, 0, sizeof *ev);
  if (alloc) ev->alloc = *alloc;
  ev->event = rmt_signal_create(alloc);
  if (!ev->event) {
    rmt__free(alloc, ev, sizeof *ev);
    return NULL;
  }
  return ev;
}

static void bindable_event_release(rmt_bindable_event *ev) {
  rmt_allocator alloc = ev->alloc;
  rmt__free(&alloc, ev, sizeof *ev);
}

void rmt_bindable_event_destroy(rmt_bindable_event *ev) {
  if (!ev || ev->destroy_pending) return;
  /* The signal defers its own release if it is mid-fire. */
  rmt_signal_destroy(ev->event);
  ev->event = NULL;
  if (ev->fire_depth > 0)
    ev->destroy_pending = 1;
  else
    bindable_event_release(ev);
}

rmt_signal *rmt_bindable_event_signal(rmt_bindable_event *ev) {
  return ev ? ev->event : NULL;
}

int rmt_bindable_event_fire(rmt_bindable_event *ev, const rmt_value *args, size_t nargs,
                            rmt_error *err) {
  if (!ev) {
    rmt__seterr(err, RMT_EINVAL, "bindable event is NULL");
    return RMT_EINVAL;
  }
  if (ev->destroy_pending) {
    rmt__seterr(err, RMT_ESTATE, "bindable event was destroyed");
    return RMT_ESTATE;
  }
  rmt_value *copy;
  int rc = copy_args(&ev->alloc, args, nargs, &copy, err);
  if (rc != RMT_OK) return rc;
  ev->fire_depth++;
  rmt_signal_fire(ev->event, copy, nargs);
  ev->fire_depth--;
  rmt_values_free(copy, &ev->alloc);
  if (ev->fire_depth == 0 && ev->destroy_pending) bindable_event_release(ev);
  rmt__clearerr(err);
  return RMT_OK;
}

rmt_bindable_function *rmt_bindable_function_create(const rmt_allocator *alloc) {
  rmt_bindable_function *fn = rmt__alloc(alloc, sizeof *fn);
  if (!fn) return NULL;
  memset(fn, 0, sizeof *fn);
  if (alloc) fn->alloc = *alloc;
  return fn;
}

static void bindable_function_release(rmt_bindable_function *fn) {
  rmt_allocator alloc = fn->alloc;
  rmt__free(&alloc, fn, sizeof *fn);
}

void rmt_bindable_function_destroy(rmt_bindable_function *fn) {
  if (!fn || fn->destroy_pending) return;
  fn->handler = NULL;
  fn->handler_ud = NULL;
  if (fn->invoke_depth > 0)
    fn->destroy_pending = 1;
  else
    bindable_function_release(fn);
}

void rmt_bindable_function_on_invoke(rmt_bindable_function *fn, rmt_invoke_fn handler,
                                     void *ud) {
  if (!fn || fn->destroy_pending) return;
  fn->handler = handler;
  fn->handler_ud = handler ? ud : NULL;
}

int rmt_bindable_function_invoke(rmt_bindable_function *fn, const rmt_value *args,
                                 size_t nargs, rmt_value **results, size_t *nresults,
                                 rmt_error *err) {
  if (results) *results = NULL;
  if (nresults) *nresults = 0;
  if (!fn) {
    rmt__seterr(err, RMT_EINVAL, "bindable function is NULL");
    return RMT_EINVAL;
  }
  if (fn->destroy_pending) {
    rmt__seterr(err, RMT_ESTATE, "bindable function was destroyed");
    return RMT_ESTATE;
  }
  if (!fn->handler) {
    rmt__seterr(err, RMT_ENOHANDLER, "no handler: BindableFunction has no OnInvoke");
    return RMT_ENOHANDLER;
  }
  rmt_value *copy;
  int rc = copy_args(&fn->alloc, args, nargs, &copy, err);
  if (rc != RMT_OK) return rc;

  /* Taken before the call: the handler may replace itself or destroy `fn`. */
  rmt_invoke_fn handler = fn->handler;
  void *ud = fn->handler_ud;
  rmt_reply reply;
  rmt_invocation inv;
  rmt__reply_init(&reply, &inv, &fn->alloc);
  fn->invoke_depth++;
  handler(ud, &inv, copy, nargs); /* `inv` is invalid once the handler returns */
  fn->invoke_depth--;
  rmt_values_free(copy, &fn->alloc);

  rc = rmt__reply_status(&reply, err);
  if (rc == RMT_OK) {
    rmt_value *values;
    size_t nvalues;
    rmt__reply_take_values(&reply, &values, &nvalues);
    if (nvalues == 0) {
      /* The contract promises NULL for zero results, whatever the copy handed back. */
      rmt_values_free(values, &fn->alloc);
      values = NULL;
    }
    if (results && nresults) {
      *results = values;
      *nresults = nvalues;
    } else {
      rmt_values_free(values, &fn->alloc);
    }
    rmt__clearerr(err);
  }
  rmt__reply_clear(&reply);
  if (fn->invoke_depth == 0 && fn->destroy_pending) bindable_function_release(fn);
  return rc;
}
