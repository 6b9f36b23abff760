/* scenarios.c - the benchmark scenarios, written once over backend.h so that remotes and
 * raw ENet do exactly the same work; prints one JSON line per invocation. Never measures
 * anything it did not run: every figure printed comes from the runs just made. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"
#include "bench_common.h"

/* Most events (rounds) one loop iteration fires; how many may be unhandled at once (the
 * window, which keeps memory bounded) is probed per peer, see fire_windows below. */
enum { FIRE_CHUNK = 1024, BROADCAST_CHUNK = 64 };
enum { BURST_PER_FRAME = 1000 };
#define FRAME_NS 16666667ull
#define STALL_NS 20000000000ull /* no progress for 20 s: the run failed */

typedef struct options {
  const char *scenario;
  uint32_t clients;
  uint32_t procs;
  uint32_t runs;
  double seconds;
  bench_payload payload;
  int quick; /* probe two windows instead of four */
} options;

static options opt = {"fire", 1, 1, 5, 1.0, BENCH_PAYLOAD_JUMP, 0};
static bench_shared *shared;

static void die(const char *what) {
  fprintf(stderr, "bench %s: %s failed\n", bench_backend_name(), what);
  if (shared) atomic_store(&shared->quit, 1);
  exit(1);
}

/* ---------------------------------------------------------------------------------------
 * Client processes
 * ------------------------------------------------------------------------------------- */

typedef struct client_group {
  uint32_t proc, first, count;
  bench_client **clients;
  uint64_t *fired; /* local copy of shared->fired for our clients */
} client_group;

static void group_publish_bytes(const client_group *g) {
  atomic_store(&shared->proc_bytes[g->proc], bench_socket_bytes_sent());
  atomic_store(&shared->proc_datagrams[g->proc], bench_socket_datagrams_sent());
}

static void group_service_all(client_group *g, uint32_t timeout_ms) {
  for (uint32_t i = 0; i < g->count; i++) {
    if (!g->clients[i]) continue; /* scale: not connected yet */
    if (bcli_service(g->clients[i], i == 0 ? timeout_ms : 0) < 0) die("client service");
  }
}

static void group_connect(client_group *g) {
  for (uint32_t i = 0; i < g->count; i++) {
    g->clients[i] = bcli_create((uint16_t)atomic_load(&shared->port), g->first + i);
    if (!g->clients[i]) die("client create");
  }
  uint64_t start = bench_now_ns();
  for (;;) {
    uint32_t joined = 0;
    for (uint32_t i = 0; i < g->count; i++) {
      if (bcli_service(g->clients[i], 0) < 0) die("client service");
      int state = bcli_state(g->clients[i]);
      if (state < 0) die("client join");
      joined += state == 1;
    }
    atomic_store(&shared->proc_ready[g->proc], (int32_t)joined);
    if (joined == g->count) return;
    if (bench_now_ns() - start > STALL_NS) die("client join (timeout)");
    if (atomic_load(&shared->quit)) return;
    bench_sleep_ns(200000);
  }
}

static void client_fire_run(client_group *g) {
  const uint64_t window = atomic_load(&shared->window);
  uint64_t end = bench_now_ns() + atomic_load(&shared->run_ns);
  while (bench_now_ns() < end) {
    int progressed = 0;
    for (uint32_t i = 0; i < g->count; i++) {
      uint32_t c = g->first + i;
      uint64_t in_flight = g->fired[i] - atomic_load_explicit(&shared->acked[c], memory_order_relaxed);
      uint64_t room = in_flight >= window ? 0 : window - in_flight;
      if (room > FIRE_CHUNK) room = FIRE_CHUNK;
      for (uint64_t k = 0; k < room; k++) {
        if (bcli_fire(g->clients[i], opt.payload) != 0) die("fire");
      }
      g->fired[i] += room;
      progressed |= room > 0;
      atomic_store_explicit(&shared->fired[c], g->fired[i], memory_order_relaxed);
      if (bcli_service(g->clients[i], 0) < 0) die("client service");
    }
    if (!progressed) bench_sleep_ns(20000);
  }
  for (uint32_t i = 0; i < g->count; i++) {
    if (bcli_flush(g->clients[i]) != 0) die("flush");
  }
}

