/*
 * host_api.h - the Lua host as a program that runs it sees it (the `remotes` CLI): an opaque
 * handle and the calls to create, feed, step and stop it. Never installed. It must never
 * expose the host's struct or anything of Lua: what lies behind it is in core.h and host.h.
 */
#ifndef RMT_LUA_HOST_API_H
#define RMT_LUA_HOST_API_H

#include <stddef.h>

#include "remotes.h"

typedef enum rmt_host_side {
  RMT_HOST_SERVER = 1,
  RMT_HOST_CLIENT = 2
} rmt_host_side;

/* Where script output goes. PRINT is a print() line, WARN a warn() or a host warning, ERROR an
 * uncaught script error ("file:line: message"). */
typedef enum rmt_host_stream {
  RMT_HOST_PRINT = 1,
  RMT_HOST_WARN,
  RMT_HOST_ERROR
} rmt_host_stream;
typedef void (*rmt_host_output_fn)(void *ud, rmt_host_stream stream, const char *text);

typedef struct rmt_host rmt_host;

typedef struct rmt_host_config {
  rmt_host_side side;
  const char *origin;          /* label used by the default output ("Server", "Player1") */
  rmt_host_output_fn output;   /* NULL = "[origin] text" lines on stdout / stderr */
  void *output_ud;
  const rmt_allocator *alloc;  /* for host-side C allocations; NULL = malloc */
  size_t memory_limit;         /* bytes the Lua state may hold; 0 = the side's default */
  double script_timeout;       /* seconds a script may run without yielding; 0 = default,
                                  < 0 = never */
  rmt_clock_fn clock;          /* the scheduler's clock (rmt_clock_fn); NULL = monotonic. Also
                                  handed to the engine by rmt_host_server_config/_client_config */
  void *clock_ud;
} rmt_host_config;

/* Defaults of the guards (docs/cli.md: --memory-limit, --script-timeout). */
#define RMT_HOST_SERVER_MEMORY_LIMIT ((size_t)1 << 30) /* 1 GiB */
#define RMT_HOST_CLIENT_MEMORY_LIMIT ((size_t)512 << 20)
#define RMT_HOST_SCRIPT_TIMEOUT 10.0 /* Roblox Studio's default */

/* ---- lifecycle (host.c) ---- */
/* Creates a host with its Lua state, the Roblox globals and the DataModel. NULL on failure
 * (message in err). Destroy with rmt_host_destroy. */
rmt_host *rmt_host_create(const rmt_host_config *config, rmt_error *err);
/* Releases the Lua state and every C-side resource, and the engine attached to it (see
 * rmt_host_attach_server). Safe on NULL. */
void rmt_host_destroy(rmt_host *host);

/* Loads a place argument (folder, project file or single script/model file) into the
 * DataModel for this host's side. Returns 0 or -1 with the message in err. */
int rmt_host_load(rmt_host *host, const char *path, rmt_error *err);
/* Runs the Scripts (server) or LocalScripts (client) of the DataModel, each in its own
 * thread, once. */
void rmt_host_start_scripts(rmt_host *host);
/* Runs a chunk of Lua source as a Script of this side (tests, -e). Returns 0, or -1 when it
 * did not compile (reported as an error). */
int rmt_host_run_string(rmt_host *host, const char *source, const char *chunkname);

/* Advances time: due timers, deferred threads, and a frame (Stepped, Heartbeat) when one is
 * due. Returns nothing; errors go to the output. */
void rmt_host_step(rmt_host *host);
/* Seconds until the next frame or timer is due (>= 0). */
double rmt_host_next_due(rmt_host *host);
/* Nonzero while a thread waits on a timer, an invoke or WaitForChild, or while anything is
 * connected to Heartbeat/Stepped: the conditions that keep a client from being idle (with
 * rmt_host_status.resumes, which moves whenever a thread ran, restarting the idle window). */
int rmt_host_busy(rmt_host *host);

/* What a driver loop decides on. A snapshot: read it again after each step. */
typedef struct rmt_host_status {
  int errors;              /* uncaught script errors so far (and rmt_host_error's) */
  int stopped;             /* scripts were stopped (rmt_host_interrupt or stop time reached) */
  int quit;                /* client: a LocalScript kicked its own player */
  unsigned long resumes;   /* Lua threads resumed so far: moves whenever a script ran */
  int players_joined;      /* server: PlayerAdded so far */
  int players_present;     /* server: players in the game now */
  int disconnected;        /* client: the server is gone */
  int disconnect_status;   /* with disconnected: RMT_OK for a clean leave */
  const char *disconnect_reason; /* "" when none; borrowed, valid until rmt_host_destroy */
} rmt_host_status;
void rmt_host_get_status(const rmt_host *host, rmt_host_status *out);

/* Seconds on a monotonic clock (the host's and the CLI's one time base). */
/* The monotonic clock in seconds: real time, for what must not stand still with an injected
 * clock (the script timeout, --duration, blocking waits). */
double rmt_host_clock(void);

/* ---- the engine (net.c) ---- */
/* Attaches an engine and wires players, the registry (client) and remotes. The host takes
 * ownership: rmt_host_destroy destroys the engine first (its pending callbacks complete while
 * Lua is off limits). Server: call before rmt_host_load so place remotes bind and place
 * instances replicate. Client: call after rmt_host_load (the place's ReplicatedStorage and
 * Workspace contents are set aside then, to be replaced by the server's copy). */
int rmt_host_attach_server(rmt_host *host, rmt_server *server);
int rmt_host_attach_client(rmt_host *host, rmt_client *client);
/* The server config hooks the host needs (drop warnings); call before server create. */
void rmt_host_server_config(rmt_host *host, rmt_server_config *config);
/* The client config hooks the host needs (registry, disconnect); call before client create. */
void rmt_host_client_config(rmt_host *host, rmt_client_config *config);
/* After the client is connected: creates LocalPlayer and the players already present. */
void rmt_host_client_joined(rmt_host *host);

/* ---- output (output.c) ---- */
/* A line of output as a script's would be (escaped, rate-limited: core.h). */
void rmt_host_emit(rmt_host *host, rmt_host_stream stream, const char *text);
void rmt_host_emitf(rmt_host *host, rmt_host_stream stream, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* An ERROR line that also counts as an error (rmt_host_status.errors, so the exit status). */
void rmt_host_error(rmt_host *host, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* The default output: "[origin] text" on stdout (PRINT) or stderr, "[origin]| text" for each
 * further line of a message. */
void rmt_host_default_output(void *ud, rmt_host_stream stream, const char *text);

/* ---- stopping scripts (guard.c) ---- */
/* Async-signal-safe: every running or later script check raises "Script stopped". */
void rmt_host_interrupt(rmt_host *host);
/* Scripts still running at clock time `when` are stopped the same way (--duration). */
void rmt_host_stop_at(rmt_host *host, double when);
/* Async-signal-safe: nonzero while the host is inside a crossing (a script may be spinning). */
int rmt_host_in_lua(const rmt_host *host);

#endif /* RMT_LUA_HOST_API_H */
