/* test_signal.c - rmt_signal: ordering, ids, once, every re-entrancy rule, destroy from a
 * listener, reclaiming slots, no allocation in fire, and out-of-memory behaviour. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "alloc_counter.h"
#include "remotes.h"

/* A listener's view of the world: which signal, its own id, and a shared call log. */
typedef struct log {
  int entries[256];
  size_t n;
} log;

static void log_push(log *l, int v) {
  assert_true(l->n < sizeof l->entries / sizeof l->entries[0]);
  l->entries[l->n++] = v;
}

typedef struct probe {
  rmt_signal *sig;
  log *log;
  int tag;
  rmt_conn_id self;
  rmt_conn_id other; /* a connection this probe acts on */
  struct probe *spawn;
  int calls;
  int max_depth;
  int depth;
  const rmt_value *seen_args;
  size_t seen_nargs;
} probe;

static void on_record(void *ud, const rmt_value *args, size_t nargs) {
  probe *p = ud;
  p->calls++;
  p->seen_args = args;
  p->seen_nargs = nargs;
  log_push(p->log, p->tag);
}

/* Every test ends in the teardown: nothing leaked and every osize matched. */
ALLOC_COUNTER_FIXTURE(g_ac)

static void test_order_args_and_count(void **state) {
  (void)state;
  log l = {0};
  rmt_signal *sig = rmt_signal_create(&g_ac.hook);
  assert_non_null(sig);
  probe p[3] = {{.log = &l, .tag = 1}, {.log = &l, .tag = 2}, {.log = &l, .tag = 3}};
  for (int i = 0; i < 3; i++) assert_true(rmt_signal_connect(sig, on_record, &p[i]) != 0);
  assert_int_equal(rmt_signal_listener_count(sig), 3);

  rmt_value args[2] = {rmt_num(7), rmt_str("x")};
  assert_int_equal(rmt_signal_fire(sig, args, 2), 3);
  assert_int_equal(l.n, 3);
  assert_int_equal(l.entries[0], 1);
  assert_int_equal(l.entries[1], 2);
  assert_int_equal(l.entries[2], 3);
  /* The signal itself does not copy: listeners borrow the caller's args. */
  assert_ptr_equal(p[1].seen_args, args);
  assert_int_equal(p[1].seen_nargs, 2);

  assert_int_equal(rmt_signal_fire(sig, NULL, 0), 3);
  assert_int_equal(p[0].seen_nargs, 0);
  rmt_signal_destroy(sig);
}

static void test_ids_stale_and_idempotent(void **state) {
  (void)state;
  log l = {0};
  probe p = {.log = &l, .tag = 1};
  rmt_signal *sig = rmt_signal_create(&g_ac.hook);
  rmt_conn_id first = rmt_signal_connect(sig, on_record, &p);
  assert_true(first != 0);
  assert_true(rmt_signal_connected(sig, first));

  rmt_conn_id highest = first;
  /* Enough churn to force compaction and reallocation; ids must still never repeat. */
  for (int round = 0; round < 50; round++) {
    rmt_conn_id ids[40];
    for (int i = 0; i < 40; i++) {
      ids[i] = rmt_signal_connect(sig, on_record, &p);
      assert_true(ids[i] > highest);
      highest = ids[i];
    }
    for (int i = 0; i < 40; i++) rmt_signal_disconnect(sig, ids[i]);
    for (int i = 0; i < 40; i++) assert_false(rmt_signal_connected(sig, ids[i]));
  }
  assert_int_equal(rmt_signal_listener_count(sig), 1);

  rmt_signal_disconnect(sig, first);
  assert_false(rmt_signal_connected(sig, first));
  rmt_signal_disconnect(sig, first); /* idempotent */
  assert_int_equal(rmt_signal_listener_count(sig), 0);

  rmt_conn_id fresh = rmt_signal_connect(sig, on_record, &p);
  assert_true(fresh > highest);
  /* Stale and bogus ids never touch the live connection. */
  rmt_signal_disconnect(sig, first);
  rmt_signal_disconnect(sig, 0);
  rmt_signal_disconnect(sig, UINT64_MAX);
  rmt_signal_disconnect(sig, fresh + 1);
  assert_false(rmt_signal_connected(sig, 0));
  assert_false(rmt_signal_connected(sig, fresh + 1));
  assert_true(rmt_signal_connected(sig, fresh));
  assert_int_equal(rmt_signal_fire(sig, NULL, 0), 1);
  rmt_signal_destroy(sig);
}

