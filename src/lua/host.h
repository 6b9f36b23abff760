/*
 * host.h - internal interface of the Lua host: one LuaJIT state per side running Roblox-style
 * scripts over the engine. Never installed; the CLI and the test_lua* tests use it directly.
 */
#ifndef RMT_LUA_HOST_H
#define RMT_LUA_HOST_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "remotes.h"

#include <lauxlib.h>
#include <lua.h>

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

/* The warning/error rate limit (output.c): one slot per source seen in the current second. */
#define RMT_OUT_SLOTS 32
#define RMT_OUT_KEY 64
typedef struct rmt_out_slot {
  int used, stream;
  double start;           /* this source's window */
  unsigned shown, hidden; /* lines shown / suppressed in it */
  size_t keylen;
  char key[RMT_OUT_KEY];
} rmt_out_slot;
typedef struct rmt_out_limit {
  rmt_out_slot slots[RMT_OUT_SLOTS];
  double start; /* the window of the cap over all sources */
  unsigned shown;
} rmt_out_limit;

/* Scripts' full names too long for LuaJIT's chunk names (cut to 59 bytes: LUA_IDSIZE): such a
 * script is compiled under the chunk name "=\x01<id>\x02" and every line of output shows the
 * name again (output.c). */
#define RMT_CHUNK_MAX 65536      /* names registered at most (then LuaJIT cuts them) */
#define RMT_CHUNK_NAME_MAX 4096  /* bytes kept of one name */
typedef struct rmt_chunk_names {
  char **names;
  unsigned count, cap;
} rmt_chunk_names;

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
/* Top-level arguments a message into Lua may carry: LuaJIT's C stack takes about 8,000
 * values in one call; the host sets its engine's limits.max_args to this, so both ends refuse
 * the same lists (docs/limits.md). */
#define RMT_LUA_MAX_ARGS 4096

/* A scheduled resumption (timer or deferred) of a Lua thread. */
typedef struct rmt_sched_entry {
  double when;
  uint64_t seq;
  int thread_ref;
  int args_ref;  /* LUA_NOREF, or a registry table {n=..., ...} of resume arguments */
  double token;  /* the park token the thread must still hold */
  double start;  /* for waits: when the wait began (elapsed = now - start) */
  int is_wait;   /* resume with the elapsed time instead of args */
} rmt_sched_entry;

typedef struct rmt_sched {
  rmt_sched_entry *timers; /* binary min-heap on (when, seq) */
  size_t ntimers, captimers;
  rmt_sched_entry *deferred; /* FIFO */
  size_t ndeferred, capdeferred;
  uint64_t seq;
  double next_token;
  int waiting_ref; /* registry table: thread -> token (negative = not counted as busy) */
} rmt_sched;

/* A remote listener bridge (engine signal -> Lua), freed on unlisten or destroy. */
typedef struct rmt_host_bridge {
  rmt_host *host;
  rmt_remote_id remote;
  rmt_conn_id conn;
  rmt_signal *signal;
  struct rmt_host_bridge *next;
} rmt_host_bridge;

