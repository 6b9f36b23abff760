/*
 * remotes.h - the one public header of remotes: Roblox's client-server remote model
 * (RemoteEvent, UnreliableRemoteEvent, RemoteFunction, BindableEvent, BindableFunction,
 * players) over ENet. Everything public is prefixed rmt_ / RMT_.
 *
 * Conventions that hold for every function below:
 *  - Functions that can fail return an int status: 0 (RMT_OK) or a negative RMT_E* code.
 *    rmt_strerror()/rmt_err_name() describe a code; functions taking an `rmt_error *err`
 *    (nullable) also fill a detailed message there.
 *  - Pointers passed in are borrowed for the duration of the call unless the comment
 *    says otherwise. Pointers returned are owned by the library unless the comment says
 *    the caller frees them, and then it names the function that frees.
 *  - No hidden threads: nothing happens except inside a call you make.
 *  - Every object with a create has a destroy; destroy is safe on NULL.
 *  - Allocation goes through an optional rmt_allocator; out of memory is RMT_ENOMEM,
 *    never abort().
 */
#ifndef REMOTES_H
#define REMOTES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(RMT_BUILDING) && defined(__GNUC__)
#define RMT_API __attribute__((visibility("default")))
#else
#define RMT_API
#endif

#define RMT_VERSION_MAJOR 0
#define RMT_VERSION_MINOR 1
#define RMT_VERSION_PATCH 0

/* ---------------------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------------------- */

/* X(name, code, message): one list generates the enum, rmt_strerror and rmt_err_name. */
#define RMT_ERRNO_MAP(X)                                                             \
  X(OK, 0, "success")                                                                \
  X(EINVAL, -1, "invalid argument")                                                  \
  X(ENOMEM, -2, "out of memory")                                                     \
  X(ETYPE, -3, "value type not allowed here")                                        \
  X(ELIMIT, -4, "limit exceeded")                                                    \
  X(ECYCLE, -5, "table contains a cycle")                                            \
  X(ELOSSY, -6, "value would be changed crossing the boundary")                      \
  X(ETRUNC, -7, "truncated input")                                                   \
  X(ETRAILING, -8, "trailing bytes after input")                                     \
  X(EDECODE, -9, "malformed input")                                                  \
  X(ENOHANDLER, -10, "no handler")                                                   \
  X(EHANDLER, -11, "handler raised an error")                                        \
  X(ENOTFOUND, -12, "not found")                                                     \
  X(EEXIST, -13, "already exists")                                                   \
  X(ETIMEDOUT, -14, "timed out")                                                     \
  X(EDISCONNECTED, -15, "disconnected")                                              \
  X(ERATELIMIT, -16, "rate limited")                                                 \
  X(ETOOBIG, -17, "payload too large")                                               \
  X(EVERSION, -18, "protocol version mismatch")                                      \
  X(EREFUSED, -19, "refused by server")                                              \
  X(ENET, -20, "network error")                                                      \
  X(ECANCELED, -21, "canceled")                                                      \
  X(ESTATE, -22, "operation not valid in this state")                                \
  X(EBADARGS, -23, "bad arguments")

typedef enum rmt_status {
#define RMT_ERR_ENUM_(name, code, msg) RMT_##name = code,
  RMT_ERRNO_MAP(RMT_ERR_ENUM_)
#undef RMT_ERR_ENUM_
} rmt_status;

/* Static strings; never NULL ("unknown error" for codes not in the map). */
RMT_API const char *rmt_strerror(int status);
RMT_API const char *rmt_err_name(int status);

/* Detailed error out-parameter. `message` is always NUL-terminated; empty on success. */
typedef struct rmt_error {
  int code;
  char message[256];
} rmt_error;

