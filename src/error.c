/* error.c - status codes to text, the shared allocator hook wrappers and error filling.
 * Must never allocate while reporting an error, and never abort() on out-of-memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

const char *rmt_strerror(int status) {
  switch (status) {
#define RMT_ERR_MSG_(name, code, msg) \
  case code:                          \
    return msg;
    RMT_ERRNO_MAP(RMT_ERR_MSG_)
#undef RMT_ERR_MSG_
  default:
    return "unknown error";
  }
}

const char *rmt_status_name(int status) {
  switch (status) {
#define RMT_ERR_NAME_(name, code, msg) \
  case code:                           \
    return "RMT_" #name;
    RMT_ERRNO_MAP(RMT_ERR_NAME_)
#undef RMT_ERR_NAME_
  default:
    return "unknown error";
  }
}

void *rmt__alloc(const rmt_allocator *alloc, size_t size) {
  if (size == 0) return NULL;
  if (alloc == NULL || alloc->fn == NULL) return malloc(size);
  return alloc->fn(alloc->ud, NULL, 0, size);
}

void *rmt__realloc(const rmt_allocator *alloc, void *ptr, size_t osize, size_t nsize) {
  if (nsize == 0) {
    rmt__free(alloc, ptr, osize);
    return NULL;
  }
  if (alloc == NULL || alloc->fn == NULL) return realloc(ptr, nsize);
  return alloc->fn(alloc->ud, ptr, ptr ? osize : 0, nsize);
}

const rmt_allocator *rmt__keep_allocator(rmt_allocator *keep, const rmt_allocator *given) {
  if (!given) return NULL;
  *keep = *given;
  return keep;
}

void rmt__free(const rmt_allocator *alloc, void *ptr, size_t size) {
  if (ptr == NULL) return;
  if (alloc == NULL || alloc->fn == NULL) {
    free(ptr);
    return;
  }
  alloc->fn(alloc->ud, ptr, size, 0);
}

int rmt__vseterr(rmt_error *err, int code, const char *fmt, va_list ap) {
  if (err == NULL) return code;
  err->code = code;
  int n = vsnprintf(err->message, sizeof err->message, fmt, ap);
  if (n < 0) err->message[0] = '\0';
  return code;
}

int rmt__seterr(rmt_error *err, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  rmt__vseterr(err, code, fmt, ap);
  va_end(ap);
  return code;
}

void rmt__clearerr(rmt_error *err) {
  if (err == NULL) return;
  err->code = 0;
  err->message[0] = '\0';
}
