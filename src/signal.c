/* signal.c - RBXScriptSignal for C: ordered listeners named by never-reused ids, safe to
 * connect/disconnect/destroy from inside a fire. Fire must never allocate or call the hook. */
#include "common.h"

#include <string.h>

/* A slot stays in place while any fire is running (fires walk slots by index); a
 * disconnected slot only loses its fn and is squeezed out once no fire is in progress. */
typedef struct rmt_slot {
  rmt_conn_id id;
  rmt_listener_fn fn; /* NULL once disconnected */
  void *ud;
  int once;
} rmt_slot;

struct rmt_signal {
  rmt_allocator alloc;
  rmt_slot *slots; /* ordered by id, which is also connection order */
  size_t count;    /* slots in use, dead ones included */
  size_t cap;
  size_t live;
  rmt_conn_id next_id;
  unsigned fire_depth;
  int destroy_pending;
};

/* Smallest capacity kept; below it shrinking saves nothing worth a realloc. */
#define RMT_SIGNAL_MIN_CAP 8

rmt_signal *rmt_signal_create(const rmt_allocator *alloc) {
  rmt_signal *sig = rmt__alloc(alloc, sizeof *sig);
  if (!sig) return NULL;
  memset(sig, 0, sizeof *sig);
  if (alloc) sig->alloc = *alloc;
  sig->next_id = 1;
  return sig;
}

static void signal_release(rmt_signal *sig) {
  rmt__free(&sig->alloc, sig->slots, sig->cap * sizeof *sig->slots);
  rmt_allocator alloc = sig->alloc;
  rmt__free(&alloc, sig, sizeof *sig);
}

static void kill_slot(rmt_signal *sig, rmt_slot *slot) {
  slot->fn = NULL;
  slot->ud = NULL;
  sig->live--;
}

void rmt_signal_destroy(rmt_signal *sig) {
  if (!sig) return;
  if (sig->fire_depth > 0) {
    /* Called from a listener: the fires below us still hold `sig`, so the outermost
     * one frees it; meanwhile nobody else is called. */
    for (size_t i = 0; i < sig->count; i++)
      if (sig->slots[i].fn) kill_slot(sig, &sig->slots[i]);
    sig->destroy_pending = 1;
    return;
  }
  signal_release(sig);
}

/* Amortised: squeezing only when at least half the slots are dead keeps each
 * disconnect O(1) on average while bounding memory to about twice the live listeners. */
static void maybe_compact(rmt_signal *sig, int may_shrink) {
  if (sig->fire_depth > 0) return;
  size_t dead = sig->count - sig->live;
  if (dead == 0 || dead * 2 < sig->count) return;
  size_t kept = 0;
  for (size_t i = 0; i < sig->count; i++)
    if (sig->slots[i].fn) sig->slots[kept++] = sig->slots[i];
  sig->count = kept;
  if (!may_shrink) return;
  size_t ncap = sig->cap;
  while (ncap > RMT_SIGNAL_MIN_CAP && kept * 4 <= ncap) ncap /= 2;
  if (ncap == sig->cap) return;
  rmt_slot *n = rmt__realloc(&sig->alloc, sig->slots, sig->cap * sizeof *sig->slots,
                             ncap * sizeof *sig->slots);
  /* A failed shrink leaves the larger block in place, which is still correct. */
  if (n) {
    sig->slots = n;
    sig->cap = ncap;
  }
}

static rmt_conn_id add_listener(rmt_signal *sig, rmt_listener_fn fn, void *ud, int once) {
  if (!sig || !fn || sig->destroy_pending) return 0;
  if (sig->count == sig->cap) {
    /* Try to reuse dead slots first: keeps connect/disconnect loops from growing. */
    maybe_compact(sig, 0);
  }
  if (sig->count == sig->cap) {
    size_t ncap = sig->cap ? sig->cap * 2 : RMT_SIGNAL_MIN_CAP;
    if (ncap > SIZE_MAX / sizeof *sig->slots) return 0;
    rmt_slot *n = rmt__realloc(&sig->alloc, sig->slots, sig->cap * sizeof *sig->slots,
                               ncap * sizeof *sig->slots);
    if (!n) return 0;
    sig->slots = n;
    sig->cap = ncap;
  }
  rmt_slot *slot = &sig->slots[sig->count++];
  slot->id = sig->next_id++;
  slot->fn = fn;
  slot->ud = ud;
  slot->once = once;
  sig->live++;
  return slot->id;
}

rmt_conn_id rmt_signal_connect(rmt_signal *sig, rmt_listener_fn fn, void *ud) {
  return add_listener(sig, fn, ud, 0);
}

rmt_conn_id rmt_signal_once(rmt_signal *sig, rmt_listener_fn fn, void *ud) {
  return add_listener(sig, fn, ud, 1);
}

/* Ids grow with the slot index and compaction keeps order, so a binary search finds
 * any id; a dead or squeezed-out id is simply not found live. */
static rmt_slot *find_live(const rmt_signal *sig, rmt_conn_id id) {
  if (!sig || id == 0) return NULL;
  size_t lo = 0, hi = sig->count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    rmt_conn_id at = sig->slots[mid].id;
    if (at == id) return sig->slots[mid].fn ? &sig->slots[mid] : NULL;
    if (at < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

void rmt_signal_disconnect(rmt_signal *sig, rmt_conn_id id) {
  rmt_slot *slot = find_live(sig, id);
  if (!slot) return;
  kill_slot(sig, slot);
  maybe_compact(sig, 1);
}

int rmt_signal_connected(const rmt_signal *sig, rmt_conn_id id) {
  return find_live(sig, id) != NULL;
}

size_t rmt_signal_listener_count(const rmt_signal *sig) {
  return sig ? sig->live : 0;
}

size_t rmt_signal_fire(rmt_signal *sig, const rmt_value *args, size_t nargs) {
  if (!sig || sig->destroy_pending) return 0;
  /* Listeners connected from here on land past `end` and are not part of this fire. */
  size_t end = sig->count;
  size_t called = 0;
  sig->fire_depth++;
  for (size_t i = 0; i < end && !sig->destroy_pending; i++) {
    /* Re-read through sig->slots each time: a listener's connect may move the array. */
    rmt_slot *slot = &sig->slots[i];
    if (!slot->fn) continue;
    rmt_listener_fn fn = slot->fn;
    void *ud = slot->ud;
    /* Once-listeners die before the call, so a re-entrant fire cannot call them again. */
    if (slot->once) kill_slot(sig, slot);
    called++;
    fn(ud, args, nargs);
  }
  sig->fire_depth--;
  if (sig->fire_depth == 0) {
    if (sig->destroy_pending) {
      signal_release(sig);
      return called;
    }
    maybe_compact(sig, 0);
  }
  return called;
}