/* ---------------------------------------------------------------------------------------
 * Allocator hook (lua_Alloc style)
 *
 * fn(ud, ptr, osize, nsize): nsize == 0 frees ptr and returns NULL; otherwise behaves like
 * realloc(ptr, nsize) and returns NULL on failure (ptr stays valid). osize is the size
 * previously requested for ptr (0 when ptr is NULL). A NULL `const rmt_allocator *`
 * anywhere in the API means malloc/realloc/free.
 * ------------------------------------------------------------------------------------- */
typedef void *(*rmt_alloc_fn)(void *ud, void *ptr, size_t osize, size_t nsize);
typedef struct rmt_allocator {
  rmt_alloc_fn fn;
  void *ud;
} rmt_allocator;

/* ---------------------------------------------------------------------------------------
 * Values: what crosses the boundary
 *
 * rmt_value is a small tagged union passed by value. A value never owns what it points to:
 * a value you build on the stack points at your memory; a value the library hands you
 * points at memory the library documents (an arena, or an owned block from
 * rmt_values_copy). Strings produced by the library are always NUL-terminated (and still
 * binary-safe: use `len`). Only the union member of a value's type is meaningful (decoded
 * values leave the rest unset), so compare values with rmt_value_equal, never memcmp.
 * ------------------------------------------------------------------------------------- */
typedef enum rmt_type {
  RMT_TNIL = 0,
  RMT_TBOOLEAN,
  RMT_TNUMBER,  /* IEEE double; NaN and +-inf are ordinary numbers */
  RMT_TSTRING,  /* binary-safe bytes */
  RMT_TARRAY,   /* Lua table 1..n (an empty table is an empty array) */
  RMT_TDICT,    /* Lua table with string keys only */
  RMT_TVECTOR3, /* three float32, as Roblox */
  RMT_TCFRAME,  /* position (3 float32) + rotation matrix (9 float32, row-major) */
  RMT_TCOLOR3,  /* r, g, b float32 in 0..1 */
  RMT_TPLAYER,  /* reference to a player by id; each side resolves it to its own Player */
  /* Loose input types: accepted only by rmt_values_normalize, which turns them into the
   * types above following Roblox's argument rules. Never produced by the library. */
  RMT_TFUNCTION, /* a Lua function (or other unsendable thing): arrives as nil */
  RMT_TTABLE,    /* a Lua table with arbitrary keys, possibly with a metatable */
  RMT_TYPE_COUNT_
} rmt_type;

typedef struct rmt_value rmt_value;
typedef struct rmt_pair rmt_pair;

struct rmt_value {
  rmt_type type;
  union {
    int boolean;
    double number;
    struct {
      const char *ptr;
      size_t len;
    } string;
    struct {
      const rmt_value *items;
      size_t count;
    } array;
    /* RMT_TDICT (every key a string) and RMT_TTABLE (any keys). `identity` is an optional
     * pointer naming the source table, used only to detect cycles in loose input (two
     * tables with the same non-NULL identity are the same table); `has_metatable` only
     * produces a warning (metatables never cross). */
    struct {
      const rmt_pair *pairs;
      size_t count;
      const void *identity;
      int has_metatable;
    } table;
    struct {
      float x, y, z;
    } vector3;
    struct {
      float x, y, z;
      float r[9];
    } cframe;
    struct {
      float r, g, b;
    } color3;
    uint32_t player;
  } as;
};

struct rmt_pair {
  rmt_value key;
  rmt_value value;
};

/* Constructors for values on the stack. They never allocate; strings are borrowed. */
RMT_API rmt_value rmt_nil(void);
RMT_API rmt_value rmt_bool(int b);
RMT_API rmt_value rmt_num(double n);
RMT_API rmt_value rmt_str(const char *nul_terminated); /* NULL gives nil */
RMT_API rmt_value rmt_lstr(const char *ptr, size_t len);
RMT_API rmt_value rmt_array(const rmt_value *items, size_t count);
RMT_API rmt_value rmt_dict(const rmt_pair *pairs, size_t count);
RMT_API rmt_value rmt_vector3(float x, float y, float z);
RMT_API rmt_value rmt_cframe(float x, float y, float z); /* identity rotation */
RMT_API rmt_value rmt_cframe_full(const float position[3], const float rotation[9]);
RMT_API rmt_value rmt_color3(float r, float g, float b);
RMT_API rmt_value rmt_player_ref(uint32_t player_id);

