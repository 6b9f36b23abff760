/* example.h - the plumbing every example shares (command line, clock, main loops, stats) so
 * each server.c / client.c shows only its scenario. Uses only remotes.h; no engine internals. */
#ifndef REMOTES_EXAMPLE_H
#define REMOTES_EXAMPLE_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "remotes.h"

/* ---- command line ---------------------------------------------------------------------- */

typedef struct ex_options {
  unsigned port;         /* --port N (server: 0 = pick a free one) */
  const char *name;      /* --name NAME (clients) */
  unsigned clients;      /* --clients N: players the server waits for before it ends */
  double duration_s;     /* --duration S: the server's hard cap */
  unsigned timeout_ms;   /* --timeout MS: the client's hard cap */
  const char *extra[4];  /* scenario options: see ex_parse's `extra_names` */
} ex_options;

static inline void ex_usage(const char *prog, const char *extra_help) {
  fprintf(stderr,
          "usage: %s [--port N] [--name NAME] [--clients N] [--duration S] [--timeout MS]%s\n",
          prog, extra_help ? extra_help : "");
  exit(2);
}

/* Parses the common options plus up to four scenario ones (`extra_names`, NULL-terminated,
 * e.g. {"--vote", NULL}); their values land in opt->extra[i]. */
static inline ex_options ex_parse(int argc, char **argv, const char *const *extra_names,
                                  const char *extra_help) {
  ex_options o = {0};
  o.name = "Player1";
  o.duration_s = 20;
  o.timeout_ms = 5000;
  for (int i = 1; i < argc; i += 2) { /* every option takes one value */
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    int matched = 1;
    if (!v) ex_usage(argv[0], extra_help);
    if (strcmp(a, "--port") == 0) o.port = (unsigned)strtoul(v, NULL, 10);
    else if (strcmp(a, "--name") == 0) o.name = v;
    else if (strcmp(a, "--clients") == 0) o.clients = (unsigned)strtoul(v, NULL, 10);
    else if (strcmp(a, "--duration") == 0) o.duration_s = strtod(v, NULL);
    else if (strcmp(a, "--timeout") == 0) o.timeout_ms = (unsigned)strtoul(v, NULL, 10);
    else matched = 0;
    for (int k = 0; !matched && extra_names && extra_names[k] && k < 4; k++) {
      if (strcmp(a, extra_names[k]) == 0) {
        o.extra[k] = v;
        matched = 1;
      }
    }
    if (!matched) {
      fprintf(stderr, "%s: unknown option '%s'\n", argv[0], a);
      ex_usage(argv[0], extra_help);
    }
  }
  return o;
}

/* ---- time and printing ------------------------------------------------------------------ */

