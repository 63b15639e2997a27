// A bounded lock-free queue for exactly one producer thread and one consumer thread.
//
// Each slot carries its own sequence number instead of the two sides sharing head and tail
// indices (the FastForward and Vyukov queues work this way): slot i of lap L reads i + L*capacity
// while the producer may fill it and one more once it is filled. The consumer spins on the next
// slot's own cache line, so a value travels between cores with the line it is written in, and
// nothing else crosses: with shared indices a message cost a miss on the index and then another
// on the slot, one after the other (a cross-core miss is about 150 ns on the VMs we run on; a
// cache-line ping-pong between two threads here takes 570-635 ns a round trip). A slot is
// published with a release store of its sequence after its value is written, and read after an
// acquire load of it. Positions only grow (a 64-bit count never wraps in practice) and are masked
// into a power-of-two array.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <utility>

namespace mtcpp {

template <class T>
class SpscRing {
 public:
  explicit SpscRing(std::size_t capacity)
      : slots_(std::make_unique<Slot[]>(checked(capacity))), capacity_(capacity), mask_(capacity - 1) {
    for (std::size_t i = 0; i < capacity; ++i) slots_[i].seq.store(i, std::memory_order_relaxed);
  }
  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  // Producer side. Fills up to `n` free slots in order, `fill(slot, i)` writing the i-th in place,
  // and publishes each as it is filled. Returns how many were filled (fewer when the ring fills).
  template <class Fill>
  std::size_t push_burst(std::size_t n, Fill&& fill) {
    std::size_t k = 0;
    for (; k < n; ++k) {
      Slot& s = slots_[(tail_ + k) & mask_];
      if (s.seq.load(std::memory_order_acquire) != tail_ + k) break;  // the consumer still has it
      fill(s.value, k);
      s.seq.store(tail_ + k + 1, std::memory_order_release);
    }
    tail_ += k;
    return k;
  }
  bool try_push(const T& value) {
    return push_burst(1, [&](T& slot, std::size_t) { slot = value; }) == 1;
  }

  // Consumer side. Reads up to `n` waiting slots oldest first, `use(slot, i)` reading the i-th in
  // place, and frees them. Returns how many were read. Not while slots are lent.
  template <class Use>
  std::size_t pop_burst(std::size_t n, Use&& use) {
    const std::size_t k = lend_burst(n, std::forward<Use>(use));
    free_front(k);
    return k;
  }
  bool try_pop(T& out) {
    return pop_burst(1, [&](T& slot, std::size_t) { out = std::move(slot); }) == 1;
  }

  // Consumer side, in place: lends up to `n` waiting slots that are not lent yet, oldest first,
  // to `use(slot, i)` without freeing them; they stay the consumer's, readable and writable,
  // until free_front() gives them back. The producer cannot reuse a lent slot, so a slot held
  // long holds up the ring.
  template <class Use>
  std::size_t lend_burst(std::size_t n, Use&& use) {
    const std::size_t first = lent_end();
    std::size_t k = 0;
    for (; k < n && filled(first + k); ++k) use(slots_[(first + k) & mask_].value, k);
    lent_ += k;
    return k;
  }
  // Frees the `k` oldest lent slots (k at most the number lent).
  void free_front(std::size_t k) {
    for (std::size_t i = 0; i < k; ++i)
      slots_[(head_ + i) & mask_].seq.store(head_ + i + capacity_, std::memory_order_release);
    head_ += k;
    lent_ -= k;
  }

  // Consumer side: positions freed so far (the next to free is this one), and the position after
  // the last slot lent (the next to lend).
  std::size_t freed() const { return head_; }
  std::size_t lent_end() const { return head_ + lent_; }
  // Consumer side: whether nothing waits, lent or not.
  bool empty() const { return lent_ == 0 && !filled(head_); }
  // Consumer side: whether a slot waits that is not lent yet.
  bool has_unlent() const { return filled(lent_end()); }
  std::size_t capacity() const { return capacity_; }

 private:
  // 64 bytes is the cache line of the x86 and ARM cores we run on. A slot starts a line, so its
  // sequence and the start of its value arrive together, and no two slots share a line.
  static constexpr std::size_t kCacheLine = 64;
  struct alignas(kCacheLine) Slot {
    std::atomic<std::size_t> seq{0};
    T value{};
  };

  static std::size_t checked(std::size_t capacity) {
    if (capacity == 0 || (capacity & (capacity - 1)) != 0) {
      throw std::invalid_argument("SpscRing capacity must be a power of two");
    }
    return capacity;
  }
  // Consumer side: whether the slot at `position` holds a value the producer published.
  bool filled(std::size_t position) const {
    return slots_[position & mask_].seq.load(std::memory_order_acquire) == position + 1;
  }

  std::unique_ptr<Slot[]> slots_;
  std::size_t capacity_;
  std::size_t mask_;
  // Each index is private to one side; apart, so that neither side's writes touch a line the
  // other reads.
  alignas(kCacheLine) std::size_t head_ = 0;  // consumer: next position to read or lend
  std::size_t lent_ = 0;                      // consumer: positions from head_ on that it holds
  alignas(kCacheLine) std::size_t tail_ = 0;  // producer: next position to fill
};

}  // namespace mtcpp
