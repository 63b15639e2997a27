// A hashed timing wheel (Varghese & Lauck) for connection timers: O(1) to arm and cancel, with an
// overflow list for deadlines beyond the wheel's horizon (TIME_WAIT, keepalive). Nodes are
// intrusive, so arming a timer never allocates.
#pragma once
#include <array>
#include <cstdint>

#include "core/time.h"

namespace mtcpp {

struct TimerNode {
  TimerNode* prev = nullptr;
  TimerNode* next = nullptr;
  Instant when = kNever;
  void* owner = nullptr;
  std::uint32_t slot = 0;  // where it is linked; TimerWheel::kSlots for the overflow list
  bool linked() const { return prev != nullptr; }
};

class TimerWheel {
 public:
  static constexpr std::size_t kSlots = 4096;
  static constexpr Duration kTick = std::chrono::milliseconds(1);

  TimerWheel();
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;

  // (Re)arms node for `when`; a node already armed is moved.
  void schedule(TimerNode& node, Instant when);
  void cancel(TimerNode& node);
  // Calls fire(node) for every node due at `now`, unlinked before the call (fire may re-arm).
  template <class Fire>
  void expire(Instant now, Fire&& fire);
  // The earliest armed deadline, or kNever.
  Instant next_deadline() const;
  std::size_t size() const { return size_; }

 private:
  static std::int64_t tick_of(Instant t) { return to_us(t) / kTick.count(); }
  void link(TimerNode& head, TimerNode& node);
  static void unlink(TimerNode& node);
  void mark(std::size_t slot, bool nonempty);
  void pull_in_overflow();
  TimerNode* pop_due(std::size_t slot, Instant now);

  std::array<TimerNode, kSlots> slots_;  // sentinels of circular lists
  std::array<std::uint64_t, kSlots / 64> nonempty_{};
  TimerNode overflow_;
  Instant overflow_min_ = kNever;
  std::int64_t current_tick_ = 0;  // every deadline in a slot is within kSlots ticks of this
  std::size_t size_ = 0;
};

template <class Fire>
void TimerWheel::expire(Instant now, Fire&& fire) {
  const std::int64_t target = tick_of(now);
  if (now >= overflow_min_) pull_in_overflow();
  const std::int64_t last = std::min<std::int64_t>(target, current_tick_ + kSlots - 1);
  for (std::int64_t t = current_tick_; t <= last; ++t) {
    const std::size_t slot = static_cast<std::size_t>(t) % kSlots;
    while (TimerNode* n = pop_due(slot, now)) fire(*n);
  }
  if (target > current_tick_) {
    current_tick_ = target;
    pull_in_overflow();
  }
}

}  // namespace mtcpp
