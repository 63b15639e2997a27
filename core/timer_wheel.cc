#include "core/timer_wheel.h"

#include <algorithm>
#include <bit>

namespace mtcpp {

namespace {
void make_empty(TimerNode& head) { head.prev = head.next = &head; }
bool empty(const TimerNode& head) { return head.next == &head; }
}  // namespace

TimerWheel::TimerWheel() {
  for (TimerNode& s : level1_) make_empty(s);
  for (TimerNode& s : level2_) make_empty(s);
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

void TimerWheel::mark(Bitmap& bits, std::size_t slot, bool nonempty) {
  const std::uint64_t bit = std::uint64_t{1} << (slot % 64);
  if (nonempty) bits[slot / 64] |= bit;
  else bits[slot / 64] &= ~bit;
}

void TimerWheel::schedule(TimerNode& node, Instant when) {
  // A deadline already past goes in the current slot so the next expire() fires it.
  const std::int64_t tick = std::max(tick_of(when), current_tick_);
  const bool in_level1 = tick < current_tick_ + static_cast<std::int64_t>(kSlots);
  // Moved within its tick (a retransmission timer pushed back by an ACK microseconds later, the
  // usual case): the slot stays right, only the time changes.
  if (in_level1 && node.linked() && node.slot == static_cast<std::size_t>(tick) % kSlots) {
    if (node.slot == memo_slot_) {
      if (node.when == memo_when_ && when > node.when) memo_slot_ = kSlots;  // it may have been the earliest
      else memo_when_ = std::min(memo_when_, when);
    }
    node.when = when;
    return;
  }
  if (node.linked()) cancel(node);
  node.when = when;
  ++size_;
  if (in_level1) {
    const std::size_t slot = static_cast<std::size_t>(tick) % kSlots;
    node.slot = static_cast<std::uint32_t>(slot);
    link(level1_[slot], node);
    mark(occupied1_, slot, true);
    if (slot == memo_slot_) memo_when_ = std::min(memo_when_, when);
    return;
  }
  const std::int64_t window = window_of(tick);
  if (window - window_of(current_tick_) < static_cast<std::int64_t>(kSlots)) {
    const std::size_t slot = static_cast<std::size_t>(window) % kSlots;
    node.slot = kLevel2 + static_cast<std::uint32_t>(slot);
    link(level2_[slot], node);
    mark(occupied2_, slot, true);
    return;
  }
  node.slot = kOverflow;
  link(overflow_, node);
  overflow_min_ = std::min(overflow_min_, when);
}

void TimerWheel::cancel(TimerNode& node) {
  if (!node.linked()) return;
  --size_;
  if (node.slot < kLevel2) return unlink_level1(node);
  unlink(node);
  if (node.slot < kOverflow) {
    const std::size_t slot = node.slot - kLevel2;
    if (empty(level2_[slot])) mark(occupied2_, slot, false);
  }
  // overflow_min_ may now be early; that only costs one early look at the overflow list.
}

void TimerWheel::unlink_level1(TimerNode& node) {
  const std::size_t slot = node.slot;
  if (slot == memo_slot_ && node.when == memo_when_) memo_slot_ = kSlots;
  unlink(node);
  if (empty(level1_[slot])) mark(occupied1_, slot, false);
}

Instant TimerWheel::earliest_in(std::size_t slot) const {
  if (slot == memo_slot_) return memo_when_;
  Instant earliest = kNever;
  for (const TimerNode* n = level1_[slot].next; n != &level1_[slot]; n = n->next) earliest = std::min(earliest, n->when);
  memo_slot_ = slot;
  memo_when_ = earliest;
  return earliest;
}

TimerNode* TimerWheel::pop_due(std::size_t slot, Instant now) {
  TimerNode& head = level1_[slot];
  for (TimerNode* n = head.next; n != &head; n = n->next) {
    if (n->when <= now) {
      unlink_level1(*n);
      --size_;
      return n;
    }
  }
  return nullptr;
}

void TimerWheel::enter_window() {
  const std::int64_t window = window_of(current_tick_);
  TimerNode& bucket = level2_[static_cast<std::size_t>(window) % kSlots];
  while (!empty(bucket)) {  // every entry here is of this window: it now fits level 1
    TimerNode& n = *bucket.next;
    unlink(n);
    --size_;
    schedule(n, n.when);
  }
  mark(occupied2_, static_cast<std::size_t>(window) % kSlots, false);
  if (overflow_min_ == kNever || window_of(tick_of(overflow_min_)) - window >= static_cast<std::int64_t>(kSlots))
    return;
  overflow_min_ = kNever;
  for (TimerNode* n = overflow_.next; n != &overflow_;) {
    TimerNode* next = n->next;
    unlink(*n);
    --size_;
    schedule(*n, n->when);  // within reach now, or back on the list (setting overflow_min_)
    n = next;
  }
}

void TimerWheel::jump_to(std::int64_t target) {
  TimerNode moved;  // every node, off the wheel, then placed anew from target
  make_empty(moved);
  const auto take_all = [&](TimerNode& head) {
    while (!empty(head)) {
      TimerNode& n = *head.next;
      unlink(n);
      link(moved, n);
    }
  };
  for (TimerNode& s : level1_) take_all(s);
  for (TimerNode& s : level2_) take_all(s);
  take_all(overflow_);
  occupied1_ = {};
  occupied2_ = {};
  memo_slot_ = kSlots;
  overflow_min_ = kNever;
  current_tick_ = target;
  while (!empty(moved)) {
    TimerNode& n = *moved.next;
    unlink(n);
    --size_;
    schedule(n, n.when);  // a due one lands in the current slot
  }
}

std::size_t TimerWheel::first_occupied(const Bitmap& bits, std::size_t from) {
  constexpr std::size_t words = kSlots / 64;
  for (std::size_t i = 0; i <= words; ++i) {
    const std::size_t word = (from / 64 + i) % words;
    std::uint64_t w = bits[word];
    if (i == 0) w &= ~std::uint64_t{0} << (from % 64);              // at or after `from`
    if (i == words) w &= (std::uint64_t{1} << (from % 64)) - 1;     // wrapped, before `from`
    if (w != 0) return word * 64 + static_cast<std::size_t>(std::countr_zero(w));
  }
  return kSlots;
}

std::int64_t TimerWheel::next_occupied_tick() const {
  const std::size_t from = static_cast<std::size_t>(current_tick_ + 1) % kSlots;
  const std::size_t slot = first_occupied(occupied1_, from);
  if (slot == kSlots) return -1;
  // Level 1 holds one revolution from current_tick_: the slot's distance ahead is its tick's.
  const std::size_t ahead = (slot + kSlots - static_cast<std::size_t>(current_tick_) % kSlots) % kSlots;
  return ahead == 0 ? -1 : current_tick_ + static_cast<std::int64_t>(ahead);
}

Instant TimerWheel::next_deadline() const {
  Instant best = overflow_min_;
  // Level 1: the first occupied slot from the current tick holds its earliest deadlines.
  const std::size_t slot = first_occupied(occupied1_, static_cast<std::size_t>(current_tick_) % kSlots);
  if (slot != kSlots) best = std::min(best, earliest_in(slot));
  // Level 2: the start of the first occupied window, when its entries move down. Level 1 reaches
  // into the next window too, so an entry waiting there can be earlier than level 1's first; one
  // before the next window starts cannot be beaten.
  const std::int64_t window = window_of(current_tick_);
  if (best < start_of((window + 1) * static_cast<std::int64_t>(kSlots))) return best;
  const std::size_t bucket = first_occupied(occupied2_, static_cast<std::size_t>(window + 1) % kSlots);
  if (bucket != kSlots) {
    const std::size_t ahead = (bucket + kSlots - static_cast<std::size_t>(window) % kSlots) % kSlots;
    best = std::min(best, start_of((window + static_cast<std::int64_t>(ahead)) * static_cast<std::int64_t>(kSlots)));
  }
  return best;
}

}  // namespace mtcpp
