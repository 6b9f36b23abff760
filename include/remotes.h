/*
 * remotes.h - the one public header of remotes: Roblox's client-server remote model
 * (RemoteEvent, UnreliableRemoteEvent, RemoteFunction, BindableEvent, BindableFunction,
 * players) over ENet. Everything public is prefixed rmt_ / RMT_.
 *
 * Conventions that hold for every function below:
 *  - One error channel: functions that can fail return an int status, 0 (RMT_OK) or a
 *    negative RMT_E* code (rmt_strerror()/rmt_status_name() describe it); those that have more
 *    to say than the code take a last `rmt_error *err` (nullable) and fill a sentence there.
 *    There is no "last error" state. Functions returning a pointer or id return NULL or 0
 *    for "none" and say so; no return value means a status in one case and data in another.
 *  - Pointers passed in are borrowed for the duration of the call unless the comment
 *    says otherwise. Pointers returned are owned by the library unless the comment says
 *    the caller frees them, and then it names the function that frees.
 *  - No hidden threads: nothing happens except inside a call you make.
 *  - Every object with a create has a destroy; destroy is safe on NULL.
 *  - Allocation goes through an optional rmt_allocator; out of memory is RMT_ENOMEM,
 *    never abort(). Every create function (and every config's `alloc`) copies the
 *    rmt_allocator struct it is given, so the struct need not outlive the call; its `ud` must
 *    stay valid until the object is destroyed, and the object frees with the same hook.
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

/* The release these declarations belong to. These three lines are the one source of truth:
 * CMakeLists.txt reads them for project(VERSION), the .pc, the CMake package and the .deb.
 * Before 1.0 a minor bump may break the ABI (docs/abi.md), so the soname is libremotes.so.0.MINOR. */
#define RMT_VERSION_MAJOR 0
#define RMT_VERSION_MINOR 1
#define RMT_VERSION_PATCH 0
/* One number for #if comparisons: RMT_VERSION >= RMT_MAKE_VERSION(0, 2, 0).
 * Minor and patch stay below 100 so the number orders like the version. */
#define RMT_MAKE_VERSION(major, minor, patch) ((major) * 10000 + (minor) * 100 + (patch))
#define RMT_VERSION RMT_MAKE_VERSION(RMT_VERSION_MAJOR, RMT_VERSION_MINOR, RMT_VERSION_PATCH)
#define RMT__STRINGIFY(x) #x
#define RMT__XSTRINGIFY(x) RMT__STRINGIFY(x)
#define RMT_VERSION_STRING                                                   \
  RMT__XSTRINGIFY(RMT_VERSION_MAJOR) "." RMT__XSTRINGIFY(RMT_VERSION_MINOR) "." \
  RMT__XSTRINGIFY(RMT_VERSION_PATCH)
/* The version of the library actually loaded, which can differ from the header a program was
 * compiled with when a shared library is swapped underneath it. Before 1.0 a program is safe
 * while rmt_version() / 100 == RMT_VERSION / 100 (same major and minor); from 1.0 on, while
 * the majors agree. */
RMT_API int rmt_version(void);
RMT_API const char *rmt_version_string(void);

/* ---------------------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------------------- */

/* X(name, code, message): one list generates the enum, rmt_strerror and rmt_status_name. */
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
  X(EBADARGS, -23, "bad arguments")                                                  \
  X(ENOTICKET, -24, "no ticket")                                                     \
  X(EFORGED, -25, "ticket forged")                                                   \
  X(EEXPIRED, -26, "ticket expired")                                                 \
  X(EREUSED, -27, "ticket already used")

typedef enum rmt_status {
#define RMT_ERR_ENUM_(name, code, msg) RMT_##name = code,
  RMT_ERRNO_MAP(RMT_ERR_ENUM_)
#undef RMT_ERR_ENUM_
} rmt_status;

/* Static strings; never NULL ("unknown error" for codes not in the map). */
RMT_API const char *rmt_strerror(int status);
RMT_API const char *rmt_status_name(int status);

/* Detailed error out-parameter. `message` is always NUL-terminated; empty on success;
 * longer messages are cut to fit. */
#define RMT_ERROR_MESSAGE_MAX 256
typedef struct rmt_error {
  int code;
  char message[RMT_ERROR_MESSAGE_MAX];
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
  RMT_TBUFFER,  /* Luau's buffer: bytes (as.string), a msgpack bin on the wire */
  /* Loose input types: accepted only by rmt_values_normalize, which turns them into the
   * types above following Roblox's argument rules. Never produced by the library. */
  RMT_TFUNCTION, /* a Lua function (or other unsendable thing): arrives as nil. as.string.ptr
                    may name it for the warning (NUL-terminated, e.g. "Random"; NULL =
                    "function"); it must live until rmt_values_normalize returns */
  RMT_TTABLE,    /* a Lua table with arbitrary keys, possibly with a metatable */
  /* Appended after the loose types so the numbers above never move (additive ABI). */
  RMT_TDATATYPE, /* one of Roblox's value datatypes (Vector2, UDim2, NumberSequence, ...),
                    named by an rmt_datatype_kind: see as.datatype */
  RMT_TENUM,     /* an EnumItem: enum type name + item value (Enum.Material.Plastic is
                    "Material", 256) */
  RMT_TYPE_COUNT_
} rmt_type;

/* The Roblox datatypes an RMT_TDATATYPE value can hold. Numbers are part of the wire format
 * and the API: new kinds are appended, none is ever renumbered. A kind is either numeric
 * (its components in as.datatype.u.n, `count` fixed per kind) or a list (its parts as values
 * in as.datatype.u.items, `count` of them). The component meaning, and the rules
 * rmt_values_check enforces, are in docs/values.md. */