/* Roblox's typeof() name: "nil", "boolean", "number", "string", "table", "Vector3",
 * "CFrame", "Color3", "Instance" (player refs), "function". Static string. */
RMT_API const char *rmt_typeof(const rmt_value *v);

/* Dictionary lookup by key; NULL when absent or when `table` is not a dict/table. */
RMT_API const rmt_value *rmt_dict_get(const rmt_value *table, const char *key);

/* Deep structural equality (numbers compare with ==, except NaN equals NaN; dict pairs
 * compare as sets). Returns 1 or 0. */
RMT_API int rmt_value_equal(const rmt_value *a, const rmt_value *b);

/* Limits applied to values by checks, encode and decode. */
typedef struct rmt_limits {
  uint32_t max_depth;    /* nesting depth of tables (top-level arguments are depth 0) */
  uint32_t max_elements; /* total values in one argument list, nested ones included */
  uint32_t max_string;   /* bytes in one string */
  uint32_t max_bytes;    /* bytes of one encoded argument list */
} rmt_limits;
/* Defaults: depth 32, 65536 elements, 1 MiB per string, 4 MiB per message. max_depth is
 * clamped to 1000 everywhere (stack safety). Elements count the arguments, array items and
 * dictionary entries (a pair once). Details and wire form: docs/values.md. */
RMT_API void rmt_limits_default(rmt_limits *limits);

/* Checks that a list of values may cross the boundary unchanged (strict mode): no loose
 * types, dict keys are strings, no cycles, within `limits` (NULL = defaults). Never
 * allocates. On failure `err->message` names the argument and the path, e.g.
 * `argument 2: function not allowed (at ["items"][3])`. */
RMT_API int rmt_values_check(const rmt_value *args, size_t nargs, const rmt_limits *limits,
                             rmt_error *err);

/* Conversion modes for rmt_values_normalize. */
typedef enum rmt_convert_mode {
  RMT_CONVERT_STRICT = 0, /* refuse any lossy step with RMT_ELOSSY (the C API default) */
  RMT_CONVERT_LOSSY = 1   /* apply Roblox's rules, reporting each step through `warn` */
} rmt_convert_mode;
typedef void (*rmt_warn_fn)(void *ud, const char *message);

/* Converts loose input (which may contain RMT_TFUNCTION and RMT_TTABLE) into values that
 * can cross, exactly as Roblox does: functions become nil, metatables are dropped, a table
 * mixing array and dictionary keys keeps only its array part, non-string dictionary keys
 * become strings. Each lossy step is reported through `warn` (nullable) in LOSSY mode, or
 * refused with the same message in STRICT mode. Cycles and limits are always refused.
 * On success *out is a single owned block holding `nargs` values (free it with
 * rmt_values_free; NULL when nargs is 0); on failure *out is NULL. Warnings are reported
 * while measuring, before the block is allocated, so an RMT_ENOMEM failure may follow
 * warnings. The exact rules (sparse arrays, which keys convert or drop, duplicates) are in
 * docs/values.md. */
RMT_API int rmt_values_normalize(const rmt_value *args, size_t nargs, rmt_convert_mode mode,
                                 const rmt_limits *limits, const rmt_allocator *alloc,
                                 rmt_warn_fn warn, void *warn_ud, rmt_value **out,
                                 rmt_error *err);

/* Deep copy of a strict value list into one owned block (caller frees with
 * rmt_values_free using the same allocator). NULL `src` with nargs 0 is allowed and gives
 * *out = NULL. Loose types or non-string dict keys give RMT_ETYPE, cycles RMT_ECYCLE,
 * nesting over 1000 RMT_ELIMIT (no other limits apply); on failure *out is NULL. */
