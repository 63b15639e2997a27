// The send buffer: a ring of bytes the application wrote and the peer has not yet acknowledged.
// Its front is SND.UNA's data; segments are copied out of it straight into a lent tx buffer, so a
// byte is copied once on the way in and once onto the wire. Reads are bounded by the bytes held:
// no offset or length can reach past the data into stale or uninitialised memory.
#pragma once
#include <algorithm>
#include <cstdint>
#include <memory>

#include "core/bytes.h"

namespace mtcpp {

class SendBuffer {
 public:
  explicit SendBuffer(std::uint32_t capacity) : buf_(new std::uint8_t[capacity]), capacity_(capacity) {}

  std::uint32_t size() const { return size_; }
  std::uint32_t capacity() const { return capacity_; }
  std::uint32_t free_space() const { return capacity_ - size_; }

  // Appends as much of data as fits; returns the bytes taken.
  std::uint32_t append(Bytes data) {
    const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(data.size(), free_space()));
    std::uint32_t tail = (head_ + size_) % capacity_;
    const std::uint32_t first = std::min(n, capacity_ - tail);
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
    const std::uint32_t start = (head_ + offset) % capacity_;
    const std::uint32_t first = std::min(len, capacity_ - start);
    std::copy_n(buf_.get() + start, first, out);
    std::copy_n(buf_.get(), len - first, out + first);
    return len;
  }

  // Drops n acknowledged bytes from the front.
  void consume(std::uint32_t n) {
    n = std::min(n, size_);
    head_ = (head_ + n) % capacity_;
    size_ -= n;
  }

  // Changes the capacity, keeping the data (never below the bytes held); returns the new capacity.
  std::uint32_t resize(std::uint32_t capacity) {
    capacity = std::max(capacity, size_);
    if (capacity == capacity_) return capacity_;
    std::unique_ptr<std::uint8_t[]> bigger(new std::uint8_t[capacity]);
    copy_out(0, size_, bigger.get());
    buf_ = std::move(bigger);
    capacity_ = capacity;
    head_ = 0;
    return capacity_;
  }

 private:
  std::unique_ptr<std::uint8_t[]> buf_;
  std::uint32_t capacity_;
  std::uint32_t head_ = 0;
  std::uint32_t size_ = 0;
};

}  // namespace mtcpp
