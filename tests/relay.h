/* relay.h - a fault-injecting UDP relay for tests: sits on a loopback port between clients
 * and a server and drops, duplicates, reorders and delays datagrams with a seeded PRNG.
 * Header-only, single-threaded (pumped by the test between service calls); never touches
 * anything but loopback, and never alters a datagram's bytes. */
#ifndef RMT_TEST_RELAY_H
#define RMT_TEST_RELAY_H

/* Users define _POSIX_C_SOURCE 200809L before their first #include. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "splitmix.h"
#include <unistd.h>

/* Probabilities in 0..1, applied to each datagram independently in each direction. */
typedef struct relay_faults {
  double loss;           /* dropped */
  double duplicate;      /* sent twice (each copy gets its own delay) */
  double reorder;        /* held back an extra reorder_ms, so later datagrams overtake it */
  uint32_t delay_min_ms; /* every datagram waits uniformly in [min, max] */
  uint32_t delay_max_ms;
  uint32_t reorder_ms;
} relay_faults;

typedef struct relay_stats {
  uint64_t received;   /* datagrams read from either side */
  uint64_t delivered;  /* datagrams written (duplicates count twice) */
  uint64_t dropped;
  uint64_t duplicated;
  uint64_t reordered;
} relay_stats;

/* One client address seen on the front socket, with its own socket towards the server, so
 * the server sees one peer per client as it would without the relay. */
typedef struct relay_session {
  struct sockaddr_in client;
  int back_fd; /* -1 = free slot */
  uint64_t last_used_us;
} relay_session;

typedef struct relay_item {
  uint64_t due_us;
  uint64_t order; /* ties keep arrival order */
  int fd;
  struct sockaddr_in to;
  size_t len;
  uint8_t data[];
} relay_item;

#define RELAY_MAX_SESSIONS 128

typedef struct relay {
  int front_fd;
  uint16_t port; /* where clients connect */
  struct sockaddr_in server;
  relay_faults faults;
  relay_stats stats;
  uint64_t rng;
  uint64_t next_order;
  relay_session sessions[RELAY_MAX_SESSIONS];
  relay_item **heap; /* min-heap on (due_us, order) */
  size_t nheap, capheap;
} relay;

static inline uint64_t relay_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Seedable, so a run is reproducible. */
static inline uint64_t relay_rand(relay *r) {
  return splitmix64(&r->rng);
}
static inline double relay_unit(relay *r) { return (double)(relay_rand(r) >> 11) / 9007199254740992.0; }

static inline int relay_udp_socket(uint16_t port) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return -1;
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  int big = 4 << 20; /* bursts of thousands of datagrams must not overflow the kernel queue */
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* Binds a free loopback port in front of the server at 127.0.0.1:server_port. Returns 0. */
static inline int relay_open(relay *r, uint16_t server_port, const relay_faults *faults,
                             uint64_t seed) {
  memset(r, 0, sizeof *r);
  for (int i = 0; i < RELAY_MAX_SESSIONS; i++) r->sessions[i].back_fd = -1;
  r->faults = *faults;
  r->rng = seed;
  r->server.sin_family = AF_INET;
  r->server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  r->server.sin_port = htons(server_port);
  r->front_fd = relay_udp_socket(0);
  if (r->front_fd < 0) return -1;
  struct sockaddr_in a;
  socklen_t alen = sizeof a;
  getsockname(r->front_fd, (struct sockaddr *)&a, &alen);
  r->port = ntohs(a.sin_port);
  return 0;
}

static inline int relay_item_before(const relay_item *a, const relay_item *b) {
  return a->due_us < b->due_us || (a->due_us == b->due_us && a->order < b->order);
}

static inline void relay_push(relay *r, relay_item *it) {
  if (r->nheap == r->capheap) {
    size_t ncap = r->capheap ? r->capheap * 2 : 256;
    relay_item **h = realloc(r->heap, ncap * sizeof *h);
    if (!h) {
      free(it); /* a test relay out of memory behaves like one more lost datagram */
      r->stats.dropped++;
      return;
    }
    r->heap = h;
    r->capheap = ncap;
  }
  size_t i = r->nheap++;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!relay_item_before(it, r->heap[parent])) break;
    r->heap[i] = r->heap[parent];
    i = parent;
  }
  r->heap[i] = it;
}

