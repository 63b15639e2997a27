// What mTCP's example applications (epserver, epwget) and mtcpp's tools share: number parsing,
// the cores to run from the command line and the configuration, and the wait for closed
// connections to finish before a context goes away.
#pragma once
#include <mtcp_api.h>

#include <chrono>
#include <optional>
#include <vector>

namespace mtcpp::apps {

// A decimal integer in [lo, hi], the whole text; nothing otherwise.
std::optional<long> parse_long(const char* text, long lo, long hi);

// The cores to use: `one_core` alone when it is set (>= 0), else the first `cores` (0: every
// core of the configuration). Prints why to stderr, prefixed with `program`, and returns nothing
// when the configuration has fewer cores.
std::optional<std::vector<int>> pick_cores(const char* program, int cores, int one_core, const char* cores_flag,
                                           const char* one_core_flag);

// A closed connection lives on until the peer has its data and FIN (a lost one is retransmitted):
// runs the context until no connection is left but TIME_WAIT ones, at most `limit`.
void finish_closing(mctx_t mctx, int ep, std::chrono::seconds limit);

}  // namespace mtcpp::apps
