// A hierarchical timing wheel (Varghese & Lauck) for connection timers: O(1) to arm and cancel,
// and O(1) per timer to expire whatever its length. Level 1 has a slot per 1 ms tick for the next
// 4.096 s; level 2 a slot per 4.096 s window for the next 4.7 hours, whose entries move down to
// level 1 when their window begins (each at most once); beyond that an overflow list, looked at
// once per window. 60 s TIME_WAIT timers therefore cost nothing per tick. Nodes are intrusive, so
// arming a timer never allocates; occupancy bitmaps find the next deadline without scanning.
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
  std::uint32_t slot = 0;  // where it is linked: level 1, level 2 (+kSlots), or the overflow list
  bool linked() const { return prev != nullptr; }
};

class TimerWheel {
 public:
  static constexpr std::size_t kSlots = 4096;  // per level
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
  // No later than the earliest armed deadline, and never earlier than needed but for a deadline in
  // level 2, where it is the start of its window (one early wake-up moves the window down); kNever
  // when nothing is armed.
  Instant next_deadline() const;
  std::size_t size() const { return size_; }

 private:
  static constexpr std::uint32_t kLevel2 = kSlots;         // node.slot of a level-2 entry: + its slot
  static constexpr std::uint32_t kOverflow = 2 * kSlots;   // node.slot of an overflow entry
  using Bitmap = std::array<std::uint64_t, kSlots / 64>;

  static std::int64_t tick_of(Instant t) { return to_us(t) / kTick.count(); }
  static Instant start_of(std::int64_t tick) { return from_us(tick * kTick.count()); }
  static std::int64_t window_of(std::int64_t tick) { return tick / static_cast<std::int64_t>(kSlots); }
  void link(TimerNode& head, TimerNode& node);
  static void unlink(TimerNode& node);
  static void mark(Bitmap& bits, std::size_t slot, bool nonempty);
  // The first occupied slot of `bits` at or after `from` in circular order, or kSlots.
  static std::size_t first_occupied(const Bitmap& bits, std::size_t from);
  // The tick of the next occupied level-1 slot after current_tick_, or -1.
  std::int64_t next_occupied_tick() const;
  TimerNode* pop_due(std::size_t slot, Instant now);
  // Off its level-1 slot: the memo goes if it named this node's deadline.
  void unlink_level1(TimerNode& node);
  // The earliest deadline in a level-1 slot, from the memo or by walking the slot (and
  // remembering the answer).
  Instant earliest_in(std::size_t slot) const;
  // current_tick_ has just entered a window: its level-2 entries, and overflow entries now within
  // reach, move down.
  void enter_window();
  // A jump past everything the two levels can hold (a first call after a long idle, a clock that
  // starts at the epoch): every entry on them is due; they and the overflow list are placed anew
  // from `target`, so no window is walked one by one.
  void jump_to(std::int64_t target);

  std::array<TimerNode, kSlots> level1_;  // sentinels of circular lists, one per tick
  std::array<TimerNode, kSlots> level2_;  // one per window of kSlots ticks
  Bitmap occupied1_{};
  Bitmap occupied2_{};
  TimerNode overflow_;
  Instant overflow_min_ = kNever;
  std::int64_t current_tick_ = 0;  // level 1 holds ticks [current_tick_, current_tick_ + kSlots)
  std::size_t size_ = 0;
  // A memo of one level-1 slot's earliest deadline: the first occupied slot can hold the timers
  // of hundreds of connections (all armed within one tick), and next_deadline() runs on every
  // poll. Exact while memo_slot_ names a slot: links lower it, unlinking its node clears it.
  mutable std::size_t memo_slot_ = kSlots;  // kSlots: nothing remembered
  mutable Instant memo_when_ = kNever;
};

template <class Fire>
void TimerWheel::expire(Instant now, Fire&& fire) {
  const std::int64_t target = tick_of(now);
  if (window_of(target) - window_of(current_tick_) >= static_cast<std::int64_t>(kSlots)) jump_to(target);
  for (;;) {
    while (TimerNode* n = pop_due(static_cast<std::size_t>(current_tick_) % kSlots, now)) fire(*n);
    if (current_tick_ >= target) return;
    // On to the next tick that can hold something: an occupied slot or the next window's start
    // (where level 2 moves down), no further than target.
    const std::int64_t next_window = (window_of(current_tick_) + 1) * static_cast<std::int64_t>(kSlots);
    std::int64_t next = std::min(target, next_window);
    if (const std::int64_t occupied = next_occupied_tick(); occupied >= 0) next = std::min(next, occupied);
    current_tick_ = next;
    if (current_tick_ == next_window) enter_window();
  }
}

}  // namespace mtcpp