static void on_once_check(void *ud, const rmt_value *args, size_t nargs) {
  probe *p = ud;
  /* A once-listener is already disconnected when it runs. */
  assert_false(rmt_signal_connected(p->sig, p->self));
  on_record(ud, args, nargs);
}

static void test_once(void **state) {
  (void)state;
  log l = {0};
  rmt_signal *sig = rmt_signal_create(&g_ac.hook);
  probe o = {.sig = sig, .log = &l, .tag = 9};
  probe r = {.log = &l, .tag = 1};
  o.self = rmt_signal_once(sig, on_once_check, &o);
  assert_true(o.self != 0);
  rmt_signal_connect(sig, on_record, &r);
  assert_int_equal(rmt_signal_listener_count(sig), 2);
  assert_true(rmt_signal_connected(sig, o.self));
  assert_int_equal(rmt_signal_fire(sig, NULL, 0), 2);
  assert_int_equal(rmt_signal_listener_count(sig), 1);
  assert_int_equal(rmt_signal_fire(sig, NULL, 0), 1);
  assert_int_equal(o.calls, 1);
  assert_int_equal(r.calls, 2);

  /* A once-listener disconnected before any fire is never called. */
  probe o2 = {.sig = sig, .log = &l, .tag = 8};
  o2.self = rmt_signal_once(sig, on_once_check, &o2);
  rmt_signal_disconnect(sig, o2.self);
  rmt_signal_fire(sig, NULL, 0);
  assert_int_equal(o2.calls, 0);
  rmt_signal_destroy(sig);
}

static void on_connect_spawn(void *ud, const rmt_value *args, size_t nargs) {
  probe *p = ud;
  on_record(ud, args, nargs);
  if (p->spawn && !p->spawn->self) {
    p->spawn->self = rmt_signal_connect(p->sig, on_record, p->spawn);
    assert_true(p->spawn->self != 0);
  }
}

static void test_connect_during_fire(void **state) {
  (void)state;
  log l = {0};
  rmt_signal *sig = rmt_signal_create(&g_ac.hook);
  probe late = {.log = &l, .tag = 2};
  probe a = {.sig = sig, .log = &l, .tag = 1, .spawn = &late};
  rmt_signal_connect(sig, on_connect_spawn, &a);
  /* Fill past the initial capacity so the spawned connect must grow the array mid-fire. */
  probe filler = {.log = &l, .tag = 0};
  for (int i = 0; i < 7; i++) rmt_signal_connect(sig, on_record, &filler);

  assert_int_equal(rmt_signal_fire(sig, NULL, 0), 8);
  assert_int_equal(late.calls, 0);
  assert_true(rmt_signal_connected(sig, late.self));
  assert_int_equal(rmt_signal_listener_count(sig), 9);

  l.n = 0;
  assert_int_equal(rmt_signal_fire(sig, NULL, 0), 9);
  assert_int_equal(late.calls, 1);
  assert_int_equal(l.entries[l.n - 1], 2); /* newest connection runs last */
  rmt_signal_destroy(sig);
}

static void on_disconnect_other(void *ud, const rmt_value *args, size_t nargs) {
  probe *p = ud;
  on_record(ud, args, nargs);
  rmt_signal_disconnect(p->sig, p->other);
}

static void test_disconnect_self_during_fire(void **state) {
  (void)state;
  log l = {0};
  rmt_signal *sig = rmt_signal_create(&g_ac.hook);
  probe a = {.sig = sig, .log = &l, .tag = 1};
  probe b = {.log = &l, .tag = 2};
  a.self = rmt_signal_connect(sig, on_disconnect_other, &a);
  a.other = a.self;
  rmt_signal_connect(sig, on_record, &b);
  assert_int_equal(rmt_signal_fire(sig, NULL, 0), 2);
  assert_false(rmt_signal_connected(sig, a.self));
  assert_int_equal(rmt_signal_fire(sig, NULL, 0), 1);
  assert_int_equal(a.calls, 1);
  assert_int_equal(b.calls, 2);
  rmt_signal_destroy(sig);
}