typedef enum rmt_datatype_kind {
  RMT_DT_VECTOR2 = 1,                 /* numbers: X, Y */
  RMT_DT_UDIM = 2,                    /* numbers: Scale, Offset (an int32) */
  RMT_DT_UDIM2 = 3,                   /* numbers: X.Scale, X.Offset, Y.Scale, Y.Offset */
  RMT_DT_RECT = 4,                    /* numbers: Min.X, Min.Y, Max.X, Max.Y */
  RMT_DT_NUMBERRANGE = 5,             /* numbers: Min, Max (not Min > Max) */
  RMT_DT_NUMBERSEQUENCEKEYPOINT = 6,  /* numbers: Time, Value, Envelope */
  RMT_DT_COLORSEQUENCEKEYPOINT = 7,   /* numbers: Time, R, G, B */
  RMT_DT_BRICKCOLOR = 8,              /* numbers: Number (an integer 0..65535) */
  RMT_DT_DATETIME = 9,                /* numbers: UnixTimestampMillis (an integer, |x| <= 2^53) */
  RMT_DT_NUMBERSEQUENCE = 10,         /* list: 2..20 NUMBERSEQUENCEKEYPOINT, Time from 0 to 1,
                                         never decreasing */
  RMT_DT_COLORSEQUENCE = 11,          /* list: 2..20 COLORSEQUENCEKEYPOINT, same Time rule */
  RMT_DT_RAY = 12,                    /* list: Origin (RMT_TVECTOR3), Direction (RMT_TVECTOR3) */
  RMT_DT_TWEENINFO = 13,              /* list: Time (number), EasingStyle (RMT_TENUM
                                         "EasingStyle"), EasingDirection (RMT_TENUM
                                         "EasingDirection"), RepeatCount (number), Reverses
                                         (boolean), DelayTime (number) */
  RMT_DT_KIND_COUNT_
} rmt_datatype_kind;
#define RMT_DATATYPE_MAX_NUMBERS 5 /* numeric kinds hold at most this many components */
#define RMT_SEQUENCE_MAX_KEYPOINTS 20 /* Roblox's limit for Number/ColorSequence */
#define RMT_ENUM_NAME_MAX 64 /* bytes in an enum type name: [A-Za-z0-9_], 1..64 */

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
    /* RMT_TDATATYPE. `kind` is an rmt_datatype_kind; `count` the numbers in u.n (numeric
     * kinds) or the values at u.items (list kinds, borrowed like an array's items). */
    struct {
      uint32_t kind;
      uint32_t count;
      union {
        double n[RMT_DATATYPE_MAX_NUMBERS];
        const rmt_value *items;
      } u;
    } datatype;
    /* RMT_TENUM: the enum type's name (binary-safe like a string, `len` bytes) and the
     * item's Value. */
    struct {
      const char *name;
      size_t len;
      int32_t value;
    } enumitem;
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
RMT_API rmt_value rmt_bytes(const void *ptr, size_t len); /* bytes as a Luau buffer (RMT_TBUFFER) */
RMT_API rmt_value rmt_array(const rmt_value *items, size_t count);
RMT_API rmt_value rmt_dict(const rmt_pair *pairs, size_t count);
RMT_API rmt_value rmt_vector3(float x, float y, float z);
RMT_API rmt_value rmt_cframe(float x, float y, float z); /* identity rotation */
RMT_API rmt_value rmt_cframe_full(const float position[3], const float rotation[9]);
RMT_API rmt_value rmt_color3(float r, float g, float b);
RMT_API rmt_value rmt_player_ref(uint32_t player_id);
/* A numeric datatype: copies `count` numbers (at most RMT_DATATYPE_MAX_NUMBERS; more, or a
 * NULL `numbers` with count > 0, gives nil). Whether kind and count agree is checked where
 * values are checked (rmt_values_check, rmt_encode, ...), not here. */
RMT_API rmt_value rmt_datatype(rmt_datatype_kind kind, const double *numbers, size_t count);
/* A list datatype (sequences, Ray, TweenInfo): `items` is borrowed, like rmt_array's. */
RMT_API rmt_value rmt_datatype_list(rmt_datatype_kind kind, const rmt_value *items, size_t count);
RMT_API rmt_value rmt_vector2(double x, double y);
RMT_API rmt_value rmt_udim2(double x_scale, double x_offset, double y_scale, double y_offset);
/* An EnumItem by its enum type's name (borrowed, NUL-terminated; NULL gives nil) and Value. */
RMT_API rmt_value rmt_enum_item(const char *enum_name, int32_t value);
/* Roblox's name of a datatype kind ("Vector2", "NumberSequence", ...); NULL for a number
 * that names no kind. Static string. */
RMT_API const char *rmt_datatype_name(rmt_datatype_kind kind);
/* For numeric kinds the number of components (2 for Vector2); 0 for list kinds and for
 * numbers that name no kind. */
RMT_API size_t rmt_datatype_arity(rmt_datatype_kind kind);

/* Roblox's typeof() name: "nil", "boolean", "number", "string", "table", "Vector3",
 * "CFrame", "Color3", "Instance" (player refs), "function", a datatype's name ("Vector2",
 * "UDim2", ...; "invalid" for an unknown kind), "EnumItem". Static string. */
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
  uint32_t max_args;     /* top-level arguments in one list; 0 = only max_elements bounds them */
} rmt_limits;
/* Defaults: depth 32, 65536 elements, 1 MiB per string, 4 MiB per message, no separate
 * argument cap (max_args 0). max_depth is clamped to 1000 everywhere (stack safety). Elements
 * count the arguments, array items and dictionary entries (a pair once). A Lua host sets
 * max_args to RMT_LUA_MAX_ARGS: a Lua call cannot take 65536 arguments. Details and wire
 * form: docs/values.md. */
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
 * Schemas: declared argument types, checked where values enter
 *
 * A schema is one line of text declaring a remote's arguments, e.g.
 *   `"vote" | "purchase", ("yes" | "no")?`   or   `string(1..20), number(int, 0..1000)?`
 * It is parsed once into a compiled form; checking a value list against it never
 * allocates. The full syntax is in docs/security.md.
 * ------------------------------------------------------------------------------------- */
typedef struct rmt_schema rmt_schema;

/* Parses `text` (NUL-terminated, at most 65535 bytes; "" declares no arguments). Returns
 * an owned schema (free with rmt_schema_free), or NULL with err filled: RMT_EINVAL and a
 * message starting with the 1-based column (`column 9: unknown type 'strin'`), RMT_ELIMIT
 * for over-long text, RMT_ENOMEM. `a` (NULL = malloc) is copied and used for the schema's
 * whole life. `text` is copied. */
