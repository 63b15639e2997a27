// The host backend: the embedding program is the wire. It hands the stack frames (push_rx), takes
// the frames the stack sends (pop_tx) and owns the clock. Test harnesses, fuzzers, packet-script
// tools and the simulator drive stacks through it; mtcpp_host.h is its C face.
#pragma once
#include <cstdint>
#include <deque>
#include <vector>

#include "backends/memory/packet_pool.h"
#include "core/bytes.h"
#include "core/packet_io.h"

namespace mtcpp {

class HostIo final : public PacketIo {
 public:
  explicit HostIo(LinkCaps caps, std::size_t pool_buffers = 4096);
  ~HostIo() override;

  // Queues a frame for the stack's next rx_burst; false when it is too long or the pool is empty.
  bool push_rx(Bytes frame);
  // The oldest frame the stack sent, moved out; false when there is none.
  bool pop_tx(std::vector<std::uint8_t>& frame);
  std::size_t tx_pending() const { return tx_.size(); }
  std::size_t buffers_in_use() const { return pool_.in_use(); }

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
};

}  // namespace mtcpp