static void test_disconnect_others_during_fire(void **state) {
  (void)state;
  log l = {0};
  rmt_signal *sig = rmt_signal_create(&g_ac.hook);
  probe first = {.log = &l, .tag = 1};
  probe killer = {.sig = sig, .log = &l, .tag = 2};
  probe victim = {.log = &l, .tag = 3};
  probe last = {.log = &l, .tag = 4};
  first.self = rmt_signal_connect(sig, on_record, &first);
  killer.self = rmt_signal_connect(sig, on_disconnect_other, &killer);
  victim.self = rmt_signal_connect(sig, on_record, &victim);
  last.self = rmt_signal_connect(sig, on_record, &last);

  /* Removed before its turn: not called. */
  killer.other = victim.self;
  assert_int_equal(rmt_signal_fire(sig, NULL, 0), 3);
  assert_int_equal(victim.calls, 0);
  assert_int_equal(last.calls, 1);

  /* Removed after its turn: this fire already called it, the next one does not. */
  killer.other = first.self;
  assert_int_equal(rmt_signal_fire(sig, NULL, 0), 3);
  assert_int_equal(first.calls, 2);
  assert_int_equal(rmt_signal_fire(sig, NULL, 0), 2);
  assert_int_equal(first.calls, 2);
  assert_int_equal(rmt_signal_listener_count(sig), 2);
  rmt_signal_destroy(sig);
}

static void on_nested(void *ud, const rmt_value *args, size_t nargs) {
  probe *p = ud;
  log_push(p->log, p->tag * 10 + p->depth);
  p->calls++;
  if (p->depth < p->max_depth) {
    p->depth++;
    rmt_signal_fire(p->sig, args, nargs);
    p->depth--;
  }
}

static void test_nested_fire(void **state) {
  (void)state;
  log l = {0};
  rmt_signal *sig = rmt_signal_create(&g_ac.hook);
  probe a = {.sig = sig, .log = &l, .tag = 1, .max_depth = 2};
  probe b = {.log = &l, .tag = 2};
  rmt_signal_connect(sig, on_nested, &a);
  rmt_signal_connect(sig, on_record, &b);
  assert_int_equal(rmt_signal_fire(sig, NULL, 0), 2);
  /* a@0 -> fire -> a@1 -> fire -> a@2, b ; b ; b */
  int expect[] = {10, 11, 12, 2, 2, 2};
  assert_int_equal(l.n, 6);
  for (size_t i = 0; i < 6; i++) assert_int_equal(l.entries[i], expect[i]);
  rmt_signal_destroy(sig);
}

/* Connects a new listener from inside a nested fire; neither fire may call it. */
static void on_nested_connect(void *ud, const rmt_value *args, size_t nargs) {
  probe *p = ud;
  p->calls++;
  if (p->depth == 0) {
    p->depth++;
    rmt_signal_fire(p->sig, args, nargs);
    p->depth--;
  } else if (!p->spawn->self) {
    p->spawn->self = rmt_signal_connect(p->sig, on_record, p->spawn);
  }
}

static void test_connect_in_nested_fire(void **state) {
  (void)state;
  log l = {0};
  rmt_signal *sig = rmt_signal_create(&g_ac.hook);
  probe late = {.log = &l, .tag = 5};
  probe a = {.sig = sig, .log = &l, .spawn = &late};
  rmt_signal_connect(sig, on_nested_connect, &a);
  assert_int_equal(rmt_signal_fire(sig, NULL, 0), 1);
  assert_int_equal(a.calls, 2);
  assert_int_equal(late.calls, 0);
  /* Now it belongs to both the outer fire and the nested one a starts. */
  assert_int_equal(rmt_signal_fire(sig, NULL, 0), 2);
  assert_int_equal(late.calls, 2);
  rmt_signal_destroy(sig);
}

static void on_once_refire(void *ud, const rmt_value *args, size_t nargs) {
  probe *p = ud;
  p->calls++;
  rmt_signal_fire(p->sig, args, nargs);
}