RMT_API rmt_schema *rmt_schema_parse(const char *text, const rmt_allocator *a, rmt_error *err);
/* NULL is a no-op. */
RMT_API void rmt_schema_free(rmt_schema *schema);
/* The text the schema was parsed from (owned by the schema); "" for NULL. */
RMT_API const char *rmt_schema_text(const rmt_schema *schema);
/* Number of declared arguments; *required (nullable) gets how many are not optional. */
RMT_API size_t rmt_schema_arg_count(const rmt_schema *schema, size_t *required);
/* Checks an argument list (without the player a server listener sees first). Returns
 * RMT_OK, or RMT_EBADARGS with err->message naming the argument (1-based), the path inside
 * it and the rule, e.g. `argument 2: expected number in 0..1000, got 1500` or
 * `argument 1 ["items"][3]: expected string, got number`; RMT_EINVAL for NULL input.
 * Never allocates. It checks declared types only: run rmt_values_check for the strict
 * rules (limits, cycles) when the values do not come from rmt_decode. */
RMT_API int rmt_schema_check(const rmt_schema *schema, const rmt_value *args, size_t nargs,
                             rmt_error *err);

/* ---------------------------------------------------------------------------------------
 * Signals (RBXScriptSignal / RBXScriptConnection)
 *
 * Connections are named by ids (never reused within one signal), so a stale id is
 * harmless. Connecting or disconnecting inside a listener is safe: a listener connected
 * during a fire is not called by that fire; one disconnected before its turn is not
 * called. A signal may be destroyed from inside one of its own listeners: no further
 * listener is called by any fire in progress, and the memory is released when the
 * outermost fire returns (the signal handle is invalid as soon as destroy returns).
 * Fire never allocates; disconnected slots are reclaimed when no fire is in progress.
 * Events are delivered immediately (Roblox's SignalBehavior.Immediate), not deferred.
 * ------------------------------------------------------------------------------------- */
typedef struct rmt_signal rmt_signal;
typedef uint64_t rmt_conn_id; /* 0 is never a valid id */
typedef void (*rmt_listener_fn)(void *ud, const rmt_value *args, size_t nargs);

/* NULL when out of memory. `alloc` is copied (NULL = malloc). Free with
 * rmt_signal_destroy, which drops every connection. */
RMT_API rmt_signal *rmt_signal_create(const rmt_allocator *alloc);
RMT_API void rmt_signal_destroy(rmt_signal *sig);
/* Returns the new connection's id, or 0 when out of memory (or `fn` is NULL). `ud` is
 * borrowed until the connection is disconnected or the signal destroyed. */
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
 * Invocations: one answer model for every function that is invoked
 *
 * A BindableFunction's OnInvoke, a RemoteFunction's OnServerInvoke and OnClientInvoke all
 * receive an rmt_invocation and complete it exactly once, with rmt_invocation_return or
 * rmt_invocation_error; a second completion returns RMT_ESTATE and changes nothing. Values
 * and message are copied (checked in strict mode) before the call returns; a completion
 * whose values cannot be stored or sent fails with that status and is still the answer
 * (the caller gets the failure). A handler that returns without completing answers with
 * zero values for a BindableFunction (whose call is synchronous, so the handle is invalid
 * once the handler returns); for a RemoteFunction it may complete later (e.g. after a Lua
 * coroutine resumes): the handle stays valid until completed, and completing one whose
 * caller has gone (timeout, disconnect) succeeds and is discarded. Handles not completed
 * when their server or client is destroyed are freed by destroy and must not be used
 * afterwards.
 * ------------------------------------------------------------------------------------- */
typedef uint32_t rmt_player_id; /* 0 is never a player */
typedef uint32_t rmt_remote_id; /* small numbers, never reused by one server; 0 = none */
typedef struct rmt_invocation rmt_invocation;
typedef void (*rmt_invoke_fn)(void *ud, rmt_invocation *inv, const rmt_value *args,
                              size_t nargs);
RMT_API int rmt_invocation_return(rmt_invocation *inv, const rmt_value *values, size_t nvalues);
RMT_API int rmt_invocation_error(rmt_invocation *inv, const char *message);
/* The invoking player for a RemoteFunction on the server; 0 on a client and for bindables. */
RMT_API rmt_player_id rmt_invocation_player(const rmt_invocation *inv);

/* ---------------------------------------------------------------------------------------
 * BindableEvent / BindableFunction (same-side communication)
 *
 * Arguments are deep-copied across (as Roblox does), so a listener never sees the
 * sender's memory. Values are checked in strict mode (types, string keys, no cycles; the
 * network size limits do not apply, since a bindable never leaves the process); use
 * rmt_values_normalize first for loose input. Either object may be destroyed from inside its own listener or handler;
 * the call in progress finishes and frees it (the handle is invalid once destroy returns).
 * ------------------------------------------------------------------------------------- */
typedef struct rmt_bindable_event rmt_bindable_event;
RMT_API rmt_bindable_event *rmt_bindable_event_create(const rmt_allocator *alloc);
RMT_API void rmt_bindable_event_destroy(rmt_bindable_event *ev);
/* The `Event` signal; owned by the bindable, valid until it is destroyed. */
RMT_API rmt_signal *rmt_bindable_event_signal(rmt_bindable_event *ev);
/* Checks args (strict), copies them once, fires Event with the copy, then frees it:
 * listeners see the copy only during their call. On a check or RMT_ENOMEM failure no
 * listener is called. */
RMT_API int rmt_bindable_event_fire(rmt_bindable_event *ev, const rmt_value *args,
                                    size_t nargs, rmt_error *err);

typedef struct rmt_bindable_function rmt_bindable_function;
RMT_API rmt_bindable_function *rmt_bindable_function_create(const rmt_allocator *alloc);
RMT_API void rmt_bindable_function_destroy(rmt_bindable_function *fn);
/* Sets (or with NULL clears) the one OnInvoke handler, replacing any previous one. */
RMT_API void rmt_bindable_function_on_invoke(rmt_bindable_function *fn,
                                             rmt_invoke_fn handler, void *ud);
