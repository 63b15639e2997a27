// Time as the core sees it: a value its caller passes in, never a clock it reads.
// The tag clock below has no now(); DPDK, ns-3, a pcap file or a test decide what "now" is.
#pragma once
#include <chrono>
#include <cstdint>

namespace mtcpp {

struct StackClock {
  using rep = std::int64_t;
  using period = std::micro;
  using duration = std::chrono::duration<rep, period>;
  using time_point = std::chrono::time_point<StackClock>;
  static constexpr bool is_steady = true;
};

using Duration = StackClock::duration;
using Instant = StackClock::time_point;

inline constexpr Instant kNever = Instant::max();

constexpr std::int64_t to_us(Instant t) { return t.time_since_epoch().count(); }
constexpr Instant from_us(std::int64_t us) { return Instant(Duration(us)); }

}  // namespace mtcpp
