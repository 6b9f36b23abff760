/* fuzz_host.c - arbitrary messages into the Lua host, server side and client side, through
 * the engine's real receive path and the host's bridges (net.c on_remote_event,
 * on_remote_invoke, on_invoke_done, on_player_added/removing, on_registry) into a Roblox-style
 * place whose listeners and invoke handlers index, yield, echo and relay what they get.
 *
 * Design (fast and deterministic enough for thousands of execs/s):
 *  - One process holds two hosts, made once: a server host over a real rmt_server (bound on
 *    loopback, never serviced) and a client host over a real rmt_client whose session was
 *    opened by a fed WELCOME (its peer never connects, so nothing it sends leaves: the engine
 *    drops sends to a peer that is not connected). No socket traffic, no timing.
 *  - Server input: one connection fed through rmt__server_feed: a HELLO (the player joins:
 *    PlayerAdded runs in Lua and InvokeClient()s the new player), then one packet per op,
 *    then the player leaves (PlayerRemoving, orphaned invocations, failed pending calls).
 *  - Client input: packets fed to the one client through rmt__client_feed; players and
 *    remotes an input adds are removed at its end, so inputs do not pile up state.
 *  - Payloads are raw bytes for the engine's decoder (rmt_decode with the host's limits,
 *    max_args = RMT_LUA_MAX_ARGS), or value trees built from the bytes: encoded (so the
 *    fuzzer reaches valid values without learning msgpack) or fired straight into the
 *    remote's signal, the call the engine makes after decoding, with counts, nesting and
 *    player refs beyond what the decoder accepts.
 *  - Time is virtual: after each input the host steps a few frames with its clock moved
 *    forward one frame each, so task.wait(0) threads resume without sleeping.
 * After each input: the host answers a trivial script, is not inside a crossing, no error came
 * from the prelude's own code, and every 256 inputs Lua memory after a full collection is
 * within a bound. At exit both hosts are destroyed and every C allocation must be freed.
 *
 * Input: [side byte: even = server, odd = client; FUZZ_HOST_SIDE=server|client overrides it,
 * for a campaign on one side] then ops, each
 *   [op][sel][arg][len lo][len hi][len bytes of payload]
 * op % 12: 0 event (reliable channel), 1 event (unreliable channel), 2 invoke (call id arg),
 *   3 result to one of our pending invokes (arg picks which), 4 error to one (arg = status),
 *   5 raw packet (arg & 1 = channel), 6 tree fired into the remote's signal, 7 tree encoded
 *   as an event, 8 tree encoded as an invoke, 9 tree encoded as a result, 10 player added
 *   (client; arg & 1: removed), 11 remote added (client; arg & 1: removed).
 * sel picks a remote: one of the place's, or (0xe8..0xef) one an input added on the client
 * (ids 100..107), or (sel >= 0xf0) a raw id 1..16. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "lua/host.h"
#include "protocol.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- counting allocators for every C-side allocation of hosts and engines ----
 * LuaJIT (GC64) keeps references to its objects as tagged values that LeakSanitizer cannot
 * follow, so a plain lua_newstate over malloc shows "leaks" mid-run that are not (the same
 * happens with a ten-line program). The host's blocks (its Lua heap and its own C
 * allocations) are therefore hidden from LeakSanitizer and counted here instead: after both
 * hosts are destroyed at exit, every one must have been freed. The engines' blocks are
 * counted too and stay visible to LeakSanitizer. */

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/lsan_interface.h>
#define HIDE_FROM_LSAN(p) __lsan_ignore_object(p)
#endif
#endif
#ifndef HIDE_FROM_LSAN
#define HIDE_FROM_LSAN(p) ((void)(p))
#endif

static size_t live_blocks; /* hosts and engines together */

static void *count_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  int hide = ud != NULL;
  (void)osize;
  if (nsize == 0) {
    if (ptr) live_blocks--;
    free(ptr);
    return NULL;
  }
  void *p = realloc(ptr, nsize);
  if (p && !ptr) live_blocks++;
  if (p && hide) HIDE_FROM_LSAN(p);
  return p;
}

static int hidden_tag;
static const rmt_allocator host_alloc = {count_alloc, &hidden_tag};
static const rmt_allocator engine_alloc = {count_alloc, NULL};

/* ---- the place ---- */