/* Invokes the handler with a copy of args. On success *results is an owned block of
 * *nresults values (free with rmt_values_free and the function's allocator; NULL when 0;
 * pass NULL results/nresults to discard them). On failure *results is NULL. With no
 * handler returns RMT_ENOHANDLER ("no handler: BindableFunction has no OnInvoke"); a
 * handler's rmt_invocation_error returns RMT_EHANDLER with its message in err. Re-entrant
 * invokes are allowed. */
RMT_API int rmt_bindable_function_invoke(rmt_bindable_function *fn, const rmt_value *args,
                                         size_t nargs, rmt_value **results,
                                         size_t *nresults, rmt_error *err);

/* Join tickets (minting, verifying, the reuse guard) are in remotes_ticket.h; a server only
 * needs the key length below to take a ticket key in its config. */
#define RMT_TICKET_KEY_BYTES 32

/* ---------------------------------------------------------------------------------------
 * Networking: one server, many clients, over ENet (UDP)
 *
 * Threading and callbacks: nothing runs except inside rmt_server_service /
 * rmt_client_service (and the blocking helpers, which call service), on the calling
 * thread. Fires and invokes made between services are batched and sent at the end of the
 * next service (or by an explicit flush). If a call that takes a callback returns an
 * error, the callback never fires. Destroying a server or client completes every pending
 * invoke callback with RMT_ECANCELED before destroy returns; no callback fires after.
 *
 * Listener lists are rmt_signal objects owned by the server/client (valid until it is
 * destroyed), so Connect/Once/Disconnect work as for any signal. On the server the first
 * argument a listener receives is always the sending player as an RMT_TPLAYER value taken
 * from the connection, never from the payload (Roblox's OnServerEvent(player, ...)).
 * ------------------------------------------------------------------------------------- */
typedef struct rmt_server rmt_server;
typedef struct rmt_client rmt_client;

typedef enum rmt_remote_kind {
  RMT_REMOTE_EVENT = 1,            /* reliable, ordered, fire and forget */
  RMT_UNRELIABLE_REMOTE_EVENT = 2, /* may drop or reorder; payload <= 1000 bytes */
  RMT_REMOTE_FUNCTION = 3          /* request / response with a timeout */
} rmt_remote_kind;

typedef enum rmt_log_level { RMT_LOG_DEBUG, RMT_LOG_INFO, RMT_LOG_WARN, RMT_LOG_ERROR } rmt_log_level;
typedef void (*rmt_log_fn)(void *ud, rmt_log_level level, const char *message);

/* Why a message from a player was dropped before reaching any listener. */
typedef enum rmt_drop_reason {
  RMT_DROP_RATE_LIMIT = 1,  /* token bucket of the player (or of the remote override) empty */
  RMT_DROP_BYTE_RATE,       /* per-player byte-rate cap exceeded */
  RMT_DROP_UNKNOWN_REMOTE,  /* id not in the registry (or destroyed) */
  RMT_DROP_QUEUE_OVERFLOW,  /* no listener and the remote's queue is full */
  RMT_DROP_MALFORMED,       /* undecodable or over a limit (an UnreliableRemoteEvent payload
                               over 1000 bytes from a modified peer included) */
  RMT_DROP_WRONG_KIND,      /* e.g. a fire for a RemoteFunction, a server-only message */
  RMT_DROP_SCHEMA           /* arguments failed the remote's declared schema */
} rmt_drop_reason;
RMT_API const char *rmt_drop_reason_name(rmt_drop_reason reason);
/* on_drop: called inside rmt_server_service for every dropped message, after it was counted.
 * `remote` is 0 when the message named no known remote; `detail` is never NULL: the rule
 * that failed in words (a schema's message, e.g. `argument 2: expected number, got string`,
 * a decoder's, a size limit's) or "" when the reason says it all. The hook may kick the
 * player (rmt_server_player_kick is safe here; the player stays queryable until PlayerRemoving).
 * Once a player is kicked nothing more from it is read, so no further drops arrive for it. */
typedef void (*rmt_drop_fn)(void *ud, rmt_player_id player, rmt_remote_id remote,
                            rmt_drop_reason reason, const char *detail);

/* A token bucket: `per_second` tokens refill continuously up to `burst`. 0/0 = unlimited. */
typedef struct rmt_rate {
  double per_second;
  double burst;
} rmt_rate;

/* Counters; per remote, per player, or totals. */
typedef struct rmt_stats {
  uint64_t events_in, events_out;   /* fires received / sent (per recipient) */
  uint64_t invokes_in, invokes_out; /* invocations received / sent (answers not counted) */
  uint64_t bytes_in, bytes_out;     /* per remote: bytes of its messages (answers included);
                                       per player and totals: whole ENet packets */
  uint64_t dropped_rate_limit;      /* RATE_LIMIT + BYTE_RATE */
  uint64_t dropped_unknown_remote;
  uint64_t dropped_queue_overflow;
  uint64_t dropped_malformed;       /* MALFORMED + WRONG_KIND */
  uint64_t timeouts;                /* invokes that timed out */
  uint64_t dropped_schema;          /* arguments that failed the remote's schema */
} rmt_stats;

/* Completion of an outgoing invoke. status is RMT_OK (results valid during the call only),
 * RMT_EHANDLER (the handler raised; message is its text), RMT_ETIMEDOUT, RMT_ENOHANDLER
 * (no handler was set before the timeout), RMT_EDISCONNECTED, RMT_ERATELIMIT,
 * RMT_EBADARGS, RMT_ENOTFOUND or RMT_ECANCELED (destroy). `message` is never NULL. */
typedef void (*rmt_result_fn)(void *ud, int status, const rmt_value *results, size_t nresults,
                              const char *message);

/* Join verification on the server: called once per handshake with the requested display
 * name (or, when the server has a ticket_key, the accepted ticket's name and user id) and
 * the client's ticket bytes (may be empty). Return 0 to accept (optionally
 * overriding *user_id and name, a NUL-terminated buffer of RMT_VERIFY_NAME_MAX bytes), or
 * non-zero and write a reason into `reason` (a buffer of RMT_VERIFY_REASON_MAX bytes,
 * NUL-terminated) to refuse. */