RMT_API int rmt_values_copy(const rmt_value *src, size_t nargs, const rmt_allocator *alloc,
                            rmt_value **out, rmt_error *err);
/* Frees a block from rmt_values_copy/rmt_values_normalize (or anything documented as
 * such); NULL is a no-op. */
RMT_API void rmt_values_free(rmt_value *block, const rmt_allocator *alloc);

/* ---------------------------------------------------------------------------------------
 * Codec: the wire form of an argument list (MessagePack)
 * ------------------------------------------------------------------------------------- */

/* A growable byte buffer. Zero-initialise it (or set .alloc, which must outlive the
 * buffer), then reuse it across calls; rmt_buf_free releases its memory and leaves it
 * empty and reusable. reserve/append return 0 or RMT_ENOMEM (the buffer is unchanged). */
typedef struct rmt_buf {
  uint8_t *data;
  size_t len;
  size_t cap;
  const rmt_allocator *alloc;
} rmt_buf;
RMT_API int rmt_buf_reserve(rmt_buf *buf, size_t extra);
RMT_API int rmt_buf_append(rmt_buf *buf, const void *data, size_t len);
RMT_API void rmt_buf_free(rmt_buf *buf);

/* Appends the encoding of `args` to `buf` (one MessagePack array of the arguments; see
 * docs/values.md for the bytes). Checks the values like rmt_values_check in the same pass,
 * plus limits->max_bytes on the encoded size. On failure buf->len is unchanged (its capacity
 * may have grown). Allocates only when buf must grow. */
RMT_API int rmt_encode(rmt_buf *buf, const rmt_value *args, size_t nargs,
                       const rmt_limits *limits, rmt_error *err);

/* An arena for decoded values: allocation is a pointer bump; reset frees everything at
 * once and keeps the memory for reuse (one chunk, up to 4 MiB), so steady-state decoding
 * does not allocate. create copies *alloc (NULL = malloc) and returns NULL when out of
 * memory. rmt_arena_alloc returns memory aligned for any type (max_align_t), valid until
 * reset/destroy, or NULL when out of memory. */
typedef struct rmt_arena rmt_arena;
RMT_API rmt_arena *rmt_arena_create(const rmt_allocator *alloc);
RMT_API void rmt_arena_reset(rmt_arena *arena);
RMT_API void rmt_arena_destroy(rmt_arena *arena);
RMT_API void *rmt_arena_alloc(rmt_arena *arena, size_t size);

/* Decodes exactly `len` bytes produced by rmt_encode into values allocated in `arena`
 * (strings are copied into the arena). *args and everything it points to stay valid until
 * the arena is reset or destroyed. Hostile input is safe: truncation, trailing bytes,
 * unknown types, and anything over `limits` (NULL = defaults) give an error; memory used
 * is bounded by a small multiple of `len` whatever the input claims. */
RMT_API int rmt_decode(rmt_arena *arena, const uint8_t *data, size_t len,
                       const rmt_limits *limits, rmt_value **args, size_t *nargs,
                       rmt_error *err);
/* rmt_decode errors: RMT_ETRUNC (input ends early, or a count claims more than is left),
 * RMT_ETRAILING, RMT_EDECODE (unknown/forbidden type or ext, bad ext length, non-string
 * map key, top level not an array), RMT_ELIMIT, RMT_ENOMEM, RMT_EINVAL. On failure *args is
 * NULL, *nargs 0, and the arena is rolled back to its state before the call. An empty
 * list gives *args NULL and *nargs 0. */

/* ---------------------------------------------------------------------------------------
 * Signals (RBXScriptSignal / RBXScriptConnection)
 *
 * Connections are named by ids (never reused within one signal), so a stale id is
 * harmless. Connecting or disconnecting inside a listener is safe: a listener connected
 * during a fire is not called by that fire; one disconnected before its turn is not
 * called. Destroying a signal from inside one of its listeners is not allowed.
 * ------------------------------------------------------------------------------------- */
