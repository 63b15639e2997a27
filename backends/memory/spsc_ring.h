// A bounded lock-free queue for exactly one producer thread and one consumer thread.
// Indices only grow (a 64-bit count never wraps in practice) and are masked into a power-of-two
// array. Each side publishes its index with a release store and reads the other's with an
// acquire load, so slot contents written before a publish are visible after it. Each side also
// caches the other's index to touch the shared cache line only when its cached view cannot
// satisfy a whole burst, and publishes once per burst.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <stdexcept>
#include <vector>

namespace mtcpp {

template <class T>
class SpscRing {
 public:
  explicit SpscRing(std::size_t capacity) : slots_(checked(capacity)), mask_(capacity - 1) {}
  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  // Producer side. Fills up to `n` free slots in order, `fill(slot, i)` writing the i-th in place,
  // and publishes them with one store: a burst moves the shared index's cache line to the other
  // core once, not once per item. Returns how many were filled (fewer when the ring fills).
  template <class Fill>
  std::size_t push_burst(std::size_t n, Fill&& fill) {
    const std::size_t tail = tail_.load(std::memory_order_relaxed);
    if (slots_.size() - (tail - head_seen_) < n) head_seen_ = head_.load(std::memory_order_acquire);
    const std::size_t k = std::min(n, slots_.size() - (tail - head_seen_));
    for (std::size_t i = 0; i < k; ++i) fill(slots_[(tail + i) & mask_], i);
    if (k > 0) tail_.store(tail + k, std::memory_order_release);
    return k;
  }
  bool try_push(const T& value) {
    return push_burst(1, [&](T& slot, std::size_t) { slot = value; }) == 1;
  }

  // Consumer side. Reads up to `n` waiting slots oldest first, `use(slot, i)` reading the i-th in
  // place, and frees them with one store. Returns how many were read.
  template <class Use>
  std::size_t pop_burst(std::size_t n, Use&& use) {
    const std::size_t head = head_.load(std::memory_order_relaxed);
    if (tail_seen_ - head < n) tail_seen_ = tail_.load(std::memory_order_acquire);
    const std::size_t k = std::min(n, tail_seen_ - head);
    for (std::size_t i = 0; i < k; ++i) use(slots_[(head + i) & mask_], i);
    if (k > 0) head_.store(head + k, std::memory_order_release);
    return k;
  }
  // Consumer side, in place: lends up to `n` waiting slots that are not lent yet, oldest first,
  // to `use(slot, i)` without freeing them; they stay the consumer's, readable and writable,
  // until free_front() gives them back. The producer cannot reuse a lent slot, so a slot held
  // long holds up the ring. Do not mix with pop_burst while slots are lent.
  template <class Use>
  std::size_t lend_burst(std::size_t n, Use&& use) {
    const std::size_t first = head_.load(std::memory_order_relaxed) + lent_;
    if (tail_seen_ - first < n) tail_seen_ = tail_.load(std::memory_order_acquire);
    const std::size_t k = std::min(n, tail_seen_ - first);
    for (std::size_t i = 0; i < k; ++i) use(slots_[(first + i) & mask_], i);
    lent_ += k;
    return k;
  }
  // Frees the `k` oldest lent slots (k at most the number lent) with one store.
  void free_front(std::size_t k) {
    if (k == 0) return;
    lent_ -= k;
    head_.store(head_.load(std::memory_order_relaxed) + k, std::memory_order_release);
  }
  // Consumer side: whether a slot waits that is not lent yet.
  bool has_unlent() const {
    return head_.load(std::memory_order_relaxed) + lent_ != tail_.load(std::memory_order_acquire);
  }

  bool try_pop(T& out) {
    return pop_burst(1, [&](T& slot, std::size_t) { out = std::move(slot); }) == 1;
  }

  // Exact for the consumer (nothing can vanish behind its back), a lower bound otherwise.
  bool empty() const {
    return head_.load(std::memory_order_relaxed) == tail_.load(std::memory_order_acquire);
  }
  std::size_t capacity() const { return slots_.size(); }

 private:
  static std::size_t checked(std::size_t capacity) {
    if (capacity == 0 || (capacity & (capacity - 1)) != 0) {
      throw std::invalid_argument("SpscRing capacity must be a power of two");
    }
    return capacity;
  }

  // 64 bytes is the cache line of the x86 and ARM cores we run on; keeping the two sides' indices
  // apart stops each write from invalidating the other thread's line.
  static constexpr std::size_t kCacheLine = 64;

  std::vector<T> slots_;  // read-only after construction, shared by both sides
  std::size_t mask_;
  alignas(kCacheLine) std::atomic<std::size_t> head_{0};  // next slot to pop; consumer writes
  std::size_t tail_seen_ = 0;                             // consumer's last view of tail_
  std::size_t lent_ = 0;                                  // slots from head_ on that the consumer holds
  alignas(kCacheLine) std::atomic<std::size_t> tail_{0};  // next slot to push; producer writes
  std::size_t head_seen_ = 0;                             // producer's last view of head_
};

}  // namespace mtcpp