static void client_broadcast_run(client_group *g) {
  uint64_t last_progress = bench_now_ns();
  uint64_t total_before = 0;
  for (;;) {
    uint64_t target = atomic_load(&shared->target);
    int all_done = target != 0;
    uint64_t total = 0;
    for (uint32_t i = 0; i < g->count; i++) {
      uint32_t c = g->first + i;
      if (atomic_load_explicit(&shared->lost[c], memory_order_relaxed)) continue;
      if (bcli_state(g->clients[i]) < 0) {
        /* Lost (ENet timed out): counted and reported, no longer waited for. */
        fprintf(stderr, "bench %s: client %u lost its connection\n", bench_backend_name(), c);
        atomic_store(&shared->lost[c], 1);
        continue;
      }
      if (bcli_service(g->clients[i], 0) < 0) die("client service");
      uint64_t got = bcli_received(g->clients[i]);
      atomic_store_explicit(&shared->received[g->first + i], got, memory_order_relaxed);
      total += got;
      if (got < target) all_done = 0;
    }
    if (all_done) return;
    uint64_t now = bench_now_ns();
    if (total != total_before) {
      total_before = total;
      last_progress = now;
    } else if (now - last_progress > STALL_NS) {
      die("broadcast run (stalled)");
    }
  }
}

static void client_invoke_run(client_group *g) {
  bench_client *cl = g->clients[0];
  static uint64_t samples[BENCH_MAX_SAMPLES];
  size_t n = 0;
  /* Half the time sequential round trips, half with 64 invocations in flight. */
  uint64_t phase_ns = (uint64_t)(opt.seconds * 1e9 / 2);
  uint64_t end = bench_now_ns() + phase_ns;
  while (n < BENCH_MAX_SAMPLES) {
    uint64_t t0 = bench_now_ns();
    if (t0 >= end) break;
    if (bcli_invoke_sync(cl) != 0) die("invoke_sync");
    samples[n++] = bench_now_ns() - t0;
  }
  qsort(samples, n, sizeof samples[0], bench_cmp_u64);
  atomic_store(&shared->rtt_p50_ns, samples[n / 2]);
  atomic_store(&shared->rtt_p99_ns, samples[(n * 99) / 100]);

  uint64_t base = bcli_completed(cl), issued = 0;
  uint64_t start = bench_now_ns();
  end = start + phase_ns;
  for (;;) {
    uint64_t done = bcli_completed(cl) - base;
    uint64_t now = bench_now_ns();
    if (now >= end) break;
    while (issued - done < 64) {
      if (bcli_invoke(cl) != 0) die("invoke");
      issued++;
    }
    if (bcli_flush(cl) != 0) die("flush");
    if (bcli_service(cl, 0) < 0) die("client service");
  }
  uint64_t elapsed = bench_now_ns() - start;
  uint64_t completed = bcli_completed(cl) - base;
  /* Let the invocations still in flight finish so the next run starts clean. */
  uint64_t drain_end = bench_now_ns() + STALL_NS;
  while (bcli_completed(cl) - base < issued && bench_now_ns() < drain_end) {
    if (bcli_service(cl, 1) < 0) die("client service");
  }
  atomic_store(&shared->completed, completed);
  atomic_store(&shared->elapsed_ns, elapsed);
}

