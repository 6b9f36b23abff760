/* transport_mem.c - a transport with no sockets: connections are opened and fed by the test
 * or fuzz side, events wait in one FIFO, and everything sent is delivered and acknowledged at
 * once, so a run depends only on what was fed. Never blocks, never does I/O, never drops a
 * packet on its own (faults are what the test feeds). */
#include <string.h>

#include "protocol.h"
#include "transport.h"

typedef struct mem_packet {
  uint8_t *data;
  size_t len;
  int channel;
} mem_packet;

struct rmt_conn {
  size_t index;
  uint32_t address;
  void *data;
  int open;               /* neither side has closed it */
  rmt_close_mode closed;  /* how the server closed it, 0 if it did not */
  uint32_t close_code;
  size_t nsent, sent_bytes;
  int deaf;               /* acknowledges nothing: reliable bytes stay in flight */
  size_t unacked_bytes;   /* reliable bytes sent while deaf */
  mem_packet *kept;       /* with keep_sent */
  size_t nkept, cap_kept;
};

typedef struct mem_event {
  rmt_tevent_type type;
  rmt_conn *conn;
  mem_packet packet;
  uint32_t code;
} mem_event;

typedef struct mem_transport {
  rmt_transport base;
  const rmt_allocator *alloc;
  int keep_sent;
  rmt_conn **conns;
  size_t nconns, cap_conns;
  mem_event *events;
  size_t head, nevents, cap_events; /* events[head..nevents) are pending */
} mem_transport;

static mem_transport *mem(rmt_transport *t) { return (mem_transport *)t; }
static const mem_transport *cmem(const rmt_transport *t) { return (const mem_transport *)t; }

static int grow(const rmt_allocator *a, void **items, size_t *cap, size_t need, size_t size) {
  if (need <= *cap) return RMT_OK;
  size_t ncap = *cap ? *cap * 2 : 8;
  while (ncap < need) ncap *= 2;
  void *p = rmt__realloc(a, *items, *cap * size, ncap * size);
  if (!p) return RMT_ENOMEM;
  *items = p;
  *cap = ncap;
  return RMT_OK;
}

static int queue_event(mem_transport *m, const mem_event *e) {
  if (m->head == m->nevents) m->head = m->nevents = 0;
  void *items = m->events;
  if (grow(m->alloc, &items, &m->cap_events, m->nevents + 1, sizeof *m->events)) return RMT_ENOMEM;
  m->events = items;
  m->events[m->nevents++] = *e;
  return RMT_OK;
}

static int copy_packet(const rmt_allocator *a, mem_packet *out, int channel, const uint8_t *data,
                       size_t len) {
  out->channel = channel;
  out->len = len;
  out->data = NULL;
  if (!len) return RMT_OK;
  if (!(out->data = rmt__alloc(a, len))) return RMT_ENOMEM;
  memcpy(out->data, data, len);
  return RMT_OK;
}

static int m_send(rmt_transport *t, rmt_conn *c, int channel, const uint8_t *data, size_t len) {
  mem_transport *m = mem(t);
  if (!c->open) return RMT_ENET; /* like ENet: nothing more goes to a closing peer */
  if (m->keep_sent) {
    void *items = c->kept;
    if (grow(m->alloc, &items, &c->cap_kept, c->nkept + 1, sizeof *c->kept)) return RMT_ENOMEM;
    c->kept = items;
    if (copy_packet(m->alloc, &c->kept[c->nkept], channel, data, len)) return RMT_ENOMEM;
    c->nkept++;
  }
  c->nsent++;
  c->sent_bytes += len;
  if (c->deaf && channel == RMT_CHANNEL_RELIABLE) c->unacked_bytes += len;
  return RMT_OK;
}

static int m_poll(rmt_transport *t, rmt_tevent *ev, uint32_t timeout_ms) {
  (void)timeout_ms; /* nothing can arrive while we wait: never block */
  mem_transport *m = mem(t);
  while (m->head < m->nevents) {
    mem_event e = m->events[m->head++];
    /* A connection the server dropped at once hears nothing more, as with ENet. */
    if (e.conn->closed == RMT_CLOSE_NOW || e.conn->closed == RMT_CLOSE_RESET) {
      rmt__free(m->alloc, e.packet.data, e.packet.len);
      continue;
    }
    memset(ev, 0, sizeof *ev);
    ev->type = e.type;
    ev->conn = e.conn;
    ev->data = e.packet.data;
    ev->len = e.packet.len;
    ev->channel = e.packet.channel;
    ev->code = e.code;
    ev->owned = e.packet.data;
    return 1;
  }
  return 0;
}

static void m_release(rmt_transport *t, rmt_tevent *ev) {
  rmt__free(mem(t)->alloc, ev->owned, ev->len);
  ev->owned = NULL;
}

static void m_flush(rmt_transport *t) { (void)t; }

static void m_close(rmt_transport *t, rmt_conn *c, rmt_close_mode how, uint32_t code) {
  if (c->closed) return;
  c->closed = how;
  c->close_code = code;
  if (!c->open) return; /* the other side hung up first: its DISCONNECT is already queued */
  c->open = 0;
  /* Everything sent was delivered at once, so a graceful close completes at once too. */
  if (how == RMT_CLOSE_AFTER_SENT || how == RMT_CLOSE_POLITE) {
    mem_event e = {RMT_TEV_DISCONNECT, c, {NULL, 0, 0}, code};
    queue_event(mem(t), &e); /* out of memory: the server sees no DISCONNECT; destroy frees */
  }
}

