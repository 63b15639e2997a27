// The memory one stack's socket buffers hold, against its budget (TcpConfig::buffer_memory_limit).
// Every ring reports each change of its size here, so the figure is exact, not estimated.
//
// Past the budget a ring grows no further: a writer finds its buffer full (EAGAIN, or a blocking
// write waits for its own data to be acknowledged) and a receiver advertises only what its ring
// can hold. Each ring may still reach kMinRing whatever the budget says, so every connection keeps
// moving however many there are (as Linux guarantees tcp_rmem[0] and tcp_wmem[0] under memory
// pressure): the most the budget can be passed by is kMinRing per ring (a receive ring whose
// window is scaled by 2^s is granted two units, 2^(s+1) bytes, if that is more: a smaller ring
// would always show a zero window).
//
// It also lends the rings' memory: a ring of kMinRing bytes (every short connection's) comes from
// a short list of blocks recently given back, still warm in cache, instead of from malloc, whose
// small caches four rings per connection pair keep emptying; other sizes come from the heap.
#pragma once
#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

namespace mtcpp {

class BufferMemory {
 public:
  // The smallest ring, always granted; small enough to come from the allocator's thread cache.
  static constexpr std::uint32_t kMinRing = 512;

  // Blocks of kMinRing bytes kept for reuse: enough for 64 short connections' four rings.
  static constexpr std::size_t kSpareRings = 256;

  // limit 0: no budget. `in_use` is where the figure lives (a stack's counters).
  BufferMemory(std::uint64_t limit, std::uint64_t& in_use) : limit_(limit), in_use_(in_use) {
    spare_.reserve(kSpareRings);
  }
  BufferMemory(const BufferMemory&) = delete;
  BufferMemory& operator=(const BufferMemory&) = delete;

  // A ring of `bytes` (none for 0); its contents are unspecified. It may be freed with delete[]
  // like any other, or handed back with give().
  std::unique_ptr<std::uint8_t[]> take(std::uint32_t bytes) {
    if (bytes == 0) return nullptr;
    if (bytes == kMinRing && !spare_.empty()) {
      std::unique_ptr<std::uint8_t[]> ring = std::move(spare_.back());
      spare_.pop_back();
      return ring;
    }
    return std::unique_ptr<std::uint8_t[]>(new std::uint8_t[bytes]);
  }
  // A ring of `bytes` from take() that is no longer used.
  void give(std::unique_ptr<std::uint8_t[]> ring, std::uint32_t bytes) {
    if (ring != nullptr && bytes == kMinRing && spare_.size() < kSpareRings) spare_.push_back(std::move(ring));
  }

  // The size a ring of `storage` bytes may grow to when it would like `wanted`: all of it within
  // the budget, else what the budget has left (and `floor` at least).
  std::uint32_t grant(std::uint32_t storage, std::uint32_t wanted, std::uint32_t floor = kMinRing) const {
    if (limit_ == 0 || wanted <= storage) return wanted;
    const std::uint64_t spare = limit_ > in_use_ ? limit_ - in_use_ : 0;
    const std::uint64_t most = std::max<std::uint64_t>(storage + spare, floor);
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(wanted, most));
  }
  // A ring went from `from` to `to` bytes.
  void resized(std::uint32_t from, std::uint32_t to) {
    in_use_ += to;
    in_use_ -= from;
  }
  std::uint64_t in_use() const { return in_use_; }
  std::uint64_t limit() const { return limit_; }

 private:
  std::uint64_t limit_;
  std::uint64_t& in_use_;
  std::vector<std::unique_ptr<std::uint8_t[]>> spare_;  // blocks of kMinRing bytes
};

}  // namespace mtcpp