static void client_burst_run(client_group *g) {
  bench_client *cl = g->clients[0];
  uint64_t start = bench_now_ns();
  uint64_t frames = (uint64_t)(opt.seconds * 60.0 + 0.5);
  for (uint64_t f = 0; f < frames; f++) {
    uint64_t frame_start = start + f * FRAME_NS;
    for (int k = 0; k < BURST_PER_FRAME; k++) {
      if (bcli_fire(cl, opt.payload) != 0) die("fire");
    }
    g->fired[0] += BURST_PER_FRAME;
    atomic_store(&shared->fired[g->first], g->fired[0]);
    if (bcli_service(cl, 0) < 0) die("client service");
    /* The rest of the frame: a game loop services the network until the next frame. */
    for (;;) {
      uint64_t now = bench_now_ns();
      uint64_t next = frame_start + FRAME_NS;
      if (now >= next) break;
      uint64_t wait_ms = (next - now) / 1000000u;
      if (bcli_service(cl, (uint32_t)wait_ms) < 0) die("client service");
      uint64_t after = bench_now_ns();
      if (wait_ms == 0 && after < next) bench_sleep_ns(next - after > 200000 ? 200000 : next - after);
    }
  }
  if (bcli_flush(cl) != 0) die("flush");
}

static void client_process(uint32_t proc) {
  client_group g = {0};
  g.proc = proc;
  g.first = opt.clients * proc / opt.procs;
  g.count = opt.clients * (proc + 1) / opt.procs - g.first;
  g.clients = calloc(g.count ? g.count : 1, sizeof *g.clients);
  g.fired = calloc(g.count ? g.count : 1, sizeof *g.fired);
  if (!g.clients || !g.fired) die("calloc");
  while (atomic_load(&shared->port) == 0) bench_sleep_ns(100000);

  int scale = strcmp(opt.scenario, "scale") == 0;
  if (!scale) group_connect(&g);
  int32_t seen_run = 0;
  while (!atomic_load(&shared->quit)) {
    int32_t run = atomic_load(&shared->run);
    if (run == seen_run) {
      /* Between runs: keep the connections alive like an idle game client (60 Hz). */
      group_service_all(&g, 0);
      bench_sleep_ns(scale ? FRAME_NS : 1000000);
      continue;
    }
    seen_run = run;
    if (scale) group_connect(&g);
    else if (strcmp(opt.scenario, "fire") == 0) client_fire_run(&g);
    else if (strcmp(opt.scenario, "broadcast") == 0) client_broadcast_run(&g);
    else if (strcmp(opt.scenario, "invoke") == 0) client_invoke_run(&g);
    else if (strcmp(opt.scenario, "burst") == 0) client_burst_run(&g);
    group_publish_bytes(&g);
    atomic_store(&shared->proc_done[proc], run);
  }
  for (uint32_t i = 0; i < g.count; i++) bcli_destroy(g.clients[i]);
  free(g.clients);
  free(g.fired);
  _exit(0);
}

/* ---------------------------------------------------------------------------------------
 * Server process
 * ------------------------------------------------------------------------------------- */

typedef struct server_state {
  bench_server *server;
  uint32_t joined;
  uint64_t handled;
  uint64_t handled_per_client[BENCH_MAX_CLIENTS];
} server_state;

static server_state srv;

static void on_joined(void *ud, uint32_t client_index) {
  (void)ud;
  (void)client_index;
  srv.joined++;
}

static void on_fired(void *ud, uint32_t client_index, uint32_t events) {
  (void)ud;
  srv.handled += events;
  if (client_index < BENCH_MAX_CLIENTS) {
    srv.handled_per_client[client_index] += events;
    atomic_store_explicit(&shared->acked[client_index], srv.handled_per_client[client_index],
                          memory_order_relaxed);
  }
}

static void server_service(uint32_t timeout_ms) {
  if (bsrv_service(srv.server, timeout_ms) < 0) die("server service");
}

static int all_procs_done(int32_t run) {
  for (uint32_t p = 0; p < opt.procs; p++) {
    if (atomic_load(&shared->proc_done[p]) != run) return 0;
  }
  return 1;
}

static uint64_t client_bytes(void) {
  uint64_t sum = 0;
  for (uint32_t p = 0; p < opt.procs; p++) sum += atomic_load(&shared->proc_bytes[p]);
  return sum;
}

