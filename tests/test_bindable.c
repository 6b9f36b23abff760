/* test_bindable.c - BindableEvent / BindableFunction: Roblox's copy semantics, handler
 * rules, error propagation, re-entrancy, destroy from inside, leaks and out-of-memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alloc_counter.h"
#include "remotes.h"

ALLOC_COUNTER_FIXTURE(g_ac)

/* The sender's argument list lives in buffers the test can scribble on, to prove a
 * listener sees a copy and never the sender's memory. */
typedef struct sender {
  char name[16];
  char item[16];
  char key[16];
  rmt_value items[2];
  rmt_pair pairs[2];
  rmt_value args[4];
} sender;

static void sender_init(sender *s) {
  memset(s, 0, sizeof *s);
  strcpy(s->name, "hello");
  strcpy(s->item, "sword");
  strcpy(s->key, "hp");
  s->items[0] = rmt_lstr(s->item, 5);
  s->items[1] = rmt_vector3(1, 2, 3);
  s->pairs[0] = (rmt_pair){rmt_lstr(s->key, 2), rmt_num(100)};
  s->pairs[1] = (rmt_pair){rmt_str("pos"), rmt_cframe(4, 5, 6)};
  s->args[0] = rmt_lstr(s->name, 5);
  s->args[1] = rmt_array(s->items, 2);
  s->args[2] = rmt_dict(s->pairs, 2);
  s->args[3] = rmt_player_ref(42);
}

static void sender_scribble(sender *s) {
  memset(s->name, 'X', 5);
  memset(s->item, 'Y', 5);
  memset(s->key, 'Z', 2);
  s->items[1] = rmt_num(-1);
  s->pairs[0].value = rmt_bool(0);
}

/* The same list built from separate, untouched memory: what every receiver must see. */
static const rmt_value *pristine(void) {
  static rmt_value items[2];
  static rmt_pair pairs[2];
  static rmt_value args[4];
  items[0] = rmt_str("sword");
  items[1] = rmt_vector3(1, 2, 3);
  pairs[0] = (rmt_pair){rmt_str("hp"), rmt_num(100)};
  pairs[1] = (rmt_pair){rmt_str("pos"), rmt_cframe(4, 5, 6)};
  args[0] = rmt_str("hello");
  args[1] = rmt_array(items, 2);
  args[2] = rmt_dict(pairs, 2);
  args[3] = rmt_player_ref(42);
  return args;
}

static void assert_args_pristine(const rmt_value *args, size_t nargs) {
  const rmt_value *want = pristine();
  assert_int_equal(nargs, 4);
  for (size_t i = 0; i < 4; i++) assert_true(rmt_value_equal(&args[i], &want[i]));
}

typedef struct listener {
  sender *sender;
  rmt_bindable_event *ev;
  rmt_bindable_function *fn;
  int calls;
  int mode;
  const rmt_value *seen;
  struct listener *peer; /* fired before us in the same fire */
} listener;

static void on_event_copy(void *ud, const rmt_value *args, size_t nargs) {
  listener *l = ud;
  l->calls++;
  assert_args_pristine(args, nargs);
  assert_ptr_not_equal(args, l->sender->args);
  assert_ptr_not_equal(args[0].as.string.ptr, l->sender->name);
  assert_ptr_not_equal(args[1].as.array.items[0].as.string.ptr, l->sender->item);
  /* The sender's memory changes under us: our copy must not. */
  sender_scribble(l->sender);
  assert_args_pristine(args, nargs);
  if (l->peer) assert_ptr_equal(args, l->peer->seen); /* one copy per fire, shared */
  l->seen = args;
}

static void test_event_copy_semantics(void **state) {
  (void)state;
  rmt_bindable_event *ev = rmt_bindable_event_create(&g_ac.hook);
  assert_non_null(ev);
  rmt_signal *sig = rmt_bindable_event_signal(ev);
  assert_non_null(sig);
  assert_ptr_equal(sig, rmt_bindable_event_signal(ev));

  sender s;
  sender_init(&s);
  listener a = {.sender = &s}, b = {.sender = &s, .peer = &a};
  rmt_signal_connect(sig, on_event_copy, &a);
  rmt_signal_connect(sig, on_event_copy, &b);
  rmt_error err = {.code = 99};
  assert_int_equal(rmt_bindable_event_fire(ev, s.args, 4, &err), RMT_OK);
  assert_int_equal(err.code, 0);
  assert_string_equal(err.message, "");
  assert_int_equal(a.calls, 1);
  assert_int_equal(b.calls, 1);

  /* A second fire from freshly reset buffers makes a fresh copy. */
  sender_init(&s);
  assert_int_equal(rmt_bindable_event_fire(ev, s.args, 4, NULL), RMT_OK);
  assert_int_equal(a.calls, 2);
  rmt_bindable_event_destroy(ev);
}