static void test_once_with_nested_fire(void **state) {
  (void)state;
  log l = {0};
  rmt_signal *sig = rmt_signal_create(&g_ac.hook);
  probe o = {.sig = sig, .log = &l};
  probe b = {.log = &l, .tag = 2};
  rmt_signal_once(sig, on_once_refire, &o);
  rmt_signal_connect(sig, on_record, &b);
  /* The outer fire calls o, which re-fires: the inner fire must not call o again. */
  assert_int_equal(rmt_signal_fire(sig, NULL, 0), 2);
  assert_int_equal(o.calls, 1);
  assert_int_equal(b.calls, 2);
  assert_int_equal(rmt_signal_listener_count(sig), 1);
  rmt_signal_destroy(sig);
}

static void on_destroy_signal(void *ud, const rmt_value *args, size_t nargs) {
  probe *p = ud;
  on_record(ud, args, nargs);
  rmt_signal_destroy(p->sig);
}

static void test_destroy_inside_listener(void **state) {
  (void)state;
  log l = {0};
  rmt_signal *sig = rmt_signal_create(&g_ac.hook);
  probe before = {.log = &l, .tag = 1};
  probe d = {.sig = sig, .log = &l, .tag = 2};
  probe after = {.log = &l, .tag = 3};
  rmt_signal_connect(sig, on_record, &before);
  rmt_signal_connect(sig, on_destroy_signal, &d);
  rmt_signal_connect(sig, on_record, &after);
  assert_int_equal(rmt_signal_fire(sig, NULL, 0), 2);
  assert_int_equal(after.calls, 0);
  /* teardown proves the deferred release happened (no live blocks). */
}

static void on_nested_then_destroy(void *ud, const rmt_value *args, size_t nargs) {
  probe *p = ud;
  p->calls++;
  if (p->depth < 2) {
    p->depth++;
    rmt_signal_fire(p->sig, args, nargs);
    p->depth--;
  } else {
    rmt_signal_destroy(p->sig);
  }
}

static void test_destroy_inside_nested_fire(void **state) {
  (void)state;
  log l = {0};
  rmt_signal *sig = rmt_signal_create(&g_ac.hook);
  probe a = {.sig = sig, .log = &l};
  probe b = {.log = &l, .tag = 2};
  rmt_signal_connect(sig, on_nested_then_destroy, &a);
  rmt_signal_connect(sig, on_record, &b);
  rmt_signal_fire(sig, NULL, 0);
  assert_int_equal(a.calls, 3);
  assert_int_equal(b.calls, 0); /* every fire in progress stopped at the destroy */
}

static void test_null_and_bad_input(void **state) {
  (void)state;
  rmt_signal_destroy(NULL);
  assert_int_equal(rmt_signal_fire(NULL, NULL, 0), 0);
  assert_int_equal(rmt_signal_listener_count(NULL), 0);
  assert_false(rmt_signal_connected(NULL, 1));
  rmt_signal_disconnect(NULL, 1);
  assert_int_equal(rmt_signal_connect(NULL, on_record, NULL), 0);
  rmt_signal *sig = rmt_signal_create(&g_ac.hook);
  assert_int_equal(rmt_signal_connect(sig, NULL, NULL), 0);
  assert_int_equal(rmt_signal_once(sig, NULL, NULL), 0);
  assert_int_equal(rmt_signal_listener_count(sig), 0);
  assert_int_equal(rmt_signal_fire(sig, NULL, 0), 0);
  rmt_signal_destroy(sig);

  /* NULL allocator means malloc. */
  sig = rmt_signal_create(NULL);
  assert_non_null(sig);
  log l = {0};
  probe p = {.log = &l};
  assert_true(rmt_signal_connect(sig, on_record, &p) != 0);
  assert_int_equal(rmt_signal_fire(sig, NULL, 0), 1);
  rmt_signal_destroy(sig);
}

static void on_nothing(void *ud, const rmt_value *args, size_t nargs) {
  (void)ud, (void)args, (void)nargs;
}

