#include "backends/wrappers/delay_line.h"

#include <algorithm>

namespace mtcpp {

DelayLine::~DelayLine() {
  for (const Waiting& w : rx_) inner_.release(w.pkt);
  for (const Waiting& w : tx_) inner_.release(w.pkt);
}

std::size_t DelayLine::rx_burst(std::span<PacketBuffer*> out, Instant now) {
  // Everything the device has now starts its delay now.
  constexpr std::size_t kBurst = 32;
  scratch_.resize(kBurst);
  for (std::size_t got = kBurst; got == kBurst;) {
    got = inner_.rx_burst(scratch_, now);
    for (std::size_t i = 0; i < got; ++i) rx_.push_back({scratch_[i], now + delay_});
  }
  send_due(now);
  std::size_t n = 0;
  while (n < out.size() && !rx_.empty() && rx_.front().due <= now) {
    out[n++] = rx_.front().pkt;
    rx_.pop_front();
  }
  return n;
}

std::size_t DelayLine::tx_burst(std::span<PacketBuffer* const> pkts, Instant now) {
  for (PacketBuffer* pkt : pkts) tx_.push_back({pkt, now + delay_});
  send_due(now);
  return pkts.size();
}

void DelayLine::send_due(Instant now) {
  scratch_.clear();
  for (const Waiting& w : tx_) {
    if (w.due > now) break;
    scratch_.push_back(w.pkt);
  }
  if (scratch_.empty()) return;
  // What the device refuses (a full ring) waits for the next call, still in order.
  const std::size_t sent = inner_.tx_burst(scratch_, now);
  tx_.erase(tx_.begin(), tx_.begin() + static_cast<std::ptrdiff_t>(sent));
}

Instant DelayLine::next_rx_time() const {
  Instant next = inner_.next_rx_time();
  if (!rx_.empty()) next = std::min(next, rx_.front().due);
  if (!tx_.empty()) next = std::min(next, tx_.front().due);
  return next;
}

}  // namespace mtcpp
