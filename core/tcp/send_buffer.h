// The send buffer: a ring of bytes the application wrote and the peer has not yet acknowledged.
// Its front is SND.UNA's data; segments are copied out of it straight into a lent tx buffer, so a
// byte is copied once on the way in and once onto the wire. Reads are bounded by the bytes held:
// no offset or length can reach past the data into stale or uninitialised memory.
//
// Memory is taken as data queues, not when the connection opens: `capacity` is a limit (SO_SNDBUF),
// the ring itself grows in powers of two from kMinStorage as writes need it, and is given back by
// release_if_empty once every byte has been acknowledged (the TCP layer waits for the connection
// to idle first, so a transfer does not free and regrow it between writes).
#pragma once
#include <algorithm>
#include <bit>
#include <cstdint>
#include <memory>

#include "core/bytes.h"

namespace mtcpp {

class SendBuffer {
 public:
  // Small enough to come from the allocator's per-thread cache.
  static constexpr std::uint32_t kMinStorage = 512;

  explicit SendBuffer(std::uint32_t capacity) : capacity_(capacity) {}

  std::uint32_t size() const { return size_; }
  std::uint32_t capacity() const { return capacity_; }
  std::uint32_t free_space() const { return capacity_ > size_ ? capacity_ - size_ : 0; }
  // Bytes of memory the ring holds now.
  std::uint32_t storage() const { return storage_; }

  // Appends as much of data as fits; returns the bytes taken.
  std::uint32_t append(Bytes data) {
    const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(data.size(), free_space()));
    if (n == 0) return 0;
    if (size_ + n > storage_) grow(size_ + n);
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
  void release_if_empty() {
    if (size_ == 0) release();
  }

  // Changes the limit, keeping the data (never below the bytes held); returns the new limit.
  std::uint32_t resize(std::uint32_t capacity) {
    capacity_ = std::max(capacity, size_);
    if (storage_ > capacity_) move_to(capacity_);
    return capacity_;
  }

 private:
  void grow(std::uint32_t needed) {
    const std::uint64_t doubled = std::bit_ceil(std::uint64_t{std::max(needed, kMinStorage)});
    move_to(static_cast<std::uint32_t>(std::max<std::uint64_t>(needed, std::min<std::uint64_t>(doubled, capacity_))));
  }
  // A ring of exactly `bytes` (>= size_) holding the data from its start.
  void move_to(std::uint32_t bytes) {
    if (bytes == 0) return release();
    std::unique_ptr<std::uint8_t[]> ring(new std::uint8_t[bytes]);
    copy_out(0, size_, ring.get());
    buf_ = std::move(ring);
    storage_ = bytes;
    head_ = 0;
  }
  void release() {
    buf_.reset();
    storage_ = 0;
    head_ = 0;
  }

  std::unique_ptr<std::uint8_t[]> buf_;
  std::uint32_t storage_ = 0;  // bytes at buf_
  std::uint32_t capacity_;
  std::uint32_t head_ = 0;
  std::uint32_t size_ = 0;
};

}  // namespace mtcpp