/* Shared by both sides: walks a value the way scripts do. */
#define POKE                                                                              \
  "local function poke(v, depth)\n"                                                       \
  "  local t = typeof(v)\n"                                                               \
  "  if t == 'table' then\n"                                                              \
  "    if depth > 3 then return 'table' end\n"                                            \
  "    local n = 0\n"                                                                     \
  "    for k, x in pairs(v) do\n"                                                         \
  "      n += 1\n"                                                                        \
  "      if n > 16 then break end\n"                                                      \
  "      poke(k, depth + 1)\n"                                                            \
  "      poke(x, depth + 1)\n"                                                            \
  "    end\n"                                                                             \
  "    local _ = #v, v[1], v.Name, next(v)\n"                                             \
  "  elseif t == 'Vector3' then\n"                                                        \
  "    local _ = v.X + v.Y + v.Z, v.Magnitude, v + v, v.Unit\n"                           \
  "  elseif t == 'CFrame' then\n"                                                         \
  "    local _ = v.Position, v * v, v:Inverse(), v.LookVector\n"                          \
  "  elseif t == 'Color3' then\n"                                                         \
  "    local _ = v.R + v.G + v.B, v:ToHex()\n"                                            \
  "  elseif t == 'Instance' then\n"                                                       \
  "    local _ = v.Name, v:IsA('Player'), v:GetFullName(), v.Parent\n"                    \
  "    if v:IsA('Player') then local _ = v.UserId, v.DisplayName end\n"                   \
  "  elseif t == 'string' then\n"                                                         \
  "    local _ = #v, v:sub(1, 4), tonumber(v), v:upper(), string.format('%q', v)\n"       \
  "  elseif t == 'number' then\n"                                                         \
  "    local _ = v + 1, math.floor(v), v == v, string.format('%g', v), v // 3\n"          \
  "  end\n"                                                                               \
  "  return tostring(v)\n"                                                                \
  "end\n"                                                                                 \
  "local function pokeAll(...)\n"                                                         \
  "  local n = select('#', ...)\n"                                                        \
  "  local packed = table.pack(...)\n"                                                    \
  "  for i = 1, math.min(n, 48) do poke(packed[i], 0) end\n"                              \
  "  return n\n"                                                                          \
  "end\n"

static const char *SERVER_PLACE =
    "local rs = game:GetService('ReplicatedStorage')\n"
    "local Players = game:GetService('Players')\n"
    "local folder = Instance.new('Folder')\n"
    "folder.Name = 'Remotes'\n"
    "folder.Parent = rs\n"
    "local function mk(class, name)\n"
    "  local r = Instance.new(class)\n"
    "  r.Name = name\n"
    "  r.Parent = folder\n"
    "  return r\n"
    "end\n"
    "local ev, un = mk('RemoteEvent', 'Ev'), mk('UnreliableRemoteEvent', 'Un')\n"
    "local fn, now, err = mk('RemoteFunction', 'Fn'), mk('RemoteFunction', 'Now'), "
    "mk('RemoteFunction', 'Err')\n"
    "mk('RemoteFunction', 'None')\n"
    "mk('RemoteEvent', 'Quiet')\n"
    "shared.calls = 0\n"
    "shared.alive = 0\n" POKE
    "ev.OnServerEvent:Connect(function(player, ...)\n"
    "  pokeAll(player, ...)\n"
    "  ev:FireClient(player, ...)\n"
    "  ev:FireAllClients(player, ...)\n"
    "end)\n"
    "ev.OnServerEvent:Connect(function(player, a, b)\n"
    "  task.wait(0)\n"
    "  poke(a, 0) poke(b, 0)\n"
    "  if player.Parent then ev:FireClient(player, {a, b, n = 2}) end\n"
    "  un:FireAllClients({[1] = a, x = b})\n"
    "end)\n"
    "un.OnServerEvent:Connect(function(player, ...)\n"
    "  pokeAll(...)\n"
    "  task.defer(function(...) un:FireAllClients(...) end, ...)\n"
    "end)\n"
    "fn.OnServerInvoke = function(player, ...)\n"
    "  task.wait(0)\n"
    "  pokeAll(...)\n"
    "  return ...\n"
    "end\n"
    "now.OnServerInvoke = function(player, ...)\n"
    "  pokeAll(...)\n"
    "  return player, select('#', ...), ...\n"
    "end\n"
    "err.OnServerInvoke = function(player, a, ...)\n"
    "  pokeAll(a, ...)\n"
    "  if type(a) == 'table' then error(a) end\n"
    "  error(tostring(a))\n"
    "end\n"
    "Players.PlayerAdded:Connect(function(player)\n"
    "  for i = 1, 2 do\n"
    "    shared.calls += 1\n"
    "    local r = table.pack(pcall(fn.InvokeClient, fn, player, 'ask', i))\n"
    "    pokeAll(table.unpack(r, 1, r.n))\n"
    "  end\n"
    "end)\n"
    "Players.PlayerRemoving:Connect(function(player) poke(player, 0) end)\n";

static const char *CLIENT_PLACE =
    "local rs = game:GetService('ReplicatedStorage')\n"
    "local Players = game:GetService('Players')\n"
    "local folder = rs:WaitForChild('Remotes')\n"
    "local ev, un = folder:WaitForChild('Ev'), folder:WaitForChild('Un')\n"
    "local fn, now = folder:WaitForChild('Fn'), folder:WaitForChild('Now')\n"
    "local err = folder:WaitForChild('Err')\n"
    "shared.calls = 0\n"
    "shared.alive = 0\n" POKE
    "ev.OnClientEvent:Connect(function(...)\n"
    "  pokeAll(...)\n"
    "  ev:FireServer(...)\n"
    "end)\n"
    "ev.OnClientEvent:Connect(function(a, b)\n"
    "  task.wait(0)\n"
    "  poke(a, 0) poke(b, 0)\n"
    "  un:FireServer({a, b})\n"
    "end)\n"
    "un.OnClientEvent:Connect(function(...) pokeAll(...) end)\n"
    "fn.OnClientInvoke = function(...)\n"
    "  task.wait(0)\n"
    "  pokeAll(...)\n"
    "  return ...\n"
    "end\n"
    "now.OnClientInvoke = function(...)\n"
    "  pokeAll(...)\n"
    "  return select('#', ...), Players.LocalPlayer, ...\n"
    "end\n"
    "err.OnClientInvoke = function(a, ...)\n"
    "  pokeAll(a, ...)\n"
    "  error(a)\n"
    "end\n"
    "Players.PlayerAdded:Connect(function(p) poke(p, 0) end)\n"
    "Players.PlayerRemoving:Connect(function(p) poke(p, 0) end)\n"
    "task.spawn(function()\n"
    "  while true do\n"
    "    shared.calls += 1\n"
    "    local r = table.pack(pcall(fn.InvokeServer, fn, 'ask', shared.calls))\n"
    "    pokeAll(table.unpack(r, 1, r.n))\n"
    "    task.wait(0)\n"
    "  end\n"
    "end)\n";