static void on_count(void *ud, const rmt_value *args, size_t nargs) {
  listener *l = ud;
  (void)args;
  l->calls++;
  l->mode = (int)nargs;
}

static void test_event_zero_args_and_once(void **state) {
  (void)state;
  rmt_bindable_event *ev = rmt_bindable_event_create(&g_ac.hook);
  listener a = {0}, o = {0};
  rmt_signal_connect(rmt_bindable_event_signal(ev), on_count, &a);
  rmt_signal_once(rmt_bindable_event_signal(ev), on_count, &o);
  assert_int_equal(rmt_bindable_event_fire(ev, NULL, 0, NULL), RMT_OK);
  assert_int_equal(rmt_bindable_event_fire(ev, NULL, 0, NULL), RMT_OK);
  assert_int_equal(a.calls, 2);
  assert_int_equal(a.mode, 0);
  assert_int_equal(o.calls, 1);
  rmt_bindable_event_destroy(ev);
}

static void test_event_refuses_bad_args(void **state) {
  (void)state;
  rmt_bindable_event *ev = rmt_bindable_event_create(&g_ac.hook);
  listener a = {0};
  rmt_signal_connect(rmt_bindable_event_signal(ev), on_count, &a);
  rmt_value fn = {.type = RMT_TFUNCTION};
  rmt_value items[2] = {rmt_num(1), fn};
  rmt_value args[2] = {rmt_num(0), rmt_array(items, 2)};
  rmt_error err = {0};
  int rc = rmt_bindable_event_fire(ev, args, 2, &err);
  assert_true(rc < 0);
  assert_int_equal(err.code, rc);
  assert_true(strlen(err.message) > 0);
  assert_int_equal(a.calls, 0);

  rc = rmt_bindable_event_fire(ev, NULL, 3, &err);
  assert_int_equal(rc, RMT_EINVAL);
  assert_int_equal(rmt_bindable_event_fire(NULL, NULL, 0, &err), RMT_EINVAL);
  assert_int_equal(a.calls, 0);
  rmt_bindable_event_destroy(ev);
  rmt_bindable_event_destroy(NULL);
}

static void on_destroy_event(void *ud, const rmt_value *args, size_t nargs) {
  listener *l = ud;
  (void)nargs;
  l->calls++;
  assert_true(rmt_value_equal(&args[0], &(rmt_value){.type = RMT_TSTRING,
                                                     .as.string = {"bye", 3}}));
  rmt_bindable_event_destroy(l->ev);
}

static void test_event_destroy_inside_listener(void **state) {
  (void)state;
  rmt_bindable_event *ev = rmt_bindable_event_create(&g_ac.hook);
  listener d = {.ev = ev}, after = {0};
  rmt_signal_connect(rmt_bindable_event_signal(ev), on_destroy_event, &d);
  rmt_signal_connect(rmt_bindable_event_signal(ev), on_count, &after);
  rmt_value arg = rmt_str("bye");
  assert_int_equal(rmt_bindable_event_fire(ev, &arg, 1, NULL), RMT_OK);
  assert_int_equal(d.calls, 1);
  assert_int_equal(after.calls, 0);
  /* teardown: the copy, the signal and the event were all freed. */
}

static void test_event_destroy_via_direct_signal_fire(void **state) {
  (void)state;
  /* Someone fires the Event signal directly and a listener destroys the bindable: the
   * bindable goes at once, its signal when that fire returns. */
  rmt_bindable_event *ev = rmt_bindable_event_create(&g_ac.hook);
  listener d = {.ev = ev};
  rmt_signal *sig = rmt_bindable_event_signal(ev);
  rmt_signal_connect(sig, on_destroy_event, &d);
  rmt_value arg = rmt_str("bye");
  assert_int_equal(rmt_signal_fire(sig, &arg, 1), 1);
}

