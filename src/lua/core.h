/*
 * core.h - the bottom of the Lua host: the host's struct and the services every other host
 * file calls back into (clock and allocation in core.c, output and errors in output.c, the
 * prelude's hook table in hooks.c). It must never declare anything of the files above it
 * (host.h: scheduler, guards, conversions, engine binding; host.c: the wiring).
 */
#ifndef RMT_LUA_CORE_H
#define RMT_LUA_CORE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "host_api.h"

#include <lauxlib.h>
#include <lua.h>

/* The warning/error rate limit (output.c): one slot per source seen in the current second. */
#define RMT_OUT_SLOTS 32
#define RMT_OUT_KEY 64
typedef struct lh_out_slot {
  int used, stream;
  double start;           /* this source's window */
  unsigned shown, hidden; /* lines shown / suppressed in it */
  size_t keylen;
  char key[RMT_OUT_KEY];
} lh_out_slot;
typedef struct lh_out_limit {
  lh_out_slot slots[RMT_OUT_SLOTS];
  double start; /* the window of the cap over all sources */
  unsigned shown;
} lh_out_limit;

/* Scripts' full names too long for LuaJIT's chunk names (cut to 59 bytes: LUA_IDSIZE): such a
 * script is compiled under the chunk name "=\x01<id>\x02" and every line of output shows the
 * name again (output.c). */
#define RMT_CHUNK_MAX 65536      /* names registered at most (then LuaJIT cuts them) */
#define RMT_CHUNK_NAME_MAX 4096  /* bytes kept of one name */
typedef struct lh_chunk_names {
  char **names;
  unsigned count, cap;
} lh_chunk_names;

/* A scheduled resumption (timer or deferred) of a Lua thread. */
typedef struct lh_sched_entry {
  double when;
  uint64_t seq;
  int thread_ref;
  int args_ref;  /* LUA_NOREF, or a registry table {n=..., ...} of resume arguments */
  double token;  /* the park token the thread must still hold */
  double start;  /* for waits: when the wait began (elapsed = now - start) */
  int is_wait;   /* resume with the elapsed time instead of args */
} lh_sched_entry;

typedef struct lh_sched {
  lh_sched_entry *timers; /* binary min-heap on (when, seq) */
  size_t ntimers, captimers;
  lh_sched_entry *deferred; /* FIFO */
  size_t ndeferred, capdeferred;
  uint64_t seq;
  double next_token;
  int waiting_ref; /* registry table: thread -> token (negative = not counted as busy) */
} lh_sched;

/* A remote listener bridge (engine signal -> Lua), freed on unlisten or destroy. */
typedef struct lh_bridge {
  rmt_host *host;
  rmt_remote_id remote;
  rmt_conn_id conn;
  rmt_signal *signal;
  struct lh_bridge *next;
} lh_bridge;

struct rmt_host {
  lua_State *L;
  rmt_host_side side;
  char origin[64];
  rmt_host_output_fn output;
  void *output_ud;
  const rmt_allocator *alloc;
  rmt_clock_fn clock; /* config.clock: what lh_now reads; NULL = monotonic */
  void *clock_ud;
  double t0;        /* that clock at creation, in seconds */
  double now;       /* scheduler time, seconds since t0, updated each step */
  int errors;       /* uncaught script errors so far */
  int closing;      /* set while destroying: callbacks must not touch Lua */
  lh_sched sched;
  int hooks_ref;    /* registry ref of the prelude's hook table */
  int trampoline_ref; /* registry ref of the crossing's C function (guard.c) */
  rmt_server *server;
  rmt_client *client;
  lh_bridge *bridges;
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
  lh_out_limit outlim;           /* warnings and errors shown per source (output.c) */
  lh_chunk_names chunks;         /* long script names by chunk id (output.c) */
};

/* ---- clock (core.c) ---- */
/* The host's clock (config.clock, else the monotonic clock) in seconds. */
double lh_clock_seconds(const rmt_host *host);
/* Seconds since the host was created on its clock (config.clock): the scheduler's time, which
 * task.wait/delay, frames and the output rate windows go by. */
double lh_now(const rmt_host *host);

/* ---- allocation (core.c) ---- */
/* Every C-side allocation of the host goes through its allocator hook (config.alloc; NULL =
 * malloc), lua_Alloc style: `osize` is the size last requested for `ptr`. realloc with
 * nsize 0 frees and returns NULL; alloc(0) returns NULL. */
void *lh_alloc(rmt_host *host, size_t size);
void *lh_realloc(rmt_host *host, void *ptr, size_t osize, size_t nsize);
void lh_free(rmt_host *host, void *ptr, size_t size);

/* ---- output (output.c) ---- */
/* Every line of output goes through here: control bytes but tab and newline are escaped
 * (\0, \r, \x1b), so `len` bytes are shown even past a NUL (text[len] must be 0, as Lua
 * strings are); WARN and ERROR lines are rate-limited per source (5 a second each, 50 in all),
 * the rest counted into one "N similar messages suppressed" line when the second ends. */
void lh_emitl(rmt_host *host, rmt_host_stream stream, const char *text, size_t len);
/* lh_emitl of an ERROR line that also counts as an uncaught error (host->errors). */
void lh_errorl(rmt_host *host, const char *text, size_t len);
/* Writes the summaries of the rate-limit windows that ended (all of them when final). */
void lh_output_tick(rmt_host *host, int final);
/* Registers a script's full name; returns its chunk id, or -1 when the table is full or out
 * of memory. */
long lh_chunk_add(rmt_host *host, const char *name, size_t len);
/* Writes text with each chunk id marker replaced by its name into out (when non-NULL);
 * returns the length (text's own when it holds no marker). */
size_t lh_chunk_expand(const rmt_host *host, const char *text, size_t len, char *out);
void lh_chunk_free(rmt_host *host);

/* ---- the prelude's hook table (hooks.c) ---- */
/* Calls hooks[name] with nargs values on L's top; 0 or -1 (error reported). Call it inside a
 * crossing (lh_protect): the values pushed before it may allocate. */
int lh_call_hook(rmt_host *host, const char *name, int nargs, int nresults);
/* Takes the hook table from L's top into the registry and checks that every hook C calls by
 * name is a function there: 0, or -1 with "prelude: hook 'x' missing" in err. */
int lh_set_hooks(rmt_host *host, rmt_error *err);
/* Sets fns[i].name in the table at idx to a closure of fns[i].func holding `host` as its
 * upvalue (how every host file hands its C functions to the prelude). */
void lh_register(rmt_host *host, lua_State *L, int idx, const luaL_Reg *fns);

#endif /* RMT_LUA_CORE_H */