/* The place's remotes, by index (sel % NREM); the server binds them, the client learns them
 * from WELCOME with the same ids. */
static const char *const remote_names[] = {"Remotes/Ev",   "Remotes/Un",  "Remotes/Fn",
                                           "Remotes/Now",  "Remotes/Err", "Remotes/None",
                                           "Remotes/Quiet"};
static const rmt_remote_kind remote_kinds[] = {
    RMT_REMOTE_EVENT,    RMT_UNRELIABLE_REMOTE_EVENT, RMT_REMOTE_FUNCTION, RMT_REMOTE_FUNCTION,
    RMT_REMOTE_FUNCTION, RMT_REMOTE_FUNCTION,         RMT_REMOTE_EVENT};
#define NREM (sizeof remote_names / sizeof remote_names[0])

typedef struct side {
  rmt_host *host;
  rmt_remote_id ids[NREM];
  size_t mem_base; /* Lua bytes after a full collection once the place ran */
  double alive;    /* trivial scripts run so far */
  unsigned inputs;
} side;

static side srv, cli;
static rmt_server *server;
static rmt_client *client;
static rmt_remote_id hook_id;   /* server: a C-only remote whose listener runs tree ops */
static rmt_player_id fed_player; /* server: the player of the feed in progress */
static int verbose;
static int forced_side = -1; /* FUZZ_HOST_SIDE=server|client: one side whatever the byte */

#define LOCAL_PLAYER 1
#define FUZZ_PLAYER_FIRST 2 /* client: ids an input may add (removed at its end) */
#define FUZZ_PLAYERS 8
#define FUZZ_REMOTE_FIRST 100 /* client: remote ids an input may add */
#define FUZZ_REMOTES 8
#define MEM_SLACK ((size_t)24 << 20)
#define HOST_MEMORY ((size_t)96 << 20)

static void output(void *ud, rmt_host_stream stream, const char *text) {
  side *s = ud;
  if (verbose)
    fprintf(stderr, "[%s %c] %s\n", s == &srv ? "server" : "client",
            stream == RMT_HOST_PRINT ? 'P' : stream == RMT_HOST_WARN ? 'W' : 'E', text);
  /* An error raised inside the prelude's own code (not a script's, not a value refused at
   * a limit) is a bug in the host that a message triggered. */
  if (stream == RMT_HOST_ERROR && strstr(text, "prelude:")) {
    fprintf(stderr, "fuzz_host: the host's own code failed: %s\n", text);
    abort();
  }
}

static void quiet_log(void *ud, rmt_log_level level, const char *message) {
  (void)ud;
  if (verbose) fprintf(stderr, "[engine %d] %s\n", (int)level, message);
}

static rmt_host *make_host(rmt_host_side which, side *s) {
  rmt_host_config hc;
  rmt_error err;
  memset(&hc, 0, sizeof hc);
  hc.side = which;
  hc.origin = which == RMT_HOST_SERVER ? "Server" : "Player1";
  hc.output = output;
  hc.output_ud = s;
  hc.alloc = &host_alloc;
  hc.memory_limit = HOST_MEMORY;
  hc.script_timeout = 2.0;
  rmt_host *h = rmt_host_create(&hc, &err);
  if (!h) {
    fprintf(stderr, "fuzz_host: host: %s\n", err.message);
    abort();
  }
  return h;
}

/* ---- reading Lua state from C (inside a crossing) ---- */

typedef struct number_read {
  const char *key;
  double value;
} number_read;

static int read_shared_body(rmt_host *host, lua_State *L, void *ud) {
  number_read *r = ud;
  (void)host;
  lua_getglobal(L, "shared");
  lua_getfield(L, -1, r->key);
  r->value = lua_tonumber(L, -1);
  lua_pop(L, 2);
  return 0;
}

static double read_shared(side *s, const char *key) {
  number_read r = {key, -1};
  if (lh_protect(s->host, read_shared_body, &r, "fuzz: reading shared") != 0) abort();
  return r.value;
}

static int collect_body(rmt_host *host, lua_State *L, void *ud) {
  (void)host;
  (void)ud;
  lua_gc(L, LUA_GCCOLLECT, 0);
  lua_gc(L, LUA_GCCOLLECT, 0);
  return 0;
}

