/* splitmix.h - splitmix64, the one seedable generator the network tests and tools use, so a
 * run is reproducible from its seed. Not for anything that needs unpredictability. */
#ifndef RMT_TEST_SPLITMIX_H
#define RMT_TEST_SPLITMIX_H

#include <stdint.h>

static inline uint64_t splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

#endif /* RMT_TEST_SPLITMIX_H */
