// The send buffer: a ring of bytes the application wrote and the peer has not yet acknowledged.
// Its front is SND.UNA's data; segments are copied out of it straight into a lent tx buffer, so a
// byte is copied once on the way in and once onto the wire. Reads are bounded by the bytes held:
// no offset or length can reach past the data into stale or uninitialised memory.
//
// Memory is taken as data queues, not when the connection opens: `capacity` is a limit (SO_SNDBUF),
// the ring itself grows in powers of two from kMinStorage as writes need it, and is given back by
// release_if_empty once every byte has been acknowledged (the TCP layer waits for the connection
// to idle first, so a transfer does not free and regrow it between writes). Every change of the
// ring's size goes through the stack's BufferMemory, which may hold growth back (its budget).
#pragma once
#include <algorithm>
#include <bit>
#include <cstdint>
#include <memory>

#include "core/bytes.h"
#include "core/tcp/buffer_memory.h"

namespace mtcpp {

class SendBuffer {
 public:
  static constexpr std::uint32_t kMinStorage = BufferMemory::kMinRing;

  explicit SendBuffer(std::uint32_t capacity) : capacity_(capacity) {}

  std::uint32_t size() const { return size_; }
  std::uint32_t capacity() const { return capacity_; }
  // Bytes a write may add now: within the limit, and within what the memory budget lets the ring
  // grow to.
  std::uint32_t free_space(const BufferMemory& mem) const {
    const std::uint32_t most = std::min(capacity_, mem.grant(storage_, capacity_));
    return most > size_ ? most - size_ : 0;
  }
  // Bytes of memory the ring holds now.
  std::uint32_t storage() const { return storage_; }

  // Appends as much of data as fits; returns the bytes taken.
  std::uint32_t append(Bytes data, BufferMemory& mem) {
    const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(data.size(), free_space(mem)));
    if (n == 0) return 0;
    if (size_ + n > storage_) grow(size_ + n, mem);
    const std::uint32_t tail = (head_ + size_) % storage_;
    const std::uint32_t first = std::min(n, storage_ - tail);
    std::copy_n(data.data(), first, buf_.get() + tail);
    std::copy_n(data.data() + first, n - first, buf_.get());
    size_ += n;
    return n;
  }

  // Bytes held from `offset` past the front to the end of the data (0 past the end).
  std::uint32_t available(std::uint32_t offset) const { return offset < size_ ? size_ - offset : 0; }

  // Copies up to len bytes starting `offset` bytes past the front into out, never past the data;
  // returns the bytes copied.
  std::uint32_t copy_out(std::uint32_t offset, std::uint32_t len, std::uint8_t* out) const {
    len = std::min(len, available(offset));
    if (len == 0) return 0;
    const std::uint32_t start = (head_ + offset) % storage_;
    const std::uint32_t first = std::min(len, storage_ - start);
    std::copy_n(buf_.get() + start, first, out);
    std::copy_n(buf_.get(), len - first, out + first);
    return len;
  }

  // Drops n acknowledged bytes from the front.
  void consume(std::uint32_t n) {
    n = std::min(n, size_);
    if (n == 0) return;
    size_ -= n;
    head_ = (head_ + n) % storage_;
  }

  // Nothing held: the memory goes.
  void release_if_empty(BufferMemory& mem) {
    if (size_ == 0) move_to(0, mem);
  }
  // The connection is going: the memory goes, data or not.
  void release(BufferMemory& mem) {
    size_ = 0;
    move_to(0, mem);
  }

  // Changes the limit, keeping the data (never below the bytes held); returns the new limit.
  std::uint32_t resize(std::uint32_t capacity, BufferMemory& mem) {
    capacity_ = std::max(capacity, size_);
    if (storage_ > capacity_) move_to(capacity_, mem);
    return capacity_;
  }

 private:
  // Powers of two up to the limit, as far as the budget allows (free_space promised `needed`).
  void grow(std::uint32_t needed, BufferMemory& mem) {
    const std::uint64_t doubled = std::bit_ceil(std::uint64_t{std::max(needed, kMinStorage)});
    const auto wanted = static_cast<std::uint32_t>(std::max<std::uint64_t>(needed, std::min<std::uint64_t>(doubled, capacity_)));
    move_to(std::max(needed, mem.grant(storage_, wanted)), mem);
  }
  // A ring of exactly `bytes` (>= size_) holding the data from its start; 0 frees it.
  void move_to(std::uint32_t bytes, BufferMemory& mem) {
    std::unique_ptr<std::uint8_t[]> ring = mem.take(bytes);
    if (ring != nullptr) copy_out(0, size_, ring.get());
    mem.give(std::move(buf_), storage_);
    buf_ = std::move(ring);
    mem.resized(storage_, bytes);
    storage_ = bytes;
    head_ = 0;
  }

  std::unique_ptr<std::uint8_t[]> buf_;
  std::uint32_t storage_ = 0;  // bytes at buf_
  std::uint32_t capacity_;
  std::uint32_t head_ = 0;
  std::uint32_t size_ = 0;
};

}  // namespace mtcpp
