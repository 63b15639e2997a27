#include "backends/memory/memory_pipe.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
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
      rx_(rx),
      rx_slots_(rx.capacity()) {}

std::size_t MemoryPipePort::rx_burst(std::span<PacketBuffer*> out, Instant) {
  // Slots released since the last burst go back to the sender.
  rx_.free_front(rx_released_ - rx_.freed());
  const std::size_t first = rx_.lent_end();  // the position of the first frame lent now
  return rx_.lend_burst(out.size(), [&](PipeFrame& frame, std::size_t i) {
    // The slot's first line came with its sequence number; the rest of the headers (and a short
    // segment's payload) are on the next two lines, still in the sender's cache: ask for them now
    // rather than when parsing gets there, one miss after another.
    for (std::size_t at = 64; at < std::min<std::size_t>(frame.len, 192); at += 64)
      __builtin_prefetch(frame.bytes.data() + at);
    PacketBuffer& pkt = rx_slots_[(first + i) & (rx_slots_.size() - 1)];
    pkt = {.data = frame.bytes.data(), .len = frame.len, .capacity = PipeFrame::kMaxSize, .backend = &rx_slots_};
    out[i] = &pkt;
  });
}

void MemoryPipePort::release(PacketBuffer* pkt) {
  if (!is_rx_slot(pkt)) {
    pool_.free(pkt);
    return;
  }
  if (pkt->backend != &rx_slots_) {
    std::fprintf(stderr, "MemoryPipePort: release() of a received frame that is already released\n");
    std::abort();
  }
  pkt->backend = nullptr;
  // The ring frees in order: advance over the released prefix (frames usually come back in order).
  const std::size_t lent_end = rx_.lent_end();
  const std::size_t mask = rx_slots_.size() - 1;
  while (rx_released_ != lent_end && rx_slots_[rx_released_ & mask].backend == nullptr) ++rx_released_;
}

bool MemoryPipePort::is_rx_slot(const PacketBuffer* pkt) const {
  const auto p = reinterpret_cast<std::uintptr_t>(pkt);
  const auto first = reinterpret_cast<std::uintptr_t>(rx_slots_.data());
  return p >= first && p < first + rx_slots_.size() * sizeof(PacketBuffer);
}

std::size_t MemoryPipePort::tx_burst(std::span<PacketBuffer* const> pkts, Instant) {
  const std::size_t n = tx_.push_burst(pkts.size(), [&](PipeFrame& frame, std::size_t i) {
    std::copy_n(pkts[i]->data, pkts[i]->len, frame.bytes.begin());
    frame.len = pkts[i]->len;
  });
  for (std::size_t i = 0; i < n; ++i) pool_.free(pkts[i]);
  return n;
}

Instant MemoryPipePort::next_rx_time() const { return rx_.has_unlent() ? Instant::min() : kNever; }

MemoryPipe::MemoryPipe(const MemoryPortConfig& a, const MemoryPortConfig& b, std::size_t ring_frames)
    : a_to_b_(checked_ring(a, b, ring_frames)), b_to_a_(ring_frames), a_(a, a_to_b_, b_to_a_), b_(b, b_to_a_, a_to_b_) {}

}  // namespace mtcpp
