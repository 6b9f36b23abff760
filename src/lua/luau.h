/*
 * luau.h - the Luau -> LuaJIT source translator used before scripts are compiled.
 * It must never change the line a token is on, nor touch input that is already valid Lua.
 */
#ifndef RMT_LUAU_H
#define RMT_LUAU_H

#include <stddef.h>

#include "remotes.h"

struct lua_State;

/* Translates the Luau source src[0..len) (need not be NUL-terminated; NULL reads as empty)
 * into Lua that LuaJIT accepts and appends it to `out` (out->alloc is used for every
 * allocation, also the temporary ones). Every line break of the input is in the output on
 * the same line, and input without Luau-only syntax comes out byte for byte (see the one
 * exception below). Returns 0; RMT_EINVAL on a syntax error, with "line:column: message"
 * written to err[0..errlen) (err may be NULL); RMT_ENOMEM when out of memory. On failure
 * out->len is what it was before the call (its capacity may have grown). The caller owns
 * `out`, `src` and `err`; nothing is retained. */
int rmt__luau_translate(const char *src, size_t len, rmt_buf *out, char *err, size_t errlen);

/* The same with options. RMT_LUAU_KEEP_ITERATION leaves `for k, v in e do` as it is: by
 * default a single iterator expression (other than a call of pairs/ipairs/gmatch/lines) is
 * wrapped in a helper that makes a table iterable as in Luau and passes a function through
 * unchanged: the one edit that touches input LuaJIT already accepts (`for x in f do`,
 * `for x in iter(t) do`); the fuzzer uses this flag to check everything else. */
#define RMT_LUAU_KEEP_ITERATION 1u
/* RMT_LUAU_INTERRUPTS puts `__rmt_chk();` at the top of every loop body and function body
 * and `local __rmt_chk = __rmt_chk;` at the top of the chunk (same line as the chunk's first
 * token), so the host can interrupt a script that never yields even inside code LuaJIT has
 * compiled (src/lua/guard.c). The output then no longer equals valid input. */
#define RMT_LUAU_INTERRUPTS 2u
int rmt__luau_translate_ex(const char *src, size_t len, rmt_buf *out, char *err, size_t errlen,
                           unsigned flags);

/* Lua binding: luau_translate(source [, interrupts]) -> translated source, or nil,
 * "line:col: message", line. Raises only when out of memory. */
int rmt__luau_l_translate(struct lua_State *L);

#endif