static void on_nested_event(void *ud, const rmt_value *args, size_t nargs) {
  listener *l = ud;
  l->calls++;
  double depth = args[0].as.number;
  assert_int_equal(nargs, 1);
  if (depth < 3) {
    rmt_value next = rmt_num(depth + 1);
    assert_int_equal(rmt_bindable_event_fire(l->ev, &next, 1, NULL), RMT_OK);
  }
  /* Our own copy survived the nested fires (each has its own). */
  assert_true(args[0].as.number == depth);
}

static void test_event_nested_fire(void **state) {
  (void)state;
  rmt_bindable_event *ev = rmt_bindable_event_create(&g_ac.hook);
  listener l = {.ev = ev};
  rmt_signal_connect(rmt_bindable_event_signal(ev), on_nested_event, &l);
  rmt_value zero = rmt_num(0);
  assert_int_equal(rmt_bindable_event_fire(ev, &zero, 1, NULL), RMT_OK);
  assert_int_equal(l.calls, 4);
  rmt_bindable_event_destroy(ev);
}

/* ---- BindableFunction ---- */

enum {
  H_RETURN_ARGS,      /* echo the arguments back */
  H_NOTHING,          /* set no result */
  H_ERROR,            /* raise "boom at line 3" */
  H_RETURN_THEN_ERROR,
  H_ERROR_THEN_RETURN,
  H_RETURN_TWICE,
  H_RETURN_FROM_BUFFER, /* return a string from a buffer the handler then scribbles */
  H_RETURN_BAD,         /* return a function value */
  H_LONG_ERROR,         /* raise a message longer than rmt_error can hold */
};

static char g_handler_buf[16];

static void handler(void *ud, rmt_invocation *reply, const rmt_value *args, size_t nargs) {
  listener *l = ud;
  l->calls++;
  rmt_value one = rmt_num(1), two[2] = {rmt_num(2), rmt_str("two")};
  switch (l->mode) {
  case H_RETURN_ARGS:
    if (l->sender) {
      assert_args_pristine(args, nargs);
      sender_scribble(l->sender);
      assert_args_pristine(args, nargs);
    }
    {
      /* Out of memory is the one acceptable failure (the OOM loops drive it). */
      int rc = rmt_invocation_return(reply, args, nargs);
      assert_true(rc == RMT_OK || rc == RMT_ENOMEM);
    }
    break;
  case H_NOTHING:
    break;
  case H_ERROR:
    assert_int_equal(rmt_invocation_error(reply, "boom at line 3"), RMT_OK);
    break;
  /* Exactly once: the first completion is the answer, later ones are refused. */
  case H_RETURN_THEN_ERROR:
    assert_int_equal(rmt_invocation_return(reply, &one, 1), RMT_OK);
    assert_int_equal(rmt_invocation_error(reply, "too late"), RMT_ESTATE);
    break;
  case H_ERROR_THEN_RETURN:
    assert_int_equal(rmt_invocation_error(reply, "first wins"), RMT_OK);
    assert_int_equal(rmt_invocation_return(reply, two, 2), RMT_ESTATE);
    break;
  case H_RETURN_TWICE:
    assert_int_equal(rmt_invocation_return(reply, two, 2), RMT_OK);
    assert_int_equal(rmt_invocation_return(reply, &one, 1), RMT_ESTATE);
    break;
  case H_RETURN_FROM_BUFFER: {
    strcpy(g_handler_buf, "result");
    rmt_value v = rmt_lstr(g_handler_buf, 6);
    assert_int_equal(rmt_invocation_return(reply, &v, 1), RMT_OK);
    memset(g_handler_buf, '#', 6);
    break;
  }
  case H_LONG_ERROR: {
    char msg[1000];
    memset(msg, 'e', sizeof msg - 1);
    msg[sizeof msg - 1] = '\0';
    assert_int_equal(rmt_invocation_error(reply, msg), RMT_OK);
    break;
  }
  case H_RETURN_BAD: {
    /* NULL values with a count is a caller bug, refused before it counts as the answer. */
    assert_int_equal(rmt_invocation_return(reply, NULL, 1), RMT_EINVAL);
    rmt_value bad = {.type = RMT_TFUNCTION};
    assert_true(rmt_invocation_return(reply, &bad, 1) < 0);
    /* The failed store was the one completion: nothing can replace it. */
    assert_int_equal(rmt_invocation_return(reply, &one, 1), RMT_ESTATE);
    break;
  }
  }
}

