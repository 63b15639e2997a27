// Connections by 4-tuple: an open-addressing hash table (linear probing, backward-shift
// deletion, so no tombstones), one contiguous array of 24-byte slots kept at most half full.
// A lookup is a hash, a mask and usually one cache line, where std::unordered_map took a modulo
// and a chase through a heap node allocated per connection. The hash is keyed by a secret seed:
// with linear probing, tuples whose home slots line up make one long run that every lookup
// homed in it walks, and a SYN flood chooses its tuples.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace mtcpp {

struct Tcb;
struct TimeWaitRecord;

// A connection's 4-tuple packed: local and remote address, local and remote port.
struct FlowKey {
  std::uint64_t addrs = 0;
  std::uint32_t ports = 0;
  friend bool operator==(const FlowKey&, const FlowKey&) = default;
};

// Maps a 4-tuple to a T*: a connection block, or a TIME_WAIT record (core/tcp/time_wait.h).
template <class T>
class BasicFlowTable {
 public:
  explicit BasicFlowTable(std::uint64_t seed = 0) : slots_(kMinCapacity), seed_(seed) {}

  T* find(const FlowKey& key) const {
    for (std::size_t i = home(key);; i = (i + 1) & mask()) {
      const Slot& s = slots_[i];
      if (s.tcb == nullptr) return nullptr;
      if (s.key == key) return s.tcb;
    }
  }
  bool contains(const FlowKey& key) const { return find(key) != nullptr; }
  // Asks for key's home slot ahead of a lookup that will need it: in a large table it is a cache
  // miss, and this lets it overlap other work.
  void prefetch(const FlowKey& key) const { __builtin_prefetch(&slots_[home(key)]); }
  std::size_t size() const { return size_; }

  // Maps key to tcb (not null), replacing what it mapped to.
  void insert_or_assign(const FlowKey& key, T* tcb) {
    if (2 * (size_ + 1) > slots_.size()) grow(2 * slots_.size());
    std::size_t i = home(key);
    for (; slots_[i].tcb != nullptr; i = (i + 1) & mask()) {
      if (slots_[i].key == key) {
        slots_[i].tcb = tcb;
        return;
      }
    }
    slots_[i] = Slot{key, tcb};
    ++size_;
  }

  // Removes key if it maps to tcb; true when it did.
  bool erase_if_holds(const FlowKey& key, const T* tcb) {
    std::size_t i = home(key);
    for (;; i = (i + 1) & mask()) {
      if (slots_[i].tcb == nullptr) return false;
      if (slots_[i].key == key) break;
    }
    if (slots_[i].tcb != tcb) return false;
    // Backward shift: each later entry of the run moves into the hole unless the hole lies
    // before its home (cyclically), where a lookup would no longer find it.
    for (std::size_t j = (i + 1) & mask(); slots_[j].tcb != nullptr; j = (j + 1) & mask()) {
      const std::size_t h = home(slots_[j].key);
      const bool movable = i <= j ? (h <= i || h > j) : (h <= i && h > j);
      if (movable) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = Slot{};
    --size_;
    return true;
  }

  // Room for n connections without growing.
  void reserve(std::size_t n) {
    std::size_t capacity = slots_.size();
    while (capacity < 2 * n) capacity *= 2;
    if (capacity > slots_.size()) grow(capacity);
  }

  // f(T*) for every entry; the table must not change meanwhile.
  template <class F>
  void for_each(F&& f) const {
    for (const Slot& s : slots_)
      if (s.tcb != nullptr) f(s.tcb);
  }
  // Whether pred(T*) holds for some entry; stops at the first.
  template <class P>
  bool any_of(P&& pred) const {
    for (const Slot& s : slots_)
      if (s.tcb != nullptr && pred(s.tcb)) return true;
    return false;
  }

  // The seeded hash (then murmur3's 64-bit finalizer), whose low bits pick a key's home slot.
  std::uint64_t hash(const FlowKey& k) const {
    std::uint64_t h = (k.addrs ^ seed_) * 0x9e3779b97f4a7c15ull ^ (std::uint64_t{k.ports} + seed_) * 0xc2b2ae3d27d4eb4full;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
  }

 private:
  static constexpr std::size_t kMinCapacity = 64;
  struct Slot {
    FlowKey key;
    T* tcb = nullptr;  // null: empty
  };
  std::size_t mask() const { return slots_.size() - 1; }
  std::size_t home(const FlowKey& k) const { return static_cast<std::size_t>(hash(k)) & mask(); }
  void grow(std::size_t capacity) {
    std::vector<Slot> old(capacity);
    old.swap(slots_);
    for (const Slot& s : old) {
      if (s.tcb == nullptr) continue;
      std::size_t i = home(s.key);
      while (slots_[i].tcb != nullptr) i = (i + 1) & mask();
      slots_[i] = s;
    }
  }

  std::vector<Slot> slots_;  // a power of two in size
  std::size_t size_ = 0;
  std::uint64_t seed_;
};

using FlowTable = BasicFlowTable<Tcb>;
using TimeWaitTable = BasicFlowTable<TimeWaitRecord>;

}  // namespace mtcpp