/* Milliseconds on a clock good enough for timeouts (C11 timespec_get: no POSIX needed). */
static inline uint64_t ex_now_ms(void) {
  struct timespec ts;
  timespec_get(&ts, TIME_UTC);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Several processes share one terminal (and the demo's pipes): flush every line so the
 * output interleaves in the order things happened. */
#define EX_SAY(...)                                                                          \
  do {                                                                                       \
    printf(__VA_ARGS__);                                                                     \
    putchar('\n');                                                                           \
    fflush(stdout);                                                                          \
  } while (0)

/* Lua's tostring for the numbers the examples send: 150, not 150.000000. */
/* 1 if a client's string may be printed on one line of the log: no NUL inside and no control
 * byte (a newline would print a line that passes for another; an escape sequence would drive
 * the terminal). Linear, and checked before the text is used for anything else. */
static inline int ex_printable(const rmt_value *v) {
  if (v->type != RMT_TSTRING) return 0;
  for (size_t i = 0; i < v->as.string.len; i++) {
    unsigned char c = (unsigned char)v->as.string.ptr[i];
    if (c < 0x20 || c == 0x7f) return 0;
  }
  return 1;
}

static inline const char *ex_num(double n, char buf[32]) {
  snprintf(buf, 32, "%.14g", n);
  return buf;
}

/* Ctrl-C ends the loops cleanly, so a server interrupted by hand still prints its stats. */
static volatile sig_atomic_t ex_interrupted;
static inline void ex_on_sigint(int sig) {
  (void)sig;
  ex_interrupted = 1;
}
static inline void ex_catch_sigint(void) { signal(SIGINT, ex_on_sigint); }

/* ---- server side ------------------------------------------------------------------------ */

/* Who came and went; the server loop ends when every expected player has joined and left. */
typedef struct ex_server {
  rmt_server *server;
  unsigned expected;
  unsigned joined;
  unsigned left;
} ex_server;

static inline void ex_on_join_count(void *ud, const rmt_value *args, size_t nargs) {
  ex_server *es = ud;
  (void)nargs;
  es->joined++;
  EX_SAY("%s joined", rmt_server_player_name(es->server, args[0].as.player));
}

static inline void ex_on_leave_count(void *ud, const rmt_value *args, size_t nargs) {
  ex_server *es = ud;
  (void)nargs;
  es->left++;
  EX_SAY("%s left", rmt_server_player_name(es->server, args[0].as.player));
}

/* Drops (rate limit, malformed input...) are invisible to the sender, as in Roblox; the
 * server says so, which is where an application would decide to kick an abuser. */
static inline void ex_on_drop(void *ud, rmt_player_id player, rmt_remote_id remote,
                              rmt_drop_reason reason, const char *detail) {
  ex_server *es = ud;
  const char *who = rmt_server_player_name(es->server, player);
  const char *what = rmt_server_remote_name(es->server, remote);
  EX_SAY("dropped a message from %s on %s: %s%s%s%s", who ? who : "?", what ? what : "?",
         rmt_drop_reason_name(reason), detail[0] ? " (" : "", detail, detail[0] ? ")" : "");
}

/* Creates the server on 127.0.0.1:opt->port and prints `listening on <port>` first, so a
 * script that started it with --port 0 can read the port before starting clients. Returns
 * NULL (after printing why) on failure. `cfg` may be NULL for defaults. */
static inline rmt_server *ex_server_start(ex_server *es, const ex_options *opt,
                                          rmt_server_config *cfg) {
  rmt_server_config def;
  if (!cfg) {
    rmt_server_config_default(&def);
    cfg = &def;
  }
  cfg->port = (uint16_t)opt->port;
  cfg->on_drop = ex_on_drop;
  cfg->drop_ud = es;
  rmt_error err;
  memset(es, 0, sizeof *es);
  es->expected = opt->clients;
  es->server = rmt_server_create(cfg, &err);
  if (!es->server) {
    fprintf(stderr, "server: %s\n", err.message);
    return NULL;
  }
  EX_SAY("listening on %u", (unsigned)rmt_server_port(es->server));
  rmt_signal_connect(rmt_server_player_added(es->server), ex_on_join_count, es);
  rmt_signal_connect(rmt_server_player_removing(es->server), ex_on_leave_count, es);
  ex_catch_sigint();
  return es->server;
}

/* The game loop (Roblox's Heartbeat): service at ~60 Hz. `tick` (nullable) runs once per
 * frame. Returns 0 when every expected player joined and left, 1 when the --duration cap
 * ended it early with players still expected. */
static inline int ex_server_run(ex_server *es, const ex_options *opt, void (*tick)(void *),
                                void *tick_ud) {
  uint64_t end = ex_now_ms() + (uint64_t)(opt->duration_s * 1000.0);
  while (!ex_interrupted) {
    if (es->expected && es->joined >= es->expected && es->left >= es->joined) return 0;
    if (ex_now_ms() >= end) break;
    rmt_server_service(es->server, 16);
    if (tick) tick(tick_ud);
  }
  if (!es->expected || ex_interrupted) return 0;
  EX_SAY("gave up after %.1f s: %u of %u players joined, %u left", opt->duration_s,
         es->joined, es->expected, es->left);
  return 1;
}

static inline void ex_print_stats(const char *label, const rmt_stats *st) {
  EX_SAY("stats %s: events in %llu out %llu, invokes in %llu out %llu, bytes in %llu out %llu, "
         "dropped %llu (rate %llu, unknown %llu, queue %llu, malformed %llu), timeouts %llu",
         label, (unsigned long long)st->events_in, (unsigned long long)st->events_out,
         (unsigned long long)st->invokes_in, (unsigned long long)st->invokes_out,
         (unsigned long long)st->bytes_in, (unsigned long long)st->bytes_out,
         (unsigned long long)(st->dropped_rate_limit + st->dropped_unknown_remote +
                              st->dropped_queue_overflow + st->dropped_malformed),
         (unsigned long long)st->dropped_rate_limit,
         (unsigned long long)st->dropped_unknown_remote,
         (unsigned long long)st->dropped_queue_overflow,
         (unsigned long long)st->dropped_malformed, (unsigned long long)st->timeouts);
}

/* The summary at exit: one line per remote named in `remotes` (NULL-terminated), then the
 * server's totals (remote 0). */
static inline void ex_server_summary(ex_server *es, const char *const *remotes) {
  for (int i = 0; remotes && remotes[i]; i++) {
    rmt_stats st;
    rmt_remote_id id = rmt_server_remote_find(es->server, remotes[i]);
    if (id && rmt_server_remote_stats(es->server, id, &st) == RMT_OK) ex_print_stats(remotes[i], &st);
  }
  rmt_stats total;
  if (rmt_server_remote_stats(es->server, 0, &total) == RMT_OK) ex_print_stats("total", &total);
}

/* ---- client side ------------------------------------------------------------------------ */

/* A disconnect the client did not ask for (kick, server shut down, lost connection). */
typedef struct ex_client {
  rmt_client *client;
  int disconnected;
  int disconnect_status;
  uint64_t deadline;
} ex_client;

static inline void ex_on_disconnect(void *ud, int status, const char *reason) {
  ex_client *ec = ud;
  ec->disconnected = 1;
  ec->disconnect_status = status;
  EX_SAY("Disconnected: %s", reason);
}

/* Connects as opt->name to 127.0.0.1:opt->port and waits for the join (registry included).
 * Everything the client does afterwards must finish before opt->timeout_ms from now. */
static inline rmt_client *ex_client_join(ex_client *ec, const ex_options *opt) {
  memset(ec, 0, sizeof *ec);
  ec->deadline = ex_now_ms() + opt->timeout_ms;
  rmt_client_config cfg;
  rmt_client_config_default(&cfg);
  cfg.port = (uint16_t)opt->port;
  cfg.name = opt->name;
  cfg.invoke_timeout_ms = opt->timeout_ms;
  cfg.on_disconnect = ex_on_disconnect;
  cfg.disconnect_ud = ec;
  rmt_error err;
  ec->client = rmt_client_create(&cfg, &err);
  if (!ec->client) {
    fprintf(stderr, "%s: %s\n", opt->name, err.message);
    return NULL;
  }
  if (rmt_client_wait_connected(ec->client, opt->timeout_ms, &err) != RMT_OK) {
    fprintf(stderr, "%s: could not join: %s\n", opt->name, err.message);
    rmt_client_destroy(ec->client);
    ec->client = NULL;
    return NULL;
  }
  ex_catch_sigint();
  return ec->client;
}

/* ReplicatedStorage:WaitForChild(name) bounded by the client's deadline. 0 on failure. */
static inline rmt_remote_id ex_wait_remote(ex_client *ec, const char *name) {
  uint64_t now = ex_now_ms();
  uint32_t left = ec->deadline > now ? (uint32_t)(ec->deadline - now) : 1;
  rmt_remote_id id = 0;
  if (rmt_client_remote_wait_sync(ec->client, name, left, &id) != RMT_OK) {
    fprintf(stderr, "%s: remote %s did not appear\n", rmt_client_local_name(ec->client), name);
    return 0;
  }
  return id;
}

/* Pumps the client until *done becomes non-zero, the connection ends, or the deadline
 * passes. Returns 0 when done. */
static inline int ex_client_until(ex_client *ec, const volatile int *done) {
  while (!*done && !ec->disconnected && !ex_interrupted && ex_now_ms() < ec->deadline)
    rmt_client_service(ec->client, 10);
  if (*done) return 0;
  if (!ec->disconnected)
    fprintf(stderr, "%s: timed out waiting for the server\n", rmt_client_local_name(ec->client));
  return 1;
}

#endif /* REMOTES_EXAMPLE_H */
