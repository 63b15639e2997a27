// A cable between two stacks polled by two threads, for benchmarks in real time. Each direction
// is an SpscRing of frame-sized slots: the sender copies its frame into a slot (the wire) and the
// receiver reads it there: rx_burst lends the slots themselves, and a slot goes back to the
// sender once it and every slot before it are released. The sender's buffers come from its own
// pool, so each pool stays with one thread.
// No delay or loss here; a full ring pushes back (tx_burst takes fewer frames), and a received
// frame held long holds up the ring behind it.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "backends/memory/memory_link.h"
#include "backends/memory/packet_pool.h"
#include "backends/memory/spsc_ring.h"

namespace mtcpp {

struct PipeFrame {
  // A jumbo frame (MTU 9000 and its Ethernet header) fits; a slot is touched only as far as its
  // frame reaches.
  static constexpr std::size_t kMaxSize = 9216;
  std::uint32_t len = 0;
  std::array<std::uint8_t, kMaxSize> bytes;
};

using PipeRing = SpscRing<PipeFrame>;

// Every method is called by the one thread that polls this port. The two ports of a pipe sit
// side by side and each writes its own counters and pool on every frame: aligned to a cache line
// (64 bytes on the cores we run on), neither port's writes invalidate the other thread's line.
class alignas(64) MemoryPipePort final : public PacketIo {
 public:
  // config.buffer_size must not exceed PipeFrame::kMaxSize.
  MemoryPipePort(const MemoryPortConfig& config, PipeRing& tx, PipeRing& rx);

  LinkCaps caps() const override { return caps_; }
  std::size_t rx_burst(std::span<PacketBuffer*> out, Instant now) override;
  PacketBuffer* tx_alloc() override { return pool_.alloc(); }
  std::size_t tx_burst(std::span<PacketBuffer* const> pkts, Instant now) override;
  void release(PacketBuffer* pkt) override;
  // Frames arrive at any moment from the other thread, so the port is polled: "now" (the
  // earliest instant) while a frame waits, otherwise kNever.
  Instant next_rx_time() const override;

  const PacketPool& pool() const { return pool_; }
  // Received frames lent and not yet released.
  std::size_t rx_lent() const { return rx_.lent_end() - rx_released_; }

 private:
  bool is_rx_slot(const PacketBuffer* pkt) const;

  LinkCaps caps_;
  PacketPool pool_;
  PipeRing& tx_;
  PipeRing& rx_;
  // One descriptor per rx ring slot, lent with it: the frame at ring position n is
  // rx_slots_[n & mask]. backend is &rx_slots_ while lent, nullptr once released.
  std::vector<PacketBuffer> rx_slots_;
  // Ring positions before this one are released; those not yet freed go back at the next rx_burst.
  std::size_t rx_released_ = 0;
};

class MemoryPipe {
 public:
  MemoryPipe(const MemoryPortConfig& a, const MemoryPortConfig& b, std::size_t ring_frames = 1024);
  MemoryPipePort& a() { return a_; }
  MemoryPipePort& b() { return b_; }

 private:
  PipeRing a_to_b_;  // declared before the ports, which hold references to the rings
  PipeRing b_to_a_;
  MemoryPipePort a_;
  MemoryPipePort b_;
};

}  // namespace mtcpp
