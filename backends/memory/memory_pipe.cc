#include "backends/memory/memory_pipe.h"

#include <algorithm>
#include <stdexcept>

namespace mtcpp {

namespace {
const MemoryPortConfig& checked(const MemoryPortConfig& config) {
  if (config.buffer_size > PipeFrame::kMaxSize) {
    throw std::invalid_argument("MemoryPipePort buffers must fit a PipeFrame");
  }
  return config;
}

// Equal buffer sizes guarantee that whatever one side can build, the other can receive.
std::size_t checked_ring(const MemoryPortConfig& a, const MemoryPortConfig& b, std::size_t frames) {
  if (a.buffer_size != b.buffer_size) {
    throw std::invalid_argument("MemoryPipe ports must have the same buffer size");
  }
  return frames;
}
}  // namespace

MemoryPipePort::MemoryPipePort(const MemoryPortConfig& config, PipeRing& tx, PipeRing& rx)
    : caps_{.mac = config.mac,
            .mtu = config.mtu,
            .rx_checksum_verified = config.checksum_offload,
            .tx_checksum_offload = config.checksum_offload},
      pool_(checked(config).buffers, config.buffer_size),
      tx_(tx),
      rx_(rx) {}

std::size_t MemoryPipePort::rx_burst(std::span<PacketBuffer*> out, Instant) {
  // Frames wait in the ring until this side has a buffer for them: nothing is lost.
  const std::size_t room = std::min(out.size(), pool_.available());
  return rx_.pop_burst(room, [&](const PipeFrame& frame, std::size_t i) {
    PacketBuffer* pkt = pool_.alloc();
    std::copy_n(frame.bytes.begin(), frame.len, pkt->data);
    pkt->len = frame.len;
    out[i] = pkt;
  });
}

std::size_t MemoryPipePort::tx_burst(std::span<PacketBuffer* const> pkts, Instant) {
  const std::size_t n = tx_.push_burst(pkts.size(), [&](PipeFrame& frame, std::size_t i) {
    std::copy_n(pkts[i]->data, pkts[i]->len, frame.bytes.begin());
    frame.len = pkts[i]->len;
  });
  for (std::size_t i = 0; i < n; ++i) pool_.free(pkts[i]);
  return n;
}

Instant MemoryPipePort::next_rx_time() const { return rx_.empty() ? kNever : Instant::min(); }

MemoryPipe::MemoryPipe(const MemoryPortConfig& a, const MemoryPortConfig& b, std::size_t ring_frames)
    : a_to_b_(checked_ring(a, b, ring_frames)), b_to_a_(ring_frames), a_(a, a_to_b_, b_to_a_), b_(b, b_to_a_, a_to_b_) {}

}  // namespace mtcpp