static void test_function_no_handler(void **state) {
  (void)state;
  rmt_bindable_function *fn = rmt_bindable_function_create(&g_ac.hook);
  assert_non_null(fn);
  rmt_value *res = (rmt_value *)&res; /* must be overwritten with NULL */
  size_t nres = 77;
  rmt_error err = {0};
  assert_int_equal(rmt_bindable_function_invoke(fn, NULL, 0, &res, &nres, &err),
                   RMT_ENOHANDLER);
  assert_null(res);
  assert_int_equal(nres, 0);
  assert_int_equal(err.code, RMT_ENOHANDLER);
  assert_string_equal(err.message, "no handler: BindableFunction has no OnInvoke");

  /* Setting then clearing the handler goes back to no handler. */
  listener l = {.mode = H_NOTHING};
  rmt_bindable_function_on_invoke(fn, handler, &l);
  assert_int_equal(rmt_bindable_function_invoke(fn, NULL, 0, &res, &nres, &err), RMT_OK);
  rmt_bindable_function_on_invoke(fn, NULL, NULL);
  assert_int_equal(rmt_bindable_function_invoke(fn, NULL, 0, &res, &nres, &err),
                   RMT_ENOHANDLER);
  assert_int_equal(l.calls, 1);
  assert_int_equal(rmt_bindable_function_invoke(NULL, NULL, 0, &res, &nres, &err),
                   RMT_EINVAL);
  rmt_bindable_function_destroy(fn);
  rmt_bindable_function_destroy(NULL);
}

static void test_function_returns_owned_copy(void **state) {
  (void)state;
  rmt_bindable_function *fn = rmt_bindable_function_create(&g_ac.hook);
  sender s;
  sender_init(&s);
  listener l = {.mode = H_RETURN_ARGS, .sender = &s};
  rmt_bindable_function_on_invoke(fn, handler, &l);
  rmt_value *res = NULL;
  size_t nres = 0;
  rmt_error err = {.code = 5};
  assert_int_equal(rmt_bindable_function_invoke(fn, s.args, 4, &res, &nres, &err), RMT_OK);
  assert_int_equal(err.code, 0);
  assert_int_equal(l.calls, 1);
  /* The handler scribbled the sender's buffers; results came from the copy. */
  assert_args_pristine(res, nres);
  rmt_values_free(res, &g_ac.hook);

  /* Results outlive the handler's memory. */
  l.mode = H_RETURN_FROM_BUFFER;
  assert_int_equal(rmt_bindable_function_invoke(fn, NULL, 0, &res, &nres, &err), RMT_OK);
  assert_int_equal(nres, 1);
  assert_int_equal(res[0].type, RMT_TSTRING);
  assert_int_equal(res[0].as.string.len, 6);
  assert_memory_equal(res[0].as.string.ptr, "result", 6);
  rmt_values_free(res, &g_ac.hook);

  /* Discarding results is allowed and frees them. */
  l.mode = H_RETURN_ARGS;
  l.sender = NULL;
  sender_init(&s);
  assert_int_equal(rmt_bindable_function_invoke(fn, s.args, 4, NULL, NULL, &err), RMT_OK);
  rmt_bindable_function_destroy(fn);
}

static void test_function_nothing_set_returns_zero(void **state) {
  (void)state;
  rmt_bindable_function *fn = rmt_bindable_function_create(&g_ac.hook);
  listener l = {.mode = H_NOTHING};
  rmt_bindable_function_on_invoke(fn, handler, &l);
  rmt_value *res = (rmt_value *)&res;
  size_t nres = 9;
  rmt_value arg = rmt_num(3);
  assert_int_equal(rmt_bindable_function_invoke(fn, &arg, 1, &res, &nres, NULL), RMT_OK);
  assert_null(res);
  assert_int_equal(nres, 0);
  /* Returning an empty list explicitly is the same. */
  l.mode = H_RETURN_ARGS;
  assert_int_equal(rmt_bindable_function_invoke(fn, NULL, 0, &res, &nres, NULL), RMT_OK);
  assert_null(res);
  assert_int_equal(nres, 0);
  rmt_bindable_function_destroy(fn);
}

