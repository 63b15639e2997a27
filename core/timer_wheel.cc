#include "core/timer_wheel.h"

#include <bit>

namespace mtcpp {

namespace {
void make_empty(TimerNode& head) { head.prev = head.next = &head; }
}  // namespace

TimerWheel::TimerWheel() {
  for (TimerNode& s : slots_) make_empty(s);
  make_empty(overflow_);
}

void TimerWheel::link(TimerNode& head, TimerNode& node) {
  node.next = head.next;
  node.prev = &head;
  head.next->prev = &node;
  head.next = &node;
}

void TimerWheel::unlink(TimerNode& node) {
  node.prev->next = node.next;
  node.next->prev = node.prev;
  node.prev = node.next = nullptr;
}

void TimerWheel::mark(std::size_t slot, bool nonempty) {
  const std::uint64_t bit = std::uint64_t{1} << (slot % 64);
  if (nonempty) nonempty_[slot / 64] |= bit;
  else nonempty_[slot / 64] &= ~bit;
}

void TimerWheel::schedule(TimerNode& node, Instant when) {
  if (node.linked()) cancel(node);
  node.when = when;
  ++size_;
  // A deadline already past goes in the current slot so the next expire() fires it.
  const std::int64_t tick = std::max(tick_of(when), current_tick_);
  if (tick >= current_tick_ + static_cast<std::int64_t>(kSlots)) {
    node.slot = kSlots;
    link(overflow_, node);
    overflow_min_ = std::min(overflow_min_, when);
    return;
  }
  const std::size_t slot = static_cast<std::size_t>(tick) % kSlots;
  node.slot = static_cast<std::uint32_t>(slot);
  link(slots_[slot], node);
  mark(slot, true);
}

void TimerWheel::cancel(TimerNode& node) {
  if (!node.linked()) return;
  unlink(node);
  --size_;
  if (node.slot < kSlots && slots_[node.slot].next == &slots_[node.slot]) mark(node.slot, false);
  // overflow_min_ may now be early; that only costs one early wake-up.
}

TimerNode* TimerWheel::pop_due(std::size_t slot, Instant now) {
  TimerNode& head = slots_[slot];
  for (TimerNode* n = head.next; n != &head; n = n->next) {
    if (n->when <= now) {
      unlink(*n);
      --size_;
      if (head.next == &head) mark(slot, false);
      return n;
    }
  }
  return nullptr;
}

void TimerWheel::pull_in_overflow() {
  overflow_min_ = kNever;
  const std::int64_t horizon = current_tick_ + static_cast<std::int64_t>(kSlots);
  for (TimerNode* n = overflow_.next; n != &overflow_;) {
    TimerNode* next = n->next;
    if (tick_of(n->when) < horizon) {
      unlink(*n);
      --size_;
      schedule(*n, n->when);
    } else {
      overflow_min_ = std::min(overflow_min_, n->when);
    }
    n = next;
  }
}

Instant TimerWheel::next_deadline() const {
  Instant best = overflow_min_;
  const std::size_t start = static_cast<std::size_t>(current_tick_) % kSlots;
  const std::size_t words = kSlots / 64;
  // Scan the occupancy bitmap in circular order from the current slot: the first occupied slot
  // holds the earliest deadlines, because every wheel entry lies within one revolution.
  for (std::size_t i = 0; i <= words; ++i) {
    const std::size_t word = (start / 64 + i) % words;
    std::uint64_t bits = nonempty_[word];
    if (i == 0) bits &= ~std::uint64_t{0} << (start % 64);                       // at or after start
    if (i == words) bits &= (std::uint64_t{1} << (start % 64)) - 1;             // wrapped, before start
    if (bits == 0) continue;
    const std::size_t slot = word * 64 + static_cast<std::size_t>(std::countr_zero(bits));
    for (const TimerNode* n = slots_[slot].next; n != &slots_[slot]; n = n->next)
      best = std::min(best, n->when);
    return best;
  }
  return best;
}

}  // namespace mtcpp