static uint64_t client_datagrams(void) {
  uint64_t sum = 0;
  for (uint32_t p = 0; p < opt.procs; p++) sum += atomic_load(&shared->proc_datagrams[p]);
  return sum;
}

static uint64_t fired_total(void) {
  uint64_t sum = 0;
  for (uint32_t c = 0; c < opt.clients; c++) sum += atomic_load(&shared->fired[c]);
  return sum;
}

/* Serves until every client process reports run `run` done and `until` holds. */
static void serve_until_done(int32_t run, int check_fired) {
  uint64_t last_progress = bench_now_ns(), handled_before = srv.handled;
  for (;;) {
    server_service(1);
    if (all_procs_done(run) && (!check_fired || srv.handled >= fired_total())) return;
    uint64_t now = bench_now_ns();
    if (srv.handled != handled_before) {
      handled_before = srv.handled;
      last_progress = now;
    } else if (now - last_progress > STALL_NS) {
      die("server run (stalled)");
    }
  }
}

/* Run 1 warms up (caches, allocator, JIT on the Node side) and is not reported. */
static int report_run(int32_t run) {
  if (run > 2) printf(",");
  return run > 1;
}

static int32_t last_run(void) { return (int32_t)opt.runs + 1; }

/* Windows to probe, in messages in flight in total (split evenly across clients). Too
 * large a window makes raw ENet collapse into retransmissions, too small a one starves
 * batching: every peer is measured with the window that suits it best on this machine,
 * picked by short probe runs, which also serve as the warm-up. Never tunes a peer down.
 */
static const uint64_t fire_windows[] = {256, 1024, 4096, 16384};
static const uint64_t broadcast_windows[] = {2048, 8192, 32768, 131072};
#define NWINDOWS 4

static uint64_t probe_ns(void) {
  double s = opt.seconds / 4;
  if (s < 0.05) s = 0.05;
  if (s > 0.3) s = 0.3;
  return (uint64_t)(s * 1e9);
}

/* QUICK mode probes two candidates: the ones full runs pick most often on this machine.
 * The largest broadcast window is not probed at 1000 clients: with it remotes and raw ENet
 * alike lost clients to ENet's timeouts here (1000 clients in four processes share one
 * core and cannot drain 131 rounds each in time), which ends the run for every peer. */
static int probe_skipped(int i, int broadcast) {
  if (broadcast && i == 3 && opt.clients > 100) return 1;
  if (!opt.quick) return 0;
  return broadcast ? (i == 0 || i == 3) : (i == 0 || i == 2);
}

static uint64_t per_client(uint64_t total, uint64_t floor_value) {
  uint64_t w = total / opt.clients;
  return w < floor_value ? floor_value : w;
}

typedef struct fire_figures {
  uint64_t events;
  double seconds, bytes, datagrams, server_cpu;
} fire_figures;

static fire_figures fire_one(int32_t run, uint64_t run_ns, uint64_t window, int settle) {
  fire_figures f;
  uint64_t handled0 = srv.handled, sbytes0 = bench_socket_bytes_sent();
  uint64_t sdg0 = bench_socket_datagrams_sent();
  uint64_t cbytes0 = client_bytes(), cdg0 = client_datagrams();
  atomic_store(&shared->window, window);
  atomic_store(&shared->run_ns, run_ns);
  uint64_t t0 = bench_now_ns(), cpu0 = bench_cpu_ns();
  atomic_store(&shared->run, run);
  serve_until_done(run, 1);
  f.seconds = (double)(bench_now_ns() - t0) / 1e9;
  f.server_cpu = (double)(bench_cpu_ns() - cpu0) / 1e9;
  f.events = srv.handled - handled0;
  /* The server may still owe acknowledgements: serve briefly so they are counted. */
  uint64_t settle_end = bench_now_ns() + (settle ? 20000000u : 0u);
  while (bench_now_ns() < settle_end) server_service(1);
  f.bytes = (double)(bench_socket_bytes_sent() - sbytes0 + client_bytes() - cbytes0);
  f.datagrams = (double)(bench_socket_datagrams_sent() - sdg0 + client_datagrams() - cdg0);
  return f;
}

