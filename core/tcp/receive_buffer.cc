#include "core/tcp/receive_buffer.h"

#include <algorithm>

namespace mtcpp {

ReceiveBuffer::ReceiveBuffer(std::uint32_t capacity)
    : buf_(new std::uint8_t[capacity]), capacity_(capacity) {}

void ReceiveBuffer::copy_in(std::uint32_t offset, Bytes data) {
  const std::uint32_t start = (head_ + readable_ + offset) % capacity_;
  const auto len = static_cast<std::uint32_t>(data.size());
  const std::uint32_t first = std::min(len, capacity_ - start);
  std::copy_n(data.data(), first, buf_.get() + start);
  std::copy_n(data.data() + first, len - first, buf_.get());
}

std::uint32_t ReceiveBuffer::insert(std::uint32_t offset, Bytes data) {
  if (offset >= window() || data.empty()) return 0;
  const auto len = static_cast<std::uint32_t>(std::min<std::size_t>(data.size(), window() - offset));
  Range r{offset, offset + len};

  // Merge with every range it overlaps or touches; find where it goes.
  std::size_t first = 0;
  while (first < range_count_ && ranges_[first].end < r.begin) ++first;
  std::size_t last = first;
  while (last < range_count_ && ranges_[last].begin <= r.end) {
    r.begin = std::min(r.begin, ranges_[last].begin);
    r.end = std::max(r.end, ranges_[last].end);
    ++last;
  }
  const std::size_t merged = last - first;
  // A new hole needs a free range; data at RCV.NXT never does (§3.10.7.4, seventh step).
  if (merged == 0 && range_count_ == kMaxRanges && r.begin != 0) return 0;
  copy_in(offset, data.first(len));
  if (merged == 0 && r.begin == 0) {
    // In order, touching nothing held: readable at once, every held range moves down.
    readable_ += r.end;
    for (std::size_t i = 0; i < range_count_; ++i) {
      ranges_[i].begin -= r.end;
      ranges_[i].end -= r.end;
    }
    return r.end;
  }
  // Replace ranges [first, last) by r.
  if (merged == 0) {
    std::copy_backward(ranges_.begin() + first, ranges_.begin() + range_count_, ranges_.begin() + range_count_ + 1);
    std::copy_backward(changed_.begin() + first, changed_.begin() + range_count_, changed_.begin() + range_count_ + 1);
    ++range_count_;
  } else if (merged > 1) {
    std::copy(ranges_.begin() + last, ranges_.begin() + range_count_, ranges_.begin() + first + 1);
    std::copy(changed_.begin() + last, changed_.begin() + range_count_, changed_.begin() + first + 1);
    range_count_ -= merged - 1;
  }
  ranges_[first] = r;
  changed_[first] = ++inserts_;

  if (ranges_[0].begin != 0) return 0;
  // The front hole is filled: those bytes become readable and offsets shift down.
  const std::uint32_t advance = ranges_[0].end;
  readable_ += advance;
  std::copy(ranges_.begin() + 1, ranges_.begin() + range_count_, ranges_.begin());
  std::copy(changed_.begin() + 1, changed_.begin() + range_count_, changed_.begin());
  --range_count_;
  for (std::size_t i = 0; i < range_count_; ++i) {
    ranges_[i].begin -= advance;
    ranges_[i].end -= advance;
  }
  return advance;
}

std::uint32_t ReceiveBuffer::read(MutableBytes out, bool peek) {
  const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(out.size(), readable_));
  const std::uint32_t first = std::min(n, capacity_ - head_);
  std::copy_n(buf_.get() + head_, first, out.data());
  std::copy_n(buf_.get(), n - first, out.data() + first);
  if (!peek) {
    head_ = (head_ + n) % capacity_;
    readable_ -= n;
  }
  return n;
}

void ReceiveBuffer::discard_readable() {
  head_ = (head_ + readable_) % capacity_;
  readable_ = 0;
}

std::size_t ReceiveBuffer::ranges(std::array<Range, kMaxRanges>& out) const {
  std::array<std::size_t, kMaxRanges> order;
  for (std::size_t i = 0; i < range_count_; ++i) order[i] = i;
  std::sort(order.begin(), order.begin() + range_count_,
            [&](std::size_t a, std::size_t b) { return changed_[a] > changed_[b]; });
  for (std::size_t i = 0; i < range_count_; ++i) out[i] = ranges_[order[i]];
  return range_count_;
}

std::uint32_t ReceiveBuffer::resize(std::uint32_t capacity, std::uint32_t floor) {
  const std::uint32_t held = readable_ + (range_count_ > 0 ? ranges_[range_count_ - 1].end : 0);
  capacity = std::max({capacity, floor, held});
  if (capacity == capacity_) return capacity_;
  std::unique_ptr<std::uint8_t[]> bigger(new std::uint8_t[capacity]);
  // Copy every byte from the front to the end of the last held range, holes included.
  const std::uint32_t first = std::min(held, capacity_ - head_);
  std::copy_n(buf_.get() + head_, first, bigger.get());
  std::copy_n(buf_.get(), held - first, bigger.get() + first);
  buf_ = std::move(bigger);
  capacity_ = capacity;
  head_ = 0;
  return capacity_;
}

}  // namespace mtcpp
