/* idmap.h - a u32 -> pointer map for ids (players, instances, calls, queue shares).
 * Internal only; depends on nothing but the allocator hook, so the replicated tree can use
 * it without the engine. Key 0 is never stored (it marks an empty slot). */
#ifndef RMT_IDMAP_H
#define RMT_IDMAP_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

/* Open addressing with backward-shift deletion; zero-initialise with `alloc` set. */
typedef struct rmt_idmap {
  uint32_t *keys; /* 0 = empty slot */
  void **vals;
  size_t cap;     /* power of two or 0 */
  size_t count;
  const rmt_allocator *alloc;
} rmt_idmap;
void *rmt__idmap_get(const rmt_idmap *m, uint32_t key);
int rmt__idmap_put(rmt_idmap *m, uint32_t key, void *val);
void rmt__idmap_del(rmt_idmap *m, uint32_t key);
void rmt__idmap_free(rmt_idmap *m);

#endif /* RMT_IDMAP_H */