static void server_fire(void) {
  int32_t run = 0;
  uint64_t window = 0;
  double best = -1;
  for (int i = 0; i < NWINDOWS; i++) {
    if (probe_skipped(i, 0)) continue;
    uint64_t w = per_client(fire_windows[i], 16);
    fire_figures f = fire_one(++run, probe_ns(), w, 0);
    double rate = (double)f.events / f.seconds;
    if (rate > best) {
      best = rate;
      window = w;
    }
  }
  printf("\"window_per_client\":%llu,\"runs\":[", (unsigned long long)window);
  for (uint32_t i = 0; i < opt.runs; i++) {
    fire_figures f = fire_one(++run, (uint64_t)(opt.seconds * 1e9), window, 1);
    printf("%s{\"events\":%llu,\"seconds\":%.6f,\"events_per_s\":%.1f,"
           "\"bytes_per_event\":%.3f,\"datagrams_per_event\":%.5f,\"server_cpu_pct\":%.1f,"
           "\"server_cpu_ns_per_event\":%.1f}",
           i ? "," : "", (unsigned long long)f.events, f.seconds, (double)f.events / f.seconds,
           f.events ? f.bytes / (double)f.events : 0.0,
           f.events ? f.datagrams / (double)f.events : 0.0, 100.0 * f.server_cpu / f.seconds,
           f.events ? f.server_cpu * 1e9 / (double)f.events : 0.0);
  }
  printf("]");
}

static uint64_t min_received(void) {
  uint64_t m = UINT64_MAX;
  for (uint32_t c = 0; c < opt.clients; c++) {
    if (atomic_load_explicit(&shared->lost[c], memory_order_relaxed)) continue;
    uint64_t r = atomic_load_explicit(&shared->received[c], memory_order_relaxed);
    if (r < m) m = r;
  }
  return m;
}

static uint64_t broadcast_rounds;

/* Fires rounds for run_ns within `window` rounds of the slowest client, then waits until
 * every client has every round. Returns deliveries per second. */
static uint64_t total_received(void) {
  uint64_t sum = 0;
  for (uint32_t c = 0; c < opt.clients; c++) sum += atomic_load(&shared->received[c]);
  return sum;
}

static uint32_t clients_lost(void) {
  uint32_t n = 0;
  for (uint32_t c = 0; c < opt.clients; c++) n += atomic_load(&shared->lost[c]) != 0;
  return n;
}

/* Deliveries are counted at the clients, so a client lost mid-run (ENet timeout) only
 * removes what it really did not receive. */
static double broadcast_one(int32_t run, uint64_t run_ns, uint64_t window, uint64_t *rounds_out,
                            double *server_cpu_pct) {
  uint64_t rounds0 = broadcast_rounds, slowest = min_received();
  uint64_t received0 = total_received();
  uint64_t chunk = window < BROADCAST_CHUNK ? window : BROADCAST_CHUNK;
  atomic_store(&shared->target, 0);
  uint64_t t0 = bench_now_ns(), cpu0 = bench_cpu_ns();
  uint64_t end = t0 + run_ns;
  atomic_store(&shared->run, run);
  while (bench_now_ns() < end) {
    if (broadcast_rounds - slowest >= window) slowest = min_received();
    uint64_t in_flight = broadcast_rounds - slowest;
    uint64_t room = in_flight >= window ? 0 : window - in_flight;
    if (room > chunk) room = chunk;
    for (uint64_t k = 0; k < room; k++) {
      if (bsrv_broadcast(srv.server) != 0) die("broadcast");
    }
    broadcast_rounds += room;
    if (bsrv_flush(srv.server) != 0) die("flush");
    server_service(room ? 0 : 1);
  }
  atomic_store(&shared->target, broadcast_rounds);
  if (bsrv_flush(srv.server) != 0) die("flush");
  uint64_t last_progress = bench_now_ns(), seen = min_received();
  while (!all_procs_done(run)) {
    server_service(1);
    uint64_t m = min_received();
    if (m != seen) {
      seen = m;
      last_progress = bench_now_ns();
    } else if (bench_now_ns() - last_progress > STALL_NS) {
      die("broadcast (stalled)");
    }
  }
  double elapsed = (double)(bench_now_ns() - t0) / 1e9;
  *server_cpu_pct = 100.0 * (double)(bench_cpu_ns() - cpu0) / 1e9 / elapsed;
  *rounds_out = broadcast_rounds - rounds0;
  return (double)(total_received() - received0) / elapsed;
}