struct rmt_host {
  lua_State *L;
  rmt_host_side side;
  char origin[64];
  rmt_host_output_fn output;
  void *output_ud;
  const rmt_allocator *alloc;
  rmt_clock_fn clock; /* config.clock: what rmt_host_now reads; NULL = monotonic */
  void *clock_ud;
  double t0;        /* that clock at creation, in seconds */
  double now;       /* scheduler time, seconds since t0, updated each step */
  int errors;       /* uncaught script errors so far */
  int closing;      /* set while destroying: callbacks must not touch Lua */
  rmt_sched sched;
  int hooks_ref;    /* registry ref of the prelude's hook table */
  int trampoline_ref; /* registry ref of the crossing's C function (guard.c) */
  rmt_server *server;
  rmt_client *client;
  rmt_host_bridge *bridges;
  int pending_invokes;
  double last_frame;
  int quit;                      /* a LocalScript kicked its own player */
  unsigned long resumes;         /* Lua threads resumed so far (activity, for the idle rule) */
  int disconnected;              /* the client lost the server (on_disconnect) */
  int disconnect_status;
  char disconnect_reason[160];
  int players_joined;            /* PlayerAdded so far (server) */
  int players_present;
  /* guards (guard.c) */
  size_t mem_used, mem_peak, mem_limit;
  size_t mem_grace;              /* extra allowed for the rest of a crossing after a refusal */
  uint64_t mem_refused;          /* allocations refused at the cap */
  int mem_errors;                /* crossings ended by "not enough memory" */
  int gc_wanted;
  int mem_lifted;                /* the host is collecting: the cap does not apply */
  volatile int gc_due;           /* the next script check runs a full collection */
  size_t gc_floor;               /* heap after the last such collection */
  int emergency_gcs;
  double last_tight_gc;
  int protect_depth;             /* nesting of protected crossings */
  double script_timeout;         /* seconds; 0 = never */
  double run_deadline;           /* clock time the current crossing must yield by; 0 = none */
  double stop_at;                /* clock time scripts are stopped at; 0 = none */
  double stop_seen;              /* when a check first saw the stop request */
  int timeouts;                  /* crossings that hit the script timeout */
  int timeout_counted;
  int timed_out;                 /* the current crossing is past its deadline */
  volatile sig_atomic_t interrupted; /* stop requested (signal or stop_at) */
  volatile sig_atomic_t in_lua;      /* inside a crossing (read by signal handlers) */
  char cross_error[256];         /* the last crossing's error message */
  uint64_t lua_drops;            /* messages Lua could not be handed (counted drops) */
  double drop_window;            /* start of the current second of drop warnings */
  unsigned drops_shown, drops_hidden; /* in that second: warned / counted only */
  rmt_out_limit outlim;           /* warnings and errors shown per source (output.c) */
  rmt_chunk_names chunks;         /* long script names by chunk id (output.c) */
};

/* Creates a host with its Lua state, the Roblox globals and the DataModel. NULL on failure
 * (message in err). Destroy with rmt_host_destroy. */
rmt_host *rmt_host_create(const rmt_host_config *config, rmt_error *err);
/* Releases the Lua state and every C-side resource; does not destroy server/client. */
void rmt_host_destroy(rmt_host *host);

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
 * host->resumes, which moves whenever a thread ran, restarting the idle window). */
int rmt_host_busy(rmt_host *host);

/* The monotonic clock in seconds: real time, for what must not stand still with an injected
 * clock (the script timeout, --duration, blocking waits). */
double rmt_host_clock(void);
/* Seconds since the host was created on its clock (config.clock): the scheduler's time, which
 * task.wait/delay, frames and the output rate windows go by. */
double rmt_host_now(const rmt_host *host);

/* ---- output (output.c) ---- */
/* Every line of output goes through here: control bytes but tab and newline are escaped
 * (\0, \r, \x1b), so `len` bytes are shown even past a NUL (text[len] must be 0, as Lua
 * strings are); WARN and ERROR lines are rate-limited per source (5 a second each, 50 in all),
 * the rest counted into one "N similar messages suppressed" line when the second ends. */