static void test_churn_memory_bounded(void **state) {
  (void)state;
  rmt_signal *sig = rmt_signal_create(&g_ac.hook);
  rmt_conn_id keep = rmt_signal_connect(sig, on_nothing, NULL);
  size_t baseline = g_ac.live_bytes;
  for (int i = 0; i < 200000; i++) {
    rmt_conn_id id = rmt_signal_connect(sig, on_nothing, NULL);
    assert_true(id != 0);
    rmt_signal_disconnect(sig, id);
  }
  assert_true(g_ac.live_bytes <= baseline);
  assert_true(rmt_signal_connected(sig, keep));

  /* Grow big, then drop almost everything: memory shrinks back toward the live set. */
  static rmt_conn_id ids[10000];
  for (int i = 0; i < 10000; i++) ids[i] = rmt_signal_connect(sig, on_nothing, NULL);
  size_t big = g_ac.live_bytes;
  for (int i = 0; i < 10000; i++) rmt_signal_disconnect(sig, ids[i]);
  assert_true(g_ac.live_bytes * 16 < big);
  assert_int_equal(rmt_signal_listener_count(sig), 1);
  rmt_signal_destroy(sig);
}

/* Connects and disconnects many listeners from inside a fire, so the dead slots pile up
 * while compaction is forbidden; the fire's end must reclaim them. */
static void on_churn_inside(void *ud, const rmt_value *args, size_t nargs) {
  probe *p = ud;
  (void)args, (void)nargs;
  for (int i = 0; i < 1000; i++) {
    rmt_conn_id id = rmt_signal_connect(p->sig, on_nothing, NULL);
    rmt_signal_disconnect(p->sig, id);
  }
}

static void test_churn_inside_fire_reclaimed(void **state) {
  (void)state;
  rmt_signal *sig = rmt_signal_create(&g_ac.hook);
  probe p = {.sig = sig};
  rmt_signal_connect(sig, on_churn_inside, &p);
  assert_int_equal(rmt_signal_fire(sig, NULL, 0), 1);
  size_t after_first = g_ac.live_bytes;
  for (int round = 0; round < 20; round++) assert_int_equal(rmt_signal_fire(sig, NULL, 0), 1);
  assert_int_equal(g_ac.live_bytes, after_first); /* no growth from fire to fire */
  assert_int_equal(rmt_signal_listener_count(sig), 1);
  /* Slots squeezed at fire end are reused by later connects instead of growing again. */
  size_t after_fires = g_ac.live_bytes;
  for (int i = 0; i < 1000; i++) rmt_signal_connect(sig, on_nothing, NULL);
  assert_true(g_ac.live_bytes <= after_fires);
  rmt_signal_destroy(sig);
}

static void test_fire_does_not_allocate(void **state) {
  (void)state;
  rmt_signal *sig = rmt_signal_create(&g_ac.hook);
  log l = {0};
  probe once_probes[50];
  for (int i = 0; i < 100; i++) rmt_signal_connect(sig, on_nothing, NULL);
  for (int i = 0; i < 50; i++) {
    once_probes[i] = (probe){.log = &l, .tag = i};
    rmt_signal_once(sig, on_record, &once_probes[i]);
  }
  size_t calls = g_ac.calls;
  rmt_value arg = rmt_num(1);
  /* Includes the fire that kills 50 once-listeners and compacts at its end. */
  for (int i = 0; i < 10000; i++) rmt_signal_fire(sig, &arg, 1);
  assert_int_equal(g_ac.calls, calls);
  assert_int_equal(rmt_signal_listener_count(sig), 100);
  rmt_signal_destroy(sig);
}

/* Random operations against a plain model: listener_count, connected and the set called
 * by each fire must agree with it. */
typedef struct model_entry {
  rmt_conn_id id;
  int once;
  int alive;
  int hits;
} model_entry;

static model_entry g_model[4000];
static size_t g_nmodel;

static void on_model(void *ud, const rmt_value *args, size_t nargs) {
  (void)args, (void)nargs;
  model_entry *e = ud;
  e->hits++;
}