#define RMT_VERIFY_NAME_MAX 64
#define RMT_VERIFY_REASON_MAX 128
typedef int (*rmt_verify_fn)(void *ud, const uint8_t *ticket, size_t ticket_len, char *name,
                             uint64_t *user_id, char *reason);

/* A clock for the engine's own timekeeping: microseconds on any monotonic scale (it must
 * never go back; its origin does not matter). Set as `clock`/`clock_ud` in a server or client
 * config (NULL = CLOCK_MONOTONIC), it is what every deadline the engine keeps is measured on:
 * invoke timeouts, queued invocations waiting for a handler, the handshake and connect
 * timeouts, rate-limit token buckets, WaitForChild-style remote waits. Microseconds rather than
 * milliseconds so one clock can also drive the Lua host's scheduler, whose frame deltas need
 * finer steps than a millisecond. Not on it: ENet's own time (enet_time_get: retransmission,
 * peer_timeout_ms, pings), which cannot be injected, and the calls that block the caller
 * (rmt_client_wait_connected, rmt_client_remote_wait_sync, the linger in destroy), which bound
 * real time because nothing can advance a clock while they block. Called from service and
 * from API calls, on the thread that uses the server or client. */
typedef uint64_t (*rmt_clock_fn)(void *ud);

/* ---- server ---- */
typedef struct rmt_server_config {
  const char *bind_host;        /* default "127.0.0.1"; "0.0.0.0" for all interfaces */
  uint16_t port;                /* 0 = pick a free port; see rmt_server_port */
  uint32_t max_players;         /* default 256 */
  uint32_t max_per_address;     /* connections from one IP address at a time, joined or
                                   not (8); past it a new one is refused with `too many
                                   connections from your address (limit N)`. 0 = unlimited.
                                   Loopback counts too: raise it to run more local clients */
  const rmt_allocator *alloc;   /* NULL = malloc; copied at create */
  rmt_limits limits;            /* values accepted from clients (zeros = defaults) */
  uint32_t queue_limit;         /* events kept per remote while nothing listens (256); one
                                   player holds at most queue_limit / players in the game
                                   (at least 1), so a flood leaves others their share */
  uint32_t invoke_timeout_ms;   /* default timeout of invoke_client and of a pending
                                   invocation waiting for a handler (30000) */
  uint32_t max_pending_invokes; /* per player, beyond that invokes get ERATELIMIT (64) */
  uint32_t handshake_timeout_ms;/* a connection that has not joined by then is dropped (5000) */
  uint32_t peer_timeout_ms;     /* silence before a player is considered gone (10000) */
  uint32_t batch_bytes;         /* split batches above this size (1200) */
  rmt_rate event_rate;          /* per player, all RemoteEvents (500/s, burst 500) */
  rmt_rate unreliable_rate;     /* per player, UnreliableRemoteEvents (500/s, burst 500) */
  rmt_rate invoke_rate;         /* per player, RemoteFunction invokes (500/s, burst 500) */
  rmt_rate byte_rate;           /* per player, bytes/s of remote traffic (1 MiB/s, 1 MiB) */
  rmt_verify_fn verify;         /* NULL = accept every valid name; with a ticket key it runs
                                   after the ticket was accepted, seeing its name/user id */
  void *verify_ud;
  /* Join tickets (see "Join tickets"). With a key set, every join needs a valid ticket and
   * identity comes only from it: the name the client asked for is ignored. The key is
   * copied at create (RMT_TICKET_KEY_BYTES, else create fails with RMT_EINVAL). */
  const uint8_t *ticket_key;    /* NULL = no tickets */
  size_t ticket_key_len;
  uint32_t ticket_max_uses;     /* 0 = unlimited within expiry, 1 = single use, N */
  uint32_t ticket_table_cap;    /* live used tickets remembered (0 = 65536) */
  rmt_drop_fn on_drop;          /* NULL = count only */
  void *drop_ud;
  rmt_log_fn log;               /* NULL = warnings and errors to stderr */
  void *log_ud;
  rmt_clock_fn clock;           /* NULL = the monotonic clock (see rmt_clock_fn) */
  void *clock_ud;
} rmt_server_config;
RMT_API void rmt_server_config_default(rmt_server_config *config);

/* Binds the UDP socket. Returns NULL on failure with the reason in err. */
RMT_API rmt_server *rmt_server_create(const rmt_server_config *config, rmt_error *err);
/* Disconnects every player (they see "server shut down"), completes pending operations
 * with RMT_ECANCELED, frees everything. */
RMT_API void rmt_server_destroy(rmt_server *server);
RMT_API uint16_t rmt_server_port(const rmt_server *server);
/* Pumps the network for up to timeout_ms (returns early once something was handled),
 * runs timers, dispatches callbacks, then flushes. Returns the number of messages
 * handled, or a negative status. */
RMT_API int rmt_server_service(rmt_server *server, uint32_t timeout_ms);
/* Sends everything batched so far now. */
RMT_API int rmt_server_flush(rmt_server *server);

/* Registry ("ReplicatedStorage"). Names are paths such as "Remotes/PlayerAction" (1..200
 * bytes, no empty segments). Clients learn every change as it happens. */
RMT_API int rmt_server_remote_create(rmt_server *server, const char *name, rmt_remote_kind kind,
                                     rmt_remote_id *out_id, rmt_error *err);
RMT_API int rmt_server_remote_destroy(rmt_server *server, rmt_remote_id remote);
RMT_API rmt_remote_id rmt_server_remote_find(const rmt_server *server, const char *name);
/* The remote's name; NULL for an id the server does not know (or one destroyed). */
RMT_API const char *rmt_server_remote_name(const rmt_server *server, rmt_remote_id remote);
/* Per-remote rate override applying to every player (e.g. 2/s for a purchase remote). */
RMT_API int rmt_server_remote_set_rate(rmt_server *server, rmt_remote_id remote, rmt_rate rate);
/* Declares the arguments clients must send to `remote` (schema text as for
 * rmt_schema_parse; NULL clears). Checked after decoding and before any listener or
 * handler runs: a fire that fails is dropped (RMT_DROP_SCHEMA, counted per player and per
 * remote in dropped_malformed, reported through on_drop); an invoke that fails is answered
 * with RMT_EBADARGS and `bad arguments: <message>`. Queued events are checked when they
 * are delivered. On a parse error the previous schema stays and err says why. Safe to call
 * from a listener. */