static void test_function_error_propagates(void **state) {
  (void)state;
  rmt_bindable_function *fn = rmt_bindable_function_create(&g_ac.hook);
  listener l = {.mode = H_ERROR};
  rmt_bindable_function_on_invoke(fn, handler, &l);
  rmt_value *res = NULL;
  size_t nres = 0;
  rmt_error err = {0};
  assert_int_equal(rmt_bindable_function_invoke(fn, NULL, 0, &res, &nres, &err),
                   RMT_EHANDLER);
  assert_int_equal(err.code, RMT_EHANDLER);
  assert_string_equal(err.message, "boom at line 3");
  assert_null(res);

  l.mode = H_RETURN_THEN_ERROR;
  assert_int_equal(rmt_bindable_function_invoke(fn, NULL, 0, &res, &nres, &err), RMT_OK);
  assert_int_equal(nres, 1);
  assert_true(res[0].as.number == 1);
  rmt_values_free(res, &g_ac.hook);

  l.mode = H_RETURN_TWICE;
  assert_int_equal(rmt_bindable_function_invoke(fn, NULL, 0, &res, &nres, &err), RMT_OK);
  assert_int_equal(nres, 2);
  assert_true(res[0].as.number == 2);
  rmt_values_free(res, &g_ac.hook);

  l.mode = H_ERROR_THEN_RETURN;
  assert_int_equal(rmt_bindable_function_invoke(fn, NULL, 0, &res, &nres, &err),
                   RMT_EHANDLER);
  assert_string_equal(err.message, "first wins");
  assert_null(res);

  /* A result that may not cross fails the invoke with the check's code and message. */
  l.mode = H_RETURN_BAD;
  int rc = rmt_bindable_function_invoke(fn, NULL, 0, &res, &nres, &err);
  assert_true(rc < 0 && rc != RMT_EHANDLER);
  assert_int_equal(err.code, rc);
  assert_true(strlen(err.message) > 0);
  assert_null(res);
  assert_int_equal(nres, 0);

  /* A long message arrives truncated, still NUL-terminated. */
  l.mode = H_LONG_ERROR;
  assert_int_equal(rmt_bindable_function_invoke(fn, NULL, 0, &res, &nres, &err),
                   RMT_EHANDLER);
  assert_int_equal(strlen(err.message), sizeof err.message - 1);
  assert_int_equal(err.message[0], 'e');
  assert_int_equal(rmt_invocation_return(NULL, NULL, 0), RMT_EINVAL);
  assert_int_equal(rmt_invocation_error(NULL, "x"), RMT_EINVAL);

  /* Bad arguments never reach the handler. */
  int calls = l.calls;
  rmt_value bad = {.type = RMT_TFUNCTION};
  rc = rmt_bindable_function_invoke(fn, &bad, 1, &res, &nres, &err);
  assert_true(rc < 0);
  assert_int_equal(l.calls, calls);
  rmt_bindable_function_destroy(fn);
}

static void handler_b(void *ud, rmt_invocation *reply, const rmt_value *args, size_t nargs) {
  (void)args, (void)nargs;
  listener *l = ud;
  l->calls++;
  rmt_value v = rmt_str("B");
  rmt_invocation_return(reply, &v, 1);
}

static void handler_a_replaces(void *ud, rmt_invocation *reply, const rmt_value *args,
                               size_t nargs) {
  (void)args, (void)nargs;
  listener *l = ud;
  l->calls++;
  rmt_bindable_function_on_invoke(l->fn, handler_b, l);
  rmt_value v = rmt_str("A");
  rmt_invocation_return(reply, &v, 1);
}

static void test_function_handler_replace(void **state) {
  (void)state;
  rmt_bindable_function *fn = rmt_bindable_function_create(&g_ac.hook);
  listener l = {.fn = fn};
  rmt_value *res;
  size_t nres;
  rmt_bindable_function_on_invoke(fn, handler_a_replaces, &l);
  /* The running handler replaces itself: this call still answers "A", the next "B". */
  assert_int_equal(rmt_bindable_function_invoke(fn, NULL, 0, &res, &nres, NULL), RMT_OK);
  assert_string_equal(res[0].as.string.ptr, "A");
  rmt_values_free(res, &g_ac.hook);
  assert_int_equal(rmt_bindable_function_invoke(fn, NULL, 0, &res, &nres, NULL), RMT_OK);
  assert_string_equal(res[0].as.string.ptr, "B");
  rmt_values_free(res, &g_ac.hook);

  /* Replacing from outside: only the newest handler runs. */
  listener other = {.mode = H_ERROR};
  rmt_bindable_function_on_invoke(fn, handler, &other);
  rmt_error err;
  assert_int_equal(rmt_bindable_function_invoke(fn, NULL, 0, &res, &nres, &err),
                   RMT_EHANDLER);
  assert_int_equal(other.calls, 1);
  assert_int_equal(l.calls, 2);
  rmt_bindable_function_destroy(fn);
}

