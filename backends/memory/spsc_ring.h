// A bounded lock-free queue for exactly one producer thread and one consumer thread.
// Indices only grow (a 64-bit count never wraps in practice) and are masked into a power-of-two
// array. Each side publishes its index with a release store and reads the other's with an
// acquire load, so slot contents written before a publish are visible after it. Each side also
// caches the other's index to touch the shared cache line only when the ring looks full or empty.
#pragma once
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

  // Producer side. `fill(T&)` writes the next slot in place; false when the ring is full.
  template <class Fill>
  bool push_with(Fill&& fill) {
    const std::size_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - head_seen_ == slots_.size()) {
      head_seen_ = head_.load(std::memory_order_acquire);
      if (tail - head_seen_ == slots_.size()) return false;
    }
    fill(slots_[tail & mask_]);
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }
  bool try_push(const T& value) {
    return push_with([&](T& slot) { slot = value; });
  }

  // Consumer side. `use(T&)` reads the oldest slot in place; false when the ring is empty.
  template <class Use>
  bool pop_with(Use&& use) {
    const std::size_t head = head_.load(std::memory_order_relaxed);
    if (head == tail_seen_) {
      tail_seen_ = tail_.load(std::memory_order_acquire);
      if (head == tail_seen_) return false;
    }
    use(slots_[head & mask_]);
    head_.store(head + 1, std::memory_order_release);
    return true;
  }
  bool try_pop(T& out) {
    return pop_with([&](T& slot) { out = std::move(slot); });
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
  alignas(kCacheLine) std::atomic<std::size_t> tail_{0};  // next slot to push; producer writes
  std::size_t head_seen_ = 0;                             // producer's last view of head_
};

}  // namespace mtcpp
