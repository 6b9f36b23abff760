/* idmap.c - the u32 -> pointer hash map (open addressing, backward-shift deletion) that the
 * engine, the server, the client and the replicated tree index by id with.
 * A container only: it never owns what its values point to, and never knows about ENet. */
#include "idmap.h"

#include <string.h>

static size_t slot_of(uint32_t key, size_t cap) {
  return (size_t)((key * 2654435761u) & (cap - 1));
}

void *rmt__idmap_get(const rmt_idmap *m, uint32_t key) {
  if (!m->cap || !key) return NULL;
  for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
    if (m->keys[i] == key) return m->vals[i];
    if (m->keys[i] == 0) return NULL;
  }
}

static int idmap_grow(rmt_idmap *m) {
  size_t ncap = m->cap ? m->cap * 2 : 16;
  uint32_t *keys = rmt__alloc(m->alloc, ncap * sizeof *keys);
  void **vals = rmt__alloc(m->alloc, ncap * sizeof *vals);
  if (!keys || !vals) {
    rmt__free(m->alloc, keys, ncap * sizeof *keys);
    rmt__free(m->alloc, vals, ncap * sizeof *vals);
    return RMT_ENOMEM;
  }
  memset(keys, 0, ncap * sizeof *keys);
  for (size_t i = 0; i < m->cap; i++) {
    if (!m->keys[i]) continue;
    size_t j = slot_of(m->keys[i], ncap);
    while (keys[j]) j = (j + 1) & (ncap - 1);
    keys[j] = m->keys[i];
    vals[j] = m->vals[i];
  }
  rmt__free(m->alloc, m->keys, m->cap * sizeof *m->keys);
  rmt__free(m->alloc, m->vals, m->cap * sizeof *m->vals);
  m->keys = keys;
  m->vals = vals;
  m->cap = ncap;
  return RMT_OK;
}

int rmt__idmap_put(rmt_idmap *m, uint32_t key, void *val) {
  if (!key) return RMT_EINVAL;
  if ((m->count + 1) * 4 > m->cap * 3) {
    int rc = idmap_grow(m);
    if (rc) return rc;
  }
  size_t i = slot_of(key, m->cap);
  while (m->keys[i] && m->keys[i] != key) i = (i + 1) & (m->cap - 1);
  if (!m->keys[i]) m->count++;
  m->keys[i] = key;
  m->vals[i] = val;
  return RMT_OK;
}

void rmt__idmap_del(rmt_idmap *m, uint32_t key) {
  if (!m->cap || !key) return;
  size_t mask = m->cap - 1, i = slot_of(key, m->cap);
  while (m->keys[i] != key) {
    if (!m->keys[i]) return;
    i = (i + 1) & mask;
  }
  /* Backward-shift deletion keeps probe chains intact without tombstones. */
  size_t j = i;
  for (;;) {
    j = (j + 1) & mask;
    if (!m->keys[j]) break;
    size_t home = slot_of(m->keys[j], m->cap);
    if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
      m->keys[i] = m->keys[j];
      m->vals[i] = m->vals[j];
      i = j;
    }
  }
  m->keys[i] = 0;
  m->vals[i] = NULL;
  m->count--;
}

void rmt__idmap_free(rmt_idmap *m) {
  rmt__free(m->alloc, m->keys, m->cap * sizeof *m->keys);
  rmt__free(m->alloc, m->vals, m->cap * sizeof *m->vals);
  m->keys = NULL;
  m->vals = NULL;
  m->cap = m->count = 0;
}