RMT_API int rmt_server_remote_set_schema(rmt_server *server, rmt_remote_id remote, const char *schema,
                                  rmt_error *err);

/* OnServerEvent for a RemoteEvent or UnreliableRemoteEvent: args[0] is the player. Events
 * that arrive while the signal has no listener are queued (config.queue_limit) and
 * delivered in order at the next service after a listener connects. */
RMT_API rmt_signal *rmt_server_remote_signal(rmt_server *server, rmt_remote_id remote);
/* OnServerInvoke: one handler per RemoteFunction; setting again replaces, NULL clears.
 * args[0] is the player. Invocations arriving with no handler wait for one until the
 * caller's timeout, then fail with RMT_ENOHANDLER. */
RMT_API int rmt_server_remote_on_invoke(rmt_server *server, rmt_remote_id remote,
                                 rmt_invoke_fn handler, void *ud);

/* Fires: args are encoded once and batched per recipient. */
RMT_API int rmt_server_fire_client(rmt_server *server, rmt_player_id player,
                                   rmt_remote_id remote, const rmt_value *args, size_t nargs,
                                   rmt_error *err);
RMT_API int rmt_server_fire_all(rmt_server *server, rmt_remote_id remote,
                                const rmt_value *args, size_t nargs, rmt_error *err);
RMT_API int rmt_server_fire_list(rmt_server *server, const rmt_player_id *players,
                                 size_t nplayers, rmt_remote_id remote, const rmt_value *args,
                                 size_t nargs, rmt_error *err);
RMT_API int rmt_server_fire_all_except(rmt_server *server, rmt_player_id except,
                                       rmt_remote_id remote, const rmt_value *args,
                                       size_t nargs, rmt_error *err);
/* InvokeClient, always with a timeout (0 = config.invoke_timeout_ms). */
RMT_API int rmt_server_invoke_client(rmt_server *server, rmt_player_id player,
                                     rmt_remote_id remote, const rmt_value *args, size_t nargs,
                                     uint32_t timeout_ms, rmt_result_fn done, void *ud,
                                     rmt_error *err);

/* Players. PlayerAdded fires with args[0] = the player once the handshake is accepted;
 * PlayerRemoving fires while the player is still queryable, before it is freed. */
RMT_API rmt_signal *rmt_server_player_added(rmt_server *server);
RMT_API rmt_signal *rmt_server_player_removing(rmt_server *server);
/* Writes up to `cap` ids in join order; returns the number of players. */
RMT_API size_t rmt_server_players(const rmt_server *server, rmt_player_id *out, size_t cap);
RMT_API const char *rmt_server_player_name(const rmt_server *server, rmt_player_id player);
RMT_API uint64_t rmt_server_player_user_id(const rmt_server *server, rmt_player_id player);
/* Application pointer per player; NULL for unknown players. */
RMT_API void rmt_server_player_set_data(rmt_server *server, rmt_player_id player, void *data);
RMT_API void *rmt_server_player_data(const rmt_server *server, rmt_player_id player);
/* Disconnects the player; the client's on_disconnect receives `reason`. PlayerRemoving
 * fires during the next service. */
RMT_API int rmt_server_player_kick(rmt_server *server, rmt_player_id player, const char *reason,
                            rmt_error *err);

/* Stats: remote = 0 / player = 0 gives totals. */
RMT_API int rmt_server_remote_stats(const rmt_server *server, rmt_remote_id remote,
                                    rmt_stats *out);
RMT_API int rmt_server_player_stats(const rmt_server *server, rmt_player_id player,
                                    rmt_stats *out);

/* ---- client ---- */
typedef enum rmt_connection_state {
  RMT_CLIENT_CONNECTING = 1,
  RMT_CLIENT_CONNECTED,   /* handshake accepted, registry received */
  RMT_CLIENT_DISCONNECTED
} rmt_connection_state;

/* status: RMT_OK after a normal leave, RMT_EREFUSED (reason from the server: bad name,
 * ticket, full, name already in the game, too many connections from one address,
 * kicked...), RMT_EVERSION, RMT_ETIMEDOUT (lost the server), RMT_ENET. */
typedef void (*rmt_disconnect_fn)(void *ud, int status, const char *reason);
/* A remote appeared (added = 1) or was destroyed (added = 0). */
typedef void (*rmt_registry_fn)(void *ud, int added, rmt_remote_id remote, const char *name,
                                rmt_remote_kind kind);

typedef struct rmt_client_config {
  const char *host;             /* default "127.0.0.1" */
  uint16_t port;                /* required */
  const char *name;             /* display name: 1..32 bytes of [A-Za-z0-9_]; a server that
                                   requires tickets ignores it and uses the ticket's */
  const uint8_t *ticket;        /* optional join ticket (text from rmt_ticket_mint), copied */
  size_t ticket_len;
  const rmt_allocator *alloc;
  rmt_limits limits;            /* values accepted from the server (zeros = defaults) */
  uint32_t queue_limit;         /* as on the server (256) */
  uint32_t connect_timeout_ms;  /* handshake deadline (5000) */
  uint32_t invoke_timeout_ms;   /* default for invoke_server (30000) */
  uint32_t peer_timeout_ms;     /* (10000) */
  uint32_t batch_bytes;         /* (1200) */
  uint32_t linger_ms;           /* destroy waits at most this long for the server to
                                   acknowledge what was fired (200) */
  rmt_disconnect_fn on_disconnect;
  void *disconnect_ud;
  rmt_registry_fn on_registry;
  void *registry_ud;
  rmt_log_fn log;
  void *log_ud;
  rmt_clock_fn clock;           /* NULL = the monotonic clock (see rmt_clock_fn) */
  void *clock_ud;
} rmt_client_config;
RMT_API void rmt_client_config_default(rmt_client_config *config);