static void collect(side *s) {
  lh_protect(s->host, collect_body, NULL, "fuzz: collecting");
}

typedef struct joined {
  rmt_player_id id;
  const char *name;
} joined;

/* What rmt_host_client_joined does once the snapshot is in, without waiting for a server. */
static int joined_body(rmt_host *host, lua_State *L, void *ud) {
  joined *j = ud;
  lua_pushnumber(L, j->id);
  lua_pushstring(L, j->name);
  lua_pushnumber(L, 1001);
  lua_pushboolean(L, 1);
  return lh_call_hook(host, "player_added", 4, 0);
}

/* ---- time and checks ---- */

/* Runs `frames` frames, moving the host's clock one frame forward before each, so timers
 * (task.wait) come due at once. */
static void step_frames(side *s, int frames) {
  for (int i = 0; i < frames; i++) {
    s->host->t0 -= 1.0 / 60.0;
    rmt_host_step(s->host);
  }
}

static void check_alive(side *s) {
  if (s->host->protect_depth != 0 || s->host->in_lua) {
    fprintf(stderr, "fuzz_host: host left inside a crossing\n");
    abort();
  }
  rmt_host_run_string(s->host, "shared.alive += 1", "alive");
  s->alive += 1;
  double seen = read_shared(s, "alive");
  if (seen != s->alive) {
    fprintf(stderr, "fuzz_host: the %s host no longer runs scripts (alive %g, want %g): %s\n",
            s == &srv ? "server" : "client", seen, s->alive, s->host->cross_error);
    abort();
  }
  if (++s->inputs % 256 == 0) {
    collect(s);
    if (s->host->mem_used > s->mem_base + MEM_SLACK) {
      fprintf(stderr, "fuzz_host: Lua memory grows: %zu bytes live after a full collection, "
                      "%zu at start\n", s->host->mem_used, s->mem_base);
      abort();
    }
  }
}

/* ---- value trees from bytes ---- */

#define TREE_VALUES (1 << 16)
#define TREE_PAIRS (1 << 14)
#define TREE_DEPTH 1100 /* past RMT_DEPTH_CEILING (1000), the most any limits allow */

typedef struct tree {
  const uint8_t *p, *end;
  rmt_value values[TREE_VALUES];
  size_t nv;
  rmt_pair pairs[TREE_PAIRS];
  size_t np;
  const rmt_player_id *players; /* ids a ref may name (present players) */
  size_t nplayers;
} tree;

static tree tr;

static unsigned next(tree *t) { return t->p < t->end ? *t->p++ : 0; }

static uint32_t next32(tree *t) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) v |= (uint32_t)next(t) << (8 * i);
  return v;
}