static void server_broadcast(void) {
  int32_t run = 0;
  uint64_t window = 0, rounds;
  double best = -1, cpu;
  for (int i = 0; i < NWINDOWS; i++) {
    if (probe_skipped(i, 1)) continue;
    uint64_t w = per_client(broadcast_windows[i], 2);
    double rate = broadcast_one(++run, probe_ns(), w, &rounds, &cpu);
    if (rate > best) {
      best = rate;
      window = w;
    }
  }
  printf("\"window_rounds\":%llu,\"runs\":[", (unsigned long long)window);
  uint64_t run_ns = (uint64_t)(opt.seconds * 1e9);
  for (uint32_t i = 0; i < opt.runs; i++) {
    uint64_t t0 = bench_now_ns();
    double rate = broadcast_one(++run, run_ns, window, &rounds, &cpu);
    double seconds = (double)(bench_now_ns() - t0) / 1e9;
    printf("%s{\"rounds\":%llu,\"seconds\":%.6f,\"deliveries_per_s\":%.1f,"
           "\"server_cpu_pct\":%.1f,\"server_cpu_ns_per_delivery\":%.1f,\"clients_lost\":%u}",
           i ? "," : "", (unsigned long long)rounds, seconds, rate, cpu,
           rate > 0 ? cpu / 100.0 * 1e9 / rate : 0.0, clients_lost());
  }
  printf("]");
}

static void server_invoke(void) {
  printf("\"runs\":[");
  for (int32_t run = 1; run <= last_run(); run++) {
    atomic_store(&shared->run, run);
    serve_until_done(run, 0);
    double elapsed = (double)atomic_load(&shared->elapsed_ns) / 1e9;
    if (report_run(run))
      printf("{\"rtt_p50_us\":%.2f,\"rtt_p99_us\":%.2f,\"inflight64_per_s\":%.1f}",
           atomic_load(&shared->rtt_p50_ns) / 1e3, atomic_load(&shared->rtt_p99_ns) / 1e3,
           (double)atomic_load(&shared->completed) / elapsed);
  }
  printf("]");
}

static void serve_frames(uint64_t ns) {
  uint64_t start = bench_now_ns();
  for (uint64_t f = 1;; f++) {
    uint64_t next = start + f * FRAME_NS;
    if (next > start + ns) next = start + ns;
    for (;;) {
      uint64_t now = bench_now_ns();
      if (now >= next) break;
      server_service((uint32_t)((next - now + 999999u) / 1000000u));
    }
    if (next >= start + ns) return;
  }
}