void rmt_host_emitl(rmt_host *host, rmt_host_stream stream, const char *text, size_t len);
void rmt_host_emit(rmt_host *host, rmt_host_stream stream, const char *text);
void rmt_host_emitf(rmt_host *host, rmt_host_stream stream, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* The default output: "[origin] text" on stdout (PRINT) or stderr, "[origin]| text" for each
 * further line of a message. */
void rmt_host_default_output(void *ud, rmt_host_stream stream, const char *text);
/* Writes the summaries of the rate-limit windows that ended (all of them when final). */
void rmt_host_output_tick(rmt_host *host, int final);
/* Registers a script's full name; returns its chunk id, or -1 when the table is full or out
 * of memory. */
long rmt_host_chunk_add(rmt_host *host, const char *name, size_t len);
/* Writes text with each chunk id marker replaced by its name into out (when non-NULL);
 * returns the length (text's own when it holds no marker). */
size_t rmt_host_chunk_expand(const rmt_host *host, const char *text, size_t len, char *out);
void rmt_host_chunk_free(rmt_host *host);

/* ---- scheduler (sched.c) ---- */
int rmt_sched_init(rmt_host *host);
void rmt_sched_free(rmt_host *host);
/* Resumes thread `co` with the `nargs` values on top of its stack; reports errors. */
void rmt_sched_resume(rmt_host *host, lua_State *co, int nargs);
/* Runs due timers and the deferred queue. */
void rmt_sched_run(rmt_host *host);
double rmt_sched_next_timer(rmt_host *host);
int rmt_sched_busy(rmt_host *host);
/* Parks the running thread `co`: returns a token that a later wake must present. */
double rmt_sched_park(rmt_host *host, lua_State *co, int busy);
/* Wakes `thread` (at `idx` of L) if it still holds `token`, resuming it with the `nargs`
 * values on top of L (popped). Returns 1 when resumed. */
int rmt_sched_wake(rmt_host *host, lua_State *L, int idx, double token, int nargs);
/* Registers task.*, wait, delay, spawn and the scheduler primitives into table at idx. */
void rmt_sched_open(rmt_host *host, lua_State *L, int idx);
/* Calls the function at L's top-(nargs) with nargs arguments in a new thread (listener). */
void rmt_sched_spawn(rmt_host *host, lua_State *L, int nargs);

/* ---- datatypes (types.c) ---- */
void rmt_types_open(lua_State *L);
void rmt_push_vector3(lua_State *L, float x, float y, float z);
void rmt_push_cframe(lua_State *L, const float pos[3], const float rot[9]);
void rmt_push_color3(lua_State *L, float r, float g, float b);
/* Non-NULL when the value at idx is that datatype: a pointer to its floats. */
const float *rmt_to_vector3(lua_State *L, int idx);
const float *rmt_to_cframe(lua_State *L, int idx); /* 12 floats: x, y, z, r[9] */
const float *rmt_to_color3(lua_State *L, int idx);
/* Luau-style number text (integers without ".0", others %.14g). buf >= 32 bytes. */
void rmt_format_number(char *buf, size_t cap, double n);

/* ---- Luau's standard library (stdlib.c, buffer.c) ---- */
/* string.pack/unpack/packsize, math.noise/clamp/sign/round/map/lerp, wall-clock os.clock,
 * monotonic tick, tostring of numbers as Luau prints them. */
void rmt_stdlib_open(lua_State *L);
/* Luau's number text (shortest round trip: "0.1", "1e+30", "-0", "nan"); out >= 48 bytes. */
size_t rmt_luau_num2str(char *out, double n);
/* The `buffer` library and its registry metatable. */
void rmt_buffer_open(lua_State *L);
/* Non-NULL when the value at idx is a buffer: its bytes (mutable), length in *len. */
unsigned char *rmt_to_buffer(lua_State *L, int idx, size_t *len);
/* Pushes a new zero-filled buffer of len bytes (a Lua error past Luau's 1 GiB limit). */
unsigned char *rmt_push_buffer(lua_State *L, size_t len);

/* ---- conversions (convert.c) ---- */
typedef enum rmt_conv_mode {
  RMT_CONV_NETWORK = 1,  /* players become RMT_TPLAYER, other instances cannot cross */
  RMT_CONV_BINDABLE = 2  /* every instance crosses by reference (same side) */
} rmt_conv_mode;
/* Converts the nargs Lua values at L[first..] into a normalized owned block (free with
 * rmt_values_free(out, host->alloc)), applying Roblox's rules with warnings through warn.
 * On cycles/limits returns an error status with err->message naming argument and path.
 * In BINDABLE mode instances are collected into a new table pushed on L (always pushed,
 * even on failure) and encoded as player refs numbering its entries from 1. */
int rmt_lua_to_values(rmt_host *host, lua_State *L, int first, int nargs, rmt_conv_mode mode,
                      rmt_value **out, rmt_error *err);
/* Pushes values; player refs resolve to the side's Player object (NETWORK) or to entries of
 * the instance table at inst_idx (BINDABLE). */
void rmt_lua_push_values(rmt_host *host, lua_State *L, const rmt_value *values, size_t n,
                         rmt_conv_mode mode, int inst_idx);
void rmt_convert_open(rmt_host *host, lua_State *L, int idx);
/* Pushes "file:line: " of the innermost script frame (the prelude's frames skipped). */
void rmt_push_where(lua_State *L);

/* ---- JSON (json.c) ---- */
/* Pushes the decoded document (objects and arrays as tables, null as nil) or returns -1 with
 * a message "line N: ..." in err. */
int rmt_json_push(lua_State *L, const char *text, size_t len, char *err, size_t errcap);

/* ---- filesystem and places helpers (place.c) ---- */
void rmt_place_open(rmt_host *host, lua_State *L, int idx);

/* ---- networking binding (net.c) ---- */
void rmt_net_open(rmt_host *host, lua_State *L, int idx);
void rmt_net_free(rmt_host *host);

/* ---- replicated instance tree (replica.c) ---- */
void rmt_replica_open(rmt_host *host, lua_State *L, int idx);
/* Server: makes the engine roots of ReplicatedStorage and Workspace and mirrors what is there. */
void rmt_replica_attach_server(rmt_host *host);
/* Client: sets the place's own ReplicatedStorage/Workspace contents aside (the server's copy
 * replaces them) and observes replica events (before connecting, to see the join snapshot). */
void rmt_replica_attach_client(rmt_host *host);

/* ---- Roblox's facts (facts.c, generated by scripts/gen_roblox_facts.py) ---- */
extern const char *const rmt_facts_enums[];
extern const char *const rmt_facts_classes[];
extern const char *const rmt_facts_brickcolors[];
extern const char *const rmt_facts_defaults[];

/* ---- prelude (generated/prelude.c, made at build time from the parts in src/lua/prelude) ---- */
extern const char *const rmt_prelude_chunks[];

/* Calls hooks[name] with nargs values on L's top; 0 or -1 (error reported). Call it inside a
 * crossing (rmt_host_protect): the values pushed before it may allocate. */
int rmt_host_call_hook(rmt_host *host, const char *name, int nargs, int nresults);

/* ---- guards (guard.c) ---- */
/* Every entry from C into Lua runs as body(host, L, ud) inside one protected call: a Lua error
 * there (out of memory, a raising __gc, a value that cannot be pushed) returns -1 with the
 * message in host->cross_error, reported as an error naming `what` (what == NULL: the caller
 * reports it); it never reaches LuaJIT's panic. Nests. Returns body's result otherwise. */
typedef int (*rmt_host_body)(rmt_host *host, lua_State *L, void *ud);
int rmt_host_protect(rmt_host *host, rmt_host_body body, void *ud, const char *what);
/* The lua_Alloc of every host state (ud = the host): counts, and refuses past mem_limit. */
void *rmt_guard_alloc(void *ud, void *ptr, size_t osize, size_t nsize);
/* H.poll_fn, H.host_ptr, H.interrupt_error: what __rmt_chk is built from. */
void rmt_guard_open(rmt_host *host, lua_State *L, int idx);
/* Async-signal-safe: every running or later script check raises "Script stopped". */
void rmt_host_interrupt(rmt_host *host);
/* Scripts still running at clock time `when` are stopped the same way (--duration). */
void rmt_host_stop_at(rmt_host *host, double when);
/* Async-signal-safe: nonzero while the host is inside a crossing (a script may be spinning). */
int rmt_host_in_lua(const rmt_host *host);

#endif /* RMT_LUA_HOST_H */