/* Starts connecting; the handshake proceeds inside rmt_client_service. NULL on failure. */
RMT_API rmt_client *rmt_client_create(const rmt_client_config *config, rmt_error *err);
/* Leaves politely: what was fired is sent, followed by a goodbye, and destroy waits up to
 * config.linger_ms for the server to acknowledge it. Completes pending invokes with
 * RMT_ECANCELED, frees everything. */
RMT_API void rmt_client_destroy(rmt_client *client);
RMT_API int rmt_client_service(rmt_client *client, uint32_t timeout_ms);
RMT_API int rmt_client_flush(rmt_client *client);
/* Pumps until connected (RMT_OK) or the join fails/times out (its status). */
RMT_API int rmt_client_wait_connected(rmt_client *client, uint32_t timeout_ms, rmt_error *err);
RMT_API rmt_connection_state rmt_client_state(const rmt_client *client);
/* Why the connection ended (as on_disconnect's reason): "" while connecting or connected. */
RMT_API const char *rmt_client_disconnect_reason(const rmt_client *client);
RMT_API rmt_player_id rmt_client_local_player(const rmt_client *client);
RMT_API const char *rmt_client_local_name(const rmt_client *client);
RMT_API uint64_t rmt_client_local_user_id(const rmt_client *client);

/* Other players as the client knows them (every player on the server). Signals fire with
 * args[0] = player. */
RMT_API size_t rmt_client_players(const rmt_client *client, rmt_player_id *out, size_t cap);
RMT_API const char *rmt_client_player_name(const rmt_client *client, rmt_player_id player);
RMT_API uint64_t rmt_client_player_user_id(const rmt_client *client, rmt_player_id player);
RMT_API rmt_signal *rmt_client_player_added(rmt_client *client);
RMT_API rmt_signal *rmt_client_player_removing(rmt_client *client);

/* Registry as replicated. find returns 0 when unknown. */
RMT_API rmt_remote_id rmt_client_remote_find(const rmt_client *client, const char *name);
RMT_API const char *rmt_client_remote_name(const rmt_client *client, rmt_remote_id remote);
/* The remote's kind in *out: RMT_OK, or RMT_ENOTFOUND for an id the client does not know. */
RMT_API int rmt_client_remote_kind(const rmt_client *client, rmt_remote_id remote,
                                   rmt_remote_kind *out);
/* WaitForChild: callback form. `found` fires once, inside a service, with the id, or with
 * 0 when timeout_ms passes (0 = never) or the client disconnects. */
typedef void (*rmt_found_fn)(void *ud, rmt_remote_id remote);
RMT_API int rmt_client_remote_wait(rmt_client *client, const char *name, uint32_t timeout_ms,
                                   rmt_found_fn found, void *ud);
/* WaitForChild: blocking form, pumps the client. RMT_ETIMEDOUT when it does not appear. */
RMT_API int rmt_client_remote_wait_sync(rmt_client *client, const char *name,
                                        uint32_t timeout_ms, rmt_remote_id *out);

/* OnClientEvent (queued while nothing listens, like the server). */
RMT_API rmt_signal *rmt_client_remote_signal(rmt_client *client, rmt_remote_id remote);
/* OnClientInvoke: args are as sent; the invocation's player is 0. */
RMT_API int rmt_client_remote_on_invoke(rmt_client *client, rmt_remote_id remote,
                                 rmt_invoke_fn handler, void *ud);
RMT_API int rmt_client_fire(rmt_client *client, rmt_remote_id remote, const rmt_value *args,
                            size_t nargs, rmt_error *err);
/* InvokeServer, asynchronous (0 = config.invoke_timeout_ms). */
RMT_API int rmt_client_invoke(rmt_client *client, rmt_remote_id remote, const rmt_value *args,
                              size_t nargs, uint32_t timeout_ms, rmt_result_fn done, void *ud,
                              rmt_error *err);
/* InvokeServer, blocking: pumps the client until done. On RMT_OK *results is an owned block
 * of *nresults values (free with rmt_values_free and the client's allocator). Errors carry
 * the server's message in err. */
RMT_API int rmt_client_invoke_sync(rmt_client *client, rmt_remote_id remote,
                                   const rmt_value *args, size_t nargs, uint32_t timeout_ms,
                                   rmt_value **results, size_t *nresults, rmt_error *err);
RMT_API int rmt_client_remote_stats(const rmt_client *client, rmt_remote_id remote,
                                    rmt_stats *out);

/* ---------------------------------------------------------------------------------------
 * Replication: the server's instance tree, copied read-only to every client
 *
 * The server owns a tree of instances (class name, name, an optional `Value`, attributes,
 * CollectionService tags).
 * Every change is sent to every joined player on the reliable channel; a player who joins
 * late first receives the whole tree. Changes are coalesced: between two flush points only
 * the latest state of each instance is sent (ten sets of one Value send one). Flush points
 * keep Roblox's order: pending changes go out before any remote message that follows them
 * -- fires, InvokeClient calls and invoke answers alike (a Value set before FireClient, or
 * before a RemoteFunction handler returns, is visible to the client when the event or the
 * answer arrives) -- and at the end of every service. Clients observe the tree; nothing
 * they do reaches the server.
 *
 * Each player has an instance of class "Player" (named after the player, a root) created
 * when it joins and destroyed when it leaves; parent its leaderstats under it.
 * Instance ids are never reused by one server; 0 means none (the root level).
 * ------------------------------------------------------------------------------------- */
typedef uint32_t rmt_instance_id;

typedef struct rmt_instance_info {
  rmt_instance_id id;
  rmt_instance_id parent;      /* 0 = a root */
  const char *class_name;      /* valid until the instance changes or is destroyed */
  const char *name;
  const rmt_value *value;      /* NULL when the instance has no Value */
  rmt_player_id player;        /* for the "Player" instance of a player, else 0 */
  size_t nattributes;
  size_t ntags;                /* CollectionService tags */
} rmt_instance_info;