static void test_random_against_model(void **state) {
  (void)state;
  rmt_signal *sig = rmt_signal_create(&g_ac.hook);
  g_nmodel = 0;
  unsigned seed = 12345;
  for (int step = 0; step < 20000; step++) {
    seed = seed * 1103515245u + 12345u;
    unsigned r = (seed >> 16) % 100;
    if (r < 35 && g_nmodel < 4000) {
      model_entry *e = &g_model[g_nmodel++];
      *e = (model_entry){.once = (r % 5 == 0), .alive = 1};
      e->id = e->once ? rmt_signal_once(sig, on_model, e) : rmt_signal_connect(sig, on_model, e);
      assert_true(e->id != 0);
    } else if (r < 70 && g_nmodel) {
      model_entry *e = &g_model[(seed >> 3) % g_nmodel];
      rmt_signal_disconnect(sig, e->id);
      e->alive = 0;
    } else {
      size_t expect = 0;
      for (size_t i = 0; i < g_nmodel; i++) {
        g_model[i].hits = 0;
        expect += g_model[i].alive;
      }
      assert_int_equal(rmt_signal_fire(sig, NULL, 0), expect);
      for (size_t i = 0; i < g_nmodel; i++) {
        assert_int_equal(g_model[i].hits, g_model[i].alive);
        if (g_model[i].once) g_model[i].alive = 0;
      }
    }
    size_t live = 0;
    for (size_t i = 0; i < g_nmodel; i++) {
      live += g_model[i].alive;
      if (step % 97 == 0)
        assert_int_equal(rmt_signal_connected(sig, g_model[i].id), g_model[i].alive);
    }
    assert_int_equal(rmt_signal_listener_count(sig), live);
  }
  rmt_signal_destroy(sig);
}

/* Fail the Nth allocation, raising N until everything succeeds: each failure must be a
 * clean 0/NULL with no leak and the signal still usable. */
static void test_oom_loop(void **state) {
  (void)state;
  enum { WANT = 40 };
  int succeeded = 0;
  for (size_t n = 1; n < 1000 && !succeeded; n++) {
    alloc_counter_init(&g_ac);
    g_ac.fail_at = n;
    rmt_signal *sig = rmt_signal_create(&g_ac.hook);
    if (!sig) {
      assert_int_equal(g_ac.live_blocks, 0);
      continue;
    }
    size_t connected = 0;
    int failed = 0;
    for (int i = 0; i < WANT; i++) {
      rmt_conn_id id = rmt_signal_connect(sig, on_nothing, NULL);
      if (id == 0) {
        failed = 1;
        assert_int_equal(rmt_signal_listener_count(sig), connected);
        continue;
      }
      connected++;
    }
    assert_int_equal(rmt_signal_listener_count(sig), connected);
    assert_int_equal(rmt_signal_fire(sig, NULL, 0), connected);
    rmt_signal_destroy(sig);
    assert_int_equal(g_ac.live_blocks, 0);
    assert_false(g_ac.bad_osize);
    if (!failed) succeeded = 1;
  }
  assert_true(succeeded);
  alloc_counter_init(&g_ac);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_order_args_and_count, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ids_stale_and_idempotent, setup, teardown),
      cmocka_unit_test_setup_teardown(test_once, setup, teardown),
      cmocka_unit_test_setup_teardown(test_connect_during_fire, setup, teardown),
      cmocka_unit_test_setup_teardown(test_disconnect_self_during_fire, setup, teardown),
      cmocka_unit_test_setup_teardown(test_disconnect_others_during_fire, setup, teardown),
      cmocka_unit_test_setup_teardown(test_nested_fire, setup, teardown),
      cmocka_unit_test_setup_teardown(test_connect_in_nested_fire, setup, teardown),
      cmocka_unit_test_setup_teardown(test_once_with_nested_fire, setup, teardown),
      cmocka_unit_test_setup_teardown(test_destroy_inside_listener, setup, teardown),
      cmocka_unit_test_setup_teardown(test_destroy_inside_nested_fire, setup, teardown),
      cmocka_unit_test_setup_teardown(test_null_and_bad_input, setup, teardown),
      cmocka_unit_test_setup_teardown(test_churn_memory_bounded, setup, teardown),
      cmocka_unit_test_setup_teardown(test_churn_inside_fire_reclaimed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_fire_does_not_allocate, setup, teardown),
      cmocka_unit_test_setup_teardown(test_random_against_model, setup, teardown),
      cmocka_unit_test_setup_teardown(test_oom_loop, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
