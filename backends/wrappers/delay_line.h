// A fixed one-way delay in each direction, as a device wrapper: a frame the stack sends leaves
// `delay` later, a frame that arrives is received `delay` later, in order. With the fault
// injector (loss, duplication, reordering) it stands in for netem on kernels that have none.
// Frames wait in the wrapper holding the device's buffers; next_rx_time() says when the next one
// is due either way, so the stack's poll loop wakes for it.
#pragma once
#include <deque>
#include <vector>

#include "core/packet_io.h"

namespace mtcpp {

class DelayLine final : public PacketIo {
 public:
  // `inner` must outlive the wrapper.
  DelayLine(PacketIo& inner, Duration delay) : inner_(inner), delay_(delay) {}
  ~DelayLine() override;  // frames still waiting go back to inner
  DelayLine(const DelayLine&) = delete;
  DelayLine& operator=(const DelayLine&) = delete;

  LinkCaps caps() const override { return inner_.caps(); }
  std::size_t rx_burst(std::span<PacketBuffer*> out, Instant now) override;
  PacketBuffer* tx_alloc() override { return inner_.tx_alloc(); }
  std::size_t tx_burst(std::span<PacketBuffer* const> pkts, Instant now) override;
  void release(PacketBuffer* pkt) override { inner_.release(pkt); }
  Instant next_rx_time() const override;

 private:
  struct Waiting {
    PacketBuffer* pkt;
    Instant due;
  };
  void send_due(Instant now);

  PacketIo& inner_;
  Duration delay_;
  std::deque<Waiting> rx_;  // received, not yet handed to the stack
  std::deque<Waiting> tx_;  // sent by the stack, not yet handed to the device
  std::vector<PacketBuffer*> scratch_;
};

}  // namespace mtcpp