/* Tags (CollectionService): 1..RMT_MAX_TAG_LEN bytes (no NUL), at most RMT_MAX_TAGS per
 * instance. A client refuses a replication message that breaks either limit. */
#define RMT_MAX_TAG_LEN 100
#define RMT_MAX_TAGS 64

/* Server side. class_name and name: 1..100 bytes. parent must exist (or be 0). */
RMT_API int rmt_server_instance_create(rmt_server *server, rmt_instance_id parent,
                                       const char *class_name, const char *name,
                                       rmt_instance_id *out_id, rmt_error *err);
/* Destroys the instance and all its descendants. */
RMT_API int rmt_server_instance_destroy(rmt_server *server, rmt_instance_id id);
/* Reparenting under one of its own descendants is refused (RMT_EINVAL). */
RMT_API int rmt_server_instance_set_parent(rmt_server *server, rmt_instance_id id,
                                           rmt_instance_id parent);
RMT_API int rmt_server_instance_set_name(rmt_server *server, rmt_instance_id id,
                                         const char *name);
/* Sets (copies) the Value; NULL removes it. Values are checked in strict mode. */
RMT_API int rmt_server_instance_set_value(rmt_server *server, rmt_instance_id id,
                                          const rmt_value *value, rmt_error *err);
/* Sets (copies) an attribute; NULL removes it. Attribute names: 1..100 bytes. */
RMT_API int rmt_server_instance_set_attribute(rmt_server *server, rmt_instance_id id,
                                              const char *name, const rmt_value *value,
                                              rmt_error *err);
/* Adds/removes a tag (a no-op when it is already there/absent). RMT_EINVAL for a bad
 * tag, RMT_ELIMIT for a tag beyond RMT_MAX_TAGS. */
RMT_API int rmt_server_instance_add_tag(rmt_server *server, rmt_instance_id id, const char *tag,
                                        rmt_error *err);
RMT_API int rmt_server_instance_remove_tag(rmt_server *server, rmt_instance_id id,
                                           const char *tag, rmt_error *err);
RMT_API int rmt_server_instance_info(const rmt_server *server, rmt_instance_id id,
                                     rmt_instance_info *out);
RMT_API rmt_instance_id rmt_server_player_instance(const rmt_server *server,
                                                   rmt_player_id player);
/* Lookups, on either side's tree. find_child is FindFirstChild: the first child of `parent`
 * (0 = the roots) named exactly `name`. find_path follows a dotted path of names from
 * `from` (0 = the roots), e.g. find_path(player_instance, "leaderstats.Coins"); a name that
 * itself holds a dot can only be reached with find_child. Both return 0 when nothing
 * matches, and are O(children) per step. */
RMT_API rmt_instance_id rmt_server_instance_find_child(const rmt_server *server,
                                                       rmt_instance_id parent,
                                                       const char *name);
RMT_API rmt_instance_id rmt_server_instance_find_path(const rmt_server *server,
                                                      rmt_instance_id from, const char *path);

/* Client side: what a replication change did. */
typedef enum rmt_replica_event {
  RMT_REPLICA_CREATED = 1,   /* the instance exists, with its parent, value, attributes */
  RMT_REPLICA_VALUE,         /* its Value changed */
  RMT_REPLICA_NAME,
  RMT_REPLICA_PARENT,        /* reparented (info.parent is the new parent) */
  RMT_REPLICA_ATTRIBUTE,     /* `attribute` names the attribute that changed or went */
  RMT_REPLICA_DESTROYING,    /* about to go (children first get their own DESTROYING) */
  RMT_REPLICA_TAG_ADDED,     /* `attribute` names the tag (not reported for a CREATED's tags) */
  RMT_REPLICA_TAG_REMOVED    /* `attribute` names the tag */
} rmt_replica_event;
typedef void (*rmt_replica_fn)(void *ud, rmt_replica_event event, rmt_instance_id id,
                               const char *attribute);
/* One observer per client (NULL clears). Set it before connecting to see the snapshot. */
RMT_API void rmt_client_on_replica(rmt_client *client, rmt_replica_fn fn, void *ud);
RMT_API int rmt_client_instance_info(const rmt_client *client, rmt_instance_id id,
                                     rmt_instance_info *out);
/* NULL when absent. The pointer is valid until that attribute or instance changes. */
RMT_API const rmt_value *rmt_client_instance_attribute(const rmt_client *client,
                                                       rmt_instance_id id, const char *name);
/* Attribute by index (0..nattributes-1): name and value. */
RMT_API int rmt_client_instance_attribute_at(const rmt_client *client, rmt_instance_id id,
                                             size_t index, const char **name,
                                             const rmt_value **value);
/* Tag by index (0..ntags-1), in the order the server added them; NULL when out of range.
 * Valid until the instance's tags change. */
RMT_API const char *rmt_client_instance_tag_at(const rmt_client *client, rmt_instance_id id,
                                               size_t index);
RMT_API int rmt_client_instance_has_tag(const rmt_client *client, rmt_instance_id id,
                                        const char *tag);
/* Children in creation order; returns the count, writing at most cap ids. id 0 = roots. */
RMT_API size_t rmt_client_instance_children(const rmt_client *client, rmt_instance_id id,
                                            rmt_instance_id *out, size_t cap);
RMT_API rmt_instance_id rmt_client_player_instance(const rmt_client *client,
                                                   rmt_player_id player);
/* As on the server (above). On a client the tree is what has replicated so far. The join
 * snapshot follows the WELCOME, so right after rmt_client_wait_connected returns RMT_OK the
 * tree may still be arriving: the client's own Player instance is the snapshot's last
 * root, so keep servicing until rmt_client_player_instance(client, own id) is non-zero and
 * the whole state at join is there. On the server, a player's Player instance exists from
 * PlayerAdded on (its listeners may parent leaderstats under it). */
RMT_API rmt_instance_id rmt_client_instance_find_child(const rmt_client *client,
                                                       rmt_instance_id parent,
                                                       const char *name);
RMT_API rmt_instance_id rmt_client_instance_find_path(const rmt_client *client,
                                                      rmt_instance_id from, const char *path);

#ifdef __cplusplus
}
#endif
#endif /* REMOTES_H */
