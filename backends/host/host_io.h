// The host backend: the embedding program is the wire. It hands the stack frames (push_rx), takes
// the frames the stack sends (pop_tx) and owns the clock. Test harnesses, fuzzers, packet-script
// tools and the simulator drive stacks through it; mtcpp_host.h is its C face.
#pragma once
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "backends/memory/packet_pool.h"
#include "core/bytes.h"
#include "core/packet_io.h"

namespace mtcpp {

class HostIo final : public PacketIo {
 public:
  // One pool of `pool_buffers` buffers of `buffer_size` bytes serves both directions: frames
  // pushed but not yet polled and frames sent but not yet popped each hold one.
  explicit HostIo(LinkCaps caps, std::size_t pool_buffers = 4096,
                  std::uint32_t buffer_size = PacketPool::kDefaultBufferSize);
  ~HostIo() override;

  // Queues a frame for the stack's next rx_burst; false when it is too long or the pool is empty.
  bool push_rx(Bytes frame);
  // The oldest frame the stack sent, moved out; false when there is none.
  bool pop_tx(std::vector<std::uint8_t>& frame);
  // The length of the oldest frame the stack sent, or nothing when none is queued.
  std::optional<std::size_t> peek_tx_size() const;
  // Copies the oldest sent frame into `out`, dequeues it and returns its length. Nothing when none
  // is queued or it is longer than `out`; it then stays queued so the caller can retry with room.
  std::optional<std::size_t> pop_tx_into(MutableBytes out);
  std::size_t tx_pending() const { return tx_.size(); }
  // At most this many sent frames wait for pop_tx, as a NIC's tx ring holds so many: tx_burst
  // takes no more (the stack keeps the rest). Unlimited unless set.
  void set_tx_capacity(std::size_t frames) { tx_capacity_ = frames; }
  std::size_t buffers_in_use() const { return pool_.in_use(); }
  // The longest frame push_rx accepts.
  std::size_t frame_capacity() const { return pool_.buffer_size(); }

  LinkCaps caps() const override { return caps_; }
  std::size_t rx_burst(std::span<PacketBuffer*> out, Instant now) override;
  PacketBuffer* tx_alloc() override { return pool_.alloc(); }
  std::size_t tx_burst(std::span<PacketBuffer* const> pkts, Instant now) override;
  void release(PacketBuffer* pkt) override { pool_.free(pkt); }

 private:
  LinkCaps caps_;
  PacketPool pool_;
  std::deque<PacketBuffer*> rx_;
  std::deque<PacketBuffer*> tx_;
  std::size_t tx_capacity_ = SIZE_MAX;
};

}  // namespace mtcpp