/* n -> invoke(n - 1) + 1, so invoke(5) == 5 after five nested invokes. */
static void handler_recursive(void *ud, rmt_invocation *reply, const rmt_value *args,
                              size_t nargs) {
  listener *l = ud;
  l->calls++;
  assert_int_equal(nargs, 1);
  double n = args[0].as.number;
  rmt_value out = rmt_num(0);
  if (n > 0) {
    rmt_value next = rmt_num(n - 1), *res;
    size_t nres;
    assert_int_equal(rmt_bindable_function_invoke(l->fn, &next, 1, &res, &nres, NULL),
                     RMT_OK);
    out = rmt_num(res[0].as.number + 1);
    rmt_values_free(res, &g_ac.hook);
  }
  assert_true(args[0].as.number == n); /* our copy survived the nested calls */
  rmt_invocation_return(reply, &out, 1);
}

static void test_function_reentrant(void **state) {
  (void)state;
  rmt_bindable_function *fn = rmt_bindable_function_create(&g_ac.hook);
  listener l = {.fn = fn};
  rmt_bindable_function_on_invoke(fn, handler_recursive, &l);
  rmt_value five = rmt_num(5), *res;
  size_t nres;
  assert_int_equal(rmt_bindable_function_invoke(fn, &five, 1, &res, &nres, NULL), RMT_OK);
  assert_int_equal(nres, 1);
  assert_true(res[0].as.number == 5);
  assert_int_equal(l.calls, 6);
  rmt_values_free(res, &g_ac.hook);
  rmt_bindable_function_destroy(fn);
}

static void handler_destroys(void *ud, rmt_invocation *reply, const rmt_value *args,
                             size_t nargs) {
  listener *l = ud;
  l->calls++;
  rmt_bindable_function_destroy(l->fn);
  rmt_invocation_return(reply, args, nargs); /* the reply outlives the destroyed function */
}

static void test_function_destroy_inside_handler(void **state) {
  (void)state;
  rmt_bindable_function *fn = rmt_bindable_function_create(&g_ac.hook);
  listener l = {.fn = fn};
  rmt_bindable_function_on_invoke(fn, handler_destroys, &l);
  rmt_value arg = rmt_str("last words"), *res;
  size_t nres;
  assert_int_equal(rmt_bindable_function_invoke(fn, &arg, 1, &res, &nres, NULL), RMT_OK);
  assert_int_equal(nres, 1);
  assert_string_equal(res[0].as.string.ptr, "last words");
  rmt_values_free(res, &g_ac.hook);
  assert_int_equal(l.calls, 1);
}

/* ---- out of memory: fail the Nth allocation, raise N until the call succeeds ---- */

static void test_event_oom_loop(void **state) {
  (void)state;
  int succeeded = 0;
  size_t n;
  for (n = 1; n < 10000 && !succeeded; n++) {
    alloc_counter_init(&g_ac);
    g_ac.fail_at = n;
    sender s;
    sender_init(&s);
    listener l = {.sender = &s};
    rmt_bindable_event *ev = rmt_bindable_event_create(&g_ac.hook);
    if (!ev) goto check;
    if (!rmt_signal_connect(rmt_bindable_event_signal(ev), on_event_copy, &l)) goto check;
    rmt_error err = {0};
    int rc = rmt_bindable_event_fire(ev, s.args, 4, &err);
    if (rc == RMT_OK) {
      assert_int_equal(l.calls, 1);
      succeeded = 1;
    } else {
      assert_int_equal(rc, RMT_ENOMEM);
      assert_int_equal(err.code, RMT_ENOMEM);
      assert_true(strlen(err.message) > 0);
      assert_int_equal(l.calls, 0);
    }
  check:
    rmt_bindable_event_destroy(ev);
    assert_int_equal(g_ac.live_blocks, 0);
    assert_false(g_ac.bad_osize);
  }
  assert_true(succeeded);
  assert_true(n > 3); /* the loop really exercised failures before succeeding */
  alloc_counter_init(&g_ac);
}

