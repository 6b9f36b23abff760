/*
 * host.h - the interfaces between the Lua host's files above its core (core.h): scheduler,
 * datatypes, Luau's library, conversions, JSON, places, the engine binding, the replica tree
 * and the guards. Never installed; host files and the test_lua* tests include it, the CLI
 * never does (it has host_api.h).
 */
#ifndef RMT_LUA_HOST_H
#define RMT_LUA_HOST_H

#include "core.h"

/* Top-level arguments a message into Lua may carry: LuaJIT's C stack takes about 8,000
 * values in one call; the host sets its engine's limits.max_args to this, so both ends refuse
 * the same lists (docs/limits.md). */
#define RMT_LUA_MAX_ARGS 4096

/* ---- scheduler (sched.c) ---- */
int lh_sched_init(rmt_host *host);
void lh_sched_free(rmt_host *host);
/* Resumes thread `co` with the `nargs` values on top of its stack; reports errors. */
void lh_sched_resume(rmt_host *host, lua_State *co, int nargs);
/* Runs due timers and the deferred queue. */
void lh_sched_run(rmt_host *host);
double lh_sched_next_timer(rmt_host *host);
int lh_sched_busy(rmt_host *host);
/* Parks the running thread `co`: returns a token that a later wake must present. */
double lh_sched_park(rmt_host *host, lua_State *co, int busy);
/* Wakes `thread` (at `idx` of L) if it still holds `token`, resuming it with the `nargs`
 * values on top of L (popped). Returns 1 when resumed. */
int lh_sched_wake(rmt_host *host, lua_State *L, int idx, double token, int nargs);
/* Registers task.*, wait, delay, spawn and the scheduler primitives into table at idx. */
void lh_sched_open(rmt_host *host, lua_State *L, int idx);
/* Calls the function at L's top-(nargs) with nargs arguments in a new thread (listener). */
void lh_sched_spawn(rmt_host *host, lua_State *L, int nargs);

/* ---- datatypes (types.c) ---- */
void lh_types_open(lua_State *L);
void lh_push_vector3(lua_State *L, float x, float y, float z);
void lh_push_cframe(lua_State *L, const float pos[3], const float rot[9]);
void lh_push_color3(lua_State *L, float r, float g, float b);
/* Non-NULL when the value at idx is that datatype: a pointer to its floats. */
const float *lh_to_vector3(lua_State *L, int idx);
const float *lh_to_cframe(lua_State *L, int idx); /* 12 floats: x, y, z, r[9] */
const float *lh_to_color3(lua_State *L, int idx);
/* Luau-style number text (integers without ".0", others %.14g). buf >= 32 bytes. */
void lh_format_number(char *buf, size_t cap, double n);

/* ---- Luau's standard library (stdlib.c, buffer.c) ---- */
/* string.pack/unpack/packsize, math.noise/clamp/sign/round/map/lerp, wall-clock os.clock,
 * monotonic tick, tostring of numbers as Luau prints them. */
void lh_stdlib_open(lua_State *L);
/* Luau's number text (shortest round trip: "0.1", "1e+30", "-0", "nan"); out >= 48 bytes. */
size_t lh_luau_num2str(char *out, double n);
/* The `buffer` library and its registry metatable. */
void lh_buffer_open(lua_State *L);
/* Non-NULL when the value at idx is a buffer: its bytes (mutable), length in *len. */
unsigned char *lh_to_buffer(lua_State *L, int idx, size_t *len);
/* Pushes a new zero-filled buffer of len bytes (a Lua error past Luau's 1 GiB limit). */
unsigned char *lh_push_buffer(lua_State *L, size_t len);

/* ---- conversions (convert.c) ---- */
typedef enum lh_conv_mode {
  RMT_CONV_NETWORK = 1,  /* players become RMT_TPLAYER, other instances cannot cross */
  RMT_CONV_BINDABLE = 2  /* every instance crosses by reference (same side) */
} lh_conv_mode;
/* Converts the nargs Lua values at L[first..] into a normalized owned block (free with
 * rmt_values_free(out, host->alloc)), applying Roblox's rules with warnings through warn.
 * On cycles/limits returns an error status with err->message naming argument and path.
 * In BINDABLE mode instances are collected into a new table pushed on L (always pushed,
 * even on failure) and encoded as player refs numbering its entries from 1. */
int lh_lua_to_values(rmt_host *host, lua_State *L, int first, int nargs, lh_conv_mode mode,
                      rmt_value **out, rmt_error *err);
/* Pushes values; player refs resolve to the side's Player object (NETWORK) or to entries of
 * the instance table at inst_idx (BINDABLE). */
void lh_lua_push_values(rmt_host *host, lua_State *L, const rmt_value *values, size_t n,
                         lh_conv_mode mode, int inst_idx);
void lh_convert_open(rmt_host *host, lua_State *L, int idx);
/* Pushes "file:line: " of the innermost script frame (the prelude's frames skipped). */
void lh_push_where(lua_State *L);

/* ---- JSON (json.c) ---- */
/* Pushes the decoded document (objects and arrays as tables, null as nil) or returns -1 with
 * a message "line N: ..." in err. */
int lh_json_push(lua_State *L, const char *text, size_t len, char *err, size_t errcap);

/* ---- filesystem and places helpers (place.c) ---- */
void lh_place_open(rmt_host *host, lua_State *L, int idx);

/* ---- networking binding (net.c) ---- */
void lh_net_open(rmt_host *host, lua_State *L, int idx);
void lh_net_free(rmt_host *host);

/* ---- replicated instance tree (replica.c) ---- */
void lh_replica_open(rmt_host *host, lua_State *L, int idx);
/* Server: makes the engine roots of ReplicatedStorage and Workspace and mirrors what is there. */
void lh_replica_attach_server(rmt_host *host);
/* Client: sets the place's own ReplicatedStorage/Workspace contents aside (the server's copy
 * replaces them) and observes replica events (before connecting, to see the join snapshot). */
void lh_replica_attach_client(rmt_host *host);

/* ---- Roblox's facts (facts_*.c, generated by scripts/gen_roblox_facts.py) ---- */
extern const char *const lh_facts_enums[];
extern const char *const lh_facts_classes[];
extern const char *const lh_facts_brickcolors[];
extern const char *const lh_facts_defaults[];

/* ---- prelude (generated/prelude.c, made at build time from the parts in src/lua/prelude) ---- */
extern const char *const lh_prelude_chunks[];

/* ---- guards (guard.c) ---- */
/* Every entry from C into Lua runs as body(host, L, ud) inside one protected call: a Lua error
 * there (out of memory, a raising __gc, a value that cannot be pushed) returns -1 with the
 * message in host->cross_error, reported as an error naming `what` (what == NULL: the caller
 * reports it); it never reaches LuaJIT's panic. Nests. Returns body's result otherwise. */
typedef int (*lh_body)(rmt_host *host, lua_State *L, void *ud);
int lh_protect(rmt_host *host, lh_body body, void *ud, const char *what);
/* The lua_Alloc of every host state (ud = the host): counts, and refuses past mem_limit. */
void *lh_guard_alloc(void *ud, void *ptr, size_t osize, size_t nsize);
/* H.poll_fn, H.host_ptr, H.interrupt_error: what __rmt_chk is built from. */
void lh_guard_open(rmt_host *host, lua_State *L, int idx);
/* rmt_host_interrupt, rmt_host_stop_at and rmt_host_in_lua: host_api.h. */

#endif /* RMT_LUA_HOST_H */