static void server_scale(void) {
  /* Settling pauses scale with the run length (short in QUICK mode), 0.1 to 0.5 s. */
  double settle_s = opt.seconds < 0.1 ? 0.1 : opt.seconds > 0.5 ? 0.5 : opt.seconds;
  uint64_t settle_ns = (uint64_t)(settle_s * 1e9);
  /* Baseline: the server listening with room for every player, nobody connected. */
  serve_frames(settle_ns / 2);
  uint64_t rss0 = bench_rss_bytes();
  uint64_t t0 = bench_now_ns();
  atomic_store(&shared->run, 1);
  while (srv.joined < opt.clients) {
    server_service(1);
    if (bench_now_ns() - t0 > STALL_NS * 3) die("scale connect (timeout)");
  }
  uint64_t connect_ns = bench_now_ns() - t0;
  serve_frames(settle_ns);
  uint64_t rss1 = bench_rss_bytes();
  uint64_t cpu0 = bench_cpu_ns(), w0 = bench_now_ns();
  serve_frames((uint64_t)(opt.seconds * 1e9));
  uint64_t cpu1 = bench_cpu_ns(), w1 = bench_now_ns();
  printf("\"runs\":[{\"connect_s\":%.4f,\"rss_before\":%llu,\"rss_after\":%llu,"
         "\"rss_per_player\":%.1f,\"cpu_us_per_s_per_player\":%.4f,\"players\":%u}]",
         connect_ns / 1e9, (unsigned long long)rss0, (unsigned long long)rss1,
         ((double)rss1 - (double)rss0) / opt.clients,
         (double)(cpu1 - cpu0) / 1e3 / ((double)(w1 - w0) / 1e9) / opt.clients, srv.joined);
}

static void server_burst(void) {
  printf("\"runs\":[");
  for (int32_t run = 1; run <= last_run(); run++) {
    uint64_t handled0 = srv.handled, sbytes0 = bench_socket_bytes_sent();
    uint64_t cbytes0 = client_bytes(), cpu0 = bench_cpu_ns();
    uint64_t t0 = bench_now_ns();
    atomic_store(&shared->run, run);
    serve_until_done(run, 1);
    uint64_t elapsed = bench_now_ns() - t0;
    uint64_t cpu = bench_cpu_ns() - cpu0;
    uint64_t settle = bench_now_ns() + 20000000u;
    while (bench_now_ns() < settle) server_service(1);
    double bytes = (double)(bench_socket_bytes_sent() - sbytes0 + client_bytes() - cbytes0);
    if (report_run(run))
      printf("{\"events\":%llu,\"seconds\":%.4f,\"server_cpu_pct\":%.2f,\"bytes_per_s\":%.1f,"
           "\"client_to_server_bytes_per_s\":%.1f}",
           (unsigned long long)(srv.handled - handled0), elapsed / 1e9,
           100.0 * (double)cpu / (opt.seconds * 1e9), bytes / opt.seconds,
           (double)(client_bytes() - cbytes0) / opt.seconds);
  }
  printf("]");
}

static void run_codec(void) {
  static const char *names[] = {"jump_150", "table_3_fields", "vector3_cframe"};
  printf("\"runs\":[");
  /* Run 0 warms the caches up and is not reported. */
  for (uint32_t run = 0; run <= opt.runs; run++) {
    double enc[3], dec[3];
    size_t len[3];
    for (int which = 0; which < 3; which++) {
      if (bench_codec(which, opt.seconds / 6, &enc[which], &dec[which], &len[which]) != 0)
        die("codec");
    }
    if (run == 0) continue;
    if (run > 1) printf(",");
    printf("{");
    for (int which = 0; which < 3; which++) {
      printf("%s\"%s_encode_ns\":%.2f,\"%s_decode_ns\":%.2f,\"%s_bytes\":%zu",
             which ? "," : "", names[which], enc[which], names[which], dec[which],
             names[which], len[which]);
    }
    printf("}");
  }
  printf("]");
}

static void usage(void) {
  fprintf(stderr,
          "usage: bench_<peer> fire|broadcast|invoke|scale|burst|codec|payload [--clients N]\n"
          "       [--procs P] [--runs R] [--seconds S] [--payload jump|table] [backend options]\n");
  exit(2);
}