static void test_function_oom_loop(void **state) {
  (void)state;
  int succeeded = 0;
  size_t n;
  for (n = 1; n < 10000 && !succeeded; n++) {
    alloc_counter_init(&g_ac);
    g_ac.fail_at = n;
    sender s;
    sender_init(&s);
    listener l = {.mode = H_RETURN_ARGS};
    rmt_bindable_function *fn = rmt_bindable_function_create(&g_ac.hook);
    if (!fn) {
      assert_int_equal(g_ac.live_blocks, 0);
      continue;
    }
    rmt_bindable_function_on_invoke(fn, handler, &l);
    rmt_value *res = NULL;
    size_t nres = 0;
    rmt_error err = {0};
    int rc = rmt_bindable_function_invoke(fn, s.args, 4, &res, &nres, &err);
    if (rc == RMT_OK) {
      assert_args_pristine(res, nres);
      rmt_values_free(res, &g_ac.hook);
      succeeded = 1;
    } else {
      assert_int_equal(rc, RMT_ENOMEM);
      assert_int_equal(err.code, RMT_ENOMEM);
      assert_true(strlen(err.message) > 0);
      assert_null(res);
      assert_int_equal(nres, 0);
    }
    rmt_bindable_function_destroy(fn);
    assert_int_equal(g_ac.live_blocks, 0);
    assert_false(g_ac.bad_osize);
  }
  assert_true(succeeded);
  assert_true(n > 3);
  alloc_counter_init(&g_ac);
}

static void handler_error_tolerant(void *ud, rmt_invocation *reply, const rmt_value *args,
                                   size_t nargs) {
  (void)args, (void)nargs;
  listener *l = ud;
  l->calls++;
  int rc = rmt_invocation_error(reply, "boom at line 3");
  assert_true(rc == RMT_OK || rc == RMT_ENOMEM);
}

static void test_function_error_oom_loop(void **state) {
  (void)state;
  int succeeded = 0;
  for (size_t n = 1; n < 1000 && !succeeded; n++) {
    alloc_counter_init(&g_ac);
    g_ac.fail_at = n;
    listener l = {.mode = H_ERROR};
    rmt_bindable_function *fn = rmt_bindable_function_create(&g_ac.hook);
    if (!fn) continue;
    rmt_bindable_function_on_invoke(fn, handler_error_tolerant, &l);
    rmt_error err = {0};
    int rc = rmt_bindable_function_invoke(fn, NULL, 0, NULL, NULL, &err);
    /* Even when the message cannot be stored, the caller still learns it was an error. */
    assert_int_equal(rc, RMT_EHANDLER);
    assert_int_equal(err.code, RMT_EHANDLER);
    if (strcmp(err.message, "boom at line 3") == 0)
      succeeded = 1;
    else
      assert_non_null(strstr(err.message, "out of memory"));
    rmt_bindable_function_destroy(fn);
    assert_int_equal(g_ac.live_blocks, 0);
  }
  assert_true(succeeded);
  alloc_counter_init(&g_ac);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_event_copy_semantics, setup, teardown),
      cmocka_unit_test_setup_teardown(test_event_zero_args_and_once, setup, teardown),
      cmocka_unit_test_setup_teardown(test_event_refuses_bad_args, setup, teardown),
      cmocka_unit_test_setup_teardown(test_event_destroy_inside_listener, setup, teardown),
      cmocka_unit_test_setup_teardown(test_event_destroy_via_direct_signal_fire, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_event_nested_fire, setup, teardown),
      cmocka_unit_test_setup_teardown(test_function_no_handler, setup, teardown),
      cmocka_unit_test_setup_teardown(test_function_returns_owned_copy, setup, teardown),
      cmocka_unit_test_setup_teardown(test_function_nothing_set_returns_zero, setup, teardown),
      cmocka_unit_test_setup_teardown(test_function_error_propagates, setup, teardown),
      cmocka_unit_test_setup_teardown(test_function_handler_replace, setup, teardown),
      cmocka_unit_test_setup_teardown(test_function_reentrant, setup, teardown),
      cmocka_unit_test_setup_teardown(test_function_destroy_inside_handler, setup, teardown),
      cmocka_unit_test_setup_teardown(test_event_oom_loop, setup, teardown),
      cmocka_unit_test_setup_teardown(test_function_oom_loop, setup, teardown),
      cmocka_unit_test_setup_teardown(test_function_error_oom_loop, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