typedef struct rmt_signal rmt_signal;
typedef uint64_t rmt_conn_id; /* 0 is never a valid id */
typedef void (*rmt_listener_fn)(void *ud, const rmt_value *args, size_t nargs);

RMT_API rmt_signal *rmt_signal_create(const rmt_allocator *alloc);
RMT_API void rmt_signal_destroy(rmt_signal *sig);
/* Returns the new connection's id, or 0 when out of memory. */
RMT_API rmt_conn_id rmt_signal_connect(rmt_signal *sig, rmt_listener_fn fn, void *ud);
/* Like connect, but disconnects itself before its first call. */
RMT_API rmt_conn_id rmt_signal_once(rmt_signal *sig, rmt_listener_fn fn, void *ud);
/* Idempotent; unknown ids are ignored. */
RMT_API void rmt_signal_disconnect(rmt_signal *sig, rmt_conn_id id);
RMT_API int rmt_signal_connected(const rmt_signal *sig, rmt_conn_id id);
RMT_API size_t rmt_signal_listener_count(const rmt_signal *sig);
/* Calls every listener connected when the fire starts, in connection order, with the
 * same borrowed args (listeners must not keep the pointers). Re-entrant fires are
 * allowed. Returns the number of listeners called. */
RMT_API size_t rmt_signal_fire(rmt_signal *sig, const rmt_value *args, size_t nargs);

/* ---------------------------------------------------------------------------------------
 * BindableEvent / BindableFunction (same-side communication)
 *
 * Arguments are deep-copied across (as Roblox does), so a listener never sees the
 * sender's memory. Values are checked in strict mode; use rmt_values_normalize first for
 * loose input.
 * ------------------------------------------------------------------------------------- */
typedef struct rmt_bindable_event rmt_bindable_event;
RMT_API rmt_bindable_event *rmt_bindable_event_create(const rmt_allocator *alloc);
RMT_API void rmt_bindable_event_destroy(rmt_bindable_event *ev);
/* The `Event` signal; owned by the bindable, valid until it is destroyed. */
RMT_API rmt_signal *rmt_bindable_event_signal(rmt_bindable_event *ev);
/* Copies args, then fires Event with the copy. */
RMT_API int rmt_bindable_event_fire(rmt_bindable_event *ev, const rmt_value *args,
                                    size_t nargs, rmt_error *err);

/* A reply sink handed to invoke handlers: call rmt_reply_return or rmt_reply_error once
 * (later calls replace the earlier result). Values are copied. */
typedef struct rmt_reply rmt_reply;
RMT_API int rmt_reply_return(rmt_reply *reply, const rmt_value *values, size_t nvalues);
RMT_API int rmt_reply_error(rmt_reply *reply, const char *message);

typedef void (*rmt_invoke_fn)(void *ud, const rmt_value *args, size_t nargs,
                              rmt_reply *reply);

typedef struct rmt_bindable_function rmt_bindable_function;
RMT_API rmt_bindable_function *rmt_bindable_function_create(const rmt_allocator *alloc);
RMT_API void rmt_bindable_function_destroy(rmt_bindable_function *fn);
/* Sets (or with NULL clears) the one OnInvoke handler, replacing any previous one. */
RMT_API void rmt_bindable_function_on_invoke(rmt_bindable_function *fn,
                                             rmt_invoke_fn handler, void *ud);
/* Invokes the handler with a copy of args. On success *results is an owned block of
 * *nresults values (free with rmt_values_free; NULL when 0). With no handler returns
 * RMT_ENOHANDLER; a handler's rmt_reply_error returns RMT_EHANDLER with its message in
 * err. */
RMT_API int rmt_bindable_function_invoke(rmt_bindable_function *fn, const rmt_value *args,
                                         size_t nargs, rmt_value **results,
                                         size_t *nresults, rmt_error *err);

/* @@NETWORK-API@@ (server, client, remotes, players) follows in the next section. */

#ifdef __cplusplus
}
#endif
#endif /* REMOTES_H */