static float nextf(tree *t) {
  uint32_t u = next32(t);
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

static const char *const words[] = {"a", "Name", "n", "1", "", "x", "Parent", "__index"};

static rmt_value leaf(tree *t, unsigned b) {
  rmt_value v = rmt_nil();
  switch (b % 12) {
  case 0: return rmt_nil();
  case 1: return rmt_bool((int)(b & 16));
  case 2: return rmt_num((double)(int)next(t) - 8);
  case 3: {
    uint64_t u = (uint64_t)next32(t) | (uint64_t)next32(t) << 32;
    double d;
    memcpy(&d, &u, sizeof d);
    return rmt_num(d); /* NaN, infinities, denormals */
  }
  case 4: return rmt_str(words[next(t) % 8]);
  case 5: { /* bytes of the input itself */
    size_t len = next(t), left = (size_t)(t->end - t->p);
    if (len > left) len = left;
    v = rmt_lstr((const char *)t->p, len);
    t->p += len;
    return v;
  }
  case 6: return rmt_vector3(nextf(t), nextf(t), nextf(t));
  case 7: return rmt_cframe((float)next(t), 0, 0);
  case 8: {
    float pos[3], rot[9];
    for (int i = 0; i < 3; i++) pos[i] = nextf(t);
    for (int i = 0; i < 9; i++) rot[i] = nextf(t);
    return rmt_cframe_full(pos, rot);
  }
  case 9: return rmt_color3(nextf(t), 0.5f, 1);
  case 10: {
    unsigned w = next(t);
    if (w < 0xc0 && t->nplayers) return rmt_player_ref(t->players[w % t->nplayers]);
    return rmt_player_ref(w < 0xe0 ? w & 15 : next32(t));
  }
  default: v.type = RMT_TFUNCTION; return v; /* arrives as nil */
  }
}

/* Count of a container: small, or (bits 0x0c == 0x08) up to 65535 from two bytes. Runs of
 * 0xff (a favourite of the mutator) stay small: big lists cost milliseconds each. */
static size_t count_of(tree *t, unsigned b) {
  if ((b & 0x0c) == 0x08) return (size_t)next(t) | (size_t)next(t) << 8;
  return next(t) % 9;
}

/* Items past the first 16 repeat them, sharing their subtrees: a few bytes make wide lists.
 * Shared subtrees expand when pushed into Lua, so every container is cut where its expanded
 * size would pass TREE_WEIGHT (just past the engine's max_elements): big, never
 * exponential. *w receives the expanded size. */
#define TREE_WEIGHT (((size_t)1 << 16) + 256)

static rmt_value node(tree *t, int depth, size_t *w) {
  unsigned b = next(t);
  size_t wi[16], total = 1;
  *w = 1;
  if (depth >= TREE_DEPTH || (b & 0xc0) != 0xc0) return leaf(t, b);
  size_t n = count_of(t, b);
  switch ((b >> 4) & 3) {
  case 0: { /* array */
    if (n > TREE_VALUES - t->nv) n = TREE_VALUES - t->nv;
    rmt_value *items = t->values + t->nv;
    t->nv += n;
    for (size_t i = 0; i < n; i++) {
      if (i < 16) items[i] = node(t, depth + 1, &wi[i]);
      else items[i] = items[i % 16];
      if (total + wi[i % 16] > TREE_WEIGHT) {
        n = i;
        break;
      }
      total += wi[i % 16];
    }
    *w = total;
    return rmt_array(n ? items : NULL, n);
  }
  case 1: { /* a chain: `n` arrays deep around one node (nesting from two bytes) */
    size_t levels = n % (TREE_DEPTH + 1);
    if (levels > (size_t)(TREE_DEPTH - depth)) levels = (size_t)(TREE_DEPTH - depth);
    rmt_value inner = node(t, depth + (int)levels + 1, &wi[0]);
    if (levels > TREE_VALUES - t->nv) levels = TREE_VALUES - t->nv; /* after the inner node */
    for (size_t i = 0; i < levels; i++) {
      t->values[t->nv] = inner;
      inner = rmt_array(&t->values[t->nv++], 1);
    }
    *w = wi[0] + levels;
    return inner;
  }
  default: { /* 2: dict with string keys; 3: table with any keys */
    if (n > TREE_PAIRS - t->np) n = TREE_PAIRS - t->np;
    rmt_pair *pairs = t->pairs + t->np;
    t->np += n;
    int any = ((b >> 4) & 3) == 3;
    for (size_t i = 0; i < n; i++) {
      if (i < 16) {
        unsigned k = next(t);
        pairs[i].key = any ? leaf(t, k) : rmt_str(words[k % 8]);
        pairs[i].value = node(t, depth + 1, &wi[i]);
      } else {
        pairs[i].key = any ? rmt_num((double)i) : rmt_str(words[i % 8]);
        pairs[i].value = pairs[i % 16].value;
      }
      if (total + wi[i % 16] + 1 > TREE_WEIGHT) {
        n = i;
        break;
      }
      total += wi[i % 16] + 1;
    }
    *w = total;
    rmt_value v = rmt_dict(n ? pairs : NULL, n);
    if (any) v.type = RMT_TTABLE;
    return v;
  }
  }
}

/* Top-level arguments: up to 8, or (bits 0xc0 == 0x80) up to 32768, the list past the first
 * 16 repeating (cut like a container's). */
static size_t build_args(tree *t, const uint8_t *data, size_t len, const rmt_player_id *players,
                         size_t nplayers, rmt_value **out) {
  size_t wi[16], total = 0;
  t->p = data;
  t->end = data + len;
  t->nv = t->np = 0;
  t->players = players;
  t->nplayers = nplayers;
  unsigned b = next(t);
  size_t n = (b & 0xc0) == 0x80 ? ((size_t)next(t) | (size_t)next(t) << 8) : b % 9;
  if (n > TREE_VALUES / 2) n = TREE_VALUES / 2;
  rmt_value *args = t->values;
  t->nv = n;
  for (size_t i = 0; i < n; i++) {
    if (i < 16) args[i] = node(t, 0, &wi[i]);
    else args[i] = args[i % 16];
    if (total + wi[i % 16] > TREE_WEIGHT) {
      n = i;
      break;
    }
    total += wi[i % 16];
  }
  if (t->nv > TREE_VALUES || t->np > TREE_PAIRS) abort(); /* the harness's own pools */
  *out = args;
  return n;
}

/* ---- framing ---- */

typedef struct op {
  unsigned code, sel, arg;
  const uint8_t *payload;
  size_t len;
} op;

static size_t next_op(const uint8_t *data, size_t size, size_t *off, op *o) {
  if (size - *off < 5) return 0;
  const uint8_t *p = data + *off;
  o->code = p[0] % 12;
  o->sel = p[1];
  o->arg = p[2];
  o->len = (size_t)p[3] | (size_t)p[4] << 8;
  *off += 5;
  if (o->len > size - *off) o->len = size - *off;
  o->payload = data + *off;
  *off += o->len;
  return 1;
}

static rmt_remote_id remote_of(const side *s, unsigned sel) {
  if (sel >= 0xf0) return sel - 0xf0 + 1;
  if (sel >= 0xe8) return FUZZ_REMOTE_FIRST + (sel - 0xe8); /* client: added by the input */
  return s->ids[sel % NREM];
}

static int kind_of(const side *s, rmt_remote_id id) {
  for (size_t i = 0; i < NREM; i++)
    if (s->ids[i] == id) return (int)remote_kinds[i];
  return RMT_REMOTE_EVENT;
}

static void put_msg(rmt_buf *b, rmt_msg_kind kind, uint32_t id, const uint32_t *fields,
                    size_t nfields, const uint8_t *body, size_t len) {
  b->len = 0;
  if (rmt__msg_put(b, kind, id, fields, nfields, body, len) != RMT_OK) b->len = 0;
}

/* Encodes a tree built from the payload; 0 when it cannot be encoded (beyond the limits). */
static int encode_tree(const op *o, const rmt_player_id *players, size_t nplayers,
                       rmt_buf *out) {
  rmt_value *args;
  size_t n = build_args(&tr, o->payload, o->len, players, nplayers, &args);
  rmt_limits lim;
  rmt_limits_default(&lim);
  lim.max_args = RMT_LUA_MAX_ARGS + 8; /* a few past what the receiver takes */
  lim.max_depth = 40;
  rmt_value *norm = NULL;
  rmt_error err;
  out->len = 0;
  if (rmt_values_normalize(args, n, RMT_CONVERT_LOSSY, &lim, NULL, NULL, NULL, &norm, &err))
    return 0;
  int rc = rmt_encode(out, norm, n, &lim, &err);
  rmt_values_free(norm, NULL);
  return rc == RMT_OK;
}

/* Fires a tree into a remote's event signal: what the engine does after decoding. */
static void fire_tree(rmt_signal *sig, const op *o, const rmt_player_id *players,
                      size_t nplayers, int player_first) {
  rmt_value *args;
  if (!sig) return;
  size_t n = build_args(&tr, o->payload, o->len, players, nplayers, &args);
  /* the server's listeners always get the sending player first */
  if (player_first && n && players && nplayers) args[0] = rmt_player_ref(players[0]);
  rmt_signal_fire(sig, args, n);
}

/* Builds the message of a remote op into b (b->len = 0: nothing to send). */
static void build_remote_op(const side *s, const op *o, uint32_t call_base,
                            const rmt_player_id *players, size_t nplayers, rmt_buf *b,
                            int *channel) {
  rmt_remote_id id = remote_of(s, o->sel);
  uint32_t fields[2];
  rmt_buf enc = {0};
  *channel = RMT_CHANNEL_RELIABLE;
  b->len = 0;
  switch (o->code) {
  case 0:
  case 1:
    *channel = o->code;
    put_msg(b, RMT_MSG_EVENT, id, NULL, 0, o->payload, o->len);
    break;
  case 2:
    fields[0] = o->arg;
    fields[1] = 0;
    put_msg(b, RMT_MSG_INVOKE, id, fields, 2, o->payload, o->len);
    break;
  case 3:
    fields[0] = call_base + o->arg % 3;
    put_msg(b, RMT_MSG_RESULT, s->ids[2], fields, 1, o->payload, o->len);
    break;
  case 4:
    fields[0] = call_base + o->arg % 3;
    fields[1] = o->sel;
    put_msg(b, RMT_MSG_ERROR, s->ids[2], fields, 2, o->payload, o->len);
    break;
  case 5:
    *channel = o->arg & 1;
    rmt_buf_append(b, o->payload, o->len);
    break;
  case 7:
    if (encode_tree(o, players, nplayers, &enc)) {
      *channel = kind_of(s, id) == RMT_UNRELIABLE_REMOTE_EVENT ? RMT_CHANNEL_UNRELIABLE
                                                               : RMT_CHANNEL_RELIABLE;
      put_msg(b, RMT_MSG_EVENT, id, NULL, 0, enc.data, enc.len);
    }
    break;
  case 8:
    if (encode_tree(o, players, nplayers, &enc)) {
      fields[0] = o->arg;
      fields[1] = 0;
      put_msg(b, RMT_MSG_INVOKE, id, fields, 2, enc.data, enc.len);
    }
    break;
  case 9:
    if (encode_tree(o, players, nplayers, &enc)) {
      fields[0] = call_base + o->arg % 3;
      put_msg(b, RMT_MSG_RESULT, s->ids[2], fields, 1, enc.data, enc.len);
    }
    break;
  default: break;
  }
  rmt_buf_free(&enc);
}

/* ---- setup ---- */

static void setup_server(void) {
  rmt_server_config sc;
  rmt_error err;
  srv.host = make_host(RMT_HOST_SERVER, &srv);
  rmt_server_config_default(&sc);
  sc.port = 0;
  sc.alloc = &engine_alloc;
  sc.log = quiet_log;
  rmt_host_server_config(srv.host, &sc);
  server = rmt_server_create(&sc, &err);
  if (!server || rmt_host_attach_server(srv.host, server) != 0) {
    fprintf(stderr, "fuzz_host: server: %s\n", err.message);
    abort();
  }
  if (rmt_host_run_string(srv.host, SERVER_PLACE, "server.lua") != 0) abort();
  step_frames(&srv, 2);
  for (size_t i = 0; i < NREM; i++) {
    srv.ids[i] = rmt_server_remote_find(server, remote_names[i]);
    if (!srv.ids[i]) {
      fprintf(stderr, "fuzz_host: the server place did not bind %s\n", remote_names[i]);
      abort();
    }
  }
}

static void setup_client(void) {
  rmt_client_config cc;
  rmt_error err;
  cli.host = make_host(RMT_HOST_CLIENT, &cli);
  rmt_client_config_default(&cc);
  cc.port = 9; /* nothing listens: the session is only ever fed */
  cc.name = "Fuzz";
  cc.linger_ms = 0;
  cc.alloc = &engine_alloc;
  cc.log = quiet_log;
  rmt_host_client_config(cli.host, &cc);
  client = rmt_client_create(&cc, &err);
  if (!client || rmt_host_attach_client(cli.host, client) != 0) {
    fprintf(stderr, "fuzz_host: client: %s\n", err.message);
    abort();
  }
  /* WELCOME: version, player id, user id, name, then the place's remotes */
  rmt_buf body = {0}, msg = {0};
  rmt__put_varint(&body, RMT_PROTOCOL_VERSION);
  rmt__put_varint(&body, LOCAL_PLAYER);
  rmt__put_varint(&body, 1001);
  rmt__put_lstr(&body, "Fuzz", 4);
  rmt__put_varint(&body, NREM);
  for (size_t i = 0; i < NREM; i++) {
    cli.ids[i] = (rmt_remote_id)(i + 1);
    rmt__put_varint(&body, cli.ids[i]);
    rmt__put_varint(&body, remote_kinds[i]);
    rmt__put_lstr(&body, remote_names[i], strlen(remote_names[i]));
  }
  put_msg(&msg, RMT_MSG_CONTROL, RMT_CTL_WELCOME, NULL, 0, body.data, body.len);
  rmt_fed_packet p = {msg.data, msg.len, RMT_CHANNEL_RELIABLE};
  rmt__client_feed(client, &p);
  rmt_buf_free(&body);
  rmt_buf_free(&msg);
  if (rmt_client_state(client) != RMT_CLIENT_CONNECTED) {
    fprintf(stderr, "fuzz_host: the fed WELCOME did not open the session\n");
    abort();
  }
  joined j = {LOCAL_PLAYER, "Fuzz"};
  lh_protect(cli.host, joined_body, &j, "players");
  if (rmt_host_run_string(cli.host, CLIENT_PLACE, "client.lua") != 0) abort();
  step_frames(&cli, 2);
}

static void teardown(void) {
  /* destroying a host destroys its engine first */
  if (cli.host) rmt_host_destroy(cli.host);
  if (srv.host) rmt_host_destroy(srv.host);
  cli.host = srv.host = NULL;
  if (live_blocks != 0) {
    fprintf(stderr, "fuzz_host: %zu C blocks still allocated after destroying both hosts\n",
            live_blocks);
    abort();
  }
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  const char *only = getenv("FUZZ_HOST_SIDE");
  verbose = getenv("FUZZ_HOST_VERBOSE") != NULL;
  if (only) forced_side = strcmp(only, "client") == 0;
  setup_server();
  setup_client();
  srv.mem_base = (collect(&srv), srv.host->mem_used);
  cli.mem_base = (collect(&cli), cli.host->mem_used);
  atexit(teardown);
  return 0;
}

/* ---- server inputs ---- */

static const uint8_t hello[] = {
    /* tag (HELLO<<3 | CONTROL), body length, magic "RMT1" LE, the version (one varint byte
     * while it is below 128), name "Fz", no ticket */
    (RMT_CTL_HELLO << 3) | RMT_MSG_CONTROL, 9, 0x31, 0x54, 0x4d, 0x52, RMT_PROTOCOL_VERSION, 2,
    'F', 'z', 0};

#define MAX_PACKETS 64

typedef struct server_input {
  op tree_ops[MAX_PACKETS];
  size_t ntree, next_tree;
} server_input;

static server_input sin_;

/* The hook remote's listener: runs the next tree op while the fed player is connected. */
static void on_hook(void *ud, const rmt_value *args, size_t nargs) {
  (void)ud;
  (void)nargs;
  if (sin_.next_tree >= sin_.ntree || !args || args[0].type != RMT_TPLAYER) return;
  const op *o = &sin_.tree_ops[sin_.next_tree++];
  rmt_player_id players[2] = {args[0].as.player, args[0].as.player + 1};
  fed_player = args[0].as.player;
  fire_tree(rmt_server_remote_signal(server, remote_of(&srv, o->sel)), o, players, 2, 1);
}

static void server_input_run(const uint8_t *data, size_t size) {
  static rmt_buf bufs[MAX_PACKETS];
  rmt_fed_packet packets[MAX_PACKETS];
  size_t n = 0, off = 0;
  op o;
  /* the next feed's player: ids are handed out in order */
  uint32_t call_base = (uint32_t)read_shared(&srv, "calls") + 1;
  rmt_player_id players[2] = {fed_player + 1, fed_player};
  static const uint8_t empty_args[] = {0x90};
  if (!hook_id) {
    rmt_server_remote_create(server, "FuzzHook", RMT_REMOTE_EVENT, &hook_id, NULL);
    rmt_signal_connect(rmt_server_remote_signal(server, hook_id), on_hook, NULL);
  }
  sin_.ntree = sin_.next_tree = 0;
  packets[n++] = (rmt_fed_packet){hello, sizeof hello, RMT_CHANNEL_RELIABLE};
  while (n < MAX_PACKETS && next_op(data, size, &off, &o)) {
    rmt_buf *b = &bufs[n];
    int channel = RMT_CHANNEL_RELIABLE;
    if (o.code == 6) { /* tree into the signal: through the hook, in order */
      sin_.tree_ops[sin_.ntree++] = o;
      put_msg(b, RMT_MSG_EVENT, hook_id, NULL, 0, empty_args, sizeof empty_args);
    } else if (o.code >= 10) { /* client-only ops: a BYE or a raw control message */
      uint32_t ctl = o.code == 10 ? RMT_CTL_BYE : o.sel % 12;
      put_msg(b, RMT_MSG_CONTROL, ctl, NULL, 0, o.payload, o.len);
    } else {
      build_remote_op(&srv, &o, call_base, players, 2, b, &channel);
    }
    packets[n++] = (rmt_fed_packet){b->data, b->len, channel};
  }
  rmt__server_feed(server, packets, n);
  if (!sin_.next_tree) fed_player = players[0]; /* else the hook saw the real id */
  step_frames(&srv, 3);
  check_alive(&srv);
}

/* ---- client inputs ---- */

static void feed_client(const rmt_buf *b, int channel) {
  if (!b->len) return;
  rmt_fed_packet p = {b->data, b->len, channel};
  rmt__client_feed(client, &p);
}

static void client_input_run(const uint8_t *data, size_t size) {
  rmt_buf b = {0}, body = {0};
  size_t off = 0;
  op o;
  unsigned added_players = 0, added_remotes = 0;
  uint32_t call_base = (uint32_t)read_shared(&cli, "calls");
  rmt_player_id players[1 + FUZZ_PLAYERS];
  size_t nplayers = 1;
  players[0] = LOCAL_PLAYER;
  while (next_op(data, size, &off, &o)) {
    int channel = RMT_CHANNEL_RELIABLE;
    b.len = body.len = 0;
    if (o.code == 6) {
      fire_tree(rmt_client_remote_signal(client, remote_of(&cli, o.sel)), &o, players, nplayers,
                0);
    } else if (o.code == 10) {
      unsigned idx = o.sel % FUZZ_PLAYERS;
      rmt_player_id id = FUZZ_PLAYER_FIRST + idx;
      if (o.arg & 1) {
        rmt__put_varint(&body, id);
        put_msg(&b, RMT_MSG_CONTROL, RMT_CTL_PLAYER_REMOVED, NULL, 0, body.data, body.len);
      } else {
        size_t len = o.len > 63 ? 63 : o.len;
        rmt__put_varint(&body, id);
        rmt__put_varint(&body, (uint64_t)o.arg << 8 | idx);
        rmt__put_lstr(&body, (const char *)o.payload, len);
        put_msg(&b, RMT_MSG_CONTROL, RMT_CTL_PLAYER_ADDED, NULL, 0, body.data, body.len);
        if (!(added_players & 1u << idx)) players[nplayers++] = id;
        added_players |= 1u << idx;
      }
    } else if (o.code == 11) {
      unsigned idx = o.sel % FUZZ_REMOTES;
      rmt_remote_id id = FUZZ_REMOTE_FIRST + idx;
      if (o.arg & 1) {
        rmt__put_varint(&body, id);
        put_msg(&b, RMT_MSG_CONTROL, RMT_CTL_REMOTE_REMOVED, NULL, 0, body.data, body.len);
      } else {
        rmt__put_varint(&body, id);
        rmt__put_varint(&body, 1 + (o.arg >> 1) % 3);
        rmt__put_lstr(&body, (const char *)o.payload, o.len > 200 ? 200 : o.len);
        put_msg(&b, RMT_MSG_CONTROL, RMT_CTL_REMOTE_ADDED, NULL, 0, body.data, body.len);
        added_remotes |= 1u << idx;
      }
    } else {
      build_remote_op(&cli, &o, call_base, players, nplayers, &b, &channel);
    }
    feed_client(&b, channel);
  }
  /* what this input added leaves again, so the next input starts from the same state */
  for (unsigned i = 0; i < FUZZ_PLAYERS; i++) {
    if (!(added_players & 1u << i)) continue;
    body.len = 0;
    rmt__put_varint(&body, FUZZ_PLAYER_FIRST + i);
    put_msg(&b, RMT_MSG_CONTROL, RMT_CTL_PLAYER_REMOVED, NULL, 0, body.data, body.len);
    feed_client(&b, RMT_CHANNEL_RELIABLE);
  }
  for (unsigned i = 0; i < FUZZ_REMOTES; i++) {
    if (!(added_remotes & 1u << i)) continue;
    body.len = 0;
    rmt__put_varint(&body, FUZZ_REMOTE_FIRST + i);
    put_msg(&b, RMT_MSG_CONTROL, RMT_CTL_REMOTE_REMOVED, NULL, 0, body.data, body.len);
    feed_client(&b, RMT_CHANNEL_RELIABLE);
  }
  rmt_buf_free(&b);
  rmt_buf_free(&body);
  step_frames(&cli, 3);
  check_alive(&cli);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!size) return 0;
  if (forced_side >= 0 ? forced_side : data[0] & 1) client_input_run(data + 1, size - 1);
  else server_input_run(data + 1, size - 1);
  return 0;
}