int main(int argc, char **argv) {
  if (argc < 2) usage();
  opt.scenario = argv[1];
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (bench_backend_option(a)) continue;
    if (!v) usage();
    if (strcmp(a, "--clients") == 0) opt.clients = (uint32_t)atoi(v);
    else if (strcmp(a, "--procs") == 0) opt.procs = (uint32_t)atoi(v);
    else if (strcmp(a, "--runs") == 0) opt.runs = (uint32_t)atoi(v);
    else if (strcmp(a, "--seconds") == 0) opt.seconds = atof(v);
    else if (strcmp(a, "--quick") == 0) opt.quick = atoi(v);
    else if (strcmp(a, "--payload") == 0) opt.payload = strcmp(v, "table") == 0 ? BENCH_PAYLOAD_TABLE : BENCH_PAYLOAD_JUMP;
    else usage();
    i++;
  }
  if (opt.clients < 1 || opt.clients > BENCH_MAX_CLIENTS - 1) usage();
  if (opt.procs < 1 || opt.procs > BENCH_MAX_PROCS || opt.procs > opt.clients) usage();
  if (opt.runs < 1 || opt.seconds <= 0) usage();
  if (bench_backend_init() != 0) die("backend init");
  bench_raise_fd_limit();

  printf("{\"peer\":\"%s\",\"scenario\":\"%s\",\"clients\":%u,\"procs\":%u,"
         "\"payload\":\"%s\",\"payload_bytes\":%zu,",
         bench_backend_name(), opt.scenario, opt.clients, opt.procs,
         opt.payload == BENCH_PAYLOAD_TABLE ? "table" : "jump", bench_payload_len(opt.payload));
  if (strcmp(opt.scenario, "codec") == 0 || strcmp(opt.scenario, "payload") == 0) {
    if (strcmp(opt.scenario, "codec") == 0) {
      run_codec();
    } else {
      static const char *names[] = {"jump", "table", "event"};
      for (int which = 0; which < 3; which++) {
        char hex[600];
        bench_payload_hex(which, hex, sizeof hex);
        printf("\"%s_hex\":\"%s\",", names[which], hex);
      }
      printf("\"runs\":[]");
    }
    printf("}\n");
    return 0;
  }
  fflush(stdout);

  shared = bench_shared_create();
  if (!shared) die("mmap");
  pid_t pids[BENCH_MAX_PROCS];
  for (uint32_t p = 0; p < opt.procs; p++) {
    pids[p] = fork();
    if (pids[p] < 0) die("fork");
    if (pids[p] == 0) client_process(p);
  }
  bench_server_hooks hooks = {on_joined, on_fired, NULL};
  srv.server = bsrv_create(opt.clients, &hooks);
  if (!srv.server) die("server create");
  atomic_store(&shared->port, bsrv_port(srv.server));

  if (strcmp(opt.scenario, "scale") != 0) {
    uint64_t t0 = bench_now_ns();
    for (;;) {
      server_service(1);
      int32_t ready = 0;
      for (uint32_t p = 0; p < opt.procs; p++) ready += atomic_load(&shared->proc_ready[p]);
      if ((uint32_t)ready == opt.clients && srv.joined == opt.clients) break;
      if (bench_now_ns() - t0 > STALL_NS * 3) die("connect (timeout)");
    }
  }
  if (strcmp(opt.scenario, "fire") == 0) server_fire();
  else if (strcmp(opt.scenario, "broadcast") == 0) server_broadcast();
  else if (strcmp(opt.scenario, "invoke") == 0) server_invoke();
  else if (strcmp(opt.scenario, "scale") == 0) server_scale();
  else if (strcmp(opt.scenario, "burst") == 0) server_burst();
  else die("unknown scenario");
  printf("}\n");
  fflush(stdout);

  atomic_store(&shared->quit, 1);
  /* Keep serving while the clients leave so their disconnects complete. */
  for (uint32_t p = 0; p < opt.procs; p++) {
    for (;;) {
      int status;
      pid_t r = waitpid(pids[p], &status, WNOHANG);
      if (r == pids[p] || r < 0) break;
      server_service(1);
    }
  }
  bsrv_destroy(srv.server);
  return 0;
}