static inline relay_item *relay_pop(relay *r) {
  relay_item *top = r->heap[0], *last = r->heap[--r->nheap];
  size_t i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= r->nheap) break;
    if (c + 1 < r->nheap && relay_item_before(r->heap[c + 1], r->heap[c])) c++;
    if (!relay_item_before(r->heap[c], last)) break;
    r->heap[i] = r->heap[c];
    i = c;
  }
  if (r->nheap) r->heap[i] = last;
  return top;
}

/* Applies the faults to one datagram and schedules what survives. */
static inline void relay_schedule(relay *r, int fd, const struct sockaddr_in *to,
                                  const uint8_t *data, size_t len, uint64_t now) {
  r->stats.received++;
  if (relay_unit(r) < r->faults.loss) {
    r->stats.dropped++;
    return;
  }
  int copies = 1;
  if (relay_unit(r) < r->faults.duplicate) {
    copies = 2;
    r->stats.duplicated++;
  }
  for (int c = 0; c < copies; c++) {
    relay_item *it = malloc(sizeof *it + len);
    if (!it) {
      r->stats.dropped++;
      continue;
    }
    uint32_t span = r->faults.delay_max_ms - r->faults.delay_min_ms;
    uint64_t delay_ms = r->faults.delay_min_ms + (span ? relay_rand(r) % (span + 1) : 0);
    if (relay_unit(r) < r->faults.reorder) {
      delay_ms += r->faults.reorder_ms;
      r->stats.reordered++;
    }
    it->due_us = now + delay_ms * 1000u;
    it->order = r->next_order++;
    it->fd = fd;
    it->to = *to;
    it->len = len;
    memcpy(it->data, data, len);
    relay_push(r, it);
  }
}

static inline relay_session *relay_session_for(relay *r, const struct sockaddr_in *from,
                                               uint64_t now) {
  relay_session *free_slot = NULL, *oldest = NULL;
  for (int i = 0; i < RELAY_MAX_SESSIONS; i++) {
    relay_session *s = &r->sessions[i];
    if (s->back_fd < 0) {
      if (!free_slot) free_slot = s;
      continue;
    }
    if (s->client.sin_port == from->sin_port && s->client.sin_addr.s_addr == from->sin_addr.s_addr) {
      s->last_used_us = now;
      return s;
    }
    if (!oldest || s->last_used_us < oldest->last_used_us) oldest = s;
  }
  /* Full: the least recently used client is forgotten (churn tests outlive old clients). */
  relay_session *s = free_slot ? free_slot : oldest;
  if (!s) return NULL;
  if (s->back_fd >= 0) close(s->back_fd);
  s->back_fd = relay_udp_socket(0);
  if (s->back_fd < 0) return NULL;
  s->client = *from;
  s->last_used_us = now;
  return s;
}

/* Reads everything waiting on every socket, then sends what is due. Never blocks. */
static inline void relay_pump(relay *r) {
  uint8_t buf[65536];
  uint64_t now = relay_now_us();
  for (;;) {
    struct sockaddr_in from;
    socklen_t flen = sizeof from;
    ssize_t n = recvfrom(r->front_fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
    if (n < 0) break;
    relay_session *s = relay_session_for(r, &from, now);
    if (s) relay_schedule(r, s->back_fd, &r->server, buf, (size_t)n, now);
  }
  for (int i = 0; i < RELAY_MAX_SESSIONS; i++) {
    relay_session *s = &r->sessions[i];
    if (s->back_fd < 0) continue;
    for (;;) {
      ssize_t n = recv(s->back_fd, buf, sizeof buf, 0);
      if (n < 0) break;
      s->last_used_us = now;
      relay_schedule(r, r->front_fd, &s->client, buf, (size_t)n, now);
    }
  }
  while (r->nheap && r->heap[0]->due_us <= now) {
    relay_item *it = relay_pop(r);
    if (sendto(it->fd, it->data, it->len, 0, (struct sockaddr *)&it->to, sizeof it->to) >= 0)
      r->stats.delivered++;
    else r->stats.dropped++;
    free(it);
  }
}

static inline void relay_close(relay *r) {
  while (r->nheap) free(relay_pop(r));
  free(r->heap);
  r->heap = NULL;
  r->capheap = 0;
  for (int i = 0; i < RELAY_MAX_SESSIONS; i++)
    if (r->sessions[i].back_fd >= 0) close(r->sessions[i].back_fd);
  if (r->front_fd >= 0) close(r->front_fd);
  r->front_fd = -1;
}

#endif
