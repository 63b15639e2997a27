// How the C API reports: -1 (or NULL) with errno, from the core's negative errno values.
#pragma once
#include <cerrno>

#include "api/context.h"

namespace mtcpp::api {

inline int fail(int err) {
  errno = err;
  return -1;
}

// A core result (>= 0, or -errno) as the C API returns it.
inline long result(long r) { return r < 0 ? fail(static_cast<int>(-r)) : r; }

// The context for mctx, or nullptr with errno = EINVAL (mTCP's answer to a bad context).
inline Context* context_or_fail(mctx_t mctx) {
  Context* c = context_of(mctx);
  if (c == nullptr) errno = EINVAL;
  return c;
}

}  // namespace mtcpp::api
