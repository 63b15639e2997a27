#include "core/tcp/receive_buffer.h"

#include <algorithm>
#include <bit>

namespace mtcpp {

void ReceiveBuffer::move_to(std::uint32_t bytes, BufferMemory& mem) {
  const std::uint32_t n = held();
  std::unique_ptr<std::uint8_t[]> ring = mem.take(bytes);
  if (n > 0) {
    const std::uint32_t first = std::min(n, storage_ - head_);
    std::copy_n(buf_.get() + head_, first, ring.get());
    std::copy_n(buf_.get(), n - first, ring.get() + first);
  }
  mem.give(std::move(buf_), storage_);
  buf_ = std::move(ring);
  mem.resized(storage_, bytes);
  storage_ = bytes;
  head_ = 0;
}

void ReceiveBuffer::copy_in(std::uint32_t offset, Bytes data, BufferMemory& mem) {
  const auto len = static_cast<std::uint32_t>(data.size());
  if (const std::uint32_t needed = readable_ + offset + len; needed > storage_) {
    // Powers of two up to the limit, as far as the budget allows (the window promised `needed`).
    const auto wanted = static_cast<std::uint32_t>(std::max<std::uint64_t>(
        needed, std::min<std::uint64_t>(std::bit_ceil(std::uint64_t{std::max(needed, kMinStorage)}), capacity_)));
    move_to(std::max(needed, mem.grant(storage_, wanted, min_ring_)), mem);
  }
  const std::uint32_t start = (head_ + readable_ + offset) % storage_;
  const std::uint32_t first = std::min(len, storage_ - start);
  std::copy_n(data.data(), first, buf_.get() + start);
  std::copy_n(data.data() + first, len - first, buf_.get());
}

std::uint32_t ReceiveBuffer::insert(std::uint32_t offset, Bytes data, BufferMemory& mem) {
  const std::uint32_t room = window(mem);
  if (offset >= room || data.empty()) return 0;
  const auto len = static_cast<std::uint32_t>(std::min<std::size_t>(data.size(), room - offset));
  Range r{offset, offset + len};
  if (range_count_ == 0) {
    if (r.begin == 0) {  // in order, nothing held out of order: the usual case
      copy_in(offset, data.first(len), mem);
      readable_ += len;
      return len;
    }
    ooo_ = std::make_unique<OutOfOrder>();  // the first hole
  }
  auto& ranges = ooo_->ranges;
  auto& changed = ooo_->changed;

  // Merge with every range it overlaps or touches; find where it goes.
  std::size_t first = 0;
  while (first < range_count_ && ranges[first].end < r.begin) ++first;
  std::size_t last = first;
  while (last < range_count_ && ranges[last].begin <= r.end) {
    r.begin = std::min(r.begin, ranges[last].begin);
    r.end = std::max(r.end, ranges[last].end);
    ++last;
  }
  const std::size_t merged = last - first;
  // A new hole needs a free range; data at RCV.NXT never does (§3.10.7.4, seventh step).
  if (merged == 0 && range_count_ == kMaxRanges && r.begin != 0) return 0;
  copy_in(offset, data.first(len), mem);
  if (merged == 0 && r.begin == 0) {
    // In order, touching nothing held: readable at once, every held range moves down.
    readable_ += r.end;
    for (std::size_t i = 0; i < range_count_; ++i) {
      ranges[i].begin -= r.end;
      ranges[i].end -= r.end;
    }
    return r.end;
  }
  // Replace ranges [first, last) by r.
  if (merged == 0) {
    std::copy_backward(ranges.begin() + first, ranges.begin() + range_count_, ranges.begin() + range_count_ + 1);
    std::copy_backward(changed.begin() + first, changed.begin() + range_count_, changed.begin() + range_count_ + 1);
    ++range_count_;
  } else if (merged > 1) {
    std::copy(ranges.begin() + last, ranges.begin() + range_count_, ranges.begin() + first + 1);
    std::copy(changed.begin() + last, changed.begin() + range_count_, changed.begin() + first + 1);
    range_count_ -= merged - 1;
  }
  ranges[first] = r;
  changed[first] = ++ooo_->inserts;

  if (ranges[0].begin != 0) return 0;
  // The front hole is filled: those bytes become readable and offsets shift down.
  const std::uint32_t advance = ranges[0].end;
  readable_ += advance;
  std::copy(ranges.begin() + 1, ranges.begin() + range_count_, ranges.begin());
  std::copy(changed.begin() + 1, changed.begin() + range_count_, changed.begin());
  if (--range_count_ == 0) {
    ooo_.reset();  // no hole left
    return advance;
  }
  for (std::size_t i = 0; i < range_count_; ++i) {
    ranges[i].begin -= advance;
    ranges[i].end -= advance;
  }
  return advance;
}

std::uint32_t ReceiveBuffer::read(MutableBytes out, bool peek) {
  const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(out.size(), readable_));
  if (n == 0) return 0;
  const std::uint32_t first = std::min(n, storage_ - head_);
  std::copy_n(buf_.get() + head_, first, out.data());
  std::copy_n(buf_.get(), n - first, out.data() + first);
  if (!peek) {
    head_ = (head_ + n) % storage_;
    readable_ -= n;
  }
  return n;
}

void ReceiveBuffer::discard_readable(BufferMemory& mem) {
  if (readable_ == 0) return;
  head_ = (head_ + readable_) % storage_;
  readable_ = 0;
  release_if_empty(mem);
}

std::size_t ReceiveBuffer::ranges(std::array<Range, kMaxRanges>& out) const {
  if (range_count_ == 0) return 0;
  std::array<std::size_t, kMaxRanges> order;
  for (std::size_t i = 0; i < range_count_; ++i) order[i] = i;
  std::sort(order.begin(), order.begin() + range_count_,
            [&](std::size_t a, std::size_t b) { return ooo_->changed[a] > ooo_->changed[b]; });
  for (std::size_t i = 0; i < range_count_; ++i) out[i] = ooo_->ranges[order[i]];
  return range_count_;
}

std::uint32_t ReceiveBuffer::resize(std::uint32_t capacity, std::uint32_t floor, BufferMemory& mem) {
  capacity_ = std::max({capacity, floor, held()});
  if (storage_ > capacity_) move_to(capacity_, mem);  // the ring never outgrows the limit
  return capacity_;
}

}  // namespace mtcpp