static void m_backlog(const rmt_transport *t, const rmt_conn *c, rmt_conn_backlog *out) {
  (void)t;
  /* Delivered as soon as sent, and acknowledged too unless the peer plays deaf. */
  out->unsent = 0;
  out->unacked = c->unacked_bytes > 0;
  out->in_flight = c->unacked_bytes;
}

static uint32_t m_address(const rmt_transport *t, const rmt_conn *c) {
  (void)t;
  return c->address;
}

static rmt_conn *m_next(const rmt_transport *t, const rmt_conn *after) {
  const mem_transport *m = cmem(t);
  for (size_t i = after ? after->index + 1 : 0; i < m->nconns; i++)
    if (m->conns[i]->data) return m->conns[i];
  return NULL;
}

static void *m_get_data(const rmt_transport *t, const rmt_conn *c) {
  (void)t;
  return c->data;
}

static void m_set_data(rmt_transport *t, rmt_conn *c, void *data) {
  (void)t;
  c->data = data;
}

static void m_linger(rmt_transport *t, uint32_t ms) {
  (void)t;
  (void)ms;
}

static uint16_t m_port(const rmt_transport *t) {
  (void)t;
  return 0;
}

static void m_destroy(rmt_transport *t) {
  if (!t) return;
  mem_transport *m = mem(t);
  for (size_t i = m->head; i < m->nevents; i++)
    rmt__free(m->alloc, m->events[i].packet.data, m->events[i].packet.len);
  rmt__free(m->alloc, m->events, m->cap_events * sizeof *m->events);
  for (size_t i = 0; i < m->nconns; i++) {
    rmt_conn *c = m->conns[i];
    for (size_t k = 0; k < c->nkept; k++) rmt__free(m->alloc, c->kept[k].data, c->kept[k].len);
    rmt__free(m->alloc, c->kept, c->cap_kept * sizeof *c->kept);
    rmt__free(m->alloc, c, sizeof *c);
  }
  rmt__free(m->alloc, m->conns, m->cap_conns * sizeof *m->conns);
  rmt__free(m->alloc, m, sizeof *m);
}

static const rmt_transport_ops mem_ops = {
    .send = m_send,       .poll = m_poll,         .release = m_release,
    .flush = m_flush,     .close = m_close,       .backlog = m_backlog,
    .address = m_address, .next = m_next,         .get_data = m_get_data,
    .set_data = m_set_data, .linger = m_linger,   .port = m_port,
    .destroy = m_destroy,
};

rmt_transport *rmt__transport_mem_create(const rmt_allocator *a, int keep_sent) {
  mem_transport *m = rmt__alloc(a, sizeof *m);
  if (!m) return NULL;
  memset(m, 0, sizeof *m);
  m->base.ops = &mem_ops;
  m->alloc = a;
  m->keep_sent = keep_sent;
  return &m->base;
}

rmt_conn *rmt__mem_connect(rmt_transport *t, uint32_t address) {
  mem_transport *m = mem(t);
  void *items = m->conns;
  if (grow(m->alloc, &items, &m->cap_conns, m->nconns + 1, sizeof *m->conns)) return NULL;
  m->conns = items;
  rmt_conn *c = rmt__alloc(m->alloc, sizeof *c);
  if (!c) return NULL;
  memset(c, 0, sizeof *c);
  c->index = m->nconns;
  c->address = address;
  c->open = 1;
  mem_event e = {RMT_TEV_CONNECT, c, {NULL, 0, 0}, 0};
  if (queue_event(m, &e)) {
    rmt__free(m->alloc, c, sizeof *c);
    return NULL;
  }
  m->conns[m->nconns++] = c;
  return c;
}

int rmt__mem_deliver(rmt_transport *t, rmt_conn *c, int channel, const uint8_t *data,
                     size_t len) {
  mem_transport *m = mem(t);
  if (!c->open) return RMT_ESTATE;
  mem_event e = {RMT_TEV_RECEIVE, c, {NULL, 0, 0}, 0};
  if (copy_packet(m->alloc, &e.packet, channel & 1, data, len)) return RMT_ENOMEM;
  if (queue_event(m, &e)) {
    rmt__free(m->alloc, e.packet.data, e.packet.len);
    return RMT_ENOMEM;
  }
  return RMT_OK;
}

void rmt__mem_hang_up(rmt_transport *t, rmt_conn *c, uint32_t code) {
  if (!c->open) return;
  mem_event e = {RMT_TEV_DISCONNECT, c, {NULL, 0, 0}, code};
  if (queue_event(mem(t), &e) == RMT_OK) c->open = 0;
}

void rmt__mem_deaf(rmt_transport *t, rmt_conn *c, int deaf) {
  (void)t;
  c->deaf = deaf;
  if (!deaf) c->unacked_bytes = 0;
}

rmt_close_mode rmt__mem_closed(const rmt_transport *t, const rmt_conn *c, uint32_t *code) {
  (void)t;
  if (code) *code = c->close_code;
  return c->closed;
}

size_t rmt__mem_sent(const rmt_transport *t, const rmt_conn *c, size_t *bytes) {
  (void)t;
  if (bytes) *bytes = c->sent_bytes;
  return c->nsent;
}

const uint8_t *rmt__mem_sent_packet(const rmt_transport *t, const rmt_conn *c, size_t i,
                                    size_t *len, int *channel) {
  (void)t;
  if (i >= c->nkept) return NULL;
  if (len) *len = c->kept[i].len;
  if (channel) *channel = c->kept[i].channel;
  /* A kept empty packet has no bytes; point at something non-NULL anyway. */
  return c->kept[i].data ? c->kept[i].data : (const uint8_t *)"";
}
