#include "backends/host/host_io.h"

#include <algorithm>

namespace mtcpp {

HostIo::HostIo(LinkCaps caps, std::size_t pool_buffers, std::uint32_t buffer_size)
    : caps_(caps), pool_(pool_buffers, buffer_size) {}

HostIo::~HostIo() {
  for (PacketBuffer* b : rx_) pool_.free(b);
  for (PacketBuffer* b : tx_) pool_.free(b);
}

bool HostIo::push_rx(Bytes frame) {
  if (frame.size() > pool_.buffer_size()) return false;
  PacketBuffer* b = pool_.alloc();
  if (b == nullptr) return false;
  std::copy(frame.begin(), frame.end(), b->data);
  b->len = static_cast<std::uint32_t>(frame.size());
  rx_.push_back(b);
  return true;
}

bool HostIo::pop_tx(std::vector<std::uint8_t>& frame) {
  if (tx_.empty()) return false;
  PacketBuffer* b = tx_.front();
  tx_.pop_front();
  frame.assign(b->data, b->data + b->len);
  pool_.free(b);
  return true;
}

std::optional<std::size_t> HostIo::peek_tx_size() const {
  if (tx_.empty()) return std::nullopt;
  return tx_.front()->len;
}

std::optional<std::size_t> HostIo::pop_tx_into(MutableBytes out) {
  if (tx_.empty() || tx_.front()->len > out.size()) return std::nullopt;
  PacketBuffer* b = tx_.front();
  tx_.pop_front();
  const std::size_t len = b->len;
  std::copy(b->data, b->data + len, out.begin());
  pool_.free(b);
  return len;
}

std::size_t HostIo::rx_burst(std::span<PacketBuffer*> out, Instant) {
  std::size_t n = 0;
  while (n < out.size() && !rx_.empty()) {
    out[n++] = rx_.front();
    rx_.pop_front();
  }
  return n;
}

std::size_t HostIo::tx_burst(std::span<PacketBuffer* const> pkts, Instant) {
  std::size_t taken = 0;
  for (; taken < pkts.size() && tx_.size() < tx_capacity_; ++taken) tx_.push_back(pkts[taken]);
  return taken;
}

}  // namespace mtcpp
