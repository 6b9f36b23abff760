/* common.h - internal helpers every module shares: the allocator hook and error filling.
 * Never installed, never included by users; nothing here may abort() on out-of-memory. */
#ifndef RMT_COMMON_H
#define RMT_COMMON_H

#include <stdarg.h>
#include <stddef.h>

#include "remotes.h"

#if defined(__GNUC__)
#define RMT_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#else
#define RMT_PRINTF(fmt_index, first_arg)
#endif

/* Allocation through an optional hook (NULL = malloc/realloc/free). `size`/`osize` must be
 * the size last requested for the pointer (the hook is lua_Alloc style). Zero-size
 * requests return NULL without calling the hook. */
void *rmt__alloc(const rmt_allocator *alloc, size_t size);
void *rmt__realloc(const rmt_allocator *alloc, void *ptr, size_t osize, size_t nsize);
void rmt__free(const rmt_allocator *alloc, void *ptr, size_t size);
/* Copies *given into *keep and returns keep (NULL for NULL = malloc): an object holds its
 * own copy of the hook, so the caller's struct need not outlive create (remotes.h). */
const rmt_allocator *rmt__keep_allocator(rmt_allocator *keep, const rmt_allocator *given);

/* Fills err (nullable) with code and a printf-formatted message (truncated to fit) and
 * returns code, so callers can `return rmt__seterr(err, RMT_EINVAL, "...")`. */
int rmt__seterr(rmt_error *err, int code, const char *fmt, ...) RMT_PRINTF(3, 4);
int rmt__vseterr(rmt_error *err, int code, const char *fmt, va_list ap) RMT_PRINTF(3, 0);
/* Sets err to success (code 0, empty message). */
void rmt__clearerr(rmt_error *err);

#endif /* RMT_COMMON_H */
