// The receive buffer: a fixed ring holding in-order bytes the application has not read, followed
// by out-of-order bytes placed where they belong (RFC 9293 §3.10.7.4, seventh step: segments
// "held for later processing"). The gaps are a short list of ranges, which are also the SACK
// blocks of RFC 2018; the list itself exists only while out-of-order data does.
//
// Memory is taken as data arrives, not when the connection opens: `capacity` is the limit the
// window is computed from (SO_RCVBUF, autotuning), while the ring grows in powers of two (from
// kMinStorage) as far as the bytes held reach, and is given back by release_if_empty once the
// application has read everything and no out-of-order data waits (the TCP layer waits for the
// connection to idle first, so a transfer does not free and regrow it between reads). Every change
// of the ring's size goes through the stack's BufferMemory, whose budget may hold growth back: the
// window is then what the ring can hold.
#pragma once
#include <array>
#include <cstdint>
#include <memory>

#include "core/bytes.h"
#include "core/tcp/buffer_memory.h"

namespace mtcpp {

class ReceiveBuffer {
 public:
  static constexpr std::size_t kMaxRanges = 16;
  static constexpr std::uint32_t kMinStorage = BufferMemory::kMinRing;
  struct Range {
    std::uint32_t begin = 0;  // offsets from RCV.NXT
    std::uint32_t end = 0;
  };

  explicit ReceiveBuffer(std::uint32_t capacity) : capacity_(capacity) {}

  std::uint32_t capacity() const { return capacity_; }
  // Bytes of memory the ring holds now.
  std::uint32_t storage() const { return storage_; }
  std::uint32_t readable() const { return readable_; }
  // The bytes the buffer can hold now (RFC 9293's RCV.BUFF): the limit, or less while the memory
  // budget keeps the ring from growing that far.
  std::uint32_t room(const BufferMemory& mem) const {
    return std::min(capacity_, mem.grant(storage_, capacity_, min_ring_));
  }
  // The ring the budget always grants (BufferMemory::kMinRing, or two units of a scaled window).
  void set_min_ring(std::uint32_t bytes) { min_ring_ = std::max(bytes, BufferMemory::kMinRing); }
  // Bytes beyond RCV.NXT the buffer can still hold: the receive window.
  std::uint32_t window(const BufferMemory& mem) const { return room(mem) - readable_; }
  bool has_out_of_order() const { return range_count_ > 0; }
  // Whether every byte of [offset, offset + len) past RCV.NXT is already held out of order.
  bool holds(std::uint32_t offset, std::uint32_t len) const {
    for (std::size_t i = 0; i < range_count_; ++i)
      if (ooo_->ranges[i].begin <= offset && offset + len <= ooo_->ranges[i].end) return true;
    return false;
  }

  // Places data that starts `offset` bytes past RCV.NXT, clipped to the window. Returns how far
  // RCV.NXT advances (0 while a hole remains before the data). Out-of-order data that would need
  // more than kMaxRanges holes is dropped (the sender will retransmit it); data at RCV.NXT is
  // always taken, since it needs no range.
  std::uint32_t insert(std::uint32_t offset, Bytes data, BufferMemory& mem);

  // Copies up to out.size() in-order bytes; without peek they are removed.
  std::uint32_t read(MutableBytes out, bool peek);
  // Drops all readable bytes (SHUT_RD, abort).
  void discard_readable(BufferMemory& mem);
  // Nothing readable and nothing out of order: the memory goes.
  void release_if_empty(BufferMemory& mem) {
    if (readable_ == 0 && range_count_ == 0) move_to(0, mem);
  }
  // Out-of-order data that can never be delivered goes (the connection is lost), and with it the
  // ring if nothing readable is left.
  void discard_out_of_order(BufferMemory& mem) {
    range_count_ = 0;
    ooo_.reset();
    release_if_empty(mem);
  }
  // The connection is going: the memory goes, data or not.
  void release(BufferMemory& mem) {
    readable_ = 0;
    range_count_ = 0;
    ooo_.reset();
    move_to(0, mem);
  }

  // Out-of-order ranges, most recently changed first (RFC 2018 §4: the first SACK block holds the
  // latest segment, the others repeat the most recently reported blocks).
  std::size_t ranges(std::array<Range, kMaxRanges>& out) const;

  // Changes the capacity, keeping every byte held and every offset; never below `floor` (the
  // bytes readable plus the window already promised to the peer). Returns the new capacity.
  std::uint32_t resize(std::uint32_t capacity, std::uint32_t floor, BufferMemory& mem);

 private:
  void copy_in(std::uint32_t offset, Bytes data, BufferMemory& mem);
  // Bytes from the front to the end of the last held range, holes included.
  std::uint32_t held() const { return readable_ + (range_count_ > 0 ? ooo_->ranges[range_count_ - 1].end : 0); }
  // A ring of exactly `bytes` (>= held()) holding the data from its start; 0 frees it.
  void move_to(std::uint32_t bytes, BufferMemory& mem);
  std::unique_ptr<std::uint8_t[]> buf_;
  std::uint32_t storage_ = 0;  // bytes at buf_
  std::uint32_t capacity_;
  std::uint32_t head_ = 0;
  std::uint32_t readable_ = 0;
  // The out-of-order ranges, allocated while there are any (most connections never need them).
  struct OutOfOrder {
    std::array<Range, kMaxRanges> ranges{};           // sorted, disjoint, not touching
    std::array<std::uint64_t, kMaxRanges> changed{};  // per range: when it last took data
    std::uint64_t inserts = 0;                        // the clock of `changed`
  };
  std::unique_ptr<OutOfOrder> ooo_;
  std::uint32_t range_count_ = 0;
  std::uint32_t min_ring_ = BufferMemory::kMinRing;
};

}  // namespace mtcpp
